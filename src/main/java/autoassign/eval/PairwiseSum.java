package autoassign.eval;

/**
 * numpy's {@code np.add.reduce} of a contiguous array (loops_utils.h.src): 0 plus the pairwise summation of blocks of
 * 8 accumulators, 128 elements per leaf, in the array's own precision. The metrics transcribed from numpy code
 * (VOCMetric's means, CrowdHuman's MR and JI) sum this way so that their numbers agree to the last bit.
 */
final class PairwiseSum {
    private PairwiseSum() {}

    /** {@code np.sum} of a float64 array. */
    static double sum(double[] a) { return sum(a, a.length); }

    /** {@code np.sum} of {@code a[0..n)}, float64. */
    static double sum(double[] a, int n) { return 0.0 + sum(a, 0, n); }

    /** {@code np.sum} of {@code a[0..n)}, float32 (numpy keeps a float32 array's sum in float32). */
    static float sum(float[] a, int n) { return 0f + sum(a, 0, n); }

    private static double sum(double[] a, int from, int n) {
        if (n < 8) {
            double res = 0.;
            for (int i = 0; i < n; i++) res += a[from + i];
            return res;
        }
        if (n <= 128) {
            double[] r = new double[8];
            System.arraycopy(a, from, r, 0, 8);
            int i;
            for (i = 8; i < n - (n % 8); i += 8)
                for (int j = 0; j < 8; j++) r[j] += a[from + i + j];
            double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) res += a[from + i];
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return sum(a, from, n2) + sum(a, from + n2, n - n2);
    }

    private static float sum(float[] a, int from, int n) {
        if (n < 8) {
            float res = 0f;
            for (int i = 0; i < n; i++) res += a[from + i];
            return res;
        }
        if (n <= 128) {
            float[] r = new float[8];
            System.arraycopy(a, from, r, 0, 8);
            int i;
            for (i = 8; i < n - (n % 8); i += 8)
                for (int j = 0; j < 8; j++) r[j] += a[from + i + j];
            float res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) res += a[from + i];
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return sum(a, from, n2) + sum(a, from + n2, n - n2);
    }
}
