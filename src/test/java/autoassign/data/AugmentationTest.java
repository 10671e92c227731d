package autoassign.data;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RandomFlip directions, RandomCrop geometry and the order of the pipeline's steps, on hand-computed cases. */
class AugmentationTest {
    private static final GroundTruth NONE = new GroundTruth(new float[0], new int[0], new float[0], new int[0]);

    /** A w × h image whose pixel (x, y) is (B, G, R) = (x, y, 7). */
    static byte[] coordinates(int h, int w) {
        byte[] px = new byte[h * w * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                px[(y * w + x) * 3] = (byte) x;
                px[(y * w + x) * 3 + 1] = (byte) y;
                px[(y * w + x) * 3 + 2] = 7;
            }
        return px;
    }

    static PreparedImage run(PipelineOptions o, int h, int w, ImageRecord rec, SampleDraws d) {
        byte[] px = coordinates(h, w);
        try (BytePointer bp = new BytePointer(px); Mat m = new Mat(h, w, CV_8UC3, bp)) {
            PreparedImage p = new Pipeline(o).prepare(m, rec, 0, d);
            byte[] after = new byte[px.length];
            bp.get(after);
            assertArrayEquals(px, after, "the decoded image is not modified");
            return p;
        }
    }

    /** Steps with a Resize that keeps a w × h image as it is (scale = its own size). */
    static PipelineOptions steps(int h, int w, Transform... t) {
        return new PipelineOptions(Math.max(h, w), Math.min(h, w), 0, new float[] {0, 0, 0}, new float[] {1, 1, 1}, 1)
                .withTransforms(List.of(t));
    }

    static int px(PreparedImage p, int x, int y, int c) { return p.pixels()[(y * p.meta().imgW() + x) * 3 + c] & 0xFF; }

    @Test
    void flipDirectionsMoveBoxesAsHorizontalBoxesFlip() {
        float[] b = {10, 20, 110, 220};
        FlipDirection.HORIZONTAL.flipBoxes(b, 1199, 800);
        assertArrayEquals(new float[] {1089, 20, 1189, 220}, b);
        b = new float[] {10, 20, 110, 220};
        FlipDirection.VERTICAL.flipBoxes(b, 1199, 800);
        assertArrayEquals(new float[] {10, 580, 110, 780}, b);
        b = new float[] {10, 20, 110, 220};
        FlipDirection.DIAGONAL.flipBoxes(b, 1199, 800);
        assertArrayEquals(new float[] {1089, 580, 1189, 780}, b);
    }

    @Test
    void flippedImagesAndBoxesAgree() {
        int h = 30, w = 40;
        ImageRecord rec = new ImageRecord(1, "a", w, h, new float[] {2, 3, 12, 8}, new int[] {1}, new float[] {0, 0, 40, 30},
                new int[] {2}, true);
        for (FlipDirection d : FlipDirection.values()) {
            PreparedImage p = run(steps(h, w, ResizeStep.INSTANCE, new RandomFlip(List.of(d), List.of(1.0))), h, w, rec,
                    SampleDraws.of(0, 0, 0));
            // the pixel that was at (x, y) = (2, 3) is where the flipped box's corner says
            float[] box = p.gt().boxes();
            int x = d == FlipDirection.VERTICAL ? 2 : (int) box[2] - 1, y = d == FlipDirection.HORIZONTAL ? 3 : (int) box[3] - 1;
            assertEquals(2, px(p, x, y, 0), d + " B");
            assertEquals(3, px(p, x, y, 1), d + " G");
            assertEquals(d == FlipDirection.VERTICAL ? 2 : 28, box[0], 0f, d + " x1");
            assertEquals(d == FlipDirection.HORIZONTAL ? 3 : 22, box[1], 0f, d + " y1");
            assertArrayEquals(new float[] {0, 0, 40, 30}, p.gt().ignoredBoxes(), d + " crowd box covering the image");
            assertEquals(d == FlipDirection.HORIZONTAL, p.meta().flipped(), d + " meta");
        }
    }

