package autoassign.backend.cuda;

import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.cudnn;
import org.bytedeco.javacpp.Loader;

import java.util.ArrayList;
import java.util.List;

/**
 * Probes once, early, whether CUDA can be used. Loading the JavaCPP CUDA presets without a driver throws
 * {@link UnsatisfiedLinkError} and leaves every CUDA class unusable, so this is the only place that touches
 * them before a CUDA device has been chosen; every failure becomes a one-line reason, never a crash.
 *
 * <p>Checks, in order: the CUDA runtime and driver load; at least one GPU; cuDNN loads and is version 9
 * (the installed cuDNN is asked for its version first, because calling a function it lacks kills the JVM);
 * cuBLAS loads (optional: gemm falls back to the backend's kernel); the backend's kernels are in the jar
 * (fatbin built by nvcc) or NVRTC can compile them at run time.
 */
public final class CudaProbe {
    private static volatile CudaStatus status;

    private CudaProbe() {}

    /** The probe's result, computed on the first call. Never throws. */
    public static CudaStatus status() {
        CudaStatus s = status;
        if (s == null) {
            synchronized (CudaProbe.class) {
                s = status;
                if (s == null) status = s = probe();
            }
        }
        return s;
    }

    private static CudaStatus probe() {
        if (Boolean.getBoolean("autoassign.cuda.disable"))
            return CudaStatus.unavailable("CUDA disabled by -Dautoassign.cuda.disable=true");
        try {
            return probeUnsafe();
        } catch (Throwable t) {
            // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError, ...: all end here
            return CudaStatus.unavailable(describeLoadFailure("CUDA", t));
        }
    }

    private static CudaStatus probeUnsafe() {
        try {
            Loader.load(cudart.class);
        } catch (Throwable t) {
            return CudaStatus.unavailable(describeLoadFailure("CUDA runtime", t));
        }
        int[] v = new int[1];
        int driver = cudart.cudaDriverGetVersion(v) == 0 ? v[0] : 0;
        int runtime = cudart.cudaRuntimeGetVersion(v) == 0 ? v[0] : 0;
        int err = cudart.cudaGetDeviceCount(v);
        if (err != 0) {
            cudart.cudaGetLastError();
            return CudaStatus.unavailable("no usable CUDA device: " + Cuda.errorName(err) + " (driver supports CUDA "
                    + CudaStatus.version(driver) + ", runtime is " + CudaStatus.version(runtime) + ")");
        }
        if (v[0] == 0) return CudaStatus.unavailable("no CUDA device found (driver CUDA " + CudaStatus.version(driver) + ")");
        List<CudaStatus.Gpu> gpus = new ArrayList<>();
        for (int i = 0; i < v[0]; i++) {
            cudaDeviceProp p = new cudaDeviceProp();
            if (cudart.cudaGetDeviceProperties(p, i) != 0) continue;
            gpus.add(new CudaStatus.Gpu(i, p.name().getString().trim(), p.totalGlobalMem(), p.major(), p.minor(),
                    p.multiProcessorCount()));
            p.close();
        }
        if (gpus.isEmpty()) return CudaStatus.unavailable("no CUDA device could be queried");

        String cudnnVersion;
        try {
            Loader.load(cudnn.class);
            long cv = cudnn.cudnnGetVersion();
            cudnnVersion = (cv / 10000) + "." + (cv % 10000) / 100 + "." + (cv % 100);
            if (cv < 90000 || cv >= 100000)
                return CudaStatus.unavailable("cuDNN " + cudnnVersion + " found, cuDNN 9.x is needed", gpus, driver, runtime, cudnnVersion);
        } catch (Throwable t) {
            return CudaStatus.unavailable(describeLoadFailure("cuDNN 9", t), gpus, driver, runtime, null);
        }
        boolean cublas = Cublas.available();
        String kernels;
        try {
            kernels = Kernels.availability();
        } catch (CudaException e) {
            return CudaStatus.unavailable(e.getMessage(), gpus, driver, runtime, cudnnVersion);
        }
        return new CudaStatus(true, null, List.copyOf(gpus), driver, runtime, cudnnVersion, cublas, kernels);
    }

    /** "no CUDA driver found (libcuda.so.1: cannot open shared object file)" and the like, on one line. */
    static String describeLoadFailure(String what, Throwable t) {
        String msg = null;
        for (Throwable c = t; c != null; c = c.getCause()) if (c.getMessage() != null) msg = c.getMessage();
        if (msg == null) msg = t.getClass().getSimpleName();
        msg = msg.replace('\n', ' ').trim();
        // "/root/.javacpp/cache/.../libjnicudart.so: libcuda.so.1: cannot open ..." -> "libcuda.so.1: cannot open ..."
        if (msg.startsWith("/")) {
            int i = msg.indexOf(": ");
            if (i > 0) msg = msg.substring(i + 2);
        }
        if (msg.contains("libcuda.so")) return "no CUDA driver found: " + msg;
        return what + " could not be loaded: " + msg;
    }
}
