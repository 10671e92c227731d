package autoassign.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AA_1 §8 sampling: epoch-seeded shuffle, rank sharding, aspect-ratio batching. */
class BatchSamplerTest {
    static int[] widths(int n) {
        int[] w = new int[n];
        for (int i = 0; i < n; i++) w[i] = i % 3 == 0 ? 480 : 640;
        return w;
    }

    static int[] heights(int n) {
        int[] h = new int[n];
        Arrays.fill(h, 500);
        return h;
    }

    @Test
    void shuffleIsAFunctionOfSeedAndEpoch() {
        BatchSampler a = new BatchSampler(widths(50), heights(50), 2, true, 3, 0, 1, true, false);
        BatchSampler b = new BatchSampler(widths(50), heights(50), 2, true, 3, 0, 1, true, false);
        assertArrayEquals(a.indices(4), b.indices(4));
        assertFalse(Arrays.equals(a.indices(4), a.indices(5)));
        int[] sorted = a.indices(4).clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 50; i++) assertEquals(i, sorted[i]);
        BatchSampler seq = new BatchSampler(widths(5), heights(5), 2, false, 3, 0, 1, false, false);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, seq.indices(9));
        assertEquals(List.of("[0, 1]", "[2, 3]", "[4]"), seq.batches(0).stream().map(Arrays::toString).toList());
    }

    @Test
    void shardsAreDisjointPaddedAndCoverEverything() {
        int n = 21, world = 4;
        Set<Integer> seen = new HashSet<>();
        int total = 0;
        for (int r = 0; r < world; r++) {
            int[] idx = new BatchSampler(widths(n), heights(n), 2, true, 11, r, world, true, false).indices(2);
            assertEquals(6, idx.length); // ceil(21 / 4)
            total += idx.length;
            for (int i : idx) seen.add(i);
        }
        assertEquals(24, total);
        assertEquals(n, seen.size());
    }

    /**
     * MMEngine's DefaultSampler with round_up (mmengine/dataset/sampler.py): {@code (indices * k)[:total_size]} pads
     * with the list's first indices, then rank r takes {@code indices[r:total:world]}.
     */
    @Test
    void unshuffledShardsPadWithTheFirstIndicesAsDefaultSampler() {
        int[][] world2 = {{0, 2, 4}, {1, 3, 0}};
        int[][] world4 = {{0, 4}, {1, 0}, {2, 1}, {3, 2}};
        for (int r = 0; r < 2; r++)
            assertArrayEquals(world2[r], new BatchSampler(widths(5), heights(5), 1, false, 0, r, 2, false, false).indices(0));
        for (int r = 0; r < 4; r++)
            assertArrayEquals(world4[r], new BatchSampler(widths(5), heights(5), 1, false, 0, r, 4, false, false).indices(3));
    }

    @Test
    void aspectGroupingEmitsHomogeneousFullBatchesThenMixedLeftovers() {
        int n = 31;
        int[] w = widths(n), h = heights(n);
        BatchSampler s = new BatchSampler(w, h, 2, true, 5, 0, 1, true, false);
        List<int[]> batches = s.batches(1);
        List<Integer> all = new ArrayList<>();
        for (int k = 0; k < batches.size(); k++) {
            int[] b = batches.get(k);
            for (int i : b) all.add(i);
            boolean last = k == batches.size() - 1;
            if (!last) {
                assertEquals(2, b.length);
                assertEquals(w[b[0]] < h[b[0]], w[b[1]] < h[b[1]], "batch " + k + " mixes orientations");
            }
        }
        assertEquals(n, all.size());
        assertEquals(n, new HashSet<>(all).size());
        assertEquals(16, batches.size());
        assertTrue(new BatchSampler(w, h, 2, true, 5, 0, 1, true, true).batches(1).stream().allMatch(b -> b.length == 2));
    }

    @Test
    void flipDecisionsAreSeededAndBalanced() {
        int flips = 0;
        for (int i = 0; i < 10000; i++) if (BatchSampler.flipDecision(1, 0, i, 0.5)) flips++;
        assertTrue(flips > 4800 && flips < 5200, "flips " + flips);
        assertEquals(BatchSampler.flipDecision(1, 3, 17, 0.5), BatchSampler.flipDecision(1, 3, 17, 0.5));
        assertFalse(BatchSampler.flipDecision(1, 3, 17, 0.0));
        assertTrue(BatchSampler.flipDecision(1, 3, 17, 1.0));
    }
}