    @Test
    void aListOfDirectionsIsChosenAsNumpyChoice() {
        FlipDirection h = FlipDirection.HORIZONTAL, v = FlipDirection.VERTICAL, g = FlipDirection.DIAGONAL;
        RandomFlip two = new RandomFlip(List.of(h, v), List.of(0.3, 0.5));
        assertSame(h, two.choose(0.0));
        assertSame(h, two.choose(0.29));
        assertSame(v, two.choose(0.31));
        assertSame(v, two.choose(0.79));
        assertNull(two.choose(0.81));
        assertEquals(0.8, two.totalProb(), 1e-12);
        // one prob for three directions: prob / 3 each (MMCV)
        RandomFlip three = new RandomFlip(List.of(h, v, g), List.of(0.5 / 3, 0.5 / 3, 0.5 / 3));
        assertSame(h, three.choose(0.16));
        assertSame(v, three.choose(0.17));
        assertSame(g, three.choose(0.49));
        assertNull(three.choose(0.51));
        // one direction: the loader's rule u < p
        assertSame(h, RandomFlip.horizontal(0.5).choose(0.4999));
        assertNull(RandomFlip.horizontal(0.5).choose(0.5));
        assertThrows(IllegalArgumentException.class, () -> new RandomFlip(List.of(h, v), List.of(0.6, 0.6)));
        // drawn over many images, each direction takes its share
        int[] n = new int[4];
        for (int i = 0; i < 20000; i++) {
            FlipDirection d = two.choose(SampleDraws.of(5, 1, i).flipUnit());
            n[d == null ? 3 : d.ordinal()]++;
        }
        assertEquals(0.3, n[0] / 20000.0, 0.02);
        assertEquals(0.5, n[1] / 20000.0, 0.02);
        assertEquals(0.2, n[3] / 20000.0, 0.02);
    }

    @Test
    void cropShiftsClipsAndDropsBoxesAsMmdet() {
        RandomCrop c = new RandomCrop(RandomCrop.Type.ABSOLUTE, 40, 30, false, true);
        float[] boxes = {
                10, 10, 50, 40,     // straddles the crop's top-left: shifted to (-10, 5, 30, 35), clipped
                70, 10, 90, 20,     // right of the crop: x1 = 50 -> 40, not inside
                0, 0, 20, 5,        // ends exactly at the crop's left edge (x2 = 0): not inside
                25, 10, 30, 20};    // inside
        boolean[] keep = c.shiftAndClip(boxes, 20, 5, 40, 30);
        assertArrayEquals(new boolean[] {true, false, false, true}, keep);
        assertArrayEquals(new float[] {0, 5, 30, 30, 40, 5, 40, 15, 0, 0, 0, 0, 5, 5, 10, 15}, boxes);
        // without clipping the boxes keep their shifted coordinates; is_inside still drops the outside ones
        RandomCrop loose = new RandomCrop(RandomCrop.Type.ABSOLUTE, 40, 30, false, false);
        float[] b2 = {10, 10, 50, 40, 70, 10, 90, 20};
        assertArrayEquals(new boolean[] {true, false}, loose.shiftAndClip(b2, 20, 5, 40, 30));
        assertArrayEquals(new float[] {-10, 5, 30, 35, 50, 5, 70, 15}, b2);
    }

