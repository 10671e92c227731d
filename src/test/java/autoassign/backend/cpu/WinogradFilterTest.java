package autoassign.backend.cpu;

import autoassign.backend.ConvParams;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static autoassign.backend.cpu.Conv3x3Reference.assertClose;
import static autoassign.backend.cpu.Conv3x3Reference.backwardWeight;
import static autoassign.backend.cpu.Conv3x3Reference.nans;
import static autoassign.backend.cpu.Conv3x3Reference.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Winograd F(2×2, 3×3) filter gradient against a double-precision direct reference, over paddings, odd and tiny
 * maps, batches, channel counts, one and many tile blocks, both splits (tiles, output channels) and workers; and
 * the current path ({@link Conv#backwardWeight}) on the same data.
 */
class WinogradFilterTest {
    private final Random rnd = new Random(17);

    /** One geometry against the reference (dw pre-filled with NaN), repeated bit for bit; the current path too. */
    private void check(int n, int cin, int cout, int h, int w, int ph, int pw, boolean direct) {
        ConvParams p = new ConvParams(1, 1, ph, pw, 1, 1);
        int[] xs = {n, cin, h, w}, ws = {cout, cin, 3, 3}, os = {n, cout, h + 2 * ph - 2, w + 2 * pw - 2};
        String what = Arrays.toString(xs) + " -> " + Arrays.toString(os) + " pad " + ph + "x" + pw;
        float[] x = uniform(rnd, n * cin * h * w), g = uniform(rnd, os[0] * os[1] * os[2] * os[3]);
        double[] want = backwardWeight(g, x, xs, cout, ph, pw);
        float[] dw = nans(want.length), again = nans(want.length);
        WinogradFilter.backwardWeight(g, os, x, xs, ws, p, dw);
        assertClose(want, dw, 2e-5, "winograd filter " + what);
        WinogradFilter.backwardWeight(g, os, x, xs, ws, p, again);
        assertArrayEquals(dw, again, "deterministic " + what);
        if (direct) {
            boolean was = Conv.winograd;
            Conv.winograd = false; // the shifted GEMM, not this class again through Conv's dispatch
            try {
                assertClose(want, Conv.backwardWeight(Tensor.of(g, os), Tensor.of(x, xs), ws, p).data(), 2e-5, "direct " + what);
            } finally {
                Conv.winograd = was;
            }
        }
    }

    /** Paddings 0..2 (equal and not), odd and even maps, down to 1×1, 1×2, 2×3 inputs, batches 1..3. */
    @Test
    void geometries() {
        int[][] maps = {{1, 1}, {1, 2}, {2, 2}, {2, 3}, {3, 3}, {3, 4}, {4, 5}, {5, 5}, {7, 10}, {8, 6}, {9, 13}};
        for (int[] hw : maps)
            for (int ph = 0; ph <= 2; ph++)
                for (int pw = 0; pw <= 2; pw++) {
                    if (hw[0] + 2 * ph < 3 || hw[1] + 2 * pw < 3) continue;
                    check(1 + (hw[0] + ph + pw) % 3, 3, 5, hw[0], hw[1], ph, pw, false);
                }
    }

    /** Channels in ≠ out, batches, against the reference and the current path. */
    @Test
    void channelsAndBatches() {
        check(1, 1, 1, 6, 7, 1, 1, true);
        check(2, 7, 3, 5, 9, 1, 1, true);
        check(3, 4, 16, 11, 8, 0, 0, true);
        check(1, 17, 9, 13, 19, 2, 2, true);
        check(2, 16, 24, 7, 10, 1, 1, true);
    }

    /** Split by tiles: 16-tile blocks, chunks on both workers, block and chunk edges inside tile rows and across
     *  images; channel groups of 1 and 2. */
    @Test
    void tileSplitManyBlocks() {
        WinogradFilter.blockFloats = 1;
        WinogradFilter.minChunkFlops = 0;
        WinogradFilter.channelSplitTilesPerCout = 0;
        check(2, 6, 5, 13, 19, 1, 1, true);
        check(3, 5, 8, 9, 11, 0, 2, false);
        check(2, 40, 36, 9, 7, 1, 0, false);
        WinogradConv.groupFloats = 40;
        check(1, 3, 4, 25, 38, 1, 1, false);
        WinogradConv.groupFloats = 1;
        check(2, 5, 3, 9, 12, 2, 1, false);
    }

    /** Split by output channels (each chunk owns rows of dW and transforms all tiles), one and many blocks. */
    @Test
    void channelSplit() {
        WinogradFilter.minChunkFlops = 0;
        WinogradFilter.channelSplitTilesPerCout = 1e9;
        check(1, 6, 40, 7, 10, 1, 1, true);
        check(3, 9, 50, 5, 4, 2, 0, false);
        WinogradFilter.blockFloats = 1;
        check(2, 7, 33, 13, 11, 1, 1, false);
        WinogradConv.groupFloats = 40;
        check(1, 4, 64, 9, 9, 0, 1, false);
    }

    /** Default settings on a map large enough for several blocks and both workers. */
    @Test
    void defaultBlocksLargeMap() {
        check(1, 32, 48, 40, 61, 1, 1, false);
        check(2, 48, 40, 9, 13, 1, 1, false);
    }

    @Test
    void emptyBatchGivesZeros() {
        int[] xs = {0, 4, 5, 5}, ws = {6, 4, 3, 3}, os = {0, 6, 5, 5};
        float[] dw = nans(6 * 4 * 9);
        WinogradFilter.backwardWeight(new float[0], os, new float[0], xs, ws, ConvParams.of(1, 1), dw);
        for (float v : dw) assertEquals(0f, v);
    }

    @Test
    void appliesOnlyToStride1Dilation1ThreeByThree() {
        ConvParams p1 = ConvParams.of(1, 1);
        int[] ws = {256, 256, 3, 3};
        assertTrue(WinogradFilter.applies(new int[] {1, 256, 50, 76}, ws, p1));
        assertTrue(WinogradFilter.applies(new int[] {1, 256, 1, 1}, ws, p1));
        assertTrue(WinogradFilter.applies(new int[] {2, 256, 7, 10}, ws, new ConvParams(1, 1, 0, 2, 1, 1)));
        assertTrue(WinogradFilter.applies(new int[] {2, 48, 64, 64}, new int[] {48, 48, 3, 3}, p1));
        assertTrue(WinogradFilter.applies(new int[] {1, 256, 50, 76}, new int[] {32, 256, 3, 3}, p1));
        assertFalse(WinogradFilter.applies(new int[] {2, 32, 64, 64}, new int[] {32, 32, 3, 3}, p1));
        assertFalse(WinogradFilter.applies(new int[] {1, 256, 50, 76}, ws, ConvParams.of(2, 1)));
        assertFalse(WinogradFilter.applies(new int[] {1, 256, 50, 76}, ws, ConvParams.of(1, 2, 2)));
        assertFalse(WinogradFilter.applies(new int[] {1, 256, 50, 76}, new int[] {256, 256, 1, 1}, ConvParams.of(1, 0)));
        assertFalse(WinogradFilter.applies(new int[] {1, 256, 50, 76}, new int[] {4, 256, 3, 3}, p1));
        assertFalse(WinogradFilter.applies(new int[] {1, 256, 1, 2}, ws, ConvParams.of(1, 0)));
        assertFalse(WinogradFilter.applies(new int[] {1, 256, 50, 76}, new int[] {16, 256, 3, 3}, p1));
        assertFalse(WinogradFilter.applies(new int[] {1, 16, 50, 76}, new int[] {256, 16, 3, 3}, p1));
    }
}
