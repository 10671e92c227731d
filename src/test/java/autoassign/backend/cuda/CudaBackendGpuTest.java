package autoassign.backend.cuda;

import autoassign.backend.Backend;
import autoassign.backend.Backends;
import autoassign.tensor.Device;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Every CUDA op against its CPU twin; skipped (with the probe's reason) where no usable GPU is present. */
@Tag("gpu")
class CudaBackendGpuTest {
    static CudaBackend cuda;

    /** Per test (not @BeforeAll) so that each test is reported as skipped, with the probe's reason. */
    @BeforeEach
    void gpu() {
        CudaStatus st = CudaProbe.status();
        assumeTrue(st.usable(), "skipped: no usable GPU (" + st.reason() + ")");
        if (cuda == null) {
            CudaBackend.register();
            cuda = (CudaBackend) Backends.of(Device.cuda(0));
        }
    }

    @TestFactory
    Stream<DynamicTest> everyOpMatchesTheCpuTwin() {
        Backend cpu = Backends.cpu();
        boolean tf32 = CudaOptions.tf32();
        return OpChecks.all().stream().map(c -> DynamicTest.dynamicTest(c.label() + " " + c.detail(), () -> {
            Tensor[] ref = c.fn().run(cpu, c.upload(cpu));
            CudaOptions.setTf32(c.tf32() == null ? tf32 : c.tf32());
            try {
                Tensor[] got = c.fn().run(cuda, c.upload(cuda));
                for (Tensor t : got) if (t != null) assertEquals(Device.cuda(0), t.device(), "outputs stay on the GPU");
                double err = OpChecks.worstError(got, ref);
                assertTrue(err <= c.tol(), c.label() + " " + c.detail() + ": rel error " + err + " > " + c.tol());
            } finally {
                CudaOptions.setTf32(tf32);
            }
        }));
    }

    @Test
    void roundTripAndViews() {
        float[] v = {1, -2, 3.5f, 4, 5, 6};
        Tensor t = cuda.fromHost(v, 2, 3);
        assertArrayEquals(v, t.toFloatArray());
        assertArrayEquals(v, t.view(3, 2).toFloatArray());
        Tensor back = t.to(Device.CPU);
        assertTrue(back.isCpu());
        assertArrayEquals(v, back.data());
        t.copyFrom(Tensor.of(new float[] {0, 0, 0, 0, 0, 7}, 6));
        assertEquals(7f, t.toFloatArray()[5]);
        assertEquals(0f, cuda.zeros(1).item());
    }

    @Test
    void steadyStateReusesCachedMemory() {
        Tensor x = cuda.fromHost(new float[1 << 20], 1 << 20);
        for (int i = 0; i < 5; i++) cuda.sigmoid(x).releaseStorage();
        long mallocs = cuda.memoryStats().rawMallocs();
        for (int i = 0; i < 50; i++) {
            Tensor s = cuda.sigmoid(x);
            cuda.add(s, x).releaseStorage();
            s.releaseStorage();
        }
        assertEquals(mallocs, cuda.memoryStats().rawMallocs(), "no cudaMalloc in steady state: " + cuda.memoryStats());
    }

    @Test
    void unreachableTensorsAreReclaimed() {
        long before = cuda.memoryStats().allocatedBytes();
        for (int i = 0; i < 20; i++) cuda.zeros(1 << 22); // 16 MiB each, never released explicitly
        for (int i = 0; i < 20 && cuda.memoryStats().allocatedBytes() > before; i++) {
            System.gc();
            cuda.zeros(1).releaseStorage(); // an allocation drains the phantom references
        }
        assertTrue(cuda.memoryStats().allocatedBytes() <= before + 512, cuda.memoryStats().toString());
    }

    @Test
    void cpuInputIsAClearError() {
        Tensor g = cuda.zeros(4);
        var e = assertThrows(IllegalArgumentException.class, () -> cuda.add(g, Tensor.zeros(4)));
        assertTrue(e.getMessage().contains("is on cpu, expected cuda:0"), e.getMessage());
    }
}
