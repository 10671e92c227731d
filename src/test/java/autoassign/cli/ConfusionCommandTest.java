package autoassign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import autoassign.viz.ConfusionMatrixPlot;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code confusion --ann --results --out}: the matrix as json and picture, and one-line errors. */
class ConfusionCommandTest {

    @TempDir
    Path tmp;

    Path gt;
    Path dets;

    @BeforeEach
    void files() throws Exception {
        gt = tmp.resolve("gt.json");
        Files.writeString(gt, """
                {"images": [{"id": 1, "file_name": "1.jpg", "width": 100, "height": 80},
                            {"id": 2, "file_name": "2.jpg", "width": 100, "height": 80}],
                 "categories": [{"id": 1, "name": "person"}, {"id": 2, "name": "bicycle"}],
                 "annotations": [
                   {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 40], "area": 800, "iscrowd": 0},
                   {"id": 2, "image_id": 1, "category_id": 2, "bbox": [50, 10, 30, 30], "area": 900, "iscrowd": 0},
                   {"id": 3, "image_id": 2, "category_id": 2, "bbox": [10, 10, 30, 30], "area": 900, "iscrowd": 0}]}
                """);
        dets = tmp.resolve("dets.json");
        Files.writeString(dets, """
                [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 40], "score": 0.9},
                 {"image_id": 1, "category_id": 1, "bbox": [50, 10, 30, 30], "score": 0.7},
                 {"image_id": 1, "category_id": 2, "bbox": [60, 60, 10, 10], "score": 0.1},
                 {"image_id": 2, "category_id": 2, "bbox": [70, 40, 20, 20], "score": 0.5}]
                """);
    }

    private static CliRun confusion(String... args) {
        return CliRun.run(new ConfusionCommand(), args);
    }

