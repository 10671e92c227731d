package autoassign.data;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static autoassign.data.AugmentationTest.px;
import static autoassign.data.AugmentationTest.run;
import static autoassign.data.AugmentationTest.steps;
import static org.bytedeco.opencv.global.opencv_core.CV_32FC3;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MMDetection's Pad (MMCV 2.x's target-size rule, the fill in 8-bit and float images, the padded size as the image size)
 * and FilterAnnotations (the strict comparison at the boundary, crowd boxes and labels in step, keep_empty both ways,
 * the loader re-sampling a rejected image), on hand-computed cases.
 */
class PadFilterTest {
    private static final int H = 40, W = 60;
    private static final ImageRecord REC = new ImageRecord(1, "a", W, H, new float[] {2, 3, 12, 8, 20, 10, 40, 30},
            new int[] {4, 5}, new float[] {0, 0, 10, 10}, new int[] {9}, true);
    private static final List<Double> GREY = List.of(114.0, 114.0, 114.0);

    @TempDir static Path tmp;
    static SyntheticShapes.Layout layout;

    @BeforeAll
    static void generate() {
        layout = SyntheticShapes.ensure(tmp.resolve("syn"), SyntheticShapesTest.SMALL.withCounts(12, 4));
    }

    private static PreparedImage run1(Transform t) { return run(steps(H, W, ResizeStep.INSTANCE, t), H, W, REC, SampleDraws.of(0, 0, 0)); }

    // ------------------------------------------------------------------ Pad

    /**
     * YOLOX's test pipeline (Resize, Pad to a square of 114): a test-time flip happens before the Pad, as MMDetection's
     * TTA orders Resize, RandomFlip, Pad; the flipped image sits at the top left and the fill on the bottom / right.
     */
    @Test
    void aTestTimeFlipComesBeforeTheTestPipelinesPad() {
        byte[] px = AugmentationTest.coordinates(H, W);
        try (org.bytedeco.javacpp.BytePointer bp = new org.bytedeco.javacpp.BytePointer(px);
             Mat m = new Mat(H, W, org.bytedeco.opencv.global.opencv_core.CV_8UC3, bp)) {
            PreparedImage plain = new Pipeline(steps(H, W, ResizeStep.INSTANCE)).prepare(m, REC, 0, true);
            PreparedImage padded = new Pipeline(steps(H, W, ResizeStep.INSTANCE, new Pad(0, 0, 0, true, GREY))).prepare(m, REC, 0, true);
            assertEquals(60, padded.meta().imgH(), "padded to a square");
            assertEquals(60, padded.meta().imgW());
            for (int y = 0; y < 60; y++)
                for (int x = 0; x < 60; x++)
                    for (int c = 0; c < 3; c++)
                        assertEquals(y < H ? px(plain, x, y, c) : 114, px(padded, x, y, c), "(" + x + ", " + y + ")");
            assertArrayEquals(plain.gt().boxes(), padded.gt().boxes(), "the flipped boxes, unmoved by the pad");
        }
    }

    @Test
    void padTargetsAreMmcvs() {
        // pad_to_square: max(h, w)
        assertArrayEquals(new int[] {60, 60}, new Pad(0, 0, 0, true, GREY).target(40, 60));
        assertArrayEquals(new int[] {60, 60}, new Pad(0, 0, 0, true, GREY).target(60, 40));
        // size_divisor alone rounds each side up: 40 -> 50, 60 -> 75 (25); exact multiples stay
        assertArrayEquals(new int[] {50, 75}, new Pad(0, 0, 25, false, GREY).target(40, 60));
        assertArrayEquals(new int[] {64, 64}, new Pad(0, 0, 32, false, GREY).target(40, 60));
        assertArrayEquals(new int[] {64, 96}, new Pad(0, 0, 32, false, GREY).target(64, 96));
        // both: the square first, then rounded up: 60 -> 75 on both sides
        assertArrayEquals(new int[] {75, 75}, new Pad(0, 0, 25, true, GREY).target(40, 60));
        assertArrayEquals(new int[] {64, 64}, new Pad(0, 0, 32, true, GREY).target(64, 33));
        // size is (w, h); a side smaller than the image's stays (impad's max(shape - img.shape, 0))
        assertArrayEquals(new int[] {45, 70}, new Pad(70, 45, 0, false, GREY).target(40, 60));
        assertArrayEquals(new int[] {45, 60}, new Pad(50, 45, 0, false, GREY).target(40, 60));
        assertArrayEquals(new int[] {40, 60}, new Pad(10, 10, 0, false, GREY).target(40, 60));
        // MMCV's asserts
        assertThrows(IllegalArgumentException.class, () -> new Pad(70, 45, 0, true, GREY));
        assertThrows(IllegalArgumentException.class, () -> new Pad(70, 45, 32, false, GREY));
        assertThrows(IllegalArgumentException.class, () -> new Pad(0, 0, 0, false, GREY));
    }

