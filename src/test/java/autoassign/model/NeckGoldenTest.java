package autoassign.model;

import autoassign.GoldenFiles;
import autoassign.autograd.Graph;
import autoassign.config.NeckConfig;
import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static autoassign.GoldenFiles.floats;
import static autoassign.GoldenFiles.ints;

/**
 * Every case of {@code <goldens>/necks} (scripts/goldens/necks.py: a plain-torch transcription of MMDetection 3.3's
 * PAFPN and HRFPN with MMCV's ConvModule, torch 1.13 on the CPU): the config parsed from the case's {@code model.neck}
 * keys, the state dict loaded strictly by upstream names (so every name and shape matches), the outputs of forward in
 * eval mode, and the gradients of Σ sum(out·gy) for the inputs and every parameter.
 */
class NeckGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double TOL = 2e-5;

    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("necks"); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardAndGradientsMatchTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        NeckConfig cfg = NeckConfig.parse(name, (ObjectNode) c.get("neck"));
        Neck neck = Neck.build(cfg);
        Map<String, Tensor> sd = new LinkedHashMap<>();
        c.get("state_dict").fields().forEachRemaining(e -> sd.put(e.getKey(), tensor(e.getValue())));
        autoassign.nn.Module.LoadReport report = neck.loadStateDict(sd, true);
        assertTrue(report.clean(), name + ": " + report);
        assertEquals(sd.keySet(), neck.stateDict().keySet(), name + ": state-dict names and order");

        List<Tensor> inputs = new ArrayList<>();
        for (JsonNode x : c.get("inputs")) inputs.add(tensor(x).setRequiresGrad(true));
        List<Tensor> outs = neck.forward(inputs);
        assertEquals(c.get("outputs").size(), outs.size(), name + ": number of outputs");
        Tensor[] gys = new Tensor[outs.size()];
        for (int i = 0; i < outs.size(); i++) {
            JsonNode o = c.get("outputs").get(i);
            assertArrayEquals(ints(o.get("shape")), outs.get(i).shape(), name + ": output " + i + " shape");
            close(name + " output " + i, floats(o.get("values")), outs.get(i).toFloatArray());
            gys[i] = Tensor.of(floats(c.get("grad_outputs").get(i)), outs.get(i).shape());
        }
        Graph.backward(outs.toArray(new Tensor[0]), gys);
        for (int i = 0; i < inputs.size(); i++) {
            float[] want = floats(c.get("grad_inputs").get(i));
            Tensor g = inputs.get(i).grad();
            close(name + " grad input " + i, want, g == null ? new float[want.length] : g.toFloatArray());
        }
        Map<String, Tensor> params = neck.namedParameters();
        assertEquals(c.get("grad_params").size(), params.size(), name + ": parameters");
        c.get("grad_params").fields().forEachRemaining(e -> {
            Tensor p = params.get(e.getKey());
            close(name + " grad " + e.getKey(), floats(e.getValue()), p.grad().toFloatArray());
        });
    }

    private static Tensor tensor(JsonNode t) {
        int[] shape = ints(t.get("shape"));
        float[] v = floats(t.get("values"));
        return Tensor.of(v, shape); // shape [] for num_batches_tracked: one element, 0-dim
    }

    private static void close(String what, float[] want, float[] got) {
        assertEquals(want.length, got.length, what + ": length");
        double scale = 1;
        for (float w : want) scale = Math.max(scale, Math.abs(w));
        for (int i = 0; i < want.length; i++)
            if (!(Math.abs(got[i] - want[i]) <= TOL * scale))
                throw new AssertionError(what + "[" + i + "]: got " + got[i] + ", torch " + want[i] + " (scale " + scale + ")");
    }
}
