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
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
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
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new AnalyzeResultsCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        Path dir = tmp.resolve("analysis");
        assertEquals(0, cl.execute("--config", "autoassign_tiny_synthetic", "--data", data.toString(), "--results", results.toString(),
                "--out", dir.toString(), "--topk", "3"), err.toString());
        assertTrue(out.toString().contains("best 1.000, worst 0.000; 6 pictures"), out.toString());
        try (Stream<Path> good = Files.list(dir.resolve("good")); Stream<Path> bad = Files.list(dir.resolve("bad"))) {
            List<String> g = good.map(p -> p.getFileName().toString()).toList(), b = bad.map(p -> p.getFileName().toString()).toList();
            assertEquals(3, g.size());
            assertEquals(3, b.size());
            assertTrue(g.stream().allMatch(n -> n.endsWith("_1.0.png")), g.toString());
            assertTrue(b.stream().allMatch(n -> n.endsWith("_0.0.png")), b.toString());
        }
        StringWriter err2 = new StringWriter();
        CommandLine cl2 = new CommandLine(new AnalyzeResultsCommand());
        cl2.setErr(new PrintWriter(err2, true));
        assertNotEquals(0, cl2.execute("--config", "autoassign_tiny_synthetic", "--results", results.toString(), "--out",
                dir.toString(), "--topk", "0"));
        assertTrue(err2.toString().contains("--topk must be >= 1"), err2.toString());
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
