package autoassign.data;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static autoassign.data.AugmentationTest.coordinates;
import static autoassign.data.AugmentationTest.px;
import static autoassign.data.AugmentationTest.run;
import static autoassign.data.AugmentationTest.steps;
import static org.bytedeco.opencv.global.opencv_core.CV_32FC3;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Expand, MinIoURandomCrop, RandomShift, CutOut, RandomAffine and YOLOXHSVRandomAug on hand-computed geometry: the
 * image (pixel (x, y) holds (B, G, R) = (x, y, 7)), the boxes with their labels, crowd boxes, and the image type.
 */
class SsdYoloxAugmentationTest {
    private static final int H = 40, W = 60;
    /** Boxes with labels 4, 5, 6 and one crowd box (label 9). */
    private static final ImageRecord REC = new ImageRecord(1, "a", W, H, new float[] {2, 3, 12, 8, 20, 10, 40, 30, 50, 30, 60, 40},
            new int[] {4, 5, 6}, new float[] {0, 0, 10, 10}, new int[] {9}, true);

    private static PreparedImage run1(Transform t, SampleDraws d) { return run(steps(H, W, ResizeStep.INSTANCE, t), H, W, REC, d); }

    /** An h × w float32 image (as PhotoMetricDistortion leaves one) with values 0.5, 1.5, ... beyond 255. */
    private static Mat floatImage(int h, int w) {
        float[] v = new float[h * w * 3];
        for (int i = 0; i < v.length; i++) v[i] = i + 0.5f;
        try (FloatPointer fp = new FloatPointer(v); Mat m = new Mat(h, w, CV_32FC3, fp)) {
            return m.clone();
        }
    }

    /** Runs one step on a float image; the result keeps float values. */
    private static PreparedImage runFloat(java.util.function.BiConsumer<TransformState, SampleDraws> step, SampleDraws d) {
        try (Mat m = floatImage(H, W); TransformState s = new TransformState(m, REC)) {
            step.accept(s, d);
            return s.result(REC, 0);
        }
    }

    private static float[] box(PreparedImage p, int label) {
        int k = Arrays.stream(p.gt().labels()).boxed().toList().indexOf(label);
        return k < 0 ? null : Arrays.copyOfRange(p.gt().boxes(), 4 * k, 4 * k + 4);
    }

    // ------------------------------------------------------------------ Expand

    @Test
    void expandPlacesTheImageOnAMeanCanvasAndShiftsTheBoxes() {
        // RGB mean as a data preprocessor gives it; to_rgb reverses it for the BGR image, uint8 truncates
        Expand e = new Expand(List.of(123.675, 116.28, 103.53), true, 2, 2, 1);
        int checked = 0;
        for (int i = 0; i < 20; i++) {
            SampleDraws d = SampleDraws.of(7, 0, i);
            int[] g = e.draw(H, W, d);
            assertArrayEquals(new int[] {80, 120}, Arrays.copyOf(g, 2), "ratio 2: canvas 2h x 2w");
            int left = g[2], top = g[3];
            assertTrue(left >= 0 && left <= W && top >= 0 && top <= H);
            PreparedImage p = run1(e, d);
            assertEquals(80, p.meta().imgH());
            assertEquals(120, p.meta().imgW());
            assertNull(p.values(), "an 8-bit image stays 8-bit");
            assertEquals(0, px(p, left, top, 0), "the image's (0, 0) lands at (left, top)");
            assertEquals(W - 1, px(p, left + W - 1, top + H - 1, 0));
            assertEquals(H - 1, px(p, left + W - 1, top + H - 1, 1));
            int fx = left > 0 ? left - 1 : left + W, fy = top;
            assertEquals(103, px(p, fx, fy, 0), "canvas B = int(103.53)");
            assertEquals(116, px(p, fx, fy, 1));
            assertEquals(123, px(p, fx, fy, 2));
            assertArrayEquals(new float[] {20 + left, 10 + top, 40 + left, 30 + top}, box(p, 5));
            assertArrayEquals(new int[] {4, 5, 6}, p.gt().labels());
            assertArrayEquals(new float[] {left, top, 10 + left, 10 + top}, p.gt().ignoredBoxes(), "crowd boxes move too");
            checked++;
        }
        assertEquals(20, checked);
        // to_rgb false keeps the given order
        Expand bgr = new Expand(List.of(1.9, 2.0, 3.0), false, 3, 3, 1);
        PreparedImage q = run1(bgr, SampleDraws.of(1, 0, 0));
        int[] g = bgr.draw(H, W, SampleDraws.of(1, 0, 0));
        int x = g[2] > 0 ? 0 : W + 1;
        assertArrayEquals(new int[] {1, 2, 3}, new int[] {px(q, x, 0, 0), px(q, x, 0, 1), px(q, x, 0, 2)});
    }

