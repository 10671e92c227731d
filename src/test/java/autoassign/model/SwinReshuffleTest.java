package autoassign.model;

import autoassign.autograd.Graph;
import autoassign.autograd.SequenceOps;
import autoassign.backend.GatherIndex;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Swin's NCHW ↔ tokens transposes and PatchMerging's Unfold (a gather of whole tokens, then a transpose of each
 * [4, C]) equal, bit for bit and in both directions, the element-wise gathers they replaced (torch's
 * {@code flatten(2).transpose(1, 2)}, {@code permute(0, 3, 1, 2)}, and AdaptivePadding('corner') + nn.Unfold(2,
 * stride) + transpose with channel order c·4 + ki·2 + kj, zeros in the padding), built here element by element.
 */
class SwinReshuffleTest {
    private final Random r = new Random(5);

    @Test
    void nchwToTokensAndBack() {
        int n = 2, c = 5, h = 3, w = 7, hw = h * w;
        int[] toTokens = new int[n * hw * c], toNchw = new int[n * c * hw];
        for (int b = 0; b < n; b++)
            for (int p = 0; p < hw; p++)
                for (int ch = 0; ch < c; ch++) {
                    toTokens[(b * hw + p) * c + ch] = (b * c + ch) * hw + p;
                    toNchw[(b * c + ch) * hw + p] = (b * hw + p) * c + ch;
                }
        same(x -> SequenceOps.transpose2d(x, n, c, hw, n * hw, c), new GatherIndex(toTokens, 1, n * c * hw, n * hw, c),
                n, c, h, w);
        same(x -> SequenceOps.transpose2d(x, n, hw, c, n, c, h, w), new GatherIndex(toNchw, 1, n * hw * c, n, c, h, w),
                n * hw, c);
    }

    @Test
    void patchMergingIsUnfoldWithCornerPadding() {
        int b = 2, c = 3;
        for (int[] hws : new int[][] {{5, 7, 2}, {4, 6, 2}, {5, 4, 1}}) {
            int h = hws[0], w = hws[1], stride = hws[2];
            int[] o = SwinIndices.mergedSize(h, w, stride);
            int t = b * o[0] * o[1];
            int[] rows = new int[t * 4 * c];
            int k = 0;
            for (int n = 0; n < b; n++)
                for (int oy = 0; oy < o[0]; oy++)
                    for (int ox = 0; ox < o[1]; ox++)
                        for (int ch = 0; ch < c; ch++)
                            for (int ki = 0; ki < 2; ki++)
                                for (int kj = 0; kj < 2; kj++) {
                                    int y = oy * stride + ki, x = ox * stride + kj;
                                    rows[k++] = y < h && x < w ? ((n * h + y) * w + x) * c + ch : -1;
                                }
            GatherIndex unfold = new GatherIndex(rows, 1, b * h * w * c, t, 4 * c);
            same(x -> SequenceOps.transpose2d(SequenceOps.gather(x, SwinIndices.patchMergingRows(b, h, w, c, stride)), t, 4,
                    c, t, 4 * c), unfold, b * h * w, c);
        }
    }

    /** Forward and input gradient of {@code op} equal those of the element-wise gather, bit for bit. */
    private void same(java.util.function.UnaryOperator<Tensor> op, GatherIndex reference, int... shape) {
        float[] xv = values(Tensor.zeros(shape).numel());
        Tensor[] ref = run(x -> SequenceOps.gather(x, reference), xv, shape, null);
        Tensor[] got = run(op, xv, shape, ref[2]);
        assertArrayEquals(ref[0].shape(), got[0].shape());
        assertArrayEquals(ref[0].data(), got[0].data(), 0f);
        assertArrayEquals(ref[1].data(), got[1].data(), 0f);
    }

    /** {output, input gradient, output seed} of op on a fresh leaf (seed: random when null). */
    private Tensor[] run(java.util.function.UnaryOperator<Tensor> op, float[] xv, int[] shape, Tensor seed) {
        Graph.clear();
        Tensor x = Tensor.of(xv.clone(), shape).setRequiresGrad(true);
        Tensor y = op.apply(x);
        Tensor g = seed != null ? seed : Tensor.of(values(y.numel()), y.shape());
        Graph.backward(new Tensor[] {y}, new Tensor[] {g});
        return new Tensor[] {y, x.grad(), g};
    }

    private float[] values(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat() * 4 - 2;
        return v;
    }
}
