package autoassign.eval;

import java.util.Arrays;

/**
 * COCOeval parameters for {@code iouType='bbox'}, reproduced bit for bit (numpy {@code linspace}).
 *
 * @param iouThrs   IoU thresholds (10: 0.50:0.05:0.95)
 * @param recThrs   recall thresholds (101: 0:0.01:1)
 * @param maxDets   detections per image and category, ascending; the summary ({@link CocoEvaluator#evaluate}) needs
 *                  exactly 3 values, {@link CocoEvaluator#precision} takes any number (coco_error_analysis.py: [100])
 * @param areaRng   area ranges [lo, hi], inclusive: all, small, medium, large
 * @param areaLbl   their labels
 * @param statNames names of the 12 summary numbers
 */
public record CocoEvalParams(double[] iouThrs, double[] recThrs, int[] maxDets, double[][] areaRng,
                             String[] areaLbl, String[] statNames) {

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
