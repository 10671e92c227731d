package autoassign.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import autoassign.cli.EvalCommand;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The {@code eval} command on a results file: output, json, and the one-line errors for bad input. */
class EvalCliTest {

    static final Path CASE = autoassign.GoldenFiles.folder("coco_eval").resolve("case1_tiny");

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new EvalCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    static List<String> summaryBlock(int block) throws IOException {
        List<String> lines = new ArrayList<>();
        for (String l : Files.readAllLines(CASE.resolve("summary.txt"), StandardCharsets.UTF_8)) {
            if (l.startsWith(" Average")) {
                lines.add(l);
            }
        }
        return lines.subList(12 * block, 12 * block + 12);
    }

    @Test
    void printsPycocotoolsTableAndWritesJson() throws IOException {
        Path json = tmp.resolve("sub/out.json");
        Run r = run("--ann", CASE.resolve("gt.json").toString(), "--results", CASE.resolve("dets.json").toString(),
                "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = new ArrayList<>(summaryBlock(0));
        lines.add(copypaste(lines)); // CocoMetric's line after the summary: the first six numbers, f'{v:.3f}'
        assertEquals(String.join(System.lineSeparator(), lines) + System.lineSeparator(), r.out());
        JsonNode got = new ObjectMapper().readTree(json.toFile());
        JsonNode exp = new ObjectMapper().readTree(CASE.resolve("expected.json").toFile());
        assertEquals(exp.get("names"), got.get("names"));
        for (int i = 0; i < 12; i++) {
            assertEquals(exp.get("stats").get(i).doubleValue(), got.get("stats").get(i).doubleValue(), 1e-12);
        }
        assertEquals(exp.get("per_category_AP").size(), got.get("per_category_AP").size());
        assertTrue(got.get("per_category_AP").get("2").isNull());
        assertEquals(exp.get("per_category_AP").get("1").doubleValue(),
                got.get("per_category_AP").get("1").doubleValue(), 1e-12);
        try (var s = Files.list(json.getParent())) {
            assertEquals(1, s.count(), "no temp file left behind");
        }
    }

    /** {@code bbox_mAP_copypaste: …} of a summary block: the values its first six lines end with. */
    static String copypaste(List<String> summary) {
        StringBuilder b = new StringBuilder("bbox_mAP_copypaste:");
        for (String l : summary.subList(0, 6)) b.append(' ').append(l.substring(l.lastIndexOf('=') + 2));
        return b.toString();
    }

    @Test
    void mmdetVariantAndClasswise() throws IOException {
        Run r = run("--ann", CASE.resolve("gt.json").toString(), "--results", CASE.resolve("dets.json").toString(),
                "--mmdet", "--classwise");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().split("\\R");
        assertEquals(summaryBlock(1), List.of(lines).subList(0, 12));
        assertTrue(r.out().contains("person"), r.out());
        assertTrue(r.out().contains("nan"), r.out());
        assertEquals(copypaste(summaryBlock(1)), lines[lines.length - 1]); // after the classwise table
    }

    private Path write(String name, String content) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    /** Runs eval on a bad file and checks the one-line error, exit code 1 and that no json is written. */
    private void assertOneLineError(Path gt, Path dets, Path blamed, String... fragments) {
        Path json = tmp.resolve("never.json");
        Run r = run("--ann", gt.toString(), "--results", dets.toString(), "--json", json.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), "one line: " + err);
        assertTrue(err.startsWith("error: " + blamed + ": "), err);
        for (String f : fragments) {
            assertTrue(err.contains(f), "'" + f + "' in: " + err);
        }
        assertFalse(err.contains("Exception"), err);
        assertEquals("", r.out());
        assertFalse(Files.exists(json));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown image id    | [{"image_id": 999, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}] | image_id 999
            unknown category id | [{"image_id": 78013, "category_id": 12, "bbox": [1, 2, 3, 4], "score": 0.5}] | category_id 12
            NaN width           | [{"image_id": 78013, "category_id": 1, "bbox": [1, 2, NaN, 4], "score": 0.5}] | width is NaN
            negative height     | [{"image_id": 78013, "category_id": 1, "bbox": [1, 2, 3, -4], "score": 0.5}] | negative bbox height
            NaN score           | [{"image_id": 78013, "category_id": 1, "bbox": [1, 2, 3, 4], "score": NaN}] | score is NaN
            not a list          | {"image_id": 78013, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5} | must be a JSON list
            short bbox          | [{"image_id": 78013, "category_id": 1, "bbox": [1, 2, 3], "score": 0.5}] | 4 numbers
            missing score       | [{"image_id": 78013, "category_id": 1, "bbox": [1, 2, 3, 4]}] | no "score"
            broken json         | [{"image_id": 78013, | invalid JSON
            """)
    void badResults(String name, String content, String fragment) throws IOException {
        Path dets = write("dets.json", content);
        assertOneLineError(CASE.resolve("gt.json"), dets, dets, fragment);
    }

    @Test
    void groundTruthWithoutAnnotations() throws IOException {
        Path gt = write("gt.json", "{\"images\": [{\"id\": 1}], \"categories\": [{\"id\": 1, \"name\": \"a\"}]}");
        Path dets = write("dets.json", "[]");
        assertOneLineError(gt, dets, gt, "no \"annotations\"");
    }

    @Test
    void missingFile() throws IOException {
        Path gt = tmp.resolve("nope.json");
        assertOneLineError(gt, write("dets.json", "[]"), gt, "not found");
    }

    @Test
    void emptyResultsGiveZeroAp() throws IOException {
        Run r = run("--ann", CASE.resolve("gt.json").toString(), "--results", write("dets.json", "[]").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("area=   all | maxDets=100 ] = 0.000"), r.out());
    }
}
