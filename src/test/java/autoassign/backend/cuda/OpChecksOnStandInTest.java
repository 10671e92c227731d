package autoassign.backend.cuda;

import autoassign.backend.Backend;
import autoassign.backend.Backends;
import autoassign.backend.CheckedDeviceBackend;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GPU check's cases ({@link OpChecks}, run against the real CUDA backend by {@code CudaSelfCheck} and
 * {@code CudaBackendGpuTest}) run here on the CPU stand-in device, which computes with the CPU twin: every case
 * must run, use its inputs as declared and agree exactly, so that a case added without a GPU at hand is known to be
 * well-formed before a GPU session spends time on it. Cases at the real COCO sizes (inputs over 4 M floats) are
 * left to the GPU.
 */
class OpChecksOnStandInTest {
    private static CheckedDeviceBackend dev;

    @BeforeAll
    static void install() { dev = CheckedDeviceBackend.install(92); }

    @AfterAll
    static void uninstall() { dev.close(); }

    @TestFactory
    Stream<DynamicTest> everyCaseRunsOnTheStandIn() {
        Backend cpu = Backends.cpu();
        return OpChecks.all().stream().filter(c -> {
            long n = 0;
            for (float[] in : c.inputs()) n += in.length;
            return n <= 4_000_000;
        }).map(c -> DynamicTest.dynamicTest(c.label() + " " + c.detail(), () -> {
            Tensor[] ref = c.fn().run(cpu, c.upload(cpu));
            Tensor[] got = c.fn().run(dev, c.upload(dev));
            double err = OpChecks.worstError(got, ref);
            assertTrue(err <= 1e-6, "rel error " + err);
            assertTrue(dev.violations().isEmpty(), dev.violations().toString());
        }));
    }
}
