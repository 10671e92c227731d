package autoassign.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Multi-scale training: the resize scale of each image, drawn from a seeded hash of (seed, epoch, position) like
 * the flips, so a run is the same for any number of workers and resumes exactly. Two kinds, as MMCV's transforms:
 * <ul>
 *   <li>{@code RandomChoiceResize(scales=[...])}: one of the listed scales, uniformly;</li>
 *   <li>{@code RandomResize(scale=[s0, s1])}: each edge uniformly between the two scales' values (width from
 *       w0..w1, height from h0..h1, inclusive);</li>
 *   <li>{@code RandomResize(scale=s, ratio_range=[lo, hi])}: s times a ratio drawn uniformly from [lo, hi), each edge
 *       truncated to an integer (MMCV's {@code _random_sample_ratio}).</li>
 * </ul>
 * A draw is the scale (w, h) in MMCV's order, which the pipeline's resize step applies: as (long, short) limits with
 * {@code keep_ratio=True} (the order does not matter), as the exact size with {@code keep_ratio=False}.
 *
 * @param scales  the listed (w, h) scales; for a range, its two ends; with a ratio range, the one base scale
 * @param range   true for RandomResize, false for RandomChoiceResize
 * @param ratioLo {@code ratio_range}'s low end, or 0 without one
 * @param ratioHi {@code ratio_range}'s high end, or 0 without one
 */
public record ScaleSampler(List<int[]> scales, boolean range, double ratioLo, double ratioHi) {
    /** RandomChoiceResize ({@code range} false) or RandomResize between two scales. */
    public ScaleSampler(List<int[]> scales, boolean range) {
        this(scales, range, 0, 0);
    }

    /** RandomResize of one scale by a ratio drawn from [lo, hi). */
    public static ScaleSampler ratio(int w, int h, double lo, double hi) {
        return new ScaleSampler(List.of(new int[] {w, h}), true, lo, hi);
    }

    public boolean byRatio() { return ratioHi > 0; }

    public ScaleSampler {
        if (scales.isEmpty()) throw new IllegalArgumentException("no scales");
        boolean byRatio = ratioHi > 0;
        if (byRatio && (scales.size() != 1 || !(ratioLo > 0) || ratioLo > ratioHi))
            throw new IllegalArgumentException("a ratio range needs one scale and 0 < lo <= hi, got " + ratioLo + ".." + ratioHi);
        if (range && !byRatio && scales.size() != 2) throw new IllegalArgumentException("a scale range needs exactly 2 scales, got " + scales.size());
        List<int[]> copy = new ArrayList<>();
        for (int[] s : scales) {
            if (s.length != 2 || s[0] <= 0 || s[1] <= 0) throw new IllegalArgumentException("a scale is two positive sizes (w, h)");
            copy.add(s.clone());
        }
        scales = List.copyOf(copy);
    }

    @Override public boolean equals(Object o) {
        if (!(o instanceof ScaleSampler other) || other.range != range || other.scales.size() != scales.size()
                || other.ratioLo != ratioLo || other.ratioHi != ratioHi) return false;
        for (int i = 0; i < scales.size(); i++) if (!java.util.Arrays.equals(scales.get(i), other.scales.get(i))) return false;
        return true;
    }

    @Override public int hashCode() {
        int h = 31 * Boolean.hashCode(range) + Double.hashCode(ratioLo) * 7 + Double.hashCode(ratioHi);
        for (int[] s : scales) h = 31 * h + java.util.Arrays.hashCode(s);
        return h;
    }

    @Override public List<int[]> scales() {
        List<int[]> out = new ArrayList<>();
        for (int[] s : scales) out.add(s.clone());
        return out;
    }

    @Override public String toString() {
        StringBuilder b = new StringBuilder(range ? "RandomResize[" : "RandomChoiceResize[");
        for (int i = 0; i < scales.size(); i++) b.append(i > 0 ? ", " : "").append(scales.get(i)[0]).append('x').append(scales.get(i)[1]);
        if (byRatio()) b.append(" x ").append(ratioLo).append("..").append(ratioHi);
        return b.append(']').toString();
    }

    /** The scale (w, h) of the image at {@code position} of {@code epoch}. */
    public int[] pick(long seed, int epoch, int position) { return pick(seed, epoch, position, 0); }

    /** As {@link #pick(long, int, int)} for a re-sample of the position ({@link SampleDraws#attempt()}; 0 adds nothing). */
    public int[] pick(long seed, int epoch, int position, int attempt) { return pick(seed, epoch, position, attempt, 0); }

    /** As {@link #pick(long, int, int, int)} for an image of another draw stream ({@link SampleDraws#stream()}; 0 adds nothing). */
    public int[] pick(long seed, int epoch, int position, int attempt, long stream) {
        long z = SeededDraw.mix(seed * 0xD1B54A32D192ED03L + epoch * 0x9E3779B97F4A7C15L + position * 0xBF58476D1CE4E5B9L + 0x632BE59BD9B4E019L
                + attempt * 0x94D049BB133111EBL + stream * 0x2545F4914F6CDD1DL);
        return fromUnits(SeededDraw.unit(z), SeededDraw.unit(SeededDraw.mix(z)));
    }

    /**
     * The scale (w, h) from the two uniforms in [0, 1) of a draw, as MMCV 2.x turns NumPy's draws into a scale
     * (mmcv/transforms/processing.py): {@code RandomChoiceResize._random_select}: {@code scales[randint(len(scales))]}
     * from {@code u0}; {@code RandomResize._random_sample}: {@code edge_0 = randint(min, max + 1)} of the two scales'
     * first sizes from {@code u0}, {@code edge_1} of their second sizes from {@code u1}; {@code _random_sample_ratio}:
     * {@code ratio = random_sample() * (max - min) + min} from {@code u0}, then {@code int(scale[i] * ratio)} per side.
     */
    int[] fromUnits(double u0, double u1) {
        int w, h;
        if (byRatio()) {
            double ratio = u0 * (ratioHi - ratioLo) + ratioLo; // [lo, hi), as random_sample() * (max - min) + min
            w = (int) (scales.get(0)[0] * ratio);
            h = (int) (scales.get(0)[1] * ratio);
            w = Math.max(w, 1);
            h = Math.max(h, 1);
        } else if (range) {
            int[] a = scales.get(0), b = scales.get(1);
            w = inclusive(u0, Math.min(a[0], b[0]), Math.max(a[0], b[0]));
            h = inclusive(u1, Math.min(a[1], b[1]), Math.max(a[1], b[1]));
        } else {
            int[] s = scales.get(inclusive(u0, 0, scales.size() - 1));
            w = s[0];
            h = s[1];
        }
        return new int[] {w, h};
    }

    /** NumPy's {@code randint(lo, hi + 1)}: an integer in [lo, hi] from a uniform {@code u} in [0, 1). */
    private static int inclusive(double u, int lo, int hi) {
        return lo + (int) Math.floor(u * ((long) hi - lo + 1));
    }
}
