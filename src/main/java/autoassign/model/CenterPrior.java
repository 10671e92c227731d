package autoassign.model;

import autoassign.nn.Module;
import autoassign.tensor.Tensor;

/**
 * The learnable Gaussian center prior of AutoAssign (AA_3): per class a mean offset and a sigma, both
 * {@code [num_classes, 2]} (x, y), initialised to 0 and 1. Only the loss reads them.
 */
public final class CenterPrior extends Module {
    public final Tensor mean, sigma;
    private final int[] strides;

    public CenterPrior(int numClasses, int[] strides) {
        mean = param("mean", Tensor.zeros(numClasses, 2));
        sigma = param("sigma", Tensor.full(1f, numClasses, 2));
        this.strides = strides.clone();
    }

    public int[] strides() { return strides.clone(); }
}