    @Test
    void expandHappensWithItsProbabilityAndKeepsAFloatImageFloat() {
        Expand half = Expand.defaults();
        int expanded = 0;
        for (int i = 0; i < 2000; i++) {
            SampleDraws d = SampleDraws.of(3, 1, i);
            int[] g = half.draw(H, W, d);
            assertEquals(d.unit(SampleDraws.EXPAND, Expand.DRAW_PROB) <= 0.5, g != null, "MMDetection skips when u > prob");
            if (g != null) {
                expanded++;
                assertTrue(g[0] >= H && g[0] <= 4 * H && g[1] >= W && g[1] <= 4 * W, Arrays.toString(g));
                assertTrue(g[2] + W <= g[1] && g[3] + H <= g[0], "the image fits on the canvas: " + Arrays.toString(g));
            }
        }
        assertEquals(0.5, expanded / 2000.0, 0.04);
        Expand always = new Expand(List.of(123.675, 116.28, 103.53), false, 1.5, 1.5, 1);
        SampleDraws d = SampleDraws.of(0, 0, 0);
        PreparedImage p = runFloat(always::apply, d);
        assertNotNull(p.values(), "a float image stays float");
        int[] g = always.draw(H, W, d);
        int fx = g[2] > 0 ? 0 : g[1] - 1;
        assertEquals(123.675f, p.values()[fx * 3], 0f, "the float canvas holds float32(mean)");
        assertEquals(0.5f, p.values()[(g[3] * g[1] + g[2]) * 3], 0f);
    }

    // ------------------------------------------------------------------ MinIoURandomCrop

    @Test
    void minIouCropsIoUAndCentreRulesAreMmdets() {
        // patch (0, 0, 10, 10) and box (5, 5, 15, 15): overlap 25, union 175
        assertEquals(25f / 175f, MinIoURandomCrop.minIoU(new int[] {0, 0, 10, 10}, new float[] {5, 5, 15, 15}), 0);
        assertEquals(0, MinIoURandomCrop.minIoU(new int[] {0, 0, 10, 10}, new float[] {5, 5, 15, 15, 20, 20, 30, 30}), 0);
        // centres strictly inside: (10, 5) lies on the patch's right edge
        assertArrayEquals(new boolean[] {true, false, false},
                MinIoURandomCrop.centresInside(new float[] {0, 0, 10, 10, 5, 0, 15, 10, -4, -4, 2, 2}, new int[] {0, 0, 10, 10}));
        MinIoURandomCrop c = new MinIoURandomCrop(List.of(), 1, true);
        assertArrayEquals(new float[] {0, 0, 4, 10, 0, 1, 10, 10}, c.shiftAndClip(new float[] {-3, 1, 7, 11, 2, 2, 30, 30}, new int[] {3, 1, 13, 11}));
    }

    @Test
    void minIouCropWithFullSizeTrialsCropsNothingButDropsOffCentreBoxes() {
        // min_crop_size 1 makes every trial the whole image (left = uniform(0, 1) -> 0); the modes are (1, 0): keep
        // everything, or "crop" to the full image, which keeps only the boxes whose centre is inside it
        MinIoURandomCrop c = new MinIoURandomCrop(List.of(), 1, true);
        ImageRecord rec = new ImageRecord(1, "a", W, H, new float[] {-10, -10, 4, 4, 20, 10, 40, 30}, new int[] {3, 5},
                new float[0], new int[0], true);
        int cropped = 0, kept = 0;
        for (int i = 0; i < 40; i++) {
            SampleDraws d = SampleDraws.of(2, 0, i);
            int[] p = c.patch(H, W, rec.boxes(), rec.crowdBoxes(), d);
            PreparedImage out = run(steps(H, W, c, ResizeStep.INSTANCE), H, W, rec, d); // the resize (to the same size) clips
            assertEquals(W, out.meta().imgW());
            assertEquals(H, out.meta().imgH());
            if (p == null) {
                kept++;
                assertArrayEquals(new int[] {3, 5}, out.gt().labels());
                assertArrayEquals(new float[] {0, 0, 4, 4, 20, 10, 40, 30}, out.gt().boxes());
            } else {
                cropped++;
                assertArrayEquals(new int[] {0, 0, W, H}, p);
                assertArrayEquals(new int[] {5}, out.gt().labels(), "the box centred at (-3, -3) goes");
                assertArrayEquals(new float[] {20, 10, 40, 30}, out.gt().boxes());
            }
        }
        assertTrue(cropped > 5 && kept > 5, cropped + " crops, " + kept + " kept");
    }

