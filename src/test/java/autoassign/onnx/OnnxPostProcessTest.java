package autoassign.onnx;

import autoassign.eval.Inference;
import autoassign.model.AutoAssignDetector;
import autoassign.postprocess.Detections;
import autoassign.postprocess.PostProcessConfig;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
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

    /** The graph's detections; {@code heads} (may be empty) replaces the values of those names (the head outputs). */
    static Detections run(OnnxModelReader.Model graph, Tensor image, Map<String, Tensor> heads) {
        var out = new OnnxInterpreter(graph).run(Map.of(DetectorGraph.INPUT, image), heads);
        assertEquals(java.util.List.of(PostProcessGraph.DETS, PostProcessGraph.LABELS), java.util.List.copyOf(out.keySet()));
        OnnxInterpreter.Val dets = out.get(PostProcessGraph.DETS), labels = out.get(PostProcessGraph.LABELS);
        return DetectionsCompare.of(dets.f(), dets.shape(), labels.longs(), labels.shape());
    }

    /** Both checks; returns the engine's detections. */
    static Detections assertSameDetections(AutoAssignDetector model, InputShape shape, PostProcessConfig cfg, Tensor image) throws IOException {
        OnnxModelReader.Model graph = exportAndParse(model, shape, cfg);
        Detections want = DetectionsCompare.engine(model, image, cfg);
        Detections exact = run(graph, image, OnnxTestModels.forward(model, image));
        assertEquals(DetectionsCompare.sorted(want), DetectionsCompare.sorted(exact), "post-processing of the engine's head outputs");
        assertTrue(DetectionsCompare.descending(exact), "dets in descending score order");
        Detections whole = run(graph, image, Map.of());
        DetectionsCompare.Difference d = DetectionsCompare.match(whole, want, BOX_TOL, SCORE_TOL);
        assertEquals(0, d.unmatched(), "end to end: " + d + "\n graph  " + DetectionsCompare.sorted(whole) + "\n engine " + DetectionsCompare.sorted(want));
        return want;
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
        Detections d = assertSameDetections(model, InputShape.DYNAMIC, cfg, image);
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
        Detections d = assertSameDetections(model, InputShape.DYNAMIC, cfg, image);
        assertEquals(25, d.size(), "max_per_img caps");
        Detections unsuppressed = DetectionsCompare.engine(model, image, new PostProcessConfig(40, 0f, 1f, 160, 0f));
        Detections suppressed = DetectionsCompare.engine(model, image, new PostProcessConfig(40, 0f, 0.6f, 160, 0f));
        assertTrue(suppressed.size() < unsuppressed.size() - 10, "NMS suppresses: " + suppressed.size() + " of " + unsuppressed.size());
        assertSameDetections(model, InputShape.DYNAMIC, new PostProcessConfig(40, 0f, 0.6f, 160, 0f), image);
    }

    @Test
    void noCandidateAboveTheThreshold() throws IOException {
        AutoAssignDetector model = OnnxTestModels.tiny(9);
        PostProcessConfig cfg = new PostProcessConfig(1000, 0.999f, 0.6f, 100, 0f);
        Tensor image = OnnxTestModels.randomImage(13, 1, 3, 64, 80);
        assertEquals(0, assertSameDetections(model, InputShape.DYNAMIC, cfg, image).size());
        var out = new OnnxInterpreter(exportAndParse(model, InputShape.DYNAMIC, cfg)).run(Map.of(DetectorGraph.INPUT, image));
        assertArrayEquals(new int[] {1, 0, 5}, out.get(PostProcessGraph.DETS).shape());
        assertArrayEquals(new int[] {1, 0}, out.get(PostProcessGraph.LABELS).shape());
    }

    @Test
    void sizeFilterWithEveryCandidateAtAFixedSizeThatClips() throws IOException {
        // 75×110: boxes reach past the right and bottom edges and are clipped there; nms_pre 0 keeps all
        AutoAssignDetector model = OnnxTestModels.tiny(10);
        Tensor image = OnnxTestModels.randomImage(14, 1, 3, 75, 110);
        PostProcessConfig filtered = new PostProcessConfig(0, 0.02f, 0.5f, 200, 24f);
        Detections d = assertSameDetections(model, InputShape.fixed(75, 110), filtered, image);
        Detections unfiltered = DetectionsCompare.engine(model, image, new PostProcessConfig(0, 0.02f, 0.5f, 200, -1f));
        assertTrue(d.size() > 0 && d.size() < unfiltered.size(), "min_bbox_size drops boxes: " + d.size() + " of " + unfiltered.size());
        boolean clipped = false;
        for (int i = 0; i < d.size(); i++) clipped |= d.x2(i) == 110f || d.y2(i) == 75f;
        assertTrue(clipped, "some box clipped to the input's edge");
        assertSameDetections(model, InputShape.DYNAMIC, new PostProcessConfig(0, 0.02f, 0.5f, 200, -1f), image);
    }

    @Test
    void aWrongGraphIsCaught() throws IOException {
        // the comparison can fail: graphs exported with another iou threshold or nms_pre than the engine uses
        AutoAssignDetector model = OnnxTestModels.tiny(8);
        Tensor image = OnnxTestModels.randomImage(12, 1, 3, 96, 128);
        PostProcessConfig cfg = new PostProcessConfig(40, 0f, 0.6f, 160, 0f);
        var want = DetectionsCompare.sorted(DetectionsCompare.engine(model, image, cfg));
        var heads = OnnxTestModels.forward(model, image);
        for (PostProcessConfig wrong : new PostProcessConfig[] {new PostProcessConfig(40, 0f, 0.55f, 160, 0f), new PostProcessConfig(20, 0f, 0.6f, 160, 0f)})
            assertNotEquals(want, DetectionsCompare.sorted(run(exportAndParse(model, InputShape.DYNAMIC, wrong), image, heads)), wrong.toString());
        assertEquals(want, DetectionsCompare.sorted(run(exportAndParse(model, InputShape.DYNAMIC, cfg), image, heads)));
    }

    @Test
    void softNmsIsRefused() {
        var soft = new autoassign.postprocess.SoftNms(0.3f, 0.5f, 1e-3f, autoassign.postprocess.SoftNms.Method.of("linear"));
        var e = assertThrows(IllegalArgumentException.class, () -> DetectorGraph.build(OnnxTestModels.tiny(1), InputShape.DYNAMIC,
                new PostProcessConfig(1000, 0.05f, 0.3f, 100, 0f, soft)));
        assertTrue(e.getMessage().contains("soft_nms"), e.getMessage());
    }
}
