package autoassign.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import autoassign.cli.CliRun;
import autoassign.cli.EvalCommand;
import autoassign.config.ConfigLoader;
import autoassign.data.CocoDataset;
import autoassign.data.ImageRecord;
import autoassign.data.SyntheticShapes;
import autoassign.eval.CocoDetections;
import autoassign.eval.CocoGroundTruth;
import autoassign.viz.BoxPainter;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code eval --config --checkpoint --show-dir DIR}: one picture per evaluated image, GT left, predictions right. */
class EvalShowDirTest {

    @TempDir
    Path tmp;

    private static CliRun eval(String... args) {
        return CliRun.run(new EvalCommand(), args);
    }

    @Test
    void writesGroundTruthAndPredictionsSideBySide() throws Exception {
        Path cfg = EvalModelCliTest.cocoStyleConfig(tmp.resolve("coco_style.yaml"), "");
        int classes = ConfigLoader.load(cfg).model().bboxHead().numClasses();
        Path data = tmp.resolve("data");
        SyntheticShapes.writeTo(data, SyntheticShapes.Params.defaults().withCounts(0, 3).withClasses(classes)
                .withSides(64, 96).withObjects(1, 2, 16, 40).withJpeg(false));
        Path ckpt = DetectorTest.writeCheckpoint(Files.createDirectories(tmp.resolve("ckpt")));
        Path show = tmp.resolve("show");
        Path dets = tmp.resolve("dets.json");

        CliRun run = eval("--config", cfg.toString(), "--checkpoint", ckpt.toString(), "--data", data.toString(),
                "--device", "cpu", "--save-results", dets.toString(), "--show-dir", show.toString(), "--show-score-thr", "0.3");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("3 pictures (ground truth | predictions with score > 0.30) -> " + show), run.out());

        Path gtFile = data.resolve("annotations/instances_val.json");
        CocoDataset ds = CocoDataset.load(gtFile, data.resolve("images"));
        List<CocoDetections.Detection> saved = CocoDetections.read(dets, CocoGroundTruth.read(gtFile)).detections();
        try (Stream<Path> files = Files.list(show)) {
            assertEquals(ds.size(), files.count(), "one picture per evaluated image");
        }
        int predictionsDrawn = 0;
        for (ImageRecord r : ds.images()) {
            BufferedImage original = ImageIO.read(ds.imagePath(r).toFile());
            BufferedImage pic = ImageIO.read(show.resolve(r.fileName()).toFile()); // the image's own name (.png)
            int w = original.getWidth(), h = original.getHeight();
            assertEquals(2 * w, pic.getWidth(), r.fileName());
            assertEquals(h, pic.getHeight(), r.fileName());
            // left: every GT box's outline in its class colour where the original had another colour
            for (int k = 0; k < r.numBoxes(); k++) {
                assertTrue(outlineDrawn(original, pic, 0, r.boxes(), k, r.labels()[k]), r.fileName() + " GT " + k);
            }
            // right: the predictions above the threshold
            List<CocoDetections.Detection> mine = saved.stream().filter(d -> d.imageId() == r.id() && (float) d.score() > 0.3f).toList();
            for (CocoDetections.Detection d : mine) {
                float[] box = {(float) d.x(), (float) d.y(), (float) (d.x() + d.w()), (float) (d.y() + d.h())};
                int label = ds.categories().labelOf(d.categoryId());
                if (outlineDrawn(original, pic, w, box, 0, label)) {
                    predictionsDrawn++;
                }
            }
            assertTrue(differing(original, pic, 0) > 0, r.fileName() + ": GT drawn on the left");
        }
        long above = saved.stream().filter(d -> (float) d.score() > 0.3f).count();
        assertTrue(above > 0, "the test checkpoint has detections above 0.3");
        // a box can hide under a later box or label tag; most outlines must still show
        assertTrue(predictionsDrawn >= (above + 1) / 2, predictionsDrawn + " of " + above + " predictions seen");

        // above every score: the right half is the untouched image, the left half still has the GT
        Path none = tmp.resolve("none");
        CliRun aboveAll = eval("--config", cfg.toString(), "--checkpoint", ckpt.toString(), "--data",
                data.toString(), "--device", "cpu", "--show-dir", none.toString(), "--show-score-thr", "1");
        assertEquals(0, aboveAll.code(), aboveAll.err());
        for (ImageRecord r : ds.images()) {
            BufferedImage original = ImageIO.read(ds.imagePath(r).toFile());
            BufferedImage pic = ImageIO.read(none.resolve(r.fileName()).toFile());
            assertEquals(0, differing(original, pic, original.getWidth()), r.fileName());
            assertTrue(differing(original, pic, 0) > 0, r.fileName());
        }
    }

    /** Pixels of the half starting at {@code x0} that differ from the original. */
    private static int differing(BufferedImage original, BufferedImage pic, int x0) {
        int n = 0;
        for (int y = 0; y < original.getHeight(); y++) {
            for (int x = 0; x < original.getWidth(); x++) {
                if ((original.getRGB(x, y) & 0xffffff) != (pic.getRGB(x0 + x, y) & 0xffffff)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Whether at least a third of box k's left edge shows its class colour in the half at {@code x0}. */
    private static boolean outlineDrawn(BufferedImage original, BufferedImage pic, int x0, float[] boxes, int k, int label) {
        int colour = BoxPainter.color(label).getRGB() & 0xffffff;
        int w = original.getWidth(), h = original.getHeight();
        int x = Math.min(Math.max(Math.round(boxes[4 * k]), 0), w - 1);
        int y1 = Math.max(Math.round(boxes[4 * k + 1]), 0), y2 = Math.min(Math.round(boxes[4 * k + 3]), h - 1);
        int hits = 0;
        for (int y = y1; y <= y2; y++) {
            if ((pic.getRGB(x0 + x, y) & 0xffffff) == colour) {
                hits++;
            }
        }
        return y2 > y1 && 3 * hits >= y2 - y1;
    }

    @Test
    void badShowOptionsAreOneLineErrors() throws Exception {
        Path file = Files.writeString(tmp.resolve("a_file.png"), "x");
        String[][] cases = {
            {"--show-dir", tmp.resolve("show").toString(), "--show-score-thr", "-0.5"},
            {"--show-dir", file.toString()},
        };
        String[] expected = {"error: --show-score-thr must be in [0, 1], got -0.5",
            "error: " + file + ": exists and is not a folder (--show-dir)"};
        for (int i = 0; i < cases.length; i++) {
            String[] args = Stream.concat(Stream.of("--config", DetectorTest.CONFIG.toString(), "--checkpoint", "none.safetensors"),
                    Stream.of(cases[i])).toArray(String[]::new);
            CliRun r = eval(args);
            assertEquals(1, r.code());
            assertEquals(expected[i], r.err().strip());
        }
        CliRun noModel = eval("--ann", "gt.json", "--results", "dets.json", "--show-dir", tmp.toString());
        assertEquals(1, noModel.code());
        assertEquals("error: --show-dir needs a model run (--config and --checkpoint)", noModel.err().strip());
        CliRun noDir = eval("--ann", "gt.json", "--results", "dets.json", "--show-score-thr", "0.5");
        assertEquals(1, noDir.code());
        assertEquals("error: --show-score-thr goes with --show-dir", noDir.err().strip());
    }
}