    @Test
    void cropSizesFollowMmdetsCropTypes() {
        SampleDraws d = SampleDraws.of(1, 2, 3);
        // absolute (w, h) = (50, 20), capped by the image (h 80, w 40)
        assertArrayEquals(new int[] {20, 40}, new RandomCrop(RandomCrop.Type.ABSOLUTE, 50, 20, false, true).cropSize(80, 40, d));
        // relative (w, h) fractions: int(80 * 0.25 + 0.5), int(100 * 0.5 + 0.5)
        assertArrayEquals(new int[] {20, 50}, new RandomCrop(RandomCrop.Type.RELATIVE, 0.5, 0.25, false, true).cropSize(80, 100, d));
        for (int i = 0; i < 200; i++) {
            SampleDraws di = SampleDraws.of(1, 2, i);
            // relative_range (h, w): height in [0.5, 1] of 80, width in [0.25, 1] of 100
            int[] rr = new RandomCrop(RandomCrop.Type.RELATIVE_RANGE, 0.5, 0.25, false, true).cropSize(80, 100, di);
            assertTrue(rr[0] >= 40 && rr[0] <= 80 && rr[1] >= 25 && rr[1] <= 100, java.util.Arrays.toString(rr));
            // absolute_range [20, 50]: both sides in it, capped by the image (h 30)
            int[] ar = new RandomCrop(RandomCrop.Type.ABSOLUTE_RANGE, 20, 50, false, true).cropSize(30, 100, di);
            assertTrue(ar[0] >= 20 && ar[0] <= 30 && ar[1] >= 20 && ar[1] <= 50, java.util.Arrays.toString(ar));
            int[] off = new RandomCrop(RandomCrop.Type.ABSOLUTE, 50, 20, false, true).offset(80, 100, 20, 50, di);
            assertTrue(off[0] >= 0 && off[0] <= 60 && off[1] >= 0 && off[1] <= 50, java.util.Arrays.toString(off));
        }
        // relative_range's float32 arithmetic: crop_h = f32(0.3) + r * f32(1 - f32(0.3)) in float64
        RandomCrop r = new RandomCrop(RandomCrop.Type.RELATIVE_RANGE, 0.3, 0.7, false, true);
        double u = d.unit(SampleDraws.CROP, RandomCrop.DRAW_H);
        assertEquals((int) (97 * ((double) 0.3f + u * (double) (1f - 0.3f)) + 0.5), r.cropSize(97, 50, d)[0]);
    }

    @Test
    void cropCutsTheImageAtTheDrawnOffsetAndKeepsLabelsInStep() {
        int h = 60, w = 80;
        ImageRecord rec = new ImageRecord(1, "a", w, h, new float[] {0, 0, 10, 10, 30, 20, 50, 40, 70, 50, 80, 60},
                new int[] {4, 5, 6}, new float[] {35, 25, 45, 35}, new int[] {9}, true);
        RandomCrop crop = new RandomCrop(RandomCrop.Type.ABSOLUTE, 40, 30, true, true); // crop_size (w, h) = (40, 30)
        int checkedKeep = 0;
        for (int i = 0; i < 30; i++) {
            SampleDraws d = SampleDraws.of(3, 0, i);
            int[] off = crop.offset(h, w, 30, 40, d);
            PreparedImage p = run(steps(30, 40, crop, ResizeStep.INSTANCE), h, w, rec, d); // the resize keeps the 40x30 crop
            assertEquals(30, p.meta().imgH());
            assertEquals(40, p.meta().imgW());
            assertEquals(60, p.meta().oriH(), "ori_shape stays the decoded size");
            assertEquals(off[1], px(p, 0, 0, 0), "top-left pixel comes from x = offset_w");
            assertEquals(off[0], px(p, 0, 0, 1), "top-left pixel comes from y = offset_h");
            assertEquals(off[1] + 39, px(p, 39, 29, 0));
            // the box (30, 20, 50, 40) with label 5 is kept whenever it overlaps the crop
            boolean overlaps = 50 > off[1] && 30 < off[1] + 40 && 40 > off[0] && 20 < off[0] + 30;
            int[] labels = p.gt().labels();
            assertEquals(overlaps, java.util.Arrays.stream(labels).anyMatch(l -> l == 5), "offset " + java.util.Arrays.toString(off));
            if (overlaps) {
                int k = java.util.Arrays.asList(java.util.Arrays.stream(labels).boxed().toArray()).indexOf(5);
                float[] b = java.util.Arrays.copyOfRange(p.gt().boxes(), 4 * k, 4 * k + 4);
                assertArrayEquals(new float[] {Math.max(0, 30 - off[1]), Math.max(0, 20 - off[0]), Math.min(40, 50 - off[1]),
                        Math.min(30, 40 - off[0])}, b);
                checkedKeep++;
            }
            assertEquals(p.gt().boxes().length, 4 * labels.length);
            assertEquals(p.gt().ignoredBoxes().length, 4 * p.gt().ignoredLabels().length);
        }
        assertTrue(checkedKeep > 0);
    }

