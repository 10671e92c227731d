package autoassign.config;

/**
 * {@code val_evaluator} (MMDetection {@code CocoMetric}).
 *
 * @param annFile   ground truth json relative to the data root (null: the val dataset's, or synthetic)
 * @param metric    "bbox"
 * @param classwise also report per-class AP
 */
public record EvaluatorConfig(String annFile, String metric, boolean classwise) {
    static EvaluatorConfig from(ConfigNode n) {
        n.fixed("type", "CocoMetric");
        String ann = n.string("ann_file", null);
        String metric = n.choice("metric", "bbox", "bbox");
        boolean classwise = n.bool("classwise", false);
        n.bool("format_only", false);
        n.finish();
        return new EvaluatorConfig(ann, metric, classwise);
    }
}
