package autoassign.data;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;

/**
 * Image decoding with OpenCV's {@code imdecode(IMREAD_COLOR)}, as MMDetection's LoadImageFromFile
 * (AA_1 §4, §9): 8-bit BGR, 3 channels, EXIF orientation applied; greyscale, CMYK/YCCK JPEG, PNG with
 * alpha or 16 bits all come out as 3-channel 8-bit BGR.
 *
 * <p>Bytes are read in Java first so that missing files and truncated JPEG / PNG files (which libjpeg
 * would silently complete with grey) are reported as {@link BadImageException}s.
 */
public final class ImageDecoder {
    private ImageDecoder() {}

    /** The file name endings images are recognised by in a folder (MMEngine's IMG_EXTENSIONS, lower case). */
    public static final java.util.List<String> IMAGE_EXTENSIONS =
            java.util.List.of(".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp");

    /** Whether the file's name ends in one of {@link #IMAGE_EXTENSIONS}, any case. */
    public static boolean isImageFile(Path file) {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        for (String e : IMAGE_EXTENSIONS) if (name.endsWith(e)) return true;
        return false;
    }

    /** Decodes a file to a BGR 8UC3 {@link Mat}; the caller closes it. */
    public static Mat decode(Path file) throws BadImageException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BadImageException(DataIssue.IMAGE_MISSING, file + ": image file not found");
        } catch (AccessDeniedException e) {
            throw new BadImageException(DataIssue.IMAGE_MISSING, file + ": image file not readable (access denied)");
        } catch (IOException e) {
            throw new BadImageException(DataIssue.IMAGE_MISSING, file + ": cannot read image file (" + CocoJson.oneLine(e.getMessage()) + ")");
        }
        return decode(bytes, file.toString());
    }

    /** Decodes encoded image bytes; {@code name} is used in error messages. The caller closes the result. */
    public static Mat decode(byte[] bytes, String name) throws BadImageException {
        if (bytes.length == 0) throw new BadImageException(DataIssue.IMAGE_TRUNCATED, name + ": empty image file");
        String truncated = checkTruncated(bytes);
        if (truncated != null) throw new BadImageException(DataIssue.IMAGE_TRUNCATED, name + ": " + truncated);
        Mat img;
        try (BytePointer data = new BytePointer(bytes); Mat buf = new Mat(1, bytes.length, CV_8UC1, data)) {
            img = imdecode(buf, IMREAD_COLOR);
        } catch (RuntimeException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("CV_IO_MAX_IMAGE_PIXELS")) // OpenCV's own limit on the size its header declares
                throw new BadImageException(DataIssue.IMAGE_CORRUPT, name + ": image too large to decode (more than OpenCV's "
                        + "limit of 2^30 pixels, or a corrupt size in its header)");
            throw new BadImageException(DataIssue.IMAGE_CORRUPT, name + ": cannot decode image (" + CocoJson.oneLine(m) + ")");
        }
        if (img == null || img.empty() || img.type() != CV_8UC3) {
            if (img != null) img.close();
            throw new BadImageException(DataIssue.IMAGE_CORRUPT, name + ": cannot decode image (corrupt or unsupported format)");
        }
        return img;
    }

    /** Copies a continuous 8-bit Mat's pixels (HWC) into a new array. */
    public static byte[] pixels(Mat m) {
        if (!m.isContinuous()) throw new IllegalArgumentException("Mat is not continuous");
        byte[] out = new byte[Math.toIntExact(m.total() * m.channels())];
        m.data().get(out);
        return out;
    }

    /**
     * Detects truncated JPEG (no EOI marker after the first start-of-scan) and PNG (no IEND chunk) files;
     * returns a description, or null when the file looks complete or is of another format.
     */
    static String checkTruncated(byte[] b) {
        int n = b.length;
        if (n >= 2 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8) {
            int sos = findStartOfScan(b);
            if (sos == -2) return "truncated JPEG (file ends inside its headers)";
            if (sos < 0) return null; // unusual marker layout: let the decoder judge
            for (int i = sos; i + 1 < n; i++)
                if ((b[i] & 0xFF) == 0xFF && (b[i + 1] & 0xFF) == 0xD9) return null;
            return "truncated JPEG (no end-of-image marker)";
        }
        if (n >= 8 && (b[0] & 0xFF) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            // IEND is the last chunk: length 0, type "IEND", CRC; tolerate trailing bytes after it
            for (int i = n - 8; i >= Math.max(8, n - 4096); i--)
                if (b[i] == 'I' && b[i + 1] == 'E' && b[i + 2] == 'N' && b[i + 3] == 'D') return null;
            return "truncated PNG (no IEND chunk)";
        }
        return null;
    }

    /**
     * Walks the JPEG marker segments up to the first SOS; returns the index after its header, -2 if the file
     * ends first, or -1 on a marker layout this walk does not understand.
     */
    private static int findStartOfScan(byte[] b) {
        int i = 2, n = b.length;
        while (i + 4 <= n) {
            if ((b[i] & 0xFF) != 0xFF) return -1;
            int marker = b[i + 1] & 0xFF;
            if (marker == 0xFF) { i++; continue; }                  // fill byte
            if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) { i += 2; continue; }
            if (marker == 0xD9) return -1;                          // EOI before any scan
            int len = ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
            if (len < 2) return -1;
            if (marker == 0xDA) return i + 2 + len <= n ? i + 2 + len : -2;
            i += 2 + len;
        }
        return -2;
    }
}
