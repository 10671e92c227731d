package autoassign.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** COCO json parsing, AA_1 §2 annotation rules, §3 training filter, bad json. */
class CocoJsonTest {
    @TempDir Path tmp;
    final List<String> log = new ArrayList<>();

    private DataIssues issues() { return new DataIssues("test", log::add, 100); }

    private Path write(String json) throws IOException {
        Path p = tmp.resolve("instances.json");
        Files.writeString(p, json.replace('\'', '"'));
        return p;
    }

    private static final String CATS = "'categories': [{'id': 18, 'name': 'dog'}, {'id': 1, 'name': 'person'}, {'id': 3, 'name': 'car'}]";

    @Test
    void parsesBoxesLabelsCrowdAndMapsCategories() throws IOException {
        Path p = write("{'info': {'x': [1, 2, {'y': null}]}, 'images': ["
                + "{'id': 7, 'file_name': 'a.jpg', 'width': 640, 'height': 480, 'license': 3},"
                + "{'id': 8, 'file_name': 'b.jpg', 'width': 100, 'height': 31},"
                + "{'id': 9, 'file_name': 'c.jpg', 'width': 200, 'height': 200},"
                + "{'id': 10, 'file_name': 'd.jpg', 'width': 300, 'height': 200}],"
                + "'annotations': ["
                + "{'id': 1, 'image_id': 7, 'category_id': 18, 'bbox': [1.08, 187.69, 611.59, 285.84], 'area': 5.0, 'iscrowd': 0,"
                + "  'segmentation': [[1, 2, 3, 4, 5, 6]]},"
                + "{'id': 2, 'image_id': 7, 'category_id': 1, 'bbox': [10, 20, 30, 40], 'area': 5.0, 'iscrowd': 1, 'segmentation': {'counts': [1, 2], 'size': [480, 640]}},"
                + "{'id': 3, 'image_id': 7, 'category_id': 3, 'bbox': [600, 400, 100, 200], 'area': 5.0, 'iscrowd': 0},"
                + "{'id': 4, 'image_id': 7, 'category_id': 3, 'bbox': [5, 5, 10, 10], 'area': 5.0, 'iscrowd': 0, 'ignore': 1},"
                + "{'id': 5, 'image_id': 8, 'category_id': 1, 'bbox': [0, 0, 10, 10], 'area': 50, 'iscrowd': 0},"
                + "{'id': 6, 'image_id': 9, 'category_id': 1, 'bbox': [0, 0, 10, 10], 'area': 50, 'iscrowd': 1}"
                + "], " + CATS + "}");
        CocoDataset ds = CocoDataset.load(p, tmp, null, issues());
        // labels in the file's order of categories, as MMDetection's get_cat_ids (pycocotools: [18, 1, 3] here)
        assertEquals(List.of("dog", "person", "car"), ds.categories().names());
        assertEquals(3, ds.numClasses());
        assertEquals(1, ds.categories().labelOf(1));
        assertEquals(0, ds.categories().labelOf(18));
        assertEquals(-1, ds.categories().labelOf(2));
        assertEquals(3, ds.categories().categoryId(2));
        assertEquals(4, ds.size());

        ImageRecord a = ds.get(0);
        assertEquals(7, a.id());
        // xywh -> x1y1x2y2, sum in double then cast; box 3 extends past the image and is NOT clipped
        assertArrayEquals(new float[] {1.08f, 187.69f, (float) (1.08 + 611.59), (float) (187.69 + 285.84), 600, 400, 700, 600}, a.boxes());
        assertArrayEquals(new int[] {0, 2}, a.labels());
        assertArrayEquals(new float[] {10, 20, 40, 60}, a.crowdBoxes());
        assertArrayEquals(new int[] {1}, a.crowdLabels());
        assertTrue(log.isEmpty(), () -> "unexpected warnings " + log);

        // training filter: b.jpg too small (31 < 32), c.jpg only crowd -> kept with 0 GTs, d.jpg no annotations -> dropped
        CocoDataset train = ds.filterForTraining();
        assertEquals(List.of(7L, 9L), train.images().stream().map(ImageRecord::id).toList());
        assertEquals(0, train.get(1).numBoxes());
        assertEquals(1, train.get(1).numCrowd());
    }

