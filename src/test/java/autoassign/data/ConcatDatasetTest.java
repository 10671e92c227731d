package autoassign.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MMEngine's ConcatDataset as joined {@link CocoDataset}s: order, image paths, labels by class name, re-sampling per part. */
class ConcatDatasetTest {
    @TempDir Path tmp;

    private CocoDataset load(String name, String categories, String annotations) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Path json = dir.resolve("ann.json");
        Files.writeString(json, """
                {"images": [{"id": 1, "file_name": "1.png", "width": 40, "height": 40},
                            {"id": 2, "file_name": "2.png", "width": 40, "height": 40}],
                 "categories": %s, "annotations": %s}""".formatted(categories, annotations));
        return CocoDataset.load(json, dir.resolve("images"), null, new DataIssues(name, s -> { }, 5));
    }

    private static String box(int id, int image, int category, int crowd) {
        return "{\"id\": " + id + ", \"image_id\": " + image + ", \"category_id\": " + category
                + ", \"bbox\": [1, 1, 10, 10], \"area\": 100, \"iscrowd\": " + crowd + "}";
    }

    @Test
    void imagesFollowOneAnotherAndLabelsFollowTheFirstPartsClassNames() throws Exception {
        // a: cat = id 1 → label 0, dog = id 2 → label 1; b lists dog (id 1) before cat (id 7), so its own labels are swapped
        CocoDataset a = load("a", "[{\"id\": 1, \"name\": \"cat\"}, {\"id\": 2, \"name\": \"dog\"}]",
                "[" + box(1, 1, 1, 0) + ", " + box(2, 2, 2, 0) + ", " + box(3, 2, 1, 1) + "]");
        CocoDataset b = load("b", "[{\"id\": 1, \"name\": \"dog\"}, {\"id\": 7, \"name\": \"cat\"}]",
                "[" + box(1, 1, 1, 0) + ", " + box(2, 1, 7, 0) + ", " + box(3, 2, 7, 1) + "]");
        assertEquals(List.of("dog", "cat"), b.categories().names(), "b on its own: dog 0, cat 1");
        CocoDataset both = CocoDataset.concat(List.of(a, b));

        assertEquals(4, both.size());
        assertEquals(2, both.numParts());
        assertEquals(List.of(0, 2, 2, 4), List.of(both.partStart(0), both.partEnd(0), both.partStart(1), both.partEnd(1)));
        assertEquals(List.of(0, 0, 1, 1), List.of(both.partOf(0), both.partOf(1), both.partOf(2), both.partOf(3)));
        assertArrayEquals(new long[] {1, 2, 1, 2}, both.imageIds(), "ids may repeat across parts");
        assertEquals(tmp.resolve("a/images/1.png"), both.imagePath(both.get(0)));
        assertEquals(tmp.resolve("b/images/1.png"), both.imagePath(both.get(2)), "each image in its own part's folder");
        assertEquals(List.of("cat", "dog"), both.categories().names());
        assertArrayEquals(new int[] {0}, both.get(0).labels());
        assertArrayEquals(new int[] {1}, both.get(1).labels());
        assertArrayEquals(new int[] {0}, both.get(1).crowdLabels());
        assertArrayEquals(new int[] {1, 0}, both.get(2).labels(), "b's dog then cat, labelled by name as in a");
        assertArrayEquals(new int[] {0}, both.get(3).crowdLabels(), "b's crowd cat");
        assertArrayEquals(b.get(0).boxes(), both.get(2).boxes());
        assertEquals(tmp.resolve("a/ann.json") + " + " + tmp.resolve("b/ann.json"), both.annotationFile().toString());

        // a joined dataset joins again: its parts are kept
        CocoDataset three = CocoDataset.concat(List.of(both, a));
        assertEquals(3, three.numParts());
        assertEquals(4, three.partStart(2));
        assertEquals(tmp.resolve("a/images/2.png"), three.imagePath(three.get(5)));
    }

    @Test
    void otherClassNamesAreAOneLineError() throws Exception {
        CocoDataset a = load("a", "[{\"id\": 1, \"name\": \"cat\"}, {\"id\": 2, \"name\": \"dog\"}]", "[" + box(1, 1, 1, 0) + "]");
        CocoDataset b = load("b", "[{\"id\": 1, \"name\": \"cat\"}, {\"id\": 2, \"name\": \"bird\"}]", "[" + box(1, 1, 1, 0) + "]");
        String m = assertThrows(DataException.class, () -> CocoDataset.concat(List.of(a, b))).getMessage();
        assertEquals(tmp.resolve("b/ann.json") + " has the classes [cat, bird], " + tmp.resolve("a/ann.json")
                + " [cat, dog]: the datasets of a ConcatDataset need the same class names (metainfo.classes)", m);
    }

    @Test
    void theConcatenationOfEntryListsKeepsTheirOrder() {
        assertArrayEquals(new int[] {0, 1, 0, 1, 4, 5, 2}, DatasetRepeats.concat(List.of(
                DatasetRepeats.repeat(DatasetRepeats.range(0, 2), 2), DatasetRepeats.range(4, 6), new int[] {2})));
        assertArrayEquals(new int[] {3, 4}, DatasetRepeats.range(3, 5));
    }

    /**
     * MMEngine's BaseDataset re-samples from itself: an image a FilterAnnotations rejects is replaced by another image of
     * its own part. Part 0's odd images have only boxes FilterAnnotations drops; part 1's are all good.
     */
    @Test
    void aRejectedImageIsReplacedFromItsOwnPart() {
        SyntheticShapes.Layout layout = SyntheticShapes.ensure(tmp.resolve("syn"), SyntheticShapesTest.SMALL.withCounts(16, 0));
        CocoDataset all = layout.train(new DataIssues("syn", s -> { }, 5));
        List<ImageRecord> first = new ArrayList<>(), second = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            ImageRecord r = all.get(i);
            if (i < 8 && i % 2 == 1) {
                float[] b = r.boxes().clone();
                for (int k = 0; k < b.length; k += 4) b[k + 2] = b[k] + 0.5f;
                r = new ImageRecord(r.id(), r.fileName(), r.width(), r.height(), b, r.labels(), new float[0], new int[0], true);
            }
            (i < 8 ? first : second).add(r);
        }
        CocoDataset ds = CocoDataset.concat(List.of(all.subset(first), all.subset(second)));
        PipelineOptions p = DataLoaderTest.SMALL_PIPE.withTransforms(List.of(new FilterAnnotations(1, 1, true), ResizeStep.INSTANCE));
        int replaced = 0;
        try (DataLoader l = new DataLoader(ds, p, LoaderOptions.train(2, 3, 0).withOpencvThreads(-1))) {
            List<Integer> planned = new ArrayList<>();
            for (int[] b : l.sampler().batches(0)) for (int i : b) planned.add(i);
            List<Integer> delivered = new ArrayList<>();
            for (Batch b : DataLoaderTest.epoch(l, 0)) for (ImageMeta m : b.metas()) delivered.add(m.datasetIndex());
            assertEquals(planned.size(), delivered.size());
            for (int k = 0; k < planned.size(); k++) {
                assertEquals(ds.partOf(planned.get(k)), ds.partOf(delivered.get(k)), "position " + k + ": " + planned.get(k)
                        + " replaced by " + delivered.get(k));
                assertFalse(delivered.get(k) < 8 && delivered.get(k) % 2 == 1, "a rejected image was delivered");
                if (!planned.get(k).equals(delivered.get(k))) replaced++;
            }
        }
        assertEquals(4, replaced, "each of part 0's four rejected images was replaced");
    }
}
