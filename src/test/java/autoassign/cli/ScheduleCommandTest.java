package autoassign.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code schedule}: the learning rate of every iteration of the tiny config (LinearLR to 100, MultiStepLR [8, 11]). */
class ScheduleCommandTest {
    static final String CONFIG = "autoassign_tiny_synthetic"; // 320 images, batch 4, 12 epochs, lr 0.01

    @TempDir Path tmp;

    private int schedule(StringWriter so, StringWriter se, String... args) {
        CliRun r = CliRun.run(new ScheduleCommand(), args);
        so.write(r.out());
        se.write(r.err());
        return r.code();
    }

    @Test
    void listsEveryIterationAndPlotsIt() throws Exception {
        StringWriter so = new StringWriter(), se = new StringWriter();
        Path csv = tmp.resolve("lr.csv"), png = tmp.resolve("lr.png");
        assertEquals(0, schedule(so, se, CONFIG, "--data", tmp.resolve("data").toString(), "--csv", csv.toString(),
                "--out", png.toString()), se.toString());
        String text = so.toString();
        assertTrue(text.contains("320 images, 1 GPU(s) × batch 4: 80 iterations an epoch, 960 in all"), text);
        List<String> lines = Files.readAllLines(csv);
        assertEquals(961, lines.size());
        assertEquals("1,1,1.0E-5", lines.get(1), "warm-up from 0.001 × lr");
        assertEquals(0.01, rate(lines, 100), 1e-15, "warm-up ends at iteration 100");
        assertEquals(0.01, rate(lines, 640), 1e-15, "the 8th epoch's last iteration");
        assertEquals(0.001, rate(lines, 641), 1e-15, "epoch 9");
        assertEquals(1e-4, rate(lines, 960), 1e-16, "epoch 12");
        assertTrue(text.contains("9       641-720"), text);
        assertNotNull(ImageIO.read(png.toFile()));
    }

    @Test
    void gpusSplitTheImagesAndAutoScaleTheRate() {
        StringWriter so = new StringWriter(), se = new StringWriter();
        assertEquals(0, schedule(so, se, CONFIG, "--dataset-size", "1001", "--gpus", "2",
                "--cfg-options", "auto_scale_lr.enable=true", "auto_scale_lr.base_batch_size=4"), se.toString());
        assertTrue(so.toString().contains("1,001 images, 2 GPU(s) × batch 4: 126 iterations an epoch, 1,512 in all; lr 0.02000 = 0.01000 × 8/4"),
                so.toString());
    }

    @Test
    void badOptionsAreOneLineErrors() {
        StringWriter so = new StringWriter(), se = new StringWriter();
        assertNotEquals(0, schedule(so, se, CONFIG, "--gpus", "0"));
        assertEquals(1, se.toString().strip().lines().count(), se.toString());
        StringWriter se2 = new StringWriter();
        assertNotEquals(0, schedule(new StringWriter(), se2, CONFIG, "--dataset-size", "10", "--cfg-options",
                "param_scheduler=[{type: CosineAnnealingLR, eta_min: 0.1, eta_min_ratio: 0.1}]"));
        assertTrue(se2.toString().contains("give either eta_min or eta_min_ratio"), se2.toString());
    }

    private static double rate(List<String> csv, int iteration) {
        String[] f = csv.get(iteration).split(",");
        assertEquals(Integer.toString(iteration), f[0]);
        return Double.parseDouble(f[2]);
    }
}
