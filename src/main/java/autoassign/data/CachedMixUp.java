package autoassign.data;

/**
 * MMDetection 3.3's {@code CachedMixUp} (RTMDet): an ordinary pipeline step that mixes the image with an earlier result
 * of the same dataloader worker. {@code transform}: append a deep copy of the input to the cache; over
 * {@code max_cached_images} pop one ({@link ResultsCache#add}); while the cache holds at most 1 result return the input
 * unchanged; skip when the draw {@code u > prob}; else up to {@code max_iters} draws of a cache index
 * {@code random.randint(0, len − 1)} (never the input's own copy), stopping at the first entry with a box (crowd boxes
 * count: they are in {@code gt_bboxes}), the last draw else; an entry without boxes leaves the input unchanged, otherwise
 * {@link MixUp}'s jitter, flip, crop (on a canvas of {@code pad_val}), average and box code mixes it in
 * ({@link MixUp#mix}), unchanged: 3.3's CachedMixUp and MixUp share that code line for line (boxes are not filtered by
 * {@code _filter_box_candidates}; only {@code is_inside}).
 *
 * <p>Draws: {@link MixUp}'s numbers under {@link SampleDraws#MIXUP} (a pipeline never holds both; index try i at
 * {@code 4 + i} as MixUp's), the pop at {@link #DRAW_POP}, the {@code prob} skip at {@link #DRAW_PROB}.
 *
 * @param mixUp           {@code img_scale}, {@code ratio_range}, {@code flip_ratio}, {@code pad_val}, {@code max_iters},
 *                        {@code bbox_clip_border}
 * @param maxCachedImages {@code max_cached_images} (20; MMDetection asserts at least 2)
 * @param randomPop       {@code random_pop} (true): pop a random entry, else the oldest
 * @param prob            {@code prob} (1.0): skipped when the draw {@code u > prob}
 */
public record CachedMixUp(MixUp mixUp, int maxCachedImages, boolean randomPop, double prob) implements Transform {
    /** Draw numbers below MixUp's (which use 0 and up). */
    static final int DRAW_POP = -1, DRAW_PROB = -2;

    public CachedMixUp {
        if (mixUp == null) throw new IllegalArgumentException("CachedMixUp needs its MixUp settings");
        if (maxCachedImages < 2) throw new IllegalArgumentException("CachedMixUp max_cached_images must be >= 2, got " + maxCachedImages);
        if (!(prob >= 0 && prob <= 1)) throw new IllegalArgumentException("CachedMixUp prob must be in [0, 1], got " + prob);
    }

    /** MMDetection's defaults: MixUp's, 20 cached images, random pop, prob 1. */
    public static CachedMixUp defaults() { return new CachedMixUp(MixUp.defaults(), 20, true, 1.0); }

    @Override public String type() { return "CachedMixUp"; }

    /**
     * The random numbers of one call, as MMDetection draws them: {@code pop(n)}, {@code index(i, n)} (try i of
     * {@code get_indexes}), {@code yOffset(n)} and {@code xOffset(n)} are {@code random.randint(0, n)} (NumPy's exclusive
     * bound), {@code prob()}, {@code jit()} and {@code flip()} the units of {@code random.uniform(0, 1)},
     * {@code random.uniform(*ratio_range)} and {@code random.uniform(0, 1)}.
     */
    interface Draws {
        int pop(int n);

        double prob();

        int index(int i, int n);

        double jit();

        double flip();

        int yOffset(int n);

        int xOffset(int n);

        /** The engine's draws of an image: MixUp's numbers under {@link SampleDraws#MIXUP}, pop and prob below them. */
        static Draws of(SampleDraws d) {
            return new Draws() {
                @Override public int pop(int n) { return d.integer(SampleDraws.MIXUP, DRAW_POP, 0, n); }
                @Override public double prob() { return d.unit(SampleDraws.MIXUP, DRAW_PROB); }
                @Override public int index(int i, int n) { return d.integer(SampleDraws.MIXUP, MixUp.DRAW_INDEX + i, 0, n); }
                @Override public double jit() { return d.unit(SampleDraws.MIXUP, MixUp.DRAW_JIT); }
                @Override public double flip() { return d.unit(SampleDraws.MIXUP, MixUp.DRAW_FLIP); }
                @Override public int yOffset(int n) { return d.integer(SampleDraws.MIXUP, MixUp.DRAW_Y, 0, n); }
                @Override public int xOffset(int n) { return d.integer(SampleDraws.MIXUP, MixUp.DRAW_X, 0, n); }
            };
        }
    }

    /** The step on the state of dataset image {@code datasetIndex}, with this worker's cache. */
    void apply(TransformState s, int datasetIndex, ResultsCache cache, SampleDraws d) { apply(s, datasetIndex, cache, Draws.of(d)); }

    /**
     * {@code CachedMixUp.transform} with these draws: the cache push (and pop); with more than 1 result cached and
     * {@code u <= prob}, the entry {@link #index} chooses is mixed in unless it has no box. The cache index mixed in, or
     * -1 when the input was returned as it came.
     */
    int apply(TransformState s, int datasetIndex, ResultsCache cache, Draws d) {
        cache.add(datasetIndex, s, maxCachedImages, randomPop, d::pop);
        if (cache.size() <= 1) return -1;
        if (d.prob() > prob) return -1;
        int i = index(cache, d);
        TransformState other = cache.get(i);
        if (other.boxes().length + other.crowdBoxes().length == 0) return -1; // retrieve_results['gt_bboxes'].shape[0] == 0
        double jit = mixUp.ratioLo() + (mixUp.ratioHi() - mixUp.ratioLo()) * d.jit(); // random.uniform(*ratio_range)
        mixUp.mix(s, other, new MixUp.Draw(jit, d.flip() > mixUp.flipRatio()), d::yOffset, d::xOffset);
        return i;
    }

    /** {@code get_indexes}: up to {@code max_iters} draws until the entry has a box (crowd boxes count); the last draw else. */
    int index(ResultsCache cache, Draws d) {
        int index = 0;
        for (int i = 0; i < mixUp.maxIters(); i++) {
            index = d.index(i, cache.size() - 1);
            TransformState e = cache.get(index);
            if (e.boxes().length + e.crowdBoxes().length != 0) break;
        }
        return index;
    }
}
