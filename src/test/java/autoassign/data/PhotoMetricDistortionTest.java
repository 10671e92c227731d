package autoassign.data;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PhotoMetricDistortion against a plain Java transcription of MMDetection's formulas (float32 NumPy arithmetic) and
 * of OpenCV's scalar float BGR ↔ HSV code, and its draws.
 */
class PhotoMetricDistortionTest {
    private static final float FLT_EPSILON = 1.1920929e-7f;

    /** OpenCV's scalar RGB2HSV_f (hrange 360) on one B, G, R triple. */
    static float[] bgrToHsv(float b, float g, float r) {
        float v = r, vmin = r;
        if (v < g) v = g;
        if (v < b) v = b;
        if (vmin > g) vmin = g;
        if (vmin > b) vmin = b;
        float diff = v - vmin;
        float s = diff / (Math.abs(v) + FLT_EPSILON);
        diff = (float) (60.0 / (diff + FLT_EPSILON));
        float h;
        if (v == r) h = (g - b) * diff;
        else if (v == g) h = (b - r) * diff + 120f;
        else h = (r - g) * diff + 240f;
        if (h < 0) h += 360f;
        return new float[] {h, s, v};
    }

    /** OpenCV's scalar HSV2RGB_native (hrange 360), giving B, G, R. */
    static float[] hsvToBgr(float h, float s, float v) {
        if (s == 0) return new float[] {v, v, v};
        int[][] sectors = {{1, 3, 0}, {1, 0, 2}, {3, 0, 1}, {0, 2, 1}, {0, 1, 3}, {2, 1, 0}};
        h *= 6f / 360f;
        h = h % 6f;
        int sector = (int) Math.floor(h);
        h -= sector;
        if (sector < 0 || sector >= 6) {
            sector = 0;
            h = 0f;
        }
        float[] tab = {v, v * (1f - s), v * (1f - s * h), v * (1f - s * (1f - h))};
        return new float[] {tab[sectors[sector][0]], tab[sectors[sector][1]], tab[sectors[sector][2]]};
    }

    /** MMDetection's transform, element by element. */
    static float[] reference(int[] bgr, PhotoMetricDistortion.Draw d) {
        float[] out = new float[bgr.length];
        for (int i = 0; i < bgr.length; i += 3) {
            float[] p = {bgr[i], bgr[i + 1], bgr[i + 2]};
            for (int c = 0; c < 3; c++) {
                if (d.brightness()) p[c] = p[c] + (float) d.delta();
                if (d.contrastFirst() && d.contrast()) p[c] = p[c] * (float) d.alpha();
            }
            float[] hsv = bgrToHsv(p[0], p[1], p[2]);
            if (d.saturation()) {
                hsv[1] = hsv[1] * (float) d.saturationScale();
                if (d.saturationScale() > 1) hsv[1] = Math.min(Math.max(hsv[1], 0f), 1f);
            }
            if (d.hue()) {
                hsv[0] = hsv[0] + (float) d.hueShift();
                if (hsv[0] > 360) hsv[0] = hsv[0] - 360;
                if (hsv[0] < 0) hsv[0] = hsv[0] + 360;
            }
            p = hsvToBgr(hsv[0], hsv[1], hsv[2]);
            if (!d.contrastFirst() && d.contrast()) for (int c = 0; c < 3; c++) p[c] = p[c] * (float) d.alpha();
            for (int c = 0; c < 3; c++) out[i + c] = d.swap() ? p[d.permutation()[c]] : p[c];
        }
        return out;
    }

    private static int[] randomImage(Random r, int n) {
        int[] px = new int[n * 3];
        for (int i = 0; i < px.length; i++) px[i] = r.nextInt(256);
        int[][] special = {{0, 0, 0}, {255, 255, 255}, {90, 90, 90}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {200, 10, 200}, {3, 200, 200}};
        for (int k = 0; k < special.length && k < n; k++) System.arraycopy(special[k], 0, px, k * 5 % n * 3, 3);
        return px;
    }

