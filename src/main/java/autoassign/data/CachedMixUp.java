package autoassign.data;

/**
 * MMDetection 3.3's {@code CachedMixUp} (RTMDet): an ordinary pipeline step that mixes the image with an earlier result
 * of the same dataloader worker. {@code transform}: append a deep copy of the input to the cache; over
 * {@code max_cached_images} pop one ({@link ResultsCache#add}); while the cache holds at most 1 result return the input
 * unchanged; skip when the draw {@code u > prob}; else up to {@code max_iters} draws of a cache index
 * {@code random.randint(0, len − 1)} (never the input's own copy), stopping at the first entry with a box (crowd boxes
 * count: they are in {@code gt_bboxes}), the last draw else; an entry without boxes leaves the input unchanged, otherwise
 * {@link MixUp}'s jitter, flip, crop, average and box code mixes it in ({@link MixUp#apply}), unchanged.
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

    /** The step on the state of dataset image {@code datasetIndex}, with this worker's cache. */
    void apply(TransformState s, int datasetIndex, ResultsCache cache, SampleDraws d) {
        cache.add(datasetIndex, s, maxCachedImages, randomPop, d, SampleDraws.MIXUP, DRAW_POP);
        if (cache.size() <= 1) return;
        if (d.unit(SampleDraws.MIXUP, DRAW_PROB) > prob) return;
        mixUp.apply(s, cache.get(index(cache, d)), d); // unchanged when the entry has no box
    }

    /** {@code get_indexes}: up to {@code max_iters} draws until the entry has a box; the last draw else. */
    int index(ResultsCache cache, SampleDraws d) {
        int index = 0;
        for (int i = 0; i < mixUp.maxIters(); i++) {
            index = mixUp.index(cache.size() - 1, i, d);
            TransformState e = cache.get(index);
            if (e.boxes().length + e.crowdBoxes().length != 0) break;
        }
        return index;
    }
}
