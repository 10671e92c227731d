package autoassign.eval;

import autoassign.postprocess.ArgSort;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * COCO bbox evaluation, a line-by-line port of pycocotools' {@code COCOeval} ({@code iouType='bbox'},
 * {@code useCats=1}) in float64: {@code evaluate()}, {@code accumulate()}, {@code summarize()}.
 *
 * <p>Details kept on purpose (each changes the numbers):
 * <ul>
 *   <li>all sorts are stable on descending score (numpy mergesort): ties keep the results-file order within an
 *       (image, category), and in accumulation ties across images are broken by ascending image id;</li>
 *   <li>maxDets is applied per image <em>and</em> per category;</li>
 *   <li>GT area is the annotation's {@code area} field, detection area is {@code w*h}; crowd GTs are ignored, may
 *       be matched repeatedly, and their IoU is intersection over detection area;</li>
 *   <li>matching: best IoU {@code >= min(t, 1-1e-10)} among unmatched GTs in (non-ignored first) order, ties go to
 *       the later GT, stop at the first ignored GT once a regular GT matched;</li>
 *   <li>a detection counts as matched iff the matched GT's {@code id} is non-zero (pycocotools stores the id and
 *       tests it for truth, so a GT with id 0 behaves as "unmatched");</li>
 *   <li>precision {@code tp/(fp+tp+spacing(1))}, monotone envelope from the right, sampled with
 *       {@code searchsorted(rc, recThrs, 'left')}, 0 beyond the last recall; -1 where a category has no
 *       non-ignored GT; means use numpy's pairwise summation.</li>
 * </ul>
 */
public final class CocoEvaluator {

    private static final double EPS = Math.ulp(1.0); // np.spacing(1)

    private CocoEvaluator() {
    }

    /** Evaluates with pycocotools' default parameters. */
    public static CocoEvalResult evaluate(CocoGroundTruth gt, CocoDetections dt) {
        return evaluate(gt, dt, CocoEvalParams.standard());
    }

    public static CocoEvalResult evaluate(CocoGroundTruth gt, CocoDetections dt, CocoEvalParams params) {
        if (params.maxDets().length < 3) { // summarize() indexes maxDets[0..2]
            throw new IllegalArgumentException("the summary needs at least 3 maxDets, got "
                    + Arrays.toString(params.maxDets()));
        }
        Run r = new CocoEvaluator.Run(gt, dt, params, null);
        r.run();
        return new CocoEvalResult(params, r.catIds, gt.categories(), r.precision, r.recall);
    }

    /**
     * {@code evaluate()} + {@code accumulate()} without {@code summarize()}: COCOeval's {@code eval['precision']}
     * as a flat {@code [T][R][K][A][M]} array (K = {@code gt}'s categories, ascending id), for parameter sets the
     * summary cannot take (e.g. the single maxDets [100] and IoUs [0.75, 0.5, 0.1] of coco_error_analysis.py).
     */
    static double[] precision(CocoGroundTruth gt, CocoDetections dt, CocoEvalParams params) {
        Run r = new CocoEvaluator.Run(gt, dt, params, null);
        r.run();
        return r.precision;
    }

    /**
     * {@code evaluate()} + {@code accumulate()} where an unmatched detection that {@code ignoreUnmatched} accepts is
     * ignored like one outside the area range (LVISEval's not-exhaustively annotated categories): {@code {precision
     * [T][R][K][A][M], recall [T][K][A][M]}}, flat, K = {@code gt}'s categories in ascending id.
     */
    static double[][] accumulate(CocoGroundTruth gt, CocoDetections dt, CocoEvalParams params,
                                 java.util.function.Predicate<CocoDetections.Detection> ignoreUnmatched) {
        Run r = new CocoEvaluator.Run(gt, dt, params, ignoreUnmatched);
        r.run();
        return new double[][] {r.precision, r.recall};
    }

    /** evaluateImg output of one (image, category, area range). */
    private static final class ImgEval {
        final int nd;
        final double[] scores; // sorted descending, length nd (shared between area ranges)
        final boolean[] matched; // [T][nd] flattened t*nd + d
        final boolean[] ignored; // [T][nd]
        final int npig; // non-ignored GTs

        ImgEval(int nd, double[] scores, boolean[] matched, boolean[] ignored, int npig) {
            this.nd = nd;
            this.scores = scores;
            this.matched = matched;
            this.ignored = ignored;
            this.npig = npig;
        }
    }

    private static final class Run {
        final CocoGroundTruth gt;
        final CocoDetections dt;
        final CocoEvalParams p;
        final long[] imgIds;
        final long[] catIds;
        final int numT;
        final int numR;
        final int numK;
        final int numA;
        final int numM;
        final double[] precision;
        final double[] recall;
        final java.util.function.Predicate<CocoDetections.Detection> ignoreUnmatched; // null: area range only (COCO)

