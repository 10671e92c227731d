package autoassign.onnx;

import autoassign.GoldenFiles;
import autoassign.io.RawTensor;
import autoassign.io.Safetensors;
import autoassign.model.AutoAssignDetector;
import autoassign.postprocess.Detections;
import autoassign.postprocess.PostProcessConfig;
import autoassign.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ONNX Runtime ran an exported model (scripts/goldens/onnx_runtime.py); the engine's forward of the same model on
 * the same input gives the same outputs, and so does the re-exported graph under the test's interpreter.
 * A {@code --postprocess} case ({@code postprocess} in its metadata) is checked as detections ({@link #postprocessed}).
 * Cases: {@code goldens/onnx/*.safetensors} ({@code -Dgoldens.dir} points elsewhere).
 */
class OnnxRuntimeGoldenTest {
    static final double TOLERANCE = 1e-4;

    static Stream<Arguments> cases() {
        return GoldenFiles.cases("onnx", p -> p.getFileName().toString().endsWith(".safetensors"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void engineEqualsOnnxRuntime(String name, Path file) throws Exception {
        Safetensors.Contents golden = Safetensors.read(file);
        Map<String, String> meta = golden.metadata();
        assertEquals("autoassign_tiny_synthetic", meta.get("config"), name + ": only the tiny config's models are rebuilt here");
        AutoAssignDetector model = OnnxTestModels.tiny(Long.parseLong(meta.get("model_seed")));
        RawTensor img = golden.tensors().get(DetectorGraph.INPUT);
        Tensor image = Tensor.of(img.toFloatArray(), img.intShape());
        if (meta.containsKey("postprocess")) {
            postprocessed(name, OnnxTestModels.shiftClassBias(model, Float.parseFloat(meta.get("cls_bias"))), image, golden);
            return;
        }

        Map<String, Tensor> engine = OnnxTestModels.forward(model, image);
        var interpreted = new OnnxInterpreter(OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC))
                .run(Map.of(DetectorGraph.INPUT, image));
        assertEquals(engine.size() + 1, golden.tensors().size(), "image + every output");
        for (String k : engine.keySet()) {
            RawTensor ort = golden.tensors().get(k);
            assertArrayEquals(ort.intShape(), engine.get(k).shape(), k);
            double err = OnnxTestModels.relativeError(engine.get(k).toFloatArray(), ort.toFloatArray());
            assertTrue(err <= TOLERANCE, name + " " + k + ": engine vs ONNX Runtime, relative error " + err);
            double graphErr = OnnxTestModels.relativeError(interpreted.get(k).t().toFloatArray(), ort.toFloatArray());
            assertTrue(graphErr <= TOLERANCE, name + " " + k + ": re-exported graph vs ONNX Runtime, relative error " + graphErr);
        }
    }

    /**
     * A {@code --postprocess} case (a batch): ONNX Runtime's post-processing nodes alone, fed the head outputs stored
     * in the case (the engine's), gave for every image exactly what the engine's PostProcessor gives for that image's
     * head outputs and what the re-exported graph gives under the interpreter (bit for bit, in order, padding
     * included); ONNX Runtime's whole graph from the images matches the engine's detections within float rounding, and
     * the stored head outputs are still the engine's forward (1e-4 relative).
     */
    private static void postprocessed(String name, AutoAssignDetector model, Tensor image, Safetensors.Contents golden) throws Exception {
        String[] p = golden.metadata().get("postprocess").split(",");
        PostProcessConfig cfg = new PostProcessConfig(Integer.parseInt(p[0]), Float.parseFloat(p[1]), Float.parseFloat(p[2]),
                Integer.parseInt(p[3]), Float.parseFloat(p[4]));
        Map<String, RawTensor> t = golden.tensors();
        Map<String, Tensor> engineHeads = OnnxTestModels.forward(model, image), storedHeads = new LinkedHashMap<>();
        // "stress": the heads are OnnxTestModels.stressHeads of the forward (none in image 1, equal scores in image 2)
        if ("stress".equals(golden.metadata().getOrDefault("heads", "forward"))) engineHeads = OnnxTestModels.stressHeads(engineHeads);
        for (String k : engineHeads.keySet()) {
            storedHeads.put(k, Tensor.of(t.get(k).toFloatArray(), t.get(k).intShape()));
            double err = OnnxTestModels.relativeError(engineHeads.get(k).toFloatArray(), t.get(k).toFloatArray());
            assertTrue(err <= TOLERANCE, name + " " + k + ": engine vs stored head output, relative error " + err);
        }
        int n = image.dim(0);
        RawTensor exactDets = t.get("exact_dets"), exactLabels = t.get("exact_labels");
        assertArrayEquals(new int[] {n, cfg.maxPerImg(), 5}, exactDets.intShape(), "dets [N, max_per_img, 5]");
        List<Detections> exact = detections(t, "exact_dets", "exact_labels");
        List<Detections> engine = DetectionsCompare.engineOn(storedHeads, model.bboxHead.config().stridesArray(), image.dim(2), image.dim(3), cfg);
        assertEquals(DetectionsCompare.rows(engine), DetectionsCompare.rows(exact),
                name + ": ONNX Runtime's post-processing vs the engine's PostProcessor per image, on the same head outputs");
        OnnxModelReader.Model graph = OnnxPostProcessTest.exportAndParse(model, InputShape.DYNAMIC, cfg);
        var interpreted = OnnxPostProcessTest.runRaw(graph, image, storedHeads);
        assertArrayEquals(exactDets.toFloatArray(), interpreted.get(PostProcessGraph.DETS).f(), name + ": dets of ONNX Runtime vs the interpreter, padding included");
        assertArrayEquals(exactLabels.toLongArray(), interpreted.get(PostProcessGraph.LABELS).longs(), name + ": labels of ONNX Runtime vs the interpreter");
        List<Detections> ort = detections(t, PostProcessGraph.DETS, PostProcessGraph.LABELS);
        assertTrue(ort.stream().mapToInt(Detections::size).sum() > 0);
        List<List<Detections>> mine = List.of(DetectionsCompare.engine(model, image, cfg), OnnxPostProcessTest.run(graph, image, Map.of()));
        for (List<Detections> m : mine)
            for (int b = 0; b < n; b++) {
                DetectionsCompare.Difference d = DetectionsCompare.match(ort.get(b), m.get(b), OnnxPostProcessTest.BOX_TOL, OnnxPostProcessTest.SCORE_TOL);
                assertEquals(0, d.unmatched(), name + ": ONNX Runtime from the image, image " + b + ": " + d);
            }
    }

    private static List<Detections> detections(Map<String, RawTensor> t, String dets, String labels) {
        RawTensor d = t.get(dets), l = t.get(labels);
        return DetectionsCompare.of(d.toFloatArray(), d.intShape(), l.toLongArray(), l.intShape());
    }
}
