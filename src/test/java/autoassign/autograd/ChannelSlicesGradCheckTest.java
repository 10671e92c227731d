package autoassign.autograd;

import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static autoassign.autograd.GradCheck.check;
import static autoassign.autograd.GradCheck.leaf;
import static autoassign.autograd.GradCheck.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ChannelSlices#split} (torch.split on dim 1): forward against a double reference and the input gradient by
 * finite differences ({@link GradCheck}), each slice weighted differently (and combined through another op, as
 * Res2Net does), so a slice written to the wrong channels or image fails; split ∘ concat is the identity.
 */
class ChannelSlicesGradCheckTest {

    /** The channels [from, from + len) of every image of an NCHW array, in double. */
    static double[] slice(double[] x, int[] s, int from, int len) {
        int hw = s[2] * s[3];
        double[] y = new double[s[0] * len * hw];
        for (int n = 0; n < s[0]; n++)
            System.arraycopy(x, (n * s[1] + from) * hw, y, n * len * hw, len * hw);
        return y;
    }

    @Test
    void eachSliceAndItsGradient() {
        Random rnd = new Random(11);
        int[] s = {2, 6, 3, 4};
        int[][] splits = {{1, 2, 3}, {3, 3}, {2, 2, 2}, {6}, {1, 1, 1, 1, 1, 1}};
        for (int[] sizes : splits) {
            for (int k = 0; k < sizes.length; k++) {
                int from = 0;
                for (int j = 0; j < k; j++) from += sizes[j];
                int off = from, len = sizes[k], which = k;
                Tensor x = leaf(uniform(rnd, 144), s);
                check("split " + java.util.Arrays.toString(sizes) + " slice " + k,
                        in -> ChannelSlices.split(in[0], sizes)[which], d -> slice(d[0], s, off, len), x);
            }
        }
    }

    /** Every slice used, one twice and one not at all: the gradient collects the parts, zero where nothing flowed. */
    @Test
    void gradientOfSeveralSlicesInOneGraph() {
        Random rnd = new Random(12);
        int[] s = {2, 5, 2, 3};
        Tensor x = leaf(uniform(rnd, 60), s);
        // y = cat(a + b, a, c)[channels] with a = x[0:2], b = x[2:4], c... x[4:5] left out of the output
        check("cat(a + b, a)", in -> {
            Tensor[] p = ChannelSlices.split(in[0], 2, 2, 1);
            return F.concatChannels(List.of(F.add(p[0], p[1]), p[0]));
        }, d -> {
            double[] a = slice(d[0], s, 0, 2), b = slice(d[0], s, 2, 2);
            double[] y = new double[2 * 4 * 6];
            for (int n = 0; n < 2; n++)
                for (int i = 0; i < 12; i++) {
                    y[n * 24 + i] = a[n * 12 + i] + b[n * 12 + i];
                    y[n * 24 + 12 + i] = a[n * 12 + i];
                }
            return y;
        }, x);
    }

    @Test
    void splitThenConcatIsTheIdentityAndChunksFollowTorch() {
        Random rnd = new Random(13);
        Tensor x = Tensor.of(uniform(rnd, 2 * 7 * 3 * 2), 2, 7, 3, 2);
        Tensor[] parts = ChannelSlices.chunksOf(x, 3); // torch.split(x, 3, 1): 3, 3, 1
        assertEquals(3, parts.length);
        assertArrayEquals(new int[] {2, 1, 3, 2}, parts[2].shape());
        assertArrayEquals(x.toFloatArray(), F.concatChannels(List.of(parts)).toFloatArray());
        assertEquals(1, ChannelSlices.chunksOf(x, 7).length);
        assertEquals(1, ChannelSlices.chunksOf(x, 9).length, "a size past the channels: one slice, as torch");
    }

    @Test
    void badSizesAreOneLineErrors() {
        Tensor x = Tensor.zeros(1, 4, 2, 2);
        for (int[] sizes : new int[][] {{1, 2}, {2, 3}, {4, 0}, {}}) {
            var e = assertThrows(IllegalArgumentException.class, () -> ChannelSlices.split(x, sizes));
            assertTrue(e.getMessage().startsWith("split: "), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> ChannelSlices.split(Tensor.zeros(4, 2), 1, 1));
        assertThrows(IllegalArgumentException.class, () -> ChannelSlices.chunksOf(x, 0));
    }
}
