package autoassign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code coco-errors}: the script's picture names, the json of numbers, the summary table, one-line errors. */
class CocoErrorsCommandTest {

    @TempDir
    Path tmp;

    Path gt;
    Path dets;

    /** Two cat GTs (one found, one missed), a dog GT under the same supercategory taken for a cat, a background FP. */
    @BeforeEach
    void files() throws Exception {
        gt = tmp.resolve("gt.json");
        Files.writeString(gt, """
                {"images": [{"id": 1, "file_name": "1.jpg", "width": 400, "height": 400}],
                 "categories": [{"id": 1, "name": "cat", "supercategory": "animal"},
                                {"id": 2, "name": "dog", "supercategory": "animal"},
                                {"id": 3, "name": "a/b", "supercategory": "thing"}],
                 "annotations": [
                   {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 100, 100], "area": 10000, "iscrowd": 0},
                   {"id": 2, "image_id": 1, "category_id": 1, "bbox": [200, 0, 20, 20], "area": 400, "iscrowd": 0},
                   {"id": 3, "image_id": 1, "category_id": 2, "bbox": [0, 200, 50, 50], "area": 2500, "iscrowd": 0}]}
                """);
        dets = tmp.resolve("dets.json");
        Files.writeString(dets, """
                [{"image_id": 1, "category_id": 1, "bbox": [0, 200, 50, 50], "score": 0.9},
                 {"image_id": 1, "category_id": 1, "bbox": [0, 0, 100, 100], "score": 0.8},
                 {"image_id": 1, "category_id": 1, "bbox": [300, 300, 50, 50], "score": 0.7}]
                """);
    }

