package autoassign.config;

/**
 * {@code val_evaluator} / {@code test_evaluator} (MMDetection {@code CocoMetric}).
 *
 * @param annFile       ground truth json relative to the data root (null: the dataset's, or synthetic)
 * @param metric        "bbox"
 * @param classwise     also report per-class AP
 * @param formatOnly    {@code format_only}: only write the detections (e.g. COCO test-dev, whose image-info file
 *                      has no annotations), no evaluation
 * @param outfilePrefix {@code outfile_prefix}: the detections go to {@code <prefix>.bbox.json} (null: not written)
 */
public record EvaluatorConfig(String annFile, String metric, boolean classwise, boolean formatOnly, String outfilePrefix) {
    static EvaluatorConfig from(ConfigNode n) {
        n.fixed("type", "CocoMetric");
        String ann = n.string("ann_file", null);
        String metric = n.choice("metric", "bbox", "bbox");
        boolean classwise = n.bool("classwise", false);
        boolean formatOnly = n.bool("format_only", false);
        String prefix = n.string("outfile_prefix", null);
        if (n.raw("backend_args") != null) throw n.error("backend_args", "only null (local files) is supported");
        n.finish();
        return new EvaluatorConfig(ann, metric, classwise, formatOnly, prefix);
    }

    /** Where the detections go ({@code <outfile_prefix>.bbox.json}, relative to the working folder), or null. */
    public java.nio.file.Path resultsFile() {
        return outfilePrefix == null ? null : java.nio.file.Path.of(outfilePrefix + ".bbox.json");
    }
}
