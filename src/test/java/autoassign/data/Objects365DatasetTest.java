package autoassign.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Objects365V1Dataset / V2Dataset as objects365.py: labels by ascending id (V1), patch file names and the ignore list (V2). */
class Objects365DatasetTest {
    @TempDir Path tmp;

    static final String JSON = """
            {"categories": [{"id": 9, "name": "%s"}, {"id": 2, "name": "%s"}, {"id": 5, "name": "not a class"}],
             "images": [
              {"id": 1, "width": 64, "height": 48, "file_name": "images/v2/patch16/objects365_v2_00908726.jpg"},
              {"id": 2, "width": 64, "height": 48, "file_name": "images/v2/patch3/objects365_v2_00000042.jpg"},
              {"id": 3, "width": 64, "height": 48, "file_name": "plain.jpg"}],
             "annotations": [
              {"id": 1, "image_id": 2, "category_id": 9, "bbox": [1, 2, 10, 10], "area": 100},
              {"id": 2, "image_id": 2, "category_id": 2, "bbox": [5, 5, 20, 10], "area": 200},
              {"id": 3, "image_id": 3, "category_id": 5, "bbox": [5, 5, 20, 10], "area": 200}]}
            """;

    @Test
    void v1LabelsFollowAscendingIdsWithItsDefaultClasses() throws Exception {
        Path ann = Files.writeString(tmp.resolve("v1.json"), JSON.formatted("person", "sneakers"));
        assertEquals(365, CocoSubclass.OBJECTS365_V1.classes().size());
        assertEquals("tissue ", CocoSubclass.OBJECTS365_V1.classes().get(158)); // names kept verbatim, trailing space too
        CocoDataset d = CocoSubclass.OBJECTS365_V1.load(ann, tmp, null, new DataIssues("t"));
        assertEquals(List.of("sneakers", "person"), d.categories().names()); // id 2 before id 9, whatever the file's order
        assertEquals(2, d.categories().categoryId(0));
        assertEquals(3, d.size()); // V1 keeps every image, file names as written
        assertEquals("images/v2/patch16/objects365_v2_00908726.jpg", d.get(0).fileName());
        // a plain CocoDataset labels them in the file's order
        assertEquals(List.of("person", "sneakers"), CocoDataset.load(ann, tmp, List.of("person", "sneakers"), new DataIssues("t"))
                .categories().names());
    }

    @Test
    void v2NamesImagesByPatchAndSkipsTheIgnoreList() throws Exception {
        Path ann = Files.writeString(tmp.resolve("v2.json"), JSON.formatted("Person", "Sneakers"));
        assertEquals(365, CocoSubclass.OBJECTS365_V2.classes().size());
        CocoDataset d = CocoSubclass.OBJECTS365_V2.load(ann, tmp, null, new DataIssues("t"));
        assertEquals(List.of("patch3/objects365_v2_00000042.jpg", "plain.jpg"), d.images().stream().map(ImageRecord::fileName).toList());
        assertEquals(List.of("Person", "Sneakers"), d.categories().names()); // V2: the file's order
        assertEquals(2, d.get(0).numBoxes());
        // metainfo.classes naming no category of the file: one line naming it
        DataException e = assertThrows(DataException.class,
                () -> CocoSubclass.OBJECTS365_V2.load(ann, tmp, List.of("Person", "Unicorn"), new DataIssues("t")));
        assertTrue(e.getMessage().contains("[Unicorn] are not categories"), e.getMessage());
    }

    /** From a bad-input pass: a file none of whose categories is a default class says so (was "no categories to train on"). */
    @Test
    void aFileWithoutAnyDefaultClassSaysSo() throws Exception {
        Path ann = Files.writeString(tmp.resolve("v1.json"), JSON.formatted("Person", "Sneakers")); // V2's capitalised names
        for (CocoSubclass s : List.of(CocoSubclass.OBJECTS365_V1, CocoSubclass.CITYSCAPES, CocoSubclass.DEEP_FASHION)) {
            DataException e = assertThrows(DataException.class, () -> s.load(ann, tmp, null, new DataIssues("t")));
            assertEquals(ann + ": none of its 3 categories (e.g. '" + (s == CocoSubclass.OBJECTS365_V1 ? "Sneakers" : "Person")
                    + "') is a class of " + s.type() + " (" + s.classes().size() + " classes, e.g. '" + s.classes().get(0)
                    + "'); name them in metainfo.classes", e.getMessage());
        }
    }
}
