package autoassign.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CityscapesDataset's filter_data (crowd-only images dropped with filter_empty_gt) and DeepFashionDataset's classes. */
class CityscapesDatasetTest {
    @TempDir Path tmp;

    static final String JSON = """
            {"categories": [{"id": 24, "name": "person"}, {"id": 26, "name": "car"}, {"id": 1, "name": "road"}],
             "images": [
              {"id": 1, "width": 64, "height": 48, "file_name": "a.png"},
              {"id": 2, "width": 64, "height": 48, "file_name": "b.png"},
              {"id": 3, "width": 64, "height": 48, "file_name": "c.png"},
              {"id": 4, "width": 20, "height": 48, "file_name": "d.png"}],
             "annotations": [
              {"id": 1, "image_id": 1, "category_id": 24, "bbox": [1, 2, 10, 10], "area": 100},
              {"id": 2, "image_id": 2, "category_id": 26, "bbox": [5, 5, 20, 10], "area": 200, "iscrowd": 1},
              {"id": 3, "image_id": 3, "category_id": 1, "bbox": [5, 5, 20, 10], "area": 200},
              {"id": 4, "image_id": 4, "category_id": 26, "bbox": [5, 5, 10, 10], "area": 100}]}
            """;

    @Test
    void filterEmptyGtAlsoDropsCrowdOnlyImages() throws Exception {
        Path ann = Files.writeString(tmp.resolve("instancesonly_filtered_gtFine_val.json"), JSON);
        CocoDataset d = CocoSubclass.CITYSCAPES.load(ann, tmp, null, new DataIssues("t"));
        assertEquals(List.of("person", "car"), d.categories().names()); // of its 8 classes, those in the file, in its order
        List<Long> ids = CocoSubclass.CITYSCAPES.filter(d, true, 32).images().stream().map(ImageRecord::id).toList();
        assertEquals(List.of(1L), ids); // 2: crowd only, 3: no class, 4: narrower than 32
        assertEquals(List.of(1L, 2L), d.filter(true, 32).images().stream().map(ImageRecord::id).toList()); // CocoDataset keeps 2
        assertEquals(List.of(1L, 2L, 3L), CocoSubclass.CITYSCAPES.filter(d, false, 32).images().stream().map(ImageRecord::id).toList());
    }

    @Test
    void deepFashionHasItsFifteenClasses() throws Exception {
        assertEquals(15, CocoSubclass.DEEP_FASHION.classes().size());
        Path ann = Files.writeString(tmp.resolve("df.json"), JSON.replace("\"person\"", "\"top\"").replace("\"car\"", "\"face\""));
        CocoDataset d = CocoSubclass.DEEP_FASHION.load(ann, tmp, null, new DataIssues("t"));
        assertEquals(List.of("top", "face"), d.categories().names());
        assertEquals(CocoSubclass.DEEP_FASHION, CocoSubclass.of("DeepFashionDataset"));
        assertEquals(null, CocoSubclass.of("CocoDataset"));
    }
}
