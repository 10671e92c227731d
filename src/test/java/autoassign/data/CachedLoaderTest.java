package autoassign.data;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loader with RTMDet's cached steps: the batches depend on the emulated MMDetection workers ({@link WorkerLayout}:
 * num_workers, persistent_workers) and on nothing else, so 0, 1 and 3 real threads give the same two epochs.
 */
class CachedLoaderTest {
    @TempDir static Path tmp;
    static CocoDataset ds;

    @BeforeAll
    static void generate() {
        ds = SyntheticShapes.ensure(tmp.resolve("syn"), SyntheticShapesTest.SMALL.withCounts(16, 2))
                .train(new DataIssues("syn", s -> { }, 5)).filterForTraining();
    }

    /** RTMDet's stage-1 steps at 48 px: CachedMosaic, RandomResize, RandomCrop (re-samples), HSV, flip, Pad, CachedMixUp. */
    static PipelineOptions rtmdet(WorkerLayout w) {
        List<Transform> steps = List.of(new CachedMosaic(new Mosaic(48, 48, 0.5, 1.5, true, 114, 1), 10, true), ResizeStep.INSTANCE,
                new RandomCrop(RandomCrop.Type.ABSOLUTE, 48, 48, false, true), new YoloxHsvRandomAug(5, 30, 30),
                RandomFlip.horizontal(0.5), new Pad(48, 48, 0, false, List.of(114.0, 114.0, 114.0)),
                new CachedMixUp(new MixUp(48, 48, 1, 1, 0.5, 114, true, 15, true), 6, true, 1.0));
        return DataLoaderTest.SMALL_PIPE.withScale(96, 96).withMultiScale(ScaleSampler.ratio(96, 96, 0.5, 2.0))
                .withTransforms(steps).withWorkerLayout(w);
    }

    /** Epochs {@code from..to} of one loader (its caches live across them). */
    private static List<List<Batch>> epochs(PipelineOptions p, int threads, int from, int to) {
        List<List<Batch>> out = new ArrayList<>();
        try (DataLoader l = new DataLoader(ds, p, LoaderOptions.train(2, 7, threads).withOpencvThreads(-1))) {
            for (int e = from; e <= to; e++) out.add(DataLoaderTest.epoch(l, e));
        }
        return out;
    }

    private static boolean same(Batch a, Batch b) {
        if (!Arrays.equals(a.shape(), b.shape()) || !Arrays.equals(a.data(), b.data()) || !a.metas().equals(b.metas())) return false;
        for (int k = 0; k < a.size(); k++)
            if (!Arrays.equals(a.targets().get(k).boxes(), b.targets().get(k).boxes())
                    || !Arrays.equals(a.targets().get(k).labels(), b.targets().get(k).labels())) return false;
        return true;
    }

    private static void assertSame(List<Batch> a, List<Batch> b, String what) {
        assertEquals(a.size(), b.size(), what);
        for (int i = 0; i < a.size(); i++) assertTrue(same(a.get(i), b.get(i)), what + ", batch " + i);
    }

    private static int firstDifference(List<Batch> a, List<Batch> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) if (!same(a.get(i), b.get(i))) return i;
        return -1;
    }

    @Test
    void twoEpochsAreTheSameForZeroOneAndThreeThreads() {
        PipelineOptions p = rtmdet(new WorkerLayout(2, true));
        List<List<Batch>> serial = epochs(p, 0, 0, 1);
        for (int threads : new int[] {1, 3}) {
            List<List<Batch>> t = epochs(p, threads, 0, 1);
            for (int e = 0; e < 2; e++) assertSame(serial.get(e), t.get(e), threads + " threads, epoch " + e);
        }
        int boxes = 0;
        for (Batch b : serial.get(1)) {
            assertEquals(48, b.metas().get(0).imgH(), "Pad to 48 x 48");
            for (int k = 0; k < b.size(); k++) boxes += b.targets().get(k).count();
        }
        assertTrue(boxes > 2 * serial.get(1).size(), "mixed images carry boxes of several images: " + boxes);
    }

    @Test
    void whatIsMixedDependsOnTheConfiguredWorkersAsInMmdetection() {
        List<List<Batch>> two = epochs(rtmdet(new WorkerLayout(2, true)), 3, 0, 1);
        List<List<Batch>> three = epochs(rtmdet(new WorkerLayout(3, true)), 3, 0, 1);
        assertTrue(same(two.get(0).get(0), three.get(0).get(0)), "batch 0 is worker 0's first under both layouts");
        int d = firstDifference(two.get(0), three.get(0));
        assertTrue(d > 0, "num_workers 2 and 3 mix different images: first difference at batch " + d);

        // persistent_workers false: every epoch starts with empty caches, which is also what a resumed run starts with
        List<List<Batch>> fresh = epochs(rtmdet(new WorkerLayout(2, false)), 1, 0, 1);
        assertSame(two.get(0), fresh.get(0), "the first epoch does not depend on persistence");
        assertTrue(firstDifference(two.get(1), fresh.get(1)) >= 0, "persistent workers keep the first epoch's caches");
        assertSame(fresh.get(1), epochs(rtmdet(new WorkerLayout(2, true)), 3, 1, 1).get(0), "a new loader starts at epoch 1 empty");

        // num_workers 0: one stream in the main process, which keeps its caches across epochs anyway
        List<List<Batch>> main = epochs(rtmdet(new WorkerLayout(0, false)), 3, 0, 1);
        assertSame(main.get(1), epochs(rtmdet(new WorkerLayout(0, true)), 0, 0, 1).get(1), "the main process is persistent");
        assertFalse(firstDifference(main.get(0), two.get(0)) < 0, "one stream differs from two");
    }

    @Test
    void aNewPipelineStartsWithEmptyCaches() {
        PipelineOptions p = rtmdet(new WorkerLayout(2, true));
        try (DataLoader l = new DataLoader(ds, p, LoaderOptions.train(2, 7, 2).withOpencvThreads(-1))) {
            DataLoaderTest.epoch(l, 0);
            l.usePipeline(p); // a pipeline-switching hook, even to equal steps: MMDetection restarts its workers
            assertSame(epochs(p, 0, 1, 1).get(0), DataLoaderTest.epoch(l, 1), "after the switch, as a new loader");
        }
    }
}
