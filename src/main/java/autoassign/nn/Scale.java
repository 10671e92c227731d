package autoassign.nn;

import autoassign.autograd.F;
import autoassign.tensor.Tensor;

/** A learnable scalar multiplier (MMCV's Scale), stored as a one-element tensor named "scale". */
public final class Scale extends Module {
    public final Tensor scale;

    public Scale(float init) { scale = param("scale", Tensor.of(new float[] {init})); } // 0-dim, as PyTorch

    public Tensor forward(Tensor x) { return F.scale(x, scale); }
}
