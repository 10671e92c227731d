package autoassign.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Index sampling and batching of AA_1 §8, a pure function of (seed, epoch):
 * <ul>
 *   <li>DefaultSampler: a per-epoch shuffle (seed + epoch), the list padded to a multiple of
 *       {@code worldSize} by repeating its first indices, rank {@code r} taking positions r, r+world, ...;</li>
 *   <li>AspectRatioBatchSampler (optional): indices stream into two buckets ({@code width < height} and
 *       {@code width >= height}, json sizes) and a bucket is emitted when it holds {@code batchSize};
 *       leftovers are emitted at the end in mixed batches (the last may be smaller unless {@code dropLast}).</li>
 * </ul>
 */
public final class BatchSampler {
    private final int[] widths;
    private final int[] heights;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final int rank;
    private final int worldSize;
    private final boolean groupByAspect;
    private final boolean dropLast;

    public BatchSampler(int[] widths, int[] heights, int batchSize, boolean shuffle, long seed, int rank, int worldSize,
                        boolean groupByAspect, boolean dropLast) {
        if (widths.length != heights.length) throw new IllegalArgumentException("widths and heights differ in length");
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1: " + batchSize);
        if (worldSize < 1 || rank < 0 || rank >= worldSize) throw new IllegalArgumentException("bad rank " + rank + " of " + worldSize);
        this.widths = widths.clone();
        this.heights = heights.clone();
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.rank = rank;
        this.worldSize = worldSize;
        this.groupByAspect = groupByAspect;
        this.dropLast = dropLast;
    }

    /** A sampler over a dataset's json image sizes. */
    public static BatchSampler forDataset(CocoDataset ds, int batchSize, boolean shuffle, long seed, int rank, int worldSize,
                                          boolean groupByAspect, boolean dropLast) {
        return forDataset(ds, DatasetRepeats.identity(ds.size()), batchSize, shuffle, seed, rank, worldSize, groupByAspect, dropLast);
    }

    /** A sampler over entries of a dataset (entry → image index, {@link DatasetRepeats}): its indices are entries. */
    public static BatchSampler forDataset(CocoDataset ds, int[] entries, int batchSize, boolean shuffle, long seed, int rank,
                                          int worldSize, boolean groupByAspect, boolean dropLast) {
        int n = entries.length;
        int[] w = new int[n], h = new int[n];
        for (int i = 0; i < n; i++) { w[i] = ds.get(entries[i]).width(); h[i] = ds.get(entries[i]).height(); }
        return new BatchSampler(w, h, batchSize, shuffle, seed, rank, worldSize, groupByAspect, dropLast);
    }

    public int batchSize() { return batchSize; }

    /** This rank's dataset indices for an epoch, in order. */
    public int[] indices(int epoch) {
        int n = widths.length;
        if (n == 0) return new int[0];
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        if (shuffle) {
            Random rnd = new Random(seed + epoch);
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = perm[i]; perm[i] = perm[j]; perm[j] = t;
            }
        }
        int total = (n + worldSize - 1) / worldSize * worldSize;
        int[] mine = new int[total / worldSize];
        for (int k = 0, pos = rank; pos < total; k++, pos += worldSize) mine[k] = perm[pos % n];
        return mine;
    }

    /** This rank's batches (dataset indices) for an epoch. */
    public List<int[]> batches(int epoch) {
        int[] idx = indices(epoch);
        List<int[]> out = new ArrayList<>(idx.length / batchSize + 2);
        if (!groupByAspect) {
            for (int s = 0; s < idx.length; s += batchSize) {
                int e = Math.min(idx.length, s + batchSize);
                if (e - s < batchSize && dropLast) break;
                out.add(java.util.Arrays.copyOfRange(idx, s, e));
            }
            return out;
        }
        int[][] bucket = new int[2][batchSize];
        int[] fill = new int[2];
        for (int i : idx) {
            int b = widths[i] < heights[i] ? 0 : 1;
            bucket[b][fill[b]++] = i;
            if (fill[b] == batchSize) {
                out.add(bucket[b].clone());
                fill[b] = 0;
            }
        }
        int[] left = new int[fill[0] + fill[1]];
        System.arraycopy(bucket[0], 0, left, 0, fill[0]);
        System.arraycopy(bucket[1], 0, left, fill[0], fill[1]);
        for (int s = 0; s < left.length; s += batchSize) {
            int e = Math.min(left.length, s + batchSize);
            if (e - s < batchSize && dropLast) break;
            out.add(java.util.Arrays.copyOfRange(left, s, e));
        }
        return out;
    }

    /** Number of batches in an epoch for this rank. */
    public int numBatches(int epoch) { return batches(epoch).size(); }

    /** Deterministic flip decision for the {@code position}-th image of an epoch's stream (independent of threads). */
    public static boolean flipDecision(long seed, int epoch, int position, double prob) {
        if (prob <= 0) return false;
        if (prob >= 1) return true;
        return SampleDraws.of(seed, epoch, position).flipUnit() < prob;
    }
}