    @Test
    void padFillsTheBottomAndRightAndKeepsBoxes() {
        PreparedImage p = run1(new Pad(0, 0, 0, true, GREY));
        assertEquals(60, p.meta().imgH(), "the padded size is the image size from here on (img_shape)");
        assertEquals(60, p.meta().imgW());
        assertNull(p.values(), "an 8-bit image stays 8-bit");
        assertEquals(59, px(p, 59, 39, 0), "the image stays at the top left");
        assertEquals(39, px(p, 59, 39, 1));
        assertEquals(7, px(p, 59, 39, 2));
        for (int c = 0; c < 3; c++) {
            assertEquals(114, px(p, 0, 40, c), "bottom rows padded");
            assertEquals(114, px(p, 59, 59, c));
        }
        assertArrayEquals(REC.boxes(), p.gt().boxes(), "boxes unchanged");
        assertArrayEquals(REC.labels(), p.gt().labels());
        assertArrayEquals(REC.crowdBoxes(), p.gt().ignoredBoxes());
        // size (w, h) = (64, 48): right and bottom; OpenCV's saturate_cast: 114.6 -> 115, 300 -> 255, -3 -> 0
        PreparedImage q = run1(new Pad(64, 48, 0, false, List.of(114.6, 300.0, -3.0)));
        assertEquals(48, q.meta().imgH());
        assertEquals(64, q.meta().imgW());
        assertEquals(0, px(q, 0, 0, 0));
        assertEquals(115, px(q, 62, 10, 0), "right columns padded");
        assertEquals(255, px(q, 62, 10, 1));
        assertEquals(0, px(q, 62, 10, 2));
        assertEquals(115, px(q, 3, 45, 0), "bottom rows padded");
        // nothing to pad: the same image
        PreparedImage same = run1(new Pad(0, 0, 20, false, GREY));
        assertEquals(40, same.meta().imgH());
        assertEquals(60, same.meta().imgW());
    }

    @Test
    void padKeepsAFloatImageFloatWithTheFillAsFloat32() {
        float[] v = new float[H * W * 3];
        for (int i = 0; i < v.length; i++) v[i] = i + 0.5f;
        try (FloatPointer fp = new FloatPointer(v); Mat view = new Mat(H, W, CV_32FC3, fp); Mat m = view.clone();
             TransformState s = new TransformState(m, REC)) {
            new Pad(0, 0, 32, false, List.of(114.6, -2.0, 300.0)).apply(s, null);
            PreparedImage p = s.result(REC, 0);
            assertEquals(64, p.meta().imgH());
            assertEquals(64, p.meta().imgW());
            float[] out = p.values();
            assertEquals(0.5f, out[0]);
            assertEquals(v[(39 * W + 59) * 3 + 2], out[(39 * 64 + 59) * 3 + 2], "the image at the top left");
            int right = (10 * 64 + 60) * 3, bottom = (50 * 64 + 3) * 3;
            assertEquals(114.6f, out[right]);
            assertEquals(-2f, out[right + 1], "no saturation on a float image");
            assertEquals(300f, out[right + 2]);
            assertEquals(114.6f, out[bottom]);
        }
    }

    @Test
    void theBatchPadsAPaddedImageAgainWithZero() {
        // mean 100, std 1, pad divisor 32: Pad's 114 is image content ((114 - 100) = 14 after normalising), the batch's
        // padding beyond the padded 60 x 60 image is 0.0
        PipelineOptions o = new PipelineOptions(W, H, new float[] {100, 100, 100}, new float[] {1, 1, 1}, 32, null,
                List.of(ResizeStep.INSTANCE, new Pad(0, 0, 0, true, GREY)));
        PreparedImage p = run(o, H, W, REC, SampleDraws.of(0, 0, 0));
        Batch b = new Pipeline(o).collate(List.of(p));
        assertArrayEquals(new int[] {1, 3, 64, 64}, b.shape());
        assertEquals(60, b.metas().get(0).imgH());
        float[] d = b.data();
        assertEquals(59 - 100f, d[39 * 64 + 59], "image pixel");
        assertEquals(14f, d[50 * 64 + 10], "Pad's fill inside the image");
        assertEquals(0f, d[62 * 64 + 10], "the batch's padding");
        assertEquals(0f, d[10 * 64 + 62]);
    }