    private CliRun errors(String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("--ann", gt.toString(), "--results", dets.toString()));
        args.addAll(List.of(extra));
        return CliRun.run(new CocoErrorsCommand(), args.toArray(new String[0]));
    }

    private static Set<String> files(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void writesThePicturesTheScriptNamesAndAllNumbers() throws Exception {
        Path out = tmp.resolve("out");
        CliRun r = errors("--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Set<String> expected = new TreeSet<>();
        for (String c : List.of("cat", "dog", "a_b", "allclass")) { // '/' cannot be in a file name
            for (String a : List.of("allarea", "small", "medium", "large")) {
                expected.add("bbox-" + c + "-" + a + ".png");
            }
        }
        expected.add("coco_error_analysis.json");
        assertEquals(expected, files(out.resolve("bbox")));
        BufferedImage png = ImageIO.read(out.resolve("bbox/bbox-cat-allarea.png").toFile());
        assertEquals(640, png.getWidth());
        assertEquals(480, png.getHeight());

        JsonNode j = new ObjectMapper().readTree(out.resolve("bbox/coco_error_analysis.json").toFile());
        assertEquals("[\"C75\",\"C50\",\"Loc\",\"Sim\",\"Oth\",\"BG\",\"FN\"]", j.get("types").toString());
        assertEquals("[1024,9216]", j.get("areas").get("medium").toString());
        assertEquals(101, j.get("rec_thrs").size());
        JsonNode cat = j.get("categories").get(0);
        assertEquals("cat", cat.get("name").asText());
        assertEquals("animal", cat.get("supercategory").asText());
        // dog-as-cat FP, then the big cat: precision 1/2 up to recall 1/2 (the small cat is missed) at every IoU;
        // Sim and Oth ignore the dog detection: 1 up to recall 1/2; BG the same; FN 1
        JsonNode ap = cat.get("ap").get("allarea");
        assertEquals(25.5 / 101, ap.get("C75").asDouble());
        assertEquals(25.5 / 101, ap.get("Loc").asDouble());
        assertEquals(51.0 / 101, ap.get("Sim").asDouble(), 1e-15);
        assertEquals(51.0 / 101, ap.get("Oth").asDouble(), 1e-15);
        assertEquals(51.0 / 101, ap.get("BG").asDouble());
        assertEquals(1.0, ap.get("FN").asDouble());
        assertEquals("[\"[0.252]C75\",\"[0.252]C50\",\"[0.252]Loc\",\"[0.505]Sim\",\"[0.505]Oth\",\"[0.505]BG\",\"[1.000]FN\"]",
                cat.get("legend").get("allarea").toString());
        // small: only the 400 px cat, missed; the detections are outside the range: nothing counts
        assertEquals(0.0, cat.get("ap").get("small").get("C50").asDouble());
        assertEquals(101, cat.get("precision").get("large").get("C75").size());
        assertEquals(1 / (1 + Math.ulp(1.0)), cat.get("precision").get("large").get("C75").get(0).asDouble()); // 1 TP / (1 + eps)
        assertEquals(0.0, j.get("allclass").get("ap").get("allarea").get("Oth").asDouble() * 3 - 51.0 / 101, 1e-15);

        List<String> lines = r.out().lines().toList();
        assertEquals("bbox error analysis: 1 images, 3 categories, 3 detections, areas 1024 9216 10000000000 (maxDets 100)",
                lines.get(0));
        assertEquals("category             area        C75    C50    Loc    Sim    Oth     BG     FN", lines.get(1));
        assertEquals("cat                  allarea   0.252  0.252  0.252  0.505  0.505  0.505  1.000", lines.get(6));
        assertTrue(lines.get(lines.size() - 1).contains("(16 pictures)"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void extraPlotsAndOtherAreas() throws Exception {
        Path out = tmp.resolve("out");
        CliRun r = errors("--out", out.toString(), "--extraplots", "--areas", "100", "1000", "5000");
        assertEquals(0, r.code(), r.err());
        Set<String> names = files(out.resolve("bbox"));
        assertEquals(4 * 5 + 2 + 1, names.size(), names.toString());
        for (String f : List.of("bbox-cat-ap bar plot.png", "bbox-allclass-ap bar plot.png",
                "number of annotations per area group.png", "gt annotation areas histogram plot.png")) {
            assertTrue(names.contains(f), f + " in " + names);
        }
        JsonNode j = new ObjectMapper().readTree(out.resolve("bbox/coco_error_analysis.json").toFile());
        assertEquals("[0,5000]", j.get("areas").get("allarea").toString());
        // 10000 px is above the largest area 5000: out of every range
        assertEquals("{\"all\":2,\"small\":0,\"medium\":1,\"large\":1}", j.get("gt_per_area").toString());
        assertEquals(100, j.get("gt_area_histogram").get("counts").size());
        assertTrue(r.out().contains("areas 100 1000 5000"), r.out());
    }

    @Test
    void badInputIsOneLine() throws Exception {
        Path out = tmp.resolve("out");
        String[][] cases = {
            {"--areas", "1024", "9216"},
            {"--areas", "1024", "big", "5"},
        };
        for (String[] c : cases) {
            List<String> args = new java.util.ArrayList<>(List.of("--out", out.toString()));
            args.addAll(List.of(c));
            CliRun r = errors(args.toArray(new String[0]));
            assertEquals(1, r.code(), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("error: --areas"), r.err());
        }
        Path file = Files.writeString(tmp.resolve("a_file"), "x");
        CliRun notFolder = errors("--out", file.toString());
        assertEquals(1, notFolder.code());
        assertEquals("error: " + file + ": exists and is not a folder", notFolder.err().strip());

        Files.writeString(dets, "[{\"image_id\": 1, \"category_id\": 9, \"bbox\": [0, 0, 1, 1], \"score\": 0.5}]");
        CliRun badDets = errors("--out", out.toString());
        assertEquals(1, badDets.code());
        assertEquals("error: " + dets + ": results[0]: category_id 9 is not a category of the ground truth",
                badDets.err().strip());
        assertFalse(Files.exists(out), "nothing written on bad input");

        Files.writeString(gt, "{\"images\": [], \"categories\": [], \"annotations\": []}");
        Files.writeString(dets, "[]");
        CliRun noCats = errors("--out", out.toString());
        assertEquals(1, noCats.code());
        assertEquals("error: " + gt + ": no categories to analyse", noCats.err().strip());
    }

    @Test
    void isASubcommandOfTheCli() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.execute("coco-errors", "--help"));
            assertEquals(0, Main.execute("coco-error-analysis", "--help"));
        } finally {
            System.setOut(old);
        }
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("--extraplots"), buf.toString(StandardCharsets.UTF_8));
    }
}
