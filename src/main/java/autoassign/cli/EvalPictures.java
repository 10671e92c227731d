package autoassign.cli;

import autoassign.data.BadImageException;
import autoassign.data.CocoDataset;
import autoassign.data.ImageMeta;
import autoassign.data.ImageRecord;
import autoassign.eval.DatasetEvaluation;
import autoassign.postprocess.Detections;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * {@code eval --show-dir DIR}: as MMDetection's {@code tools/test.py --show-dir} (DetVisualizationHook +
 * DetLocalVisualizer), one picture per evaluated image, {@code DIR/<image file name>}: the original image with its
 * ground truth (left; crowd regions marked {@code (crowd)}, as {@code browse} draws them) next to the same image
 * with the predictions whose score is above the threshold (right; {@code scores > thr}, as the visualizer filters).
 * A picture that cannot be made is reported in one line and the evaluation goes on; after a write error no
 * further pictures are tried (the disk is likely full).
 */
final class EvalPictures implements DatasetEvaluation.ImageSink {

    private final Path dir;
    private final CocoDataset dataset;
    private final autoassign.viz.PictureWriter writer;

    private final String numbered;
    private int count;

    EvalPictures(Path dir, double scoreThr, CocoDataset dataset, PrintWriter err) {
        this(dir, scoreThr, dataset, err, null);
    }

    /**
     * @param numbered null: each picture named as its image; else pictures named {@code <numbered>_<k>.png}, k = 1, 2, …
     *                 in the order they come (MMEngine's LocalVisBackend names for {@code add_image(numbered, step=k)})
     */
    EvalPictures(Path dir, double scoreThr, CocoDataset dataset, PrintWriter err, String numbered) {
        this(dir, scoreThr, dataset, err, numbered, true);
    }

    /** Pictures of the predictions only, at the image's size (analyze_results.py draws with {@code draw_gt=False}). */
    static EvalPictures predictionsOnly(Path dir, double scoreThr, CocoDataset dataset, PrintWriter err) {
        return new EvalPictures(dir, scoreThr, dataset, err, null, false);
    }

    private EvalPictures(Path dir, double scoreThr, CocoDataset dataset, PrintWriter err, String numbered, boolean drawGt) {
        this.dir = dir;
        this.dataset = dataset;
        this.numbered = numbered;
        this.writer = new autoassign.viz.PictureWriter(dataset, (float) scoreThr, new autoassign.viz.PictureWriter.Problems() {
            @Override public void skipped(BadImageException e) { CliErrors.print(err, "picture skipped: " + e.getMessage()); }

            @Override public void stopped(Path folder, IOException e) {
                CliErrors.print(err, folder + ": cannot write: " + CliErrors.message(e) + " (no further pictures)");
            }
        }, drawGt);
    }

    @Override
    public void accept(ImageMeta meta, Detections dets) {
        ImageRecord r = dataset.get(meta.datasetIndex());
        count++;
        write(meta.datasetIndex(), dets, dir.resolve(numbered != null ? numbered + "_" + count + ".png" : outputName(r.fileName())));
    }

    /**
     * Draws image {@code index} of the dataset (ground truth | detections above the threshold) into {@code file};
     * false when it could not be made (reported in one line).
     */
    boolean write(int index, Detections dets, Path file) {
        return writer.write(index, dets, file);
    }

    /** Pictures written. */
    int written() {
        return writer.written();
    }

    /** Pictures that could not be made. */
    int failed() {
        return writer.failed();
    }

    /**
     * The picture's name: the image's own file name (MMDetection uses {@code basename(img_path)}) when it is a
     * JPEG or PNG, else its stem + {@code .png} (the two formats written).
     */
    static String outputName(String fileName) {
        String file = PictureNames.baseName(fileName);
        return PictureNames.isJpegOrPng(file) ? file : PictureNames.stem(file) + ".png";
    }
}
