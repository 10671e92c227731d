package autoassign.onnx;

import autoassign.postprocess.PostProcessConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The engine's test-time post-processing ({@code postprocess.PostProcessor}, spec AA_4) as ONNX nodes appended to a
 * detector graph, for a batch of N images, each image exactly as the engine post-processes it alone. Outputs, in
 * MMDeploy's end2end layout ({@code _select_nms_index}, the TensorRT {@code TRTBatchedNMS} plugin): {@code dets}
 * {@code [N, max_per_img, 5]} (x1, y1, x2, y2, score) and {@code labels} {@code [N, max_per_img]} (int64); image n's
 * detections are its first rows in descending score order, the rows after them are padding: {@code dets} all 0,
 * label −1. Boxes are in the input's pixels (clipped to the input's H×W, no rescale to an original image).
 *
 * <p>Every step works on all images at once; where the engine keeps a different number of candidates per image, the
 * graph carries a fixed number per batch with a {@code valid} mask (no Loop):
 * <ol>
 *   <li>per level: {@code prob = sigmoid(cls)} flattened point-major ({@code p·C + c}) per image; the candidates
 *       {@code prob > score_thr}; TopK along the image's row of {@code k = min(nms_pre, largest count of the batch)}
 *       with the others set to −1 (TopK orders ties by lower index: the engine's prob desc, flat index asc); a
 *       selected entry is valid when it passed the threshold, so image n keeps its first {@code min(nms_pre, count_n)},
 *       as the engine does;</li>
 *   <li>point {@code (p mod w, p div w)·stride}, box {@code point ∓ distances}, score {@code prob·sigmoid(obj[p])}
 *       (GatherND with {@code batch_dims 1}: each image's own points);</li>
 *   <li>all levels concatenated in level order, clipped to {@code [0, W]} / {@code [0, H]} of the input;</li>
 *   <li>boxes with a side ≤ {@code min_bbox_size} invalid (when it is ≥ 0);</li>
 *   <li>MMCV's batched_nms per image: every box shifted by {@code label·(max + 1)} with {@code max} the largest
 *       coordinate of that image's valid boxes, one NonMaxSuppression over the batch (invalid candidates carry score
 *       −1 under its {@code score_threshold} −0.5, so they neither are selected nor suppress), at most
 *       {@code max_per_img} per image;</li>
 *   <li>the kept candidates' scores scattered back (ScatterND, the others −1), each image's row padded with
 *       {@code max_per_img} entries of −1 and TopK {@code max_per_img}: the kept detections in descending score, ties by
 *       lower candidate index (the engine's order, independent of the order NonMaxSuppression lists them in), then
 *       padding rows, zeroed and labelled −1.</li>
 * </ol>
 * The logistic runs in float64 as the engine writes it, {@code 1/(1+exp(-x))}, and is cast back: that is the engine's
 * float32 logistic. ONNX Runtime's float32 Sigmoid is an approximation off by up to 25 ulps around the 0.05 threshold
 * and thousands below a logit of −3, its float64 Sigmoid loses small results (docs/onnx.md): either would move
 * threshold, top-k and NMS decisions or scores.
 */
final class PostProcessGraph {
    static final String DETS = "dets", LABELS = "labels";
    /** The value {@code [N,1,1]}: each image's batched_nms step, max coordinate of its valid boxes + 1 (for the tests). */
    static final String NMS_STEP = "postprocess/batched_nms_step";

    /** The score of a candidate that is not one (below every real score, which is ≥ 0). */
    private static final float NOT_A_CANDIDATE = -1f;

    private final OnnxGraph g;
    private String prefix = "postprocess";

    private PostProcessGraph(OnnxGraph g) { this.g = g; }

    /** The settings the graph can express: MMCV's (hard) nms; soft-NMS is refused. */
    static void check(PostProcessConfig cfg) {
        if (cfg.softNms() != null)
            throw new IllegalArgumentException("--postprocess: test_cfg.nms type soft_nms cannot be exported (ONNX has hard NonMaxSuppression only)");
    }

    /**
     * Appends the post-processing of the level outputs {@code cls} {@code [N,C,h,w]}, {@code dist} {@code [N,4,h,w]},
     * {@code obj} {@code [N,1,h,w]} (values of the graph) and declares {@code dets} and {@code labels} as the graph's
     * outputs, with {@code batch} (the input's first dim: {@code "N"} or 1) as their first dim.
     */
    static void append(OnnxGraph g, String image, List<String> cls, List<String> dist, List<String> obj, int[] strides,
                       int numClasses, PostProcessConfig cfg, Object batch) {
        check(cfg);
        PostProcessGraph p = new PostProcessGraph(g);
        List<String> boxes = new ArrayList<>(), scores = new ArrayList<>(), labels = new ArrayList<>(), valid = new ArrayList<>();
        for (int l = 0; l < strides.length; l++) {
            p.prefix = "postprocess.level" + l;
            String[] c = p.level(cls.get(l), dist.get(l), obj.get(l), strides[l], numClasses, cfg);
            boxes.add(c[0]);
            scores.add(c[1]);
            labels.add(c[2]);
            valid.add(c[3]);
        }
        p.prefix = "postprocess";
        p.nms(image, p.concat(boxes, 1), p.concat(scores, 1), p.concat(labels, 1), p.concat(valid, 1), cfg, batch);
    }

    /** One level's candidates: {boxes [N,k,4] unclipped, scores [N,k], labels [N,k] int64, valid [N,k] bool}. */
    private String[] level(String cls, String dist, String obj, int stride, int numClasses, PostProcessConfig cfg) {
        // [N,C,h,w] -> [N, h·w·C], point-major per image as the engine's flat index p·C + c
        String prob = sigmoid(cls);
        String flat = reshape(op("Transpose", List.of(reshape(prob, 0, numClasses, -1)), Map.of("perm", new long[] {0, 2, 1})), 0, -1);
        String pass = op("Greater", flat, g.scalar("postprocess.score_thr", cfg.scoreThr()));
        // k = min(nms_pre, the largest count of the batch): every image's first min(nms_pre, count_n) are among the k
        String counts = op("ReduceSum", List.of(cast(pass, OnnxGraph.INT64), axes(1)), Map.of("keepdims", 0L));
        String k = op("ReduceMax", List.of(counts), Map.of("keepdims", 1L));
        if (cfg.nmsPre() > 0) k = op("Min", k, g.longs("postprocess.nms_pre", new long[] {cfg.nmsPre()}, 1));
        // the others at −1: below every candidate (probabilities are ≥ 0), so an image's candidates come first
        String ranked = op("Where", pass, flat, g.scalar("postprocess.minus_one", NOT_A_CANDIDATE));
        List<String> top = g.nodeWithOutputs("TopK", prefix, 2, List.of(ranked, k),
                Map.of("axis", 1L, "largest", 1L, "sorted", 1L));
        String valid = gatherNd(pass, unsqueeze(top.get(1), 2));
        String classes = g.longs("postprocess.num_classes", new long[] {numClasses});
        String point = op("Div", top.get(1), classes);
        String label = op("Mod", top.get(1), classes);
        // the point (j·s, i·s) of flat index p = i·w + j
        String width = op("Gather", List.of(op("Shape", cls), g.longs("postprocess.three", new long[] {3})), Map.of("axis", 0L));
        String s = g.scalar("postprocess.stride_" + stride, stride);
        String px = op("Mul", cast(op("Mod", point, width), OnnxGraph.FLOAT), s);
        String py = op("Mul", cast(op("Div", point, width), OnnxGraph.FLOAT), s);
        String xy = concat(List.of(unsqueeze(px, 2), unsqueeze(py, 2)), 2);
        // distances [N,4,h,w] -> [N, h·w, 4] -> each image's candidates' (left, top, right, bottom)
        String perPoint = op("Transpose", List.of(reshape(dist, 0, 4, -1)), Map.of("perm", new long[] {0, 2, 1}));
        String at = unsqueeze(point, 2);
        String d = gatherNd(perPoint, at);
        String box = concat(List.of(op("Sub", xy, slice(d, 0, 2)), op("Add", xy, slice(d, 2, 4))), 2);
        String objectness = sigmoid(gatherNd(reshape(obj, 0, -1), at));
        return new String[] {box, op("Mul", top.get(0), objectness), label, valid};
    }

    /** Clip, size filter, class-aware NMS per image, the padded outputs. */
    private void nms(String image, String boxes, String scores, String labels, String valid, PostProcessConfig cfg, Object batch) {
        // [W, H, W, H] of the input, the engine's imgW / imgH
        String hw = op("Gather", List.of(op("Shape", image), g.longs("postprocess.whwh_dims", new long[] {3, 2, 3, 2}, 4)), Map.of("axis", 0L));
        String limits = cast(hw, OnnxGraph.FLOAT);
        boxes = op("Min", op("Max", boxes, g.scalar("postprocess.zero", 0f)), limits);
        if (cfg.minBboxSize() >= 0f) {
            String wh = op("Sub", slice(boxes, 2, 4), slice(boxes, 0, 2));
            String big = op("Greater", wh, g.scalar("postprocess.min_bbox_size", cfg.minBboxSize()));
            String keep = op("And", gather(big, g.longs("postprocess.zero_index", new long[] {0}), 2),
                    gather(big, g.longs("postprocess.one_index", new long[] {1}), 2));
            valid = op("And", valid, keep);
        }
        String minusOne = g.scalar("postprocess.minus_one", NOT_A_CANDIDATE);
        String candidates = op("Where", valid, scores, minusOne);                                     // [N,B]
        String masked = op("Where", unsqueeze(valid, 2), boxes, g.scalar("postprocess.zero", 0f));   // [N,B,4]
        // max_per_img zero rows per image: the final TopK always finds max_per_img entries, and the max below is
        // never one of nothing (coordinates are ≥ 0, so the zeros leave a real max as it is; no box: step 1)
        long keepTopK = cfg.maxPerImg();
        String padded = op("Pad", List.of(masked, g.longs("postprocess.pads_boxes", new long[] {0, 0, 0, 0, keepTopK, 0}, 6)), Map.of("mode", "constant"));
        // batched_nms per image: shift by label·(max + 1), max over that image's valid boxes
        String max = op("ReduceMax", List.of(padded), Map.of("axes", new long[] {1, 2}, "keepdims", 1L));  // [N,1,1]
        String step = g.node("Add", prefix, NMS_STEP, List.of(max, g.scalar("postprocess.one", 1f)), Map.of());
        String shifted = op("Add", masked, op("Mul", unsqueeze(cast(labels, OnnxGraph.FLOAT), 2), step));
        String selected = op("NonMaxSuppression", List.of(shifted, unsqueeze(candidates, 1),
                g.longs("postprocess.max_per_img", new long[] {keepTopK}),
                g.scalar("postprocess.iou_threshold", cfg.iouThr()),
                g.scalar("postprocess.score_threshold", NOT_A_CANDIDATE / 2)), Map.of("center_point_box", 0L));
        // selected [S,3] = (image, class 0, candidate): the kept candidates' scores, the others −1
        String at = gather(selected, g.longs("postprocess.image_and_box", new long[] {0, 2}, 2), 1);
        String kept = op("ScatterND", op("Expand", minusOne, op("Shape", candidates)), at, gatherNd(candidates, at, 0));
        String keptPadded = op("Pad", List.of(kept, g.longs("postprocess.pads_scores", new long[] {0, 0, 0, keepTopK}, 4), minusOne),
                Map.of("mode", "constant"));
        // per image: the kept in descending score, ties by lower candidate index (the engine's order), then padding
        List<String> top = g.nodeWithOutputs("TopK", prefix, 2, List.of(keptPadded, g.longs("postprocess.keep_top_k", new long[] {keepTopK}, 1)),
                Map.of("axis", 1L, "largest", 1L, "sorted", 1L));
        String row = op("Greater", top.get(0), minusOne);                                             // [N,P]
        String rows = unsqueeze(top.get(1), 2);
        String det = concat(List.of(gatherNd(padded, rows), unsqueeze(top.get(0), 2)), 2);            // [N,P,5]
        String label = gatherNd(op("Pad", List.of(labels, g.longs("postprocess.pads_scores", new long[] {0, 0, 0, keepTopK}, 4)),
                Map.of("mode", "constant")), rows);
        g.node("Where", prefix, DETS, List.of(unsqueeze(row, 2), det, g.scalar("postprocess.zero", 0f)), Map.of());
        g.node("Where", prefix, LABELS, List.of(row, label, g.longs("postprocess.no_label", new long[] {-1})), Map.of());
        g.output(DETS, OnnxGraph.FLOAT, List.of(batch, keepTopK, 5L));
        g.output(LABELS, OnnxGraph.INT64, List.of(batch, keepTopK));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /**
     * The engine's float32 logistic {@code (float)(1.0 / (1.0 + Math.exp(-(double) x)))}, operation for operation in
     * float64 (Neg, Exp, Add 1, Div), rounded once. Not ONNX Runtime's float64 Sigmoid: it computes a negative input as
     * {@code 1 − 1/(1 + e^−|x|)}, which loses the small result (16,383 float32 ulps below a logit of −20, docs/onnx.md).
     */
    private String sigmoid(String x) {
        String one = g.doubles("postprocess.one_f64", 1.0);
        String e = op("Exp", op("Neg", cast(x, OnnxGraph.DOUBLE)));
        return cast(op("Div", one, op("Add", one, e)), OnnxGraph.FLOAT);
    }

    private String op(String type, String... in) { return g.node(type, prefix, List.of(in)); }

    private String op(String type, List<String> in, Map<String, Object> attributes) { return g.node(type, prefix, in, attributes); }

    private String cast(String x, int to) { return op("Cast", List.of(x), Map.of("to", (long) to)); }

    private String reshape(String x, long... shape) {
        return op("Reshape", x, g.longs("postprocess.shape_" + join(shape), shape, shape.length));
    }

    private String gather(String x, String index, long axis) { return op("Gather", List.of(x, index), Map.of("axis", axis)); }

    /** GatherND with {@code batch_dims 1}: per image n, the entries {@code x[n, index[n, i, :]]}. */
    private String gatherNd(String x, String index) { return gatherNd(x, index, 1); }

    private String gatherNd(String x, String index, long batchDims) {
        return op("GatherND", List.of(x, index), Map.of("batch_dims", batchDims));
    }

    private String concat(List<String> parts, long axis) { return op("Concat", parts, Map.of("axis", axis)); }

    /** {@code [from, to)} of the last axis (2) of a 3-D value. */
    private String slice(String x, long from, long to) {
        return op("Slice", x, g.longs("postprocess.start_" + from, new long[] {from}, 1),
                g.longs("postprocess.end_" + to, new long[] {to}, 1), g.longs("postprocess.axis_2", new long[] {2}, 1));
    }

    private String unsqueeze(String x, long... axes) { return op("Unsqueeze", x, axes(axes)); }

    private String axes(long... axes) { return g.longs("postprocess.axes_" + join(axes), axes, axes.length); }

    private static String join(long[] v) {
        StringBuilder b = new StringBuilder();
        for (long x : v) b.append(b.length() == 0 ? "" : "_").append(x < 0 ? "m" + -x : String.valueOf(x));
        return b.toString();
    }
}
