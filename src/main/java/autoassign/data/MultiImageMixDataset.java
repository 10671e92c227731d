package autoassign.data;

import java.util.List;

/**
 * MMDetection's {@code MultiImageMixDataset} wrapper, as a mark in a pipeline's step list: the steps before it are the
 * wrapped dataset's own pipeline (loading and whatever it lists), the steps after it the wrapper's {@code pipeline}
 * ({@link MixingPipeline} runs them as {@code MultiImageMixDataset.__getitem__} does). {@code skip_type_keys} is applied
 * when the config is read (the skipped steps are left out of the list); it is kept here to be shown.
 *
 * @param maxRefetch   {@code max_refetch}: tries of a wrapper step that returns nothing (a RandomCrop without boxes)
 * @param skipTypeKeys {@code skip_type_keys}: the step types left out
 */
public record MultiImageMixDataset(int maxRefetch, List<String> skipTypeKeys) implements Transform {
    public MultiImageMixDataset {
        if (maxRefetch < 1) throw new IllegalArgumentException("max_refetch must be >= 1, got " + maxRefetch);
        skipTypeKeys = List.copyOf(skipTypeKeys);
    }

    @Override public String type() { return "MultiImageMixDataset"; }
}