    @Test
    void minIouCropsPatchFollowsMmdetsDrawsQuirkAndConstraints() {
        MinIoURandomCrop c = MinIoURandomCrop.defaults();
        int crops = 0;
        for (int i = 0; i < 300; i++) {
            SampleDraws d = SampleDraws.of(11, 2, i);
            int[] p = c.patch(H, W, REC.boxes(), REC.crowdBoxes(), d);
            if (p == null) continue;
            crops++;
            int pw = p[2] - p[0], ph = p[3] - p[1];
            assertTrue(p[0] >= 0 && p[1] >= 0 && p[2] <= W && p[3] <= H && pw > 0 && ph > 0, Arrays.toString(p));
            assertTrue(pw >= (int) (0.3 * W) - 1 && ph >= (int) (0.3 * H) - 1, Arrays.toString(p));
            // uniform(w - new_w) draws in [1, w - new_w]: a patch starts at 0 only when it reaches the far side
            assertTrue(p[0] >= 1 || p[2] == W, "x: " + Arrays.toString(p));
            assertTrue(p[1] >= 1 || p[3] == H, "y: " + Arrays.toString(p));
            boolean[] inB = MinIoURandomCrop.centresInside(REC.boxes(), p), inK = MinIoURandomCrop.centresInside(REC.crowdBoxes(), p);
            boolean any = false;
            for (boolean b : inB) any |= b;
            for (boolean b : inK) any |= b;
            assertTrue(any, "some centre lies inside " + Arrays.toString(p));
            // the crop itself: pixels from the patch, boxes shifted and clipped, labels in step
            PreparedImage out = run1(c, d);
            assertEquals(pw, out.meta().imgW());
            assertEquals(p[0], px(out, 0, 0, 0));
            assertEquals(p[1], px(out, 0, 0, 1));
            assertEquals(out.gt().boxes().length, 4 * out.gt().labels().length);
            float[] b5 = box(out, 5);
            assertEquals(inB[1], b5 != null);
            if (b5 != null)
                assertArrayEquals(new float[] {Math.max(0, 20 - p[0]), Math.max(0, 10 - p[1]), Math.min(pw, 40 - p[0]), Math.min(ph, 30 - p[1])}, b5);
            assertEquals(inK[0] ? 1 : 0, out.gt().ignoredCount());
        }
        assertTrue(crops > 100, "crops: " + crops);
        // a box whose centre lies outside the image: no patch can hold it, every round fails, and the mode draws end
        // at "keep the image" (mode 1, or the bound)
        float[] outside = {-10, -10, -2, -2};
        for (int i = 0; i < 20; i++) assertNull(c.patch(H, W, outside, new float[0], SampleDraws.of(0, 0, i)));
    }

    // ------------------------------------------------------------------ RandomShift