    @Test
    void writesCountsAndPicture() throws Exception {
        Path out = tmp.resolve("out");
        CliRun r = confusion("--ann", gt.toString(), "--results", dets.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        // person found; bicycle of image 1 taken for a person (and missed); the 0.1 detection left out;
        // image 2: the bicycle missed, the detection beside it a false positive
        JsonNode j = new ObjectMapper().readTree(out.resolve("confusion_matrix.json").toFile());
        assertEquals("[\"person\",\"bicycle\",\"background\"]", j.get("classes").toString());
        assertEquals("[[1,0,0],[1,0,2],[0,1,0]]", j.get("matrix").toString());
        assertEquals(2, j.get("images").asInt());
        assertEquals(0.3, j.get("score_thr").asDouble());
        assertEquals(0.5, j.get("tp_iou_thr").asDouble());
        assertTrue(j.get("nms_iou_thr").isNull());
        assertEquals("2 images, 2 classes (score >= 0.30, TP IoU >= 0.50, no extra NMS): 1 true positives, 1 class "
                + "confusions, 2 missed GTs, 1 false positives", r.out().lines().findFirst().orElseThrow());

        BufferedImage png = ImageIO.read(out.resolve("confusion_matrix.png").toFile());
        int cs = 64; // ConfusionMatrixPlot's cell size for 3 rows
        assertTrue(png.getWidth() > 3 * cs && png.getHeight() > 3 * cs, png.getWidth() + "x" + png.getHeight());
        // the picture holds the row colours: 100 % (person -> person) and 33 % (bicycle -> person)
        assertTrue(contains(png, ConfusionMatrixPlot.plasma(1.0).getRGB()), "100 % cell");
        assertTrue(contains(png, ConfusionMatrixPlot.plasma(1.0 / 3).getRGB()), "33 % cell");

        // a lower threshold lets the 0.1 detection in: one more false positive
        CliRun r2 = confusion("--ann", gt.toString(), "--results", dets.toString(), "--out",
                out.toString(), "--score-thr", "0.05", "--nms-iou-thr", "0.5");
        assertEquals(0, r2.code());
        assertEquals("[[1,0,0],[1,0,2],[0,2,0]]", new ObjectMapper().readTree(out.resolve("confusion_matrix.json").toFile())
                .get("matrix").toString());
        assertTrue(r2.out().contains("NMS IoU 0.50"), r2.out());
    }

    @Test
    void configModeReadsTheTestSetAndATestPyOutPickle() throws Exception {
        // the same ground truth as the config's val set, the detections as MMDetection's test.py --out pickle
        Path data = tmp.resolve("data");
        Files.createDirectories(data.resolve("annotations"));
        Files.createDirectories(data.resolve("images"));
        Files.copy(gt, data.resolve("annotations/instances_val.json"));
        Path cfg = autoassign.api.EvalModelCliTest.cocoStyleConfig(tmp.resolve("cfg.yaml"), "");
        Path pkl = tmp.resolve("results.pkl");
        autoassign.eval.CocoGroundTruth truth = autoassign.eval.CocoGroundTruth.read(gt);
        java.util.List<autoassign.eval.DetResultsPickle.Entry> entries = new java.util.ArrayList<>();
        for (var e : new java.util.TreeMap<>(autoassign.eval.CocoDetections.read(dets, truth).byImage()).entrySet()) {
            var d = e.getValue();
            float[] boxes = new float[4 * d.size()], scores = new float[d.size()];
            int[] labels = new int[d.size()];
            for (int i = 0; i < d.size(); i++) {
                var x = d.get(i);
                boxes[4 * i] = (float) x.x();
                boxes[4 * i + 1] = (float) x.y();
                boxes[4 * i + 2] = (float) (x.x() + x.w());
                boxes[4 * i + 3] = (float) (x.y() + x.h());
                scores[i] = (float) x.score();
                labels[i] = (int) x.categoryId() - 1; // categories 1, 2 -> classes 0, 1
            }
            var meta = new autoassign.data.ImageMeta(e.getKey(), e.getKey() + ".jpg", 0, 80, 100, 80, 100, 1, 1, false, 96, 128);
            entries.add(new autoassign.eval.DetResultsPickle.Entry(meta, e.getKey() + ".jpg", new int[] {96, 128},
                    new autoassign.postprocess.Detections(boxes, scores, labels)));
        }
        autoassign.eval.DetResultsPickle.write(pkl, entries);
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        CliRun byAnn = confusion("--ann", gt.toString(), "--results", dets.toString(), "--out", a.toString());
        CliRun byConfig = confusion("--config", cfg.toString(), "--data", data.toString(), "--cfg-options",
                "val_dataloader.dataset.metainfo={classes: [person, bicycle]},model.bbox_head.num_classes=2,train_dataloader.dataset.num_classes=2", "--results", pkl.toString(), "--out", b.toString());
        assertEquals(0, byAnn.code(), byAnn.err());
        assertEquals(0, byConfig.code(), byConfig.err() + byConfig.out());
        assertEquals(new ObjectMapper().readTree(a.resolve("confusion_matrix.json").toFile()),
                new ObjectMapper().readTree(b.resolve("confusion_matrix.json").toFile()));
        CliRun noSplit = confusion("--config", cfg.toString(), "--data", tmp.resolve("nothing").toString(), "--results",
                pkl.toString(), "--out", b.toString());
        assertEquals(1, noSplit.code());
        assertTrue(noSplit.err().startsWith("error: ") && noSplit.err().contains("no val split found"), noSplit.err());
        assertEquals(1, noSplit.err().lines().count(), noSplit.err());
        CliRun both = confusion("--ann", gt.toString(), "--config", cfg.toString(), "--results", dets.toString(), "--out", a.toString());
        assertEquals(1, both.code());
        assertTrue(both.err().contains("--ann GT.json or --config CFG (one of them)"), both.err());
    }

    private static boolean contains(BufferedImage img, int rgb) {
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xffffff) == (rgb & 0xffffff)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void badInputIsOneLine() throws Exception {
        Path out = tmp.resolve("out");
        String[][] cases = {
            {"--score-thr", "-0.1"},
            {"--tp-iou-thr", "1.5"},
            {"--nms-iou-thr", "often"},
        };
        for (String[] c : cases) {
            CliRun r = confusion("--ann", gt.toString(), "--results", dets.toString(), "--out", out.toString(), c[0], c[1]);
            assertEquals(1, r.code());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("error: " + c[0]), r.err());
        }
        Path file = Files.writeString(tmp.resolve("a_file"), "x");
        CliRun notFolder = confusion("--ann", gt.toString(), "--results", dets.toString(), "--out", file.toString());
        assertEquals(1, notFolder.code());
        assertEquals("error: " + file + ": exists and is not a folder", notFolder.err().strip());

        Files.writeString(dets, "[{\"image_id\": 9, \"category_id\": 1, \"bbox\": [0, 0, 1, 1], \"score\": 0.5}]");
        CliRun badDets = confusion("--ann", gt.toString(), "--results", dets.toString(), "--out", out.toString());
        assertEquals(1, badDets.code());
        assertEquals("error: " + dets + ": results[0]: image_id 9 is not an image of the ground truth", badDets.err().strip());
        assertFalse(Files.exists(out.resolve("confusion_matrix.json")), "nothing written on bad input");
    }

    @Test
    void isASubcommandOfTheCli() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.execute("confusion", "--help"));
        } finally {
            System.setOut(old);
        }
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("--tp-iou-thr"), buf.toString(StandardCharsets.UTF_8));
    }
}
