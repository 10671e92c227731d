package autoassign.backend.cuda;

import autoassign.backend.DeviceSelector;
import autoassign.backend.DeviceSelector.Choice;
import autoassign.tensor.Device;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.*;

/** --device parsing and the default choice, with a faked probe (no GPU needed). */
class DeviceSelectorTest {
    static final CudaStatus NONE = CudaStatus.unavailable("no CUDA driver found: libcuda.so.1: cannot open shared object file");
    static final CudaStatus ONE_GPU = new CudaStatus(true, null,
            List.of(new CudaStatus.Gpu(0, "NVIDIA H100 80GB HBM3", 85_000_000_000L, 9, 0, 132)), 13000, 13000, "9.19.0",
            true, "fatbin (native + backend)");

    final AtomicInteger registered = new AtomicInteger(), probed = new AtomicInteger();

    Supplier<CudaStatus> probe(CudaStatus s) {
        return () -> {
            probed.incrementAndGet();
            return s;
        };
    }

    @Test
    void defaultIsCpuWithReasonWhenNoGpu() {
        for (String r : new String[] {null, "", " auto ", "AUTO"}) {
            Choice c = DeviceSelector.choose(r, probe(NONE), registered::incrementAndGet);
            assertEquals(Device.CPU, c.device());
            assertEquals("device: cpu (no CUDA driver found: libcuda.so.1: cannot open shared object file)", c.logLine());
        }
        assertEquals(0, registered.get());
    }

    @Test
    void defaultIsCudaWhenAGpuIsUsable() {
        Choice c = DeviceSelector.choose(null, probe(ONE_GPU), registered::incrementAndGet);
        assertEquals(Device.cuda(0), c.device());
        assertTrue(c.logLine().startsWith("device: cuda:0 (NVIDIA H100 80GB HBM3, 79.16 GiB, sm_90; CUDA 13.0, cuDNN 9.19.0"),
                c.logLine());
        assertTrue(c.logLine().contains("default"), c.logLine());
        assertEquals(1, registered.get());
    }

    @Test
    void explicitCpuDoesNotProbe() {
        Choice c = DeviceSelector.choose("cpu", probe(ONE_GPU), registered::incrementAndGet);
        assertEquals(Device.CPU, c.device());
        assertEquals("device: cpu (requested)", c.logLine());
        assertEquals(0, probed.get());
        assertEquals(0, registered.get());
    }

    @Test
    void explicitCudaForms() {
        assertEquals(Device.cuda(0), DeviceSelector.choose("cuda", probe(ONE_GPU), () -> {}).device());
        assertEquals(Device.cuda(0), DeviceSelector.choose("CUDA:0", probe(ONE_GPU), () -> {}).device());
        Choice c = DeviceSelector.choose(" cuda:0 ", probe(ONE_GPU), () -> {});
        assertTrue(c.logLine().startsWith("device: cuda:0 (NVIDIA H100"), c.logLine());
        assertFalse(c.logLine().contains("default"));
    }

    @Test
    void explicitCudaWithoutGpuIsAOneLineError() {
        var e = assertThrows(DeviceSelector.DeviceUnavailableException.class,
                () -> DeviceSelector.choose("cuda", probe(NONE), registered::incrementAndGet));
        assertEquals("--device cuda: CUDA is not available: no CUDA driver found: libcuda.so.1: cannot open shared object file"
                + " (use --device cpu)", e.getMessage());
        assertEquals(0, registered.get());
    }

    @Test
    void missingDeviceIndex() {
        var e = assertThrows(DeviceSelector.DeviceUnavailableException.class,
                () -> DeviceSelector.choose("cuda:3", probe(ONE_GPU), registered::incrementAndGet));
        assertEquals("--device cuda:3: only 1 CUDA device(s) found (cuda:0..cuda:0)", e.getMessage());
        assertEquals(0, registered.get());
    }

    @Test
    void badSpellingsAreRejected() {
        for (String bad : new String[] {"gpu", "cuda:", "cuda:-1", "cuda:x", "cpu:0", "tpu"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> DeviceSelector.choose(bad, probe(ONE_GPU), () -> {}), bad);
            assertFalse(e instanceof DeviceSelector.DeviceUnavailableException, bad);
            assertTrue(e.getMessage().startsWith("--device: unknown device"), e.getMessage());
        }
    }
}
