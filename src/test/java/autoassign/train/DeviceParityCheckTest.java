package autoassign.train;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The GPU parity tool's arithmetic, and the tool itself run CPU against CPU (identical: nothing may differ). */
class DeviceParityCheckTest {

    @Test
    void normwiseIsRelativeToTheTensorsLargestValueOrTheFloor() {
        float[] cpu = {1f, -4f, 2f}, dev = {1f, -4.02f, 2.01f};
        assertEquals(0.02 / 4, DeviceParityCheck.normwise(cpu, dev, 0), 1e-6);
        // a near-zero gradient (noise) is compared at the floor, not at its own tiny scale
        float[] noise = {1e-9f, -2e-9f}, other = {-1e-9f, 3e-9f};
        assertEquals(5e-9 / 2e-9, DeviceParityCheck.normwise(noise, other, 0), 1e-6);
        assertEquals(5e-9 / 1e-4, DeviceParityCheck.normwise(noise, other, 1e-4), 1e-9);
        assertEquals(0, DeviceParityCheck.normwise(new float[2], new float[2], 0));
        assertEquals(Double.POSITIVE_INFINITY, DeviceParityCheck.normwise(cpu, new float[2], 0));
    }

    @Test
    void cpuAgainstCpuPassesWithEveryGradientAndTheDriftColumn() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        String before = System.getProperty("autoassign.parity.sensitivity");
        System.setProperty("autoassign.parity.sensitivity", "1e-6");
        int failed;
        try {
            failed = DeviceParityCheck.run(new String[] {"autoassign_tiny_synthetic", "cpu", "2", "64x64", "1"},
                    new PrintStream(buf, true, StandardCharsets.UTF_8));
        } finally {
            if (before == null) System.clearProperty("autoassign.parity.sensitivity");
            else System.setProperty("autoassign.parity.sensitivity", before);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, failed, text);
        assertTrue(text.contains("cpu from weights x(1 +- 1.0E-6)"), text);
        assertTrue(text.matches("(?s).*\\n0 +gradients +0\\.00e\\+00 +\\S+ +\\(max \\|diff\\| / max \\|cpu\\| of each of \\d+ gradients.*"), text);
        assertTrue(text.contains("): PASS"), text);
    }

    @Test
    void verboseListsEveryGradientWithoutFailingThem() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int failed;
        System.setProperty("autoassign.parity.verbose", "true");
        try {
            failed = DeviceParityCheck.run(new String[] {"autoassign_tiny_synthetic", "cpu", "1", "64x64", "1"},
                    new PrintStream(buf, true, StandardCharsets.UTF_8));
        } finally {
            System.clearProperty("autoassign.parity.verbose");
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, failed, text);
        assertTrue(text.contains("0     gradient of bbox_head.conv_cls.weight: 0.00e+00"), text);
    }
}