    @Test
    void badBoxesAndDanglingReferencesAreWarnedCountedAndSkipped() throws IOException {
        Path p = write("{'images': [{'id': 1, 'file_name': 'a.jpg', 'width': 100, 'height': 100},"
                + "{'id': 2, 'file_name': 'dup.jpg', 'width': 100, 'height': 100}, {'id': 1, 'file_name': 'again.jpg', 'width': 10, 'height': 10},"
                + "{'id': 3, 'width': 10, 'height': 10}],"
                + "'annotations': ["
                + "{'id': 10, 'image_id': 1, 'category_id': 1, 'bbox': [10, 10, 0, 5], 'area': 0, 'iscrowd': 0},"     // zero width
                + "{'id': 11, 'image_id': 1, 'category_id': 1, 'bbox': [10, 10, -4, 5], 'area': 20, 'iscrowd': 0},"    // negative
                + "{'id': 12, 'image_id': 1, 'category_id': 1, 'bbox': [10, 10, 0.5, 5], 'area': 2, 'iscrowd': 0},"   // w < 1
                + "{'id': 13, 'image_id': 1, 'category_id': 1, 'bbox': [10, 10, 5, 5], 'area': 0, 'iscrowd': 0},"     // area 0
                + "{'id': 14, 'image_id': 1, 'category_id': 1, 'bbox': [150, 10, 20, 20], 'area': 400, 'iscrowd': 0}," // outside
                + "{'id': 15, 'image_id': 1, 'category_id': 1, 'bbox': [100, 10, 20, 20], 'area': 400, 'iscrowd': 0}," // touches edge only
                + "{'id': 16, 'image_id': 99, 'category_id': 1, 'bbox': [1, 1, 20, 20], 'area': 400, 'iscrowd': 0},"  // unknown image
                + "{'id': 17, 'image_id': 1, 'category_id': 5, 'bbox': [1, 1, 20, 20], 'area': 400, 'iscrowd': 0},"   // unknown category
                + "{'id': 18, 'image_id': 1, 'category_id': 1, 'bbox': [1, 1, 20], 'area': 400},"                     // malformed bbox
                + "{'id': 19, 'image_id': 1, 'category_id': 1, 'bbox': [1, 1, 20, 20], 'area': 400, 'iscrowd': 0}"    // good
                + "], 'categories': [{'id': 1, 'name': 'thing'}]}");
        DataIssues is = issues();
        CocoDataset ds = CocoDataset.load(p, tmp, null, is);
        assertEquals(2, ds.size());
        assertArrayEquals(new float[] {1, 1, 21, 21}, ds.get(0).boxes());
        assertEquals(4, is.count(DataIssue.BOX_EMPTY));
        assertEquals(2, is.count(DataIssue.BOX_OUTSIDE));
        assertEquals(1, is.count(DataIssue.ANNOTATION_UNKNOWN_IMAGE));
        assertEquals(1, is.count(DataIssue.ANNOTATION_UNKNOWN_CATEGORY));
        assertEquals(1, is.count(DataIssue.ANNOTATION_INVALID));
        assertEquals(1, is.count(DataIssue.IMAGE_ID_DUPLICATE));
        assertEquals(1, is.count(DataIssue.IMAGE_RECORD_INVALID));
        // image 1 is the later record 'again.jpg' (10 x 10), as pycocotools indexes a repeated id
        assertEquals("again.jpg", ds.get(0).fileName());
        assertTrue(log.stream().anyMatch(l -> l.contains("annotation 14") && l.contains("again.jpg") && l.contains("outside")), () -> String.join("\n", log));
        assertTrue(log.stream().anyMatch(l -> l.contains("annotation 16") && l.contains("unknown image id 99")), () -> String.join("\n", log));
        assertTrue(log.stream().anyMatch(l -> l.contains("annotation 17") && l.contains("unknown category id 5")), () -> String.join("\n", log));
        // exactly one summary line, logged by load()
        List<String> summaries = log.stream().filter(l -> l.startsWith("WARN data: test: ")).toList();
        assertEquals(1, summaries.size(), () -> String.join("\n", log));
        assertTrue(summaries.get(0).contains("4 boxes skipped (zero or negative size"), summaries.get(0));
        assertEquals(null, is.summarize()); // nothing new
    }

    @Test
    void warningsAreRateLimitedButAllCounted() throws IOException {
        StringBuilder anns = new StringBuilder();
        for (int i = 0; i < 50; i++)
            anns.append(i == 0 ? "" : ",").append("{'id': ").append(i).append(", 'image_id': 1, 'category_id': 1, 'bbox': [0, 0, 0, 0], 'area': 0}");
        Path p = write("{'images': [{'id': 1, 'file_name': 'a.jpg', 'width': 100, 'height': 100}], 'annotations': [" + anns
                + "], 'categories': [{'id': 1, 'name': 'thing'}]}");
        List<String> lines = new ArrayList<>();
        DataIssues is = new DataIssues("x", lines::add, 5);
        CocoDataset.load(p, tmp, null, is);
        assertEquals(50, is.count(DataIssue.BOX_EMPTY));
        assertEquals(5 + 1 + 1, lines.size(), () -> String.join("\n", lines)); // 5 warnings, "only counted", summary
    }

