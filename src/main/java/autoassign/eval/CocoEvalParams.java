package autoassign.eval;

import java.util.Arrays;
import java.util.List;

/**
 * COCOeval parameters for {@code iouType='bbox'}, reproduced bit for bit (numpy {@code linspace}).
 *
 * @param iouThrs   IoU thresholds (10: 0.50:0.05:0.95)
 * @param recThrs   recall thresholds (101: 0:0.01:1)
 * @param maxDets   detections per image and category, ascending; the summary ({@link CocoEvaluator#evaluate}) needs
 *                  at least 3 values (it reads the first three), {@link CocoEvaluator#precision} takes any number (coco_error_analysis.py: [100])
 * @param areaRng   area ranges [lo, hi], inclusive: all, small, medium, large
 * @param areaLbl   their labels
 * @param statNames names of the 12 summary numbers
 * @param listIouThrs the thresholds reach pycocotools as a Python list, as MMDetection's {@code CocoMetric} hands
 *                  over a config's {@code iou_thrs}: summarize's {@code np.where(iouThr == p.iouThrs)} then compares a
 *                  float with a list, never equal, so the IoU=.50 and .75 numbers are -1 whatever the list holds
 *                  (numpy 1.x; numpy 2.4 raises there). False: an ndarray, compared element by element
 * @param mpSummary MMDetection's {@code COCOevalMP} summary ({@code use_mp_eval=True}): the AP numbers at the largest
 *                  maxDets (stats[0] too, not 100), one AR per maxDets value; the same evaluation otherwise
 * @param metricItems CocoMetric's {@code metric_items}: the stats {@link CocoEvalResult#metrics()} reports
 */
public record CocoEvalParams(double[] iouThrs, double[] recThrs, int[] maxDets, double[][] areaRng,
                             String[] areaLbl, String[] statNames, boolean listIouThrs, boolean mpSummary,
                             List<String> metricItems) {

    /** Thresholds as an ndarray, COCOeval's summary, CocoMetric's default metric items. */
    public CocoEvalParams(double[] iouThrs, double[] recThrs, int[] maxDets, double[][] areaRng, String[] areaLbl,
                          String[] statNames) {
        this(iouThrs, recThrs, maxDets, areaRng, areaLbl, statNames, false, false, CocoMetricItems.DEFAULT);
    }

    public static final String[] STANDARD_NAMES = {"AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10",
        "AR100", "ARs", "ARm", "ARl"};
    public static final String[] MMDET_NAMES = {"mAP", "mAP_50", "mAP_75", "mAP_s", "mAP_m", "mAP_l", "AR@100",
        "AR@300", "AR@1000", "AR_s@1000", "AR_m@1000", "AR_l@1000"};

    public CocoEvalParams {
        if (maxDets.length == 0) {
            throw new IllegalArgumentException("maxDets needs at least one value");
        }
        maxDets = maxDets.clone();
        Arrays.sort(maxDets); // COCOeval.evaluate sorts them
        if (maxDets[0] <= 0) {
            throw new IllegalArgumentException("maxDets must be positive: " + Arrays.toString(maxDets));
        }
        if (statNames.length != 12) {
            throw new IllegalArgumentException("12 stat names needed");
        }
        if (mpSummary && maxDets.length != 3) { // COCOevalMP's summary has 9 + len(maxDets) numbers
            throw new IllegalArgumentException("the COCOevalMP summary is supported with 3 maxDets, got "
                    + Arrays.toString(maxDets));
        }
        metricItems = List.copyOf(metricItems);
        if (metricItems.isEmpty()) throw new IllegalArgumentException("no metric item");
        metricItems.forEach(CocoMetricItems::statIndex);
    }

    /** pycocotools' defaults: maxDets [1, 10, 100]. */
    public static CocoEvalParams standard() {
        return new CocoEvalParams(linspace(0.5, 0.95, 10), linspace(0.0, 1.0, 101), new int[] {1, 10, 100},
                defaultAreas(), new String[] {"all", "small", "medium", "large"}, STANDARD_NAMES);
    }

    /** MMDetection v3 {@code CocoMetric}: maxDets [100, 300, 1000] (its {@code proposal_nums}). */
    public static CocoEvalParams mmdet() {
        return new CocoEvalParams(linspace(0.5, 0.95, 10), linspace(0.0, 1.0, 101), new int[] {100, 300, 1000},
                defaultAreas(), new String[] {"all", "small", "medium", "large"}, MMDET_NAMES);
    }

    /**
     * MMDetection 3.3 {@code CocoMetric} as a config sets it up: {@code iou_thrs} (null: its default, numpy's
     * linspace .5:.05:.95 as an ndarray; else a Python list, see {@link #listIouThrs}), {@code proposal_nums} (null:
     * [100, 300, 1000]; COCOeval sorts them), {@code metric_items} (null: the six AP numbers) and {@code use_mp_eval}.
     */
    public static CocoEvalParams cocoMetric(double[] iouThrs, int[] proposalNums, List<String> metricItems,
                                            boolean mpEval) {
        CocoEvalParams d = mmdet();
        return new CocoEvalParams(iouThrs == null ? d.iouThrs() : iouThrs.clone(), d.recThrs(),
                proposalNums == null ? d.maxDets() : proposalNums, d.areaRng(), d.areaLbl(), MMDET_NAMES,
                iouThrs != null, mpEval, metricItems == null ? CocoMetricItems.DEFAULT : metricItems);
    }

    private static double[][] defaultAreas() {
        double big = 1e5 * 1e5;
        return new double[][] {{0, big}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, big}};
    }

    /** numpy.linspace(start, stop, num, endpoint=True) for float64: {@code i*step + start}, last = stop. */
    static double[] linspace(double start, double stop, int num) {
        double[] y = new double[num];
        if (num == 1) {
            y[0] = start;
            return y;
        }
        int div = num - 1;
        double delta = stop - start;
        double step = delta / div;
        for (int i = 0; i < num; i++) {
            y[i] = step == 0 ? (i / (double) div) * delta + start : i * step + start;
        }
        y[num - 1] = stop;
        return y;
    }
}
