package autoassign.data;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real 128-image COCO subset in ../shared/data/coco128 (skipped when absent). */
class Coco128Test {
    /** AA_6 §1: the 80 COCO category ids in label order. */
    static final long[] COCO_IDS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31,
            32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
            64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90};

    @Test
    void trainSplitCountsFilterAndCategoryMapping() {
        Path root = SharedData.coco128();
        List<String> log = new ArrayList<>();
        DataIssues issues = new DataIssues("coco128", log::add, 5);
        CocoDataset ds = CocoDataset.load(root.resolve("annotations/instances_train.json"), root.resolve("images"), null, issues);
        assertEquals(103, ds.size());
        assertEquals(80, ds.numClasses());
        assertArrayEquals(COCO_IDS, ds.categories().ids());
        for (int k = 0; k < 80; k++) {
            assertEquals(k, ds.categories().labelOf(ds.categories().categoryId(k)), "round trip label " + k);
            assertEquals(COCO_IDS[k], ds.categories().categoryId(k));
        }
        assertEquals("person", ds.categories().name(0));
        assertEquals("toothbrush", ds.categories().name(79));
        assertEquals(-1, ds.categories().labelOf(12));
        int boxes = 0, crowd = 0;
        for (ImageRecord r : ds.images()) { boxes += r.numBoxes(); crowd += r.numCrowd(); }
        assertEquals(817, boxes);
        assertEquals(9, crowd);
        assertEquals(0, issues.total(), () -> String.join("\n", log));
        // AA_1 §3: the two images without annotations (250, 508) are dropped, every other image is kept
        CocoDataset train = ds.filterForTraining();
        assertEquals(101, train.size());
        assertTrue(train.images().stream().noneMatch(r -> r.id() == 250 || r.id() == 508));
        ImageRecord first = train.get(0);
        assertEquals(9, first.id());
        assertEquals("000000000009.jpg", first.fileName());
        assertEquals(1.08f, first.boxes()[0], 0f);
        assertEquals((float) (187.69 + 285.84), first.boxes()[3], 0f);
        assertEquals(ds.categories().labelOf(51), first.labels()[0]);
    }

    @Test
    void valSplitIsNotFiltered() {
        Path root = SharedData.coco128();
        CocoDataset ds = CocoDataset.load(root.resolve("annotations/instances_val.json"), root.resolve("images"), null,
                new DataIssues("coco128-val", s -> { }, 5));
        assertEquals(25, ds.size());
        int boxes = 0;
        for (ImageRecord r : ds.images()) boxes += r.numBoxes() + r.numCrowd();
        assertEquals(113, boxes);
    }

    @Test
    void loaderRunsAnEpochOverCoco128WithoutIssues() {
        Path root = SharedData.coco128();
        List<String> log = new ArrayList<>();
        CocoDataset ds = CocoDataset.load(root.resolve("annotations/instances_train.json"), root.resolve("images"), null,
                new DataIssues("coco128", log::add, 5)).filterForTraining();
        // a smaller scale keeps the test fast; the full-scale pipeline is the benchmark's job
        try (DataLoader loader = new DataLoader(ds, PipelineOptions.cocoTrain().withScale(320, 192), LoaderOptions.train(2, 7, 2))) {
            int images = 0, batches = 0;
            var it = loader.epoch(0);
            while (it.hasNext()) {
                Batch b = it.next();
                batches++;
                images += b.size();
                assertEquals(0, b.height() % 32);
                assertEquals(0, b.width() % 32);
                for (int i = 0; i < b.size(); i++) {
                    ImageMeta m = b.metas().get(i);
                    assertTrue(m.imgW() <= 320 && m.imgH() <= 320 && Math.min(m.imgW(), m.imgH()) <= 192, m.toString());
                    GroundTruth gt = b.targets().get(i);
                    for (int k = 0; k < gt.boxes().length; k += 4) {
                        assertTrue(gt.boxes()[k] >= 0 && gt.boxes()[k + 2] <= m.imgW() && gt.boxes()[k] < gt.boxes()[k + 2]);
                        assertTrue(gt.boxes()[k + 1] >= 0 && gt.boxes()[k + 3] <= m.imgH() && gt.boxes()[k + 1] < gt.boxes()[k + 3]);
                    }
                }
            }
            assertEquals(101, images);
            assertEquals(51, batches);
            assertEquals(0, ds.issues().total(), () -> String.join("\n", log));
        }
    }
}
