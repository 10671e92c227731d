package autoassign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import autoassign.data.ImageMeta;
import autoassign.eval.CocoGroundTruth;
import autoassign.eval.DetResultsPickle;
import autoassign.postprocess.Detections;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fuse-results A B --ann GT}: the fused detections written and scored exactly as {@code eval} scores the written
 * file, the options of fuse_results.py, a pickle input, and one-line errors.
 */
class FuseResultsCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    Path gt, a, b;

    @BeforeEach
    void files() throws Exception {
        gt = Files.writeString(tmp.resolve("gt.json"), """
                {"images": [{"id": 1, "file_name": "1.jpg", "width": 100, "height": 80},
                            {"id": 2, "file_name": "2.jpg", "width": 100, "height": 80}],
                 "categories": [{"id": 1, "name": "person"}, {"id": 2, "name": "bicycle"}],
                 "annotations": [
                   {"id": 1, "image_id": 1, "category_id": 1, "bbox": [12, 10, 40, 40], "area": 1600, "iscrowd": 0},
                   {"id": 2, "image_id": 2, "category_id": 2, "bbox": [60, 50, 20, 20], "area": 400, "iscrowd": 0},
                   {"id": 3, "image_id": 2, "category_id": 1, "bbox": [5, 5, 30, 30], "area": 900, "iscrowd": 0}]}
                """);
        a = Files.writeString(tmp.resolve("a.json"), """
                [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 40, 40], "score": 0.9},
                 {"image_id": 2, "category_id": 2, "bbox": [60, 50, 20, 20], "score": 0.6}]
                """);
        b = Files.writeString(tmp.resolve("b.json"), """
                [{"image_id": 1, "category_id": 1, "bbox": [14, 10, 40, 40], "score": 0.9},
                 {"image_id": 2, "category_id": 1, "bbox": [5, 5, 30, 30], "score": 0.5}]
                """);
    }

    private static CliRun fuse(String... args) {
        return CliRun.run(new FuseResultsCommand(), args);
    }

    /** The 12 lines of a COCOeval summary, the {@code block}-th of {@code out}. */
    private static List<String> table(String out, int block) {
        List<String> lines = out.lines().filter(l -> l.startsWith(" Average")).toList();
        assertTrue(lines.size() >= 12 * (block + 1), out);
        return lines.subList(12 * block, 12 * block + 12);
    }

    @Test
    void writesTheFusedResultsAndPrintsTheirCocoTable() throws Exception {
        Path outDir = tmp.resolve("out");
        CliRun r = fuse(a.toString(), b.toString(), "--ann", gt.toString(), "--save-fusion-results", "--out-dir",
                outDir.toString(), "--eval-single");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        Path written = outDir.resolve("fusion_results.json");
        JsonNode j = JSON.readTree(written.toFile());
        assertEquals(3, j.size(), j.toString());
        // image 1: the two person boxes (IoU 0.82) averaged, avg score over 2 models = 0.9 (float32)
        expect(j.get(0), 1, 1, new double[] {12, 10, 40, 40}, 0.9f);
        // image 2: each box found by one model only: score halved; labels in the order met, then by score.
        // The box stays [60, 50, 20, 20]: fuse_results.py's feeding of [x, y, w, h] as corners would swap it to [20, 20, 60, 50]
        expect(j.get(1), 2, 2, new double[] {60, 50, 20, 20}, 0.3f);
        expect(j.get(2), 2, 1, new double[] {5, 5, 30, 30}, 0.25f);

        // the printed tables: each input, then the fusion; each what `eval --ann --results` prints for that file
        assertTrue(r.out().contains("Evaluate model_0 (" + a + ")..."), r.out());
        assertTrue(r.out().contains("Evaluate model_1 (" + b + ")..."), r.out());
        assertTrue(r.out().contains("Fusion results have been saved to " + written + "."), r.out());
        assertEquals(table(eval(a), 0), table(r.out(), 0));
        assertEquals(table(eval(b), 0), table(r.out(), 1));
        assertEquals(table(eval(written), 0), table(r.out(), 2));
        assertEquals(36, r.out().lines().filter(l -> l.startsWith(" Average")).count(), r.out());
        assertTrue(table(r.out(), 2).get(0).endsWith("= 1.000"), "every GT found by the fusion: " + table(r.out(), 2));
        assertFalse(table(r.out(), 0).get(0).endsWith("= 1.000"), "model_0 alone misses a GT");

        // without --save-fusion-results nothing is written, and the table is the same
        Path other = tmp.resolve("other");
        CliRun unsaved = fuse(a.toString(), b.toString(), "--ann", gt.toString(), "--out-dir", other.toString());
        assertEquals(0, unsaved.code(), unsaved.err());
        assertFalse(Files.exists(other));
        assertEquals(table(r.out(), 2), table(unsaved.out(), 0));
        assertFalse(unsaved.out().contains("Evaluate model_0"));
    }

    @Test
    void weightsConfTypeNamesAndAPickleInput() throws Exception {
        Path bPkl = pickle(b, tmp.resolve("b.pkl"));
        Path outDir = tmp.resolve("out");
        CliRun r = fuse(a.toString(), bPkl.toString(), "--annotation", gt.toString(), "--weights", "2", "1",
                "--conf-type", "max", "--models-name", "first", "second", "--eval-single", "--save-fusion-results",
                "--out-dir", outDir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Evaluate second (" + bPkl + ")..."), r.out());
        JsonNode j = JSON.readTree(outDir.resolve("fusion_results.json").toFile());
        assertEquals(3, j.size(), j.toString());
        // max: the best weighted score over the largest weight; the box leans to the heavier model: x1 = (1.8*10 + 0.9*14) / 2.7
        assertEquals(0.9f, (float) j.get(0).get("score").asDouble());
        assertEquals(34 / 3.0, j.get(0).get("bbox").get(0).asDouble(), 1e-4);
        assertEquals(0.6f, (float) j.get(1).get("score").asDouble());
        assertEquals(0.25f, (float) j.get(2).get("score").asDouble());
        assertEquals(table(eval(outDir.resolve("fusion_results.json")), 0), table(r.out(), 2));
    }

    @Test
    void configModeScoresTheTestSet() throws Exception {
        Path data = tmp.resolve("data");
        Files.createDirectories(data.resolve("annotations"));
        Files.createDirectories(data.resolve("images"));
        Files.copy(gt, data.resolve("annotations/instances_val.json"));
        Path cfg = autoassign.api.EvalModelCliTest.cocoStyleConfig(tmp.resolve("cfg.yaml"), "");
        Path bPkl = pickle(b, tmp.resolve("b.pkl"));
        CliRun byAnn = fuse(a.toString(), bPkl.toString(), "--ann", gt.toString(), "--save-fusion-results", "--out-dir",
                tmp.resolve("x").toString());
        CliRun byConfig = fuse(a.toString(), bPkl.toString(), "--config", cfg.toString(), "--data", data.toString(),
                "--cfg-options", "val_dataloader.dataset.metainfo={classes: [person, bicycle]},model.bbox_head.num_classes=2,"
                        + "train_dataloader.dataset.num_classes=2", "--save-fusion-results", "--out-dir", tmp.resolve("y").toString());
        assertEquals(0, byAnn.code(), byAnn.err());
        assertEquals(0, byConfig.code(), byConfig.err() + byConfig.out());
        assertEquals(JSON.readTree(tmp.resolve("x/fusion_results.json").toFile()),
                JSON.readTree(tmp.resolve("y/fusion_results.json").toFile()));
        assertEquals(table(byAnn.out(), 0), table(byConfig.out(), 0));
    }

    @Test
    void scoreZeroClustersAreLeftOutWithAWarning() throws Exception {
        // two overlapping score-0 boxes fuse into a NaN box (their score sum is 0), as in MMDetection
        Path za = Files.writeString(tmp.resolve("za.json"), """
                [{"image_id": 1, "category_id": 2, "bbox": [70, 10, 20, 20], "score": 0.0},
                 {"image_id": 1, "category_id": 1, "bbox": [10, 10, 40, 40], "score": 0.9}]
                """);
        Path zb = Files.writeString(tmp.resolve("zb.json"), """
                [{"image_id": 1, "category_id": 2, "bbox": [71, 10, 20, 20], "score": 0.0}]
                """);
        Path outDir = tmp.resolve("out");
        CliRun r = fuse(za.toString(), zb.toString(), "--ann", gt.toString(), "--save-fusion-results", "--out-dir", outDir.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("warning: 1 fused boxes are NaN (clusters of score-0 boxes) and are left out; --skip-box-thr above 0 "
                + "avoids them", r.err().strip());
        JsonNode j = JSON.readTree(outDir.resolve("fusion_results.json").toFile());
        assertEquals(1, j.size(), j.toString());
        assertEquals(0.45f, (float) j.get(0).get("score").asDouble());
    }

    @Test
    void badInputIsOneLine() throws Exception {
        Path outDir = tmp.resolve("out");
        Path c = Files.writeString(tmp.resolve("c.json"), """
                [{"image_id": 9, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.5}]
                """);
        Path aFile = Files.writeString(tmp.resolve("a_file"), "x");
        String[][] cases = {
            {"--weights 1", "error: --weights: 1 weights for 2 results files"},
            {"--weights 1 0", "error: --weights must be positive numbers, got [1.0, 0.0]"},
            {"--conf-type median", "error: --conf-type must be avg, max, box_and_model_avg or absent_model_aware_avg, got 'median'"},
            {"--fusion-iou-thr 1.5", "error: --fusion-iou-thr must be in [0, 1], got 1.5"},
            {"--skip-box-thr 2", "error: --skip-box-thr must be in [0, 1], got 2.0"},
            {"--models-name one", "error: --models-name: 1 names for 2 results files"},
            {"--out-dir " + aFile, "error: " + aFile + ": exists and is not a folder"},
        };
        for (String[] k : cases) {
            List<String> args = new java.util.ArrayList<>(List.of(a.toString(), b.toString(), "--ann", gt.toString(),
                    "--save-fusion-results"));
            if (!k[0].startsWith("--out-dir")) args.addAll(List.of("--out-dir", outDir.toString()));
            args.addAll(List.of(k[0].split(" ")));
            CliRun r = fuse(args.toArray(String[]::new));
            assertEquals(1, r.code(), k[0]);
            assertEquals(k[1], r.err().strip(), k[0]);
            assertEquals(1, r.err().lines().count(), r.err());
        }
        // a results file of other images than the annotation file's
        CliRun otherImages = fuse(a.toString(), c.toString(), "--ann", gt.toString(), "--save-fusion-results", "--out-dir",
                outDir.toString());
        assertEquals(1, otherImages.code());
        assertEquals("error: " + c + ": results[0]: image_id 9 is not an image of the ground truth", otherImages.err().strip());
        CliRun noGt = fuse(a.toString(), b.toString());
        assertEquals(1, noGt.code());
        assertEquals("error: give the ground truth as --ann GT.json or --config CFG (one of them)", noGt.err().strip());
        CliRun missing = fuse(a.toString(), tmp.resolve("none.json").toString(), "--ann", gt.toString());
        assertEquals(1, missing.code());
        assertEquals("error: " + tmp.resolve("none.json") + ": file not found", missing.err().strip());
        assertFalse(Files.exists(outDir), "nothing written on bad input");
    }

    @Test
    void isASubcommandOfTheCli() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.execute("fuse-results", "--help"));
        } finally {
            System.setOut(old);
        }
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("--conf-type"), buf.toString(StandardCharsets.UTF_8));
    }

    private static void expect(JsonNode d, long image, long category, double[] box, float score) {
        assertEquals(image, d.get("image_id").asLong(), d.toString());
        assertEquals(category, d.get("category_id").asLong(), d.toString());
        for (int k = 0; k < 4; k++) assertEquals(box[k], d.get("bbox").get(k).asDouble(), 1e-4, d.toString());
        assertEquals(score, (float) d.get("score").asDouble(), d.toString());
        assertEquals((double) score, d.get("score").asDouble(), "a float32 score, widened: " + d);
    }

    /** {@code eval --ann GT --results FILE}'s output. */
    private String eval(Path results) {
        CliRun r = CliRun.run(new EvalCommand(), "--ann", gt.toString(), "--results", results.toString());
        assertEquals(0, r.code(), r.err());
        return r.out();
    }

    /** The results json as MMDetection's test.py --out pickle (labels: category id - 1, the GT's file order). */
    private Path pickle(Path json, Path out) throws Exception {
        var byImage = new java.util.TreeMap<>(autoassign.eval.CocoDetections.read(json, CocoGroundTruth.read(gt)).byImage());
        List<DetResultsPickle.Entry> entries = new java.util.ArrayList<>();
        for (long id : new long[] {1, 2}) { // every image of the test set, with or without detections
            var d = byImage.getOrDefault(id, List.of());
            float[] boxes = new float[4 * d.size()], scores = new float[d.size()];
            int[] labels = new int[d.size()];
            for (int i = 0; i < d.size(); i++) {
                var x = d.get(i);
                boxes[4 * i] = (float) x.x();
                boxes[4 * i + 1] = (float) x.y();
                boxes[4 * i + 2] = (float) (x.x() + x.w());
                boxes[4 * i + 3] = (float) (x.y() + x.h());
                scores[i] = (float) x.score();
                labels[i] = (int) x.categoryId() - 1;
            }
            var meta = new ImageMeta(id, id + ".jpg", 0, 80, 100, 80, 100, 1, 1, false, 96, 128);
            entries.add(new DetResultsPickle.Entry(meta, id + ".jpg", new int[] {96, 128}, new Detections(boxes, scores, labels)));
        }
        DetResultsPickle.write(out, entries);
        return out;
    }
}
