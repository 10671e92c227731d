package autoassign.train;

import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static autoassign.GoldenFiles.floats;

/**
 * Every case of {@code <goldens>/optimizer}: tensors, per-step learning rates and gradients (some tensors without a
 * gradient on some steps), and the parameters after every step of torch.optim.Adam / AdamW, or of SGD with Nesterov
 * momentum or dampening (then the momentum buffers at the end), some with torch's {@code maximize}
 * (scripts/goldens/optimizers.py), replayed through {@link Optimizer#of}'s {@link Adam} on the CPU backend; the
 * state is then saved, loaded into a fresh optimizer and must equal torch's moments and step counts. The folder
 * defaults to {@code src/test/resources/goldens}; {@code -Dgoldens.dir=DIR} points at another laid out like it.
 */
class OptimizerGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The engine rounds as torch >= 2.0 (exp_avg.lerp_); the goldens may come from torch 1.13
     * (exp_avg.mul_(β₁).add_(g, 1−β₁)): a few ulps of the largest term, relative to each tensor's largest value.
     */
    private static final double RTOL = 4e-6;

    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.jsonCases("optimizer");
    }

    private static void close(JsonNode want, float[] got, String what) {
        assertEquals(want.size(), got.length, what);
        double scale = 0;
        for (JsonNode w : want) scale = Math.max(scale, Math.abs(w.asDouble()));
        for (int i = 0; i < got.length; i++)
            assertEquals(want.get(i).asDouble(), got[i], RTOL * scale, what + "[" + i + "]");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void stepsMatchTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        List<Optimizer.Group> groups = new ArrayList<>();
        JsonNode tensors = c.get("tensors");
        for (int i = 0; i < tensors.size(); i++) {
            JsonNode t = tensors.get(i);
            int[] shape = JSON.convertValue(t.get("shape"), int[].class);
            Tensor p = Tensor.of(floats(t.get("init")), shape);
            groups.add(new Optimizer.Group("t" + i, p, (float) t.get("weight_decay").asDouble(), t.get("lr_mult").asDouble()));
        }
        String kind = c.get("optimizer").asText();
        boolean maximize = c.path("maximize").asBoolean(false); // torch's maximize: the gradient negated first
        Optimizer optimizer = kind.equals("SGD")
                ? new Sgd(groups, (float) c.get("momentum").asDouble(), (float) c.get("dampening").asDouble(),
                        c.get("nesterov").asBoolean(), maximize, 0)
                : new Adam(groups, c.get("betas").get(0).asDouble(), c.get("betas").get(1).asDouble(),
                        c.get("eps").asDouble(), kind.equals("AdamW"), false, maximize, 0);
        for (int s = 0; s < c.get("lr").size(); s++) {
            for (int i = 0; i < groups.size(); i++) {
                JsonNode g = c.get("grads").get(s).get(i);
                Tensor p = groups.get(i).param();
                p.setGrad(g.isNull() ? null : Tensor.of(floats(g), p.shape()));
            }
            optimizer.step((float) c.get("lr").get(s).asDouble());
            optimizer.zeroGrad();
            for (int i = 0; i < groups.size(); i++)
                close(c.get("params_after").get(s).get(i), groups.get(i).param().toFloatArray(), name + " step " + s + " tensor " + i);
        }
        if (kind.equals("SGD")) { // torch's momentum buffers, by parameter name
            for (int i = 0; i < groups.size(); i++)
                close(c.get("momentum_buffer").get(i), optimizer.state().get("t" + i).toFloatArray(), name + " momentum_buffer " + i);
            return;
        }
        // the state round trip: what a checkpoint saves, loaded by a fresh optimizer, is torch's state
        Adam restored = new Adam(groups, 0.9, 0.999, 1e-8, true, 0);
        restored.loadState(optimizer.state());
        Map<String, Tensor> st = restored.state();
        for (int i = 0; i < groups.size(); i++) {
            close(c.get("exp_avg").get(i), st.get("exp_avg.t" + i).toFloatArray(), name + " exp_avg " + i);
            close(c.get("exp_avg_sq").get(i), st.get("exp_avg_sq.t" + i).toFloatArray(), name + " exp_avg_sq " + i);
            assertEquals(c.get("steps").get(i).asDouble(), st.get("step.t" + i).toFloatArray()[0], name + " step count " + i);
        }
        assertTrue(st.size() == 3 * groups.size());
    }
}
