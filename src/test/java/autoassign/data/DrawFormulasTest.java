package autoassign.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Given the uniforms: each transform's random parameters from its draws {@code u(k) = d.unit(salt, k)}, recomputed
 * here with MMDetection 3.3's / MMCV 2.x's own formulas (mmdet/datasets/transforms/transforms.py,
 * mmcv/transforms/processing.py) written out independently, and compared with what the transform draws. The draws
 * themselves are seeded hashes (docs/data.md, "Draw keys"); NumPy's {@code uniform(lo, hi) = lo + (hi - lo)·u} and
 * {@code randint(lo, hi) = lo + ⌊u·(hi - lo)⌋} turn them into numbers ({@link #uniform}, {@link #randint}).
 */
class DrawFormulasTest {
    private static final int N = 400;

    private static double uniform(double u, double lo, double hi) { return lo + (hi - lo) * u; }

    private static int randint(double u, int lo, int hi) { return lo + (int) Math.floor(u * ((long) hi - lo)); }

    private static List<SampleDraws> draws() {
        List<SampleDraws> out = new ArrayList<>();
        for (int i = 0; i < N; i++) out.add(new SampleDraws(11, i % 3, i, i % 2));
        return out;
    }

    @Test
    void scaleSamplerFollowsMmcv() {
        // RandomResize._random_sample: edge = randint(min, max + 1), both ends reachable
        ScaleSampler range = new ScaleSampler(List.of(new int[] {1333, 640}, new int[] {1333, 800}), true);
        assertArrayEquals(new int[] {1333, 640}, range.fromUnits(0, 0));
        assertArrayEquals(new int[] {1333, 800}, range.fromUnits(0.5, Math.nextDown(1.0)));
        assertArrayEquals(new int[] {1333, 640 + (int) Math.floor(0.37 * 161)}, range.fromUnits(0.9, 0.37));
        ScaleSampler both = new ScaleSampler(List.of(new int[] {1000, 600}, new int[] {1400, 700}), true);
        assertArrayEquals(new int[] {1000 + (int) Math.floor(0.25 * 401), 600 + (int) Math.floor(0.75 * 101)}, both.fromUnits(0.25, 0.75));
        // RandomChoiceResize._random_select: scales[randint(len(scales))]
        ScaleSampler choice = new ScaleSampler(List.of(new int[] {1333, 640}, new int[] {1333, 704}, new int[] {1333, 800}), false);
        assertArrayEquals(new int[] {1333, 640}, choice.fromUnits(0.333, 0.9));
        assertArrayEquals(new int[] {1333, 704}, choice.fromUnits(0.334, 0.9));
        assertArrayEquals(new int[] {1333, 800}, choice.fromUnits(Math.nextDown(1.0), 0));
        // _random_sample_ratio: ratio = random_sample() * (max - min) + min, int(scale * ratio) per side
        ScaleSampler ratio = ScaleSampler.ratio(1333, 800, 0.5, 1.5);
        for (double u : new double[] {0, 0.25, 0.3333, 0.5, 0.871, Math.nextDown(1.0)}) {
            double r = u * (1.5 - 0.5) + 0.5;
            assertArrayEquals(new int[] {(int) (1333 * r), (int) (800 * r)}, ratio.fromUnits(u, 0.5), "u = " + u);
        }
        assertArrayEquals(new int[] {999, 600}, ratio.fromUnits(0.25, 0), "int(999.75) = 999: truncated after the product");
    }

    /** MMCV's {@code _choose_direction}: {@code np.random.choice(direction_list + [None], p=prob_list + [1 - sum])}. */
    @Test
    void flipDirectionIsNumpysChoice() {
        RandomFlip f = new RandomFlip(List.of(FlipDirection.HORIZONTAL, FlipDirection.VERTICAL, FlipDirection.DIAGONAL), List.of(0.3, 0.2, 0.1));
        double[] p = {0.3, 0.2, 0.1, 1 - (0.3 + 0.2 + 0.1)};
        double[] cdf = new double[4];
        double run = 0;
        for (int i = 0; i < 4; i++) cdf[i] = run += p[i];
        for (int i = 0; i < 4; i++) cdf[i] /= cdf[3];
        FlipDirection[] out = {FlipDirection.HORIZONTAL, FlipDirection.VERTICAL, FlipDirection.DIAGONAL, null};
        for (int j = 0; j <= 1000; j++) {
            double u = Math.min(j / 1000.0, Math.nextDown(1.0));
            int idx = 0;
            while (idx < 3 && !(cdf[idx] > u)) idx++; // searchsorted(cdf, u, side='right')
            assertEquals(out[idx], f.choose(u), "u = " + u);
        }
        RandomFlip one = RandomFlip.horizontal(0.5);
        assertEquals(FlipDirection.HORIZONTAL, one.choose(Math.nextDown(0.5)));
        assertNull(one.choose(0.5));
    }

    /** {@code RandomCrop._get_crop_size} and {@code _rand_offset}. */
    @Test
    void randomCropFollowsMmdet() {
        RandomCrop abs = new RandomCrop(RandomCrop.Type.ABSOLUTE, 50, 30, false, true);
        RandomCrop absRange = new RandomCrop(RandomCrop.Type.ABSOLUTE_RANGE, 20, 60, false, true);
        RandomCrop rel = new RandomCrop(RandomCrop.Type.RELATIVE, 0.55, 0.35, false, true);
        RandomCrop relRange = new RandomCrop(RandomCrop.Type.RELATIVE_RANGE, 0.3, 0.7, false, true);
        int h = 45, w = 70;
        for (SampleDraws d : draws()) {
            double u0 = d.unit(SampleDraws.CROP, 0), u1 = d.unit(SampleDraws.CROP, 1);
            // absolute: (min(crop_size[1], h), min(crop_size[0], w))
            assertArrayEquals(new int[] {30, 50}, abs.cropSize(h, w, d));
            // absolute_range: randint(min(h, lo), min(h, hi) + 1), then the width likewise
            assertArrayEquals(new int[] {randint(u0, Math.min(h, 20), Math.min(h, 60) + 1), randint(u1, Math.min(w, 20), Math.min(w, 60) + 1)},
                    absRange.cropSize(h, w, d));
            // relative: crop_w, crop_h = crop_size; (int(h * crop_h + 0.5), int(w * crop_w + 0.5))
            assertArrayEquals(new int[] {(int) (h * 0.35 + 0.5), (int) (w * 0.55 + 0.5)}, rel.cropSize(h, w, d));
            // relative_range: crop_h, crop_w = float32(crop_size) + rand(2) * (1 - float32(crop_size))
            double ch = (float) 0.3 + u0 * (1f - (float) 0.3), cw = (float) 0.7 + u1 * (1f - (float) 0.7);
            assertArrayEquals(new int[] {(int) (h * ch + 0.5), (int) (w * cw + 0.5)}, relRange.cropSize(h, w, d));
            // _rand_offset: randint(0, margin + 1), margin = max(side - crop, 0)
            int[] size = absRange.cropSize(h, w, d);
            assertArrayEquals(new int[] {randint(d.unit(SampleDraws.CROP, 2), 0, Math.max(h - size[0], 0) + 1),
                    randint(d.unit(SampleDraws.CROP, 3), 0, Math.max(w - size[1], 0) + 1)}, abs.offset(h, w, size[0], size[1], d));
        }
    }

    /** {@code PhotoMetricDistortion._random_flags}: six {@code randint(2)}, then four {@code uniform}s. */
    @Test
    void photometricFlagsFollowMmdet() {
        PhotoMetricDistortion t = new PhotoMetricDistortion(32, 0.5, 1.5, 0.6, 1.4, 18);
        for (SampleDraws d : draws()) {
            PhotoMetricDistortion.Draw g = t.draw(d);
            long s = SampleDraws.PHOTOMETRIC;
            assertEquals(randint(d.unit(s, 0), 0, 2) == 1, g.contrastFirst(), "mode 1: contrast before the HSV conversion");
            boolean[] flags = {g.brightness(), g.contrast(), g.saturation(), g.hue(), g.swap()};
            for (int k = 1; k <= 5; k++) assertEquals(randint(d.unit(s, k), 0, 2) == 1, flags[k - 1]);
            assertEquals(uniform(d.unit(s, 6), -32, 32), g.delta(), 0);
            assertEquals(uniform(d.unit(s, 7), 0.5, 1.5), g.alpha(), 0);
            assertEquals(uniform(d.unit(s, 8), 0.6, 1.4), g.saturationScale(), 0);
            assertEquals(uniform(d.unit(s, 9), -18, 18), g.hueShift(), 0);
        }
    }

    /** {@code Expand}: skip when {@code uniform(0, 1) > prob}; {@code ratio = uniform(min, max)}; {@code left = int(uniform(0, w·ratio − w))}. */
    @Test
    void expandFollowsMmdet() {
        Expand e = new Expand(List.of(0.0, 0.0, 0.0), true, 1.2, 3.7, 0.6);
        int h = 37, w = 53;
        int expanded = 0;
        for (SampleDraws d : draws()) {
            long s = SampleDraws.EXPAND;
            int[] g = e.draw(h, w, d);
            if (d.unit(s, 0) > 0.6) {
                assertNull(g);
                continue;
            }
            expanded++;
            double ratio = uniform(d.unit(s, 1), 1.2, 3.7);
            assertArrayEquals(new int[] {(int) (h * ratio), (int) (w * ratio), (int) uniform(d.unit(s, 2), 0, w * ratio - w),
                    (int) uniform(d.unit(s, 3), 0, h * ratio - h)}, g);
        }
        assertTrue(expanded > N / 3 && expanded < N, "both branches: " + expanded);
    }

    /**
     * {@code MinIoURandomCrop.transform}: {@code mode = choice((1, *min_ious, 0))}; 50 trials of
     * {@code new_w = uniform(min_crop_size·w, w)}, {@code new_h} likewise, aspect {@code new_h / new_w} in [0.5, 2],
     * {@code left = uniform(w − new_w)} (NumPy: low = w − new_w, high = 1), the patch of truncated corners, no line or
     * point, the IoU and centre checks; a new mode after 50 failed trials.
     */
    @Test
    void minIouCropFollowsMmdet() {
        MinIoURandomCrop t = MinIoURandomCrop.defaults();
        int h = 48, w = 64;
        float[] boxes = {10, 8, 30, 40, 40, 20, 60, 30};
        int cropped = 0;
        for (SampleDraws d : draws()) {
            int[] want = minIouPatch(t, h, w, boxes, d);
            assertArrayEquals(want, t.patch(h, w, boxes, new float[0], d));
            assertArrayEquals(minIouPatch(t, h, w, new float[0], d), t.patch(h, w, new float[0], new float[0], d));
            if (want != null) cropped++;
        }
        assertTrue(cropped > N / 2, "most images are cropped: " + cropped);
    }

    private static int[] minIouPatch(MinIoURandomCrop t, int h, int w, float[] boxes, SampleDraws d) {
        long s = SampleDraws.MIN_IOU_CROP;
        double[] modes = new double[t.minIous().size() + 2];
        modes[0] = 1;
        for (int i = 0; i < t.minIous().size(); i++) modes[i + 1] = t.minIous().get(i);
        for (int round = 0; round < 100; round++) {
            int base = 201 * round;
            double mode = modes[randint(d.unit(s, base), 0, modes.length)];
            if (mode == 1) return null;
            for (int i = 0; i < 50; i++) {
                int k = base + 1 + 4 * i;
                double newW = uniform(d.unit(s, k), t.minCropSize() * w, w), newH = uniform(d.unit(s, k + 1), t.minCropSize() * h, h);
                if (newH / newW < 0.5 || newH / newW > 2) continue;
                double left = (w - newW) + (1 - (w - newW)) * d.unit(s, k + 2), top = (h - newH) + (1 - (h - newH)) * d.unit(s, k + 3);
                int[] p = {(int) left, (int) top, (int) (left + newW), (int) (top + newH)};
                if (p[2] == p[0] || p[3] == p[1]) continue;
                if (boxes.length > 0) {
                    if (MinIoURandomCrop.minIoU(p, boxes) < mode) continue;
                    boolean any = false;
                    for (boolean b : MinIoURandomCrop.centresInside(boxes, p)) any |= b;
                    if (!any) continue;
                }
                return p;
            }
        }
        return null;
    }

    /** {@code RandomShift}: {@code uniform(0, 1) < prob}, then {@code randint(-max, max)} for x, then y (exclusive high). */
    @Test
    void randomShiftFollowsMmdet() {
        RandomShift t = new RandomShift(0.7, 5, 1);
        boolean sawLow = false;
        for (SampleDraws d : draws()) {
            long s = SampleDraws.SHIFT;
            int[] g = t.draw(d);
            if (!(d.unit(s, 0) < 0.7)) {
                assertNull(g);
                continue;
            }
            assertArrayEquals(new int[] {randint(d.unit(s, 1), -5, 5), randint(d.unit(s, 2), -5, 5)}, g);
            assertTrue(g[0] < 5 && g[1] < 5, "max_shift_px itself is never drawn");
            sawLow |= g[0] == -5;
        }
        assertTrue(sawLow, "-max_shift_px is drawn");
    }

    /**
     * {@code CutOut.transform}: {@code n = randint(n_holes[0], n_holes[1] + 1)}; per hole {@code x1 = randint(0, w)},
     * {@code y1 = randint(0, h)}, {@code index = randint(0, len(candidates))}, {@code int(ratio · side)},
     * {@code x2 = clip(x1 + cutout_w, 0, w)}.
     */
    @Test
    void cutOutFollowsMmdet() {
        List<CutOut.Size> ratios = List.of(new CutOut.Size(0.25, 0.5), new CutOut.Size(0.7, 0.15), new CutOut.Size(0.05, 0.9));
        CutOut t = new CutOut(1, 4, ratios, true, List.of(0.0, 0.0, 0.0));
        int h = 33, w = 47;
        int[] counts = new int[5];
        for (SampleDraws d : draws()) {
            long s = SampleDraws.CUTOUT;
            int n = randint(d.unit(s, 0), 1, 4 + 1);
            counts[n]++;
            int[][] want = new int[n][];
            for (int j = 0; j < n; j++) {
                int x1 = randint(d.unit(s, 1 + 3 * j), 0, w), y1 = randint(d.unit(s, 2 + 3 * j), 0, h);
                CutOut.Size c = ratios.get(randint(d.unit(s, 3 + 3 * j), 0, ratios.size()));
                want[j] = new int[] {x1, y1, Math.min(Math.max(x1 + (int) (c.w() * w), 0), w), Math.min(Math.max(y1 + (int) (c.h() * h), 0), h)};
            }
            assertArrayEquals(want, t.holes(h, w, d));
        }
        assertTrue(counts[1] > 0 && counts[4] > 0, "both ends of n_holes: " + Arrays.toString(counts));
    }

    /** {@code RandomAffine._get_random_homography_matrix}: rotation, scale, shear x, shear y, translation x · width, y · height. */
    @Test
    void randomAffineDrawsFollowMmdet() {
        RandomAffine t = new RandomAffine(12, 0.15, 0.4, 1.8, 3, 0, 0, List.of(114.0, 114.0, 114.0), true, true, 2, 0.2, 20);
        for (SampleDraws d : draws()) {
            long s = SampleDraws.AFFINE;
            RandomAffine.Draw g = t.draw(50, 80, d);
            assertEquals(new RandomAffine.Draw(uniform(d.unit(s, 0), -12, 12), uniform(d.unit(s, 1), 0.4, 1.8),
                    uniform(d.unit(s, 2), -3, 3), uniform(d.unit(s, 3), -3, 3), uniform(d.unit(s, 4), -0.15, 0.15) * 80,
                    uniform(d.unit(s, 5), -0.15, 0.15) * 50), g);
        }
    }

    /**
     * {@code Mosaic}: {@code get_indexes}: {@code randint(0, len(dataset))} three times; the centre
     * {@code int(uniform(*center_ratio_range) · img_scale[0])}, then y with {@code img_scale[1]}. {@code MixUp}:
     * {@code randint(0, len(dataset))} per try, {@code jit = uniform(*ratio_range)}, flip when
     * {@code uniform(0, 1) > flip_ratio}. {@code CachedMosaic} / {@code CachedMixUp}: {@code randint(0, len(cache) − 1)}.
     */
    @Test
    void mosaicAndMixUpDrawsFollowMmdet() {
        Mosaic m = new Mosaic(96, 64, 0.4, 1.6, true, 114, 1);
        MixUp x = new MixUp(96, 64, 0.7, 1.3, 0.35, 114, false, 15, true);
        for (SampleDraws d : draws()) {
            long s = SampleDraws.MOSAIC;
            assertArrayEquals(new int[] {(int) (uniform(d.unit(s, 1), 0.4, 1.6) * 96), (int) (uniform(d.unit(s, 2), 0.4, 1.6) * 64)}, m.center(d));
            assertArrayEquals(new int[] {randint(d.unit(s, 3), 0, 17), randint(d.unit(s, 4), 0, 17), randint(d.unit(s, 5), 0, 17)}, m.indexes(17, d));
            long t = SampleDraws.MIXUP;
            MixUp.Draw g = x.draw(d);
            assertEquals(uniform(d.unit(t, 0), 0.7, 1.3), g.jit(), 0);
            assertEquals(d.unit(t, 1) > 0.35, g.flip());
            for (int i = 0; i < 3; i++) assertEquals(randint(d.unit(t, 4 + i), 0, 17), x.index(17, i, d));
        }
    }

    /**
     * {@code YOLOXHSVRandomAug._get_hsv_gains}: {@code uniform(-1, 1, 3) · deltas · randint(0, 2, 3)}, then int16
     * (truncated toward zero).
     */
    @Test
    void yoloxHsvGainsFollowMmdet() {
        YoloxHsvRandomAug t = new YoloxHsvRandomAug(5, 30, 30);
        double[] delta = {5, 30, 30};
        for (SampleDraws d : draws()) {
            int[] want = new int[3];
            for (int c = 0; c < 3; c++)
                want[c] = (int) (uniform(d.unit(SampleDraws.YOLOX_HSV, c), -1, 1) * delta[c] * randint(d.unit(SampleDraws.YOLOX_HSV, 3 + c), 0, 2));
            assertArrayEquals(want, t.gains(d));
        }
    }

    /**
     * {@code RandomErasing._get_patches}: {@code n = randint(lo, hi + 1)}; per patch {@code random() · (r1 − r0) + r0}
     * (one ratio when squared, else height then width), {@code ph = int(h · ratio_h)}, {@code px1 = randint(0, w − pw)},
     * {@code py1 = randint(0, h − ph)}.
     */
    @Test
    void randomErasingFollowsMmdet() {
        for (boolean squared : new boolean[] {true, false}) {
            RandomErasing t = new RandomErasing(1, 3, 0.1, 0.6, squared, 0.9, List.of(128.0, 128.0, 128.0));
            int h = 40, w = 56;
            for (SampleDraws d : draws()) {
                long s = SampleDraws.ERASING;
                int n = randint(d.unit(s, 0), 1, 3 + 1);
                int[][] want = new int[n][];
                for (int j = 0; j < n; j++) {
                    int k = 1 + 4 * j;
                    double rh = d.unit(s, k) * (0.6 - 0.1) + 0.1, rw = squared ? rh : d.unit(s, k + 1) * (0.6 - 0.1) + 0.1;
                    int ph = (int) (h * rh), pw = (int) (w * rw);
                    int px1 = randint(d.unit(s, k + 2), 0, w - pw), py1 = randint(d.unit(s, k + 3), 0, h - ph);
                    want[j] = new int[] {px1, py1, px1 + pw, py1 + ph};
                }
                assertArrayEquals(want, t.patches(h, w, d));
            }
        }
    }
}
