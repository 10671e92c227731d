package autoassign.data;

import autoassign.tensor.Tensor;

import java.util.List;

/**
 * A batch ready for the network: images as float32 [B, 3, H, W] (NCHW, B-G-R channel order, mean
 * subtracted, zero padded at the bottom and right to a multiple of the pad divisor), plus per-image
 * metas and ground truth.
 */
public final class Batch {
    private final float[] data;
    private final int[] shape;
    private final List<ImageMeta> metas;
    private final List<GroundTruth> targets;

    public Batch(float[] data, int[] shape, List<ImageMeta> metas, List<GroundTruth> targets) {
        if (shape.length != 4 || (long) shape[0] * shape[1] * shape[2] * shape[3] != data.length)
            throw new IllegalArgumentException("batch data does not match its shape");
        this.data = data;
        this.shape = shape.clone();
        this.metas = List.copyOf(metas);
        this.targets = List.copyOf(targets);
    }

    /** The image array, NCHW, owned by the batch (not copied). */
    public float[] data() { return data; }

    /** {@code [B, 3, H_pad, W_pad]}. */
    public int[] shape() { return shape.clone(); }

    public int size() { return shape[0]; }

    public int height() { return shape[2]; }

    public int width() { return shape[3]; }

    public List<ImageMeta> metas() { return metas; }

    public List<GroundTruth> targets() { return targets; }

    /** Wraps the image array (no copy) as a CPU tensor of shape [B, 3, H, W]. */
    public Tensor toTensor() { return Tensor.of(data, shape); }
}
