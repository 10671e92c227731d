package autoassign.onnx;

import autoassign.autograd.Graph;
import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import autoassign.model.HeadOutputs;
import autoassign.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small detectors for the export tests, with every norm and scale parameter away from its 1/0 init. */
final class OnnxTestModels {
    private OnnxTestModels() {}

    /** The shipped tiny config (ResNet-18 layout, GroupNorm everywhere, FPN on C3..C5 + 2 extra convs). */
    static AutoAssignDetector tiny(long seed) {
        return perturbed(new AutoAssignDetector(ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of()).model(), seed), seed);
    }

    /**
     * The R50 recipe's layout (caffe bottlenecks, frozen BatchNorm, FPN from C3 with start_level 1, P6 on C5) at
     * 1/8 of its width and with a one-conv head: exercises BatchNorm folding and the downsampling branches.
     */
    static AutoAssignDetector r50Narrow(long seed) {
        var cfg = ConfigLoader.loadNamed("autoassign_r50-caffe_fpn_1x_coco", List.of(
                "model.backbone.base_channels=8", "model.neck.in_channels=[32, 64, 128, 256]", "model.neck.out_channels=16",
                "model.bbox_head.in_channels=16", "model.bbox_head.feat_channels=16", "model.bbox_head.stacked_convs=1",
                "model.bbox_head.num_classes=3", "model.bbox_head.norm_cfg.num_groups=4"));
        return perturbed(new AutoAssignDetector(cfg.model(), seed), seed);
    }

    /**
     * {@link #r50Narrow}'s layout as a ResNeXt-50 (pytorch style, 4 groups of base_width 4: inner widths 16..128):
     * grouped 3×3 convs with BatchNorm folded in.
     */
    static AutoAssignDetector x50Narrow(long seed) {
        var cfg = ConfigLoader.loadNamed("autoassign_r50-caffe_fpn_1x_coco", List.of(
                "model.backbone.type=ResNeXt", "model.backbone.groups=4", "model.backbone.base_width=4",
                "model.backbone.style=pytorch",
                "model.backbone.base_channels=8", "model.neck.in_channels=[32, 64, 128, 256]", "model.neck.out_channels=16",
                "model.bbox_head.in_channels=16", "model.bbox_head.feat_channels=16", "model.bbox_head.stacked_convs=1",
                "model.bbox_head.num_classes=3", "model.bbox_head.norm_cfg.num_groups=4"));
        return perturbed(new AutoAssignDetector(cfg.model(), seed), seed);
    }

    /** Random norm weights/biases, BatchNorm statistics (variance in [0.5, 1.5]) and head scales. */
    static AutoAssignDetector perturbed(AutoAssignDetector model, long seed) {
        Random rng = new Random(seed ^ 0x5eed);
        model.stateDict().forEach((name, t) -> {
            boolean norm = name.contains(".bn") || name.contains(".gn") || name.contains("downsample.1");
            boolean scale = name.startsWith("bbox_head.scales.");
            if (!(norm || scale) || name.endsWith("num_batches_tracked")) return;
            float[] v = new float[t.numel()];
            for (int i = 0; i < v.length; i++) {
                double u = rng.nextDouble();
                v[i] = (float) (name.endsWith("running_var") || name.endsWith("weight") || scale ? 0.5 + u : u - 0.5);
            }
            t.copyFrom(Tensor.of(v, t.shape()));
        });
        return model;
    }

    /** Sets the class logits' bias to {@code bias} (the init's prior 0.01 is far below score_thr 0.05). */
    static AutoAssignDetector shiftClassBias(AutoAssignDetector model, float bias) {
        Tensor b = model.bboxHead.convCls.bias;
        b.copyFrom(Tensor.full(bias, b.shape()));
        return model;
    }

    static Tensor randomImage(long seed, int... shape) {
        Random rng = new Random(seed);
        float[] v = new float[shape[0] * shape[1] * shape[2] * shape[3]];
        for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextGaussian();
        return Tensor.of(v, shape);
    }

    /** The images (each {@code [1,3,H,W]} or a batch) concatenated along the batch. */
    static Tensor batch(Tensor... images) {
        int n = 0, per = images[0].numel() / images[0].dim(0);
        for (Tensor t : images) n += t.dim(0);
        float[] v = new float[n * per];
        int at = 0;
        for (Tensor t : images) {
            float[] x = t.toFloatArray();
            System.arraycopy(x, 0, v, at, x.length);
            at += x.length;
        }
        int[] shape = images[0].shape().clone();
        shape[0] = n;
        return Tensor.of(v, shape);
    }

    /** {@code [1,3,h,w]} of one value. */
    static Tensor constantImage(float value, int h, int w) {
        float[] v = new float[3 * h * w];
        java.util.Arrays.fill(v, value);
        return Tensor.of(v, 1, 3, h, w);
    }

    /** {@code [1,3,h,w]}: a random {@code period}×{@code period} tile repeated (a texture; interior features repeat). */
    static Tensor periodicImage(long seed, int period, int h, int w) {
        Random rng = new Random(seed);
        float[] tile = new float[3 * period * period];
        for (int i = 0; i < tile.length; i++) tile[i] = (float) rng.nextGaussian();
        float[] v = new float[3 * h * w];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) v[(c * h + y) * w + x] = tile[(c * period + y % period) * period + x % period];
        return Tensor.of(v, 1, 3, h, w);
    }

    /**
     * Head outputs (a batch of at least 3, by name as {@link #forward}) remade to stress the batched post-processing:
     * image 0 as it is; image 1 with every class logit lowered by 20 (nothing above any score_thr ≥ 1e-8: no
     * detection); image 2 with every class and objectness logit 0 (every probability 0.5, every score 0.25: equal
     * values everywhere, for TopK, NonMaxSuppression and the output order) and its distances divided by 8, at most 6
     * px (small boxes, some of them the same box on several levels; none reaches past a point by more than 6 px, so
     * its largest coordinate, the batched_nms step, is its own, below the input's width). Images after 2 unchanged.
     */
    static Map<String, Tensor> stressHeads(Map<String, Tensor> heads) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        heads.forEach((name, t) -> {
            if (t.dim(0) < 3) throw new IllegalArgumentException("stressHeads: a batch of at least 3");
            float[] v = t.toFloatArray();
            int per = v.length / t.dim(0);
            for (int i = 0; i < per; i++) {
                if (name.startsWith("cls_score_")) {
                    v[per + i] -= 20f;
                    v[2 * per + i] = 0f;
                } else if (name.startsWith("objectness_")) {
                    v[2 * per + i] = 0f;
                } else {
                    v[2 * per + i] = Math.min(v[2 * per + i] * 0.125f, 6f);
                }
            }
            out.put(name, Tensor.of(v, t.shape()));
        });
        return out;
    }

    /** The engine's forward (no tape) as output name → values, named as the exported graph names them. */
    static Map<String, Tensor> forward(AutoAssignDetector model, Tensor image) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (var g = Graph.noGrad()) {
            HeadOutputs o = model.forward(image);
            for (int l = 0; l < o.numLevels(); l++) {
                out.put(DetectorGraph.clsScore(l), o.clsLogits(l));
                out.put(DetectorGraph.bboxPred(l), o.distances(l));
                out.put(DetectorGraph.objectness(l), o.objLogits(l));
            }
        }
        return out;
    }

    /** max |a − b| / max |b|: the error relative to the output's scale. */
    static double relativeError(float[] a, float[] b) {
        double diff = 0, scale = 0;
        for (int i = 0; i < b.length; i++) {
            diff = Math.max(diff, Math.abs((double) a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return scale == 0 ? diff : diff / scale;
    }
}