    @Test
    void aCropWithoutBoxesIsRejectedUnlessAllowedAndCrowdBoxesCount() {
        int h = 60, w = 80;
        ImageRecord boxInCorner = new ImageRecord(1, "a", w, h, new float[] {0, 0, 4, 4}, new int[] {1}, new float[0], new int[0], true);
        RandomCrop strict = new RandomCrop(RandomCrop.Type.ABSOLUTE, 20, 20, false, true);
        RandomCrop lenient = new RandomCrop(RandomCrop.Type.ABSOLUTE, 20, 20, true, true);
        int rejected = 0;
        for (int i = 0; i < 40; i++) {
            SampleDraws d = SampleDraws.of(0, 0, i);
            int[] off = strict.offset(h, w, 20, 20, d);
            boolean keeps = off[0] < 4 && off[1] < 4;
            PreparedImage p = run(steps(h, w, ResizeStep.INSTANCE, strict), h, w, boxInCorner, d);
            assertEquals(keeps, p != null, "offset " + java.util.Arrays.toString(off));
            if (p == null) rejected++;
            PreparedImage q = run(steps(h, w, ResizeStep.INSTANCE, lenient), h, w, boxInCorner, d);
            assertNotNull(q);
            assertEquals(keeps ? 1 : 0, q.gt().count());
        }
        assertTrue(rejected > 30, "most 20x20 crops of an 80x60 image miss a 4x4 corner box: " + rejected);
        // a crowd box counts as a box (MMDetection keeps it in gt_bboxes with an ignore flag)
        ImageRecord crowdOnly = new ImageRecord(2, "b", w, h, new float[0], new int[0], new float[] {0, 0, 80, 60}, new int[] {3}, true);
        PreparedImage c = run(steps(h, w, ResizeStep.INSTANCE, strict), h, w, crowdOnly, SampleDraws.of(0, 0, 1));
        assertNotNull(c);
        assertEquals(0, c.gt().count());
        assertEquals(1, c.gt().ignoredCount());
        // the legacy entry point (browse, benchmarks) never rejects
        try (BytePointer bp = new BytePointer(coordinates(h, w)); Mat m = new Mat(h, w, CV_8UC3, bp)) {
            assertNotNull(new Pipeline(steps(h, w, ResizeStep.INSTANCE, strict)).prepare(m, boxInCorner, 0, false));
        }
    }

    @Test
    void stepsRunInTheListedOrder() {
        int h = 60, w = 80;
        ImageRecord rec = new ImageRecord(1, "a", w, h, new float[] {0, 0, 80, 60}, new int[] {1}, new float[0], new int[0], true);
        RandomCrop crop = new RandomCrop(RandomCrop.Type.ABSOLUTE, 40, 30, false, true);
        PipelineOptions half = new PipelineOptions(40, 30, 0, new float[] {0, 0, 0}, new float[] {1, 1, 1}, 1);
        SampleDraws d = SampleDraws.of(0, 0, 5);
        // Resize (to 40x30) then a 40x30 crop: the whole resized image
        PreparedImage resizeFirst = run(half.withTransforms(List.of(ResizeStep.INSTANCE, crop)), h, w, rec, d);
        assertEquals(40, resizeFirst.meta().imgW());
        assertArrayEquals(new float[] {0, 0, 40, 30}, resizeFirst.gt().boxes());
        assertEquals(0.5, resizeFirst.meta().scaleW(), 0);
        // a 40x30 crop then Resize to (40, 30): the crop, unscaled, and its box
        PreparedImage cropFirst = run(half.withTransforms(List.of(crop, ResizeStep.INSTANCE)), h, w, rec, d);
        int[] off = crop.offset(h, w, 30, 40, d);
        assertEquals(40, cropFirst.meta().imgW());
        assertEquals(1.0, cropFirst.meta().scaleW(), 0);
        assertEquals(off[1], px(cropFirst, 0, 0, 0));
        assertArrayEquals(new float[] {0, 0, 40, 30}, cropFirst.gt().boxes());
        // a flip before the resize flips the original boxes, then they are scaled
        PreparedImage flipFirst = run(half.withTransforms(List.of(new RandomFlip(List.of(FlipDirection.VERTICAL), List.of(1.0)),
                ResizeStep.INSTANCE)), h, w, new ImageRecord(1, "a", w, h, new float[] {0, 0, 20, 10}, new int[] {1},
                new float[0], new int[0], true), d);
        assertArrayEquals(new float[] {0, 25, 10, 30}, flipFirst.gt().boxes());
    }

