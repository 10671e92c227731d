package autoassign.cli;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.train.DataSources;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code analyze-results}: images ranked by their own mAP, the best and worst drawn (analyze_results.py). */
class AnalyzeResultsCommandTest {
    @TempDir Path tmp;

    @Test
    void perfectImagesAreGoodAndEmptyOnesBad() throws Exception {
        Path data = tmp.resolve("data");
        Config cfg = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of());
        CocoDataset val = DataSources.loadTest(cfg, data.toString(), new DataIssues("test"));
        ObjectMapper json = new ObjectMapper();
        JsonNode gt = json.readTree(val.annotationFile().toFile());
        // images with an even id: every ground-truth box detected exactly; odd ids: nothing
        ArrayNode dets = json.createArrayNode();
        for (JsonNode a : gt.get("annotations")) {
            if (a.get("image_id").asLong() % 2 != 0 || a.path("iscrowd").asInt() != 0) continue;
            dets.addObject().put("image_id", a.get("image_id").asLong()).put("category_id", a.get("category_id").asLong())
                    .put("score", 0.9).set("bbox", a.get("bbox"));
        }
        Path results = tmp.resolve("dets.json");
        json.writeValue(results.toFile(), dets);
        Path dir = tmp.resolve("analysis");
        CliRun r = CliRun.run(new AnalyzeResultsCommand(), "--config", "autoassign_tiny_synthetic", "--data", data.toString(),
                "--results", results.toString(), "--out", dir.toString(), "--topk", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("best 1.000, worst 0.000; 6 pictures"), r.out());
        try (Stream<Path> good = Files.list(dir.resolve("good")); Stream<Path> bad = Files.list(dir.resolve("bad"))) {
            List<String> g = good.map(p -> p.getFileName().toString()).toList(), b = bad.map(p -> p.getFileName().toString()).toList();
            assertEquals(3, g.size());
            assertEquals(3, b.size());
            assertTrue(g.stream().allMatch(n -> n.endsWith("_1.0.png")), g.toString());
            assertTrue(b.stream().allMatch(n -> n.endsWith("_0.0.png")), b.toString());
        }
        CliRun bad = CliRun.run(new AnalyzeResultsCommand(), "--config", "autoassign_tiny_synthetic", "--results", results.toString(),
                "--out", dir.toString(), "--topk", "0");
        assertNotEquals(0, bad.code());
        assertTrue(bad.err().contains("--topk must be >= 1"), bad.err());
    }

    /**
     * analyze_results.py's choices: at most half the images each in good / bad ({@code topk = len(dataset) // 2}), the
     * pictures show the detections only ({@code draw_gt=False}: the image's own width), and a crowd box is an
     * ordinary ground truth of eval_map (the script passes {@code gt_bboxes} without {@code bboxes_ignore}).
     */
    @Test
    void topkIsHalfTheImagesPicturesArePredictionsOnlyAndCrowdBoxesCount() throws Exception {
        Path data = tmp.resolve("data");
        Config cfg = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of());
        CocoDataset val = DataSources.loadTest(cfg, data.toString(), new DataIssues("test"));
        ObjectMapper json = new ObjectMapper();
        JsonNode gt = json.readTree(val.annotationFile().toFile());
        // an even image with two boxes or more: its first box becomes a crowd region, the others are detected exactly
        java.util.Map<Long, Integer> count = new java.util.HashMap<>();
        for (JsonNode a : gt.get("annotations")) count.merge(a.get("image_id").asLong(), 1, Integer::sum);
        long crowdImage = count.entrySet().stream().filter(e -> e.getKey() % 2 == 0 && e.getValue() >= 2)
                .mapToLong(java.util.Map.Entry::getKey).min().orElseThrow();
        boolean marked = false;
        for (JsonNode a : gt.get("annotations")) {
            if (a.get("image_id").asLong() == crowdImage && !marked) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) a).put("iscrowd", 1);
                marked = true;
            }
        }
        json.writeValue(val.annotationFile().toFile(), gt);
        ArrayNode dets = json.createArrayNode();
        for (JsonNode a : gt.get("annotations")) {
            if (a.get("image_id").asLong() % 2 != 0 || a.path("iscrowd").asInt() != 0) continue;
            dets.addObject().put("image_id", a.get("image_id").asLong()).put("category_id", a.get("category_id").asLong())
                    .put("score", 0.9).set("bbox", a.get("bbox"));
        }
        Path results = tmp.resolve("dets.json");
        json.writeValue(results.toFile(), dets);
        int images = gt.get("images").size();
        Path dir = tmp.resolve("analysis");
        CliRun r = CliRun.run(new AnalyzeResultsCommand(), "--config", "autoassign_tiny_synthetic", "--data", data.toString(),
                "--results", results.toString(), "--out", dir.toString(), "--topk", String.valueOf(images));
        assertEquals(0, r.code(), r.err());
        List<Path> g, b;
        try (Stream<Path> good = Files.list(dir.resolve("good")); Stream<Path> bad = Files.list(dir.resolve("bad"))) {
            g = good.toList();
            b = bad.toList();
        }
        assertEquals(images / 2, g.size(), g.toString());
        assertEquals(images / 2, b.size(), b.toString());
        String crowdStem = null;
        int crowdWidth = 0;
        for (JsonNode im : gt.get("images")) {
            if (im.get("id").asLong() != crowdImage) continue;
            crowdStem = PictureNames.stem(im.get("file_name").asText());
            crowdWidth = im.get("width").asInt();
        }
        String prefix = crowdStem + "_";
        List<Path> drawn = Stream.concat(g.stream(), b.stream()).filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
        assertEquals(1, drawn.size(), "the image with the crowd box is drawn once: " + g + " " + b);
        String name = drawn.get(0).getFileName().toString();
        assertTrue(!name.endsWith("_1.0.png") && !name.endsWith("_0.0.png"), "its missed crowd box lowers its mAP: " + name);
        assertEquals(crowdWidth, javax.imageio.ImageIO.read(drawn.get(0).toFile()).getWidth(), "detections only, no GT half");

        // one image: topk becomes 0, and _mAPs[-0:] is every image, so the image is good and none is bad
        assertEquals(0, AnalyzeResultsCommand.shown(20, 1));
        assertEquals(0, AnalyzeResultsCommand.firstGood(0, 1));
        assertEquals(2, AnalyzeResultsCommand.shown(20, 5));
        assertEquals(3, AnalyzeResultsCommand.firstGood(2, 5));
    }

    @Test
    void pythonRounding() {
        assertEquals("0.5", AnalyzeResultsCommand.pythonRound3(0.5));
        assertEquals("0.123", AnalyzeResultsCommand.pythonRound3(0.12345));
        assertEquals("0.0", AnalyzeResultsCommand.pythonRound3(0));
        assertEquals("0.0", AnalyzeResultsCommand.pythonRound3(0.0001));
        assertEquals("0.001", AnalyzeResultsCommand.pythonRound3(0.0005)); // the double just above 0.0005 rounds up, as Python
    }
}
