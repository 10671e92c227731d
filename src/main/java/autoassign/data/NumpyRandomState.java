package autoassign.data;

/**
 * numpy's legacy {@code RandomState} (numpy 1.17+, {@code np.random.seed} / {@code np.random.randint} /
 * {@code np.random.choice}), as far as the engine reproduces numpy's draws: the MT19937 generator seeded as
 * {@code _legacy_seeding} does for an int seed ({@code mt19937_seed}, Matsumoto and Nishimura's {@code init_genrand}),
 * and {@code randint(0, high)} for numpy's default int64 dtype, which RandomState draws by masked rejection
 * ({@code random_bounded_uint64_fill} with {@code use_masked}: for a range {@code rng = high - 1} below 2^32, 32-bit
 * outputs ANDed with the smallest all-ones mask covering {@code rng}, redrawn while above {@code rng}). Checked
 * against numpy 1.24 by the {@code numpy_random} goldens.
 */
public final class NumpyRandomState {
    private static final int N = 624, M = 397;
    private static final int MATRIX_A = 0x9908b0df, UPPER = 0x80000000, LOWER = 0x7fffffff;

    private final int[] key = new int[N];
    private int pos;

    /** {@code np.random.seed(seed)} for an int seed in [0, 2^32 - 1] (numpy refuses others). */
    public NumpyRandomState(long seed) {
        if (seed < 0 || seed > 0xFFFFFFFFL) throw new IllegalArgumentException("Seed must be between 0 and 2**32 - 1, got " + seed);
        int s = (int) seed;
        for (int i = 0; i < N; i++) {
            key[i] = s;
            s = 1812433253 * (s ^ (s >>> 30)) + i + 1; // uint32 arithmetic
        }
        pos = N;
    }

    /** The next 32-bit output ({@code mt19937_next32}), as an unsigned value. */
    public long nextUint32() {
        if (pos == N) reload();
        int y = key[pos++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y & 0xFFFFFFFFL;
    }

    private void reload() { // mt19937_gen
        int i = 0, y;
        for (; i < N - M; i++) {
            y = (key[i] & UPPER) | (key[i + 1] & LOWER);
            key[i] = key[i + M] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
        }
        for (; i < N - 1; i++) {
            y = (key[i] & UPPER) | (key[i + 1] & LOWER);
            key[i] = key[i + (M - N)] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
        }
        y = (key[N - 1] & UPPER) | (key[0] & LOWER);
        key[N - 1] = key[M - 1] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
        pos = 0;
    }

    /**
     * One {@code randint(0, high)} draw (int64), {@code 1 <= high <= 2^32}: 0 without consuming the stream when
     * {@code high == 1}, as numpy.
     */
    public long randint(long high) {
        if (high < 1 || high > 0x100000000L) throw new IllegalArgumentException("high must be in [1, 2^32], got " + high);
        long rng = high - 1;
        if (rng == 0) return 0;
        if (rng == 0xFFFFFFFFL) return nextUint32();
        long mask = mask(rng);
        long v;
        while ((v = nextUint32() & mask) > rng) { /* rejected */ }
        return v;
    }

    /** {@code randint(0, high, size=n)}: n draws in order. */
    public long[] randint(long high, int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) out[i] = randint(high);
        return out;
    }

    /** numpy's {@code gen_mask}: the smallest 2^k - 1 that is >= {@code rng}. */
    static long mask(long rng) {
        return rng == 0 ? 0 : -1L >>> Long.numberOfLeadingZeros(rng);
    }
}
