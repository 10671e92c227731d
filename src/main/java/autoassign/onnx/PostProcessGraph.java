package autoassign.onnx;

import autoassign.postprocess.PostProcessConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The engine's test-time post-processing ({@code postprocess.PostProcessor}, spec AA_4) as ONNX nodes appended to a
 * detector graph of one image: outputs {@code dets} {@code [1, K, 5]} (x1, y1, x2, y2, score) and {@code labels}
 * {@code [1, K]} (int64), K ≤ {@code max_per_img} the number kept, boxes in the input's pixels (clipped to the
 * input's H×W, no rescale to an original image). Step for step as the engine, with the same float32 operations:
 *
 * <ol>
 *   <li>per level: {@code prob = sigmoid(cls)} flattened point-major ({@code p·C + c}); the candidates
 *       {@code prob > score_thr}; TopK of {@code min(nms_pre, count)} on the probabilities with the others set to −1
 *       (TopK orders ties by lower index: the engine's prob desc, flat index asc);</li>
 *   <li>point {@code (p mod w, p div w)·stride}, box {@code point ∓ distances}, score {@code prob·sigmoid(obj[p])};</li>
 *   <li>all levels concatenated in level order, clipped to {@code [0, W]} / {@code [0, H]} of the input;</li>
 *   <li>boxes with a side ≤ {@code min_bbox_size} dropped (when it is ≥ 0);</li>
 *   <li>MMCV's batched_nms: every box shifted by {@code label·(max coordinate + 1)}, one NonMaxSuppression
 *       ({@code IoU > iou_threshold} suppresses) keeping at most {@code max_per_img}, in descending score order.</li>
 * </ol>
 * Sigmoid runs in float64 and is cast back: that is the engine's float32 logistic ({@code (float)(1/(1+exp(-x)))});
 * ONNX Runtime's float32 Sigmoid is an approximation off by up to 25 ulps around the 0.05 threshold and thousands
 * below a logit of −3 (docs/onnx.md), enough to move threshold, top-k and NMS decisions.
 */
final class PostProcessGraph {
    static final String DETS = "dets", LABELS = "labels";

    private final OnnxGraph g;
    private String prefix = "postprocess";

    private PostProcessGraph(OnnxGraph g) { this.g = g; }

    /** The settings the graph can express: MMCV's (hard) nms; soft-NMS is refused. */
    static void check(PostProcessConfig cfg) {
        if (cfg.softNms() != null)
            throw new IllegalArgumentException("--postprocess: test_cfg.nms type soft_nms cannot be exported (ONNX has hard NonMaxSuppression only)");
    }

    /**
     * Appends the post-processing of the level outputs {@code cls}, {@code dist}, {@code obj} (values of the graph,
     * batch 1) and declares {@code dets} and {@code labels} as the graph's outputs.
     */
    static void append(OnnxGraph g, String image, List<String> cls, List<String> dist, List<String> obj, int[] strides,
                       int numClasses, PostProcessConfig cfg) {
        check(cfg);
        PostProcessGraph p = new PostProcessGraph(g);
        List<String> boxes = new ArrayList<>(), scores = new ArrayList<>(), labels = new ArrayList<>();
        for (int l = 0; l < strides.length; l++) {
            p.prefix = "postprocess.level" + l;
            String[] c = p.level(cls.get(l), dist.get(l), obj.get(l), strides[l], numClasses, cfg);
            boxes.add(c[0]);
            scores.add(c[1]);
            labels.add(c[2]);
        }
        p.prefix = "postprocess";
        p.nms(image, p.concat(boxes, 0), p.concat(scores, 0), p.concat(labels, 0), cfg);
    }

    /** One level's candidates: {boxes [K,4] unclipped, scores [K], labels [K] int64}. */
    private String[] level(String cls, String dist, String obj, int stride, int numClasses, PostProcessConfig cfg) {
        // [1,C,h,w] -> [h·w·C], point-major as the engine's flat index p·C + c
        String prob = sigmoid(cls);
        String flat = reshape(op("Transpose", List.of(reshape(prob, numClasses, -1)), Map.of("perm", new long[] {1, 0})), -1);
        String pass = op("Greater", flat, g.scalar("postprocess.score_thr", cfg.scoreThr()));
        String k = op("ReduceSum", List.of(cast(pass, OnnxGraph.INT64)), Map.of("keepdims", 1L));
        if (cfg.nmsPre() > 0) k = op("Min", k, g.longs("postprocess.nms_pre", new long[] {cfg.nmsPre()}, 1));
        // the others at −1: below every candidate (probabilities > score_thr ≥ 0), so the first k are the candidates
        String ranked = op("Where", pass, flat, g.scalar("postprocess.minus_one", -1f));
        List<String> top = g.nodeWithOutputs("TopK", prefix, 2, List.of(ranked, k),
                Map.of("axis", 0L, "largest", 1L, "sorted", 1L));
        String classes = g.longs("postprocess.num_classes", new long[] {numClasses});
        String point = op("Div", top.get(1), classes);
        String label = op("Mod", top.get(1), classes);
        // the point (j·s, i·s) of flat index p = i·w + j
        String width = op("Gather", List.of(op("Shape", cls), g.longs("postprocess.three", new long[] {3})), Map.of("axis", 0L));
        String s = g.scalar("postprocess.stride_" + stride, stride);
        String px = op("Mul", cast(op("Mod", point, width), OnnxGraph.FLOAT), s);
        String py = op("Mul", cast(op("Div", point, width), OnnxGraph.FLOAT), s);
        String xy = concat(List.of(unsqueeze(px, 1), unsqueeze(py, 1)), 1);
        // distances [1,4,h,w] -> [h·w, 4] -> the candidates' (left, top, right, bottom)
        String perPoint = op("Transpose", List.of(reshape(dist, 4, -1)), Map.of("perm", new long[] {1, 0}));
        String d = gather(perPoint, point, 0);
        String box = concat(List.of(op("Sub", xy, slice(d, 0, 2)), op("Add", xy, slice(d, 2, 4))), 1);
        String objectness = sigmoid(gather(reshape(obj, -1), point, 0));
        return new String[] {box, op("Mul", top.get(0), objectness), label};
    }

    /** Clip, size filter, class-aware NMS, the outputs. */
    private void nms(String image, String boxes, String scores, String labels, PostProcessConfig cfg) {
        // [W, H, W, H] of the input, the engine's imgW / imgH
        String hw = op("Gather", List.of(op("Shape", image), g.longs("postprocess.whwh_dims", new long[] {3, 2, 3, 2}, 4)), Map.of("axis", 0L));
        String limits = cast(hw, OnnxGraph.FLOAT);
        boxes = op("Min", op("Max", boxes, g.scalar("postprocess.zero", 0f)), limits);
        if (cfg.minBboxSize() >= 0f) {
            String wh = op("Sub", slice(boxes, 2, 4), slice(boxes, 0, 2));
            String big = op("Greater", wh, g.scalar("postprocess.min_bbox_size", cfg.minBboxSize()));
            String keep = op("And", gather(big, g.longs("postprocess.zero_index", new long[] {0}), 1),
                    gather(big, g.longs("postprocess.one_index", new long[] {1}), 1));
            String kept = reshape(op("NonZero", keep), -1);
            boxes = gather(boxes, kept, 0);
            scores = gather(scores, kept, 0);
            labels = gather(labels, kept, 0);
        }
        // batched_nms: shift by label·(max + 1); the appended 0 defines the max of no boxes (coordinates are ≥ 0)
        String all = concat(List.of(reshape(boxes, -1), g.floats("postprocess.zero_1d", new float[] {0f}, 1)), 0);
        String step = op("Add", op("ReduceMax", List.of(all), Map.of("keepdims", 0L)), g.scalar("postprocess.one", 1f));
        String offset = op("Mul", cast(labels, OnnxGraph.FLOAT), step);
        String shifted = op("Add", boxes, unsqueeze(offset, 1));
        String selected = op("NonMaxSuppression", List.of(unsqueeze(shifted, 0), unsqueeze(scores, 0, 1),
                g.longs("postprocess.max_per_img", new long[] {cfg.maxPerImg()}),
                g.scalar("postprocess.iou_threshold", cfg.iouThr())), Map.of("center_point_box", 0L));
        // selected [S, 3] = (batch, class, box): the box column, in selection (descending score) order
        String index = gather(selected, g.longs("postprocess.two", new long[] {2}), 1);
        String dets = concat(List.of(gather(boxes, index, 0), unsqueeze(gather(scores, index, 0), 1)), 1);
        g.node("Unsqueeze", prefix, DETS, List.of(dets, axes(0)), Map.of());
        g.node("Unsqueeze", prefix, LABELS, List.of(gather(labels, index, 0), axes(0)), Map.of());
        g.output(DETS, OnnxGraph.FLOAT, List.of(1L, "K", 5L));
        g.output(LABELS, OnnxGraph.INT64, List.of(1L, "K"));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** The engine's float32 logistic: in float64, rounded once. */
    private String sigmoid(String x) {
        return cast(op("Sigmoid", cast(x, OnnxGraph.DOUBLE)), OnnxGraph.FLOAT);
    }

    private String op(String type, String... in) { return g.node(type, prefix, List.of(in)); }

    private String op(String type, List<String> in, Map<String, Object> attributes) { return g.node(type, prefix, in, attributes); }

    private String cast(String x, int to) { return op("Cast", List.of(x), Map.of("to", (long) to)); }

    private String reshape(String x, long... shape) {
        return op("Reshape", x, g.longs("postprocess.shape_" + join(shape), shape, shape.length));
    }

    private String gather(String x, String index, long axis) { return op("Gather", List.of(x, index), Map.of("axis", axis)); }

    private String concat(List<String> parts, long axis) { return op("Concat", parts, Map.of("axis", axis)); }

    /** Columns {@code [from, to)} of a 2-D value. */
    private String slice(String x, long from, long to) {
        return op("Slice", x, g.longs("postprocess.start_" + from, new long[] {from}, 1),
                g.longs("postprocess.end_" + to, new long[] {to}, 1), g.longs("postprocess.axis_1", new long[] {1}, 1));
    }

    private String unsqueeze(String x, long... axes) { return op("Unsqueeze", x, axes(axes)); }

    private String axes(long... axes) { return g.longs("postprocess.axes_" + join(axes), axes, axes.length); }

    private static String join(long[] v) {
        StringBuilder b = new StringBuilder();
        for (long x : v) b.append(b.length() == 0 ? "" : "_").append(x < 0 ? "m" + -x : String.valueOf(x));
        return b.toString();
    }
}
