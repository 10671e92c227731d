package autoassign.eval;

import autoassign.data.CocoDataset;
import autoassign.data.ImageRecord;
import autoassign.io.AtomicFiles;
import autoassign.postprocess.Nms;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The detection confusion matrix of MMDetection's {@code tools/analysis_tools/confusion_matrix.py}: a
 * {@code (C+1) x (C+1)} table of counts, rows = ground-truth class, columns = predicted class, index {@code C} =
 * background. Per image, for each detection label in ascending order and each of its detections with
 * {@code score >= scoreThr}:
 * <ul>
 *   <li>every ground-truth box (crowd ones included: the script reads {@code instances} and never looks at
 *       {@code ignore_flag}) with IoU {@code >= tpIouThr} adds 1 to {@code [gt label, det label]}, and, when
 *       the labels agree, counts as a true positive of that GT (a detection may thus add to several cells,
 *       and a GT may be hit by several detections);</li>
 *   <li>a detection that overlaps no GT that much adds 1 to {@code [background, det label]};</li>
 * </ul>
 * then every GT without a true positive adds 1 to {@code [gt label, background]} (so a GT hit only by
 * detections of another class counts in both the confusion cell and the background column).
 *
 * <p>Numerics as the script's: IoU is MMDetection's numpy {@code bbox_overlaps} in float32 (union floored at
 * {@code 1e-6f}), compared with the thresholds in double (NumPy 1.x compares a float32 scalar with a Python
 * float in float64). With {@code nmsIouThr} set, each label's detections first go through MMCV's {@code nms}
 * with {@code score_threshold = scoreThr} (which keeps {@code score > thr} in float32 when thr > 0).
 */
public final class ConfusionMatrix {

    /**
     * @param scoreThr  detections below this score are left out
     * @param tpIouThr  IoU at which a detection matches a GT
     * @param nmsIouThr NaN (or 0, as the script's {@code if nms_iou_thr:}): no extra NMS; else MMCV NMS at this IoU
     */
    public record Settings(double scoreThr, double tpIouThr, double nmsIouThr) {

        /** The script's defaults: score 0.3, TP IoU 0.5, no NMS. */
        public static Settings defaults() {
            return new Settings(0.3, 0.5, Double.NaN);
        }

        public boolean nms() {
            return !Double.isNaN(nmsIouThr) && nmsIouThr != 0;
        }
    }

    private final List<String> classes;
    private final long[][] counts;
    private int images;

    /** An empty matrix over these classes (background is added as the last row and column). */
    public ConfusionMatrix(List<String> classes) {
        this.classes = List.copyOf(classes);
        int n = classes.size() + 1;
        this.counts = new long[n][n];
    }

    /**
     * The matrix of a COCO results list against a dataset's ground truth. The GT boxes are the dataset's
     * instances as MMDetection's {@code CocoDataset} parses them (boxes outside the image, smaller than 1 px or
     * marked {@code ignore} are dropped; crowd boxes are kept); detections map to labels through the dataset's
     * category ids; images without detections count their GTs as missed.
     */
    public static ConfusionMatrix compute(CocoDataset dataset, CocoDetections dets, Settings s) {
        Map<Long, List<CocoDetections.Detection>> byImage = dets.byImage();
        ConfusionMatrix m = new ConfusionMatrix(dataset.categories().names());
        for (ImageRecord r : dataset.images()) {
            List<CocoDetections.Detection> ds = byImage.getOrDefault(r.id(), List.of());
            float[] boxes = new float[4 * ds.size()];
            double[] scores = new double[ds.size()];
            int[] labels = new int[ds.size()];
            for (int i = 0; i < ds.size(); i++) {
                CocoDetections.Detection d = ds.get(i);
                int label = dataset.categories().labelOf(d.categoryId());
                if (label < 0) {
                    throw new IllegalArgumentException("category_id " + d.categoryId() + " is not a class of "
                            + dataset.annotationFile());
                }
                // back to the float32 x1 y1 x2 y2 of the model's output (x + w is exact for results written from floats)
                boxes[4 * i] = (float) d.x();
                boxes[4 * i + 1] = (float) d.y();
                boxes[4 * i + 2] = (float) (d.x() + d.w());
                boxes[4 * i + 3] = (float) (d.y() + d.h());
                scores[i] = d.score();
                labels[i] = label;
            }
            m.addImage(concat(r.boxes(), r.crowdBoxes()), concat(r.labels(), r.crowdLabels()), boxes, scores, labels, s);
        }
        return m;
    }

