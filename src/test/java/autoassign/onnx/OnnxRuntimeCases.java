package autoassign.onnx;

import autoassign.io.RawTensor;
import autoassign.io.Safetensors;
import autoassign.model.AutoAssignDetector;
import autoassign.postprocess.Detections;
import autoassign.postprocess.PostProcessConfig;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Not a test: writes the cases {@code scripts/onnx_check.py} runs with ONNX Runtime, when
 * {@code -Donnx.check.dir=DIR} is given ({@code mvn test -Dtest=OnnxRuntimeCases -Donnx.check.dir=/tmp/onnx-check}):
 * per model an exported {@code NAME.onnx}, and per input a {@code NAME_NxCxHxW.safetensors} holding {@code image}
 * and the engine's outputs ({@code AutoAssignDetector.forward}), metadata {@code model} = the .onnx file's name.
 */
@EnabledIfSystemProperty(named = "onnx.check.dir", matches = ".+")
class OnnxRuntimeCases {
    final Path dir = Path.of(System.getProperty("onnx.check.dir", "."));

    @Test
    void tiny() throws IOException {
        // the golden case (scripts/goldens/onnx_runtime.py): tiny config, model seed 7, 2×3×64×80
        write("tiny", OnnxTestModels.tiny(7), InputShape.DYNAMIC, "seed7", new int[] {2, 3, 64, 80});
    }

    /** CSPDarknet + YOLOXPAFPN at 1/4 of YOLOX-s's width: Focus's strided Slices, Swish, SPP, the neck's Resize by scales. */
    @Test
    void cspDarknet() throws IOException {
        AutoAssignDetector model = CspDarknetOnnxExportTest.small(3);
        write("csp", model, InputShape.DYNAMIC, "seed3", new int[] {2, 3, 64, 96}, new int[] {1, 3, 96, 64});
        write("csp_fixed_64x96", model, InputShape.fixed(64, 96), "seed3", new int[] {1, 3, 64, 96});
        write("csp_depthwise", CspDarknetOnnxExportTest.small(4, "model.backbone.use_depthwise=true", "model.neck.use_depthwise=true",
                "model.backbone.act_cfg={type: LeakyReLU, negative_slope: 0.1}"), InputShape.DYNAMIC, "seed4", new int[] {1, 3, 64, 64});
    }

    /** CSPNeXt + CSPNeXtPAFPN at 1/4 of RTMDet-s's width: ChannelAttention (GlobalAveragePool, Conv, HardSigmoid, Mul), SiLU. */
    @Test
    void cspNext() throws IOException {
        write("cspnext", CspNextOnnxExportTest.small(3), InputShape.DYNAMIC, "seed3", new int[] {2, 3, 64, 96}, new int[] {1, 3, 96, 64});
        write("cspnext_depthwise", CspNextOnnxExportTest.small(4, "model.backbone.use_depthwise=true", "model.neck.use_depthwise=true"),
                InputShape.fixed(64, 64), "seed4", new int[] {1, 3, 64, 64});
    }

    /** PVT (v1, the position embedding resized: a constant) and PVTv2 at embed_dims 4: Slice, Gemm, MatMul, Softmax, Erf, depth-wise Conv. */
    @Test
    void pvt() throws IOException {
        write("pvt_70x90", PvtOnnxExportTest.pvt("PyramidVisionTransformer", 3), InputShape.fixed(70, 90), "seed3", new int[] {1, 3, 70, 90});
        write("pvtv2_75x110", PvtOnnxExportTest.pvt("PyramidVisionTransformerV2", 7), InputShape.fixed(75, 110), "seed7",
                new int[] {1, 3, 75, 110});
    }

    /**
     * EfficientNet, PVT and PVTv2 with a symbolic input size: the "same" pads from Shape ({@link SamePadGraph}), PVT's
     * reshapes from Shape and v1's position embedding a linear / half_pixel Resize (33×47: a 1×1 last grid); odd sizes and
     * batches of two; then the shipped EfficientNet-b3 and PVTv2-b0 configs (random init, norms perturbed) at two sizes.
     */
    @Test
    void efficientNetAndPvtSymbolic() throws IOException {
        write("effnet_dynamic", EfficientNetOnnxExportTest.small(21), InputShape.DYNAMIC, "seed21", new int[] {1, 3, 70, 90},
                new int[] {2, 3, 75, 111}, new int[] {1, 3, 33, 47});
        write("pvt_dynamic", PvtOnnxExportTest.pvt("PyramidVisionTransformer", 3), InputShape.DYNAMIC, "seed3", new int[] {1, 3, 70, 90},
                new int[] {2, 3, 64, 96}, new int[] {1, 3, 33, 47});
        write("pvtv2_dynamic", PvtOnnxExportTest.pvt("PyramidVisionTransformerV2", 7), InputShape.DYNAMIC, "seed7", new int[] {1, 3, 75, 110},
                new int[] {2, 3, 97, 61});
        for (String name : new String[] {"effb3", "pvtv2-b0"}) {
            var cfg = autoassign.config.ConfigLoader.loadNamed(name.equals("effb3") ? "autoassign_effb3_fpn_1x_coco" : "autoassign_pvtv2-b0_fpn_1x_coco", List.of());
            AutoAssignDetector model = OnnxTestModels.perturbed(new AutoAssignDetector(cfg.model(), 4), 4);
            write(name + "_dynamic", model, InputShape.DYNAMIC, "seed4", new int[] {1, 3, 224, 320}, new int[] {1, 3, 301, 451});
        }
    }

