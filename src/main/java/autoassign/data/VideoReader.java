package autoassign.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_videoio.VideoCapture;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_videoio.CAP_OPENCV_MJPEG;
import static org.bytedeco.opencv.global.opencv_videoio.CAP_PROP_FPS;
import static org.bytedeco.opencv.global.opencv_videoio.CAP_PROP_FRAME_COUNT;
import static org.bytedeco.opencv.global.opencv_videoio.CAP_PROP_FRAME_HEIGHT;
import static org.bytedeco.opencv.global.opencv_videoio.CAP_PROP_FRAME_WIDTH;

/**
 * The frames of a video file, as {@code mmcv.VideoReader} gives them to MMDetection's {@code demo/video_demo.py}:
 * 8-bit BGR, in order, with the file's frame size, frame rate and frame count.
 *
 * <p>The bundled OpenCV has no FFmpeg: it reads Motion-JPEG AVI files through its own decoder ({@code CAP_OPENCV_MJPEG})
 * and nothing else. Other files are refused with a message saying so (the RIFF/AVI header is checked in Java first, so
 * OpenCV's own warnings are not printed for them).
 */
public final class VideoReader implements AutoCloseable {
    private final Path file;
    private final VideoCapture capture;
    private final int width, height, frameCount;
    private final double fps;
    private int read;

    private VideoReader(Path file, VideoCapture capture) {
        this.file = file;
        this.capture = capture;
        this.width = (int) capture.get(CAP_PROP_FRAME_WIDTH);
        this.height = (int) capture.get(CAP_PROP_FRAME_HEIGHT);
        this.fps = capture.get(CAP_PROP_FPS);
        this.frameCount = (int) capture.get(CAP_PROP_FRAME_COUNT);
    }

    /** File name endings of common video containers (to point {@code detect} users at {@code video}). */
    public static final java.util.List<String> VIDEO_EXTENSIONS =
            java.util.List.of(".avi", ".mp4", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv");

    /** Whether the file's name ends in one of {@link #VIDEO_EXTENSIONS}, any case. */
    public static boolean isVideoName(Path file) {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        for (String e : VIDEO_EXTENSIONS) if (name.endsWith(e)) return true;
        return false;
    }

    /** Opens a video file; the message of the exception names the file and the problem. */
    public static VideoReader open(Path file) throws IOException {
        if (Files.isDirectory(file)) throw new IOException(file + ": is a folder, not a video file");
        if (!Files.isRegularFile(file)) throw new IOException(file + ": video file not found");
        if (!Files.isReadable(file)) throw new IOException(file + ": video file not readable (access denied)");
        if (!isAvi(file)) throw new IOException(file + ": " + UNSUPPORTED);
        VideoCapture c = new VideoCapture(file.toString(), CAP_OPENCV_MJPEG);
        if (!c.isOpened()) {
            c.close();
            throw new IOException(file + ": OpenCV cannot open this AVI (truncated or corrupt, or not Motion-JPEG: this build's "
                    + "OpenCV has no FFmpeg and reads only Motion-JPEG .avi videos; convert with: ffmpeg -i IN -c:v mjpeg -q:v 2 OUT.avi)");
        }
        VideoReader r = new VideoReader(file, c);
        if (r.width <= 0 || r.height <= 0) {
            r.close();
            throw new IOException(file + ": the AVI declares no frame size");
        }
        return r;
    }

    private static final String UNSUPPORTED = "not a Motion-JPEG AVI file; this build's OpenCV has no FFmpeg and reads "
            + "only Motion-JPEG .avi videos (convert with: ffmpeg -i IN -c:v mjpeg -q:v 2 OUT.avi)";

    /** Whether the file starts as a RIFF AVI container does ({@code RIFF....AVI }). */
    private static boolean isAvi(Path file) throws IOException {
        byte[] head = new byte[12];
        try (InputStream in = Files.newInputStream(file)) {
            if (in.readNBytes(head, 0, 12) < 12) return false;
        }
        String s = new String(head, StandardCharsets.ISO_8859_1);
        return s.startsWith("RIFF") && s.startsWith("AVI ", 8);
    }

    public int width() { return width; }

    public int height() { return height; }

    /** Frames per second as the file declares it (0 when it declares none). */
    public double fps() { return fps; }

    /** The number of frames the file declares (its index), or 0 when unknown. */
    public int frameCount() { return Math.max(0, frameCount); }

    /** How many frames {@link #next} has returned. */
    public int framesRead() { return read; }

    /**
     * The next frame as 8-bit BGR (the caller closes it), or null at the end of the video.
     *
     * @throws IOException when a frame cannot be decoded or its size differs from the video's
     */
    public Mat next() throws IOException {
        Mat m = new Mat();
        boolean ok;
        try {
            ok = capture.read(m);
        } catch (RuntimeException e) {
            m.close();
            throw new IOException(file + ": frame " + read + " cannot be decoded (" + CocoJson.oneLine(e.getMessage()) + ")");
        }
        if (!ok || m.empty()) {
            m.close();
            if (frameCount > 0 && read < frameCount)
                throw new IOException(file + ": frame " + read + " of " + frameCount + " cannot be decoded (truncated or corrupt video)");
            return null;
        }
        if (m.type() != CV_8UC3 || m.cols() != width || m.rows() != height) {
            String got = m.cols() + "x" + m.rows();
            m.close();
            throw new IOException(file + ": frame " + read + " is " + got + ", not the video's " + width + "x" + height);
        }
        read++;
        return m;
    }

    @Override
    public void close() {
        capture.release();
        capture.close();
    }
}