    /**
     * Adds one image ({@code analyze_per_img_dets}).
     *
     * @param gtBoxes   [G*4] x1 y1 x2 y2
     * @param gtLabels  [G] labels in 0..C-1
     * @param detBoxes  [D*4] x1 y1 x2 y2
     * @param detScores [D]
     * @param detLabels [D] labels in 0..C-1
     */
    public void addImage(float[] gtBoxes, int[] gtLabels, float[] detBoxes, double[] detScores, int[] detLabels,
                         Settings s) {
        int bg = classes.size();
        int g = gtLabels.length;
        checkLabels(gtLabels, "ground-truth");
        checkLabels(detLabels, "detection");
        int[] truePositives = new int[g];
        for (int label : new TreeSet<>(Arrays.stream(detLabels).boxed().toList())) { // np.unique: ascending
            int[] idx = indicesOf(detLabels, label);
            float[] boxes = new float[4 * idx.length];
            double[] scores = new double[idx.length];
            for (int k = 0; k < idx.length; k++) {
                System.arraycopy(detBoxes, 4 * idx[k], boxes, 4 * k, 4);
                scores[k] = detScores[idx[k]];
            }
            if (s.nms()) {
                int[] kept = nms(boxes, scores, s);
                float[] kb = new float[4 * kept.length];
                double[] ks = new double[kept.length];
                for (int k = 0; k < kept.length; k++) {
                    System.arraycopy(boxes, 4 * kept[k], kb, 4 * k, 4);
                    ks[k] = (float) scores[kept[k]]; // MMCV returns the float32 scores
                }
                boxes = kb;
                scores = ks;
            }
            for (int i = 0; i < scores.length; i++) {
                if (!(scores[i] >= s.scoreThr())) {
                    continue;
                }
                int matches = 0;
                for (int j = 0; j < g; j++) {
                    if (iou(boxes, i, gtBoxes, j) >= s.tpIouThr()) {
                        matches++;
                        if (gtLabels[j] == label) {
                            truePositives[j]++;
                        }
                        counts[gtLabels[j]][label]++;
                    }
                }
                if (matches == 0) {
                    counts[bg][label]++; // false positive on background
                }
            }
        }
        for (int j = 0; j < g; j++) {
            if (truePositives[j] == 0) {
                counts[gtLabels[j]][bg]++; // missed
            }
        }
        images++;
    }

    /** MMCV {@code nms(boxes, scores, thr, score_threshold=scoreThr)}: kept indices, best score first. */
    private static int[] nms(float[] boxes, double[] scores, Settings s) {
        float thr = (float) s.scoreThr();
        int[] valid = new int[scores.length];
        int n = 0;
        for (int i = 0; i < scores.length; i++) {
            if (!(s.scoreThr() > 0) || (float) scores[i] > thr) { // MMCV filters only for a positive threshold
                valid[n++] = i;
            }
        }
        float[] vb = new float[4 * n];
        float[] vs = new float[n];
        for (int k = 0; k < n; k++) {
            System.arraycopy(boxes, 4 * valid[k], vb, 4 * k, 4);
            vs[k] = (float) scores[valid[k]];
        }
        int[] kept = Nms.nms(vb, vs, (float) s.nmsIouThr());
        for (int k = 0; k < kept.length; k++) {
            kept[k] = valid[kept[k]];
        }
        return kept;
    }

    /** MMDetection's numpy {@code bbox_overlaps(mode='iou')} of box {@code i} of {@code a} and box {@code j} of {@code b}, float32. */
    static float iou(float[] a, int i, float[] b, int j) {
        // the same float32 formula as the loss's (union floored at 1e-6)
        return autoassign.loss.LossKernels.iou(a[4 * i], a[4 * i + 1], a[4 * i + 2], a[4 * i + 3],
                b[4 * j], b[4 * j + 1], b[4 * j + 2], b[4 * j + 3]);
    }

