package autoassign.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import autoassign.eval.CocoFormatException;
import autoassign.eval.LvisGroundTruth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LvisDataset} (MMDetection's LVISV1Dataset / LVISV05Dataset) and the LVIS keys of {@link LvisGroundTruth}. */
class LvisDatasetTest {
    @TempDir Path tmp;

    private static final List<String> CLASSES = List.of(LvisFiles.NAMES);

    @Test
    void v1NamesImagesByCocoUrlAndLabelsCategoriesInFileOrder() throws Exception {
        Path root = LvisFiles.write(tmp);
        List<String> sink = new ArrayList<>();
        CocoDataset d = LvisDataset.load(root.resolve("annotations/lvis_v1_val.json"), root, LvisDataset.Version.V1, CLASSES,
                new DataIssues("x", sink::add, 5));
        assertEquals(List.of("val2017/000000000011.jpg", "val2017/000000000005.jpg", "val2017/000000000008.jpg"),
                d.images().stream().map(ImageRecord::fileName).toList());
        assertTrue(Files.isRegularFile(d.imagePath(d.get(0))));
        assertArrayEquals(LvisFiles.CATEGORY_IDS, d.categories().ids(), "cat2label over get_cat_ids(): the file's order");
        assertArrayEquals(new int[] {0, 2}, d.get(0).labels());
        assertArrayEquals(new float[] {10, 10, 50, 40, 50, 50, 80, 90}, d.get(0).boxes());
        assertEquals(0, d.get(2).numBoxes());
        assertEquals(2, d.filter(true, 0).size(), "filter_empty_gt drops image 8");
        assertEquals(List.of(), sink);
    }

    @Test
    void v05NamesImagesByFileNameCutToCoco2017Names() throws Exception {
        Path ann = Files.writeString(tmp.resolve("v05.json"), LvisFiles.JSON
                .replace("\"coco_url\": \"http://images.cocodataset.org/val2017/000000000011.jpg\"", "\"file_name\": \"COCO_val2014_000000000011.jpg\"")
                .replace("\"coco_url\": \"http://images.cocodataset.org/val2017/000000000005.jpg\"", "\"file_name\": \"000000000005.jpg\"")
                .replace("\"coco_url\": \"http://images.cocodataset.org/val2017/000000000008.jpg\"", "\"file_name\": \"other/8.jpg\""));
        CocoDataset d = LvisDataset.load(ann, tmp, LvisDataset.Version.of("LVISDataset"), CLASSES, new DataIssues("x"));
        assertEquals(List.of("000000000011.jpg", "000000000005.jpg", "other/8.jpg"), d.images().stream().map(ImageRecord::fileName).toList());
        DataException noName = assertThrows(DataException.class,
                () -> LvisDataset.load(ann, tmp, LvisDataset.Version.V1, CLASSES, new DataIssues("x")));
        assertEquals(ann + ": images[0] (id 11): no \"coco_url\" (LVISV1Dataset names its images by it)", noName.getMessage());
    }

    @Test
    void defaultClassesAreLvisPysAndMustNameEveryCategory() throws Exception {
        List<String> v1 = LvisDataset.Version.V1.classes(), v05 = LvisDataset.Version.V05.classes();
        assertEquals(1203, v1.size());
        assertEquals(1230, v05.size());
        assertEquals(List.of("aerosol_can", "zucchini"), List.of(v1.get(0), v1.get(1202)));
        assertEquals(List.of("acorn", "zucchini"), List.of(v05.get(0), v05.get(1229)));
        assertEquals(1203, Set.copyOf(v1).size());
        Path root = LvisFiles.write(tmp);
        Path ann = root.resolve("annotations/lvis_v1_val.json");
        DataException e = assertThrows(DataException.class, () -> LvisDataset.load(ann, root, LvisDataset.Version.V1, null, new DataIssues("x")));
        assertEquals(ann + ": 4 categories, but 1203 classes (LVIS lvis_v1): MMDetection's LVIS datasets label every category of "
                + "the file in its order, so the classes must name each of them", e.getMessage());
        List<String> sink = new ArrayList<>();
        CocoDataset renamed = LvisDataset.load(ann, root, LvisDataset.Version.V1, List.of("a", "b", "c", "d"),
                new DataIssues("x", sink::add, 5));
        assertEquals(List.of("a", "b", "c", "d"), renamed.categories().names());
        assertEquals(List.of("warning: lvis_v1_val.json: category 3 is 'cat_c3' but class 0 is 'a' (labels follow the file's categories)"), sink);
    }

    @Test
    void classBalancedDatasetRepeatsImagesOfRareCategories() throws Exception {
        Path root = LvisFiles.write(tmp);
        CocoDataset d = LvisDataset.load(root.resolve("annotations/lvis_v1_val.json"), root, LvisDataset.Version.V1, CLASSES,
                new DataIssues("x"));
        // each category is on 1 of 3 images: f = 1/3, r = max(1, sqrt(thr / f)); thr 0.75: sqrt(2.25) = 1.5 -> twice
        assertArrayEquals(new double[] {1.5, 1.5, 1.0}, DatasetRepeats.repeatFactors(d, DatasetRepeats.identity(3), 0.75), 1e-12);
        assertArrayEquals(new int[] {0, 0, 1, 1, 2}, DatasetRepeats.classBalanced(d, DatasetRepeats.identity(3), 0.75));
        assertArrayEquals(new int[] {0, 1, 2}, DatasetRepeats.classBalanced(d, DatasetRepeats.identity(3), 1e-3));
    }

    @Test
    void groundTruthKeepsThePerImageListsAndFrequencies() throws Exception {
        Path root = LvisFiles.write(tmp);
        LvisGroundTruth gt = LvisGroundTruth.read(root.resolve("annotations/lvis_v1_val.json"));
        assertEquals(Set.of(1L, 3L), gt.negative().get(5L));
        assertEquals(Set.of(7L), gt.notExhaustive().get(11L));
        assertEquals(Set.of(), gt.notExhaustive().get(8L));
        assertEquals('r', gt.frequency().get(1L));
        assertEquals(4, gt.coco().annotations().size());

        Path noNeg = Files.writeString(tmp.resolve("a.json"), LvisFiles.JSON.replace("\"neg_category_ids\": [1, 3], ", ""));
        CocoFormatException e = assertThrows(CocoFormatException.class, () -> LvisGroundTruth.read(noNeg));
        assertTrue(e.oneLine().endsWith("images[1] (id 5) has no \"neg_category_ids\" (an LVIS ground truth lists it for every image)"),
                e.oneLine());
        Path badFreq = Files.writeString(tmp.resolve("b.json"), LvisFiles.JSON.replace("\"frequency\": \"r\"", "\"frequency\": \"x\""));
        e = assertThrows(CocoFormatException.class, () -> LvisGroundTruth.read(badFreq));
        assertTrue(e.oneLine().endsWith("categories[1] (id 1) has frequency 'x': LVIS needs 'r', 'c' or 'f' for APr / APc / APf"),
                e.oneLine());
        // from a bad-input pass: a frequency that is no string says so (it read "has no frequency")
        Path numFreq = Files.writeString(tmp.resolve("c.json"), LvisFiles.JSON.replace("\"frequency\": \"r\"", "\"frequency\": 1"));
        e = assertThrows(CocoFormatException.class, () -> LvisGroundTruth.read(numFreq));
        assertTrue(e.oneLine().endsWith("categories[1] (id 1) has a \"frequency\" that is a number: LVIS needs 'r', 'c' or 'f' for"
                + " APr / APc / APf"), e.oneLine());
    }
}
