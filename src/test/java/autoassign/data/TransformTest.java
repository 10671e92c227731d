package autoassign.data;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Box scaling / clipping / flip, normalisation and padding (AA_1 §5–§7, AA_8 §3). */
class TransformTest {

    @Test
    void flipOfSpecBox() {
        float[] b = {10, 20, 110, 220};
        Pipeline.flipBoxes(b, 1199);
        assertArrayEquals(new float[] {1089, 20, 1189, 220}, b);
    }

    @Test
    void normalisationOfSpecPixelAndExactZeroPadding() {
        Pipeline p = new Pipeline(PipelineOptions.cocoTrain());
        byte[] px = new byte[3 * 5 * 3]; // 3x5 image, every pixel (B,G,R) = (103,116,123)
        for (int i = 0; i < px.length; i += 3) { px[i] = (byte) 103; px[i + 1] = (byte) 116; px[i + 2] = (byte) 123; }
        ImageMeta m = new ImageMeta(1, "x", 0, 3, 5, 3, 5, 1, 1, false, 0, 0);
        Batch b = p.collate(List.of(new PreparedImage(m, px, new GroundTruth(new float[0], new int[0], new float[0], new int[0]))));
        assertArrayEquals(new int[] {1, 3, 32, 32}, b.shape());
        float[] d = b.data();
        assertEquals(0.0199f, d[0], 1e-4f);
        assertEquals(0.0535f, d[32 * 32], 1e-4f);
        assertEquals(0.2283f, d[2 * 32 * 32], 1e-4f);
        assertEquals(103f - 102.9801f, d[0], 0f);             // float32 (x - mean), std 1
        assertEquals(123f - 122.7717f, d[2 * 32 * 32 + 2 * 32 + 4], 0f);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                    if (y >= 3 || x >= 5) assertEquals(0f, d[(c * 32 + y) * 32 + x], "pad " + c + "," + y + "," + x);
        assertEquals(32, b.metas().get(0).padH());
        assertEquals(32, b.metas().get(0).padW());
    }

    @Test
    void nonUnitStdDividesAfterSubtractingTheMean() {
        Pipeline p = new Pipeline(new PipelineOptions(64, 64, 0, new float[] {10, 20, 30}, new float[] {2, 4, 8}, 8));
        byte[] px = {(byte) 200, 100, 0, 1, 2, 3};
        ImageMeta m = new ImageMeta(1, "x", 0, 1, 2, 1, 2, 1, 1, false, 0, 0);
        Batch b = p.collate(List.of(new PreparedImage(m, px, new GroundTruth(new float[0], new int[0], new float[0], new int[0]))));
        assertArrayEquals(new int[] {1, 3, 8, 8}, b.shape());
        assertEquals((200f - 10f) / 2f, b.data()[0], 0f);
        assertEquals((1f - 10f) / 2f, b.data()[1], 0f);
        assertEquals((100f - 20f) / 4f, b.data()[64], 0f);
        assertEquals((0f - 30f) / 8f, b.data()[128], 0f);
        assertEquals(0f, b.data()[2], 0f);
    }

    /**
     * bgr_to_rgb: MMDetection's data preprocessor reverses the decoded BGR channels ({@code _input[[2, 1, 0], ...]})
     * before normalising, so the batch's channel 0 is R with mean[0] / std[0]: the 8-bit table path, the std-1 path and
     * the float-pixel path alike.
     */
    @Test
    void bgrToRgbReversesTheChannelsBeforeNormalising() {
        byte[] px = {(byte) 200, 100, 0, 1, 2, 3}; // two pixels, B, G, R each
        ImageMeta m = new ImageMeta(1, "x", 0, 1, 2, 1, 2, 1, 1, false, 0, 0);
        GroundTruth none = new GroundTruth(new float[0], new int[0], new float[0], new int[0]);
        Pipeline p = new Pipeline(new PipelineOptions(64, 64, 0, new float[] {10, 20, 30}, new float[] {2, 4, 8}, 8).withBgrToRgb(true));
        float[] d = p.collate(List.of(new PreparedImage(m, px, none))).data();
        assertEquals((0f - 10f) / 2f, d[0], 0f, "channel 0 is R");
        assertEquals((3f - 10f) / 2f, d[1], 0f);
        assertEquals((100f - 20f) / 4f, d[64], 0f, "G stays");
        assertEquals((200f - 30f) / 8f, d[128], 0f, "channel 2 is B");
        Pipeline unit = new Pipeline(new PipelineOptions(64, 64, 0, new float[] {10, 20, 30}, new float[] {1, 1, 1}, 8).withBgrToRgb(true));
        float[] u = unit.collate(List.of(new PreparedImage(m, px, none))).data();
        assertEquals(0f - 10f, u[0], 0f);
        assertEquals(200f - 30f, u[128], 0f);
        float[] values = {200.5f, 100, 0.25f, 1, 2, 3};
        float[] f = p.collate(List.of(new PreparedImage(m, null, none, values))).data();
        assertEquals((0.25f - 10f) / 2f, f[0], 0f, "float pixels too");
        assertEquals((200.5f - 30f) / 8f, f[128], 0f);
        assertEquals((3f - 10f) / 2f, f[1], 0f);
    }

