package autoassign.postprocess;

import java.util.Arrays;

/** Partial selection on long keys: the k largest of n in descending order, without sorting the other n − k. */
final class Largest {
    private Largest() {}

    /** Rearranges {@code a[0..n)} so that {@code a[0..k)} holds its k largest values, largest first (keys distinct or not). */
    static void first(long[] a, int n, int k) {
        if (k <= 0) return;
        if (k < n) select(a, n, k);
        Arrays.sort(a, 0, k);
        for (int i = 0, j = k - 1; i < j; i++, j--) {
            long t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** Quickselect (descending): afterwards every a[0..k) ≥ every a[k..n). Expected O(n). */
    private static void select(long[] a, int n, int k) {
        int lo = 0, hi = n - 1;
        while (lo < hi) {
            // median of three as pivot, then a three-way partition: [> pivot | == pivot | < pivot]
            int mid = (lo + hi) >>> 1;
            long pivot = median(a[lo], a[mid], a[hi]);
            int lt = lo, i = lo, gt = hi;
            while (i <= gt) {
                if (a[i] > pivot) swap(a, lt++, i++);
                else if (a[i] < pivot) swap(a, i, gt--);
                else i++;
            }
            // a[lo..lt) > pivot, a[lt..gt] == pivot, a(gt..hi] < pivot
            if (k <= lt) hi = lt - 1;
            else if (k <= gt + 1) return;
            else lo = gt + 1;
        }
    }

    private static long median(long x, long y, long z) {
        return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    }

    private static void swap(long[] a, int i, int j) {
        long t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
