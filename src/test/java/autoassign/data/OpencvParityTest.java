package autoassign.data;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_UNCHANGED;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Decoding and resizing against the exact pixels of the parity samples (OpenCV 4.6 {@code cv2.imread}) and
 * against the fixed-point INTER_LINEAR arithmetic written out in AA_1 §10.
 */
class OpencvParityTest {
    private static final String[] SAMPLES = {"000000116740", "000000417285", "BloodImage_00000"};

    @Test
    void jpegDecodingMatchesOpenCv46BitExactly() throws Exception {
        Path dir = SharedData.paritySamples();
        for (String s : SAMPLES) {
            try (Mat ours = ImageDecoder.decode(dir.resolve(s + ".jpg"));
                 Mat ref = imread(dir.resolve(s + ".decoded.png").toString(), IMREAD_UNCHANGED)) {
                assertEquals(ref.rows(), ours.rows(), s);
                assertEquals(ref.cols(), ours.cols(), s);
                assertEquals(CV_8UC3, ref.type(), s);
                assertArrayEquals(ImageDecoder.pixels(ref), ImageDecoder.pixels(ours), s + ": decoded bytes differ");
            }
        }
    }

    @Test
    void resizeOfParityPixelsMatchesSpecFixedPointArithmetic() throws Exception {
        Path dir = SharedData.paritySamples();
        int[][] scales = {{1333, 800}, {320, 192}, {512, 384}, {1000, 600}};
        for (String s : SAMPLES) {
            try (Mat ref = imread(dir.resolve(s + ".decoded.png").toString(), IMREAD_UNCHANGED)) {
                byte[] src = ImageDecoder.pixels(ref);
                for (int[] sc : scales) {
                    ResizeGeometry g = ResizeGeometry.keepRatio(ref.rows(), ref.cols(), sc[0], sc[1]);
                    try (Mat out = Pipeline.resize(ref, g)) {
                        byte[] expect = referenceResize(src, ref.rows(), ref.cols(), g.newH(), g.newW());
                        assertArrayEquals(expect, ImageDecoder.pixels(out), s + " -> " + g.newW() + "x" + g.newH());
                    }
                }
            }
        }
    }

    @Test
    void resizeOfRandomImagesMatchesSpecFixedPointArithmetic() {
        SplittableRandom rnd = new SplittableRandom(42);
        int[][] cases = {{37, 53, 80, 115}, {64, 48, 120, 90}, {100, 70, 41, 29}, {31, 97, 55, 171}, {50, 50, 50, 50}, {9, 300, 20, 667}};
        for (int[] c : cases) {
            int sh = c[0], sw = c[1], dh = c[2], dw = c[3];
            byte[] src = new byte[sh * sw * 3];
            for (int i = 0; i < src.length; i++) src[i] = (byte) rnd.nextInt(256);
            try (BytePointer bp = new BytePointer(src); Mat m = new Mat(sh, sw, CV_8UC3, bp);
                 Mat out = Pipeline.resize(m, new ResizeGeometry(sh, sw, dh, dw, (double) dw / sw, (double) dh / sh))) {
                assertArrayEquals(referenceResize(src, sh, sw, dh, dw), ImageDecoder.pixels(out), sw + "x" + sh + " -> " + dw + "x" + dh);
            }
        }
    }

    /** AA_1 §10, written out literally (3 channels, uint8). */
    static byte[] referenceResize(byte[] src, int sh, int sw, int dh, int dw) {
        int[] xi = new int[dw];
        int[] xw0 = new int[dw], xw1 = new int[dw];
        double scaleX = 1.0 / ((double) dw / sw);
        for (int d = 0; d < dw; d++) {
            float f = (float) ((d + 0.5) * scaleX - 0.5);
            int i = (int) Math.floor(f);
            f -= i;
            if (i < 0) { i = 0; f = 0; }
            if (i >= sw - 1) { i = sw - 1; f = 0; }
            xi[d] = i;
            xw0[d] = (int) Math.rint((1f - f) * 2048f);
            xw1[d] = (int) Math.rint(f * 2048f);
        }
        double scaleY = 1.0 / ((double) dh / sh);
        byte[] out = new byte[dh * dw * 3];
        int[] h0 = new int[dw * 3], h1 = new int[dw * 3];
        for (int d = 0; d < dh; d++) {
            float f = (float) ((d + 0.5) * scaleY - 0.5);
            int i = (int) Math.floor(f);
            f -= i;
            int b0 = (int) Math.rint((1f - f) * 2048f), b1 = (int) Math.rint(f * 2048f);
            int r0 = Math.min(Math.max(i, 0), sh - 1), r1 = Math.min(Math.max(i + 1, 0), sh - 1);
            horizontal(src, sw, r0, xi, xw0, xw1, h0);
            horizontal(src, sw, r1, xi, xw0, xw1, h1);
            for (int k = 0; k < dw * 3; k++) {
                int v = ((((h0[k] >> 4) * b0) >> 16) + (((h1[k] >> 4) * b1) >> 16) + 2) >> 2;
                out[d * dw * 3 + k] = (byte) Math.min(255, Math.max(0, v));
            }
        }
        return out;
    }

    private static void horizontal(byte[] src, int sw, int row, int[] xi, int[] w0, int[] w1, int[] dst) {
        for (int d = 0; d < xi.length; d++) {
            int i0 = xi[d], i1 = Math.min(xi[d] + 1, sw - 1);
            for (int c = 0; c < 3; c++) {
                int a = src[(row * sw + i0) * 3 + c] & 0xFF, b = src[(row * sw + i1) * 3 + c] & 0xFF;
                dst[d * 3 + c] = a * w0[d] + b * w1[d];
            }
        }
    }
}