    @Test
    void randomShiftMovesImageAndBoxesOntoZeros() {
        RandomShift s = new RandomShift(1, 8, 1);
        int shifted = 0;
        for (int i = 0; i < 30; i++) {
            SampleDraws d = SampleDraws.of(5, 0, i);
            int[] dxy = s.draw(d);
            int dx = dxy[0], dy = dxy[1];
            assertTrue(dx >= -8 && dx < 8 && dy >= -8 && dy < 8, Arrays.toString(dxy));
            PreparedImage p = run1(s, d);
            assertEquals(W, p.meta().imgW());
            // pixel (x, y) comes from (x - dx, y - dy); uncovered pixels are 0
            for (int[] xy : new int[][] {{10, 10}, {0, 0}, {W - 1, H - 1}, {W / 2, 0}}) {
                int sx = xy[0] - dx, sy = xy[1] - dy;
                boolean inside = sx >= 0 && sx < W && sy >= 0 && sy < H;
                assertEquals(inside ? sx : 0, px(p, xy[0], xy[1], 0), "x at " + Arrays.toString(xy) + " shift " + dx + "," + dy);
                assertEquals(inside ? 7 : 0, px(p, xy[0], xy[1], 2));
            }
            assertArrayEquals(new float[] {20 + dx, 10 + dy, 40 + dx, 30 + dy}, box(p, 5));
            // the box (50, 30, 60, 40) at the corner: clipped; gone when a side is 1 px or less
            float w6 = Math.min(60 + dx, W) - Math.max(50 + dx, 0), h6 = Math.min(40 + dy, H) - Math.max(30 + dy, 0);
            assertEquals(w6 > 1 && h6 > 1, box(p, 6) != null, "shift " + dx + "," + dy);
            shifted++;
        }
        assertEquals(30, shifted);
        assertNull(new RandomShift(0, 8, 1).draw(SampleDraws.of(5, 0, 0)), "prob 0 never shifts");
    }

    @Test
    void randomShiftThatWouldKeepNoBoxChangesNothing() {
        // one 2 px box at the left edge and a large filter threshold: no box survives, so nothing moves
        ImageRecord rec = new ImageRecord(1, "a", W, H, new float[] {0, 0, 2, 2}, new int[] {1}, new float[0], new int[0], true);
        RandomShift s = new RandomShift(1, 4, 5);
        PreparedImage p = run(steps(H, W, ResizeStep.INSTANCE, s), H, W, rec, SampleDraws.of(0, 0, 0));
        assertArrayEquals(coordinates(H, W), p.pixels());
        assertArrayEquals(new float[] {0, 0, 2, 2}, p.gt().boxes());
        // a float image stays float, zeros included
        PreparedImage f = runFloat(new RandomShift(1, 8, 1)::apply, SampleDraws.of(5, 0, 1));
        assertNotNull(f.values());
    }

    // ------------------------------------------------------------------ CutOut

