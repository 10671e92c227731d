package autoassign.config;

/**
 * {@code val_evaluator} / {@code test_evaluator}: MMDetection's {@code CocoMetric}, or {@code VOCMetric}
 * ({@code metric: mAP}, {@code iou_thrs}, {@code eval_mode}; the ground truth is the dataset's annotation file, its
 * crowd boxes the ignored ones).
 *
 * @param annFile       ground truth json relative to the data root (null: the dataset's, or synthetic)
 * @param metric        "bbox" (CocoMetric) or "mAP" (VOCMetric)
 * @param classwise     also report per-class AP
 * @param formatOnly    {@code format_only}: only write the detections (e.g. COCO test-dev, whose image-info file
 *                      has no annotations), no evaluation
 * @param outfilePrefix {@code outfile_prefix}: the detections go to {@code <prefix>.bbox.json} (null: not written)
 * @param voc           a VOCMetric
 * @param iouThrs       VOCMetric's {@code iou_thrs} ([0.5])
 * @param elevenPoints  VOCMetric's {@code eval_mode: 11points} (its default), else {@code area}
 */
public record EvaluatorConfig(String annFile, String metric, boolean classwise, boolean formatOnly, String outfilePrefix,
                             boolean voc, java.util.List<Double> iouThrs, boolean elevenPoints) {
    public EvaluatorConfig {
        iouThrs = java.util.List.copyOf(iouThrs);
    }

    /** The names of the metrics this evaluator reports (what {@code save_best} and early stopping may follow). */
    public java.util.List<String> metricNames() {
        if (!voc) return autoassign.eval.CocoEvalResult.METRIC_NAMES;
        java.util.List<String> names = new java.util.ArrayList<>();
        names.add(autoassign.eval.VocMap.PREFIX + "mAP");
        for (double t : iouThrs) names.add(autoassign.eval.VocMap.PREFIX + autoassign.eval.VocMap.apName(t));
        return names;
    }

    static EvaluatorConfig from(ConfigNode n) {
        if (n.choice("type", "CocoMetric", "CocoMetric", "VOCMetric").equals("VOCMetric")) return voc(n);
        String ann = n.string("ann_file", null);
        String metric = cocoMetric(n);
        boolean classwise = n.bool("classwise", false);
        boolean formatOnly = n.bool("format_only", false);
        String prefix = n.string("outfile_prefix", null);
        n.localFilesOnly();
        n.finish();
        return new EvaluatorConfig(ann, metric, classwise, formatOnly, prefix, false, java.util.List.of(), false);
    }

    /** CocoMetric's {@code metric}: 'bbox', or a list of metrics holding only 'bbox' (MMDetection accepts both). */
    private static String cocoMetric(ConfigNode n) {
        com.fasterxml.jackson.databind.JsonNode v = n.raw("metric");
        if (v == null || !v.isArray()) return n.choice("metric", "bbox", "bbox");
        if (v.isEmpty()) throw n.error("metric", "must name a metric: bbox");
        for (com.fasterxml.jackson.databind.JsonNode m : v)
            if (!m.isTextual() || !m.asText().equals("bbox"))
                throw n.error("metric", "only bbox is supported (the model predicts boxes), got " + ConfigNode.describe(m));
        return "bbox";
    }

    private static EvaluatorConfig voc(ConfigNode n) {
        String metric = n.choice("metric", "mAP", "mAP");
        java.util.List<Double> thrs;
        var raw = n.raw("iou_thrs");
        if (raw == null) thrs = java.util.List.of(0.5);
        else if (raw.isNumber()) thrs = java.util.List.of(raw.asDouble());
        else thrs = n.doubleList("iou_thrs", null);
        for (double t : thrs) if (!(t > 0 && t <= 1)) throw n.error("iou_thrs", "must be in (0, 1], got " + t);
        if (thrs.isEmpty()) throw n.error("iou_thrs", "must not be empty");
        boolean eleven = n.choice("eval_mode", "11points", "11points", "area").equals("11points");
        if (n.raw("scale_ranges") != null) throw n.error("scale_ranges", "only null (one scale) is supported");
        n.raw("proposal_nums"); // recall of proposals: the engine evaluates detections only
        n.choice("collect_device", "cpu", "cpu", "gpu");
        if (n.raw("prefix") != null) throw n.error("prefix", "only null (the default pascal_voc/) is supported");
        n.finish();
        return new EvaluatorConfig(null, metric, false, false, null, true, thrs, eleven);
    }

    /** Where the detections go ({@code <outfile_prefix>.bbox.json}, relative to the working folder), or null. */
    public java.nio.file.Path resultsFile() {
        return outfilePrefix == null ? null : java.nio.file.Path.of(outfilePrefix + ".bbox.json");
    }
}
