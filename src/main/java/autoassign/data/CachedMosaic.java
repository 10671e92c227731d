package autoassign.data;

import java.util.ArrayList;
import java.util.List;

/**
 * MMDetection 3.3's {@code CachedMosaic} (RTMDet): an ordinary pipeline step that mixes the image with three earlier
 * results of the same dataloader worker instead of three loaded images. {@code transform}: append a deep copy of the input
 * to the cache; over {@code max_cached_images} pop one ({@link ResultsCache#add}: {@code randint(0, len − 1)}, never the
 * entry just added, or the oldest without {@code random_pop}); while the cache holds at most 4 results return the input
 * unchanged; else skip when the draw {@code u > prob}, otherwise take three cache indexes
 * {@code random.randint(0, len − 1)} (NumPy's exclusive bound: never the input's own copy, the last) and make
 * {@link Mosaic}'s mosaic of the input (top left) and those three — the same centre, resize, paste, box and filter code
 * ({@link Mosaic#mix}), so its golden-tested geometry is reused as it is.
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

    /**
     * The random numbers of one call, as MMDetection draws them: {@code pop(n)} and {@code index(i, n)} are
     * {@code random.randint(0, n)} (NumPy's exclusive bound), {@code prob()} the unit of {@code random.uniform(0, 1)},
     * {@code centerX()} / {@code centerY()} the units of the two {@code random.uniform(*center_ratio_range)}.
     */
    interface Draws {
        int pop(int n);

        double prob();

        int index(int i, int n);

        double centerX();

        double centerY();

        /** The engine's draws of an image: Mosaic's numbers under {@link SampleDraws#MOSAIC}, the pop at {@link #DRAW_POP}. */
        static Draws of(SampleDraws d) {
            return new Draws() {
                @Override public int pop(int n) { return d.integer(SampleDraws.MOSAIC, DRAW_POP, 0, n); }
                @Override public double prob() { return d.unit(SampleDraws.MOSAIC, Mosaic.DRAW_PROB); }
                @Override public int index(int i, int n) { return d.integer(SampleDraws.MOSAIC, Mosaic.DRAW_INDEX + i, 0, n); }
                @Override public double centerX() { return d.unit(SampleDraws.MOSAIC, Mosaic.DRAW_CENTER_X); }
                @Override public double centerY() { return d.unit(SampleDraws.MOSAIC, Mosaic.DRAW_CENTER_Y); }
            };
        }
    }

    /** The step on the state of dataset image {@code datasetIndex}, with this worker's cache. */
    void apply(TransformState s, int datasetIndex, ResultsCache cache, SampleDraws d) { apply(s, datasetIndex, cache, Draws.of(d)); }

    /**
     * {@code CachedMosaic.transform} with these draws: the cache push (and pop), then, with more than 4 results cached
     * and {@code u <= prob}, the mosaic of the input and the three cached results drawn. True when the mosaic was made.
     */
    boolean apply(TransformState s, int datasetIndex, ResultsCache cache, Draws d) {
        cache.add(datasetIndex, s, maxCachedImages, randomPop, d::pop);
        if (cache.size() <= 4) return false;
        if (d.prob() > mosaic.prob()) return false;
        List<TransformState> others = new ArrayList<>(3);
        for (int i = 0; i < 3; i++) others.add(cache.get(d.index(i, cache.size() - 1)));
        double lo = mosaic.centerLo(), hi = mosaic.centerHi();
        int cx = (int) ((lo + (hi - lo) * d.centerX()) * mosaic.scaleW()); // int(random.uniform(*range) * img_scale[0])
        int cy = (int) ((lo + (hi - lo) * d.centerY()) * mosaic.scaleH());
        mosaic.mix(s, others, cx, cy);
        return true;
    }
}
