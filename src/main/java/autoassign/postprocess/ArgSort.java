package autoassign.postprocess;

/**
 * Stable arg-sorts on primitive keys (no boxing). Stability makes ties deterministic: equal keys keep
 * their index order, which is what numpy's {@code argsort(-x, kind='mergesort')} does and what the
 * post-processing uses as tie rule (score descending, index ascending).
 * Keys compare with {@code <} / {@code >} only, so {@code -0.0 == 0.0} as in numpy.
 */
public final class ArgSort {

    private ArgSort() {
    }

    /** Indices of {@code keys[0..n)} ordered by key descending, ties by index ascending. */
    public static int[] descending(float[] keys, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = keys[i];
        }
        return descending(d, n);
    }

    /** Indices of {@code keys[0..n)} ordered by key descending, ties by index ascending. */
    public static int[] descending(double[] keys, int n) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        sortDescending(idx, keys);
        return idx;
    }

    /**
     * Stably sorts {@code idx} (indices into {@code keys}) by descending key. Elements with equal keys keep
     * their relative order in {@code idx}.
     */
    public static void sortDescending(int[] idx, double[] keys) {
        int n = idx.length;
        if (n < 2) {
            return;
        }
        // insertion sort for short runs, then bottom-up merges
        final int run = 32;
        for (int lo = 0; lo < n; lo += run) {
            int hi = Math.min(lo + run, n);
            for (int i = lo + 1; i < hi; i++) {
                int v = idx[i];
                double k = keys[v];
                int j = i - 1;
                while (j >= lo && keys[idx[j]] < k) {
                    idx[j + 1] = idx[j];
                    j--;
                }
                idx[j + 1] = v;
            }
        }
        if (n <= run) {
            return;
        }
        int[] src = idx;
        int[] dst = new int[n];
        for (int width = run; width < n; width *= 2) {
            for (int lo = 0; lo < n; lo += 2 * width) {
                int mid = Math.min(lo + width, n);
                int hi = Math.min(lo + 2 * width, n);
                int a = lo;
                int b = mid;
                int o = lo;
                while (a < mid && b < hi) {
                    // take from the right half only if strictly greater: keeps stability
                    if (keys[src[b]] > keys[src[a]]) {
                        dst[o++] = src[b++];
                    } else {
                        dst[o++] = src[a++];
                    }
                }
                while (a < mid) {
                    dst[o++] = src[a++];
                }
                while (b < hi) {
                    dst[o++] = src[b++];
                }
            }
            int[] t = src;
            src = dst;
            dst = t;
        }
        if (src != idx) {
            System.arraycopy(src, 0, idx, 0, n);
        }
    }
}