        Run(CocoGroundTruth gt, CocoDetections dt, CocoEvalParams p,
            java.util.function.Predicate<CocoDetections.Detection> ignoreUnmatched) {
            this.gt = gt;
            this.ignoreUnmatched = ignoreUnmatched;
            this.dt = dt;
            this.p = p;
            this.imgIds = gt.imageIds();
            this.catIds = gt.categoryIds();
            numT = p.iouThrs().length;
            numR = p.recThrs().length;
            numK = catIds.length;
            numA = p.areaRng().length;
            numM = p.maxDets().length;
            precision = new double[numT * numR * numK * numA * numM];
            recall = new double[numT * numK * numA * numM];
            Arrays.fill(precision, -1);
            Arrays.fill(recall, -1);
        }

        int pIndex(int t, int r, int k, int a, int m) {
            return (((t * numR + r) * numK + k) * numA + a) * numM + m;
        }

        int rIndex(int t, int k, int a, int m) {
            return ((t * numK + k) * numA + a) * numM + m;
        }

        /** Fills {@link #precision} and {@link #recall}. */
        void run() {
            Map<Long, Integer> imgIndex = new HashMap<>(imgIds.length * 2);
            for (int i = 0; i < imgIds.length; i++) {
                imgIndex.put(imgIds[i], i);
            }
            Map<Long, Integer> catIndex = new HashMap<>(catIds.length * 2);
            for (int k = 0; k < catIds.length; k++) {
                catIndex.put(catIds[k], k);
            }
            long numImg = imgIds.length;
            if ((long) numK * Math.max(1, numImg) >= (1L << 31)) {
                throw new IllegalArgumentException("too many (image, category) pairs: " + numImg + " x " + numK);
            }
            // (pair key = k * I + i) << 32 | position, sorted: groups by category, then image, then file order
            List<CocoGroundTruth.Annotation> anns = gt.annotations();
            long[] gKeys = new long[anns.size()];
            int ng = 0;
            for (int j = 0; j < anns.size(); j++) {
                CocoGroundTruth.Annotation a = anns.get(j);
                Integer i = imgIndex.get(a.imageId());
                Integer k = catIndex.get(a.categoryId());
                if (i == null || k == null) {
                    continue; // not in params.imgIds / catIds: COCOeval never loads it
                }
                gKeys[ng++] = ((k * numImg + i) << 32) | j;
            }
            gKeys = Arrays.copyOf(gKeys, ng);
            Arrays.sort(gKeys);
            List<CocoDetections.Detection> dets = dt.detections();
            long[] dKeys = new long[dets.size()];
            int ndt = 0;
            for (int j = 0; j < dets.size(); j++) {
                CocoDetections.Detection d = dets.get(j);
                Integer i = imgIndex.get(d.imageId());
                Integer k = catIndex.get(d.categoryId());
                if (i == null || k == null) {
                    continue;
                }
                dKeys[ndt++] = ((k * numImg + i) << 32) | j;
            }
            dKeys = Arrays.copyOf(dKeys, ndt);
            Arrays.sort(dKeys);

            // categories are independent: evaluate them in parallel (each writes only its own slice)
            final long[] gAll = gKeys;
            final long[] dAll = dKeys;
            int[] gStart = categoryStarts(gAll, numImg);
            int[] dStart = categoryStarts(dAll, numImg);
            IntStream.range(0, numK).parallel().forEach(k -> {
                if (gStart[k] == gStart[k + 1] && dStart[k] == dStart[k + 1]) {
                    return;
                }
                List<List<ImgEval>> perArea = new ArrayList<>();
                for (int a = 0; a < numA; a++) {
                    perArea.add(new ArrayList<>());
                }
                int gp = gStart[k];
                int dp = dStart[k];
                int gEnd = gStart[k + 1];
                int dEnd = dStart[k + 1];
                // pairs in ascending image order
                while (gp < gEnd || dp < dEnd) {
                    long key = Math.min(gp < gEnd ? gAll[gp] >>> 32 : Long.MAX_VALUE,
                            dp < dEnd ? dAll[dp] >>> 32 : Long.MAX_VALUE);
                    int g0 = gp;
                    while (gp < gEnd && (gAll[gp] >>> 32) == key) {
                        gp++;
                    }
                    int d0 = dp;
                    while (dp < dEnd && (dAll[dp] >>> 32) == key) {
                        dp++;
                    }
                    evaluatePair(Arrays.copyOfRange(gAll, g0, gp), Arrays.copyOfRange(dAll, d0, dp), perArea);
                }
                accumulate(k, perArea);
            });
        }

