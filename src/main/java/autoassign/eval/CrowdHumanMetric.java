package autoassign.eval;

import autoassign.data.CocoDataset;
import autoassign.data.CrowdHumanDataset;
import autoassign.data.DataException;
import autoassign.data.ImageRecord;
import autoassign.data.Odgt;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * MMDetection's {@code CrowdHumanMetric} over a dataset's detections: its {@code ann_file} records paired with the
 * dataset's images in order ({@code load_eval_samples} zips them and asserts equal IDs; the shorter list decides), each
 * image's size the ground-truth record's {@code width} / {@code height} when it has them, else the image's (results2json
 * writes {@code ori_shape}); the metrics {@code crowd_human/mAP}, {@code crowd_human/mMR}, {@code crowd_human/JI} in the
 * order {@code metric} lists them, each as {@code round(v, 4)} ({@link CrowdHumanEval}).
 */
public final class CrowdHumanMetric {
    private CrowdHumanMetric() {}

    /** MMDetection's {@code default_prefix}. */
    public static final String PREFIX = "crowd_human/";

    /** {@code metric} entry → reported name: AP → mAP, MR → mMR, JI → JI. */
    public static String metricName(String metric) {
        return PREFIX + switch (metric) {
            case "AP" -> "mAP";
            case "MR" -> "mMR";
            default -> metric;
        };
    }

    /**
     * Evaluates {@code dets} (image ids = positions in {@code dataset}, as {@link CrowdHumanDataset} numbers them).
     *
     * @param metrics the {@code metric} list (AP, MR, JI)
     * @throws DataException on a bad annotation file, or a record whose ID is not the dataset's image at its place
     */
    public static Result evaluate(Path annFile, CocoDataset dataset, List<CocoDetections.Detection> dets, List<String> metrics,
                                  CrowdHumanEval.Params params) {
        List<Odgt.Entry> gt = Odgt.read(annFile);
        Map<Long, List<CocoDetections.Detection>> byImage = new java.util.HashMap<>();
        for (CocoDetections.Detection d : dets) byImage.computeIfAbsent(d.imageId(), k -> new ArrayList<>()).add(d);
        List<CrowdHumanEval.Sample> samples = new ArrayList<>();
        for (int i = 0; i < Math.min(gt.size(), dataset.size()); i++) {
            Odgt.Entry e = gt.get(i);
            ImageRecord r = dataset.get(i);
            String id = CrowdHumanDataset.name(r);
            if (!e.id().equals(id))
                throw new DataException(annFile + ": record " + (i + 1) + " is image " + e.id() + ", but the dataset's image " + (i + 1)
                        + " is " + id + " (CrowdHumanMetric pairs them in order: the same file, unshuffled, without indices)");
            List<CocoDetections.Detection> mine = byImage.getOrDefault(r.id(), List.of());
            double[] boxes = new double[5 * mine.size()];
            for (int k = 0; k < mine.size(); k++) {
                CocoDetections.Detection d = mine.get(k);
                boxes[5 * k] = d.x(); boxes[5 * k + 1] = d.y();
                boxes[5 * k + 2] = d.x() + d.w(); boxes[5 * k + 3] = d.y() + d.h(); // load_det_boxes: x + w, as written
                boxes[5 * k + 4] = d.score();
            }
            samples.add(new CrowdHumanEval.Sample(e.id(), e.width() != null ? e.width() : r.width(),
                    e.height() != null ? e.height() : r.height(), e.people(), boxes));
        }
        CrowdHumanEval.Raw raw = CrowdHumanEval.evaluate(samples, params);
        return new Result(raw, metrics, params);
    }

    /** The evaluation: the raw numbers and the reported ones (rounded, in {@code metric} order). */
    public record Result(CrowdHumanEval.Raw raw, List<String> metricList, CrowdHumanEval.Params params) implements Evaluation {
        @Override public Map<String, Double> metrics() {
            Map<String, Double> m = new LinkedHashMap<>();
            for (String k : metricList)
                m.put(metricName(k), CrowdHumanEval.round4(switch (k) { case "AP" -> raw.ap(); case "MR" -> raw.mr(); default -> raw.ji(); }));
            return m;
        }

        @Override public List<String> summaryLines() {
            List<String> lines = new ArrayList<>();
            metrics().forEach((k, v) -> lines.add(k + ": " + v));
            return lines;
        }

        @Override public void writeJson(Path out) throws java.io.IOException {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("metric", "CrowdHumanMetric");
            j.put("eval_mode", params.evalMode());
            j.put("iou_thres", params.iouThres());
            j.put("mr_ref", params.caltech4() ? "CALTECH_-4" : "CALTECH_-2");
            metrics().forEach((k, v) -> j.put(k.substring(PREFIX.length()), v));
            j.put("raw", Map.of("AP", raw.ap(), "MR", raw.mr(), "JI", raw.ji()));
            byte[] bytes = new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(j);
            autoassign.io.AtomicFiles.write(out, os -> os.write(bytes));
        }
    }
}
