package autoassign.backend.cpu;

import autoassign.backend.ConvParams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Winograd F(4×4, 3×3): the transform matrices against a direct 1-d correlation in double, and forward and
 * backward data against a double-precision direct convolution over paddings, odd and tiny maps, batches, channel
 * counts, one and many tile blocks, one and several workers.
 */
class Winograd4ConvTest {
    private final Random rnd = new Random(13);

    @AfterEach
    void restore() {
        Winograd4Conv.blockFloats = 1 << 20;
        Winograd4Conv.minChunkFlops = 4_000_000L;
        Winograd4Conv.groupFloats = 1024;
        Winograd4Conv.minBlockTiles = 32;
    }

    // Lavin–Gray F(4, 3) with points 0, ±1, ±2, ∞, written out as matrices.
    private static final double[][] BT = {
            {4, 0, -5, 0, 1, 0}, {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
            {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
    private static final double[][] G = {
            {1 / 4.0, 0, 0}, {-1 / 6.0, -1 / 6.0, -1 / 6.0}, {-1 / 6.0, 1 / 6.0, -1 / 6.0},
            {1 / 24.0, 1 / 12.0, 1 / 6.0}, {1 / 24.0, -1 / 12.0, 1 / 6.0}, {0, 0, 1}};
    private static final double[][] AT = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};

    private static double[] mul(double[][] m, double[] v) {
        double[] r = new double[m.length];
        for (int i = 0; i < m.length; i++)
            for (int j = 0; j < v.length; j++) r[i] += m[i][j] * v[j];
        return r;
    }

    /** Aᵀ[(G g) ⊙ (Bᵀ d)] is the correlation y_i = Σ_j d_{i+j} g_j; the code's factored loops equal the matrices. */
    @Test
    void transformMatrices() {
        Random r = new Random(3);
        for (int it = 0; it < 200; it++) {
            double[] d = new double[6], g = new double[3];
            float[][] df = new float[6][1], vf = new float[6][1];
            float[][] ga = new float[3][1], ua = new float[6][1];
            for (int i = 0; i < 6; i++) { df[i][0] = (float) (r.nextDouble() * 2 - 1); d[i] = df[i][0]; }
            for (int i = 0; i < 3; i++) { ga[i][0] = (float) (r.nextDouble() * 2 - 1); g[i] = ga[i][0]; }
            double[] v = mul(BT, d), u = mul(G, g), m = new double[6];
            for (int i = 0; i < 6; i++) m[i] = u[i] * v[i];
            double[] y = mul(AT, m);
            for (int i = 0; i < 4; i++) {
                double want = d[i] * g[0] + d[i + 1] * g[1] + d[i + 2] * g[2];
                assertEquals(want, y[i], 1e-12, "correlation output " + i);
            }
            Winograd4Conv.inputCombinations(df[0], df[1], df[2], df[3], df[4], df[5], 1, vf[0], vf[1], vf[2], vf[3], vf[4], vf[5]);
            for (int i = 0; i < 6; i++) assertEquals(v[i], vf[i][0], 1e-5, "Bᵀ row " + i);
            Winograd4Conv.filterCombinations(ga[0], ga[1], ga[2], 1, ua[0], ua[1], ua[2], ua[3], ua[4], ua[5]);
            for (int i = 0; i < 6; i++) assertEquals(u[i], Winograd4Conv.G_SCALE[i] * ua[i][0], 1e-6, "G row " + i);
            float[][] mf = new float[6][1], yf = new float[4][1];
            for (int i = 0; i < 6; i++) { mf[i][0] = (float) (r.nextDouble() * 2 - 1); m[i] = mf[i][0]; }
            Winograd4Conv.outputCombinations(mf[0], mf[1], mf[2], mf[3], mf[4], mf[5], 1, yf[0], yf[1], yf[2], yf[3]);
            double[] ym = mul(AT, m);
            for (int i = 0; i < 4; i++) assertEquals(ym[i], yf[i][0], 1e-5, "Aᵀ row " + i);
        }
    }

    /** Forward (with and without bias) and backward data of one geometry. */
    private void check(int n, int cin, int cout, int h, int w, int ph, int pw) {
        Conv3x3Reference.check(rnd, Winograd4Conv::forward, Winograd4Conv::backwardInput, 2e-5, n, cin, cout, h, w, ph, pw);
    }

    /** Paddings 0..3 (equal and not), maps of every size mod 4 down to 1×1, 2×3 inputs. */
    @Test
    void geometries() {
        int[][] maps = {{1, 1}, {1, 2}, {2, 3}, {3, 3}, {3, 4}, {4, 5}, {5, 5}, {6, 6}, {7, 10}, {8, 6}, {9, 13}, {11, 12}};
        for (int[] hw : maps)
            for (int ph = 0; ph <= 3; ph++)
                for (int pw = 0; pw <= 3; pw++) {
                    if (hw[0] + 2 * ph < 3 || hw[1] + 2 * pw < 3) continue;
                    if (ph != pw && (ph + pw) % 2 == 0) continue; // a subset of the unequal pads keeps it quick
                    check(1 + (hw[0] + ph) % 3, 3, 5, hw[0], hw[1], ph, pw);
                }
    }

    /** Channels in ≠ out, batches of 1 to 3. */
    @Test
    void channelsAndBatches() {
        check(1, 1, 1, 6, 7, 1, 1);
        check(2, 7, 3, 5, 9, 1, 1);
        check(3, 4, 16, 11, 8, 0, 0);
        check(1, 17, 9, 13, 19, 2, 2);
        check(2, 16, 24, 7, 10, 1, 1);
    }

    /** Tiny blocks (16 tiles) and chunks that any size splits: many blocks per worker, both workers, block edges
     *  in the middle of tile rows and across images; channel groups of 1 and 2 (odd channel counts leave a
     *  partial group). */
    @Test
    void manyBlocksAndWorkers() {
        Winograd4Conv.blockFloats = 1;
        Winograd4Conv.minChunkFlops = 0;
        Winograd4Conv.minBlockTiles = 5; // blocks of 5 tiles: edges fall inside tile rows
        check(2, 6, 5, 25, 31, 1, 1);
        check(3, 5, 8, 17, 23, 0, 2);
        Winograd4Conv.groupFloats = 40;
        check(1, 3, 4, 50, 38, 1, 1);
        check(2, 8, 7, 19, 22, 2, 1);
        Winograd4Conv.groupFloats = 1;
        check(2, 5, 3, 18, 21, 1, 1);
    }

    /** The default block size with a map large enough for several blocks and both workers. */
    @Test
    void defaultBlocksLargeMap() {
        check(1, 32, 48, 70, 61, 1, 1);
    }

    @Test
    void blockTilesSplitsForWorkers() {
        int bt = Winograd4Conv.blockTiles(100, 64, 64, 2);
        assertTrue((100 + bt - 1) / bt >= 2, "two workers get a block each");
        assertEquals(20, Winograd4Conv.blockTiles(20, 256, 256, 1));
        for (int b = 1; b <= 5000; b++) {
            int ld = Winograd4Conv.rowStride(b);
            assertTrue(ld >= b && ld % 16 == 0 && ld % 256 != 0 && ld <= b + 31, "bt " + b + " ld " + ld);
        }
    }

    @Test
    void appliesOnlyToStride1Dilation1ThreeByThree() {
        ConvParams p1 = ConvParams.of(1, 1);
        int[] ws = {256, 256, 3, 3};
        assertTrue(Winograd4Conv.applies(new int[] {1, 256, 50, 76}, ws, p1));
        assertTrue(Winograd4Conv.applies(new int[] {2, 256, 7, 10}, ws, new ConvParams(1, 1, 0, 2, 1, 1)));
        assertFalse(Winograd4Conv.applies(new int[] {1, 256, 50, 76}, ws, ConvParams.of(2, 1)));
        assertFalse(Winograd4Conv.applies(new int[] {1, 256, 50, 76}, ws, ConvParams.of(1, 2, 2)));
        assertFalse(Winograd4Conv.applies(new int[] {1, 256, 50, 76}, new int[] {256, 256, 1, 1}, ConvParams.of(1, 0)));
        assertFalse(Winograd4Conv.applies(new int[] {1, 256, 50, 76}, new int[] {4, 256, 3, 3}, p1));
    }
}
