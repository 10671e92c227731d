package autoassign.onnx;

import autoassign.GoldenFiles;
import autoassign.io.RawTensor;
import autoassign.io.Safetensors;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ONNX Runtime ran an exported model (scripts/goldens/onnx_runtime.py); the engine's forward of the same model on
 * the same input gives the same outputs, and so does the re-exported graph under the test's interpreter.
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
}
