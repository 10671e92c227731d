package autoassign.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a validation produced, whichever metric made it: the named values MMEngine's hooks read (checkpoint
 * {@code save_best}, {@code EarlyStoppingHook}, the logs), the lines printed, and the json kept as
 * {@code final.json}. {@link CocoEvalResult} ({@code coco/bbox_mAP}, …), {@link VocMap.Result}
 * ({@code pascal_voc/mAP}, {@code pascal_voc/AP50}, …), {@link LvisEvalResult}, {@link CrowdHumanMetric.Result} and
 * {@link OpenImagesMetric.Result} ({@code openimages/AP50}, {@code openimages/mAP}).
 */
public interface Evaluation {
    /** Metric name (MMDetection's, with the evaluator's prefix) to value, the first being the main one. */
    Map<String, Double> metrics();

    /**
     * The values as MMDetection's metric hands them to MMEngine's hooks: what {@code save_best} and early stopping
     * compare (CocoMetric rounds each to 3 decimals, so ties and {@code min_delta} are judged on those).
     */
    default Map<String, Double> reportedMetrics() { return metrics(); }

    /** The summary as printed after a validation. */
    List<String> summaryLines();

    /** The full result as json (temp file + rename). */
    void writeJson(Path out) throws IOException;

    /** Python's {@code round(v, 3)} (what MMDetection's metrics report): half-even on the exact binary value. */
    static double round3(double v) {
        return Double.isFinite(v) ? new java.math.BigDecimal(v).setScale(3, java.math.RoundingMode.HALF_EVEN).doubleValue() : v;
    }

    /** The value of {@code name} in {@link #metrics()}, which must have it (what save_best and early stopping follow). */
    static double metric(Map<String, Double> metrics, String name) {
        Double value = metrics.get(name);
        if (value == null) throw new IllegalArgumentException("the evaluation has no metric " + name + ": " + metrics.keySet());
        return value;
    }
}
