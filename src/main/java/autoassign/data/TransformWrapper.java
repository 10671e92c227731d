package autoassign.data;

import java.util.List;
import java.util.function.Predicate;

/**
 * MMCV 2.x's wrappers of sub-pipelines ({@code mmcv/transforms/wrappers.py}): {@code Compose} runs its steps in order,
 * {@code RandomApply} runs them when the draw {@code u < prob} ({@code np.random.rand() < self.prob}), {@code RandomChoice}
 * runs one of its candidate lists, chosen uniformly or by {@code prob} (NumPy's {@code choice(p=…)} rule,
 * {@link AutoAugment#choose}). A step that returns None inside makes the wrapper return None, as MMCV's {@code Compose}
 * does, so a rejecting RandomCrop / FilterAnnotations re-samples the image as at the top level. The steps inside are any
 * single-image steps; a resize inside carries its own scale and draw ({@link OwnScaleResize}), never the pipeline's
 * ({@link ResizeStep}, which stays at the top level, {@link PipelineOptions}).
 *
 * <p>Draws: the wrapper's decision is draw {@code site} of {@link SampleDraws#WRAPPER}; step j of branch i runs on a fork
 * of the image's draws named by (site, i, j), so the steps inside decide independently of equal steps elsewhere.
 *
 * @param kind      which wrapper
 * @param branches  the sub-pipelines: one for Compose and RandomApply, the candidates for RandomChoice
 * @param prob      RandomChoice's probabilities (one per branch), or empty for a uniform choice
 * @param applyProb RandomApply's {@code prob} (unused by the others)
 * @param site      the wrapper's place in its list (keys its draws, so two wrappers of a pipeline decide apart)
 */
public record TransformWrapper(Kind kind, List<List<Transform>> branches, List<Double> prob, double applyProb, int site)
        implements Transform {
    /** The three wrappers by MMCV's names. */
    public enum Kind {
        COMPOSE("Compose"), RANDOM_APPLY("RandomApply"), RANDOM_CHOICE("RandomChoice");

        public final String type;

        Kind(String type) { this.type = type; }
    }

    public TransformWrapper {
        branches = branches.stream().map(List::copyOf).toList();
        prob = List.copyOf(prob);
        if (branches.isEmpty()) throw new IllegalArgumentException(kind.type + " needs at least one list of transforms");
        if (kind != Kind.RANDOM_CHOICE && branches.size() != 1)
            throw new IllegalArgumentException(kind.type + " wraps exactly one list of transforms");
        if (!prob.isEmpty() && prob.size() != branches.size())
            throw new IllegalArgumentException("RandomChoice prob needs one value per candidate");
        for (List<Transform> b : branches)
            for (Transform t : b)
                if (t instanceof ResizeStep || StepCaches.isCached(t) || t instanceof Mosaic || t instanceof MixUp
                        || t instanceof MultiImageMixDataset)
                    throw new IllegalArgumentException(kind.type + " cannot wrap " + t.type());
    }

    /** MMCV's {@code Compose(transforms)}: the steps in order. */
    public static TransformWrapper compose(List<Transform> steps, int site) {
        return new TransformWrapper(Kind.COMPOSE, List.of(steps), List.of(), 1, site);
    }

    /** MMCV's {@code RandomApply(transforms, prob)}. */
    public static TransformWrapper randomApply(List<Transform> steps, double prob, int site) {
        return new TransformWrapper(Kind.RANDOM_APPLY, List.of(steps), List.of(), prob, site);
    }

    /** MMCV's {@code RandomChoice(transforms, prob)}; {@code prob} empty for uniform. */
    public static TransformWrapper randomChoice(List<List<Transform>> candidates, List<Double> prob, int site) {
        return new TransformWrapper(Kind.RANDOM_CHOICE, candidates, prob, 0, site);
    }

    @Override public String type() { return kind.type; }

    /** The branch this image runs, or -1 for none (RandomApply's {@code u >= prob}). */
    int choose(SampleDraws d) {
        return switch (kind) {
            case COMPOSE -> 0;
            case RANDOM_APPLY -> d.unit(SampleDraws.WRAPPER, site) < applyProb ? 0 : -1;
            case RANDOM_CHOICE -> AutoAugment.choose(prob, branches.size(), d.unit(SampleDraws.WRAPPER, site));
        };
    }

    /** The draws of step {@code j} of branch {@code i}: a fork named by (site, i, j). */
    SampleDraws drawsOf(SampleDraws d, int i, int j) {
        return d.fork(SampleDraws.WRAPPER + 1 + ((long) site << 32) + 4096L * i + j);
    }

    /** True when some step inside (at any depth) matches. */
    public boolean contains(Predicate<Transform> p) {
        for (List<Transform> b : branches)
            for (Transform t : b)
                if (p.test(t) || t instanceof TransformWrapper w && w.contains(p)) return true;
        return false;
    }

    /** True when a step inside may reject the image (RandomCrop, FilterAnnotations): a retry then needs a copy. */
    public boolean mayReject() { return contains(t -> t instanceof RandomCrop || t instanceof FilterAnnotations); }
}
