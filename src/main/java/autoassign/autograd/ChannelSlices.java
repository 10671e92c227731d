package autoassign.autograd;

import autoassign.backend.Backend;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

import java.util.Arrays;

/**
 * {@code torch.split(x, sizes, dim=1)} of an NCHW tensor: consecutive channel slices, each a new contiguous tensor
 * (PyTorch returns views; Res2Net calls {@code .contiguous()} on them before its convs anyway). Built on
 * {@link Backend#copyRange} only (one copy per image and slice), so it runs on every backend; the inverse of
 * {@link F#concatChannels}. One tape node for all slices: the backward writes each slice's gradient into one
 * zero-filled input gradient (a slice without a gradient leaves its channels at zero).
 */
public final class ChannelSlices {
    private ChannelSlices() {}

    /** Slices of {@code sizes[k]} channels each, in order; the sizes must add up to the channels of {@code x}. */
    public static Tensor[] split(Tensor x, int... sizes) {
        Shape.checkRank("split", "input", x.shape(), 4);
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3), total = 0;
        for (int s : sizes) {
            if (s < 1) throw new IllegalArgumentException("split: slice sizes must be >= 1, got " + Arrays.toString(sizes));
            total += s;
        }
        if (sizes.length == 0 || total != c)
            throw new IllegalArgumentException("split: slice sizes " + Arrays.toString(sizes) + " do not add up to the "
                    + c + " channels of " + Shape.str(x.shape()));
        Backend be = x.backend();
        long hw = (long) h * w;
        long[] offsets = new long[sizes.length];
        for (int k = 1; k < sizes.length; k++) offsets[k] = offsets[k - 1] + sizes[k - 1];
        Tensor[] out = new Tensor[sizes.length];
        for (int k = 0; k < sizes.length; k++) {
            out[k] = be.zeros(n, sizes[k], h, w);
            long block = sizes[k] * hw;
            for (int b = 0; b < n; b++) be.copyRange(out[k], b * block, x, (b * c + offsets[k]) * hw, block);
        }
        int[] xs = x.shape();
        Graph.record(new Tensor[] {x}, out, g -> {
            Tensor d = be.zeros(xs);
            for (int k = 0; k < g.length; k++) {
                if (g[k] == null) continue;
                long block = sizes[k] * hw;
                for (int b = 0; b < n; b++) be.copyRange(d, (b * c + offsets[k]) * hw, g[k], b * block, block);
            }
            return new Tensor[] {d};
        });
        return out;
    }

    /**
     * {@code torch.split(x, size, dim=1)} with an int: slices of {@code size} channels, the last one smaller when
     * {@code size} does not divide the channels.
     */
    public static Tensor[] chunksOf(Tensor x, int size) {
        Shape.checkRank("split", "input", x.shape(), 4);
        if (size < 1) throw new IllegalArgumentException("split: slice size must be >= 1, got " + size);
        int c = x.dim(1), k = (c + size - 1) / size;
        int[] sizes = new int[k];
        Arrays.fill(sizes, size);
        sizes[k - 1] = c - size * (k - 1);
        return split(x, sizes);
    }
}
