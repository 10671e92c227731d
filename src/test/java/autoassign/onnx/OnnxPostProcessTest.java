package autoassign.onnx;

import autoassign.eval.Inference;
import autoassign.model.AutoAssignDetector;
import autoassign.postprocess.Detections;
import autoassign.postprocess.PostProcessConfig;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --postprocess}: the exported graph's {@code dets} / {@code labels}, run by {@link OnnxInterpreter}, are the
 * engine's detections ({@code Inference.postprocess} of {@code AutoAssignDetector.forward}) for the same model and
 * image, with the image filling the input. Twice per case: the post-processing nodes fed the engine's own head
 * outputs must give exactly the engine's detections (bit for bit, compared as sorted lists); the whole graph from
 * the image must match them within float rounding (its network differs by ~1e-6 relative).
 */
class OnnxPostProcessTest {
    /** End to end: box coordinates (input pixels) and scores may differ by the network's float rounding. */
    static final double BOX_TOL = 1e-2, SCORE_TOL = 1e-5;

    static OnnxModelReader.Model exportAndParse(AutoAssignDetector model, InputShape shape, PostProcessConfig cfg) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        OnnxModelWriter.write(DetectorGraph.build(model, shape, cfg), "test", "", bytes);
        return OnnxModelReader.parse(bytes.toByteArray());
    }

    /** The graph's outputs by name; {@code heads} (may be empty) replaces the values of those names (the head outputs). */
    static Map<String, OnnxInterpreter.Val> runRaw(OnnxModelReader.Model graph, Tensor images, Map<String, Tensor> heads) {
        var out = new OnnxInterpreter(graph).run(Map.of(DetectorGraph.INPUT, images), heads);
        assertEquals(List.of(PostProcessGraph.DETS, PostProcessGraph.LABELS), List.copyOf(out.keySet()));
        return out;
    }

    /** The graph's detections per image (the padding checked and dropped: {@link DetectionsCompare#of}). */
    static List<Detections> run(OnnxModelReader.Model graph, Tensor images, Map<String, Tensor> heads) {
        var out = runRaw(graph, images, heads);
        OnnxInterpreter.Val dets = out.get(PostProcessGraph.DETS), labels = out.get(PostProcessGraph.LABELS);
        return DetectionsCompare.of(dets.f(), dets.shape(), labels.longs(), labels.shape());
    }

    /**
     * Both checks for every image of the batch {@code images}; returns the engine's detections per image. The
     * engine: {@code Inference.postprocess} of the batch's forward, which must equal {@code PostProcessor} run on
     * each image's slice of the head outputs alone; the graph fed those head outputs must give each image's
     * detections bit for bit and in order, from the image within float rounding; outputs {@code [N, max_per_img, 5]}.
     */
    static List<Detections> assertSameDetections(AutoAssignDetector model, InputShape shape, PostProcessConfig cfg, Tensor images) throws IOException {
        OnnxModelReader.Model graph = exportAndParse(model, shape, cfg);
        int n = images.dim(0);
        Map<String, Tensor> heads = OnnxTestModels.forward(model, images);
        List<Detections> want = DetectionsCompare.engine(model, images, cfg);
        assertEquals(DetectionsCompare.rows(want), DetectionsCompare.rows(DetectionsCompare.engineOn(heads,
                model.bboxHead.config().stridesArray(), images.dim(2), images.dim(3), cfg)), "the batch's post-processing is each image's");
        var raw = runRaw(graph, images, heads);
        assertArrayEquals(new int[] {n, cfg.maxPerImg(), 5}, raw.get(PostProcessGraph.DETS).shape());
        assertArrayEquals(new int[] {n, cfg.maxPerImg()}, raw.get(PostProcessGraph.LABELS).shape());
        List<Detections> exact = run(graph, images, heads);
        List<Detections> whole = run(graph, images, Map.of());
        for (int b = 0; b < n; b++) {
            assertEquals(DetectionsCompare.rows(want.get(b)), DetectionsCompare.rows(exact.get(b)),
                    "image " + b + ": post-processing of the engine's head outputs, bit for bit and in order");
            assertTrue(DetectionsCompare.descending(exact.get(b)), "dets in descending score order");
            DetectionsCompare.Difference d = DetectionsCompare.match(whole.get(b), want.get(b), BOX_TOL, SCORE_TOL);
            assertEquals(0, d.unmatched(), "image " + b + " end to end: " + d + "\n graph  " + DetectionsCompare.sorted(whole.get(b))
                    + "\n engine " + DetectionsCompare.sorted(want.get(b)));
        }
        return want;
    }

    /** {@link #assertSameDetections} of a batch of one: that image's detections. */
    static Detections assertSameDetections1(AutoAssignDetector model, InputShape shape, PostProcessConfig cfg, Tensor image) throws IOException {
        assertEquals(1, image.dim(0));
        return assertSameDetections(model, shape, cfg, image).get(0);
    }

    static PostProcessConfig configOf(AutoAssignDetector model) { return Inference.postProcessConfig(model.config().testCfg()); }

    @Test
    void theConfigsTestCfg() throws IOException {
        AutoAssignDetector model = OnnxTestModels.tiny(7);
        PostProcessConfig cfg = configOf(model);
        assertEquals(new PostProcessConfig(1000, 0.05f, 0.6f, 100, 0f), cfg);
        // the initial class bias (prior 0.01) puts nothing above 0.05: move it to logit(0.05) ≈ −2.94
        OnnxTestModels.shiftClassBias(model, -2.94f);
        Tensor image = OnnxTestModels.randomImage(11, 1, 3, 96, 128);
        Detections d = assertSameDetections1(model, InputShape.DYNAMIC, cfg, image);
        int above = 0, all = 0;
        for (var e : OnnxTestModels.forward(model, image).entrySet())
            if (e.getKey().startsWith("cls_score_"))
                for (float logit : e.getValue().toFloatArray()) {
                    all++;
                    if (autoassign.postprocess.PostProcessor.sigmoid(logit) > 0.05f) above++;
                }
        assertTrue(above > 100 && above < all, "score_thr keeps some: " + above + " of " + all);
        assertTrue(d.size() > 5, d.size() + " detections");
    }

    @Test
    void manyCandidatesSoThatNmsPreNmsAndTheCapAct() throws IOException {
        AutoAssignDetector model = OnnxTestModels.tiny(8);
        // every (point, class) passes; nms_pre keeps 40 + 40 + 40 + 16 + 4 of 768, 192, 48, 16, 4 pairs; 25 kept
        PostProcessConfig cfg = new PostProcessConfig(40, 0f, 0.6f, 25, 0f);
        Tensor image = OnnxTestModels.randomImage(12, 1, 3, 96, 128);
        Detections d = assertSameDetections1(model, InputShape.DYNAMIC, cfg, image);
        assertEquals(25, d.size(), "max_per_img caps");
        Detections unsuppressed = DetectionsCompare.engine(model, image, new PostProcessConfig(40, 0f, 1f, 160, 0f)).get(0);
        Detections suppressed = DetectionsCompare.engine(model, image, new PostProcessConfig(40, 0f, 0.6f, 160, 0f)).get(0);
        assertTrue(suppressed.size() < unsuppressed.size() - 10, "NMS suppresses: " + suppressed.size() + " of " + unsuppressed.size());
        assertSameDetections1(model, InputShape.DYNAMIC, new PostProcessConfig(40, 0f, 0.6f, 160, 0f), image);
    }

    @Test
    void noCandidateAboveTheThreshold() throws IOException {
        AutoAssignDetector model = OnnxTestModels.tiny(9);
        PostProcessConfig cfg = new PostProcessConfig(1000, 0.999f, 0.6f, 100, 0f);
        Tensor image = OnnxTestModels.randomImage(13, 1, 3, 64, 80);
        assertEquals(0, assertSameDetections1(model, InputShape.DYNAMIC, cfg, image).size());
        // nothing but padding: dets [1, 100, 5] of zeros, labels −1 (DetectionsCompare.of checks every row)
        var out = runRaw(exportAndParse(model, InputShape.DYNAMIC, cfg), image, Map.of());
        assertArrayEquals(new int[] {1, 100, 5}, out.get(PostProcessGraph.DETS).shape());
        assertArrayEquals(new int[] {1, 100}, out.get(PostProcessGraph.LABELS).shape());
    }

    @Test
    void sizeFilterWithEveryCandidateAtAFixedSizeThatClips() throws IOException {
        // 75×110: boxes reach past the right and bottom edges and are clipped there; nms_pre 0 keeps all
        AutoAssignDetector model = OnnxTestModels.tiny(10);
        Tensor image = OnnxTestModels.randomImage(14, 1, 3, 75, 110);
        PostProcessConfig filtered = new PostProcessConfig(0, 0.02f, 0.5f, 200, 24f);
        Detections d = assertSameDetections1(model, InputShape.fixed(75, 110), filtered, image);
        Detections unfiltered = DetectionsCompare.engine(model, image, new PostProcessConfig(0, 0.02f, 0.5f, 200, -1f)).get(0);
        assertTrue(d.size() > 0 && d.size() < unfiltered.size(), "min_bbox_size drops boxes: " + d.size() + " of " + unfiltered.size());
        boolean clipped = false;
        for (int i = 0; i < d.size(); i++) clipped |= d.x2(i) == 110f || d.y2(i) == 75f;
        assertTrue(clipped, "some box clipped to the input's edge");
        assertSameDetections1(model, InputShape.DYNAMIC, new PostProcessConfig(0, 0.02f, 0.5f, 200, -1f), image);
    }

    @Test
    void aWrongGraphIsCaught() throws IOException {
        // the comparison can fail: graphs exported with another iou threshold or nms_pre than the engine uses
        AutoAssignDetector model = OnnxTestModels.tiny(8);
        Tensor image = OnnxTestModels.randomImage(12, 1, 3, 96, 128);
        PostProcessConfig cfg = new PostProcessConfig(40, 0f, 0.6f, 160, 0f);
        var want = DetectionsCompare.rows(DetectionsCompare.engine(model, image, cfg));
        var heads = OnnxTestModels.forward(model, image);
        for (PostProcessConfig wrong : new PostProcessConfig[] {new PostProcessConfig(40, 0f, 0.55f, 160, 0f), new PostProcessConfig(20, 0f, 0.6f, 160, 0f)})
            assertNotEquals(want, DetectionsCompare.rows(run(exportAndParse(model, InputShape.DYNAMIC, wrong), image, heads)), wrong.toString());
        assertEquals(want, DetectionsCompare.rows(run(exportAndParse(model, InputShape.DYNAMIC, cfg), image, heads)));
    }

    /** Three images of different content: random, constant (only border effects), a repeated 16×16 texture. */
    static Tensor threeImages(int h, int w) {
        return OnnxTestModels.batch(OnnxTestModels.randomImage(31, 1, 3, h, w), OnnxTestModels.constantImage(0f, h, w),
                OnnxTestModels.periodicImage(32, 16, h, w));
    }

    /**
     * A batch: every image's detections from the images (end to end) and from the engine's head outputs (bit for bit,
     * {@link #assertSameDetections}); then the same graph on {@link OnnxTestModels#stressHeads}: image 0 as it is, no
     * detection in image 1, equal scores everywhere in image 2, each image bit for bit the engine's PostProcessor on
     * its own head outputs, and each image's batched_nms step its own largest coordinate + 1 (the engine's, from its
     * candidates: PostProcessor with IoU 1, which suppresses nothing, and no cap). Returns the stressed detections.
     */
    static List<Detections> assertBatch(AutoAssignDetector model, PostProcessConfig cfg, Tensor images) throws IOException {
        List<Detections> natural = assertSameDetections(model, InputShape.DYNAMIC, cfg, images);
        int[] strides = model.bboxHead.config().stridesArray();
        int h = images.dim(2), w = images.dim(3);
        Map<String, Tensor> stressed = OnnxTestModels.stressHeads(OnnxTestModels.forward(model, images));
        List<Detections> want = DetectionsCompare.engineOn(stressed, strides, h, w, cfg);
        OnnxModelReader.Model graph = exportAndParse(model, InputShape.DYNAMIC, cfg);
        var out = new OnnxInterpreter(graph).run(Map.of(DetectorGraph.INPUT, images), stressed, List.of(PostProcessGraph.NMS_STEP));
        List<Detections> got = DetectionsCompare.of(out.get(PostProcessGraph.DETS).f(), out.get(PostProcessGraph.DETS).shape(),
                out.get(PostProcessGraph.LABELS).longs(), out.get(PostProcessGraph.LABELS).shape());
        for (int b = 0; b < images.dim(0); b++)
            assertEquals(DetectionsCompare.rows(want.get(b)), DetectionsCompare.rows(got.get(b)), "stressed image " + b + ": bit for bit, in order");
        assertTrue(want.get(0).size() > 0, "image 0: " + want.get(0).size());
        assertEquals(0, want.get(1).size(), "image 1: nothing");
        assertTrue(want.get(2).size() > 1, "image 2: " + want.get(2).size());
        for (float score : want.get(2).scores()) assertEquals(0.25f, score, "image 2: every score equal");
        int uncapped = DetectionsCompare.engineOn(stressed, strides, h, w, new PostProcessConfig(cfg.nmsPre(), cfg.scoreThr(), cfg.iouThr(),
                Integer.MAX_VALUE, cfg.minBboxSize())).get(2).size();
        // the batched_nms step of every image: its own candidates' largest coordinate + 1 (1 without candidates)
        float[] steps = out.get(PostProcessGraph.NMS_STEP).f();
        List<Detections> candidates = DetectionsCompare.engineOn(stressed, strides, h, w,
                new PostProcessConfig(cfg.nmsPre(), cfg.scoreThr(), 1f, Integer.MAX_VALUE, cfg.minBboxSize()));
        for (int b = 0; b < images.dim(0); b++) {
            float max = 0f;
            for (float v : candidates.get(b).boxes()) max = Math.max(max, v);
            assertEquals(max + 1f, steps[b], "image " + b + ": batched_nms step");
        }
        assertEquals(1f, steps[1]);
        assertTrue(uncapped < candidates.get(2).size(), "image 2: NMS suppresses among equal scores: " + uncapped + " of " + candidates.get(2).size());
        assertNotEquals(steps[0], steps[2], "the steps of images 0 and 2 differ: each image has its own");
        assertTrue(natural.stream().mapToInt(Detections::size).sum() > 0);
        return want;
    }

    @Test
    void aBatchOfThreeImagesTiny() throws IOException {
        // the config of the batched ONNX Runtime golden: nms_pre 100 cuts P3 in images 0 and 2 and never in image 1
        AutoAssignDetector model = OnnxTestModels.shiftClassBias(OnnxTestModels.tiny(7), -2.94f);
        PostProcessConfig cfg = new PostProcessConfig(100, 0.05f, 0.6f, 50, 0f);
        Tensor images = threeImages(64, 80);
        List<Detections> natural = assertSameDetections(model, InputShape.DYNAMIC, cfg, images);
        assertTrue(natural.stream().allMatch(d -> d.size() > 0), "each image has detections");
        assertBatch(model, cfg, images);
    }

    @Test
    void aBatchOfThreeImagesR50Layout() throws IOException {
        // frozen BatchNorm folded, start_level 1; min_bbox_size 4 drops many of image 2's small stressed boxes
        AutoAssignDetector model = OnnxTestModels.shiftClassBias(OnnxTestModels.r50Narrow(3), -2.94f);
        PostProcessConfig cfg = new PostProcessConfig(60, 0.05f, 0.6f, 40, 4f);
        Tensor images = threeImages(64, 96);
        assertBatch(model, cfg, images);
        var heads = OnnxTestModels.stressHeads(OnnxTestModels.forward(model, images));
        int[] strides = model.bboxHead.config().stridesArray();
        int filtered = DetectionsCompare.engineOn(heads, strides, 64, 96, new PostProcessConfig(60, 0.05f, 1f, Integer.MAX_VALUE, 4f)).get(2).size();
        int all = DetectionsCompare.engineOn(heads, strides, 64, 96, new PostProcessConfig(60, 0.05f, 1f, Integer.MAX_VALUE, -1f)).get(2).size();
        assertTrue(filtered < all, "min_bbox_size drops some of image 2's candidates: " + filtered + " of " + all);
    }

    @Test
    void softNmsIsRefused() {
        var soft = new autoassign.postprocess.SoftNms(0.3f, 0.5f, 1e-3f, autoassign.postprocess.SoftNms.Method.of("linear"));
        var e = assertThrows(IllegalArgumentException.class, () -> DetectorGraph.build(OnnxTestModels.tiny(1), InputShape.DYNAMIC,
                new PostProcessConfig(1000, 0.05f, 0.3f, 100, 0f, soft)));
        assertTrue(e.getMessage().contains("soft_nms"), e.getMessage());
    }
}