        /** Start offsets per category in sorted pair keys (length K + 1). */
        private int[] categoryStarts(long[] keys, long numImg) {
            int[] start = new int[numK + 1];
            int j = 0;
            for (int k = 0; k <= numK; k++) {
                while (j < keys.length && (keys[j] >>> 32) / numImg < k) {
                    j++;
                }
                start[k] = j;
            }
            return start;
        }

        /** computeIoU + evaluateImg for one (image, category) pair, all area ranges. */
        private void evaluatePair(long[] gk, long[] dk, List<List<ImgEval>> perArea) {
            List<CocoGroundTruth.Annotation> anns = gt.annotations();
            List<CocoDetections.Detection> dets = dt.detections();
            int numG = gk.length;
            CocoGroundTruth.Annotation[] g = new CocoGroundTruth.Annotation[numG];
            for (int j = 0; j < numG; j++) {
                g[j] = anns.get((int) (gk[j] & 0xffffffffL));
            }
            // detections by score, descending, stable (file order within ties), first maxDets[-1]
            double[] dScores = new double[dk.length];
            for (int j = 0; j < dk.length; j++) {
                dScores[j] = dets.get((int) (dk[j] & 0xffffffffL)).score();
            }
            int[] order = ArgSort.descending(dScores, dk.length);
            int maxDet = p.maxDets()[numM - 1];
            int numD = Math.min(order.length, maxDet);
            CocoDetections.Detection[] d = new CocoDetections.Detection[numD];
            double[] scores = new double[numD];
            for (int j = 0; j < numD; j++) {
                d[j] = dets.get((int) (dk[order[j]] & 0xffffffffL));
                scores[j] = d[j].score();
            }
            // IoU [d][g] in the original GT order (maskUtils.iou / bbIou)
            double[] ious = null;
            if (numG > 0 && numD > 0) {
                ious = new double[numD * numG];
                for (int gi = 0; gi < numG; gi++) {
                    CocoGroundTruth.Annotation gg = g[gi];
                    double ga = gg.w() * gg.h();
                    for (int di = 0; di < numD; di++) {
                        CocoDetections.Detection dd = d[di];
                        double da = dd.w() * dd.h();
                        double w = Math.min(dd.w() + dd.x(), gg.w() + gg.x()) - Math.max(dd.x(), gg.x());
                        if (w <= 0) {
                            continue;
                        }
                        double h = Math.min(dd.h() + dd.y(), gg.h() + gg.y()) - Math.max(dd.y(), gg.y());
                        if (h <= 0) {
                            continue;
                        }
                        double inter = w * h;
                        double union = gg.crowd() ? da : da + ga - inter;
                        ious[di * numG + gi] = inter / union;
                    }
                }
            }
            double[] iouThrs = p.iouThrs();
            for (int a = 0; a < numA; a++) {
                double lo = p.areaRng()[a][0];
                double hi = p.areaRng()[a][1];
                // GT order: non-ignored first, stable
                int[] gOrd = new int[numG];
                boolean[] gIgn = new boolean[numG];
                int c = 0;
                for (int pass = 0; pass < 2; pass++) {
                    for (int j = 0; j < numG; j++) {
                        boolean ign = g[j].crowd() || g[j].area() < lo || g[j].area() > hi;
                        if (ign == (pass == 1)) {
                            gIgn[c] = ign;
                            gOrd[c++] = j;
                        }
                    }
                }
                int npig = 0;
                for (int j = 0; j < numG; j++) {
                    if (!gIgn[j]) {
                        npig++;
                    }
                }
                boolean[] matched = new boolean[numT * numD];
                boolean[] ignored = new boolean[numT * numD];
                boolean[] gtTaken = new boolean[numG];
                if (ious != null) {
                    for (int t = 0; t < numT; t++) {
                        Arrays.fill(gtTaken, false);
                        for (int di = 0; di < numD; di++) {
                            double best = Math.min(iouThrs[t], 1 - 1e-10);
                            int m = -1;
                            for (int s = 0; s < numG; s++) {
                                int gi = gOrd[s];
                                if (gtTaken[s] && !g[gi].crowd()) {
                                    continue;
                                }
                                if (m > -1 && !gIgn[m] && gIgn[s]) {
                                    break;
                                }
                                double iou = ious[di * numG + gi];
                                if (iou < best) {
                                    continue;
                                }
                                best = iou;
                                m = s;
                            }
                            if (m == -1) {
                                continue;
                            }
                            ignored[t * numD + di] = gIgn[m];
                            matched[t * numD + di] = g[gOrd[m]].id() != 0; // dtm holds the GT id
                            gtTaken[m] = true;
                        }
                    }
                }
                // unmatched detections outside the area range are ignored
                for (int di = 0; di < numD; di++) {
                    double area = d[di].area();
                    if (area < lo || area > hi || ignoreUnmatched != null && ignoreUnmatched.test(d[di])) {
                        for (int t = 0; t < numT; t++) {
                            if (!matched[t * numD + di]) {
                                ignored[t * numD + di] = true;
                            }
                        }
                    }
                }
                perArea.get(a).add(new ImgEval(numD, scores, matched, ignored, npig));
            }
        }

