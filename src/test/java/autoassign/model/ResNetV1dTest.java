package autoassign.model;

import autoassign.GoldenFiles;
import autoassign.autograd.Graph;
import autoassign.config.BackboneConfig;
import autoassign.config.NormConfig;
import autoassign.nn.AvgPool2d;
import autoassign.nn.ReLU;
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
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static autoassign.GoldenFiles.floats;
import static autoassign.GoldenFiles.ints;

/**
 * MMDetection's {@code deep_stem} / {@code avg_down} ResNet ({@code ResNetV1d}; {@code type: ResNet, deep_stem: true}
 * is ResNetV1c's layout): state-dict names and shapes, the eval-mode forward against torch 1.13 (every case of
 * {@code <goldens>/resnet_v1d}, scripts/goldens/resnet_v1d.py: upstream's stem and ResLayer transcribed onto torch.nn),
 * and a forward + backward on the CPU (every trainable tensor gets a gradient that agrees with a directional finite
 * difference; a frozen deep stem gets none).
 */
class ResNetV1dTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static BackboneConfig cfg(String type, int depth, int stem, int base, int stages, List<Integer> out, int frozen,
                              boolean deepStem, boolean avgDown) {
        return new BackboneConfig(depth, stages, base, stem, out, frozen, NormConfig.RESNET_DEFAULT, true, "pytorch", true,
                null, type, 1, 4).withStemAndDownsample(deepStem, avgDown);
    }

    static BackboneConfig fromGolden(JsonNode b) {
        String type = b.get("type").asText();
        boolean v1d = BackboneConfig.RESNET_V1D.equals(type);
        List<Integer> out = new ArrayList<>();
        b.get("out_indices").forEach(v -> out.add(v.asInt()));
        return cfg(type, b.get("depth").asInt(), b.get("stem_channels").asInt(), b.get("base_channels").asInt(),
                b.get("num_stages").asInt(), out, -1, v1d || b.path("deep_stem").asBoolean(false),
                v1d || b.path("avg_down").asBoolean(false));
    }

    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("resnet_v1d"); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void stateDictAndForwardMatchTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        ResNet r = new ResNet(fromGolden(c.get("backbone")));
        Map<String, Tensor> want = new LinkedHashMap<>();
        for (JsonNode t : c.get("state_dict")) want.put(t.get("name").asText(), Tensor.of(floats(t.get("values")), ints(t.get("shape"))));
        // the same names in the same (registration) order, the same shapes: a strict load throws on any difference
        assertEquals(List.copyOf(want.keySet()), List.copyOf(r.stateDict().keySet()), name + ": state-dict names");
        r.loadStateDict(want, true);
        Tensor x = Tensor.of(floats(c.get("input")), ints(c.get("input_shape")));
        List<Tensor> outs;
        try (Graph.Scope g = Graph.noGrad()) {
            outs = r.forward(x);
        }
        assertEquals(c.get("outputs").size(), outs.size(), name);
        for (int i = 0; i < outs.size(); i++) {
            JsonNode o = c.get("outputs").get(i);
            assertArrayEquals(ints(o.get("shape")), outs.get(i).shape(), name + " output " + i);
            GoldenFiles.assertCloseToTorch(name + " output " + i, floats(o.get("values")), outs.get(i).toFloatArray(), 2e-5);
        }
    }

    @Test
    void resNetV1d50NamesAndShapesFollowMmdetection() {
        ResNet r = new ResNet(cfg(BackboneConfig.RESNET_V1D, 50, 64, 64, 4, List.of(0, 1, 2, 3), 1, true, true));
        Map<String, Tensor> sd = r.stateDict();
        assertNull(r.conv1);
        assertFalse(sd.containsKey("conv1.weight") || sd.containsKey("bn1.weight"), "the deep stem replaces conv1 / bn1");
        int[][] stem = {{32, 3}, {32, 32}, {64, 32}};
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(new int[] {stem[i][0], stem[i][1], 3, 3}, sd.get("stem." + 3 * i + ".weight").shape());
            for (String t : new String[] {"weight", "bias", "running_mean", "running_var"})
                assertArrayEquals(new int[] {stem[i][0]}, sd.get("stem." + (3 * i + 1) + "." + t).shape());
            assertInstanceOf(ReLU.class, r.stem.get(3 * i + 2));
            assertEquals(i == 0 ? 2 : 1, ((autoassign.nn.Conv2d) r.stem.get(3 * i)).geometry.strideH());
        }
        assertEquals(9, r.stem.size());
        assertFalse(sd.keySet().stream().anyMatch(k -> k.matches("stem\\.[258]\\..*")), "ReLU has no state");
        // layer1: stride 1 but 64 → 256 channels: ResLayer still puts its AvgPool2d(1, 1) (the identity) first
        ResBlock l1 = r.layers.get(0).get(0);
        assertEquals(new autoassign.backend.AvgPool2dParams(1, 1, 0, true, false), l1.downsamplePool().params);
        assertFalse(sd.containsKey("layer1.0.downsample.0.weight"));
        assertArrayEquals(new int[] {256, 64, 1, 1}, sd.get("layer1.0.downsample.1.weight").shape());
        assertArrayEquals(new int[] {256}, sd.get("layer1.0.downsample.2.running_var").shape());
        for (int i = 1; i < 4; i++) {
            String p = "layer" + (i + 1) + ".0.downsample.";
            ResBlock b0 = r.layers.get(i).get(0);
            assertInstanceOf(AvgPool2d.class, b0.downsample.get(0), p + "0 is the pool");
            assertEquals(new autoassign.backend.AvgPool2dParams(2, 2, 0, true, false), b0.downsamplePool().params);
            assertFalse(sd.containsKey(p + "0.weight"));
            int cin = 256 << (i - 1), cout = 256 << i;
            assertArrayEquals(new int[] {cout, cin, 1, 1}, sd.get(p + "1.weight").shape(), p + "1: the conv");
            assertEquals(1, b0.downsampleConv().geometry.strideH(), p + "1: stride 1 after the pool");
            assertArrayEquals(new int[] {cout}, sd.get(p + "2.running_mean").shape(), p + "2: the norm");
            assertEquals(2, ((ResBlock.Bottleneck) b0).conv2.geometry.strideH(), "pytorch style: the 3x3 strides");
        }
        // frozen_stages 1: the whole deep stem and layer1 are frozen
        for (String k : List.of("stem.0.weight", "stem.4.weight", "stem.7.bias", "layer1.0.downsample.1.weight"))
            assertFalse(sd.get(k).requiresGrad(), k);
        for (String k : List.of("layer2.0.downsample.1.weight", "layer2.0.downsample.2.weight", "layer4.2.conv3.weight"))
            assertTrue(sd.get(k).requiresGrad(), k);
        // against the plain ResNet-50: the deep stem's three 3x3 convs and norms replace the 7x7 conv and bn1
        long stemParams = 32 * 3 * 9 + 32 * 32 * 9 + 64 * 32 * 9 + 2 * (32 + 32 + 64);
        long r50 = new ResNet(cfg(BackboneConfig.RESNET, 50, 64, 64, 4, List.of(0, 1, 2, 3), -1, false, false)).parameterCount();
        assertEquals(r50 - (64 * 3 * 49 + 2 * 64) + stemParams, r.parameterCount(), "avg_down adds no parameter, the stem swaps");
    }

    @Test
    void smallResNetV1dTrainsOnTheCpu() {
        // deep stem frozen (frozen_stages 0); basic blocks (depth 18) and bottlenecks (depth 50) both downsample by pool
        for (int depth : new int[] {18, 50}) {
            ResNet r = new ResNet(cfg(BackboneConfig.RESNET_V1D, depth, 8, 4, 3, List.of(1, 2), 0, true, true));
            r.initWeights(new Random(3));
            for (var e : r.stateDict().entrySet()) // make the residual branches live (zero_init_residual)
                if (e.getKey().matches(".*\\.bn[23]\\.weight")) autoassign.nn.Init.constant(e.getValue(), 0.7f);
            r.train(true);
            Tensor x = DetectorShapeTest.randomImage(2, 37, 43, 5); // odd sizes: every pooled map has a partial last window
            Random rng = new Random(9);
            List<float[]> seeds = new ArrayList<>();
            List<Tensor> outs = r.forward(x);
            assertArrayEquals(new int[] {2, depth == 50 ? 32 : 8, 5, 6}, outs.get(0).shape(), "layer2 at stride 8");
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
            for (var e : params.entrySet()) {
                String k = e.getKey();
                if (k.startsWith("stem.")) {
                    assertFalse(e.getValue().requiresGrad(), k);
                    assertNull(e.getValue().grad(), k + ": frozen stem");
                } else {
                    assertNotNull(e.getValue().grad(), k + " must get a gradient (depth " + depth + ")");
                }
            }
            // directional derivative along the avg-down downsample convs and one 3x3: analytic vs central difference
            for (String k : List.of("layer2.0.downsample.1.weight", "layer3.0.downsample.1.weight", "layer2.0.conv1.weight")) {
                Tensor w = params.get(k);
                float[] dir = new float[w.numel()], g = w.grad().toFloatArray(), w0 = w.toFloatArray();
                double analytic = 0;
                for (int j = 0; j < dir.length; j++) {
                    dir[j] = (float) rng.nextGaussian();
                    analytic += dir[j] * g[j];
                }
                // float32 forward: ReLU kinks make large steps wrong and rounding makes tiny ones noisy (±2% here); the
                // mean of two small steps is within 3% for every weight checked, a wrong pool gradient is far off
                double numeric = 0;
                for (double eps : new double[] {3e-5, 1e-5})
                    numeric += (SeededLoss.of(r, x, w, w0, dir, eps, seeds) - SeededLoss.of(r, x, w, w0, dir, -eps, seeds)) / (4 * eps);
                w.copyFrom(Tensor.of(w0, w.shape()));
                assertTrue(Math.abs(numeric - analytic) <= 0.03 * Math.max(1, Math.abs(analytic)),
                        "depth " + depth + " " + k + ": analytic " + analytic + ", numeric " + numeric);
            }
        }
    }

    @Test
    void flopsCountTheDeepStemAndNoPool() {
        var cfg = autoassign.config.ConfigLoader.load(ModelTestConfigs.R50, List.of("model.backbone.type=ResNetV1d",
                "model.backbone.style=pytorch", "model.backbone.init_cfg={}")).model();
        AutoAssignDetector m = new AutoAssignDetector(cfg, 80);
        Complexity.Flops f = Complexity.flops(m, 800, 1216);
        Map<String, Long> by = f.flopsByModule();
        // stem at 400x608: 3x3 convs 3→32, 32→32, 32→64 (one multiply-add per weight per output), BN 2 per element
        long hw = 400L * 608;
        long convs = hw * (32 * 3 * 9 + 32 * 32 * 9 + 64 * 32 * 9), bns = 2 * hw * (32 + 32 + 64);
        assertEquals(convs + bns, by.get("backbone.stem"));
        assertEquals(hw * 32 * 3 * 9, by.get("backbone.stem.0"));
        assertEquals(0L, by.get("backbone.stem.2"), "ReLU");
        // layer2's downsample: the pool (0 flops) halves 200x304, then the stride-1 1x1 conv 256 → 512 at 100x152
        assertEquals(0L, by.get("backbone.layer2.0.downsample.0"));
        assertEquals(100L * 152 * 512 * 256, by.get("backbone.layer2.0.downsample.1"));
        assertEquals(2L * 100 * 152 * 512, by.get("backbone.layer2.0.downsample.2"));
        // layer1's AvgPool2d(1, 1) before the 1x1 conv at 200x304
        assertEquals(200L * 304 * 256 * 64, by.get("backbone.layer1.0.downsample.1"));
        assertTrue(f.uncalled().stream().noneMatch(k -> k.startsWith("backbone")), "every backbone module runs: " + f.uncalled());
    }
}
