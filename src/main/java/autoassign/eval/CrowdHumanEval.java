package autoassign.eval;

import autoassign.data.DataException;
import autoassign.data.Odgt;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * MMDetection 3.3's {@code CrowdHumanMetric} computation (mmdet/evaluation/metrics/crowdhuman_metric.py: its
 * {@code Image} class, {@code compare_caltech}, {@code eval_ap}, {@code eval_mr}, {@code eval_ji}), with its arithmetic:
 * IoU / IoF in float32 as mmdet's numpy {@code bbox_overlaps}, boxes clipped to the image ({@code clip_all_boader}),
 * stable sorts, numpy's pairwise sums, SciPy's matching ({@link HopcroftKarp}). Checked against a transcription of the
 * metric by {@code CrowdHumanEvalGoldenTest}.
 * <ul>
 *   <li>AP: detections of all images by score, each matched Caltech-style ({@code compare_caltech}: the best unmatched
 *       person above the IoU threshold, else an ignored region whose IoF exceeds it, which drops the detection); the
 *       trapezoids between successive (recall, precision) points;</li>
 *   <li>MR: the log-average miss rate at 9 false-positives-per-image references (10^-2..1, or 10^-4..1);</li>
 *   <li>JI: for score thresholds 0, 0.1, …, 0.9 the mean over images of k / (m + n - k) (a maximum bipartite matching at
 *       the IoU threshold; unmatched boxes inside ignored regions not counted), the best threshold's.</li>
 * </ul>
 * Where the released metric cannot run, this does what it evidently means: an image without people has none (its
 * {@code load_gt_boxes} fails to unpack), and in {@code eval_mode} 1 and 2 a detection's box is also its head box (it
 * passes {@code head_key=None} and fails on the first detection); JI sums the images in order (it sums them as its
 * processes finish).
 */
public final class CrowdHumanEval {
    private CrowdHumanEval() {}

    /**
     * @param evalMode 0: full body boxes, 1: head boxes, 2: body boxes, a person ignored when its body or head is
     * @param caltech4 {@code mr_ref='CALTECH_-4'} (else CALTECH_-2)
     */
    public record Params(int evalMode, double iouThres, boolean caltech4) {}

    /**
     * One image: its {@code ID}, the size the boxes are clipped to, its people, and its detections {@code [n*5]}
     * x1, y1, x2, y2, score (in the order the model gave them).
     */
    public record Sample(String id, double width, double height, List<Odgt.Person> people, double[] dets) {}

    /** The three numbers before {@code compute_metrics} rounds them. */
    public record Raw(double ap, double mr, double ji) {}

    private static final String[] CLASS_NAMES = {"background", "person"};
    private static final double[] MR_REF_2 = {0.0100, 0.0178, 0.03160, 0.0562, 0.1000, 0.1778, 0.3162, 0.5623, 1.000};
    private static final double[] MR_REF_4 = {0.0001, 0.0003, 0.00100, 0.0032, 0.0100, 0.0316, 0.1000, 0.3162, 1.000};

    /** An image as {@code Image.load} + {@code clip_all_boader} leave it: the compared boxes and their tags. */
    private record Image(float[][] gt, double[] gtTag, int gtNum, int ignNum, float[][] dt, double[] score) {}

    /** A detection of {@code compare_caltech}'s list: its score and whether it matched (1) or not (0). */
    private record Scored(double score, int matched) {}

    public static Raw evaluate(List<Sample> samples, Params p) {
        List<Image> images = new ArrayList<>(samples.size());
        for (Sample s : samples) images.add(image(s, p));
        List<Scored> list = new ArrayList<>();
        long gtNum = 0;
        for (Image im : images) {
            list.addAll(compareCaltech(im, p.iouThres()));
            gtNum += im.gtNum() - im.ignNum();
        }
        list.sort(Comparator.comparingDouble(Scored::score).reversed()); // stable, as Python's sort(reverse=True)
        return new Raw(ap(list, gtNum), mr(list, gtNum, images.size(), p.caltech4()), ji(images, p.iouThres()));
    }

    /** numpy's {@code round(v, 4)} on a float64: {@code rint(v * 10**4) / 10**4}. */
    public static double round4(double v) {
        return Math.rint(v * 10000.0) / 10000.0;
    }

