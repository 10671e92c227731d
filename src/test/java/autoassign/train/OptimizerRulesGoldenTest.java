package autoassign.train;

import autoassign.config.ConfigLoader;
import autoassign.config.OptimConfig;
import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static autoassign.GoldenFiles.floats;

/**
 * Every case of {@code <goldens>/optimizer_rules} (scripts/goldens/optimizers_torch.py): RMSprop, Adagrad, Adadelta,
 * Adamax, NAdam, RAdam and Adam / AdamW with amsgrad or maximize, with the case's settings written as a config's
 * {@code optim_wrapper.optimizer} (so torch's defaults come from the config reader), tensors with their own weight
 * decay and lr multiplier, per-step learning rates and gradients (some tensors without one on some steps), replayed
 * through {@link Optimizer#of} on the CPU backend. The parameters after every step and the final state (torch's state
 * names, step counts and NAdam's mu_product included) must equal torch's; the state saved and loaded into a fresh
 * optimizer then continues identically for one more step.
 */
class OptimizerRulesGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * torch's vectorised CPU loops fuse some multiply-adds, and the goldens of torch 1.13's classes update first
     * moments with mul_/add_ where torch 2.x (and the engine) use lerp_: a few ulps of each tensor's largest value.
     */
    private static final double RTOL = 4e-6;

    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.jsonCases("optimizer_rules");
    }

    private static void close(JsonNode want, float[] got, String what) {
        assertEquals(want.size(), got.length, what);
        double scale = 0;
        for (JsonNode w : want) scale = Math.max(scale, Math.abs(w.asDouble()));
        for (int i = 0; i < got.length; i++)
            assertEquals(want.get(i).asDouble(), got[i], RTOL * scale, what + "[" + i + "]");
    }

    /** The case's optimizer as the config reader builds it from {@code {type: ..., <options>}}. */
    static OptimConfig config(JsonNode c) throws IOException {
        String text = Files.readString(Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml"));
        StringBuilder opt = new StringBuilder("{_delete_: true, type: " + c.get("optimizer").asText());
        c.get("options").fields().forEachRemaining(e -> opt.append(", ").append(e.getKey()).append(": ").append(e.getValue()));
        return ConfigLoader.parse(text, "configs/x.yaml", List.of("optim_wrapper.optimizer=" + opt + "}",
                "optim_wrapper.paramwise_cfg={_delete_: true}")).optimWrapper();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void stepsAndStateMatchTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        OptimConfig cfg = config(c);
        assertEquals(c.get("optimizer").asText(), cfg.type().name());
        List<Optimizer.Group> groups = new ArrayList<>();
        JsonNode tensors = c.get("tensors");
        for (int i = 0; i < tensors.size(); i++) {
            JsonNode t = tensors.get(i);
            int[] shape = JSON.convertValue(t.get("shape"), int[].class);
            groups.add(new Optimizer.Group("t" + i, Tensor.of(floats(t.get("init")), shape), (float) t.get("weight_decay").asDouble(),
                    t.get("lr_mult").asDouble()));
        }
        Optimizer optimizer = Optimizer.of(groups, cfg);
        int steps = c.get("lr").size();
        for (int s = 0; s < steps; s++) {
            setGrads(groups, c.get("grads").get(s));
            optimizer.step((float) c.get("lr").get(s).asDouble());
            optimizer.zeroGrad();
            for (int i = 0; i < groups.size(); i++)
                close(c.get("params_after").get(s).get(i), groups.get(i).param().toFloatArray(), name + " step " + s + " tensor " + i);
        }
        Map<String, Tensor> st = optimizer.state();
        int count = 0;
        for (int i = 0; i < groups.size(); i++) {
            var it = c.get("state").get(i).fields();
            while (it.hasNext()) {
                var e = it.next();
                Tensor got = st.get(e.getKey() + ".t" + i);
                assertNotNull(got, name + ": no " + e.getKey() + " of tensor " + i + " in " + st.keySet());
                count++;
                if (e.getValue().isArray()) close(e.getValue(), got.toFloatArray(), name + " " + e.getKey() + " " + i);
                else if (e.getKey().equals("step")) assertEquals(e.getValue().asDouble(), got.toFloatArray()[0], name + " step " + i);
                else assertEquals(e.getValue().asDouble(), got.toFloatArray()[0], 1e-7, name + " " + e.getKey() + " " + i);
            }
        }
        assertEquals(count, st.size(), name + ": the engine keeps torch's state, no more: " + st.keySet());
        // the round trip: a fresh optimizer loading the saved state continues as the original does
        List<Optimizer.Group> copies = new ArrayList<>();
        for (Optimizer.Group g : groups)
            copies.add(new Optimizer.Group(g.name(), Tensor.of(g.param().toFloatArray(), g.param().shape()), g.weightDecay(), g.lrMult()));
        Optimizer restored = Optimizer.of(copies, cfg);
        restored.loadState(optimizer.state());
        JsonNode lastGrads = c.get("grads").get(steps - 1);
        setGrads(groups, lastGrads);
        setGrads(copies, lastGrads);
        optimizer.step(1e-3f);
        restored.step(1e-3f);
        for (int i = 0; i < groups.size(); i++)
            assertEquals(java.util.Arrays.toString(groups.get(i).param().toFloatArray()),
                    java.util.Arrays.toString(copies.get(i).param().toFloatArray()), name + ": the restored optimizer's next step, tensor " + i);
    }

    private static void setGrads(List<Optimizer.Group> groups, JsonNode grads) {
        for (int i = 0; i < groups.size(); i++) {
            JsonNode g = grads.get(i);
            Tensor p = groups.get(i).param();
            p.setGrad(g.isNull() ? null : Tensor.of(floats(g), p.shape()));
        }
    }
}
