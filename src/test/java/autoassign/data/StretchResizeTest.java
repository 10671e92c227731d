package autoassign.data;

import autoassign.postprocess.Detections;
import autoassign.postprocess.LevelOutput;
import autoassign.postprocess.PostProcessConfig;
import autoassign.postprocess.PostProcessor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@code Resize(keep_ratio=False)} (mmcv {@code imresize}), its multi-scale forms and mmdet's {@code FixShapeResize}:
 * the geometry from MMCV's arithmetic, the scale (w, h) kept in its order through the pipeline, and predictions on the
 * stretched image mapped back to the original image.
 */
class StretchResizeTest {
    private static final float[] ZERO = {0, 0, 0}, ONE = {1, 1, 1};

    @Test
    void stretchedGeometryIsTheScaleItselfWithAFactorPerAxis() {
        // mmcv.imresize(img, (1333, 800)) of a 640 x 480 image: w_scale = 1333 / 640, h_scale = 800 / 480
        ResizeGeometry g = ResizeGeometry.stretch(480, 640, 1333, 800);
        assertEquals(800, g.newH());
        assertEquals(1333, g.newW());
        assertEquals(1333 / 640.0, g.scaleW(), 0.0);
        assertEquals(800 / 480.0, g.scaleH(), 0.0);
        // a portrait image is stretched to the same landscape size: the order is (w, h), not (long, short)
        ResizeGeometry p = ResizeGeometry.stretch(640, 480, 1333, 800);
        assertEquals(1333, p.newW());
        assertEquals(800, p.newH());
        assertEquals(1333 / 480.0, p.scaleW(), 0.0);
        assertEquals(800 / 640.0, p.scaleH(), 0.0);
        // and (800, 1333) is another size; keep-ratio would not care
        assertEquals(800, ResizeGeometry.stretch(480, 640, 800, 1333).newW());
        assertEquals(ResizeGeometry.keepRatio(480, 640, 1333, 800), ResizeGeometry.keepRatio(480, 640, 800, 1333));
        assertThrows(IllegalArgumentException.class, () -> ResizeGeometry.stretch(480, 640, 0, 800));
    }

    @Test
    void fixShapeKeepRatioRecordsItsUnroundedFactor() {
        // FixShapeResize(512, 512, keep_ratio=True) of 640 x 480: sf = min(512 / 640, 512 / 480) = 0.8, real (512, 384)
        ResizeGeometry g = ResizeGeometry.fixShapeKeepRatio(480, 640, 512, 512);
        assertEquals(512, g.newW());
        assertEquals(384, g.newH());
        assertEquals(0.8, g.scaleW(), 0.0);
        assertEquals(0.8, g.scaleH(), 0.0);
        // 9 x 5 into 24 x 32: sf = min(24 / 9, 32 / 5) = 8 / 3, real = (int(24.5), int(13.83)) = (24, 13); imrescale's
        // own rescale_size((9, 5), (24, 13)) takes min(24 / 9, 13 / 5) = 2.6 and gives (int(23.9), int(13.5)) = (23, 13)
        ResizeGeometry r = ResizeGeometry.fixShapeKeepRatio(5, 9, 24, 32);
        assertEquals(23, r.newW());
        assertEquals(13, r.newH());
        assertEquals(24 / 9.0, r.scaleW(), 0.0, "the recorded factor is FixShapeResize's, not new_w / w");
        assertNotEquals(r.newW() / 9.0, r.scaleW());
    }

    @Test
    void multiScaleDrawsKeepTheWidthHeightOrder() {
        // RandomResize([(600, 1000), (700, 1400)]): edge_0 = randint(600, 701) is the width, edge_1 the height
        ScaleSampler range = new ScaleSampler(List.of(new int[] {600, 1000}, new int[] {700, 1400}), true);
        assertArrayEquals(new int[] {600 + (int) Math.floor(0.25 * 101), 1000 + (int) Math.floor(0.75 * 401)}, range.fromUnits(0.25, 0.75));
        ScaleSampler choice = new ScaleSampler(List.of(new int[] {320, 640}, new int[] {640, 320}), false);
        assertArrayEquals(new int[] {320, 640}, choice.fromUnits(0.1, 0));
        assertArrayEquals(new int[] {640, 320}, choice.fromUnits(0.9, 0));
        assertArrayEquals(new int[] {(int) (300 * 1.25), (int) (500 * 1.25)}, ScaleSampler.ratio(300, 500, 0.5, 1.5).fromUnits(0.75, 0));
    }