    // ------------------------------------------------------------------ FilterAnnotations

    private static ImageRecord rec(float[] boxes, int[] labels, float[] crowd, int[] crowdLabels) {
        return new ImageRecord(1, "a", W, H, boxes, labels, crowd, crowdLabels, true);
    }

    private static PreparedImage filter(FilterAnnotations f, ImageRecord r, boolean mayReject) {
        byte[] px = AugmentationTest.coordinates(H, W);
        try (org.bytedeco.javacpp.BytePointer bp = new org.bytedeco.javacpp.BytePointer(px);
             Mat m = new Mat(H, W, org.bytedeco.opencv.global.opencv_core.CV_8UC3, bp); TransformState s = new TransformState(m, r)) {
            if (!f.apply(s, mayReject)) return null;
            return s.result(r, 0);
        }
    }

    @Test
    void filterKeepsBoxesStrictlyWiderAndTallerThanTheThresholds() {
        // widths 1, 1 + 2^-20 (11.000001f - 10), 2, 5; heights 5, 5, 1, 1.5 against (1, 1): w > 1 and h > 1
        float[] boxes = {0, 0, 1, 5, 10, 10, 11.000001f, 15, 20, 20, 22, 21, 30, 30, 35, 31.5f};
        ImageRecord r = rec(boxes, new int[] {1, 2, 3, 4}, new float[] {0, 0, 0.5f, 8, 5, 5, 9, 9}, new int[] {7, 8});
        PreparedImage p = filter(FilterAnnotations.defaults(), r, true);
        assertArrayEquals(new int[] {2, 4}, p.gt().labels(), "width 1 and height 1 are dropped (strict >), labels in step");
        assertArrayEquals(new float[] {10, 10, 11.000001f, 15, 30, 30, 35, 31.5f}, p.gt().boxes());
        assertArrayEquals(new int[] {8}, p.gt().ignoredLabels(), "crowd boxes filtered by the same rule (gt_ignore_flags)");
        assertArrayEquals(new float[] {5, 5, 9, 9}, p.gt().ignoredBoxes());
        assertEquals(H, p.meta().imgH(), "the image is not touched");
        // other thresholds, per side: (0.4, 1.5): width 0.5 passes, height 1.5 does not
        PreparedImage q = filter(new FilterAnnotations(0.4, 1.5, true), r, true);
        assertArrayEquals(new int[] {1, 2}, q.gt().labels());
        assertArrayEquals(new int[] {7, 8}, q.gt().ignoredLabels());
        // (0, 0): only empty or inverted boxes go
        ImageRecord degenerate = rec(new float[] {5, 5, 5, 9, 5, 5, 9, 9}, new int[] {1, 2}, new float[0], new int[0]);
        assertArrayEquals(new int[] {2}, filter(new FilterAnnotations(0, 0, true), degenerate, true).gt().labels());
    }

    @Test
    void nothingLeftReturnsNoneWithKeepEmptyAndAnEmptyImageWithout() {
        ImageRecord tiny = rec(new float[] {2, 2, 3, 9}, new int[] {1}, new float[] {4, 4, 20, 4.5f}, new int[] {2});
        // mmdet: `if not keep.any(): if self.keep_empty: return None`
        assertNull(filter(new FilterAnnotations(1, 1, true), tiny, true), "keep_empty true: no image (the loader re-samples)");
        PreparedImage kept = filter(new FilterAnnotations(1, 1, false), tiny, true);
        assertEquals(0, kept.gt().count(), "keep_empty false: the image with no box");
        assertEquals(0, kept.gt().ignoredCount());
        PreparedImage browsed = filter(new FilterAnnotations(1, 1, true), tiny, false);
        assertEquals(0, browsed.gt().count(), "where nothing may be rejected (browse) the image keeps no box");
        // one crowd box staying is enough (it counts in gt_bboxes)
        ImageRecord crowdOnly = rec(new float[] {2, 2, 3, 9}, new int[] {1}, new float[] {4, 4, 20, 20}, new int[] {2});
        PreparedImage c = filter(new FilterAnnotations(1, 1, true), crowdOnly, true);
        assertEquals(0, c.gt().count());
        assertEquals(1, c.gt().ignoredCount());
        // an image without any box is returned as it is, keep_empty or not
        ImageRecord none = rec(new float[0], new int[0], new float[0], new int[0]);
        assertEquals(0, filter(new FilterAnnotations(1, 1, true), none, true).gt().count());
    }

