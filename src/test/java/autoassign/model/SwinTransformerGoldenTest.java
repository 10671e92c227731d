package autoassign.model;

import autoassign.GoldenFiles;
import autoassign.autograd.Graph;
import autoassign.backend.CheckedDeviceBackend;
import autoassign.tensor.Device;
import autoassign.tensor.MemoryScope;
import autoassign.config.SwinConfig;
import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
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
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MMDetection's SwinTransformer against torch 1.13 (scripts/goldens/swin.py: upstream's swin.py, PatchEmbed,
 * PatchMerging and MMCV's FFN transcribed onto torch.nn), every case of {@code <goldens>/swin}: state-dict names,
 * shapes and order (the relative_position_index buffers' values too), the eval outputs, and the gradients of the input
 * and of every parameter for loss = Σ out·w. The cases pad (odd sizes, for the patch embed, the windows and the patch
 * merging), shift windows, and vary window size, heads, qk_scale, qkv_bias, patch_norm and mlp_ratio; one has
 * use_abs_pos_embed (absolute_pos_embed [1, L, C] added to the patch tokens). Train-mode dropout: {@link SwinDropoutGoldenTest}.
 */
class SwinTransformerGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static SwinConfig fromGolden(JsonNode b) {
        int embed = b.get("embed_dims").asInt();
        List<Integer> depths = list(b.get("depths"));
        List<Integer> strides = new ArrayList<>(List.of(4, 2, 2, 2));
        while (strides.size() < depths.size()) strides.add(2);
        return new SwinConfig(embed, 4, b.get("window_size").asInt(), b.has("mlp_ratio") ? b.get("mlp_ratio").asInt() : 4,
                depths, list(b.get("num_heads")), strides.subList(0, depths.size()), list(b.get("out_indices")),
                !b.has("qkv_bias") || b.get("qkv_bias").asBoolean(), b.has("qk_scale") ? b.get("qk_scale").asDouble() : null,
                !b.has("patch_norm") || b.get("patch_norm").asBoolean(), 0.0, false, false, -1, null);
    }

    /** {@link #fromGolden}, with drop_rate / attn_drop_rate and use_abs_pos_embed / pretrain_img_size when the case sets them. */
    static SwinConfig fromGoldenWithPosEmbed(JsonNode b) {
        SwinConfig c = fromGolden(b);
        if (b.has("drop_rate") || b.has("attn_drop_rate"))
            c = c.withDropout(b.path("drop_rate").asDouble(0), b.path("attn_drop_rate").asDouble(0));
        if (!b.has("use_abs_pos_embed") || !b.get("use_abs_pos_embed").asBoolean()) return c;
        JsonNode p = b.get("pretrain_img_size");
        return p.isArray() ? c.withAbsPosEmbed(p.get(0).asInt(), p.get(p.size() - 1).asInt()) : c.withAbsPosEmbed(p.asInt(), p.asInt());
    }

    static List<Integer> list(JsonNode a) {
        List<Integer> l = new ArrayList<>();
        for (JsonNode v : a) l.add(v.asInt());
        return l;
    }

    static Stream<Arguments> cases() {
        return GoldenFiles.cases("swin", p -> p.getFileName().toString().endsWith(".json") && !p.getFileName().toString().equals("names.json"));
    }

    static SwinTransformer load(JsonNode c) {
        SwinTransformer m = new SwinTransformer(fromGoldenWithPosEmbed(c.get("backbone")));
        Map<String, Tensor> sd = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        for (JsonNode t : c.get("state_dict")) {
            names.add(t.get("name").asText());
            sd.put(t.get("name").asText(), Tensor.of(floats(t.get("values")), ints(t.get("shape"))));
        }
        assertEquals(names, List.copyOf(m.stateDict().keySet()), "state-dict names in upstream's order");
        for (var e : m.stateDict().entrySet())
            if (e.getKey().endsWith("relative_position_index"))
                assertArrayEquals(sd.get(e.getKey()).toFloatArray(), e.getValue().toFloatArray(), e.getKey());
        m.loadStateDict(sd, true);
        return m;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardAndGradientsMatchTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        SwinTransformer m = load(c);
        m.train(false);
        Tensor x = Tensor.of(floats(c.get("input")), ints(c.get("input_shape")));
        List<Tensor> outs;
        try (Graph.Scope g = Graph.noGrad()) {
            outs = m.forward(x);
        }
        JsonNode want = c.get("outputs");
        assertEquals(want.size(), outs.size(), name);
        for (int i = 0; i < outs.size(); i++) {
            assertArrayEquals(ints(want.get(i).get("shape")), outs.get(i).shape(), name + " output " + i);
            GoldenFiles.assertCloseToTorch(name + " output " + i, floats(want.get(i).get("values")), outs.get(i).toFloatArray(), 1e-4);
        }
        // backward of Σ out_i · w_i (train mode: drop path is 0 here, so the same function)
        m.train(true);
        x.setRequiresGrad(true);
        outs = m.forward(x);
        Tensor[] seeds = new Tensor[outs.size()];
        for (int i = 0; i < outs.size(); i++) seeds[i] = Tensor.of(floats(c.get("loss_weights").get(i)), outs.get(i).shape());
        Graph.backward(outs.toArray(new Tensor[0]), seeds);
        GoldenFiles.assertCloseToTorch(name + " input grad", floats(c.get("input_grad")), x.grad().toFloatArray(), 2e-4);
        Map<String, Tensor> params = m.namedParameters();
        for (JsonNode g : c.get("grads")) {
            String k = g.get("name").asText();
            assertNotNull(params.get(k).grad(), name + ": " + k + " has no gradient");
            GoldenFiles.assertCloseToTorch(name + " grad " + k, floats(g.get("values")), params.get(k).grad().toFloatArray(), 2e-4);
        }
    }

    /**
     * On the checked stand-in device (device buffers that fail on use after release, scopes that free a step's
     * intermediates): two training steps' forward + backward of the shifted-window case give the CPU's outputs and
     * gradients, the cached attention mask and gather indices outlive the first step's scope, and nothing is used after
     * release; an eval forward (intermediates released early) gives the same outputs.
     */
    @Test
    void runsOnADeviceWithScopedMemory() throws IOException {
        Path file = GoldenFiles.folder("swin").resolve("e8_w3_odd.json");
        JsonNode c = JSON.readTree(file.toFile());
        try (CheckedDeviceBackend dev = CheckedDeviceBackend.install(97)) {
            SwinTransformer m = load(c);
            m.to(Device.cuda(97));
            m.train(true);
            for (int step = 0; step < 2; step++) {
                for (Tensor p : m.namedParameters().values()) p.setGrad(null);
                try (MemoryScope ignored = MemoryScope.open()) {
                    Tensor x = Tensor.of(floats(c.get("input")), ints(c.get("input_shape"))).to(Device.cuda(97)).setRequiresGrad(true);
                    List<Tensor> outs = m.forward(x);
                    Tensor[] seeds = new Tensor[outs.size()];
                    for (int i = 0; i < outs.size(); i++) {
                        GoldenFiles.assertCloseToTorch("device output " + i, floats(c.get("outputs").get(i).get("values")),
                                outs.get(i).toFloatArray(), 1e-4);
                        seeds[i] = Tensor.of(floats(c.get("loss_weights").get(i)), outs.get(i).shape()).to(Device.cuda(97));
                    }
                    Graph.backward(outs.toArray(new Tensor[0]), seeds);
                    GoldenFiles.assertCloseToTorch("device input grad", floats(c.get("input_grad")), x.grad().toFloatArray(), 2e-4);
                    Map<String, Tensor> params = m.namedParameters();
                    for (JsonNode g : c.get("grads"))
                        GoldenFiles.assertCloseToTorch("device grad " + g.get("name").asText(), floats(g.get("values")),
                                params.get(g.get("name").asText()).grad().toFloatArray(), 2e-4);
                }
            }
            // inference: no tape, so every intermediate is released as soon as the forward is done with it
            m.train(false);
            try (MemoryScope ignored = MemoryScope.open(); Graph.Scope g = Graph.noGrad()) {
                List<Tensor> outs = m.forward(Tensor.of(floats(c.get("input")), ints(c.get("input_shape"))).to(Device.cuda(97)));
                for (int i = 0; i < outs.size(); i++)
                    GoldenFiles.assertCloseToTorch("device eval output " + i, floats(c.get("outputs").get(i).get("values")),
                            outs.get(i).toFloatArray(), 1e-4);
            }
            assertTrue(dev.violations().isEmpty(), dev.violations().toString());
        }
    }
}
