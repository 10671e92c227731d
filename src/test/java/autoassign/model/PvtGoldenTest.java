package autoassign.model;

import autoassign.GoldenFiles;
import autoassign.autograd.Graph;
import autoassign.backend.CheckedDeviceBackend;
import autoassign.config.BackboneConfigs;
import autoassign.config.PvtConfig;
import autoassign.tensor.Device;
import autoassign.tensor.MemoryScope;
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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MMDetection's PyramidVisionTransformer (v1) and PyramidVisionTransformerV2 against torch 1.13 (scripts/goldens/pvt.py:
 * upstream's pvt.py, PatchEmbed and MMCV's MultiheadAttention transcribed onto torch.nn), every case of
 * {@code <goldens>/pvt}: the backbone built from the case's upstream keys (the YAML path with its checks), state-dict
 * names, shapes and order, the eval outputs, and the gradients of the input and of every parameter for
 * loss = Σ out·w. The v1 cases resize the position embeddings (up, down, mixed) or keep them at the pretrain grid; the
 * v2 cases run the overlapping patch embed and MixFFN's depth-wise conv on odd sizes.
 */
class PvtGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() {
        return GoldenFiles.cases("pvt", p -> p.getFileName().toString().endsWith(".json") && !p.getFileName().toString().equals("names.json"));
    }

    static PyramidVisionTransformer load(JsonNode c) {
        PvtConfig cfg = (PvtConfig) BackboneConfigs.specFromJson(c.get("backbone"));
        PyramidVisionTransformer m = new PyramidVisionTransformer(cfg);
        Map<String, Tensor> sd = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        for (JsonNode t : c.get("state_dict")) {
            names.add(t.get("name").asText());
            sd.put(t.get("name").asText(), Tensor.of(floats(t.get("values")), ints(t.get("shape"))));
        }
        assertEquals(names, List.copyOf(m.stateDict().keySet()), "state-dict names in upstream's order");
        for (var e : m.stateDict().entrySet())
            assertArrayEquals(sd.get(e.getKey()).shape(), e.getValue().shape(), e.getKey());
        m.loadStateDict(sd, true);
        return m;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardAndGradientsMatchTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        PyramidVisionTransformer m = load(c);
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
        m.train(true); // drop path 0 here: the same function
        x.setRequiresGrad(true);
        outs = m.forward(x);
        Tensor[] seeds = new Tensor[outs.size()];
        for (int i = 0; i < outs.size(); i++) seeds[i] = Tensor.of(floats(c.get("loss_weights").get(i)), outs.get(i).shape());
        Graph.backward(outs.toArray(new Tensor[0]), seeds);
        GoldenFiles.assertCloseToTorch(name + " input grad", floats(c.get("input_grad")), x.grad().toFloatArray(), 2e-4);
        Map<String, Tensor> params = m.namedParameters();
        java.util.Set<String> withGrad = new java.util.HashSet<>();
        for (JsonNode g : c.get("grads")) {
            String k = g.get("name").asText();
            withGrad.add(k);
            assertNotNull(params.get(k).grad(), name + ": " + k + " has no gradient");
            GoldenFiles.assertCloseToTorch(name + " grad " + k, floats(g.get("values")), params.get(k).grad().toFloatArray(), 2e-4);
        }
        // torch leaves the stages after the last output without gradients; so does the engine (it does not run them)
        for (var e : params.entrySet())
            if (!withGrad.contains(e.getKey())) {
                assertNull(e.getValue().grad(), name + ": " + e.getKey() + " should have no gradient");
                assertTrue(m.parametersAfterTheLastOutput().contains(e.getKey()), e.getKey());
            }
    }

    /**
     * On the checked stand-in device (buffers that fail on use after release, scopes that free a step's
     * intermediates): two training steps of the v1 resize case and of the 4-stage v2 case (batch 2) give the CPU's
     * outputs and gradients, and an eval forward the same outputs; nothing is used after release.
     */
    @Test
    void runsOnADeviceWithScopedMemory() throws IOException {
        for (String caseName : new String[] {"v1_e4_up_odd.json", "v2_e4_four_stages.json"}) {
            JsonNode c = JSON.readTree(GoldenFiles.folder("pvt").resolve(caseName).toFile());
            try (CheckedDeviceBackend dev = CheckedDeviceBackend.install(98)) {
                PyramidVisionTransformer m = load(c);
                m.to(Device.cuda(98));
                m.train(true);
                for (int step = 0; step < 2; step++) {
                    for (Tensor p : m.namedParameters().values()) p.setGrad(null);
                    try (MemoryScope ignored = MemoryScope.open()) {
                        Tensor x = Tensor.of(floats(c.get("input")), ints(c.get("input_shape"))).to(Device.cuda(98)).setRequiresGrad(true);
                        List<Tensor> outs = m.forward(x);
                        Tensor[] seeds = new Tensor[outs.size()];
                        for (int i = 0; i < outs.size(); i++) {
                            GoldenFiles.assertCloseToTorch(caseName + " device output " + i, floats(c.get("outputs").get(i).get("values")),
                                    outs.get(i).toFloatArray(), 1e-4);
                            seeds[i] = Tensor.of(floats(c.get("loss_weights").get(i)), outs.get(i).shape()).to(Device.cuda(98));
                        }
                        Graph.backward(outs.toArray(new Tensor[0]), seeds);
                        GoldenFiles.assertCloseToTorch(caseName + " device input grad", floats(c.get("input_grad")), x.grad().toFloatArray(), 2e-4);
                        Map<String, Tensor> params = m.namedParameters();
                        for (JsonNode g : c.get("grads"))
                            GoldenFiles.assertCloseToTorch(caseName + " device grad " + g.get("name").asText(), floats(g.get("values")),
                                    params.get(g.get("name").asText()).grad().toFloatArray(), 2e-4);
                    }
                }
                m.train(false);
                try (MemoryScope ignored = MemoryScope.open(); Graph.Scope g = Graph.noGrad()) {
                    List<Tensor> outs = m.forward(Tensor.of(floats(c.get("input")), ints(c.get("input_shape"))).to(Device.cuda(98)));
                    for (int i = 0; i < outs.size(); i++)
                        GoldenFiles.assertCloseToTorch(caseName + " device eval output " + i, floats(c.get("outputs").get(i).get("values")),
                                outs.get(i).toFloatArray(), 1e-4);
                }
                assertTrue(dev.violations().isEmpty(), dev.violations().toString());
            }
        }
    }
}
