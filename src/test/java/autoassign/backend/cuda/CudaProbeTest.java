package autoassign.backend.cuda;

import autoassign.backend.DeviceSelector;
import autoassign.tensor.Device;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** On a machine without a usable GPU (CI): the probe fails cleanly and everything falls back to the CPU. */
class CudaProbeTest {

    @Test
    void probeFailsCleanlyWithOneLineWithoutAGpu() {
        CudaStatus st = CudaProbe.status();
        assumeFalse(st.usable(), "a usable GPU is present: " + st.gpus());
        assertNotNull(st.reason());
        assertFalse(st.reason().isBlank());
        assertFalse(st.reason().contains("\n"), st.reason());
        assertSame(st, CudaProbe.status(), "probed once");
    }

    @Test
    void defaultFallsBackToCpuAndExplicitCudaExplains() {
        assumeFalse(CudaProbe.status().usable());
        List<String> log = new ArrayList<>();
        Device d = DeviceSelector.select(null, log::add);
        assertEquals(Device.CPU, d);
        assertEquals(1, log.size());
        assertTrue(log.get(0).startsWith("device: cpu ("), log.get(0));
        DeviceSelector.DeviceUnavailableException e = assertThrows(DeviceSelector.DeviceUnavailableException.class,
                () -> DeviceSelector.select("cuda", log::add));
        assertTrue(e.getMessage().startsWith("--device cuda: CUDA is not available: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertEquals(1, log.size(), "no log line for a refused request");
    }

    @Test
    void loadFailureMessagesAreShortened() {
        UnsatisfiedLinkError inner = new UnsatisfiedLinkError(
                "/root/.javacpp/cache/cuda.jar/org/bytedeco/cuda/linux-x86_64/libjnicudart.so: libcuda.so.1: cannot open shared object file: No such file or directory");
        UnsatisfiedLinkError outer = new UnsatisfiedLinkError("no jnicudart in java.library.path: /usr/lib");
        outer.initCause(inner);
        assertEquals("no CUDA driver found: libcuda.so.1: cannot open shared object file: No such file or directory",
                CudaProbe.describeLoadFailure("CUDA runtime", outer));
        assertEquals("cuDNN 9 could not be loaded: libcudnn_cnn.so.9: cannot open shared object file",
                CudaProbe.describeLoadFailure("cuDNN 9", new UnsatisfiedLinkError("/x/libjnicudnn.so: libcudnn_cnn.so.9: cannot open shared object file")));
    }

    /** The probe in a fresh JVM: no crash, exit 2 and a one-line reason from the self-check without a GPU. */
    @Test
    void selfCheckInAFreshJvmExitsCleanly() throws IOException, InterruptedException {
        assumeFalse(CudaProbe.status().usable());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path outFile = Files.createTempFile("selfcheck", ".txt");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), CudaSelfCheck.class.getName())
                .redirectErrorStream(true).redirectOutput(outFile.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "self-check did not finish");
        String out = Files.readString(outFile);
        Files.deleteIfExists(outFile);
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.startsWith("error: --device cuda: CUDA is not available: "), out);
        assertEquals(1, out.strip().lines().count(), out);
    }
}
