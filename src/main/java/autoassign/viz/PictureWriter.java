package autoassign.viz;

import autoassign.data.BadImageException;
import autoassign.data.CocoDataset;
import autoassign.postprocess.Detections;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes {@link GroundTruthAndPredictions} pictures of a dataset's images one by one: a picture that cannot be made
 * (an unreadable image) is reported and skipped; after a write error none is tried any more (the disk is likely full).
 */
public final class PictureWriter {
    /** How its caller reports the two problems (a line on its log or error stream). */
    public interface Problems {
        void skipped(BadImageException e);

        void stopped(Path folder, IOException e);
    }

    private final CocoDataset dataset;
    private final float scoreThr;
    private final Problems problems;
    private final boolean drawGt;
    private int written, failed;
    private boolean stopped;

    /** @param scoreThr predictions with a score above it are drawn (float32, as the visualizer compares) */
    public PictureWriter(CocoDataset dataset, float scoreThr, Problems problems) {
        this(dataset, scoreThr, problems, true);
    }

    /** @param drawGt false: the predictions only, at the image's size (DetLocalVisualizer's {@code draw_gt=False}) */
    public PictureWriter(CocoDataset dataset, float scoreThr, Problems problems, boolean drawGt) {
        this.dataset = dataset;
        this.scoreThr = scoreThr;
        this.problems = problems;
        this.drawGt = drawGt;
    }

    /** Draws image {@code index} with {@code dets} into {@code file} (its folder made); false when it was not written. */
    public boolean write(int index, Detections dets, Path file) {
        if (stopped) return false;
        Path folder = file.getParent();
        try {
            Path image = dataset.imagePath(dataset.get(index));
            if (Files.exists(file) && Files.exists(image) && Files.isSameFile(file, image)) // a folder holding the images: keep them
                throw new IOException(file + " is the input image itself; draw into a folder without the dataset's images");
            if (folder != null) Files.createDirectories(folder);
            BoxPainter.write(GroundTruthAndPredictions.draw(dataset, index, dets, scoreThr, drawGt), file);
            written++;
            return true;
        } catch (BadImageException e) {
            failed++;
            problems.skipped(e);
        } catch (IOException e) {
            failed++;
            stopped = true;
            problems.stopped(folder, e);
        }
        return false;
    }

    /** Pictures written. */
    public int written() { return written; }

    /** Pictures that could not be made. */
    public int failed() { return failed; }
}
