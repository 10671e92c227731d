package autoassign.backend;

/**
 * The per-element math of {@link Backend#dropout}: a counter-based random number per (seed, element index) — the
 * SplitMix64 finaliser of {@code seed + (i + 1)·0x9E3779B97F4A7C15} — so the CPU twin and the CUDA kernel
 * ({@code aaj_dropout_keep} in {@code backend_kernels.cu}) draw the same mask bit for bit, and the backward re-derives
 * the forward's mask from the seed instead of storing it. Element i is kept when the top 24 bits of its number are at
 * least {@link #threshold}(p) = ceil(p·2^24), i.e. with probability 1 − p up to 2^-24; kept elements are multiplied by
 * {@link #scale}(p) = 1 / (1 − p) in float, dropped ones by 0 (so NaN stays NaN, as torch's {@code x * mask * scale}).
 * torch's own Philox / mt19937 stream is not reproduced: the masks differ from torch's (their distribution does not).
 */
public final class DropoutMath {
    private DropoutMath() {}

    /** 24 random bits of element i under seed (unsigned 64-bit arithmetic, as the kernel's). */
    public static int bits(long seed, long i) {
        long z = seed + (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (int) (z >>> 40);
    }

    /** ceil(p·2^24): element i is kept when bits(seed, i) ≥ threshold. p must be in [0, 1). */
    public static int threshold(double p) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout: p must be in [0, 1), got " + p);
        return (int) Math.ceil(p * (1 << 24));
    }

    /** torch's 1 / (1 − p) in float (the noise tensor's bernoulli_(1 − p).div_(1 − p)). */
    public static float scale(double p) { return 1f / (float) (1 - p); }

    /** x·scale when element i is kept, x·0 when dropped. */
    public static float apply(float x, long seed, long i, int threshold, float scale) {
        return x * (bits(seed, i) >= threshold ? scale : 0f);
    }
}