    /** AugmentationTest's coordinate image as a Mat that owns its memory. */
    private static org.bytedeco.opencv.opencv_core.Mat image(int h, int w) {
        try (org.bytedeco.javacpp.BytePointer bp = new org.bytedeco.javacpp.BytePointer(AugmentationTest.coordinates(h, w));
             org.bytedeco.opencv.opencv_core.Mat m = new org.bytedeco.opencv.opencv_core.Mat(h, w,
                     org.bytedeco.opencv.global.opencv_core.CV_8UC3, bp)) {
            return m.clone();
        }
    }

    private static ImageRecord record(int w, int h, float... boxes) {
        return new ImageRecord(1, "a.jpg", w, h, boxes, new int[boxes.length / 4], new float[0], new int[0], true);
    }

    private static PipelineOptions stretchTo(int w, int h, Transform... more) {
        List<Transform> steps = new java.util.ArrayList<>(List.of(ResizeStep.stretch(true)));
        steps.addAll(List.of(more));
        return new PipelineOptions(w, h, ZERO, ONE, 1, null, steps);
    }

    @Test
    void aPipelineStretchesToTheScaleInItsOrder() {
        // 40 x 20 image (w x h), scale (64, 96): 64 wide, 96 tall; scale_factor (1.6, 4.8)
        ImageRecord rec = record(40, 20, 4, 2, 20, 12, 30, 15, 45, 25);
        PipelineOptions o = stretchTo(64, 96);
        assertEquals(64, o.scaleW());
        assertEquals(96, o.scaleH());
        assertEquals(96, o.scaleLong());
        PreparedImage p = AugmentationTest.run(o, 20, 40, rec, SampleDraws.of(0, 0, 0));
        assertEquals(64, p.meta().imgW());
        assertEquals(96, p.meta().imgH());
        assertEquals(1.6, p.meta().scaleW(), 0.0);
        assertEquals(4.8, p.meta().scaleH(), 0.0);
        // boxes times (float) 1.6 and (float) 4.8 per axis, the second clipped to the 64 x 96 image
        assertArrayEquals(new float[] {4 * 1.6f, 2 * 4.8f, 20 * 1.6f, 12 * 4.8f, 30 * 1.6f, 15 * 4.8f, 64, 96}, p.gt().boxes());
        // the swapped scale is another image; a keep-ratio pipeline gives the same for both orders
        PreparedImage q = AugmentationTest.run(o.withScale(96, 64), 20, 40, rec, SampleDraws.of(0, 0, 0));
        assertEquals(96, q.meta().imgW());
        assertEquals(64, q.meta().imgH());
        PipelineOptions keep = o.withTransforms(List.of(ResizeStep.INSTANCE));
        PreparedImage k1 = AugmentationTest.run(keep, 20, 40, rec, SampleDraws.of(0, 0, 0));
        PreparedImage k2 = AugmentationTest.run(keep.withScale(96, 64), 20, 40, rec, SampleDraws.of(0, 0, 0));
        assertEquals(k1.meta(), k2.meta());
        assertEquals(96, k1.meta().imgW());
        assertEquals(48, k1.meta().imgH());
    }

