package autoassign.model;

import autoassign.GoldenFiles;
import autoassign.autograd.Graph;
import autoassign.config.MobileNetV2Config;
import autoassign.config.NormConfig;
import autoassign.nn.BatchNorm2d;
import autoassign.nn.Module;
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
import java.util.Random;
import java.util.stream.Stream;

import static autoassign.GoldenFiles.floats;
import static autoassign.GoldenFiles.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MMDetection's MobileNetV2 ({@code mmdet/models/backbones/mobilenet_v2.py}): the eval forward of every case of
 * {@code <goldens>/mobilenet_v2} against torch 1.13 (scripts/goldens/mobilenet_v2.py: upstream's MobileNetV2,
 * InvertedResidual and ConvModule transcribed onto torch.nn, weights from a formula both sides evaluate), the names,
 * shapes and parameter counts of widen 1.0 / 0.5 / 1.4, frozen stages, and a backward that agrees with finite
 * differences.
 */
class MobileNetV2Test {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final NormConfig BN = new NormConfig("BN", 0, true, 1e-5);

    static MobileNetV2Config fromGolden(JsonNode b) {
        List<Integer> out = b.has("out_indices") ? intList(b.get("out_indices")) : List.of(1, 2, 4, 7);
        // optional act_cfg (LeakyReLU and its negative_slope) and norm_cfg (BN's eps and momentum)
        JsonNode act = b.get("act_cfg"), norm = b.get("norm_cfg");
        String type = act == null ? MobileNetV2Config.RELU6 : act.get("type").asText();
        double slope = act != null && act.has("negative_slope") ? act.get("negative_slope").asDouble() : MobileNetV2Config.DEFAULT_NEGATIVE_SLOPE;
        NormConfig bn = norm == null ? BN : new NormConfig("BN", 0, true, norm.get("eps").asDouble(), norm.get("momentum").asDouble());
        return new MobileNetV2Config(b.get("widen_factor").asDouble(), out, -1, bn, type, slope, false, false, null);
    }

    private static List<Integer> intList(JsonNode a) {
        List<Integer> l = new ArrayList<>();
        for (JsonNode v : a) l.add(v.asInt());
        return l;
    }