    @Test
    void matchesTheReferenceForEveryCombinationOfFlags() {
        Random r = new Random(7);
        int h = 6, w = 23; // a row longer than OpenCV's SIMD block, with a scalar tail
        double worst = 0;
        for (int flags = 0; flags < 64; flags++) {
            PhotoMetricDistortion.Draw d = new PhotoMetricDistortion.Draw((flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0,
                    (flags & 8) != 0, (flags & 16) != 0, (flags & 32) != 0, r.nextDouble() * 64 - 32, 0.5 + r.nextDouble(),
                    0.5 + r.nextDouble(), r.nextDouble() * 36 - 18, new int[][] {{2, 1, 0}, {1, 2, 0}, {0, 2, 1}}[flags % 3]);
            int[] img = randomImage(r, h * w);
            float[] px = new float[img.length];
            for (int i = 0; i < img.length; i++) px[i] = img[i];
            PhotoMetricDistortion.apply(px, h, w, d);
            float[] want = reference(img, d);
            for (int i = 0; i < px.length; i++) {
                worst = Math.max(worst, Math.abs(px[i] - want[i]));
                assertTrue(Math.abs(px[i] - want[i]) <= 1e-3, d + " value " + i + ": " + px[i] + " vs reference " + want[i]);
            }
        }
        // OpenCV's vector loop rounds some products differently (fused multiply-add): a few float32 ulps of values up
        // to a few hundred, far below a grey level
        assertTrue(worst <= 1e-3, "worst " + worst);
    }

    @Test
    void handComputedBrightnessContrastAndSwap() {
        // grey pixels keep S = 0, so the HSV round trip is exact: only brightness, contrast and the swap act
        int[] img = {100, 100, 100, 0, 0, 0};
        PhotoMetricDistortion.Draw d = new PhotoMetricDistortion.Draw(true, true, true, true, true, true, 10.3, 1.2, 1.4, 5,
                new int[] {2, 0, 1});
        float[] px = {100, 100, 100, 0, 0, 0};
        PhotoMetricDistortion.apply(px, 1, 2, d);
        float grey = (100f + (float) 10.3) * (float) 1.2, black = (0f + (float) 10.3) * (float) 1.2;
        assertArrayEquals(new float[] {grey, grey, grey, black, black, black}, px);
        assertArrayEquals(reference(img, d), px);
        // a coloured pixel, contrast last and a channel swap, against the reference exactly
        int[] c = {30, 60, 90};
        PhotoMetricDistortion.Draw last = new PhotoMetricDistortion.Draw(false, false, true, false, false, true, 0, 1.5, 1, 0,
                new int[] {2, 0, 1});
        float[] q = {30, 60, 90};
        PhotoMetricDistortion.apply(q, 1, 1, last);
        assertArrayEquals(reference(c, last), q, 1e-3f);
        assertEquals(90f * 1.5f, q[0], 1e-3f); // output B is input R (permutation [2, 0, 1])
        assertEquals(30f * 1.5f, q[1], 1e-3f);
        assertEquals(60f * 1.5f, q[2], 1e-3f);
    }

    @Test
    void hueWrapsAroundAndSaturationScales() {
        // pure blue has H = 240; +130 gives 370 > 360 -> 10 (red-orange); S x 0.5 then halves the colour's depth
        int[] img = {200, 0, 0};
        PhotoMetricDistortion.Draw d = new PhotoMetricDistortion.Draw(false, false, false, true, true, false, 0, 1, 0.5, 130,
                new int[] {0, 1, 2});
        float[] px = {200, 0, 0};
        PhotoMetricDistortion.apply(px, 1, 1, d);
        float[] want = reference(img, d);
        assertArrayEquals(want, px, 1e-3f);
        // H = 10: R is the maximum (V = 200), B the minimum V(1 - S) = 100, G between them
        assertEquals(200f, px[2], 1e-3f);
        assertEquals(100f, px[0], 1e-3f);
        assertEquals(100f + 100f * 10f / 60f, px[1], 1e-2f);
    }

    @Test
    void drawsAreSeededAndCoverMmdetsRanges() {
        PhotoMetricDistortion p = PhotoMetricDistortion.defaults();
        assertEquals(p.draw(new SampleDraws(3, 1, 17, 0)), p.draw(new SampleDraws(3, 1, 17, 0)));
        assertNotEquals(p.draw(new SampleDraws(3, 1, 17, 0)), p.draw(new SampleDraws(3, 1, 18, 0)));
        assertNotEquals(p.draw(new SampleDraws(3, 1, 17, 0)), p.draw(new SampleDraws(3, 1, 17, 1)));
        int[] on = new int[6];
        Set<String> perms = new HashSet<>();
        int n = 4000;
        for (int i = 0; i < n; i++) {
            PhotoMetricDistortion.Draw d = p.draw(SampleDraws.of(11, 2, i));
            boolean[] f = {d.contrastFirst(), d.brightness(), d.contrast(), d.saturation(), d.hue(), d.swap()};
            for (int k = 0; k < 6; k++) if (f[k]) on[k]++;
            assertTrue(d.delta() >= -32 && d.delta() < 32, "delta " + d.delta());
            assertTrue(d.alpha() >= 0.5 && d.alpha() < 1.5, "alpha " + d.alpha());
            assertTrue(d.saturationScale() >= 0.5 && d.saturationScale() < 1.5);
            assertTrue(d.hueShift() >= -18 && d.hueShift() < 18);
            perms.add(java.util.Arrays.toString(d.permutation()));
        }
        for (int k = 0; k < 6; k++) assertTrue(Math.abs(on[k] - n / 2) < n / 20, "flag " + k + " on " + on[k] + " of " + n);
        assertEquals(6, perms.size(), "every channel permutation is drawn: " + perms);
    }
}
