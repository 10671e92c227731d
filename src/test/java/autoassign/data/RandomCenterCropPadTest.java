package autoassign.data;

import autoassign.config.Config;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RandomCenterCropPad with the engine's own draws: {@code _get_border} against NumPy's values, the draws reproducible
 * and independent per position, the bounded ratio loop, the float32 requirement, {@code to_float32}, and CenterNet's
 * training pipeline (to_float32, PhotoMetricDistortion, RandomCenterCropPad, Resize, RandomFlip) read by the config
 * parser, run image by image and trained for an epoch.
 */
class RandomCenterCropPadTest {
    @TempDir Path tmp;

    private static final List<Double> CORNERNET_MEAN = List.of(123.675, 116.28, 103.53);
    private static final List<Double> CENTERNET_RATIOS = List.of(0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3);

    /** An h x w patterned image (8-bit BGR). */
    private static Mat image(int h, int w) {
        byte[] px = new byte[h * w * 3];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 7 % 251);
        try (BytePointer p = new BytePointer(px); Mat m = new Mat(h, w, CV_8UC3, p)) {
            return m.clone();
        }
    }

    private static ImageRecord rec(int h, int w, float[] boxes, float[] crowd) {
        int[] labels = new int[boxes.length / 4], crowdLabels = new int[crowd.length / 4];
        for (int i = 0; i < labels.length; i++) labels[i] = i;
        return new ImageRecord(1, "a", w, h, boxes, labels, crowd, crowdLabels, true);
    }

    @Test
    void getBorderIsNumpysValue() {
        // scripts/goldens/random_center_crop_pad.py's _get_border printed for these sizes (border 128, 64, 1)
        int[] sizes = {1, 2, 3, 5, 64, 100, 127, 128, 129, 200, 255, 256, 257, 511, 512, 1000, 1333};
        int[] b128 = {0, 0, 1, 2, 16, 32, 32, 32, 64, 64, 64, 64, 128, 128, 128, 128, 128};
        int[] b64 = {0, 0, 1, 2, 16, 32, 32, 32, 64, 64, 64, 64, 64, 64, 64, 64, 64};
        for (int i = 0; i < sizes.length; i++) {
            assertEquals(b128[i], RandomCenterCropPad.getBorder(128, sizes[i]), "border 128, size " + sizes[i]);
            assertEquals(b64[i], RandomCenterCropPad.getBorder(64, sizes[i]), "border 64, size " + sizes[i]);
            assertEquals(1, RandomCenterCropPad.getBorder(1, Math.max(sizes[i], 3)), "border 1, size " + sizes[i]);
            // the centre range [b, size - b) is never empty
            assertTrue(RandomCenterCropPad.getBorder(128, sizes[i]) < sizes[i] - RandomCenterCropPad.getBorder(128, sizes[i]));
        }
    }

    @Test
    void drawsAreReproducibleInRangeAndIndependentPerPosition() {
        RandomCenterCropPad t = RandomCenterCropPad.training(24, 24, CENTERNET_RATIOS, 128, CORNERNET_MEAN, true, true);
        int[] ratioCounts = new int[CENTERNET_RATIOS.size()];
        int distinct = 0;
        RandomCenterCropPad.Crop previous = null;
        for (int pos = 0; pos < 400; pos++) {
            SampleDraws d = SampleDraws.of(7, 2, pos);
            RandomCenterCropPad.Crop c = t.choose(40, 48, new float[0], new float[0], RandomCenterCropPad.draws(d));
            assertEquals(c, t.choose(40, 48, new float[0], new float[0], RandomCenterCropPad.draws(SampleDraws.of(7, 2, pos))));
            assertTrue(c.centreX() >= 16 && c.centreX() < 32 && c.centreY() >= 16 && c.centreY() < 24, c.toString());
            int r = CENTERNET_RATIOS.indexOf(ratioOf(c.newW()));
            ratioCounts[r]++;
            if (!c.equals(previous)) distinct++;
            previous = c;
        }
        for (int n : ratioCounts) assertTrue(n > 25 && n < 80, java.util.Arrays.toString(ratioCounts)); // 50 expected each
        assertTrue(distinct > 300, "positions draw independently: " + distinct);
    }

    /** The ratio behind an output width int(24 · ratio). */
    private static double ratioOf(int newW) {
        for (double r : CENTERNET_RATIOS) if ((int) (24 * r) == newW) return r;
        throw new AssertionError(newW);
    }

    @Test
    void aKeptBoxHasItsCentreInsideAndLabelsFollow() {
        RandomCenterCropPad t = RandomCenterCropPad.training(40, 32, List.of(0.6, 1.0, 1.3), 128, CORNERNET_MEAN, true, true);
        float[] boxes = {2, 3, 20, 15, 30, 30, 60, 50, 70, 5, 94, 60}, crowd = {40, 40, 50, 60};
        ImageRecord r = rec(64, 96, boxes, crowd);
        try (Mat img = image(64, 96)) {
            for (int pos = 0; pos < 50; pos++) {
                try (TransformState s = new TransformState(img, r)) {
                    new ToFloat32().apply(s, null);
                    t.apply(s, SampleDraws.of(3, 0, pos));
                    PreparedImage p = s.result(r, 0);
                    int h = p.meta().imgH(), w = p.meta().imgW();
                    assertTrue(List.of(19, 32, 41).contains(h) && List.of(24, 40, 52).contains(w), h + "x" + w);
                    assertTrue(p.gt().labels().length + p.gt().ignoredLabels().length > 0, "a crop keeps a box");
                    float[] b = p.gt().boxes();
                    for (int i = 0; i < b.length; i += 4)
                        assertTrue(b[i] >= 0 && b[i + 2] <= w && b[i + 1] >= 0 && b[i + 3] <= h && b[i] <= b[i + 2], "clipped");
                    assertEquals(b.length / 4, p.gt().labels().length);
                    assertNotNull(p.values()); // float32 in, float32 out
                }
            }
        }
    }

    @Test
    void anImageNoCentreCanServeStopsWithAnErrorInsteadOfLoopingForever() {
        // a zero-width box on the left edge: its centre x = 0 is never strictly right of a patch's x0 >= 0
        RandomCenterCropPad t = RandomCenterCropPad.training(12, 12, List.of(0.6, 1.0), 128, CORNERNET_MEAN, true, true);
        DataException e = assertThrows(DataException.class, () -> t.choose(20, 24, new float[] {0, 5, 0, 9}, new float[0],
                RandomCenterCropPad.draws(SampleDraws.of(1, 0, 0))));
        assertTrue(e.getMessage().contains("24x20") && e.getMessage().contains("loop forever"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void an8BitImageIsRefusedAsMmdetectionAsserts() {
        RandomCenterCropPad t = RandomCenterCropPad.training(12, 12, List.of(1.0), 128, CORNERNET_MEAN, true, true);
        ImageRecord r = rec(20, 24, new float[] {2, 2, 10, 10}, new float[0]);
        try (Mat img = image(20, 24); TransformState s = new TransformState(img, r)) {
            DataException e = assertThrows(DataException.class, () -> t.apply(s, SampleDraws.of(1, 0, 0)));
            assertTrue(e.getMessage().contains("to_float32"), e.getMessage());
        }
    }

    @Test
    void testModeMovesTheImageNotTheBoxes() {
        RandomCenterCropPad t = RandomCenterCropPad.testing(RandomCenterCropPad.PadMode.LOGICAL_OR, 31, 1, List.of(0.0, 0.0, 0.0), true);
        float[] boxes = {2, 2, 10, 10};
        ImageRecord r = rec(20, 24, boxes, new float[0]);
        try (Mat img = image(20, 24); TransformState s = new TransformState(img, r)) {
            new ToFloat32().apply(s, null);
            float[] border = t.testPad(s);
            assertEquals(32, s.height());
            assertEquals(32, s.width());
            assertArrayEquals(new float[] {6, 26, 4, 28}, border); // (32 // 2 - 10, + 20, 32 // 2 - 12, + 24)
            assertArrayEquals(boxes, s.boxes());
        }
    }

    @Test
    void toFloat32KeepsThePixelValues() {
        ImageRecord r = rec(5, 7, new float[0], new float[0]);
        try (Mat img = image(5, 7); TransformState s = new TransformState(img, r)) {
            new ToFloat32().apply(s, null);
            PreparedImage p = s.result(r, 0);
            byte[] px = TransformState.bytes(img);
            assertEquals(px.length, p.values().length);
            for (int i = 0; i < px.length; i++) assertEquals(px[i] & 0xFF, p.values()[i]);
        }
    }

    @Test
    void composesWithAResizeBeforeAndAPadAfter() throws Exception {
        Config cfg = AugmentedTrainingTest.tiny("train_dataloader.dataset.pipeline=[{type: LoadImageFromFile, to_float32: true},"
                + " {type: LoadAnnotations, with_bbox: true}, {type: Resize, scale: [48, 48], keep_ratio: true},"
                + " {type: RandomCenterCropPad, crop_size: [40, 30], ratios: [0.9, 1.0, 1.1], border: 8, mean: [10, 20, 30],"
                + " std: [1, 1, 1], to_rgb: false, test_pad_mode: null}, {type: RandomFlip, prob: 0.5},"
                + " {type: Pad, size_divisor: 32, pad_val: {img: [1, 2, 3]}}, {type: PackDetInputs}]");
        Pipeline p = new Pipeline(autoassign.train.DataSources.trainPipeline(cfg));
        ImageRecord r = rec(64, 96, new float[] {10, 10, 50, 40, 60, 20, 90, 60}, new float[0]);
        try (Mat img = image(64, 96)) {
            for (int pos = 0; pos < 20; pos++) {
                PreparedImage a = p.prepare(img, r, 0, SampleDraws.of(9, 0, pos));
                // int(30 · ratio) = 27, 30, 33 rows and 36, 40, 44 columns, padded to multiples of 32 at the bottom and right
                assertTrue(a.meta().imgH() == 32 || a.meta().imgH() == 64, a.meta().toString());
                assertEquals(64, a.meta().imgW());
                assertEquals(0.5, a.meta().scaleW(), 1e-12); // the Resize's factor stays recorded (96 -> 48)
                assertTrue(a.gt().labels().length > 0);
                float[] px = a.values();
                int w = a.meta().imgW();
                int last = (a.meta().imgH() - 1) * w * 3 + (w - 1) * 3; // the bottom-right corner: Pad's value
                assertArrayEquals(new float[] {1, 2, 3}, new float[] {px[last], px[last + 1], px[last + 2]});
            }
        }
    }

    @Test
    void toFloat32InATestPipelineResizesWithoutRoundingTo8Bits() throws Exception {
        String val = "[{type: LoadImageFromFile%s}, {type: Resize, scale: [80, 80], keep_ratio: true},"
                + " {type: LoadAnnotations, with_bbox: true}, {type: PackDetInputs}]";
        Config asFloat = autoassign.config.ConfigLoader.loadNamed("autoassign_tiny_synthetic",
                List.of("val_dataloader.dataset.pipeline=" + String.format(val, ", to_float32: true")));
        Config asBytes = autoassign.config.ConfigLoader.loadNamed("autoassign_tiny_synthetic",
                List.of("val_dataloader.dataset.pipeline=" + String.format(val, "")));
        Pipeline f = new Pipeline(autoassign.api.Detector.testPipeline(asFloat, asFloat.valDataloader()));
        Pipeline b = new Pipeline(autoassign.api.Detector.testPipeline(asBytes, asBytes.valDataloader()));
        ImageRecord r = rec(64, 96, new float[] {10, 10, 50, 40}, new float[0]);
        try (Mat img = image(64, 96)) {
            PreparedImage pf = f.prepare(img, r, 0, false), pb = b.prepare(img, r, 0, false);
            assertNotNull(pf.values());
            Batch bf = f.collate(List.of(pf)), bb = b.collate(List.of(pb));
            assertArrayEquals(bb.shape(), bf.shape());
            boolean anyFraction = false;
            for (int i = 0; i < bf.data().length; i++) {
                // OpenCV resizes 8-bit images in fixed point: within one grey level of the float resize (std >= 57)
                assertEquals(bb.data()[i], bf.data()[i], 1f / 57f, "at most one 8-bit level apart, normalised");
                anyFraction |= bf.data()[i] != bb.data()[i];
            }
            assertTrue(anyFraction, "the float resize keeps fractions the 8-bit one rounds");
        }
    }

    /** CenterNet's train_pipeline (configs/centernet), its sizes shrunk to the 64 x 96 synthetic images. */
    static final String CENTERNET_PIPELINE = "train_dataloader.dataset.pipeline=[{type: LoadImageFromFile, to_float32: true},"
            + " {type: LoadAnnotations, with_bbox: true},"
            + " {type: PhotoMetricDistortion, brightness_delta: 32, contrast_range: [0.5, 1.5], saturation_range: [0.5, 1.5], hue_delta: 18},"
            + " {type: RandomCenterCropPad, crop_size: [64, 64], ratios: [0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3],"
            + " mean: [0, 0, 0], std: [1, 1, 1], to_rgb: true, test_pad_mode: null},"
            + " {type: Resize, scale: [64, 64], keep_ratio: true}, {type: RandomFlip, prob: 0.5},"
            + " {type: PackDetInputs, meta_keys: [img_id, img_path, ori_shape, img_shape, border]}]";

    @Test
    void centernetsTrainingPipelineRunsReproduciblyAndTrains() throws Exception {
        Config cfg = AugmentedTrainingTest.tiny(CENTERNET_PIPELINE);
        PipelineOptions o = autoassign.train.DataSources.trainPipeline(cfg);
        List<Transform> steps = o.transforms();
        assertEquals(List.of("LoadImageFromFile", "PhotoMetricDistortion", "RandomCenterCropPad", "Resize", "RandomFlip"),
                steps.stream().map(Transform::type).toList());
        assertEquals(RandomCenterCropPad.training(64, 64, CENTERNET_RATIOS, 128, List.of(0.0, 0.0, 0.0), true, true), steps.get(2));
        Pipeline p = new Pipeline(o);
        ImageRecord r = rec(64, 96, new float[] {10, 10, 50, 40, 60, 20, 90, 60}, new float[0]);
        boolean sizesDiffer = false;
        try (Mat img = image(64, 96)) {
            for (int pos = 0; pos < 30; pos++) {
                PreparedImage a = p.prepare(img, r, 0, SampleDraws.of(5, 1, pos));
                PreparedImage b = p.prepare(img, r, 0, SampleDraws.of(5, 1, pos));
                assertArrayEquals(a.values(), b.values(), "the same draws give the same image");
                assertArrayEquals(a.gt().boxes(), b.gt().boxes());
                assertEquals(64, Math.max(a.meta().imgH(), a.meta().imgW()), "the Resize after it makes the long side 64");
                assertTrue(a.gt().labels().length > 0, "a crop keeps a box centre");
                PreparedImage c = p.prepare(img, r, 0, SampleDraws.of(5, 1, pos + 1));
                sizesDiffer |= !java.util.Arrays.equals(a.values(), c.values());
            }
        }
        assertTrue(sizesDiffer, "positions draw differently");
        AugmentedTrainingTest.trainsOneEpoch(tmp, cfg, "centernet-pipeline");
    }
}