    @Test
    void batchPadsToTheLargestImageRoundedTo32() {
        Pipeline p = new Pipeline(PipelineOptions.cocoTrain());
        PreparedImage a = fake(800, 1199, 7), c = fake(800, 1067, 9);
        Batch b = p.collate(List.of(a, c));
        assertArrayEquals(new int[] {2, 3, 800, 1216}, b.shape());
        // second image: value at (0,0) of channel 0 and zero right of its width
        int plane = 800 * 1216;
        assertEquals(9 - 102.9801f, b.data()[3 * plane], 0f);
        assertEquals(0f, b.data()[3 * plane + 1067], 0f);
        assertEquals(7 - 102.9801f, b.data()[1100], 0f);
        Batch single = p.collate(List.of(fake(417, 1333, 1)));
        assertArrayEquals(new int[] {1, 3, 448, 1344}, single.shape());
        assertArrayEquals(single.shape(), single.toTensor().shape());
    }

    @Test
    void boxesAreScaledInFloat32AndClipped() {
        ResizeGeometry g = ResizeGeometry.keepRatio(427, 640, 1333, 800); // 1199x800
        float[] in = {10, 20, 110, 220, -5, 400, 700, 500};
        float[] out = Pipeline.scaleBoxes(in, g);
        float sw = (float) 1.8734375, sh = (float) 1.873536299765808;
        assertEquals(10f * sw, out[0], 0f);
        assertEquals(20f * sh, out[1], 0f);
        assertEquals(110f * sw, out[2], 0f);
        assertEquals(220f * sh, out[3], 0f);
        assertEquals(0f, out[4], 0f);          // clipped at 0
        assertEquals(400f * sh, out[5], 0f);
        assertEquals(1199f, out[6], 0f);       // clipped at new_w (not new_w - 1)
        assertEquals(800f, out[7], 0f);        // clipped at new_h
    }

    @Test
    void prepareResizesFlipsImageAndBoxesConsistently() {
        int h = 40, w = 60;
        byte[] px = new byte[h * w * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) px[(y * w + x) * 3] = (byte) (x < 10 ? 255 : 0); // bright left band (B channel)
        ImageRecord rec = new ImageRecord(5, "t.png", w, h, new float[] {0, 0, 10, 40}, new int[] {2},
                new float[] {50, 10, 60, 20}, new int[] {1}, true);
        Pipeline p = new Pipeline(PipelineOptions.cocoTrain().withScale(120, 80));
        try (BytePointer bp = new BytePointer(px); Mat m = new Mat(h, w, CV_8UC3, bp)) {
            PreparedImage plain = p.prepare(m, rec, 3, false);
            PreparedImage flipped = p.prepare(m, rec, 3, true);
            ImageMeta pm = plain.meta();
            assertEquals(80, pm.imgH());
            assertEquals(120, pm.imgW());
            assertEquals(2.0, pm.scaleW(), 0);
            assertFalse(pm.flipped());
            assertTrue(flipped.meta().flipped());
            assertArrayEquals(new float[] {0, 0, 20, 80}, plain.gt().boxes());
            assertArrayEquals(new float[] {100, 0, 120, 80}, flipped.gt().boxes());
            assertArrayEquals(new float[] {0, 20, 20, 40}, flipped.gt().ignoredBoxes());
            assertArrayEquals(new int[] {2}, flipped.gt().labels());
            // the image is mirrored: column x of the flipped image equals column W-1-x of the plain one
            for (int y = 0; y < 80; y++)
                for (int x = 0; x < 120; x++)
                    assertEquals(plain.pixels()[(y * 120 + x) * 3], flipped.pixels()[(y * 120 + 119 - x) * 3]);
            assertEquals((byte) 255, flipped.pixels()[(10 * 120 + 119) * 3]);
        }
    }

    @Test
    void metaMapsPredictionsBackToTheOriginalImage() {
        ResizeGeometry g = ResizeGeometry.keepRatio(427, 640, 1333, 800);
        ImageMeta m = new ImageMeta(1, "x", 0, 427, 640, g.newH(), g.newW(), g.scaleW(), g.scaleH(), false, 800, 1216);
        float[] b = m.toOriginal(new float[] {1199, 800, 1199, 800});
        assertEquals(1199f * (float) (1 / 1.8734375), b[0], 0f);
        assertEquals(640f, b[0], 1e-3f);
        assertEquals(427f, b[1], 1e-3f);
    }

    private static PreparedImage fake(int h, int w, int value) {
        byte[] px = new byte[h * w * 3];
        java.util.Arrays.fill(px, (byte) value);
        return new PreparedImage(new ImageMeta(1, "f", 0, h, w, h, w, 1, 1, false, 0, 0), px,
                new GroundTruth(new float[0], new int[0], new float[0], new int[0]));
    }
}
