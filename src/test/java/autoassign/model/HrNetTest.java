package autoassign.model;

import autoassign.GoldenFiles;
import autoassign.autograd.Graph;
import autoassign.config.HrNetConfig;
import autoassign.config.NormConfig;
import autoassign.nn.BatchNorm2d;
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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static autoassign.GoldenFiles.floats;
import static autoassign.GoldenFiles.ints;

/**
 * MMDetection's HRNet ({@code mmdet/models/backbones/hrnet.py}): state-dict names, order and shapes and the eval-mode
 * forward against torch 1.13 (every case of {@code <goldens>/hrnet}, scripts/goldens/hrnet.py: upstream's HRNet
 * transcribed onto torch.nn), the names, shapes and parameter counts of the real HRNetV2-W18 / W32 / W40, and a
 * backward whose gradients agree with finite differences.
 */
class HrNetTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static HrNetConfig.Stage stage(JsonNode s) {
        return new HrNetConfig.Stage(s.get("num_modules").asInt(), s.get("num_branches").asInt(), s.get("block").asText(),
                intList(s.get("num_blocks")), intList(s.get("num_channels")));
    }

    static HrNetConfig fromGolden(JsonNode b, NormConfig norm, boolean normEval) {
        List<HrNetConfig.Stage> stages = new ArrayList<>();
        for (int k = 1; k <= 4; k++) stages.add(stage(b.get("extra").get("stage" + k)));
        return new HrNetConfig(stages, norm, normEval, b.path("multiscale_output").asBoolean(true), false, false, null);
    }

    static HrNetConfig fromGolden(JsonNode b) { return fromGolden(b, new NormConfig("BN", 0, true, 1e-5), true); }

    static Stream<Arguments> cases() {
        return GoldenFiles.cases("hrnet", p -> p.getFileName().toString().endsWith(".json") && !p.getFileName().toString().equals("names.json"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void stateDictAndForwardMatchTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        HrNet r = new HrNet(fromGolden(c.get("backbone")));
        Map<String, Tensor> want = new LinkedHashMap<>();
        for (JsonNode t : c.get("state_dict")) want.put(t.get("name").asText(), Tensor.of(floats(t.get("values")), ints(t.get("shape"))));
        assertEquals(List.copyOf(want.keySet()), List.copyOf(r.stateDict().keySet()), name + ": state-dict names");
        r.loadStateDict(want, true);
        Tensor x = Tensor.of(floats(c.get("input")), ints(c.get("input_shape")));
        List<Tensor> outs;
        try (Graph.Scope g = Graph.noGrad()) {
            outs = r.forward(x);
        }
        assertEquals(c.get("outputs").size(), outs.size(), name);
        assertEquals(r.config().outChannels().size(), outs.size());
        for (int i = 0; i < outs.size(); i++) {
            JsonNode o = c.get("outputs").get(i);
            assertArrayEquals(ints(o.get("shape")), outs.get(i).shape(), name + " output " + i);
            assertEquals(r.config().outChannels().get(i), outs.get(i).dim(1));
            assertEquals(r.config().outStrides().get(i) * outs.get(i).dim(2), x.dim(2), "stride of output " + i);
            GoldenFiles.assertCloseToTorch(name + " output " + i, floats(o.get("values")), outs.get(i).toFloatArray(), 2e-5);
        }
    }

    /** HRNetV2-W18 / W32 / W40 as MMDetection's configs/hrnet build them: every name and shape, upstream's order. */
    @Test
    void realNetworksHaveUpstreamNamesShapesAndParameterCounts() throws IOException {
        JsonNode all = JSON.readTree(GoldenFiles.folder("hrnet").resolve("names.json").toFile());
        assertEquals(3, all.get("networks").size());
        for (JsonNode net : all.get("networks")) {
            String name = net.get("name").asText();
            HrNet r = new HrNet(fromGolden(net.get("backbone")));
            Map<String, Tensor> sd = r.stateDict();
            List<String> names = new ArrayList<>();
            for (JsonNode t : net.get("state_dict")) {
                String k = t.get("name").asText();
                names.add(k);
                assertNotNull(sd.get(k), name + ": " + k);
                assertArrayEquals(ints(t.get("shape")), shapeOf(sd.get(k)), name + ": " + k);
            }
            assertEquals(names, List.copyOf(sd.keySet()), name + ": state-dict names in upstream's order");
            assertEquals(net.get("parameters").asLong(), r.parameterCount(), name + ": parameters");
        }
        // the names the brief and the pretrained files use
        HrNet w32 = new HrNet(fromGolden(all.get("networks").get(1).get("backbone")));
        Map<String, Tensor> sd = w32.stateDict();
        assertEquals(29_305_536L, w32.parameterCount(), "HRNetV2-W32 backbone: 29.3 M");
        for (String k : List.of("conv1.weight", "bn1.running_var", "conv2.weight", "bn2.weight", "layer1.0.conv1.weight",
                "layer1.0.downsample.0.weight", "layer1.0.downsample.1.running_mean", "transition1.0.0.weight",
                "transition1.0.1.weight", "transition1.1.0.0.weight", "transition1.1.0.1.bias", "transition2.2.0.0.weight",
                "transition3.3.0.0.weight", "stage2.0.branches.0.0.conv1.weight", "stage2.0.fuse_layers.0.1.0.weight",
                "stage2.0.fuse_layers.0.1.1.running_var", "stage2.0.fuse_layers.1.0.0.0.weight",
                "stage4.2.fuse_layers.3.0.2.0.weight", "stage4.2.fuse_layers.3.0.1.1.weight", "stage4.2.branches.3.3.bn2.bias"))
            assertNotNull(sd.get(k), k);
        assertArrayEquals(new int[] {32, 256, 3, 3}, sd.get("transition1.0.0.weight").shape());
        assertArrayEquals(new int[] {64, 256, 3, 3}, sd.get("transition1.1.0.0.weight").shape());
        assertArrayEquals(new int[] {32, 64, 1, 1}, sd.get("stage2.0.fuse_layers.0.1.0.weight").shape());
        assertArrayEquals(new int[] {256, 32, 3, 3}, sd.get("stage4.2.fuse_layers.3.0.2.0.weight").shape());
        assertFalse(sd.containsKey("transition2.0.0.weight"), "transition2.0 / .1 are None: the channels match");
        assertFalse(sd.keySet().stream().anyMatch(k -> k.startsWith("stage2.0.fuse_layers.0.0.")), "fuse_layers.i.i is None");
        assertEquals(List.of(32, 64, 128, 256), w32.config().outChannels());
        assertEquals(List.of(4, 8, 16, 32), w32.config().outStrides());
    }

    /**
     * A forward + backward on the CPU: every parameter gets a gradient, and along the stem, a transition, both kinds of
     * fuse layer and a branch the directional derivative agrees with a central difference of the float32 forward
     * (the ops' own double-precision checks live with the ops; this checks how HRNet wires them).
     */
    @Test
    void everyParameterGetsAGradientThatMatchesFiniteDifferences() throws IOException {
        JsonNode c = JSON.readTree(GoldenFiles.folder("hrnet").resolve("two_new_branches.json").toFile());
        HrNet r = new HrNet(fromGolden(c.get("backbone")));
        Map<String, Tensor> sd = new LinkedHashMap<>(); // torch's weights: activations of order 1 (Kaiming's grow)
        for (JsonNode t : c.get("state_dict")) sd.put(t.get("name").asText(), Tensor.of(floats(t.get("values")), ints(t.get("shape"))));
        r.loadStateDict(sd, true);
        r.train(true);
        Tensor x = DetectorShapeTest.randomImage(2, 64, 32, 5);
        Random rng = new Random(9);
        List<float[]> seeds = new ArrayList<>();
        List<Tensor> outs = r.forward(x);
        Tensor[] seedT = new Tensor[outs.size()];
        for (int i = 0; i < outs.size(); i++) {
            float[] s = new float[outs.get(i).numel()];
            for (int j = 0; j < s.length; j++) s[j] = (float) rng.nextGaussian();
            seeds.add(s);
            seedT[i] = Tensor.of(s, outs.get(i).shape());
        }
        Graph.backward(outs.toArray(new Tensor[0]), seedT);
        assertEquals(0, Graph.size());
        Map<String, Tensor> params = r.namedParameters();
        for (var e : params.entrySet()) assertNotNull(e.getValue().grad(), e.getKey() + " must get a gradient");
        for (String k : List.of("conv2.weight", "layer1.0.conv3.weight", "transition1.1.0.0.weight",
                "transition3.3.1.0.weight", "stage3.0.fuse_layers.0.1.0.weight", "stage4.0.fuse_layers.3.0.1.0.weight",
                "stage4.0.fuse_layers.2.1.0.0.weight", "stage4.0.branches.2.0.conv2.weight")) {
            Tensor w = params.get(k);
            float[] dir = new float[w.numel()], g = w.grad().toFloatArray(), w0 = w.toFloatArray();
            double analytic = 0;
            for (int j = 0; j < dir.length; j++) {
                dir[j] = (float) rng.nextGaussian();
                analytic += dir[j] * g[j];
            }
            // float32 forward with many ReLU kinks: a step may cross one (±10% at 3e-4 for some weights); accept the
            // best of three small steps within 3%, a wrongly wired gradient is far from all of them
            List<Double> numeric = new ArrayList<>();
            double best = Double.MAX_VALUE;
            for (double eps : new double[] {3e-4, 1e-4, 3e-5}) {
                double n = (SeededLoss.of(r, x, w, w0, dir, eps, seeds) - SeededLoss.of(r, x, w, w0, dir, -eps, seeds)) / (2 * eps);
                numeric.add(n);
                best = Math.min(best, Math.abs(n - analytic));
            }
            w.copyFrom(Tensor.of(w0, w.shape()));
            assertTrue(best <= 0.03 * Math.max(1, Math.abs(analytic)), k + ": analytic " + analytic + ", numeric " + numeric);
        }
    }

    /** An input whose size is not divisible by 32 cannot be fused (upstream fails on the addition too). */
    @Test
    void inputSizeMustFuse() throws IOException {
        JsonNode c = JSON.readTree(GoldenFiles.folder("hrnet").resolve("w4_small.json").toFile());
        HrNet r = new HrNet(fromGolden(c.get("backbone")));
        try (Graph.Scope g = Graph.noGrad()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.forward(Tensor.zeros(1, 3, 72, 64)));
            assertTrue(e.getMessage().contains("divisible by 32"), e.getMessage());
        }
    }

    /** norm_eval false: every BatchNorm normalises with batch statistics in train mode. */
    @Test
    void normEvalFalseUsesBatchStatistics() throws IOException {
        JsonNode c = JSON.readTree(GoldenFiles.folder("hrnet").resolve("w4_small.json").toFile());
        HrNet r = new HrNet(fromGolden(c.get("backbone"), new NormConfig("BN", 0, true, 1e-5), false));
        r.train(true);
        int[] n = {0};
        Norms.forEachBatchNorm(r, bn -> { assertTrue(bn.normalisesWithBatchStatistics()); n[0]++; });
        HrNet frozen = new HrNet(fromGolden(c.get("backbone")));
        frozen.train(true);
        Norms.forEachBatchNorm(frozen, bn -> assertFalse(bn.normalisesWithBatchStatistics()));
        assertEquals(c.get("state_dict").size() > 0, n[0] > 0);
        assertTrue(r.namedParameters().values().stream().allMatch(Tensor::requiresGrad), "no frozen stages in HRNet");
        assertTrue(r.children().values().stream().noneMatch(m -> m instanceof BatchNorm2d bn && !bn.trainsAffine()));
    }

    static List<Integer> intList(JsonNode a) {
        List<Integer> v = new ArrayList<>();
        a.forEach(n -> v.add(n.asInt()));
        return v;
    }

    /** A 0-dim tensor (num_batches_tracked) has shape [] in torch. */
    private static int[] shapeOf(Tensor t) { return t.shape(); }
}
