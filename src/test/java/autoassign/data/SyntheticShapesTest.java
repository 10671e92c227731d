package autoassign.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The built-in synthetic COCO-format dataset. */
class SyntheticShapesTest {
    @TempDir Path tmp;

    static final SyntheticShapes.Params SMALL = SyntheticShapes.Params.defaults().withCounts(24, 6).withSides(96, 160)
            .withObjects(1, 5, 12, 60);

    @Test
    void generatesALoadableCocoDatasetWithinItsParameters() {
        SyntheticShapes.Layout l = SyntheticShapes.ensure(tmp.resolve("syn"), SMALL);
        assertTrue(Files.isRegularFile(l.trainJson()));
        assertTrue(Files.isRegularFile(l.valJson()));
        DataIssues issues = new DataIssues("syn", s -> { }, 5);
        CocoDataset train = l.train(issues), val = l.val(issues);
        assertEquals(0, issues.total());
        assertEquals(24, train.size());
        assertEquals(6, val.size());
        assertEquals(24, train.filterForTraining().size());
        assertEquals(SyntheticShapes.CLASS_NAMES.subList(0, 4), train.categories().names());
        Set<Integer> labels = new HashSet<>();
        int objects = 0;
        for (ImageRecord r : train.images()) {
            assertTrue(r.width() >= 96 && r.width() <= 160 && r.height() >= 96 && r.height() <= 160, r.toString());
            assertTrue(r.numBoxes() >= 1 && r.numBoxes() <= 5, r.toString());
            assertTrue(Files.isRegularFile(train.imagePath(r)));
            objects += r.numBoxes();
            float[] b = r.boxes();
            for (int k = 0; k < r.numBoxes(); k++) {
                float w = b[4 * k + 2] - b[4 * k], h = b[4 * k + 3] - b[4 * k + 1];
                assertTrue(w >= 12 && h >= 12 && w <= 60 && h <= 60, "object size " + w + "x" + h);
                assertTrue(b[4 * k] >= 0 && b[4 * k + 1] >= 0 && b[4 * k + 2] <= r.width() && b[4 * k + 3] <= r.height());
                labels.add(r.labels()[k]);
            }
        }
        assertTrue(objects >= 24 * 2, "objects " + objects);
        assertEquals(Set.of(0, 1, 2, 3), labels);
    }

    @Test
    void concurrentCallersAllGetTheSameCompleteDataset() throws Exception {
        // data-parallel workers (threads) and several processes may generate the same folder at once: the rename of
        // every writer but the first fails on the non-empty folder, and each then accepts the first one's dataset
        Path root = tmp.resolve("shared");
        int n = 4;
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(n);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            java.util.List<java.util.concurrent.Future<SyntheticShapes.Layout>> all = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++)
                all.add(pool.submit(() -> {
                    start.await();
                    return SyntheticShapes.ensure(root, SMALL.withCounts(6, 2));
                }));
            for (var f : all) assertEquals(root, f.get().root());
        } finally {
            pool.shutdownNow();
        }
        try (var left = Files.list(tmp)) {
            assertEquals(java.util.List.of("shared"), left.map(p -> p.getFileName().toString()).toList(), "no temporary folder left");
        }
        assertEquals(6, CocoDataset.load(SyntheticShapes.ensure(root, SMALL.withCounts(6, 2)).trainJson(), root).size());
    }

    @Test
    void isDeterministicReusedAndProtectsForeignFolders() throws Exception {
        SyntheticShapes.Layout a = SyntheticShapes.ensure(tmp.resolve("a"), SMALL.withCounts(4, 2));
        SyntheticShapes.Layout b = SyntheticShapes.ensure(tmp.resolve("b"), SMALL.withCounts(4, 2));
        assertArrayEquals(Files.readAllBytes(a.trainJson()), Files.readAllBytes(b.trainJson()));
        assertArrayEquals(Files.readAllBytes(a.imageDir().resolve("train_000003.png")), Files.readAllBytes(b.imageDir().resolve("train_000003.png")));
        long stamp = Files.getLastModifiedTime(a.trainJson()).toMillis();
        SyntheticShapes.ensure(tmp.resolve("a"), SMALL.withCounts(4, 2)); // reused, not rewritten
        assertEquals(stamp, Files.getLastModifiedTime(a.trainJson()).toMillis());
        DataException e = assertThrows(DataException.class, () -> SyntheticShapes.ensure(tmp.resolve("a"), SMALL.withCounts(5, 2)));
        assertTrue(e.getMessage().contains("other parameters"), e.getMessage());
        Files.createDirectories(tmp.resolve("foreign"));
        Files.writeString(tmp.resolve("foreign/keep.txt"), "x");
        assertThrows(DataException.class, () -> SyntheticShapes.ensure(tmp.resolve("foreign"), SMALL));
        assertTrue(Files.exists(tmp.resolve("foreign/keep.txt")));
        SyntheticShapes.Layout j = SyntheticShapes.ensure(tmp.resolve("jpg"), SMALL.withCounts(2, 1).withJpeg(true));
        assertTrue(Files.isRegularFile(j.imageDir().resolve("train_000001.jpg")));
        try (var s = Files.list(tmp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".tmp-")), "temporary folder left behind");
        }
    }
}