    @Test
    void aScaleFactorResizeNeedsNoScaleAndScalesEachImage() {
        ImageRecord rec = record(40, 20, 4, 2, 20, 12);
        PipelineOptions o = new PipelineOptions(0, 0, ZERO, ONE, 1, null, List.of(ResizeStep.byFactor(false, true, 1.5, 0.5)));
        PreparedImage p = AugmentationTest.run(o, 20, 40, rec, SampleDraws.of(0, 0, 0));
        assertEquals(60, p.meta().imgW());
        assertEquals(10, p.meta().imgH());
        assertEquals(1.5, p.meta().scaleW(), 0.0);
        assertEquals(0.5, p.meta().scaleH(), 0.0);
        assertArrayEquals(new float[] {6, 1, 30, 6}, p.gt().boxes());
        // keep_ratio: _scale_size gives (60, 10), then imrescale fits the image into those limits: 0.5 -> 20 x 10
        PreparedImage k = AugmentationTest.run(o.withTransforms(List.of(ResizeStep.byFactor(true, true, 1.5, 0.5))), 20, 40, rec,
                SampleDraws.of(0, 0, 0));
        assertEquals(20, k.meta().imgW());
        assertEquals(10, k.meta().imgH());
        assertThrows(IllegalArgumentException.class, () -> new PipelineOptions(0, 0, ZERO, ONE, 1, null, List.of(ResizeStep.stretch(true))),
                "only a scale_factor resize goes without a scale");
        assertThrows(DataException.class, () -> ResizeStep.byFactor(false, true, 0.01, 1).geometry(20, 40, 0, 0), "an empty size");
    }

    @Test
    void clipObjectBorderFalseLeavesBoxesOutsideTheImage() {
        ImageRecord rec = record(40, 20, 30, 15, 45, 25);
        PipelineOptions o = new PipelineOptions(20, 10, ZERO, ONE, 1, null, List.of(ResizeStep.stretch(false)));
        PreparedImage p = AugmentationTest.run(o, 20, 40, rec, SampleDraws.of(0, 0, 0));
        assertArrayEquals(new float[] {15, 7.5f, 22.5f, 12.5f}, p.gt().boxes());
        PreparedImage c = AugmentationTest.run(o.withTransforms(List.of(ResizeStep.stretch(true))), 20, 40, rec, SampleDraws.of(0, 0, 0));
        assertArrayEquals(new float[] {15, 7.5f, 20, 10}, c.gt().boxes());
    }

    @Test
    void multiScaleStretchUsesEachDrawAsTheExactSize() {
        ImageRecord rec = record(40, 20, 4, 2, 20, 12);
        ScaleSampler s = new ScaleSampler(List.of(new int[] {30, 60}, new int[] {50, 20}), false);
        PipelineOptions o = stretchTo(64, 64).withMultiScale(s);
        boolean[] seen = new boolean[2];
        for (int pos = 0; pos < 40; pos++) {
            SampleDraws d = SampleDraws.of(3, 0, pos);
            int[] want = d.scale(o);
            PreparedImage p = AugmentationTest.run(o, 20, 40, rec, d);
            assertEquals(want[0], p.meta().imgW());
            assertEquals(want[1], p.meta().imgH());
            assertEquals(want[0] / 40.0, p.meta().scaleW(), 0.0);
            assertEquals(want[1] / 20.0, p.meta().scaleH(), 0.0);
            seen[want[0] == 30 ? 0 : 1] = true;
        }
        assertArrayEquals(new boolean[] {true, true}, seen, "both listed scales drawn");
    }