    /** Swin (windows, shifts, padding, PatchMerging; Gather, MatMul, Gemm, Erf, LayerNormalization) and EfficientNet (Pad + Conv, SE), fixed sizes. */
    @Test
    void swinAndEfficientNet() throws IOException {
        write("swin_75x110", SwinOnnxExportTest.swin(3), InputShape.fixed(75, 110), "seed3", new int[] {1, 3, 75, 110});
        write("effnet_70x90", EfficientNetOnnxExportTest.small(21), InputShape.fixed(70, 90), "seed21", new int[] {1, 3, 70, 90});
    }

    /**
     * Swin with a symbolic input size ({@link SwinShapeGraph}): one graph at three sizes (patch, window and merge padding,
     * a batch of two), and patch 3 / window 3 / PatchMerging strides 2, 1, 3 at two odd sizes.
     */
    @Test
    void swinSymbolic() throws IOException {
        write("swin_dynamic", SwinOnnxExportTest.swin(3), InputShape.DYNAMIC, "seed3", new int[] {1, 3, 75, 110}, new int[] {2, 3, 64, 96},
                new int[] {1, 3, 33, 47});
        write("swin_dynamic_p3w3", SwinOnnxExportTest.swin(9, List.of("model.bbox_head.strides=[6, 6, 18, 36, 72]"), "patch_size: 3",
                "strides: [3, 2, 1, 3]", "window_size: 3"), InputShape.DYNAMIC, "seed9", new int[] {1, 3, 50, 71}, new int[] {1, 3, 61, 37});
    }

    /**
     * The Swin-T config (window 7, shift 3, random init, norms perturbed), symbolic size, at two sizes (window padding in
     * every stage), and the same model at {@code --shape 224 320}.
     */
    @Test
    void swinTSymbolic() throws IOException {
        var cfg = autoassign.config.ConfigLoader.loadNamed("autoassign_swin-t-p4-w7_fpn_1x_coco", List.of());
        AutoAssignDetector model = OnnxTestModels.perturbed(new AutoAssignDetector(cfg.model(), 2), 2);
        write("swint_dynamic", model, InputShape.DYNAMIC, "seed2", new int[] {1, 3, 224, 320}, new int[] {1, 3, 300, 452});
        write("swint_fixed_224x320", model, InputShape.fixed(224, 320), "seed2", new int[] {1, 3, 224, 320});
    }

    /** ResNeSt-50 at base 2: the split attention (GlobalAveragePool, RSoftmax's Reshape / Transpose / Softmax), avd pools. */
    @Test
    void resNeSt() throws IOException {
        write("resnest", ResNeStOnnxExportTest.small(21, "", "[8, 16, 32, 64]"), InputShape.DYNAMIC, "seed21",
                new int[] {2, 3, 64, 96}, new int[] {1, 3, 96, 64});
        write("resnest_groups2", ResNeStOnnxExportTest.small(9, "groups: 2\nbase_width: 4\nnum_stages: 2\nout_indices: [0, 1]", "[8, 16]"),
                InputShape.fixed(64, 96), "seed9", new int[] {1, 3, 64, 96});
        write("resnest_radix1", ResNeStOnnxExportTest.small(5, "radix: 1\nnum_stages: 3\nout_indices: [0, 1, 2]", "[8, 16, 32]"),
                InputShape.DYNAMIC, "seed5", new int[] {1, 3, 64, 64});
    }

    /** DCN / DCNv2 backbones (DeformConv, opset 19; DCNv2's mask through Slice + Sigmoid), the offset convs randomised. */
    @Test
    void deformable() throws IOException {
        write("dcn", DcnOnnxExportTest.narrow(11, "{type: DCN, deform_groups: 1}"), InputShape.DYNAMIC, "seed11",
                new int[] {1, 3, 70, 90});
        write("dcnv2_dg2", DcnOnnxExportTest.narrow(12, "{type: DCNv2, deform_groups: 2}"), InputShape.DYNAMIC, "seed12",
                new int[] {2, 3, 64, 80}, new int[] {1, 3, 75, 110});
    }

