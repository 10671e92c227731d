package autoassign.viz;

import autoassign.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.opencv_videoio.VideoWriter;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_videoio.CAP_OPENCV_MJPEG;

/**
 * A Motion-JPEG AVI file written frame by frame through OpenCV's own encoder ({@code CAP_OPENCV_MJPEG}: the bundled
 * OpenCV has no FFmpeg, so MMDetection's {@code mp4v} MP4 cannot be written). The frames go to a temporary file in
 * the target's folder that {@link #commit} renames onto the target, so an interrupted run leaves no half video and an
 * earlier file of that name stays until the new one is complete.
 */
public final class VideoFileWriter implements AutoCloseable {
    private final Path target, tmp;
    private final VideoWriter writer;
    private final int width, height;
    private boolean done;

    private VideoFileWriter(Path target, Path tmp, VideoWriter writer, int width, int height) {
        this.target = target;
        this.tmp = tmp;
        this.writer = writer;
        this.width = width;
        this.height = height;
    }

    /** Whether a file name is one this writer can produce (.avi, any case). */
    public static boolean isAviName(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".avi");
    }

    /** Starts a video of {@code width} × {@code height} frames at {@code fps} frames per second. */
    public static VideoFileWriter open(Path target, double fps, int width, int height) throws IOException {
        if (!isAviName(target)) throw new IOException(target + ": videos are written as Motion-JPEG .avi files (no FFmpeg "
                + "in this build's OpenCV); name the output *.avi");
        if (Files.isDirectory(target)) throw new IOException(target + ": is a folder, not a file name");
        Path abs = target.toAbsolutePath();
        Path tmp = AtomicFiles.tempBeside(abs, ".tmp.avi"); // OpenCV picks the container by the name's ending
        VideoWriter w = new VideoWriter(tmp.toString(), CAP_OPENCV_MJPEG,
                VideoWriter.fourcc((byte) 'M', (byte) 'J', (byte) 'P', (byte) 'G'), fps, new Size(width, height), true);
        if (!w.isOpened()) {
            w.close();
            Files.deleteIfExists(tmp);
            throw new IOException(target + ": OpenCV cannot start a Motion-JPEG AVI of " + width + "x" + height + " at " + fps + " fps");
        }
        return new VideoFileWriter(abs, tmp, w, width, height);
    }

    /** Appends an 8-bit BGR frame of the video's size. */
    public void write(Mat bgr) {
        if (done) throw new IllegalStateException("video already finished");
        if (bgr.type() != CV_8UC3 || bgr.cols() != width || bgr.rows() != height)
            throw new IllegalArgumentException("frame " + bgr.cols() + "x" + bgr.rows() + " is not an 8-bit BGR " + width + "x" + height + " frame");
        writer.write(bgr);
    }

    /** Finishes the file (index written) and moves it onto the target. */
    public void commit() throws IOException {
        if (done) throw new IllegalStateException("video already finished");
        done = true;
        writer.release();
        writer.close();
        try {
            AtomicFiles.moveOnto(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Abandons an unfinished video: its temporary file is removed, the target left as it was. */
    @Override
    public void close() throws IOException {
        if (done) return;
        done = true;
        writer.release();
        writer.close();
        Files.deleteIfExists(tmp);
    }
}
