package autoassign.cli;

import autoassign.GoldenFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code split-coco} writes the files MMDetection's split_coco.py writes, byte for byte (goldens/split_coco: each case's
 * outputs from a transcription of the script, scripts/goldens/split_coco.py), and refuses bad input in one line.
 */
class SplitCocoCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path tmp;

    static Stream<Arguments> cases() {
        return GoldenFiles.cases("split_coco", p -> Files.isRegularFile(p.resolve("case.json")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void outputsAreTheScriptsBytes(String name, Path folder) throws Exception {
        JsonNode spec = JSON.readTree(folder.resolve("case.json").toFile());
        String annName = spec.get("ann_file").asText();
        Path ann = annName.startsWith("../shared/") ? Path.of(annName) : folder.resolve(annName);
        Assumptions.assumeTrue(Files.isRegularFile(ann), name + ": " + ann + " not found (../shared/data absent), case skipped");
        List<String> args = new ArrayList<>(List.of("--ann-file", ann.toString(), "--out-dir", tmp.toString(),
                "--fold", spec.get("fold").asText()));
        if (!spec.get("labeled_percent").isNull()) { // null: the script's default percents
            args.add("--labeled-percent");
            spec.get("labeled_percent").forEach(p -> args.add(p.asText()));
        }
        CliRun r = CliRun.run(new SplitCocoCommand(), args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        TreeSet<String> want = new TreeSet<>();
        spec.get("sha256").fieldNames().forEachRemaining(want::add);
        TreeSet<String> got = new TreeSet<>();
        try (Stream<Path> s = Files.list(tmp)) {
            s.forEach(p -> got.add(p.getFileName().toString()));
        }
        assertEquals(want, got, "file names");
        Path expected = folder.resolve("expected");
        for (String file : want) {
            byte[] bytes = Files.readAllBytes(tmp.resolve(file));
            if (Files.isDirectory(expected))
                assertEquals(Files.readString(expected.resolve(file), StandardCharsets.ISO_8859_1), new String(bytes, StandardCharsets.ISO_8859_1), file);
            assertEquals(spec.get("sha256").get(file).asText(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)), file);
            assertTrue(r.out().contains(tmp.resolve(file) + ": "), r.out());
        }
    }

    @Test
    void summaryLinesAndDefaults() throws Exception {
        Path root = tmp.resolve("coco");
        Files.createDirectories(root.resolve("annotations"));
        Files.copy(GoldenFiles.folder("split_coco").resolve("small/instances_train2017.json"), root.resolve("annotations/instances_train2017.json"));
        Path out = tmp.resolve("semi");
        CliRun r = CliRun.run(new SplitCocoCommand(), "--data-root", root.toString(), "--out-dir", out.toString(), "--fold", "1");
        assertEquals(0, r.code(), r.err());
        // default percents 1 2 5 10 of 12 images: int(0.12), int(0.24), int(0.6), int(1.2) -> 0, 0, 0, 1 draw; the
        // defaults are ints (argparse converts only strings), so the names say @1, not @1.0, as MMDetection's semi configs
        assertTrue(r.out().contains(out.resolve("instances_train2017.1@1.json") + ": 0 images, 0 annotations"), r.out());
        assertTrue(r.out().contains(out.resolve("instances_train2017.1@1-unlabeled.json") + ": 12 images, 15 annotations"), r.out());
        assertTrue(r.out().contains(out.resolve("instances_train2017.1@10.json") + ": 1 images, "), r.out());
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(8, s.count());
        }
    }

    private CliRun run(String json, String... more) throws Exception {
        Path ann = tmp.resolve("ann.json");
        Files.writeString(ann, json, StandardCharsets.UTF_8);
        List<String> args = new ArrayList<>(List.of("--ann-file", ann.toString(), "--out-dir", tmp.resolve("out").toString()));
        args.addAll(List.of(more));
        return CliRun.run(new SplitCocoCommand(), args.toArray(String[]::new));
    }

    private void refused(String json, String message, String... more) throws Exception {
        CliRun r = run(json, more);
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().startsWith("error: ") && r.err().contains(message), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(tmp.resolve("out")), "nothing written");
    }

    private static final String TAIL = "\"licenses\": [], \"categories\": [], \"info\": {}}";

    @Test
    void badInputIsOneLineAndWritesNothing() throws Exception {
        refused("{\"images\": [{\"id\": 1}], \"annotations\": []}", "has no 'licenses' key");
        refused("{\"images\": [{\"id\": 1}], \"annotations\": [], \"licenses\": [], \"categories\": []}", "has no 'info' key");
        refused("{\"annotations\": [], " + TAIL, "has no 'images' key");
        refused("{\"images\": {}, \"annotations\": [], " + TAIL, "'images' is a dict, not a list");
        refused("{\"images\": [], " + TAIL, "has no 'annotations' key");
        refused("[1, 2]", "the top-level value is a list, not a dict");
        refused("{\"images\": [}", "invalid JSON");
        refused("{\"images\": []} x", "extra data");
        refused("", "empty document");
        refused("{\"images\": [{\"id\": 1}, [2]], \"annotations\": [{\"image_id\": 1}], " + TAIL, "images[1] is a list, not a dict", "--labeled-percent", "100", "--fold", "2");
        refused("{\"images\": [{\"file_name\": \"a\"}], \"annotations\": [], " + TAIL, "images[0] has no 'id'", "--labeled-percent", "100");
        refused("{\"images\": [{\"id\": [1]}], \"annotations\": [], " + TAIL, "images[0]['id'] is unhashable", "--labeled-percent", "100");
        refused("{\"images\": [{\"id\": 1}], \"annotations\": [{\"id\": 1}], " + TAIL, "annotations[0] has no 'image_id'");
        refused("{\"images\": [{\"id\": 1}], \"annotations\": [{\"image_id\": {}}], " + TAIL, "annotations[0]['image_id'] is unhashable");
        refused("{\"images\": [{\"id\": 1}], \"annotations\": [], " + TAIL, "negative dimensions are not allowed", "--labeled-percent", "-100");
        refused("{\"images\": [{\"id\": 1}], \"annotations\": [], " + TAIL, "cannot convert float NaN", "--labeled-percent", "nan");
        refused("{\"images\": [{\"id\": 1}], \"annotations\": [], " + TAIL, "Maximum allowed dimension exceeded", "--labeled-percent", "1e30");
        refused("{\"images\": [{\"id\": 1}], \"annotations\": [], " + TAIL, "--fold 0: must be at least 1", "--fold", "0");
        refused("{\"images\": [{\"id\": 1}], \"annotations\": [], " + TAIL, "up to 2**32 - 1", "--fold", "4294967296");
        Files.write(tmp.resolve("latin1.json"), new byte[] {'{', '"', (byte) 0xFC, '"', ':', '1', '}'});
        CliRun r = CliRun.run(new SplitCocoCommand(), "--ann-file", tmp.resolve("latin1.json").toString(), "--out-dir", tmp.resolve("out").toString());
        assertEquals("error: " + tmp.resolve("latin1.json") + ": not valid UTF-8 text (Python's json.load reads it as UTF-8)", r.err().strip());
        r = CliRun.run(new SplitCocoCommand(), "--ann-file", tmp.resolve("missing.json").toString());
        assertEquals("error: " + tmp.resolve("missing.json") + ": no such file", r.err().strip());
        r = CliRun.run(new SplitCocoCommand(), "--ann-file", tmp.resolve("missing.json").toString(), "--labeled-percent", "1f");
        assertTrue(r.err().contains("invalid float value: '1f'"), r.err());
    }

    @Test
    void sizesThatNumpyTakes() throws Exception {
        String ann = "{\"images\": [{\"id\": 1}, {\"id\": 2}, {\"id\": 3}], \"annotations\": [{\"image_id\": 2, \"id\": 5}], " + TAIL;
        // 0 % (size 0), a huge size (every image drawn long before numpy's last draw), -0.0, Python's float syntax
        CliRun r = run(ann, "--labeled-percent", "0", "1e16", "-0.0", " 3_0 ", "--fold", "1");
        assertEquals(0, r.code(), r.err());
        Path out = tmp.resolve("out");
        assertEquals("{\"images\": [], \"annotations\": [], \"licenses\": [], \"categories\": [], \"info\": {}}",
                Files.readString(out.resolve("instances_train2017.1@0.0.json")));
        assertEquals("{\"images\": [{\"id\": 1}, {\"id\": 2}, {\"id\": 3}], \"annotations\": [{\"image_id\": 2, \"id\": 5}], " + TAIL,
                Files.readString(out.resolve("instances_train2017.1@1e+16.json")));
        assertTrue(Files.exists(out.resolve("instances_train2017.1@-0.0-unlabeled.json")));
        assertTrue(Files.exists(out.resolve("instances_train2017.1@30.0.json")));
        CliRun empty = run("{\"images\": [], \"annotations\": [{\"image_id\": 2}], " + TAIL, "--fold", "1", "--labeled-percent", "50");
        assertEquals(0, empty.code(), empty.err());
        assertTrue(empty.out().contains("instances_train2017.1@50.0-unlabeled.json: 0 images, 1 annotations"), empty.out());
    }
}
