package autoassign.data;

import java.util.ArrayList;
import java.util.List;

/**
 * MMDetection 3.3's {@code CachedMosaic} (RTMDet): an ordinary pipeline step that mixes the image with three earlier
 * results of the same dataloader worker instead of three loaded images. {@code transform}: append a deep copy of the input
 * to the cache; over {@code max_cached_images} pop one ({@link ResultsCache#add}); while the cache holds at most 4
 * results return the input unchanged; else skip when the draw {@code u > prob}, otherwise take three cache indexes
 * {@code random.randint(0, len − 1)} (NumPy's exclusive bound: never the input's own copy, the last) and make
 * {@link Mosaic}'s mosaic of the input (top left) and those three — the same centre, resize, paste, box and filter code
 * ({@link Mosaic#apply}), so its golden-tested geometry is reused as it is.
 *
 * <p>Draws: {@link Mosaic}'s numbers under {@link SampleDraws#MOSAIC} (a pipeline never holds both), the three indexes
 * as Mosaic's three, the pop at {@link #DRAW_POP}.
 *
 * @param mosaic          {@code img_scale}, {@code center_ratio_range}, {@code bbox_clip_border}, {@code pad_val}, {@code prob}
 * @param maxCachedImages {@code max_cached_images} (40; MMDetection asserts at least 4)
 * @param randomPop       {@code random_pop} (true): pop a random entry, else the oldest
 */
public record CachedMosaic(Mosaic mosaic, int maxCachedImages, boolean randomPop) implements Transform {
    /** The pop index's draw number (after Mosaic's 0–5). */
    static final int DRAW_POP = 6;

    public CachedMosaic {
        if (mosaic == null) throw new IllegalArgumentException("CachedMosaic needs its Mosaic settings");
        if (maxCachedImages < 4) throw new IllegalArgumentException("CachedMosaic max_cached_images must be >= 4, got " + maxCachedImages);
    }

    /** MMDetection's defaults: Mosaic's, 40 cached images, random pop. */
    public static CachedMosaic defaults() { return new CachedMosaic(Mosaic.defaults(), 40, true); }

    @Override public String type() { return "CachedMosaic"; }

    /** The step on the state of dataset image {@code datasetIndex}, with this worker's cache. */
    void apply(TransformState s, int datasetIndex, ResultsCache cache, SampleDraws d) {
        cache.add(datasetIndex, s, maxCachedImages, randomPop, d, SampleDraws.MOSAIC, DRAW_POP);
        if (cache.size() <= 4) return;
        List<TransformState> others = new ArrayList<>(3);
        for (int i : mosaic.indexes(cache.size() - 1, d)) others.add(cache.get(i));
        mosaic.apply(s, others, d); // the prob skip, the centre, the mix
    }
}
