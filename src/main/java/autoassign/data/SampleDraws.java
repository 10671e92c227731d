package autoassign.data;

/**
 * The random draws of one image in a training epoch. Each is a seeded hash ({@link SeededDraw}) of (seed, epoch,
 * position in the epoch's stream, attempt, transform, draw number), so it depends neither on threads or workers nor
 * on what was drawn before, and a resumed run draws the same.
 *
 * <p>{@code attempt} counts MMEngine's re-samples: when a RandomCrop keeps no box, the dataset draws another image
 * for the same position (attempt 1, 2, ...) with fresh draws for every transform. Attempt 0 adds nothing to the keys,
 * so the flip and scale draws of a pipeline without RandomCrop are the ones the loader always made.
 *
 * @param seed     the run's seed ({@code randomness.seed})
 * @param epoch    the epoch
 * @param position the image's place in the epoch's stream over all ranks ({@code (k) * worldSize + rank})
 * @param attempt  0, then 1, 2, ... for each re-sample of the position
 * @param stream   0 for the position's own image; a {@link #fork} for each other image a multi-image step loads for
 *                 the position and each try of a wrapper step ({@link MixingPipeline}), so their draws are fresh
 */
public record SampleDraws(long seed, int epoch, int position, int attempt, long stream) {
    /** Salts of the transforms' draws (any distinct odd constants; changing one changes every run that uses it). */
    static final long CROP = 0x5851F42D4C957F2DL;
    static final long PHOTOMETRIC = 0x14057B7EF767814FL;
    static final long REFETCH = 0x2FE3A9C2F3B1D4A7L;
    static final long EXPAND = 0x3C6EF372FE94F82BL;
    static final long MIN_IOU_CROP = 0x1F83D9ABFB41BD6BL;
    static final long SHIFT = 0x5BE0CD19137E2179L;
    static final long CUTOUT = 0x6A09E667F3BCC909L;
    static final long AFFINE = 0x510E527FADE682D1L;
    static final long YOLOX_HSV = 0x9B05688C2B3E6C1FL;
    static final long MOSAIC = 0xCBBB9D5DC1059ED9L;
    static final long MIXUP = 0x629A292A367CD507L;
    /** AutoAugment's transforms: one salt per family, draw numbers {@code 3 × kind + (prob, level, reversal)}. */
    static final long GEOMETRIC_AUG = 0x7137449123EF65CDL;
    static final long COLOR_AUG = 0x3956C25BF348B539L;
    /** AutoAugment's choice of a policy, RandAugment's choice of its transforms. */
    static final long AUTO_AUGMENT = 0x59F111F1B605D019L;
    static final long RAND_AUGMENT = 0x923F82A4AF194F9BL;
    /** MMCV's RandomApply / RandomChoice decisions ({@link TransformWrapper}). */
    static final long WRAPPER = 0xAB1C5ED5DA6D8119L;
    /** RandomErasing's patches ({@link RandomErasing}). */
    static final long ERASING = 0xD807AA98A3030243L;
    /** The scale draws of a resize with its own scale ({@link OwnScaleResize}: draws {@code 2·site}, {@code 2·site + 1}). */
    static final long RESIZE = 0x12835B0145706FBFL;
    /** RandomCenterCropPad's ratio and centre draws ({@link RandomCenterCropPad}). */
    static final long CENTER_CROP_PAD = 0x72BE5D74F27B896FL;

    public SampleDraws {
        if (attempt < 0) throw new IllegalArgumentException("attempt must be >= 0: " + attempt);
    }

    /** The draws of a position's own image (stream 0): every key is the one used before streams existed. */
    public SampleDraws(long seed, int epoch, int position, int attempt) { this(seed, epoch, position, attempt, 0); }

    /** The draws of the first try at a position. */
    public static SampleDraws of(long seed, int epoch, int position) { return new SampleDraws(seed, epoch, position, 0); }

    /** RandomFlip's uniform in [0, 1): the hash the horizontal flip decision has always used. */
    public double flipUnit() {
        return SeededDraw.unit(SeededDraw.mix(seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L
                + position * 0x94D049BB133111EBL + 0x2545F4914F6CDD1DL + attempt * 0x632BE59BD9B4E019L + stream * 0x9E6C63D0676A9A99L));
    }

    /** The scale (w, h) of the resize step: the fixed scale, or the multi-scale draw. */
    public int[] scale(PipelineOptions o) {
        return o.multiScale() == null ? new int[] {o.scaleW(), o.scaleH()} : o.multiScale().pick(seed, epoch, position, attempt, stream);
    }

    /** Draw number {@code k} of the transform salted {@code salt}: a uniform in [0, 1) (NumPy's {@code random_sample}). */
    public double unit(long salt, int k) {
        return SeededDraw.unit(SeededDraw.mix(seed * 0xA24BAED4963EE407L + epoch * 0x9FB21C651E98DF25L
                + position * 0xC13FA9A902A6328FL + attempt * 0x91E10DA5C79E7B1DL + salt + k * 0xD6E8FEB86659FD93L
                + stream * 0xE7037ED1A0B428DBL));
    }

    /** NumPy's {@code randint(lo, hi)}: an integer in [lo, hi) from draw {@code k}. */
    public int integer(long salt, int k, int lo, int hi) {
        if (hi <= lo) throw new IllegalArgumentException("empty range [" + lo + ", " + hi + ")");
        return lo + (int) Math.floor(unit(salt, k) * ((long) hi - lo));
    }

    /** NumPy's {@code uniform(lo, hi)}: {@code lo + (hi - lo) * u} in double precision. */
    public double uniform(long salt, int k, double lo, double hi) { return lo + (hi - lo) * unit(salt, k); }

    /** The draws of the next re-sample of this position. */
    public SampleDraws next() { return new SampleDraws(seed, epoch, position, attempt + 1, stream); }

    /**
     * Independent draws for a sub-task of this one (another image loaded for a mixing step, a try of a wrapper step),
     * named by {@code tag}: attempt 0 of a new stream, a hash of this stream, this attempt and the tag.
     */
    public SampleDraws fork(long tag) {
        long s = SeededDraw.mix(stream * 0x8CB92BA72F3D8DD7L + attempt * 0xA0761D6478BD642FL + tag * 0xE7037ED1A0B428DBL
                + 0x589965CC75374CC3L);
        return new SampleDraws(seed, epoch, position, 0, s == 0 ? 1 : s);
    }

    /** MMEngine's {@code _rand_another}: the dataset index tried at this attempt (any of the n, itself included). */
    public int otherIndex(int n) { return integer(REFETCH, 0, 0, n); }
}
