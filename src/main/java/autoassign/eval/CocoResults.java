package autoassign.eval;

import autoassign.io.AtomicFiles;

import autoassign.postprocess.Detections;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static autoassign.io.PyJson.floatRepr;

/**
 * Collects detections as a COCO bbox results list (AA_4 §4, MMDetection {@code CocoMetric.results2json}):
 * {@code {"image_id", "bbox": [x1, y1, x2 - x1, y2 - y1], "score", "category_id": catIds[label]}}. Coordinates and
 * scores are the float32 values widened to double; widths and heights are subtracted in double, as MMDetection
 * does after {@code tolist()}.
 */
public final class CocoResults {

    private final List<CocoDetections.Detection> detections = new ArrayList<>();

    /**
     * Adds the detections of one image.
     *
     * @param categoryIds dataset category id of each label (label k maps to {@code categoryIds[k]})
     */
    public void add(long imageId, Detections dets, long[] categoryIds) {
        for (int i = 0; i < dets.size(); i++) {
            int label = dets.label(i);
            if (label < 0 || label >= categoryIds.length) {
                throw new IllegalArgumentException("label " + label + " has no category id (" + categoryIds.length
                        + " categories)");
            }
            double x1 = dets.x1(i);
            double y1 = dets.y1(i);
            double x2 = dets.x2(i);
            double y2 = dets.y2(i);
            detections.add(new CocoDetections.Detection(detections.size() + 1, imageId, categoryIds[label], x1, y1,
                    x2 - x1, y2 - y1, dets.score(i)));
        }
    }

    /** The collected detections (ids 1..D in insertion order). */
    public List<CocoDetections.Detection> detections() {
        return Collections.unmodifiableList(detections);
    }

    public int size() {
        return detections.size();
    }

    /** Results ready for {@link CocoEvaluator}, checked against the ground truth. */
    public CocoDetections toDetections(CocoGroundTruth gt) {
        return CocoDetections.of(detections, gt);
    }

    /** Writes the results list to a temp file next to {@code out}, then renames it over {@code out}. */
    public void write(Path out) throws IOException {
        write(detections, out);
    }

    public static void write(List<CocoDetections.Detection> dets, Path out) throws IOException {
        AtomicFiles.write(out, os -> write(dets, os));
    }

    /**
     * Writes the list as MMDetection's {@code results2json} dumps it ({@code mmengine.dump}: Python's {@code json.dump},
     * no indent): {@code [{"image_id": 1, "bbox": [x, y, w, h], "score": s, "category_id": c}, ...]} on one line, keys in
     * that order, each float as Python's {@code repr} ({@link PyFloat#repr}), no final newline (stream left open).
     */
    public static void write(List<CocoDetections.Detection> dets, OutputStream os) throws IOException {
        java.io.Writer w = new java.io.BufferedWriter(new java.io.OutputStreamWriter(os, java.nio.charset.StandardCharsets.US_ASCII),
                1 << 16);
        StringBuilder b = new StringBuilder(128);
        w.write('[');
        for (int i = 0; i < dets.size(); i++) {
            CocoDetections.Detection d = dets.get(i);
            b.setLength(0);
            if (i > 0) b.append(", ");
            b.append("{\"image_id\": ").append(d.imageId()).append(", \"bbox\": [").append(floatRepr(d.x())).append(", ")
                    .append(floatRepr(d.y())).append(", ").append(floatRepr(d.w())).append(", ").append(floatRepr(d.h()))
                    .append("], \"score\": ").append(floatRepr(d.score())).append(", \"category_id\": ").append(d.categoryId())
                    .append('}');
            w.append(b);
        }
        w.write(']');
        w.flush();
    }
}
