package autoassign.model;

import autoassign.GoldenFiles;
import autoassign.autograd.Graph;
import autoassign.config.EfficientNetConfig;
import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static autoassign.GoldenFiles.floats;
import static autoassign.GoldenFiles.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * MMDetection 3.3.0's EfficientNet against {@code goldens/efficientnet} ({@code scripts/goldens/efficientnet.py}: upstream's
 * efficientnet.py, InvertedResidual, SELayer, MMCV's ConvModule and Conv2dAdaptivePadding transcribed onto torch 1.13;
 * weights from the formula of {@link MobileNetV2Test#formulaWeights}): every case's outputs — eval mode, or train mode
 * (batch statistics) with the gradients of Σ out_i · cos(0.11 j + 0.7 i) for the input and named parameters (SE,
 * depth-wise convs at odd and even sizes, i.e. symmetric and asymmetric "same" padding, EdgeResidual) — and, for every
 * arch b0..b8 / es / em / el, the parameter count, state-dict size, output channels, names and shapes (b0, b3, es, em) and
 * MMEngine's FLOPs at 224×224 (b0, b3, es).
 */
class EfficientNetGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static EfficientNetConfig config(JsonNode backbone) {
        return EfficientNetConfig.parse("golden", (ObjectNode) backbone.deepCopy());
    }

    static Stream<Arguments> cases() {
        return GoldenFiles.cases("efficientnet", p -> p.getFileName().toString().endsWith(".json") && !p.getFileName().toString().equals("names.json"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        EfficientNet m = new EfficientNet(config(c.get("backbone")));
        m.loadStateDict(MobileNetV2Test.formulaWeights(m), true);
        boolean train = "train".equals(c.get("mode").asText());
        m.train(train);
        Tensor x = Tensor.of(floats(c.get("input")), ints(c.get("input_shape")));
        List<Tensor> outs;
        if (train) {
            x.setRequiresGrad(true);
            outs = m.forward(x);
        } else {
            try (Graph.Scope g = Graph.noGrad()) {
                outs = m.forward(x);
            }
        }
        assertEquals(c.get("outputs").size(), outs.size(), name);
        for (int i = 0; i < outs.size(); i++) {
            JsonNode o = c.get("outputs").get(i);
            assertArrayEquals(ints(o.get("shape")), outs.get(i).shape(), name + " output " + i);
            assertEquals(m.config().outChannels().get(i), outs.get(i).dim(1));
            int s = m.config().outStrides().get(i);
            assertEquals((x.dim(2) + s - 1) / s, outs.get(i).dim(2), "stride of output " + i);
            GoldenFiles.assertCloseToTorch(name + " output " + i, floats(o.get("values")), outs.get(i).toFloatArray(), 5e-5);
        }
        if (!train) return;
        Tensor[] seeds = new Tensor[outs.size()];
        for (int i = 0; i < seeds.length; i++) {
            float[] v = new float[outs.get(i).numel()];
            for (int j = 0; j < v.length; j++) v[j] = (float) Math.cos(0.11 * j + 0.7 * i);
            seeds[i] = Tensor.of(v, outs.get(i).shape());
        }
        Graph.backward(outs.toArray(new Tensor[0]), seeds);
        assertEquals(0, Graph.size());
        Map<String, Tensor> params = m.namedParameters();
        for (JsonNode g : c.get("grads")) {
            String k = g.get("name").asText();
            Tensor t = k.equals("input") ? x : params.get(k);
            assertNotNull(t, name + ": no tensor " + k);
            assertNotNull(t.grad(), name + ": " + k + " got no gradient");
            assertArrayEquals(ints(g.get("shape")), t.grad().shape(), k);
            GoldenFiles.assertCloseToTorch(name + ": d " + k, floats(g.get("values")), t.grad().toFloatArray(), 3e-4);
        }
    }

    @Test
    void everyArchHasUpstreamSizesNamesAndFlops() throws IOException {
        JsonNode all = JSON.readTree(GoldenFiles.folder("efficientnet").resolve("names.json").toFile());
        assertEquals(24, all.get("networks").size());
        for (JsonNode n : all.get("networks")) {
            String name = n.get("name").asText();
            EfficientNetConfig cfg = config(n.get("backbone"));
            assertEquals(n.get("parameters").asLong(), planParameters(cfg), name + ": parameters of the block plan");
            List<Integer> ch = new ArrayList<>();
            for (JsonNode v : n.get("out_channels")) ch.add(v.asInt());
            assertEquals(ch, cfg.outChannels(), name + ": out channels");
            if (n.get("parameters").asLong() > 30_000_000L) continue; // b5..b8: the plan's count only (no 100+ MB allocations)
            EfficientNet m = new EfficientNet(cfg);
            assertEquals(n.get("parameters").asLong(), m.parameterCount(), name + ": parameters");
            Map<String, Tensor> sd = m.stateDict();
            assertEquals(n.get("state_dict_entries").asInt(), sd.size(), name + ": state-dict entries");
            if (n.has("state_dict")) {
                List<String> names = new ArrayList<>();
                for (JsonNode t : n.get("state_dict")) {
                    names.add(t.get("name").asText());
                    assertArrayEquals(ints(t.get("shape")), sd.get(t.get("name").asText()).shape(), name + ": " + t.get("name").asText());
                }
                assertEquals(names, List.copyOf(sd.keySet()), name + ": names in upstream's order");
            }
            if (n.has("flops")) {
                int[] in = ints(n.get("flops_input"));
                Map<String, Long> byModule = EfficientNetFlops.byModule(m, in[0], in[1]);
                n.get("flops").fields().forEachRemaining(e ->
                        assertEquals(e.getValue().asLong(), byModule.get(e.getKey()), name + ": flops of '" + e.getKey() + "'"));
            }
        }
    }

    /** Parameters of the built layers from the block plan alone: conv weights, BN weight + bias, SE conv weight + bias. */
    private static long planParameters(EfficientNetConfig c) {
        long p = convBn(3, c.stemChannels(), 3, 1);
        for (int i = 1; i <= Math.min(c.lastLayer(), 5); i++)
            for (EfficientNetConfig.Block b : c.blocks().get(i - 1)) {
                if (b.edge()) p += convBn(b.in(), b.mid(), b.kernel(), 1) + convBn(b.mid(), b.out(), 1, 1);
                else p += (b.expandConv() ? convBn(b.in(), b.mid(), 1, 1) : 0) + convBn(b.mid(), b.mid(), b.kernel(), b.mid())
                        + convBn(b.mid(), b.out(), 1, 1);
                if (b.seChannels() > 0) p += 2L * b.mid() * b.seChannels() + b.seChannels() + b.mid();
            }
        if (c.lastLayer() == 6) p += convBn(c.layerChannels(5), c.lastChannels(), 1, 1);
        return p;
    }

    private static long convBn(int in, int out, int k, int groups) { return (long) out * (in / groups) * k * k + 2L * out; }
}