    private static Image image(Sample s, Params p) {
        int g = s.people().size();
        float[][] gt = new float[g][];
        double[] tag = new double[g];
        int ign = 0;
        for (int i = 0; i < g; i++) {
            Odgt.Person r = s.people().get(i);
            int body = java.util.Arrays.asList(CLASS_NAMES).indexOf(r.tag()), head = body;
            if (r.extraIgnore()) { body = -1; head = -1; }
            if (r.headIgnore()) head = -1;
            double[] box = p.evalMode() == 1 ? r.hbox() : r.fbox();
            if (box == null || p.evalMode() == 2 && r.hbox() == null)
                throw new DataException("CrowdHumanMetric: image " + s.id() + ": gtboxes[" + i + "] has no \"hbox\" (eval_mode " + p.evalMode() + ")");
            gt[i] = clip(box[0], box[1], box[0] + box[2], box[1] + box[3], s.width(), s.height());
            tag[i] = switch (p.evalMode()) {
                case 0 -> body;
                case 1 -> head;
                default -> body != -1 && head != -1 ? 1 : 0;
            };
            if (p.evalMode() == 2 ? tag[i] == 0 : tag[i] == -1) ign++;
        }
        int n = s.dets().length / 5;
        float[][] dt = new float[n][];
        double[] score = new double[n];
        for (int i = 0; i < n; i++) {
            double[] d = s.dets();
            dt[i] = clip(d[5 * i], d[5 * i + 1], d[5 * i + 2], d[5 * i + 3], s.width(), s.height());
            score[i] = d[5 * i + 4];
        }
        return new Image(gt, tag, g, ign, dt, score);
    }

    /** {@code _clip_boundary} (float64), then the float32 {@code bbox_overlaps} works on. */
    private static float[] clip(double x1, double y1, double x2, double y2, double w, double h) {
        return new float[] {(float) Math.min(Math.max(x1, 0), w - 1), (float) Math.min(Math.max(y1, 0), h - 1),
                (float) Math.max(Math.min(x2, w), 0), (float) Math.max(Math.min(y2, h), 0)};
    }

    private static float overlap(float[] a, float[] b, boolean iof) { return BboxOverlaps.pair(a, b, iof); }

    /** {@code Image.compare_caltech}. */
    private static List<Scored> compareCaltech(Image im, double thres) {
        List<Scored> out = new ArrayList<>();
        int n = im.dt().length, g = im.gt().length;
        if (n == 0) return out;
        Integer[] dOrder = order(n, i -> im.score()[i]), gOrder = order(g, j -> im.gtTag()[j]);
        boolean[] gtMatched = new boolean[g];
        for (int di : dOrder) {
            float[] dt = im.dt()[di];
            int maxpos = -1;
            double maxiou = thres;
            for (int j = 0; j < g; j++) {
                if (gtMatched[j]) continue;
                int gj = gOrder[j];
                if (im.gtTag()[gj] > 0) {
                    double o = overlap(dt, im.gt()[gj], false);
                    if (o > maxiou) { maxiou = o; maxpos = j; }
                } else {
                    if (maxpos >= 0) break;
                    double o = overlap(dt, im.gt()[gj], true);
                    if (o > thres) { maxiou = o; maxpos = j; }
                }
            }
            if (maxpos >= 0) {
                if (im.gtTag()[gOrder[maxpos]] > 0) {
                    gtMatched[maxpos] = true;
                    out.add(new Scored(im.score()[di], 1));
                } // else: inside an ignored region, not counted
            } else {
                out.add(new Scored(im.score()[di], 0));
            }
        }
        return out;
    }

    /** Indices 0..n-1 sorted by {@code key} descending, stable ({@code sorted(..., reverse=True)}). */
    private static Integer[] order(int n, java.util.function.IntToDoubleFunction key) {
        Integer[] o = new Integer[n];
        for (int i = 0; i < n; i++) o[i] = i;
        java.util.Arrays.sort(o, (a, b) -> Double.compare(key.applyAsDouble(b), key.applyAsDouble(a)));
        return o;
    }

    /** {@code eval_ap}: the trapezoids between successive (recall, precision) points. */
    private static double ap(List<Scored> list, long gtNum) {
        double tp = 0, fp = 0, area = 0, prevR = 0, prevP = 0;
        for (int k = 0; k < list.size(); k++) {
            if (list.get(k).matched() == 1) tp += 1.0; else fp += 1.0;
            double fn = gtNum - tp, recall = tp / (tp + fn), precision = tp / (tp + fp);
            if (k > 0) area += (recall - prevR) * ((prevP + precision) / 2);
            prevR = recall;
            prevP = precision;
        }
        return area;
    }

