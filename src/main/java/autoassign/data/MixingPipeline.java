package autoassign.data;

import org.bytedeco.opencv.opencv_core.Mat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code MultiImageMixDataset.__getitem__} of MMDetection 3.3 for one position: the wrapped dataset's pipeline (the steps
 * before the {@link MultiImageMixDataset} mark) on the position's image, then each wrapper step in order. For a mixing
 * step ({@link Mosaic}, {@link MixUp}) its {@code get_indexes} draws other images of the dataset, and each of them is
 * loaded through the <em>wrapped dataset's</em> pipeline only ({@code self.dataset[index]}), not through the wrapper's
 * earlier steps: Mosaic mixes four loaded images, and YOLOX's MixUp mixes the mosaic with a plain loaded image. A wrapper
 * step that returns nothing (a RandomCrop without boxes) is tried again on a copy of its input with fresh draws, at most
 * {@code max_refetch} times, and then fails as MMDetection's {@code RuntimeError} does.
 *
 * <p>Draws ({@link SampleDraws#fork}): the position's own image uses the position's draws (as without the wrapper, so
 * its re-samples are the loader's); wrapper step j, try r uses {@code fork(STEP, j, r)} (its indexes come from try 0);
 * other image i of step j is loaded with {@code fork(IMAGE, j, i)}, and MixUp's look at try i for boxes with
 * {@code fork(CHECK, j, i)}. A loaded image the wrapped pipeline rejects is re-sampled as MMEngine's
 * {@code BaseDataset.__getitem__} does (another index, fresh draws, at most 1000 times); an unreadable one is warned
 * about once and replaced the same way (MMDetection would fail).
 */
final class MixingPipeline {
    private static final int STEP = 1, IMAGE = 2, CHECK = 3;

    private final Pipeline pipeline;
    private final List<Transform> inner = new ArrayList<>(), outer = new ArrayList<>();
    private final MultiImageMixDataset mark;
    private final Set<Integer> bad = ConcurrentHashMap.newKeySet();

    MixingPipeline(Pipeline pipeline) {
        this.pipeline = pipeline;
        MultiImageMixDataset m = null;
        for (Transform t : pipeline.options().transforms()) {
            if (StepCaches.isCached(t)) // their cache is a dataset pipeline's; the config refuses them here too
                throw new IllegalArgumentException(t.type() + " is not supported with a MultiImageMixDataset: use it in a dataset's own pipeline");
            if (t instanceof MultiImageMixDataset w) {
                if (m != null) throw new IllegalArgumentException("one MultiImageMixDataset per pipeline");
                m = w;
            } else if (m == null) {
                if (t instanceof Mosaic || t instanceof MixUp)
                    throw new IllegalArgumentException(t.type() + " belongs in the MultiImageMixDataset's pipeline");
                inner.add(t);
            } else {
                outer.add(t);
            }
        }
        this.mark = m;
    }

    /** An image loaded through the wrapped dataset's pipeline: its decoded pixels and its state. */
    private record Loaded(Mat decoded, TransformState state) implements AutoCloseable {
        @Override public void close() {
            state.close();
            decoded.close();
        }
    }

    private static long tag(int kind, int step, int i) { return ((long) kind << 48) ^ ((long) step << 24) ^ i; }

    /** The position's image; null when the wrapped pipeline rejects it (the loader then re-samples the position). */
    PreparedImage prepare(CocoDataset ds, int index, SampleDraws d, Boolean flip, int[] scale, boolean mayReject) throws BadImageException {
        ImageRecord rec = ds.get(index);
        try (Mat img = Pipeline.decode(ds, rec)) {
            TransformState s = new TransformState(img, rec);
            try {
                for (Transform t : inner)
                    if (!pipeline.step(s, t, d, flip, scale, mayReject)) return null;
                for (int j = 0; j < outer.size(); j++) s = wrapperStep(ds, rec, s, j, d, flip, scale, mayReject);
                pipeline.finish(s, flip);
                return s.result(rec, index);
            } finally {
                s.close();
            }
        }
    }

    /** Wrapper step j on the state: the state it leaves (a new one when a try on a copy succeeded; the old is closed). */
    private TransformState wrapperStep(CocoDataset ds, ImageRecord rec, TransformState s, int j, SampleDraws d, Boolean flip, int[] scale,
                                       boolean mayReject) {
        Transform t = outer.get(j);
        List<Loaded> others = new ArrayList<>();
        try {
            SampleDraws first = d.fork(tag(STEP, j, 0));
            if (t instanceof Mosaic m) {
                int[] idx = m.indexes(ds.size(), first);
                for (int i = 0; i < idx.length; i++) others.add(load(ds, idx[i], d.fork(tag(IMAGE, j, i)), mayReject));
            } else if (t instanceof MixUp u) {
                others.add(load(ds, mixUpIndex(ds, u, j, d, mayReject), d.fork(tag(IMAGE, j, 0)), mayReject));
            }
            boolean mayFail = mayReject && (t instanceof RandomCrop c && !c.allowNegative() || t instanceof TransformWrapper w && w.mayReject());
            for (int r = 0; r < mark.maxRefetch(); r++) {
                SampleDraws dr = r == 0 ? first : d.fork(tag(STEP, j, r));
                TransformState target = mayFail ? s.copy() : s;
                boolean ok = true;
                if (t instanceof Mosaic m) {
                    m.apply(target, others.stream().map(Loaded::state).toList(), dr);
                } else if (t instanceof MixUp u) {
                    u.apply(target, others.get(0).state(), dr);
                } else {
                    ok = pipeline.step(target, t, dr, flip, scale, mayReject);
                }
                if (ok) {
                    if (target != s) s.close();
                    return target;
                }
                target.close();
            }
            throw new DataException(ds.imagePath(rec) + ": the MultiImageMixDataset's " + t.type() + " step returned nothing "
                    + mark.maxRefetch() + " times in a row (max_refetch: it left no box); use a larger crop_size, "
                    + "allow_negative_crop: true, or FilterAnnotations keep_empty: false");
        } finally {
            for (Loaded l : others) l.close();
        }
    }

    /** MixUp's {@code get_indexes}: up to {@code max_iters} draws until the loaded image has a box; the last draw else. */
    private int mixUpIndex(CocoDataset ds, MixUp u, int j, SampleDraws d, boolean mayReject) {
        SampleDraws g = d.fork(tag(STEP, j, 0));
        int index = 0;
        for (int i = 0; i < u.maxIters(); i++) {
            index = u.index(ds.size(), i, g);
            if (boxCount(ds, index, d.fork(tag(CHECK, j, i)), mayReject) != 0) break;
        }
        return index;
    }

    /** The boxes (crowd boxes too) of {@code dataset[index]}: the record's when the wrapped pipeline only loads. */
    private int boxCount(CocoDataset ds, int index, SampleDraws d, boolean mayReject) {
        if (inner.isEmpty()) {
            ImageRecord r = ds.get(index);
            return r.numBoxes() + r.numCrowd();
        }
        try (Loaded l = load(ds, index, d, mayReject)) {
            return (l.state().boxes().length + l.state().crowdBoxes().length) / 4;
        }
    }

    /**
     * {@code dataset[index]}: the image through the wrapped dataset's pipeline with these draws; rejected or unreadable,
     * another index with the next attempt's draws (MMEngine's {@code _rand_another}), at most 1000 times.
     */
    private Loaded load(CocoDataset ds, int index, SampleDraws draws, boolean mayReject) {
        int cur = index;
        for (SampleDraws a = draws; ; a = a.next()) {
            if (a.attempt() > 0) {
                if (a.attempt() > DataLoader.MAX_REFETCH)
                    throw new DataException(ds.imagePath(ds.get(index)) + ": MultiImageMixDataset could not load an image to mix in: it and "
                            + DataLoader.MAX_REFETCH + " others drawn in its place were rejected or unreadable");
                cur = a.otherIndex(ds.size());
            }
            if (bad.contains(cur)) continue;
            ImageRecord rec = ds.get(cur);
            Mat img;
            try {
                img = Pipeline.decode(ds, rec);
            } catch (BadImageException e) {
                if (bad.add(cur)) ds.issues().warn(e.kind(), e.getMessage() + " (image id " + rec.id() + "), image skipped");
                continue;
            }
            TransformState s = new TransformState(img, rec);
            Loaded l = new Loaded(img, s);
            boolean ok = true;
            try {
                for (Transform t : inner)
                    if (!pipeline.step(s, t, a, null, null, mayReject)) {
                        ok = false;
                        break;
                    }
            } catch (RuntimeException e) {
                l.close();
                throw e;
            }
            if (ok) return l;
            l.close();
        }
    }
}