    private void checkLabels(int[] labels, String what) {
        for (int l : labels) {
            if (l < 0 || l >= classes.size()) {
                throw new IllegalArgumentException(what + " label " + l + " is outside 0.." + (classes.size() - 1));
            }
        }
    }

    private static int[] indicesOf(int[] labels, int label) {
        return java.util.stream.IntStream.range(0, labels.length).filter(i -> labels[i] == label).toArray();
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Class names without background. */
    public List<String> classes() {
        return classes;
    }

    /** Row / column names: the classes, then {@code "background"}. */
    public List<String> labels() {
        List<String> out = new ArrayList<>(classes);
        out.add("background");
        return out;
    }

    /** Images added so far. */
    public int images() {
        return images;
    }

    /** Count of ground truth {@code gt} predicted as {@code pred} (index {@code C} = background). */
    public long count(int gt, int pred) {
        return counts[gt][pred];
    }

    /** A copy of the counts, {@code [gt][pred]}. */
    public long[][] counts() {
        long[][] out = new long[counts.length][];
        for (int i = 0; i < counts.length; i++) {
            out[i] = counts[i].clone();
        }
        return out;
    }

    /** Each row as percentages of its sum (the script's plot); NaN for a row without any count. */
    public double[][] rowPercentages() {
        double[][] out = new double[counts.length][counts.length];
        for (int i = 0; i < counts.length; i++) {
            long sum = Arrays.stream(counts[i]).sum();
            for (int j = 0; j < counts.length; j++) {
                // as the script: float32 counts over float64 row sums, times 100, in float64
                out[i][j] = sum == 0 ? Double.NaN : (double) (float) counts[i][j] / (double) sum * 100.0;
            }
        }
        return out;
    }

    /** Sum of the diagonal over the classes: (detection, GT) pairs of the same class. */
    public long truePositives() {
        long n = 0;
        for (int k = 0; k < classes.size(); k++) {
            n += counts[k][k];
        }
        return n;
    }

    /** Off-diagonal class-to-class counts: a detection overlapping a GT of another class. */
    public long confusions() {
        long n = 0;
        for (int i = 0; i < classes.size(); i++) {
            for (int j = 0; j < classes.size(); j++) {
                n += i == j ? 0 : counts[i][j];
            }
        }
        return n;
    }

    /** GTs without a true positive (background column). */
    public long missed() {
        long n = 0;
        for (int i = 0; i < classes.size(); i++) {
            n += counts[i][classes.size()];
        }
        return n;
    }

    /** Detections overlapping no GT (background row). */
    public long falsePositives() {
        return Arrays.stream(counts[classes.size()]).sum();
    }

    /**
     * Writes {@code {"classes": [..., "background"], "rows": "ground truth", "columns": "prediction", "images": N,
     * "score_thr", "tp_iou_thr", "nms_iou_thr": null | t, "matrix": [[counts]]}} (one row per line; temp file + rename).
     */
    public void writeJson(Path out, Settings s) throws IOException {
        AtomicFiles.write(out, os -> {
            try (JsonGenerator g = Json.FACTORY.createGenerator(os)) {
                g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
                g.writeStartObject();
                g.writeRaw('\n');
                g.writeArrayFieldStart("classes");
                for (String c : labels()) {
                    g.writeString(c);
                }
                g.writeEndArray();
                g.writeRaw('\n');
                g.writeStringField("rows", "ground truth");
                g.writeStringField("columns", "prediction");
                g.writeNumberField("images", images);
                g.writeRaw('\n');
                g.writeNumberField("score_thr", s.scoreThr());
                g.writeNumberField("tp_iou_thr", s.tpIouThr());
                if (s.nms()) {
                    g.writeNumberField("nms_iou_thr", s.nmsIouThr());
                } else {
                    g.writeNullField("nms_iou_thr");
                }
                g.writeRaw('\n');
                g.writeArrayFieldStart("matrix");
                for (long[] row : counts) {
                    g.writeRaw('\n');
                    g.writeArray(row, 0, row.length);
                }
                g.writeRaw('\n');
                g.writeEndArray();
                g.writeRaw('\n');
                g.writeEndObject();
                g.writeRaw('\n');
            }
        });
    }
}