    /** The synthetic images, every other one with only boxes of width 0.5 (FilterAnnotations drops them). */
    private static CocoDataset halfTiny() {
        CocoDataset full = layout.train(new DataIssues("syn", s -> { }, 5)).filterForTraining();
        List<ImageRecord> recs = new ArrayList<>();
        for (int i = 0; i < full.size(); i++) {
            ImageRecord r = full.get(i);
            if (i % 2 == 1) {
                float[] b = r.boxes().clone();
                for (int k = 0; k < b.length; k += 4) b[k + 2] = b[k] + 0.5f;
                r = new ImageRecord(r.id(), r.fileName(), r.width(), r.height(), b, r.labels(), new float[0], new int[0], true);
            }
            recs.add(r);
        }
        return full.subset(recs);
    }

    private static List<Batch> epoch(CocoDataset ds, FilterAnnotations f, int workers) {
        PipelineOptions p = DataLoaderTest.SMALL_PIPE.withTransforms(List.of(f, ResizeStep.INSTANCE, RandomFlip.horizontal(0.5),
                new Pad(0, 0, 0, true, GREY)));
        try (DataLoader l = new DataLoader(ds, p, LoaderOptions.train(2, 5, workers).withOpencvThreads(-1))) {
            return DataLoaderTest.epoch(l, 0);
        }
    }

    @Test
    void theLoaderResamplesImagesFilteredEmptyOnlyWithKeepEmpty() {
        CocoDataset ds = halfTiny();
        int planned = BatchSampler.forDataset(ds, 2, true, 5, 0, 1, true, false).indices(0).length;
        // keep_empty true: a tiny-boxed image returns None and MMEngine draws another index; every image kept has a box
        List<Batch> resampled = epoch(ds, new FilterAnnotations(1, 1, true), 0);
        int n = 0;
        for (Batch b : resampled)
            for (int k = 0; k < b.size(); k++, n++) {
                assertTrue(b.targets().get(k).count() > 0, "a filtered-empty image was kept");
                assertEquals(0, b.metas().get(k).datasetIndex() % 2, "only the images with real boxes");
                assertEquals(b.metas().get(k).imgH(), b.metas().get(k).imgW(), "padded to a square");
            }
        assertEquals(planned, n, "every position filled");
        List<Batch> threeWorkers = epoch(ds, new FilterAnnotations(1, 1, true), 3);
        for (int i = 0; i < resampled.size(); i++) {
            assertArrayEquals(resampled.get(i).data(), threeWorkers.get(i).data(), "the same batches for any workers");
            assertEquals(resampled.get(i).metas(), threeWorkers.get(i).metas());
        }
        // keep_empty false: the planned images, the tiny-boxed ones without boxes
        Set<Integer> empty = new HashSet<>();
        n = 0;
        for (Batch b : epoch(ds, new FilterAnnotations(1, 1, false), 0))
            for (int k = 0; k < b.size(); k++, n++) {
                int idx = b.metas().get(k).datasetIndex();
                assertEquals(idx % 2 == 1, b.targets().get(k).count() == 0, "image " + idx);
                if (idx % 2 == 1) empty.add(idx);
            }
        assertEquals(planned, n);
        assertFalse(empty.isEmpty(), "some images were kept without boxes");
    }

    @Test
    void noDrawsAreTaken() {
        // both steps are deterministic: the same result for any draws
        PreparedImage a = run(steps(H, W, ResizeStep.INSTANCE, new Pad(0, 0, 32, true, GREY), FilterAnnotations.defaults()), H, W, REC,
                SampleDraws.of(1, 2, 3));
        PreparedImage b = run(steps(H, W, ResizeStep.INSTANCE, new Pad(0, 0, 32, true, GREY), FilterAnnotations.defaults()), H, W, REC,
                SampleDraws.of(9, 8, 7));
        assertArrayEquals(a.pixels(), b.pixels());
        assertArrayEquals(a.gt().boxes(), b.gt().boxes());
        assertSame(null, a.values());
    }
}
