package autoassign.data;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.bytedeco.opencv.global.opencv_core.CV_16UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC4;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Decoding to 3-channel BGR (grey, CMYK, PNG with alpha / 16 bit, EXIF orientation) and bad image files. */
class ImageDecoderTest {
    @TempDir Path tmp;

    static byte[] encode(String ext, int rows, int cols, int type, byte[] data) {
        try (BytePointer px = new BytePointer(data); Mat m = new Mat(rows, cols, type, px); BytePointer out = new BytePointer();
             IntPointer params = new IntPointer(0L)) {
            assertTrue(imencode(ext, m, out, params));
            byte[] b = new byte[(int) out.limit()];
            out.get(b);
            return b;
        }
    }

    /** A 40 (w) x 20 (h) BGR image, left half pure red, right half pure blue. */
    static byte[] halves() {
        byte[] px = new byte[20 * 40 * 3];
        for (int y = 0; y < 20; y++)
            for (int x = 0; x < 40; x++) {
                int o = (y * 40 + x) * 3;
                if (x < 20) px[o + 2] = (byte) 255; else px[o] = (byte) 255;
            }
        return px;
    }

    @Test
    void colourJpegAndPngDecodeToBgr() throws Exception {
        byte[] png = encode(".png", 20, 40, CV_8UC3, halves());
        try (Mat m = ImageDecoder.decode(png, "halves.png")) {
            assertEquals(CV_8UC3, m.type());
            assertEquals(40, m.cols());
            assertEquals(20, m.rows());
            assertTrue(Arrays.equals(halves(), ImageDecoder.pixels(m)), "PNG must round-trip exactly");
        }
        byte[] jpg = encode(".jpg", 20, 40, CV_8UC3, halves());
        try (Mat m = ImageDecoder.decode(jpg, "halves.jpg")) {
            byte[] p = ImageDecoder.pixels(m);
            assertTrue((p[(5 * 40 + 5) * 3 + 2] & 0xFF) > 200 && (p[(5 * 40 + 5) * 3] & 0xFF) < 60, "left is red (BGR order)");
        }
    }

    @Test
    void greyAlphaAnd16BitBecome8BitBgr() throws Exception {
        byte[] grey = new byte[10 * 12];
        for (int i = 0; i < grey.length; i++) grey[i] = (byte) (i * 2);
        for (String ext : new String[] {".jpg", ".png"}) {
            try (Mat m = ImageDecoder.decode(encode(ext, 10, 12, CV_8UC1, grey), "grey" + ext)) {
                assertEquals(CV_8UC3, m.type());
                byte[] p = ImageDecoder.pixels(m);
                for (int i = 0; i < p.length; i += 3) {
                    assertEquals(p[i], p[i + 1], "grey -> 3 equal channels");
                    assertEquals(p[i], p[i + 2]);
                }
                if (ext.equals(".png")) assertEquals(grey[7], p[21]);
            }
        }
        byte[] bgra = new byte[4 * 6 * 4];
        for (int i = 0; i < bgra.length; i += 4) { bgra[i] = 10; bgra[i + 1] = 20; bgra[i + 2] = 30; bgra[i + 3] = (byte) (i * 3); }
        try (Mat m = ImageDecoder.decode(encode(".png", 4, 6, CV_8UC4, bgra), "alpha.png")) {
            assertEquals(CV_8UC3, m.type());
            byte[] p = ImageDecoder.pixels(m);
            assertEquals(10, p[0]);
            assertEquals(20, p[1]);
            assertEquals(30, p[2]);
        }
        byte[] deep = new byte[3 * 5 * 2];
        for (int i = 0; i < deep.length; i += 2) { deep[i] = 0; deep[i + 1] = (byte) 0x80; } // 0x8000 little-endian
        try (Mat m = ImageDecoder.decode(encode(".png", 3, 5, CV_16UC1, deep), "deep.png")) {
            assertEquals(CV_8UC3, m.type());
            assertEquals(128, ImageDecoder.pixels(m)[0] & 0xFF);
        }
    }