    /** The generator's weights: entry k, element j: sin(0.37 j + 1.3 k), scaled per kind (see mobilenet_v2.py). */
    static Map<String, Tensor> formulaWeights(Module m) {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        int k = 0;
        for (var e : m.stateDict().entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name.endsWith("num_batches_tracked")) {
                sd.put(name, t);
                k++;
                continue;
            }
            int[] s = t.shape();
            float[] v = new float[t.numel()];
            for (int j = 0; j < v.length; j++) {
                double x = Math.sin(0.37 * j + 1.3 * k);
                if (s.length == 4) x *= Math.sqrt(2.0 / (s[1] * s[2] * s[3]));
                else if (name.endsWith("running_var")) x = 1 + 0.4 * x;
                else if (name.endsWith("weight")) x = 1 + 0.25 * x;
                else x = 0.2 * x;
                v[j] = (float) x;
            }
            sd.put(name, Tensor.of(v, s));
            k++;
        }
        return sd;
    }

    static Stream<Arguments> cases() {
        return GoldenFiles.cases("mobilenet_v2", p -> p.getFileName().toString().endsWith(".json") && !p.getFileName().toString().equals("names.json"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardMatchesTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        MobileNetV2 m = new MobileNetV2(fromGolden(c.get("backbone")));
        m.loadStateDict(formulaWeights(m), true);
        m.train(false);
        Tensor x = Tensor.of(floats(c.get("input")), ints(c.get("input_shape")));
        List<Tensor> outs;
        try (Graph.Scope g = Graph.noGrad()) {
            outs = m.forward(x);
        }
        assertEquals(c.get("outputs").size(), outs.size(), name);
        for (int i = 0; i < outs.size(); i++) {
            JsonNode o = c.get("outputs").get(i);
            assertArrayEquals(ints(o.get("shape")), outs.get(i).shape(), name + " output " + i);
            assertEquals(m.config().outChannels().get(i), outs.get(i).dim(1));
            assertEquals((x.dim(2) + m.config().outStrides().get(i) - 1) / m.config().outStrides().get(i), outs.get(i).dim(2),
                    "stride of output " + i);
            GoldenFiles.assertCloseToTorch(name + " output " + i, floats(o.get("values")), outs.get(i).toFloatArray(), 3e-5);
        }
    }

    @Test
    void realNetworksHaveUpstreamNamesShapesAndParameterCounts() throws IOException {
        JsonNode all = JSON.readTree(GoldenFiles.folder("mobilenet_v2").resolve("names.json").toFile());
        assertEquals(3, all.get("networks").size());
        for (JsonNode net : all.get("networks")) {
            String name = net.get("name").asText();
            MobileNetV2 m = new MobileNetV2(fromGolden(net.get("backbone")));
            Map<String, Tensor> sd = m.stateDict();
            List<String> names = new ArrayList<>();
            for (JsonNode t : net.get("state_dict")) {
                String k = t.get("name").asText();
                names.add(k);
                assertNotNull(sd.get(k), name + ": " + k);
                assertArrayEquals(ints(t.get("shape")), sd.get(k).shape(), name + ": " + k);
            }
            assertEquals(names, List.copyOf(sd.keySet()), name + ": state-dict names in upstream's order");
            assertEquals(net.get("parameters").asLong(), m.parameterCount(), name + ": parameters");
        }
        MobileNetV2 m = new MobileNetV2(fromGolden(all.get("networks").get(0).get("backbone")));
        assertEquals(2_223_872L, m.parameterCount(), "MobileNetV2 1.0 without the classifier: 2.22 M");
        Map<String, Tensor> sd = m.stateDict();
        for (String k : List.of("conv1.conv.weight", "conv1.bn.running_var", "layer1.0.depthwise_conv.conv.weight",
                "layer1.0.linear_conv.bn.bias", "layer2.0.expand_conv.conv.weight", "layer7.0.linear_conv.conv.weight",
                "conv2.conv.weight", "conv2.bn.weight"))
            assertNotNull(sd.get(k), k);
        assertFalse(sd.containsKey("layer1.0.expand_conv.conv.weight"), "expand_ratio 1: no expand conv");
        assertArrayEquals(new int[] {96, 1, 3, 3}, sd.get("layer2.0.depthwise_conv.conv.weight").shape());
        assertArrayEquals(new int[] {1280, 320, 1, 1}, sd.get("conv2.conv.weight").shape());
        assertEquals(List.of(24, 32, 96, 1280), m.config().outChannels());
        assertEquals(List.of(4, 8, 16, 32), m.config().outStrides());
    }

    @Test
    void makeDivisibleIsUpstreams() {
        // values of mmdet/models/utils/make_divisible.py (torch-side run): nearest multiple, >= divisor, >= 90%
        double[] in = {8.0, 11.2, 8.4, 112.0, 72.0, 4.0, 11.9, 13.0, 224.0, 23.9};
        int[] want = {8, 16, 8, 112, 72, 8, 16, 16, 224, 24};
        for (int i = 0; i < in.length; i++) assertEquals(want[i], MobileNetV2Config.makeDivisible(in[i], 8), "make_divisible(" + in[i] + ")");
    }

    /** frozen_stages 2: conv1's parameters, layer1 and layer2 frozen; layer1/2 BN on running statistics, conv1's BN not. */
    @Test
    void frozenStagesFollowUpstream() {
        MobileNetV2 m = new MobileNetV2(new MobileNetV2Config(0.35, List.of(1, 2, 4, 7), 2, BN, MobileNetV2Config.RELU6, false, false, null));
        m.train(true);
        m.namedParameters().forEach((k, t) -> assertEquals(!(k.startsWith("conv1.") || k.startsWith("layer1.") || k.startsWith("layer2.")),
                t.requiresGrad(), k));
        assertTrue(((BatchNorm2d) m.conv1.norm).normalisesWithBatchStatistics(), "upstream freezes conv1's parameters only");
        assertFalse(((BatchNorm2d) m.layers.get(1).get(0).depthwiseConv.norm).normalisesWithBatchStatistics());
        assertTrue(((BatchNorm2d) m.layers.get(2).get(0).depthwiseConv.norm).normalisesWithBatchStatistics());
        assertTrue(((BatchNorm2d) m.conv2.norm).normalisesWithBatchStatistics());
        MobileNetV2 e = new MobileNetV2(new MobileNetV2Config(0.35, List.of(7), -1, BN, MobileNetV2Config.RELU6, true, false, null));
        e.train(true);
        assertFalse(((BatchNorm2d) e.conv2.norm).normalisesWithBatchStatistics(), "norm_eval");
        assertNull(e.layers.get(0).get(0).expandConv);
    }

    /**
     * Train mode (batch statistics), GroupNorm-free BN path: every parameter on the path gets a gradient, and the
     * directional derivative along a depthwise, an expand, a linear conv and conv2 agrees with central differences.
     */
    @Test
    void gradientsMatchFiniteDifferences() {
        MobileNetV2 m = new MobileNetV2(new MobileNetV2Config(0.35, List.of(2, 7), -1, BN, MobileNetV2Config.RELU6, true, false, null));
        m.loadStateDict(formulaWeights(m), true);
        m.train(true);
        Tensor x = DetectorShapeTest.randomImage(2, 64, 32, 5);
        Random rng = new Random(9);
        List<float[]> seeds = new ArrayList<>();
        List<Tensor> outs = m.forward(x);
        Tensor[] seedT = new Tensor[outs.size()];
        for (int i = 0; i < outs.size(); i++) {
            float[] s = new float[outs.get(i).numel()];
            for (int j = 0; j < s.length; j++) s[j] = (float) rng.nextGaussian();
            seeds.add(s);
            seedT[i] = Tensor.of(s, outs.get(i).shape());
        }
        Graph.backward(outs.toArray(new Tensor[0]), seedT);
        assertEquals(0, Graph.size());
        Map<String, Tensor> params = m.namedParameters();
        for (var e : params.entrySet()) assertNotNull(e.getValue().grad(), e.getKey() + " must get a gradient");
        for (String k : List.of("conv1.conv.weight", "layer1.0.depthwise_conv.conv.weight", "layer3.1.expand_conv.conv.weight",
                "layer3.2.linear_conv.conv.weight", "layer5.0.depthwise_conv.conv.weight", "conv2.conv.weight")) {
            Tensor w = params.get(k);
            float[] dir = new float[w.numel()], g = w.grad().toFloatArray(), w0 = w.toFloatArray();
            double analytic = 0;
            for (int j = 0; j < dir.length; j++) {
                dir[j] = (float) rng.nextGaussian();
                analytic += dir[j] * g[j];
            }
            List<Double> numeric = new ArrayList<>();
            double best = Double.MAX_VALUE;
            for (double eps : new double[] {3e-4, 1e-4, 3e-5}) { // float32 forward with ReLU6 kinks: best of three steps
                double n = (SeededLoss.of(m, x, w, w0, dir, eps, seeds) - SeededLoss.of(m, x, w, w0, dir, -eps, seeds)) / (2 * eps);
                numeric.add(n);
                best = Math.min(best, Math.abs(n - analytic));
            }
            w.copyFrom(Tensor.of(w0, w.shape()));
            assertTrue(best <= 0.03 * Math.max(1, Math.abs(analytic)), k + ": analytic " + analytic + ", numeric " + numeric);
        }
    }
}
