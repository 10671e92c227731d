package autoassign.data;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CachedMosaic / CachedMixUp by hand, one virtual worker fed images 0, 1, 2, ... in order: what the cache holds after each
 * image (size limit, first-in-first-out pop with random_pop false, the newest never popped), and when the input passes
 * through unchanged (MMDetection's {@code len(results_cache) <= 4} / {@code <= 1}).
 */
class CachedStepsTest {
    @TempDir static Path tmp;
    static CocoDataset ds;

    @BeforeAll
    static void generate() {
        ds = SyntheticShapes.ensure(tmp.resolve("syn"), SyntheticShapesTest.SMALL.withCounts(12, 2))
                .train(new DataIssues("syn", s -> { }, 5)).filterForTraining();
    }

    private static Pipeline pipeline(Transform... steps) {
        return new Pipeline(DataLoaderTest.SMALL_PIPE.withScale(64, 64).withTransforms(List.of(steps)));
    }

    private static PreparedImage run(Pipeline p, int i, StepCaches c) throws BadImageException {
        return p.prepare(ds, i, SampleDraws.of(3, 0, i), c);
    }

    private static boolean same(PreparedImage a, PreparedImage b) {
        return Arrays.equals(a.pixels(), b.pixels()) && Arrays.equals(a.gt().boxes(), b.gt().boxes())
                && Arrays.equals(a.gt().labels(), b.gt().labels()) && a.meta().imgH() == b.meta().imgH() && a.meta().imgW() == b.meta().imgW();
    }

    private static List<Integer> range(int from, int to) { return IntStream.rangeClosed(from, to).boxed().toList(); }

    @Test
    void cachedMosaicPassesTheFirstFourImagesOnAndPopsTheOldestWithoutRandomPop() throws Exception {
        Pipeline cached = pipeline(new CachedMosaic(new Mosaic(48, 48, 0.5, 1.5, true, 114, 1), 5, false), ResizeStep.INSTANCE);
        Pipeline plain = pipeline(ResizeStep.INSTANCE);
        StepCaches c = new StepCaches(cached.options().transforms());
        for (int i = 0; i < 9; i++) {
            PreparedImage out = run(cached, i, c);
            assertEquals(range(Math.max(0, i - 4), i), c.at(0).datasetIndexes(), "after image " + i);
            boolean unchanged = same(out, run(plain, i, null));
            assertEquals(i < 4, unchanged, "image " + i + ": the cache holds " + (Math.min(i, 4) + 1));
            if (!unchanged) assertEquals(out.meta().imgH(), out.meta().imgW(), "a square 96 x 96 mosaic resized to 64");
        }
    }

    @Test
    void randomPopKeepsTheLimitAndTheNewestAndWithFourCachedImagesNothingIsEverMixed() throws Exception {
        Pipeline cached = pipeline(new CachedMosaic(new Mosaic(48, 48, 0.5, 1.5, true, 114, 1), 4, true), ResizeStep.INSTANCE);
        Pipeline plain = pipeline(ResizeStep.INSTANCE);
        StepCaches c = new StepCaches(cached.options().transforms());
        boolean notFifo = false;
        for (int i = 0; i < 12; i++) {
            PreparedImage out = run(cached, i, c);
            List<Integer> held = c.at(0).datasetIndexes();
            assertEquals(Math.min(i + 1, 4), held.size());
            assertEquals(i, held.get(held.size() - 1), "randint(0, len - 1) never pops the entry just added");
            notFifo |= !held.equals(range(Math.max(0, i - 3), i));
            // after the pop the cache holds <= 4 results, so MMDetection's CachedMosaic returns every input unchanged
            assertTrue(same(out, run(plain, i, null)), "image " + i);
        }
        assertTrue(notFifo, "random_pop pops other entries than the oldest");
    }

    @Test
    void cachedMixUpMixesFromTheSecondImageOnAndProbZeroOnlyFillsTheCache() throws Exception {
        MixUp geometry = new MixUp(64, 64, 1, 1, 1.0, 114, true, 15, true); // no jitter, never flipped
        Pipeline cached = pipeline(ResizeStep.INSTANCE, new CachedMixUp(geometry, 3, false, 1.0));
        Pipeline plain = pipeline(ResizeStep.INSTANCE);
        StepCaches c = new StepCaches(cached.options().transforms());
        PreparedImage first = run(cached, 0, c);
        assertTrue(same(first, run(plain, 0, null)), "one cached result: unchanged");
        PreparedImage second = run(cached, 1, c), own = run(plain, 1, null);
        assertFalse(same(second, own), "two cached results: mixed with the first (randint(0, 1) = 0)");
        int[] labels = second.gt().labels(), ownLabels = own.gt().labels(), otherLabels = first.gt().labels();
        assertArrayEquals(ownLabels, Arrays.copyOf(labels, ownLabels.length), "its own boxes first");
        List<Integer> rest = new ArrayList<>();
        for (int k = ownLabels.length; k < labels.length; k++) rest.add(labels[k]);
        assertTrue(!rest.isEmpty() && rest.size() <= otherLabels.length, "then the first image's boxes: " + rest);
        run(cached, 2, c);
        run(cached, 3, c);
        assertEquals(List.of(1, 2, 3), c.at(1).datasetIndexes(), "max_cached_images 3, the oldest popped");

        Pipeline never = pipeline(ResizeStep.INSTANCE, new CachedMixUp(geometry, 3, false, 0.0));
        StepCaches n = new StepCaches(never.options().transforms());
        for (int i = 0; i < 5; i++) assertTrue(same(run(never, i, n), run(plain, i, null)), "prob 0, image " + i);
        assertEquals(List.of(2, 3, 4), n.at(1).datasetIndexes(), "prob is drawn after caching: the cache fills anyway");
    }

    @Test
    void withoutCachesACachedStepChangesNothingAndMmdetsAssertsHold() throws Exception {
        Pipeline cached = pipeline(new CachedMosaic(Mosaic.defaults(), 40, true), ResizeStep.INSTANCE, CachedMixUp.defaults());
        assertTrue(same(cached.prepare(ds, 2, SampleDraws.of(0, 0, 2)), run(pipeline(ResizeStep.INSTANCE), 2, null)),
                "browse and benchmarks: a fresh cache holds only the image itself");
        assertThrows(IllegalArgumentException.class, () -> new CachedMosaic(Mosaic.defaults(), 3, true));
        assertThrows(IllegalArgumentException.class, () -> new CachedMixUp(MixUp.defaults(), 1, true, 1));
        assertThrows(IllegalArgumentException.class, () -> new CachedMixUp(MixUp.defaults(), 20, true, 1.5));
    }
}
