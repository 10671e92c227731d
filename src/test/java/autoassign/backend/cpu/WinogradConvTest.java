package autoassign.backend.cpu;

import autoassign.backend.ConvParams;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static autoassign.backend.cpu.Conv3x3Reference.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Winograd F(2×2, 3×3) forward and backward data against a double-precision direct convolution, over paddings,
 * odd and tiny maps, batches, channel counts, one and many tile blocks, one and several workers; and the direct
 * path ({@link Conv}) on the same data.
 */
class WinogradConvTest {
    private final Random rnd = new Random(11);

    /** Forward (with and without bias) and backward data of one geometry; also the direct path if {@code direct}. */
    private void check(int n, int cin, int cout, int h, int w, int ph, int pw, boolean direct) {
        Conv3x3Reference.Case c = Conv3x3Reference.check(rnd, WinogradConv::forward, WinogradConv::backwardInput, 1e-5,
                n, cin, cout, h, w, ph, pw);
        if (direct) {
            boolean was = Conv.winograd;
            Conv.winograd = false; // the shifted GEMM, not this class again through Conv's dispatch
            try {
                Tensor xt = Tensor.of(c.x(), c.xs()), wtt = Tensor.of(c.w(), c.ws());
                assertClose(c.wantY(), Conv.forward(xt, wtt, Tensor.of(c.b(), cout), c.p()).data(), 1e-5, "direct forward " + c.what());
                assertClose(c.wantDx(), Conv.backwardInput(Tensor.of(c.g(), c.os()), wtt, c.xs(), c.p()).data(), 1e-5,
                        "direct backward data " + c.what());
            } finally {
                Conv.winograd = was;
            }
        }
    }

    /** Paddings 0..3 (equal and not), odd and even maps, down to 1×1, 1×2, 2×3 inputs. */
    @Test
    void geometries() {
        int[][] maps = {{1, 1}, {1, 2}, {2, 2}, {2, 3}, {3, 3}, {3, 4}, {4, 5}, {5, 5}, {7, 10}, {8, 6}, {9, 13}};
        for (int[] hw : maps)
            for (int ph = 0; ph <= 3; ph++)
                for (int pw = 0; pw <= 3; pw++) {
                    if (hw[0] + 2 * ph < 3 || hw[1] + 2 * pw < 3) continue;
                    if (ph != pw && (ph + pw) % 2 == 0) continue; // a subset of the unequal pads keeps it quick
                    check(1 + (hw[0] + ph) % 2, 3, 5, hw[0], hw[1], ph, pw, false);
                }
    }

    /** Channels in ≠ out, batches of 1 and 2, against the reference and against the direct path. */
    @Test
    void channelsAndBatches() {
        check(1, 1, 1, 6, 7, 1, 1, true);
        check(2, 7, 3, 5, 9, 1, 1, true);
        check(2, 4, 16, 11, 8, 0, 0, true);
        check(1, 17, 9, 13, 19, 2, 2, true);
        check(2, 16, 24, 7, 10, 1, 1, true);
    }

    /** Tiny blocks (16 tiles) and chunks that any size splits: many blocks per worker, both workers, block edges
     *  in the middle of tile rows and across images; channel groups of 1 and 2 (odd channel counts leave a
     *  partial group). */
    @Test
    void manyBlocksAndWorkers() {
        WinogradConv.blockFloats = 1;
        WinogradConv.minChunkFlops = 0;
        check(2, 6, 5, 13, 19, 1, 1, true);
        check(3, 5, 8, 9, 11, 0, 2, false);
        WinogradConv.groupFloats = 40;
        check(1, 3, 4, 25, 38, 1, 1, false);
        check(2, 8, 7, 7, 10, 2, 1, false);
        WinogradConv.groupFloats = 1;
        check(2, 5, 3, 9, 12, 1, 1, false);
    }

    /** The default block size with a map large enough for several blocks and both workers. */
    @Test
    void defaultBlocksLargeMap() {
        check(1, 32, 48, 40, 61, 1, 1, false);
    }

    @Test
    void blockTilesSplitsForWorkers() {
        WinogradConv.blockFloats = 1 << 20;
        assertEquals(256, WinogradConv.blockTiles(256 * 16, 256, 256, 4));
        int bt = WinogradConv.blockTiles(100, 64, 64, 2);
        assertTrue((100 + bt - 1) / bt >= 2, "two workers get a block each");
        assertEquals(20, WinogradConv.blockTiles(20, 256, 256, 1));
    }

    @Test
    void rowStrideAvoidsPowersOfTwo() {
        for (int bt = 1; bt <= 5000; bt++) {
            int ld = WinogradConv.rowStride(bt);
            assertTrue(ld >= bt && ld % 16 == 0 && ld % 256 != 0 && ld <= bt + 31, "bt " + bt + " ld " + ld);
        }
    }

    @Test
    void appliesOnlyToStride1Dilation1ThreeByThree() {
        ConvParams p1 = ConvParams.of(1, 1);
        int[] ws = {256, 256, 3, 3};
        assertTrue(WinogradConv.applies(new int[] {1, 256, 50, 76}, ws, p1));
        assertTrue(WinogradConv.applies(new int[] {1, 256, 1, 1}, ws, p1));
        assertTrue(WinogradConv.applies(new int[] {2, 256, 7, 10}, ws, new ConvParams(1, 1, 0, 2, 1, 1)));
        assertTrue(WinogradConv.applies(new int[] {4, 32, 64, 64}, new int[] {32, 32, 3, 3}, p1));
        assertFalse(WinogradConv.applies(new int[] {1, 256, 50, 76}, ws, ConvParams.of(2, 1)));
        assertFalse(WinogradConv.applies(new int[] {1, 256, 50, 76}, ws, ConvParams.of(1, 2, 2)));
        assertFalse(WinogradConv.applies(new int[] {1, 256, 50, 76}, new int[] {256, 256, 1, 1}, ConvParams.of(1, 0)));
        assertFalse(WinogradConv.applies(new int[] {1, 256, 50, 76}, new int[] {4, 256, 3, 3}, p1));
        assertFalse(WinogradConv.applies(new int[] {1, 16, 50, 76}, new int[] {16, 16, 3, 3}, p1));
    }
}
