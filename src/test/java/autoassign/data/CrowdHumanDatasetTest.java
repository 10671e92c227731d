package autoassign.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CrowdHumanDataset as MMDetection reads an .odgt file: fbox corners, ignored people, names, sizes and their cache. */
class CrowdHumanDatasetTest {
    @TempDir Path tmp;

    @Test
    void readsFullBoxesIgnoresMasksAndIgnoredPeopleAndCachesTheSizes() throws Exception {
        Path root = CrowdHumanFiles.write(tmp.resolve("ch"));
        Path ann = root.resolve("annotation_val.odgt"), sizes = CrowdHumanDataset.defaultSizesFile(root, ann);
        assertEquals(root.resolve("id_hw_val.json"), sizes);
        assertEquals(root.resolve("id_hw_train.json"), CrowdHumanDataset.defaultSizesFile(root, root.resolve("annotation_train.odgt")));
        CocoDataset d = CrowdHumanDataset.load(ann, root.resolve("Images"), CrowdHumanDataset.CLASSES, sizes, new DataIssues("t"));
        assertEquals(3, d.size());
        assertEquals(List.of("person"), d.categories().names());
        ImageRecord first = d.get(0);
        assertEquals(CrowdHumanFiles.IDS[0] + ".jpg", first.fileName());
        assertEquals(CrowdHumanFiles.IDS[0], CrowdHumanDataset.name(first));
        assertEquals(96, first.width());
        assertEquals(80, first.height()); // decoded: no sizes file yet
        assertArrayEquals(new float[] {5, 10, 35, 70, 50, 8, 80, 73}, first.boxes()); // fbox [x, y, w, h] as corners
        assertArrayEquals(new float[] {0, 0, 20, 20, 70, 40, 100, 90}, first.crowdBoxes()); // the mask and the ignored person
        assertEquals(0, d.get(1).numBoxes() + d.get(1).numCrowd());
        assertEquals(1, d.get(2).numBoxes()); // an ignored head does not ignore the person
        // MMDetection's id_hw cache: {ID: [height, width]}, then read instead of the images
        assertEquals("[80,96]", new com.fasterxml.jackson.databind.ObjectMapper().readTree(sizes.toFile()).get(CrowdHumanFiles.IDS[2]).toString());
        Files.writeString(sizes, "{\"" + String.join("\": [50, 60], \"", CrowdHumanFiles.IDS) + "\": [50, 60]}");
        CocoDataset cached = CrowdHumanDataset.load(ann, root.resolve("nowhere"), CrowdHumanDataset.CLASSES, sizes, new DataIssues("t"));
        assertEquals(60, cached.get(2).width());
        assertEquals(50, cached.get(2).height());
    }

    @Test
    void badFilesAreOneLineErrors() throws Exception {
        Path root = CrowdHumanFiles.write(tmp.resolve("ch"));
        Path bad = Files.writeString(root.resolve("bad.odgt"), CrowdHumanFiles.ODGT + "{\"ID\": \"x\", \"gtboxes\": [{\"tag\": \"person\"}]}\n");
        DataException e = assertThrows(DataException.class,
                () -> CrowdHumanDataset.load(bad, root.resolve("Images"), CrowdHumanDataset.CLASSES, null, new DataIssues("t")));
        assertTrue(e.getMessage().startsWith(bad + ": line 4 (ID x), gtboxes[0]: no \"fbox\""), e.getMessage());
        Path sizes = Files.writeString(root.resolve("sizes.json"), "{\"" + CrowdHumanFiles.IDS[0] + "\": [80, 96]}");
        DataException missing = assertThrows(DataException.class, () -> CrowdHumanDataset.load(root.resolve("annotation_val.odgt"),
                root.resolve("Images"), CrowdHumanDataset.CLASSES, sizes, new DataIssues("t")));
        assertTrue(missing.getMessage().contains("no size of image " + CrowdHumanFiles.IDS[1]), missing.getMessage());
        assertEquals(1, missing.getMessage().lines().count());
    }

    /** From a bad-input pass: lines json.loads refuses are refused, each naming its line. */
    @Test
    void linesJsonLoadsRefusesAreRefused() throws Exception {
        Path root = CrowdHumanFiles.write(tmp.resolve("ch"));
        String[] lines = CrowdHumanFiles.ODGT.strip().split("\n");
        String[][] cases = { // file text, expected message after "<file>: "
            {lines[0] + " xx\n" + lines[1] + "\n", "line 1: not a json record (Unrecognized token 'xx'"},
            {lines[0] + " " + lines[1] + "\n", "line 1: not a json record (more after the record: one record per line)"},
            {lines[0] + "\n\n" + lines[1] + "\n", "line 2: a blank line, not a json record"},
            {"\n \n", "an empty file, no json record"}};
        for (String[] c : cases) {
            Path f = Files.writeString(root.resolve("case.odgt"), c[0]);
            DataException e = assertThrows(DataException.class,
                    () -> CrowdHumanDataset.load(f, root.resolve("Images"), CrowdHumanDataset.CLASSES, null, new DataIssues("t")), c[1]);
            assertTrue(e.getMessage().startsWith(f + ": " + c[1]), e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
    }

    /** From a bad-input pass: the sizes cache that cannot be written is a warning and leaves no temp file behind. */
    @Test
    void anUnwritableSizesFileLeavesNothingBehind() throws Exception {
        Path root = CrowdHumanFiles.write(tmp.resolve("ch"));
        Path sizes = Files.createDirectories(root.resolve("id_hw_val.json")); // a folder where the cache goes
        List<String> warnings = new java.util.ArrayList<>();
        CocoDataset d = CrowdHumanDataset.load(root.resolve("annotation_val.odgt"), root.resolve("Images"), CrowdHumanDataset.CLASSES,
                sizes, new DataIssues("t", warnings::add, 5));
        assertEquals(3, d.size());
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("warning: " + sizes + ": cannot save the image sizes"), warnings.toString());
        try (var files = Files.list(root)) {
            assertEquals(List.of(), files.filter(p -> p.getFileName().toString().contains(".tmp")).toList());
        }
    }
}