    @Test
    void cutOutFillsHolesCutAtTheEdgeAndLeavesBoxes() {
        CutOut c = new CutOut(2, 2, List.of(new CutOut.Size(7, 3)), false, List.of(10.7, 20.0, 30.0));
        SampleDraws d = SampleDraws.of(9, 0, 4);
        int[][] holes = c.holes(H, W, d);
        assertEquals(2, holes.length);
        for (int[] h : holes) assertArrayEquals(new int[] {h[0], h[1], Math.min(h[0] + 7, W), Math.min(h[1] + 3, H)}, h);
        PreparedImage p = run1(c, d);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                boolean in = false;
                for (int[] h : holes) in |= x >= h[0] && x < h[2] && y >= h[1] && y < h[3];
                assertEquals(in ? 10 : x, px(p, x, y, 0), "B at " + x + "," + y + ": uint8 truncates 10.7");
                assertEquals(in ? 30 : 7, px(p, x, y, 2));
            }
        assertArrayEquals(REC.boxes(), p.gt().boxes());
        assertArrayEquals(REC.labels(), p.gt().labels());
        // ratios: int(0.5 * 60) x int(0.25 * 40); the count drawn in [1, 3]
        CutOut r = new CutOut(1, 3, List.of(new CutOut.Size(0.5, 0.25), new CutOut.Size(0.1, 0.1)), true, List.of(0.0, 0.0, 0.0));
        int[] counts = new int[4];
        for (int i = 0; i < 300; i++) {
            int[][] hs = r.holes(H, W, SampleDraws.of(1, 0, i));
            counts[hs.length]++;
            for (int[] h : hs) {
                int w = h[2] - h[0], hh = h[3] - h[1];
                assertTrue((w == Math.min(30, W - h[0]) && hh == Math.min(10, H - h[1])) || (w == Math.min(6, W - h[0]) && hh == Math.min(4, H - h[1])),
                        Arrays.toString(h));
            }
        }
        assertEquals(0, counts[0]);
        assertTrue(counts[1] > 50 && counts[2] > 50 && counts[3] > 50, Arrays.toString(counts));
        PreparedImage f = runFloat(new CutOut(1, 1, List.of(new CutOut.Size(W, H)), false, List.of(10.7, 20.0, 30.0))::apply, d);
        int[][] one = new CutOut(1, 1, List.of(new CutOut.Size(W, H)), false, List.of(10.7, 20.0, 30.0)).holes(H, W, d);
        assertEquals(10.7f, f.values()[(one[0][1] * W + one[0][0]) * 3], 0f, "a float image gets float32(fill)");
    }

    // ------------------------------------------------------------------ RandomAffine

    @Test
    void affineMatrixIsTranslateShearRotationScaling() {
        // rotation 90°, scale 2, no shear, translation (5, 7): x' = -2y + 5, y' = 2x + 7
        float[] m = RandomAffine.matrix(new RandomAffine.Draw(90, 2, 0, 0, 5, 7));
        float[] want = {0, -2, 5, 2, 0, 7, 0, 0, 1};
        for (int i = 0; i < 9; i++) assertEquals(want[i], m[i], 1e-6f, "entry " + i);
        // shear: x' = x + tan(45°) y
        float[] sh = RandomAffine.matrix(new RandomAffine.Draw(0, 1, 45, 0, 0, 0));
        assertEquals(1f, sh[1], 1e-6f);
        // the box (1, 2, 3, 5): corners (1, 9), (1, 13), (-5, 9), (-5, 13)
        float[] b = RandomAffine.project(new float[] {1, 2, 3, 5, 50, 50, 60, 60}, m);
        assertArrayEquals(new float[] {-5, 9, 1, 13}, Arrays.copyOf(b, 4), 1e-5f);
        RandomAffine a = RandomAffine.defaults();
        boolean[] keep = a.keep(new float[] {1, 2, 3, 5, 50, 50, 60, 60}, b, 40, 60, 2);
        assertArrayEquals(new float[] {0, 9, 1, 13}, Arrays.copyOf(b, 4), 1e-5f, "clipped to the image");
        assertArrayEquals(new boolean[] {true, false}, keep, "(50, 50, 60, 60) maps to x < 0: outside");
        // MMDetection 2.x's filter: the clipped box is 1 px wide (min_bbox_size 2)
        RandomAffine filtered = new RandomAffine(10, 0.1, 0.5, 1.5, 2, 0, 0, List.of(114.0, 114.0, 114.0), true, false, 2, 0.2, 20);
        float[] b2 = RandomAffine.project(new float[] {1, 2, 3, 5}, m);
        assertArrayEquals(new boolean[] {false}, filtered.keep(new float[] {1, 2, 3, 5}, b2, 40, 60, 2));
    }

    @Test
    void affineWarpsImageAndBoxesAlike() {
        RandomAffine a = new RandomAffine(0, 0.1, 1, 1, 0, 0, 0, List.of(114.0, 114.0, 114.0), true, true, 2, 0.2, 20);
        for (int i = 0; i < 10; i++) {
            SampleDraws d = SampleDraws.of(4, 0, i);
            RandomAffine.Draw draw = a.draw(H, W, d);
            assertEquals(0, draw.rotateDegree(), 0);
            assertTrue(Math.abs(draw.translateX()) <= 0.1 * W && Math.abs(draw.translateY()) <= 0.1 * H, draw.toString());
            PreparedImage p = run1(a, d);
            assertNull(p.values(), "8-bit stays 8-bit");
            assertEquals(W, p.meta().imgW());
            float tx = (float) draw.translateX(), ty = (float) draw.translateY();
            // the box (20, 10, 40, 30) is translated, never clipped by a 10 % shift
            assertArrayEquals(new float[] {20 + tx, 10 + ty, 40 + tx, 30 + ty}, box(p, 5), 1e-4f);
            // a pixel far from the border holds the source at (x - tx, y - ty), bilinear between two columns
            int x = 30, y = 20;
            double sx = x - draw.translateX();
            int lo = (int) Math.floor(sx);
            int b = px(p, x, y, 0);
            assertTrue(b >= lo && b <= lo + 1, "B " + b + " from x = " + sx);
            int fillX = tx > 0 ? 0 : W - 1;
            if (Math.abs(tx) >= 1) assertEquals(114, px(p, fillX, y, 0), "border value");
        }
        PreparedImage f = runFloat(a::apply, SampleDraws.of(4, 0, 0));
        assertNotNull(f.values(), "a float image stays float");
        assertThrows(DataException.class, () -> new RandomAffine(0, 0, 1, 1, 0, 0, -H, List.of(0.0, 0.0, 0.0), true, true, 2, 0.2, 20)
                .outputSize(H, W));
    }

    /**
     * MMDetection 3.3 reads {@code border} as (w, h): {@code height = img.shape[0] + border[1] * 2},
     * {@code width = img.shape[1] + border[0] * 2} (mmdet/datasets/transforms/transforms.py, RandomAffine.transform), and
     * the translation draws are fractions of that output: {@code trans_x = uniform(-r, r) * width}.
     */
    @Test
    void affineBorderIsWidthThenHeight() {
        RandomAffine a = new RandomAffine(0, 0.1, 1, 1, 0, 3, -5, List.of(114.0, 114.0, 114.0), true, true, 2, 0.2, 20);
        assertArrayEquals(new int[] {H - 10, W + 6}, a.outputSize(H, W), "(h + 2 border[1], w + 2 border[0])");
        SampleDraws d = SampleDraws.of(9, 1, 2);
        RandomAffine.Draw draw = a.draw(H - 10, W + 6, d);
        assertEquals(d.uniform(SampleDraws.AFFINE, RandomAffine.DRAW_TRANSLATE_X, -0.1, 0.1) * (W + 6), draw.translateX(), 0);
        assertEquals(d.uniform(SampleDraws.AFFINE, RandomAffine.DRAW_TRANSLATE_Y, -0.1, 0.1) * (H - 10), draw.translateY(), 0);
        PreparedImage p = run1(a, d);
        assertEquals(W + 6, p.meta().imgW());
        assertEquals(H - 10, p.meta().imgH());
        assertThrows(DataException.class, () -> new RandomAffine(0, 0, 1, 1, 0, -W / 2, 0, List.of(0.0, 0.0, 0.0), true, true, 2, 0.2, 20)
                .outputSize(H, W), "border[0] takes the whole width");
    }

    // ------------------------------------------------------------------ YOLOXHSVRandomAug

    @Test
    void yoloxGainsAreTruncatedDrawsTimesFlags() {
        YoloxHsvRandomAug y = YoloxHsvRandomAug.defaults();
        assertArrayEquals(new int[] {4, -29, 0}, y.gains(new double[] {0.99, -0.999, 0.5}, new int[] {1, 1, 0}));
        assertArrayEquals(new int[] {0, 0, -1}, y.gains(new double[] {-0.19, 0.033, -0.05}, new int[] {1, 1, 1}), "toward zero");
        int[] zero = new int[3];
        for (int i = 0; i < 500; i++) {
            int[] g = y.gains(SampleDraws.of(8, 0, i));
            assertTrue(Math.abs(g[0]) <= 5 && Math.abs(g[1]) <= 30 && Math.abs(g[2]) <= 30, Arrays.toString(g));
            for (int c = 0; c < 3; c++) if (g[c] == 0) zero[c]++;
        }
        assertTrue(zero[1] > 200 && zero[1] < 320, "about half the flags are off: " + zero[1]);
        PreparedImage p = run1(y, SampleDraws.of(8, 0, 1));
        assertNull(p.values(), "8-bit stays 8-bit");
        assertArrayEquals(REC.boxes(), p.gt().boxes());
        assertNotNull(runFloat(y::apply, SampleDraws.of(8, 0, 1)).values(), "a float image stays float");
    }

    @Test
    void newStepsDrawIndependentlyOfEachOther() {
        // each step has its own salt: adding one does not change another's draws
        SampleDraws d = SampleDraws.of(1, 2, 3);
        long[] salts = {SampleDraws.CROP, SampleDraws.PHOTOMETRIC, SampleDraws.REFETCH, SampleDraws.EXPAND, SampleDraws.MIN_IOU_CROP,
                SampleDraws.SHIFT, SampleDraws.CUTOUT, SampleDraws.AFFINE, SampleDraws.YOLOX_HSV};
        assertEquals(salts.length, Arrays.stream(salts).distinct().count());
        assertEquals(salts.length, Arrays.stream(salts).mapToDouble(s -> d.unit(s, 0)).distinct().count());
        assertNotEquals(RandomAffine.defaults().draw(H, W, d), RandomAffine.defaults().draw(H, W, d.next()), "a re-sample draws afresh");
    }
}
