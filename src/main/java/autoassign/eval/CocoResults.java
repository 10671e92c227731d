package autoassign.eval;

import autoassign.io.AtomicFiles;

import autoassign.postprocess.Detections;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

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

    /** Writes {@code [{"image_id", "category_id", "bbox", "score"}, ...]}, one detection per line (stream left open). */
    public static void write(List<CocoDetections.Detection> dets, OutputStream os) throws IOException {
        try (JsonGenerator g = Json.FACTORY.createGenerator(os)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.writeStartArray();
            for (CocoDetections.Detection d : dets) {
                g.writeRaw('\n');
                g.writeStartObject();
                g.writeNumberField("image_id", d.imageId());
                g.writeNumberField("category_id", d.categoryId());
                g.writeArrayFieldStart("bbox");
                g.writeNumber(d.x());
                g.writeNumber(d.y());
                g.writeNumber(d.w());
                g.writeNumber(d.h());
                g.writeEndArray();
                g.writeNumberField("score", d.score());
                g.writeEndObject();
            }
            g.writeRaw('\n');
            g.writeEndArray();
            g.writeRaw('\n');
        }
    }
}
