package autoassign.eval;

import java.util.LinkedHashSet;
import java.util.List;

/**
 * MMDetection 3.3 {@code CocoMetric}'s {@code metric_items}: which {@code COCOeval.stats} entries it reports, each as
 * {@code coco/bbox_<item>} (coco_metric.py's {@code coco_metric_names}, fixed names whatever {@code proposal_nums} is).
 */
public final class CocoMetricItems {
    private CocoMetricItems() {}

    /** The item names in {@code COCOeval.stats} order. */
    public static final List<String> ALL = List.of(CocoEvalParams.MMDET_NAMES);

    /** CocoMetric's default for bbox ({@code metric_items=None}): the six AP numbers. */
    public static final List<String> DEFAULT = ALL.subList(0, 6);

    /** The metric name of an item: BaseMetric's {@code coco/} prefix and CocoMetric's {@code bbox_}. */
    public static String metricName(String item) {
        return "coco/bbox_" + item;
    }

    /** The index of {@code item} in {@code COCOeval.stats}; CocoMetric's KeyError message for an unknown one. */
    public static int statIndex(String item) {
        int i = ALL.indexOf(item);
        if (i < 0) throw new IllegalArgumentException("metric item \"" + item + "\" is not supported (bbox: "
                + String.join(", ", ALL) + ")");
        return i;
    }

    /** The metric names of {@code items} in their order, a repeated item once (the results are a dict). */
    public static List<String> metricNames(List<String> items) {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        for (String item : items) {
            statIndex(item);
            names.add(metricName(item));
        }
        return List.copyOf(names);
    }
}