    @Test
    void photometricDistortionKeepsFloatPixelsThatBatchingUses() {
        int h = 6, w = 8;
        PipelineOptions o = new PipelineOptions(8, 6, 0, new float[] {10, 20, 30}, new float[] {2, 4, 8}, 8)
                .withTransforms(List.of(ResizeStep.INSTANCE, PhotoMetricDistortion.defaults()));
        ImageRecord rec = new ImageRecord(1, "a", w, h, new float[] {1, 1, 5, 5}, new int[] {0}, new float[0], new int[0], true);
        SampleDraws d = SampleDraws.of(4, 0, 2);
        PreparedImage p = run(o, h, w, rec, d);
        assertNotNull(p.values());
        float[] want = new float[h * w * 3];
        byte[] src = coordinates(h, w);
        for (int i = 0; i < want.length; i++) want[i] = src[i] & 0xFF;
        PhotoMetricDistortion.apply(want, h, w, PhotoMetricDistortion.defaults().draw(d));
        assertArrayEquals(want, p.values());
        for (int i = 0; i < want.length; i++)
            assertEquals(Math.max(0, Math.min(255, Math.round(want[i]))), p.pixels()[i] & 0xFF, 1, "picture value " + i);
        Batch b = new Pipeline(o).collate(List.of(p));
        int plane = 8 * 8;
        assertEquals((want[0] - 10f) / 2f, b.data()[0], 0f);
        assertEquals((want[1] - 20f) / 4f, b.data()[plane], 0f);
        assertEquals((want[(1 * w + 3) * 3 + 2] - 30f) / 8f, b.data()[2 * plane + 1 * 8 + 3], 0f);
        assertEquals(0f, b.data()[6 * 8], 0f, "padding stays 0");
    }

    @Test
    void optionsKeepTheRecipeDefaultsAndEvaluationFlips() {
        PipelineOptions train = PipelineOptions.cocoTrain();
        assertEquals(List.of(ResizeStep.INSTANCE, RandomFlip.horizontal(0.5)), train.transforms());
        assertEquals(0.5, train.flipProb());
        assertEquals(List.of(ResizeStep.INSTANCE), PipelineOptions.cocoTest().transforms());
        assertEquals(List.of(ResizeStep.INSTANCE, RandomFlip.horizontal(1)), PipelineOptions.cocoTest().withFlipProb(1).transforms());
        PipelineOptions aug = train.withTransforms(List.of(PhotoMetricDistortion.defaults(), ResizeStep.INSTANCE,
                new RandomFlip(List.of(FlipDirection.VERTICAL), List.of(0.3))));
        assertEquals(List.of(PhotoMetricDistortion.defaults(), ResizeStep.INSTANCE, RandomFlip.horizontal(1)),
                aug.withFlipProb(1).transforms(), "the flip is replaced in place");
        assertFalse(aug.withFlipProb(0).transforms().stream().anyMatch(t -> t instanceof RandomFlip));
        assertThrows(IllegalArgumentException.class, () -> train.withTransforms(List.of(PhotoMetricDistortion.defaults())));
    }

    @Test
    void collateStillTakesPlainBytes() {
        PreparedImage p = new PreparedImage(new ImageMeta(1, "x", 0, 1, 1, 1, 1, 1, 1, false, 0, 0), new byte[] {1, 2, 3}, NONE);
        assertNull(p.values());
        assertEquals(1f - 102.9801f, new Pipeline(PipelineOptions.cocoTrain()).collate(List.of(p)).data()[0], 0f);
    }
}