    @Test
    void r50() throws IOException {
        var cfg = autoassign.config.ConfigLoader.loadNamed("autoassign_r50-caffe_fpn_1x_coco", java.util.List.of());
        AutoAssignDetector model = OnnxTestModels.perturbed(new AutoAssignDetector(cfg.model(), 1), 1);
        write("r50", model, InputShape.DYNAMIC, "seed1", new int[] {1, 3, 320, 480}, new int[] {1, 3, 300, 452});
        write("r50_fixed_320x480", model, InputShape.fixed(320, 480), "seed1", new int[] {1, 3, 320, 480});
    }

    /**
     * {@code --postprocess} cases (files {@code pp_*}): tensors {@code image} {@code [N,3,H,W]}, the engine's detections
     * of each image in the graph's layout, {@code dets} {@code [N, max_per_img, 5]} and {@code labels}
     * {@code [N, max_per_img]} (int64; padding rows 0 and −1), and head outputs ({@code cls_score_l}, ...: onnx_check.py
     * also runs the graph's post-processing alone on them): the engine's forward, or for a {@code _stress} case
     * {@link OnnxTestModels#stressHeads} of it with {@code head_dets} / {@code head_labels}, the engine's PostProcessor
     * per image on those; metadata also {@code postprocess} (nms_pre, score_thr, iou_threshold, max_per_img,
     * min_bbox_size), {@code cls_bias} (the class bias the model was given) and {@code heads} (forward or stress).
     */
    @Test
    void postprocess() throws IOException {
        // the golden case: every step acts (score_thr 0.05 on a class bias near its logit, nms_pre, NMS, the cap)
        writePostprocessed("pp_tiny", 7, -2.94f, new PostProcessConfig(100, 0.05f, 0.6f, 50, 0f), InputShape.DYNAMIC, new int[] {1, 3, 96, 128});
        writePostprocessed("pp_tiny_cfg", 7, -2.94f, new PostProcessConfig(1000, 0.05f, 0.6f, 100, 0f), InputShape.DYNAMIC,
                new int[] {1, 3, 96, 128}, new int[] {1, 3, 160, 224});
        writePostprocessed("pp_tiny_many", 8, Float.NaN, new PostProcessConfig(40, 0f, 0.6f, 25, 0f), InputShape.DYNAMIC, new int[] {1, 3, 96, 128});
        writePostprocessed("pp_tiny_filter", 10, Float.NaN, new PostProcessConfig(0, 0.02f, 0.5f, 200, 24f), InputShape.fixed(75, 110), new int[] {1, 3, 75, 110});
        writePostprocessed("pp_tiny_none", 9, Float.NaN, new PostProcessConfig(1000, 0.999f, 0.6f, 100, 0f), InputShape.DYNAMIC, new int[] {1, 3, 64, 80});
        // batches: the batched golden (three different images, the stressed heads: none in image 1, ties in image 2)
        AutoAssignDetector tiny = OnnxTestModels.shiftClassBias(OnnxTestModels.tiny(7), -2.94f);
        writeBatch("pp_tiny_batch", tiny, "seed7", new PostProcessConfig(100, 0.05f, 0.6f, 50, 0f), OnnxPostProcessTest.threeImages(64, 80));
        writeBatch("pp_tiny_batch_cfg", tiny, "seed7", new PostProcessConfig(1000, 0.05f, 0.6f, 100, 0f), OnnxPostProcessTest.threeImages(96, 128));
        AutoAssignDetector many = OnnxTestModels.tiny(8);
        writeBatch("pp_tiny_batch_many", many, "seed8", new PostProcessConfig(40, 0f, 0.6f, 25, 8f), OnnxPostProcessTest.threeImages(96, 128));
    }

    @Test
    void r50Postprocessed() throws IOException {
        var cfg = autoassign.config.ConfigLoader.loadNamed("autoassign_r50-caffe_fpn_1x_coco", java.util.List.of());
        AutoAssignDetector model = OnnxTestModels.shiftClassBias(OnnxTestModels.perturbed(new AutoAssignDetector(cfg.model(), 1), 1), -2.94f);
        PostProcessConfig post = autoassign.eval.Inference.postProcessConfig(cfg.model().testCfg());
        writePostprocessed("pp_r50", model, "seed1", post, InputShape.DYNAMIC, new int[] {1, 3, 320, 480});
        writeBatch("pp_r50_batch", model, "seed1", post, OnnxPostProcessTest.threeImages(192, 288));
    }