    /** {@code eval_mr}: exp of the mean log miss rate at the first fppi reaching each reference. */
    private static double mr(List<Scored> list, long gtNum, int imgNum, boolean caltech4) {
        double tp = 0, fp = 0;
        double[] fppi = new double[list.size()], miss = new double[list.size()];
        for (int k = 0; k < list.size(); k++) {
            if (list.get(k).matched() == 1) tp += 1.0; else fp += 1.0;
            double fn = gtNum - tp;
            miss[k] = 1.0 - tp / (tp + fn);
            fppi[k] = fp / imgNum;
        }
        if (list.isEmpty()) return Double.NaN; // np.log of an empty array: its mean is nan
        double[] refs = caltech4 ? MR_REF_4 : MR_REF_2, logs = new double[refs.length];
        for (int r = 0; r < refs.length; r++) {
            int at = fppi.length - 1;
            for (int k = 0; k < fppi.length; k++) if (fppi[k] >= refs[r]) { at = k; break; }
            logs[r] = Math.log(miss[at]);
        }
        return Math.exp(PairwiseSum.sum(logs) / logs.length);
    }

    /** {@code eval_ji}: the best of the ten score thresholds' mean ratio (Python's max: the first on ties, nan kept first). */
    private static double ji(List<Image> images, double thres) {
        double best = 0;
        for (int t = 0; t < 10; t++) {
            double scoreThr = 1e-1 * t;
            double[] ratios = new double[images.size()];
            int imgNum = 0;
            for (int i = 0; i < ratios.length; i++) {
                long[] kmn = jiCounts(images.get(i), scoreThr, thres);
                ratios[i] = kmn[0] / (kmn[1] + kmn[2] - kmn[0] + 1e-6);
                if (kmn[2] != 0 || kmn[1] != 0) imgNum++;
            }
            double mean = PairwiseSum.sum(ratios) / imgNum;
            if (t == 0 || mean > best) best = mean;
        }
        return best;
    }

    /** {@code compute_ji_with_ignore} of one image: k matched, m people, n detections (those in ignored regions out). */
    private static long[] jiCounts(Image im, double scoreThr, double thres) {
        List<float[]> dts = new ArrayList<>(), gts = new ArrayList<>(), ignored = new ArrayList<>();
        for (int i = 0; i < im.dt().length; i++) if (im.score()[i] > scoreThr) dts.add(im.dt()[i]);
        for (int j = 0; j < im.gt().length; j++) (im.gtTag()[j] != -1 ? gts : ignored).add(im.gt()[j]);
        int[] match = new int[dts.size()];
        java.util.Arrays.fill(match, -1);
        boolean[] gtMatched = new boolean[gts.size()];
        int k = 0;
        if (!dts.isEmpty() && !gts.isEmpty()) {
            float thr = (float) thres; // numpy compares the float32 IoUs with the threshold as float32
            boolean[][] edges = new boolean[dts.size()][gts.size()];
            for (int d = 0; d < dts.size(); d++)
                for (int g = 0; g < gts.size(); g++) {
                    float iou = overlap(dts.get(d), gts.get(g), false);
                    edges[d][g] = !(iou < thr) && iou != 0;
                }
            match = HopcroftKarp.matchRows(edges, gts.size());
            for (int m : match) if (m >= 0) { k++; gtMatched[m] = true; }
        }
        List<float[]> freeDt = new ArrayList<>(), freeGt = new ArrayList<>();
        for (int d = 0; d < dts.size(); d++) if (match[d] < 0) freeDt.add(dts.get(d));
        for (int g = 0; g < gts.size(); g++) if (!gtMatched[g]) freeGt.add(gts.get(g));
        long m = gts.size() - ignores(freeGt, ignored, thres), n = dts.size() - ignores(freeDt, ignored, thres);
        return new long[] {k, m, n};
    }

    /** {@code get_ignores}: how many boxes lie in an ignored region (IoF above the threshold). */
    private static int ignores(List<float[]> boxes, List<float[]> ignored, double thres) {
        if (ignored.isEmpty()) return 0;
        float thr = (float) thres;
        int count = 0;
        for (float[] b : boxes) {
            float best = Float.NEGATIVE_INFINITY;
            for (float[] r : ignored) best = Math.max(best, overlap(b, r, true));
            if (best > thr) count++;
        }
        return count;
    }
}
