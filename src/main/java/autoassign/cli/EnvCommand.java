package autoassign.cli;

import autoassign.backend.cpu.Blas;
import autoassign.backend.cpu.Parallel;
import autoassign.backend.cuda.CachingAllocator;
import autoassign.backend.cuda.CudaProbe;
import autoassign.backend.cuda.CudaStatus;
import autoassign.io.AtomicFiles;
import autoassign.train.dist.NcclCommunicator;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code env}: what MMDetection's {@code python mmdet/utils/collect_env.py} prints (MMEngine's {@code collect_env}),
 * for this engine: platform, Java, CPU threads, whether CUDA is usable and why not, the GPUs, the CUDA driver and
 * runtime, cuDNN, cuBLAS, NCCL, where the kernels come from, nvcc, and the versions of the native libraries.
 */
@Command(name = "env", mixinStandardHelpOptions = true,
        description = {"Print the environment, as MMDetection's mmdet/utils/collect_env.py: platform, Java, CPU",
            "threads, CUDA (usable or why not), GPUs, driver and runtime, cuDNN, cuBLAS, NCCL, the kernels,",
            "nvcc, OpenBLAS, OpenCV, JavaCPP and this engine's version: the lines to paste into a bug report."})
public final class EnvCommand implements Callable<Integer> {

    @Option(names = "--json", paramLabel = "FILE", description = "also write the same keys and values as a JSON object")
    Path json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Map<String, String> env = collect();
        java.io.PrintWriter out = spec.commandLine().getOut();
        env.forEach((k, v) -> out.println(k + ": " + v));
        out.flush();
        if (json != null) {
            ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            AtomicFiles.write(json, os -> om.writeValue(os, env));
        }
        return 0;
    }

    /** The environment in MMEngine's order (system, then the accelerator, then the libraries), one value per key. */
    static Map<String, String> collect() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("sys.platform", System.getProperty("os.name") + " " + System.getProperty("os.version") + " (" + System.getProperty("os.arch") + ")");
        env.put("Java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vm.vendor") + ")");
        env.put("JVM max heap", CachingAllocator.human(Runtime.getRuntime().maxMemory()));
        String memory = physicalMemory();
        if (memory != null) env.put("Physical memory", memory);
        String cpu = cpuModel();
        env.put("CPU", Runtime.getRuntime().availableProcessors() + " logical processors" + (cpu == null ? "" : ", " + cpu));
        env.put("CPU threads", Parallel.threads() + " (ops), " + Blas.threads() + " (OpenBLAS)");
        CudaStatus cuda = CudaProbe.status();
        env.put("CUDA available", cuda.usable() ? "True" : "False (" + cuda.reason() + ")");
        for (CudaStatus.Gpu g : cuda.gpus()) env.put("GPU " + g.index(), g.describe() + ", " + g.multiProcessors() + " SMs");
        if (cuda.driverVersion() > 0) env.put("CUDA driver", CudaStatus.version(cuda.driverVersion()));
        if (cuda.runtimeVersion() > 0) env.put("CUDA runtime", CudaStatus.version(cuda.runtimeVersion()));
        if (cuda.cudnn() != null) env.put("cuDNN", cuda.cudnn());
        if (cuda.usable()) {
            env.put("cuBLAS", cuda.cublas() ? "yes" : "no (gemm on the engine's own kernel)");
            String nccl = NcclCommunicator.unavailableReason();
            env.put("NCCL", nccl == null ? NcclCommunicator.version() : "no (" + nccl + ")");
            env.put("CUDA kernels", cuda.kernels());
        }
        env.put("NVCC", nvcc());
        env.put("OpenBLAS", "presets " + presetVersion("openblas"));
        env.put("OpenCV", org.bytedeco.opencv.global.opencv_core.CV_VERSION + " (presets " + presetVersion("opencv") + ")");
        env.put("CUDA presets", presetVersion("cuda"));
        env.put("JavaCPP", presetVersion("javacpp"));
        String v = Main.class.getPackage().getImplementationVersion();
        env.put("autoassign-native", v == null ? "(development build)" : v);
        return env;
    }

    /** The machine's memory from the JDK's MXBean, else /proc/meminfo's MemTotal, else null. */
    private static String physicalMemory() {
        try {
            if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)
                return CachingAllocator.human(os.getTotalMemorySize());
        } catch (LinkageError e) {
            // a runtime without the jdk.management module (a jlink'd one, as on the GPU machines)
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"), StandardCharsets.US_ASCII))
                if (line.startsWith("MemTotal:")) // "MemTotal:       24681234 kB"
                    return CachingAllocator.human(1024L * Long.parseLong(line.replaceAll("[^0-9]", "")));
        } catch (IOException | RuntimeException e) {
            // not Linux: the memory is optional
        }
        return null;
    }

    /** The "model name" of /proc/cpuinfo (Linux), else null. */
    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8))
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: the model is optional
        }
        return null;
    }

    /** nvcc's release line ("Cuda compilation tools, release 13.0, V13.0.88") when nvcc is on the PATH, as MMEngine's NVCC. */
    private static String nvcc() {
        try {
            Process p = new ProcessBuilder("nvcc", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "not answering";
            }
            for (String line : out.split("\n")) if (line.startsWith("Cuda compilation tools")) return line.trim();
            return "found, version unknown";
        } catch (IOException e) {
            return "Not Available";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "Not Available";
        }
    }

    /**
     * The version of an org.bytedeco artifact ("0.3.31-1.5.13") from its META-INF/maven pom.properties, which the
     * shaded jar keeps per dependency (its manifest is the engine's own); "unknown" when absent.
     */
    private static String presetVersion(String artifact) {
        try {
            String v = org.bytedeco.javacpp.Loader.getVersion("org.bytedeco", artifact);
            return v == null ? "unknown" : v;
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