        /** COCOeval.accumulate for one category (the per-image evaluations are in ascending image order). */
        private void accumulate(int k, List<List<ImgEval>> perArea) {
            double[] recThrs = p.recThrs();
            for (int a = 0; a < numA; a++) {
                List<ImgEval> es = perArea.get(a);
                if (es.isEmpty()) {
                    continue;
                }
                for (int m = 0; m < numM; m++) {
                    int maxDet = p.maxDets()[m];
                    int npig = 0;
                    int total = 0;
                    for (ImgEval e : es) {
                        npig += e.npig;
                        total += Math.min(maxDet, e.nd);
                    }
                    if (npig == 0) {
                        continue;
                    }
                    double[] sc = new double[total];
                    int[] src = new int[total]; // image-eval index
                    int[] pos = new int[total]; // detection index inside it
                    int o = 0;
                    for (int ei = 0; ei < es.size(); ei++) {
                        ImgEval e = es.get(ei);
                        int n = Math.min(maxDet, e.nd);
                        for (int j = 0; j < n; j++) {
                            sc[o] = e.scores[j];
                            src[o] = ei;
                            pos[o] = j;
                            o++;
                        }
                    }
                    int[] order = ArgSort.descending(sc, total);
                    double[] rc = new double[total];
                    double[] pr = new double[total];
                    for (int t = 0; t < numT; t++) {
                        double tp = 0;
                        double fp = 0;
                        for (int j = 0; j < total; j++) {
                            int q = order[j];
                            ImgEval e = es.get(src[q]);
                            int idx = t * e.nd + pos[q];
                            if (!e.ignored[idx]) {
                                if (e.matched[idx]) {
                                    tp += 1;
                                } else {
                                    fp += 1;
                                }
                            }
                            rc[j] = tp / npig;
                            pr[j] = tp / (fp + tp + EPS);
                        }
                        recall[rIndex(t, k, a, m)] = total > 0 ? rc[total - 1] : 0;
                        for (int i = total - 1; i > 0; i--) {
                            if (pr[i] > pr[i - 1]) {
                                pr[i - 1] = pr[i];
                            }
                        }
                        // searchsorted(rc, recThrs, side='left'); thresholds beyond the last recall get 0
                        int ptr = 0;
                        for (int r = 0; r < numR; r++) {
                            double thr = recThrs[r];
                            while (ptr < total && rc[ptr] < thr) {
                                ptr++;
                            }
                            precision[pIndex(t, r, k, a, m)] = ptr < total ? pr[ptr] : 0;
                        }
                    }
                }
            }
        }
    }

    /**
     * numpy's {@code add.reduce} on a contiguous float64 array: the ufunc machinery hands the inner loop chunks of
     * at most 8192 elements (the buffer size), each summed pairwise (8-way unrolled leaves of <= 128) and added to
     * the running total. Reproducing the chunking makes the 12 stats bit-identical to pycocotools.
     */
    static double numpySum(double[] a, int off, int n) {
        double res = 0.0;
        for (int b = 0; b < n; b += BUFSIZE) {
            res += pairwise(a, off + b, Math.min(BUFSIZE, n - b));
        }
        return res;
    }

    /** numpy's default ufunc buffer size: reductions run the inner (pairwise) loop on chunks of this many. */
    private static final int BUFSIZE = 8192;

    private static double pairwise(double[] a, int off, int n) {
        if (n < 8) {
            double res = 0.;
            for (int i = 0; i < n; i++) {
                res += a[off + i];
            }
            return res;
        } else if (n <= 128) {
            double[] r = new double[8];
            for (int j = 0; j < 8; j++) {
                r[j] = a[off + j];
            }
            int i;
            for (i = 8; i < n - (n % 8); i += 8) {
                for (int j = 0; j < 8; j++) {
                    r[j] += a[off + i + j];
                }
            }
            double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) {
                res += a[off + i];
            }
            return res;
        } else {
            int n2 = n / 2;
            n2 -= n2 % 8;
            return pairwise(a, off, n2) + pairwise(a, off + n2, n - n2);
        }
    }

    /** {@code np.mean(values[:n])}, or NaN for n == 0. */
    static double numpyMean(double[] values, int n) {
        if (n == 0) {
            return Double.NaN;
        }
        return numpySum(values, 0, n) / n;
    }
}
