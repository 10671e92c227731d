package autoassign.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The records of {@code metrics.jsonl} in MMEngine's json log form ({@code vis_data/scalars.json} and
 * {@code vis_data/<timestamp>.json}, what MMDetection's {@code analyze_logs.py} reads), and back.
 * <ul>
 *   <li>a training record: LoggerHook's tag, {@code (base_lr,) lr, data_time, (grad_norm,) loss, loss_*, time, epoch, iter,
 *       memory}, then {@code step} = the global iteration;</li>
 *   <li>a validation record: the metric's names with its prefix ({@code coco/bbox_mAP}, {@code coco/<class>_precision},
 *       {@code pascal_voc/mAP}), then {@code data_time}, {@code time} when the record has them, then {@code step} = the
 *       epoch (by iteration in an iteration-based loop).</li>
 * </ul>
 * metrics.jsonl's {@code memory_mb} is MMEngine's {@code memory} (MB).
 */
public final class MmengineScalars {
    private MmengineScalars() {}

    /** A metrics.jsonl record as MMEngine's line, or null for a record of another mode. */
    public static Map<String, Object> line(Map<String, Object> rec, boolean byEpoch) {
        Map<String, Object> out = new LinkedHashMap<>();
        if ("train".equals(rec.get("mode"))) {
            copy(rec, "base_lr", out, "base_lr"); // OptimWrapper.get_lr: base_lr first when there are several groups
            copy(rec, "lr", out, "lr");
            copy(rec, "data_time", out, "data_time");
            // MessageHub's insertion order: OptimWrapper logs grad_norm inside train_step, before RuntimeInfoHook's losses
            copy(rec, "grad_norm", out, "grad_norm");
            rec.forEach((k, v) -> { if (k.startsWith("loss")) out.put(k, v); });
            copy(rec, "time", out, "time");
            if (byEpoch) copy(rec, "epoch", out, "epoch");
            copy(rec, "iter", out, "iter");
            copy(rec, "memory_mb", out, "memory");
            copy(rec, "iter", out, "step");
            return out;
        }
        if ("val".equals(rec.get("mode"))) {
            rec.forEach((k, v) -> { // scalars only (not metrics.jsonl's stats arrays); VOCMetric's / LVISMetric's names keep their prefix
                if (!VAL_UNPREFIXED.contains(k) && v instanceof Number)
                    out.put(k.startsWith("pascal_voc/") || k.startsWith("lvis/") || k.startsWith("crowd_human/") ? k : "coco/" + k, v);
            });
            // LogProcessor.get_log_after_epoch moves the val loop's data_time and time after the metrics, unprefixed
            copy(rec, "data_time", out, "data_time");
            copy(rec, "time", out, "time");
            copy(rec, byEpoch ? "epoch" : "iter", out, "step");
            return out;
        }
        return null;
    }

    /** A validation record's keys that are not metric names. */
    private static final java.util.Set<String> VAL_UNPREFIXED = java.util.Set.of("mode", "epoch", "iter", "data_time", "time");

    /**
     * MMEngine json log lines as metrics.jsonl records: a line with a prefixed name ({@code coco/...},
     * {@code pascal_voc/...}) is a validation ({@code coco/} dropped as metrics.jsonl names them; its step is the
     * epoch, {@code iter} the last training line's, or in an iteration-based log, whose training lines have no
     * {@code epoch}, its step is the iteration, a step 0 meaning the last training line's), a line with {@code lr} or a
     * loss a training step; other lines (a single key, a test run's) are left out.
     */
    public static List<Map<String, Object>> records(List<Map<String, Object>> lines) {
        List<Map<String, Object>> out = new java.util.ArrayList<>();
        boolean byEpoch = lines.stream().anyMatch(l -> l.containsKey("epoch"));
        Object lastIter = null;
        for (Map<String, Object> l : lines) {
            Map<String, Object> r = new LinkedHashMap<>();
            if (l.keySet().stream().anyMatch(k -> k.contains("/"))) {
                r.put("mode", "val");
                if (byEpoch) r.put("epoch", l.get("step"));
                // An IterBasedTrainLoop's validations: LoggerHook's default log_metric_by_epoch puts them at step =
                // runner.epoch, which that loop never advances (0); log_metric_by_epoch=False at step = runner.iter.
                // A 0 is read as "after the last logged training line".
                Object iter = byEpoch || isZero(l.get("step")) ? lastIter : l.get("step");
                if (iter != null) r.put("iter", iter);
                l.forEach((k, v) -> {
                    if (k.contains("/")) r.put(k.startsWith("coco/") ? k.substring("coco/".length()) : k, v);
                });
            } else if (l.containsKey("lr") || l.keySet().stream().anyMatch(k -> k.startsWith("loss"))) {
                r.put("mode", "train");
                if (l.containsKey("epoch")) r.put("epoch", l.get("epoch"));
                r.put("iter", l.containsKey("iter") ? l.get("iter") : l.get("step"));
                l.forEach((k, v) -> {
                    if (!k.equals("epoch") && !k.equals("iter") && !k.equals("step")) r.put(k.equals("memory") ? "memory_mb" : k, v);
                });
                lastIter = r.get("iter");
            } else {
                continue;
            }
            out.add(r);
        }
        return out;
    }

    /** Whether a log's lines are MMEngine's (no {@code mode}; a {@code step}) rather than metrics.jsonl records. */
    public static boolean isMmengine(List<Map<String, Object>> lines) {
        return lines.stream().noneMatch(l -> l.containsKey("mode")) && lines.stream().anyMatch(l -> l.containsKey("step"));
    }

    private static boolean isZero(Object v) { return v instanceof Number n && n.doubleValue() == 0; }

    private static void copy(Map<String, Object> from, String key, Map<String, Object> to, String as) {
        if (from.get(key) != null) to.put(as, from.get(key));
    }
}
