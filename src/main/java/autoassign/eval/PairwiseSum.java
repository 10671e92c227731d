package autoassign.eval;

/** numpy's float64 {@code sum} of a contiguous array: 0 plus its pairwise summation (blocks of 8 accumulators, 128 per leaf). */
final class PairwiseSum {
    private PairwiseSum() {}

    static double sum(double[] a) {
        return 0.0 + sum(a, 0, a.length);
    }

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
}