    /** A batch of three ({@code image}, forward) and its {@link OnnxTestModels#stressHeads} twin ({@code NAME_stress_...}). */
    private void writeBatch(String name, AutoAssignDetector model, String tag, PostProcessConfig post, Tensor images) throws IOException {
        OnnxExport.write(model, InputShape.DYNAMIC, post, dir.resolve(name + ".onnx"), "check");
        Map<String, Tensor> heads = OnnxTestModels.forward(model, images);
        writeCase(name, model, tag, post, images, heads, false);
        writeCase(name, model, tag + "_stress", post, images, OnnxTestModels.stressHeads(heads), true);
    }

    private void writeCase(String name, AutoAssignDetector model, String tag, PostProcessConfig post, Tensor images,
                           Map<String, Tensor> heads, boolean stressed) throws IOException {
        Map<String, RawTensor> tensors = new LinkedHashMap<>();
        tensors.put(DetectorGraph.INPUT, raw(images));
        putPadded(tensors, DetectionsCompare.engine(model, images, post), post.maxPerImg());
        heads.forEach((k, v) -> tensors.put(k, raw(v)));
        if (stressed) {
            Map<String, RawTensor> h = new LinkedHashMap<>();
            putPadded(h, DetectionsCompare.engineOn(heads, model.bboxHead.config().stridesArray(), images.dim(2), images.dim(3), post), post.maxPerImg());
            tensors.put("head_dets", h.get(PostProcessGraph.DETS));
            tensors.put("head_labels", h.get(PostProcessGraph.LABELS));
        }
        int[] s = images.shape();
        String file = name + "_" + tag + "_" + s[0] + "x" + s[1] + "x" + s[2] + "x" + s[3] + ".safetensors";
        Safetensors.write(dir.resolve(file), tensors, Map.of("model", name + ".onnx", "cls_bias", Float.toString(model.bboxHead.convCls.bias.toFloatArray()[0]),
                "heads", stressed ? "stress" : "forward",
                "postprocess", post.nmsPre() + "," + post.scoreThr() + "," + post.iouThr() + "," + post.maxPerImg() + "," + post.minBboxSize()));
    }

    private void writePostprocessed(String name, long seed, float clsBias, PostProcessConfig post, InputShape shape, int[]... inputs) throws IOException {
        AutoAssignDetector model = OnnxTestModels.tiny(seed);
        if (!Float.isNaN(clsBias)) OnnxTestModels.shiftClassBias(model, clsBias);
        writePostprocessed(name, model, "seed" + seed, post, shape, inputs);
    }

    private void writePostprocessed(String name, AutoAssignDetector model, String tag, PostProcessConfig post, InputShape shape, int[]... inputs) throws IOException {
        OnnxExport.write(model, shape, post, dir.resolve(name + ".onnx"), "check");
        for (int[] s : inputs) {
            Tensor image = OnnxTestModels.randomImage(s[2] * 1000L + s[3], s);
            writeCase(name, model, tag, post, image, OnnxTestModels.forward(model, image), false);
        }
    }

    /** Detections per image in the graph's layout: dets [N, P, 5], labels [N, P], padding rows 0 / −1. */
    static void putPadded(Map<String, RawTensor> tensors, List<Detections> ds, int p) {
        float[] dets = new float[ds.size() * p * 5];
        long[] labels = new long[ds.size() * p];
        java.util.Arrays.fill(labels, -1);
        for (int b = 0; b < ds.size(); b++) {
            Detections d = ds.get(b);
            for (int i = 0; i < d.size(); i++) {
                System.arraycopy(d.boxes(), 4 * i, dets, (b * p + i) * 5, 4);
                dets[(b * p + i) * 5 + 4] = d.score(i);
                labels[b * p + i] = d.label(i);
            }
        }
        tensors.put(PostProcessGraph.DETS, RawTensor.ofFloats(dets, ds.size(), p, 5));
        tensors.put(PostProcessGraph.LABELS, RawTensor.ofLongs(labels, ds.size(), p));
    }

    private void write(String name, AutoAssignDetector model, InputShape shape, String tag, int[]... inputs) throws IOException {
        OnnxExport.write(model, shape, dir.resolve(name + ".onnx"), "check");
        for (int[] s : inputs) {
            Tensor image = OnnxTestModels.randomImage(s[2] * 1000L + s[3], s);
            Map<String, RawTensor> tensors = new LinkedHashMap<>();
            tensors.put(DetectorGraph.INPUT, raw(image));
            OnnxTestModels.forward(model, image).forEach((k, v) -> tensors.put(k, raw(v)));
            String file = name + "_" + tag + "_" + s[0] + "x" + s[1] + "x" + s[2] + "x" + s[3] + ".safetensors";
            Safetensors.write(dir.resolve(file), tensors, Map.of("model", name + ".onnx"));
        }
    }

    private static RawTensor raw(Tensor t) {
        return RawTensor.ofFloats(t.toFloatArray(), java.util.Arrays.stream(t.shape()).asLongStream().toArray());
    }
}