    @Test
    void cmykJpegIsConvertedToBgr() throws Exception {
        int w = 16, h = 8;
        WritableRaster r = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, w, h, 4, null);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) r.setPixel(x, y, new int[] {x < 8 ? 0 : 255, x < 8 ? 255 : 0, 255, 255});
        ImageWriter wr = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (ImageOutputStream os = ImageIO.createImageOutputStream(bo)) {
            wr.setOutput(os);
            wr.write(null, new IIOImage(r, null, null), null);
        } finally {
            wr.dispose();
        }
        try (Mat m = ImageDecoder.decode(bo.toByteArray(), "cmyk.jpg")) {
            assertEquals(CV_8UC3, m.type());
            byte[] p = ImageDecoder.pixels(m);
            // 4-component JPEG without Adobe marker is read as inverted CMYK: left = full cyan ink, right = full magenta
            int[] left = {p[0] & 0xFF, p[1] & 0xFF, p[2] & 0xFF}, right = {p[45] & 0xFF, p[46] & 0xFF, p[47] & 0xFF};
            assertTrue(left[0] > 245 && left[1] > 245 && left[2] < 10, Arrays.toString(left));
            assertTrue(right[0] > 245 && right[1] < 10 && right[2] > 245, Arrays.toString(right));
        }
    }

    @Test
    void exifOrientationIsApplied() throws Exception {
        byte[] jpg = encode(".jpg", 20, 40, CV_8UC3, halves());
        byte[] exif = withExifOrientation(jpg, 6); // rotate 90° clockwise for display
        Path f = tmp.resolve("rotated.jpg");
        Files.write(f, exif);
        try (Mat m = ImageDecoder.decode(f)) {
            assertEquals(20, m.cols());
            assertEquals(40, m.rows());
            byte[] p = ImageDecoder.pixels(m);
            // left (red) half of the stored image is now the top half
            assertTrue((p[(5 * 20 + 10) * 3 + 2] & 0xFF) > 200, "top is red");
            assertTrue((p[(35 * 20 + 10) * 3] & 0xFF) > 200, "bottom is blue");
        }
        try (Mat m = ImageDecoder.decode(withExifOrientation(jpg, 1), "upright.jpg")) {
            assertEquals(40, m.cols());
        }
    }

    /** Inserts an APP1 Exif segment with one IFD0 entry (Orientation) right after SOI. */
    static byte[] withExifOrientation(byte[] jpg, int orientation) {
        byte[] tiff = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte) orientation, 0, 0, 0, 0, 0, 0};
        byte[] head = {'E', 'x', 'i', 'f', 0, 0};
        int len = 2 + head.length + tiff.length;
        byte[] out = new byte[jpg.length + 2 + len];
        out[0] = (byte) 0xFF; out[1] = (byte) 0xD8; out[2] = (byte) 0xFF; out[3] = (byte) 0xE1;
        out[4] = (byte) (len >> 8); out[5] = (byte) len;
        System.arraycopy(head, 0, out, 6, head.length);
        System.arraycopy(tiff, 0, out, 6 + head.length, tiff.length);
        System.arraycopy(jpg, 2, out, 4 + len, jpg.length - 2);
        return out;
    }

    @Test
    void badFilesAreReportedWithTheirKind() throws Exception {
        Path missing = tmp.resolve("missing.jpg");
        BadImageException e = assertThrows(BadImageException.class, () -> ImageDecoder.decode(missing));
        assertEquals(DataIssue.IMAGE_MISSING, e.kind());
        assertEquals(missing + ": image file not found", e.getMessage());

        byte[] noise = new byte[200 * 300 * 3];
        new java.util.Random(1).nextBytes(noise);
        byte[] jpg = encode(".jpg", 200, 300, CV_8UC3, noise);
        Path cut = tmp.resolve("cut.jpg");
        Files.write(cut, Arrays.copyOf(jpg, jpg.length * 2 / 3));
        e = assertThrows(BadImageException.class, () -> ImageDecoder.decode(cut));
        assertEquals(DataIssue.IMAGE_TRUNCATED, e.kind());
        assertTrue(e.getMessage().startsWith(cut + ": truncated JPEG"), e.getMessage());

        Path headerOnly = tmp.resolve("header.jpg");
        Files.write(headerOnly, Arrays.copyOf(jpg, 100));
        e = assertThrows(BadImageException.class, () -> ImageDecoder.decode(headerOnly));
        assertEquals(DataIssue.IMAGE_TRUNCATED, e.kind());
        assertTrue(e.getMessage().endsWith("truncated JPEG (file ends inside its headers)"), e.getMessage());

        byte[] png = encode(".png", 20, 40, CV_8UC3, halves());
        Path cutPng = tmp.resolve("cut.png");
        Files.write(cutPng, Arrays.copyOf(png, png.length - 30));
        assertEquals(DataIssue.IMAGE_TRUNCATED, assertThrows(BadImageException.class, () -> ImageDecoder.decode(cutPng)).kind());

        Path garbage = tmp.resolve("garbage.jpg");
        Files.writeString(garbage, "this is not an image at all");
        e = assertThrows(BadImageException.class, () -> ImageDecoder.decode(garbage));
        assertEquals(DataIssue.IMAGE_CORRUPT, e.kind());
        assertTrue(e.getMessage().startsWith(garbage + ": cannot decode image"), e.getMessage());

        // a JPEG whose entropy-coded data is scrambled but whose markers are intact decodes (as in MMDetection);
        // one whose header is destroyed does not
        byte[] broken = jpg.clone();
        for (int i = 4; i < 200 && i < broken.length - 2; i++) broken[i] = (byte) 0x00;
        e = assertThrows(BadImageException.class, () -> ImageDecoder.decode(broken, "broken.jpg"));
        assertTrue(e.kind() == DataIssue.IMAGE_CORRUPT || e.kind() == DataIssue.IMAGE_TRUNCATED, e.kind().toString());

        Path empty = tmp.resolve("empty.png");
        Files.write(empty, new byte[0]);
        assertEquals(DataIssue.IMAGE_TRUNCATED, assertThrows(BadImageException.class, () -> ImageDecoder.decode(empty)).kind());

        Path dir = Files.createDirectory(tmp.resolve("adir.jpg"));
        assertEquals(DataIssue.IMAGE_MISSING, assertThrows(BadImageException.class, () -> ImageDecoder.decode(dir)).kind());
    }
}
