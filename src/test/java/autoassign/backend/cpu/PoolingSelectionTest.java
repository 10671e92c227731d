package autoassign.backend.cpu;

import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The branch-free max-pool selects exactly PyTorch's element (strict &gt; in row-major order, a NaN wins, the
 * last NaN): checked bit for bit, values and gradient routing, on inputs full of ties, signed zeros, infinities
 * and NaNs.
 */
class PoolingSelectionTest {
    private static final float[] SPECIAL = {0f, -0f, 1f, -1f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, 2f};

    /** PyTorch's loop: the index within the plane of the selected element of window (oy, ox). */
    private static int reference(float[] in, int ib, int h, int w, int oy, int ox, int k, int s, int pad) {
        int best = -1;
        float bv = Float.NEGATIVE_INFINITY;
        for (int ky = 0; ky < k; ky++) {
            int iy = oy * s - pad + ky;
            if (iy < 0 || iy >= h) continue;
            for (int kx = 0; kx < k; kx++) {
                int ix = ox * s - pad + kx;
                if (ix < 0 || ix >= w) continue;
                float v = in[ib + iy * w + ix];
                if (best < 0 || v > bv || Float.isNaN(v)) { bv = v; best = iy * w + ix; }
            }
        }
        return best;
    }

    @Test
    void theStemWindowOnEverySmallPlane() {
        Random rnd = new Random(5);
        for (int h = 1; h <= 7; h++)
            for (int w = 1; w <= 7; w++) {
                float[] x = new float[2 * h * w];
                for (int i = 0; i < x.length; i++) x[i] = rnd.nextInt(4) == 0 ? SPECIAL[rnd.nextInt(SPECIAL.length)] : rnd.nextInt(3) - 1;
                check(x, 1, 2, h, w, 3, 2, 1, rnd, "plane " + h + "x" + w);
            }
    }

    /** Values and gradient routing of one pooling against {@link #reference}, bit for bit. */
    private static void check(float[] x, int n, int c, int h, int w, int k, int s, int pad, Random rnd, String what) {
        Tensor xt = Tensor.of(x, n, c, h, w);
        Tensor y = Pooling.maxPool(xt, k, s, pad);
        int oh = y.dim(2), ow = y.dim(3);
        float[] g = new float[y.numel()];
        for (int i = 0; i < g.length; i++) g[i] = 1 + rnd.nextInt(1000);
        float[] gx = Pooling.maxPoolBackward(Tensor.of(g, y.shape()), xt, k, s, pad).data();
        float[] wantGx = new float[x.length];
        for (int pl = 0; pl < n * c; pl++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    int at = reference(x, pl * h * w, h, w, oy, ox, k, s, pad), o = (pl * oh + oy) * ow + ox;
                    assertEquals(Float.floatToRawIntBits(x[pl * h * w + at]), Float.floatToRawIntBits(y.data()[o]), "value at " + o + ", " + what);
                    wantGx[pl * h * w + at] += g[o];
                }
        for (int i = 0; i < x.length; i++) assertEquals(wantGx[i], gx[i], "gradient at " + i + ", " + what);
    }

    @Test
    void selectsPyTorchsElement() {
        Random rnd = new Random(3);
        int[][] geoms = {{3, 2, 1}, {2, 2, 0}, {3, 1, 1}, {5, 3, 2}};
        for (int trial = 0; trial < 60; trial++) {
            int[] gm = geoms[trial % geoms.length];
            int k = gm[0], s = gm[1], pad = gm[2];
            // the stem's 3×3/2/1 window has its own path: some wider planes for it
            int extra = trial % geoms.length == 0 && trial >= 20 ? 40 : 9;
            int n = 1 + rnd.nextInt(2), c = 1 + rnd.nextInt(3), h = k + rnd.nextInt(extra), w = k + rnd.nextInt(extra);
            float[] x = new float[n * c * h * w];
            for (int i = 0; i < x.length; i++) x[i] = rnd.nextInt(3) == 0 ? SPECIAL[rnd.nextInt(trial < 20 ? 6 : SPECIAL.length)] : rnd.nextInt(3) - 1;
            check(x, n, c, h, w, k, s, pad, rnd, "trial " + trial);
        }
    }
}
