package autoassign.model;

import autoassign.GoldenFiles;
import autoassign.autograd.Graph;
import autoassign.config.BackboneConfigs;
import autoassign.config.ResNeStConfig;
import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static autoassign.GoldenFiles.floats;
import static autoassign.GoldenFiles.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * MMDetection 3.3.0's ResNeSt against torch running a line-for-line transcription of mmdet/models/backbones/resnest.py
 * (scripts/goldens/resnest.py; every case of {@code <goldens>/resnest}): state-dict names in torch's order, shapes and
 * parameter counts (also of ResNeSt-50 / 101 / 200 as MMDetection's s50 / s101 configs build them), the eval-mode
 * outputs for the same weights and input (radix 1 / 2 / 3, cardinality 2, without avd, caffe style), and train-mode
 * steps (norm_eval false, frozen_stages 1 and -1, batch 4): the outputs on batch statistics, torch autograd's gradient
 * of Σ seed·output for every trainable parameter and the BN running statistics afterwards, against torch in float64
 * and as close as torch's own float32 run gets ({@link #assertAsCloseAsTorchFloat32}).
 */
class ResNeStGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("resnest"); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        ResNeStConfig cfg = assertInstanceOf(ResNeStConfig.class, BackboneConfigs.specFromJson(c.get("backbone")));
        ResNet r = new ResNet(cfg);
        List<String> names = new ArrayList<>();
        for (JsonNode t : c.get("state_dict")) names.add(t.get("name").asText());
        Map<String, Tensor> sd = r.stateDict();
        assertEquals(names, List.copyOf(sd.keySet()), name + ": state-dict names");
        for (JsonNode t : c.get("state_dict"))
            assertArrayEquals(ints(t.get("shape")), sd.get(t.get("name").asText()).shape(), name + ": " + t.get("name").asText());
        assertEquals(c.get("params").asLong(), r.parameterCount(), name + ": parameter count (torch's parameters())");
        if (!c.has("input")) return; // an architecture case
        Map<String, Tensor> want = new LinkedHashMap<>();
        for (JsonNode t : c.get("state_dict")) want.put(t.get("name").asText(), Tensor.of(floats(t.get("values")), ints(t.get("shape"))));
        r.loadStateDict(want, true);
        Tensor x = Tensor.of(floats(c.get("input")), ints(c.get("input_shape")));
        boolean train = c.get("train").asBoolean();
        r.train(train);
        List<Tensor> outs;
        if (train) {
            outs = r.forward(x);
        } else {
            try (Graph.Scope g = Graph.noGrad()) {
                outs = r.forward(x);
            }
        }
        assertEquals(c.get("outputs").size(), outs.size(), name);
        for (int i = 0; i < outs.size(); i++) {
            JsonNode o = c.get("outputs").get(i);
            assertArrayEquals(ints(o.get("shape")), outs.get(i).shape(), name + " output " + i);
            if (train) assertAsCloseAsTorchFloat32(name + " output " + i, o, outs.get(i).toFloatArray());
            else GoldenFiles.assertCloseToTorch(name + " output " + i, floats(o.get("values")), outs.get(i).toFloatArray(), 2e-5);
        }
        if (!train) return;
        JsonNode grads = c.get("grads");
        Tensor[] seeds = new Tensor[outs.size()];
        for (int i = 0; i < seeds.length; i++) seeds[i] = Tensor.of(floats(grads.get("seeds").get(i)), outs.get(i).shape());
        Graph.backward(outs.toArray(new Tensor[0]), seeds);
        assertEquals(0, Graph.size());
        Map<String, Tensor> params = r.namedParameters();
        int trainable = 0;
        for (JsonNode p : grads.get("params")) {
            String k = p.get("name").asText();
            assertNotNull(params.get(k).grad(), name + ": " + k + " got no gradient");
            assertAsCloseAsTorchFloat32(name + ": d " + k, p, params.get(k).grad().toFloatArray());
            trainable++;
        }
        for (var e : params.entrySet())
            if (!e.getValue().requiresGrad()) assertNull(e.getValue().grad(), name + ": frozen " + e.getKey());
            else trainable--;
        assertEquals(0, trainable, name + ": the trainable parameters are torch's requires_grad ones");
        Map<String, Tensor> after = r.stateDict();
        for (JsonNode t : c.get("state_dict_after")) {
            String k = t.get("name").asText();
            assertAsCloseAsTorchFloat32(name + ": " + k + " after the step", t, after.get(k).toFloatArray());
        }
    }

    /**
     * A train case's values are torch's in float64 (the truth; BN over four samples on the attention path is
     * ill-conditioned), with {@code f32_err} the max |error| of torch's own float32 run: the engine's float32 result
     * must be within 4·f32_err + 2e-5·max(1, max |value|) of the truth.
     */
    private static void assertAsCloseAsTorchFloat32(String what, JsonNode golden, float[] got) {
        JsonNode v = golden.get("values");
        assertEquals(v.size(), got.length, what + ": size");
        double scale = 0;
        for (JsonNode d : v) scale = Math.max(scale, Math.abs(d.asDouble()));
        double bar = 4 * golden.get("f32_err").asDouble() + 2e-5 * Math.max(1, scale);
        for (int j = 0; j < got.length; j++)
            if (!(Math.abs(got[j] - v.get(j).asDouble()) <= bar))
                throw new AssertionError(what + "[" + j + "]: got " + got[j] + ", torch float64 " + v.get(j).asDouble()
                        + " (allowed " + bar + ", torch float32 is off by up to " + golden.get("f32_err").asDouble() + ")");
    }
}