    @Test
    void classSubsetByName() throws IOException {
        Path p = write("{'images': [{'id': 1, 'file_name': 'a.jpg', 'width': 100, 'height': 100},"
                + "{'id': 2, 'file_name': 'b.jpg', 'width': 100, 'height': 100}], 'annotations': ["
                + "{'id': 1, 'image_id': 1, 'category_id': 18, 'bbox': [0, 0, 10, 10], 'area': 100},"
                + "{'id': 2, 'image_id': 2, 'category_id': 1, 'bbox': [0, 0, 10, 10], 'area': 100},"
                + "{'id': 3, 'image_id': 2, 'category_id': 3, 'bbox': [0, 0, 20, 20], 'area': 400}], " + CATS + "}");
        // the file's order, whatever the order of the names (pycocotools getCatIds(catNms=[car, dog]) is [18, 3] too)
        CocoDataset ds = CocoDataset.load(p, tmp, List.of("car", "dog"), issues());
        assertEquals(List.of("dog", "car"), ds.categories().names());
        assertArrayEquals(new int[] {0}, ds.get(0).labels());
        assertArrayEquals(new int[] {1}, ds.get(1).labels());
        assertArrayEquals(new float[] {0, 0, 20, 20}, ds.get(1).boxes());
        assertTrue(log.isEmpty(), () -> String.join("\n", log));
        DataException e = assertThrows(DataException.class, () -> CocoDataset.load(p, tmp, List.of("cat"), issues()));
        assertTrue(e.getMessage().contains("[cat]"), e.getMessage());
    }

    @Test
    void unreadableJsonIsOneLineFatalError() throws IOException {
        Path p = write("{'images': [{'id': 1, 'file_name': 'a.jpg', 'width': 100 'height': 100}], 'categories': []}");
        DataException e = assertThrows(DataException.class, () -> CocoDataset.load(p, tmp, null, issues()));
        assertTrue(e.getMessage().startsWith(p + ": malformed JSON at line 1, column"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());

        Path truncated = write("{'images': [{'id': 1, 'file_name': 'a.jpg', 'width': 100, 'height': 100}], 'annotations': [{'id': 1,");
        e = assertThrows(DataException.class, () -> CocoDataset.load(truncated, tmp, null, issues()));
        assertTrue(e.getMessage().contains("malformed JSON"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());

        Path missing = tmp.resolve("nope.json");
        e = assertThrows(DataException.class, () -> CocoDataset.load(missing, tmp, null, issues()));
        assertEquals(missing + ": annotation file not found", e.getMessage());

        Path noImages = write("{'annotations': [], 'categories': [{'id': 1, 'name': 'a'}]}");
        e = assertThrows(DataException.class, () -> CocoDataset.load(noImages, tmp, null, issues()));
        assertTrue(e.getMessage().endsWith("no 'images' array)"), e.getMessage());

        Path array = write("[1, 2]");
        e = assertThrows(DataException.class, () -> CocoDataset.load(array, tmp, null, issues()));
        assertTrue(e.getMessage().contains("top level is not a JSON object"), e.getMessage());

        Path noCats = write("{'images': [], 'categories': []}");
        e = assertThrows(DataException.class, () -> CocoDataset.load(noCats, tmp, null, issues()));
        assertTrue(e.getMessage().contains("no categories"), e.getMessage());
    }

    @Test
    void annotationsBeforeImagesAndAreaDefault() throws IOException {
        Path p = write("{'annotations': [{'image_id': 4, 'category_id': 2, 'bbox': [1, 2, 3, 4]}],"
                + "'categories': [{'id': 2, 'name': 'x'}], 'images': [{'id': 4, 'file_name': 'z.png', 'width': 50.0, 'height': 40}]}");
        CocoJson json = CocoJson.read(p, issues());
        assertEquals(1, json.numAnnotations());
        assertEquals(12.0, json.annotationArea(0), 0); // w*h when 'area' is absent
        assertEquals(new CocoJson.Image(4, "z.png", 50, 40), json.images().get(0));
        CocoDataset ds = CocoDataset.fromJson(json, tmp, null, issues());
        assertArrayEquals(new float[] {1, 2, 4, 6}, ds.get(0).boxes());
    }
}
