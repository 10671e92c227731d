package autoassign.onnx;

import autoassign.io.RawTensor;
import autoassign.io.Safetensors;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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

    @Test
    void r50() throws IOException {
        var cfg = autoassign.config.ConfigLoader.loadNamed("autoassign_r50-caffe_fpn_1x_coco", java.util.List.of());
        AutoAssignDetector model = OnnxTestModels.perturbed(new AutoAssignDetector(cfg.model(), 1), 1);
        write("r50", model, InputShape.DYNAMIC, "seed1", new int[] {1, 3, 320, 480}, new int[] {1, 3, 300, 452});
        write("r50_fixed_320x480", model, InputShape.fixed(320, 480), "seed1", new int[] {1, 3, 320, 480});
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
