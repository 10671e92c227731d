package autoassign.backend.cpu;

import autoassign.backend.ConvParams;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The kept Winograd weight transforms: kept on the second call with the same contents, used from the third, dropped
 * when the contents change in place (no version counter involved), refused past the budget; and a cached
 * convolution equals an uncached one bit for bit, also after its weights changed in place.
 */
class WinogradWeightCacheTest {

    /** A fake transform: U = the weights (then zeros), counting its calls. */
    private static OffHeap.Buf fake(float[] w, long floats, AtomicInteger calls) {
        calls.incrementAndGet();
        FloatPointer p = new FloatPointer(floats);
        p.asBuffer().put(w, 0, (int) Math.min(w.length, floats));
        return new OffHeap.Buf(p, p.asBuffer(), floats);
    }

    @Test
    void keepsOnTheSecondSightingAndSeesInPlaceChanges() {
        WinogradWeightCache cache = new WinogradWeightCache(1 << 20);
        float[] w = new float[2 * 3 * 9];
        for (int i = 0; i < w.length; i++) w[i] = i * 0.5f;
        AtomicInteger calls = new AtomicInteger();
        long floats = 16L * 2 * 3;
        cache.get(w, 2, 3, floats, () -> fake(w, floats, calls));
        assertEquals(0, cache.keptEntries(), "first sighting: nothing kept");
        cache.get(w, 2, 3, floats, () -> fake(w, floats, calls));
        assertEquals(1, cache.keptEntries(), "second sighting of the same contents: kept");
        OffHeap.Buf kept = cache.get(w, 2, 3, floats, () -> fake(w, floats, calls));
        assertEquals(2, calls.get(), "third call uses the kept transform");
        assertEquals(w[5], kept.buf().get(5));
        // an in-place change (as SGD makes) is a new entry: transformed again, the old copy dropped
        w[7] += 1e-3f;
        OffHeap.Buf fresh = cache.get(w, 2, 3, floats, () -> fake(w, floats, calls));
        assertEquals(3, calls.get());
        assertEquals(w[7], fresh.buf().get(7));
        assertEquals(0, cache.keptEntries());
        // the same array seen with another geometry is not the same entry
        cache.get(w, 3, 2, floats, () -> fake(w, floats, calls));
        cache.get(w, 3, 2, floats, () -> fake(w, floats, calls));
        assertEquals(5, calls.get());
    }

    @Test
    void refusesPastTheBudgetAndCanBeTurnedOff() {
        WinogradWeightCache cache = new WinogradWeightCache(100);
        AtomicInteger calls = new AtomicInteger();
        float[] a = new float[9], b = new float[9];
        b[0] = 1;
        for (int k = 0; k < 2; k++) cache.get(a, 1, 1, 64, () -> fake(a, 64, calls));
        for (int k = 0; k < 2; k++) cache.get(b, 1, 1, 64, () -> fake(b, 64, calls));
        assertEquals(1, cache.keptEntries(), "64 + 64 floats exceed a budget of 100");
        boolean was = WinogradWeightCache.enabled;
        WinogradWeightCache.enabled = false;
        try {
            int before = calls.get();
            cache.get(a, 1, 1, 64, () -> fake(a, 64, calls));
            assertEquals(before + 1, calls.get(), "off: every call transforms");
        } finally {
            WinogradWeightCache.enabled = was;
        }
    }

    @Test
    void hashSeesEveryPositionAndOrder() {
        float[] x = new float[37];
        long h = WinogradWeightCache.hash(x);
        for (int i = 0; i < x.length; i++) {
            float[] y = x.clone();
            y[i] = -0f; // only the sign bit differs from +0
            assertNotEquals(h, WinogradWeightCache.hash(y), "position " + i);
        }
        float[] p = {1, 2, 3, 4, 5}, q = {2, 1, 3, 4, 5};
        assertNotEquals(WinogradWeightCache.hash(p), WinogradWeightCache.hash(q));
        assertNotEquals(WinogradWeightCache.hash(new float[4]), WinogradWeightCache.hash(new float[5]));
    }

    /** Both variants, through their kept transforms, give the uncached result bit for bit, before and after an update. */
    @Test
    void cachedConvolutionsEqualUncachedOnes() {
        Random r = new Random(4);
        int[][] shapes = {{1, 8, 6, 12, 10}, {1, 128, 128, 40, 40}}; // n, cin, cout, h, w: F(2×2), then F(4×4)
        for (int[] sh : shapes) {
            int n = sh[0], cin = sh[1], cout = sh[2], h = sh[3], wd = sh[4];
            float[] x = new float[n * cin * h * wd], w = new float[cout * cin * 9], bias = new float[cout];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian() * 0.1f;
            int[] xs = {n, cin, h, wd}, os = {n, cout, h, wd};
            ConvParams p = ConvParams.of(1, 1);
            boolean f4 = cin >= 128;
            for (int step = 0; step < 2; step++) {
                float[] want = new float[n * cout * h * wd];
                boolean was = WinogradWeightCache.enabled;
                WinogradWeightCache.enabled = false;
                try {
                    run(f4, x, xs, w, cout, bias, p, os, want);
                } finally {
                    WinogradWeightCache.enabled = was;
                }
                for (int call = 0; call < 3; call++) { // transform, transform and keep, kept
                    float[] got = new float[want.length];
                    run(f4, x, xs, w, cout, bias, p, os, got);
                    assertArrayEquals(want, got, (f4 ? "F4" : "F2") + " step " + step + " call " + call);
                }
                for (int i = 0; i < w.length; i += 7) w[i] -= 0.01f * w[i]; // an SGD-like in-place update
            }
        }
    }

    private static void run(boolean f4, float[] x, int[] xs, float[] w, int cout, float[] bias, ConvParams p, int[] os, float[] out) {
        if (f4) Winograd4Conv.forward(x, xs, w, cout, bias, p, os, out);
        else WinogradConv.forward(x, xs, w, cout, bias, p, os, out);
    }
}
