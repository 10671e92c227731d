package autoassign.cli;

import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import autoassign.model.Complexity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code flops}: get_flops.py's report for the tiny config, from a shape and from dataset images. */
class FlopsCommandTest {
    static final Path TINY = Path.of("configs/autoassign_tiny_synthetic.yaml");

    @TempDir Path tmp;

    static AutoAssignDetector tinyModel() { return new AutoAssignDetector(ConfigLoader.load(TINY).model(), 0); }

    @Test
    void shapeIsPaddedToTheSizeDivisorAndReported() {
        CliRun r = CliRun.run(new FlopsCommand(), "--config", "autoassign_tiny_synthetic", "--shape", "250", "300");
        assertEquals(0, r.code(), r.err());
        AutoAssignDetector m = tinyModel();
        String flops = ComplexityTable.formatSize(Complexity.flops(m, 256, 320).total());
        String params = ComplexityTable.formatSize(m.parameterCount());
        List<String> expected = List.of(
                "==============================",
                "Use size divisor set input shape from (250, 300) to (256, 320)",
                "==============================",
                "Compute type: direct: randomly generate a picture",
                "Input shape: (256, 320)",
                "Flops: " + flops,
                "Params: " + params,
                "==============================");
        assertEquals(expected, r.out().lines().limit(expected.size()).toList(), r.out());
        assertTrue(r.out().contains("By operator: conv "), r.out());
        assertTrue(r.out().contains("group_norm "), r.out());
        assertEquals("0.313G 0.823M", flops + " " + params, "the tiny model at 256×320");
    }

    @Test
    void oneValueIsASquareAlreadyDivisible() {
        CliRun r = CliRun.run(new FlopsCommand(), "--config", TINY.toString(), "--shape", "256");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("==============================\nCompute type: direct"), r.out());
        assertTrue(r.out().contains("Input shape: (256, 256)\nFlops: "
                + ComplexityTable.formatSize(Complexity.flops(tinyModel(), 256, 256).total()) + "\n"), r.out());
    }

    @Test
    void datasetImagesAreResizedPaddedAndAveraged() throws IOException {
        Path data = tmp.resolve("data");
        Files.createDirectories(data.resolve("images"));
        Files.createDirectories(data.resolve("annotations"));
        // (h, w): 100×200 → 128×256; 200×100 → 256×128; 150×150 → 256×256 (scale 256, keep ratio; pad 32)
        Files.writeString(data.resolve("annotations/instances_val.json"), """
                {"images": [{"id": 1, "file_name": "a.png", "width": 200, "height": 100},
                            {"id": 2, "file_name": "b.png", "width": 100, "height": 200},
                            {"id": 3, "file_name": "c.png", "width": 150, "height": 150}],
                 "annotations": [],
                 "categories": [{"id": 1, "name": "red_circle"}, {"id": 2, "name": "green_square"},
                                {"id": 3, "name": "blue_triangle"}, {"id": 4, "name": "yellow_diamond"}]}
                """);
        Path cfg = autoassign.api.EvalModelCliTest.cocoStyleConfig(tmp.resolve("coco_style.yaml"), "");
        AutoAssignDetector m = tinyModel();
        long a = Complexity.flops(m, 128, 256).total(), b = Complexity.flops(m, 256, 128).total();
        long c = Complexity.flops(m, 256, 256).total();

        CliRun all = CliRun.run(new FlopsCommand(), "--config", cfg.toString(), "--data", data.toString());
        assertEquals(0, all.code(), all.err());
        assertTrue(all.out().contains("Use size divisor set input shape from (150, 150) to (256, 256)\n"), all.out());
        assertTrue(all.out().contains("Compute type: dataloader: load a picture from the dataset\nInput shape: (256, 256)\n"
                + "Flops: " + ComplexityTable.formatSize((a + b + c) / 3) + "\n"), all.out());
        assertTrue(all.out().contains("Mean of 3 val images; by operator for the last one: conv "), all.out());

        CliRun two = CliRun.run(new FlopsCommand(), "--config", cfg.toString(), "--data", data.toString(), "--num-images", "2");
        assertEquals(0, two.code(), two.err());
        assertTrue(two.out().contains("from (200, 100) to (256, 128)\n"), two.out());
        assertTrue(two.out().contains("Flops: " + ComplexityTable.formatSize((a + b) / 2) + "\n"), two.out());
    }

    @Test
    void perModuleTable() {
        CliRun r = CliRun.run(new FlopsCommand(), "--config", "autoassign_tiny_synthetic", "--shape", "256", "--per-module",
                "--max-depth", "2");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("| module")).findFirst().orElseThrow());
        assertTrue(lines.get(header + 1).startsWith("|:----"), lines.get(header + 1));
        assertTrue(lines.get(header + 2).startsWith("| model "), lines.get(header + 2));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("|  backbone ")), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("|   bbox_head.conv_cls ")), r.out());
        assertTrue(lines.stream().noneMatch(l -> l.contains("bbox_head.cls_convs.0")), "depth 2 only: " + r.out());
    }

    @Test
    void badInputIsAOneLineError() {
        CliRun missing = CliRun.run(new FlopsCommand(), "--config", tmp.resolve("missing.yaml").toString(), "--shape", "64");
        assertEquals(1, missing.code());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertTrue(missing.err().startsWith("error: ") && missing.err().contains("missing.yaml"), missing.err());
        assertEquals("", missing.out());

        CliRun zero = CliRun.run(new FlopsCommand(), "--config", "autoassign_tiny_synthetic", "--num-images", "0");
        assertEquals(1, zero.code());
        assertEquals("error: --num-images must be >= 1, got 0", zero.err().strip());

        CliRun shape = CliRun.run(new FlopsCommand(), "--config", "autoassign_tiny_synthetic", "--shape", "0", "64");
        assertEquals(1, shape.code());
        assertEquals("error: --shape values must be >= 1, got [0, 64]", shape.err().strip());

        CliRun key = CliRun.run(new FlopsCommand(), "--config", "autoassign_tiny_synthetic", "--shape", "64",
                "--cfg-options", "model.neck.out_channels=-3");
        assertEquals(1, key.code());
        assertTrue(key.err().startsWith("error: ") && key.err().strip().lines().count() == 1, key.err());
    }
}