    @Test
    void fixShapeKeepRatioPadsToTheScaleAndFlipsThePaddedImage() {
        ImageRecord rec = record(40, 20, 4, 2, 20, 12);
        ResizeStep fix = ResizeStep.fixShape(true, true, List.of(114.0, 114.0, 114.0));
        PipelineOptions o = new PipelineOptions(64, 48, ZERO, ONE, 1, null, List.of(fix));
        // sf = min(64 / 40, 48 / 20) = 1.6: rescaled to 64 x 32, padded to 64 x 48 with 114
        PreparedImage p = AugmentationTest.run(o, 20, 40, rec, SampleDraws.of(0, 0, 0));
        assertEquals(64, p.meta().imgW());
        assertEquals(48, p.meta().imgH(), "img_shape is the padded shape after MMCV's Pad");
        assertEquals(1.6, p.meta().scaleW(), 0.0);
        assertEquals(1.6, p.meta().scaleH(), 0.0);
        assertArrayEquals(new float[] {4 * 1.6f, 2 * 1.6f, 20 * 1.6f, 12 * 1.6f}, p.gt().boxes());
        assertEquals(114, AugmentationTest.px(p, 10, 40, 0), "padding below the rescaled image");
        // a test-time flip mirrors within the padded width, as mmdet's RandomFlip after FixShapeResize
        PreparedImage f;
        try (org.bytedeco.opencv.opencv_core.Mat m = image(20, 40)) {
            f = new Pipeline(o).prepare(m, rec, 0, true);
        }
        assertArrayEquals(new float[] {64 - 20 * 1.6f, 2 * 1.6f, 64 - 4 * 1.6f, 12 * 1.6f}, f.gt().boxes());
        // keep_ratio False: the same as Resize(scale=(64, 48), keep_ratio=False)
        ResizeStep fixStretch = ResizeStep.fixShape(false, true, List.of(114.0, 114.0, 114.0));
        PreparedImage s = AugmentationTest.run(o.withTransforms(List.of(fixStretch)), 20, 40, rec, SampleDraws.of(0, 0, 0));
        PreparedImage r = AugmentationTest.run(o.withTransforms(List.of(ResizeStep.stretch(true))), 20, 40, rec, SampleDraws.of(0, 0, 0));
        assertEquals(r.meta(), s.meta());
        assertArrayEquals(r.pixels(), s.pixels());
        assertArrayEquals(r.gt().boxes(), s.gt().boxes());
        assertEquals(List.of(fix), o.withFlipProb(0).transforms());
        assertEquals(List.of(fix, RandomFlip.horizontal(1)), o.withFlipProb(1).transforms(), "a test-time flip goes after the resize");
    }

    /**
     * The detections of a stretched image land on the original image: a box predicted on the 64 x 64 stretch of a
     * 40 x 20 image goes back through the meta's separate factors (1.6, 3.2), as MMDetection's scale_boxes.
     */
    @Test
    void predictionsOnTheStretchedImageMapBackToTheOriginal() {
        ImageRecord rec = record(40, 20, 4, 2, 20, 12);
        Pipeline pipe = new Pipeline(stretchTo(64, 64));
        PreparedImage p;
        try (org.bytedeco.opencv.opencv_core.Mat m = image(20, 40)) {
            p = pipe.prepare(m, rec, 0, false);
        }
        ImageMeta meta = pipe.collate(List.of(p)).metas().get(0);
        assertEquals(1.6, meta.scaleW(), 0.0);
        assertEquals(3.2, meta.scaleH(), 0.0);
        float[] gt = p.gt().boxes(); // [6.4, 6.4, 32, 38.4] on the stretched image
        // one point of an 8 x 8 level of stride 8 predicts the ground-truth box of the stretched image
        int stride = 8, hw = 64, at = 3 * 8 + 2; // x = 16, y = 24
        float px = 16, py = 24;
        float[] cls = new float[hw], dist = new float[4 * hw], obj = new float[hw];
        java.util.Arrays.fill(cls, -20f);
        java.util.Arrays.fill(obj, -20f);
        cls[at] = 5f;
        obj[at] = 5f;
        dist[at] = px - gt[0];
        dist[hw + at] = py - gt[1];
        dist[2 * hw + at] = gt[2] - px;
        dist[3 * hw + at] = gt[3] - py;
        Detections d = PostProcessor.process(List.of(new LevelOutput(stride, 1, 8, 8, cls, dist, obj)),
                new autoassign.postprocess.ImageMeta(meta.imgH(), meta.imgW(), meta.scaleW(), meta.scaleH()), PostProcessConfig.DEFAULT);
        assertEquals(1, d.size());
        assertArrayEquals(new float[] {4, 2, 20, 12}, d.boxes(), 1e-4f, "back on the 40 x 20 original");
        // the engine's own mapping of the meta agrees
        assertArrayEquals(new float[] {4, 2, 20, 12}, meta.toOriginal(gt.clone()), 1e-4f);
    }
}
