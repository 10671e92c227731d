package autoassign.model;

import autoassign.GoldenFiles;
import autoassign.autograd.Graph;
import autoassign.config.BackboneConfig;
import autoassign.config.BackboneConfigs;
import autoassign.config.ConfigLoader;
import autoassign.nn.AvgPool2d;
import autoassign.nn.Conv2d;
import autoassign.nn.DeformConv2dPack;
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
 * MMDetection's Res2Net ({@link Bottle2neck}) against torch 1.13 running a line-for-line transcription of
 * mmdet/models/backbones/res2net.py (scripts/goldens/res2net.py; every case of {@code <goldens>/res2net}): state-dict
 * names in torch's order, shapes and parameter counts (also of the published R2-50/101/152 26w×4s), and the eval-mode
 * outputs for the same weights and input (plain, odd widths, DCN and DCNv2 slices). Also: the block layout (stage
 * pool, slice convs' strides), a CPU forward + backward checked by directional finite differences, frozen stages,
 * the random init (no zero-init of bn3, as upstream) and the FLOP count.
 */
class Res2NetTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("res2net"); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void stateDictAndForwardMatchTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        ResNet r = new ResNet(BackboneConfigs.fromJson(c.get("backbone")));
        List<String> names = new ArrayList<>();
        for (JsonNode t : c.get("state_dict")) names.add(t.get("name").asText());
        Map<String, Tensor> sd = r.stateDict();
        // the same names in the same order (torch's module registration order), the same shapes
        assertEquals(names, List.copyOf(sd.keySet()), name + ": state-dict names");
        for (JsonNode t : c.get("state_dict"))
            assertArrayEquals(ints(t.get("shape")), sd.get(t.get("name").asText()).shape(), name + ": " + t.get("name").asText());
        assertEquals(c.get("params").asLong(), r.parameterCount(), name + ": parameter count (torch's parameters())");
        if (!c.has("input")) return; // an architecture case: names, shapes and count only
        Map<String, Tensor> want = new LinkedHashMap<>();
        for (JsonNode t : c.get("state_dict")) want.put(t.get("name").asText(), Tensor.of(floats(t.get("values")), ints(t.get("shape"))));
        r.loadStateDict(want, true);
        Tensor x = Tensor.of(floats(c.get("input")), ints(c.get("input_shape")));
        List<Tensor> outs;
        if (c.has("grads")) {
            outs = r.forward(x); // taped: every parameter requires a gradient (frozen_stages -1, BN requires_grad)
        } else {
            try (Graph.Scope g = Graph.noGrad()) {
                outs = r.forward(x);
            }
        }
        assertEquals(c.get("outputs").size(), outs.size(), name);
        for (int i = 0; i < outs.size(); i++) {
            JsonNode o = c.get("outputs").get(i);
            assertArrayEquals(ints(o.get("shape")), outs.get(i).shape(), name + " output " + i);
            GoldenFiles.assertCloseToTorch(name + " output " + i, floats(o.get("values")), outs.get(i).toFloatArray(), 2e-5);
        }
        if (c.has("grads")) assertGradientsMatchTorch(name, r, outs, c.get("grads"));
    }

    /**
     * The gradient of Σ seed·output for every parameter against torch autograd's on the transcription: the backward of
     * the split, the slice additions, the stage pool, the concatenation (and DCN / DCNv2 slices) as upstream's graph.
     */
    private static void assertGradientsMatchTorch(String name, ResNet r, List<Tensor> outs, JsonNode grads) {
        Tensor[] seeds = new Tensor[outs.size()];
        for (int i = 0; i < seeds.length; i++) seeds[i] = Tensor.of(floats(grads.get("seeds").get(i)), outs.get(i).shape());
        Graph.backward(outs.toArray(new Tensor[0]), seeds);
        assertEquals(0, Graph.size());
        Map<String, Tensor> params = r.namedParameters();
        assertEquals(grads.get("params").size(), params.size(), name + ": parameters");
        for (JsonNode p : grads.get("params")) {
            String k = p.get("name").asText();
            assertNotNull(params.get(k).grad(), name + ": " + k + " got no gradient");
            float[] want = floats(p.get("values")), got = params.get(k).grad().toFloatArray();
            double scale = 0;
            for (float v : want) scale = Math.max(scale, Math.abs(v));
            for (int j = 0; j < want.length; j++)
                if (!(Math.abs(got[j] - want[j]) <= 3e-4 * Math.max(1, scale))) // float32 sums in another order, 10+ blocks deep
                    throw new AssertionError(name + ": d " + k + "[" + j + "]: got " + got[j] + ", torch " + want[j] + " (max |g| " + scale + ")");
        }
    }

    /** Res2Net-101 26w×4s, the configuration of the shipped config and open-mmlab://res2net101_v1d_26w_4s. */
    @Test
    void res2Net101HasUpstreamsParameterCountAndLayout() {
        BackboneConfig cfg = ConfigLoader.load(Path.of("configs/autoassign_r2-101_fpn_1x_coco.yaml")).model().backbone();
        ResNet r = new ResNet(cfg);
        // sum of numel over torch's parameters() of the transcription (scripts/goldens/res2net.py, arch_r2_101_26w4s)
        assertEquals(43_176_920L, r.parameterCount());
        assertEquals(List.of(256, 512, 1024, 2048), cfg.outChannels());
        assertEquals(List.of(4, 8, 16, 32), cfg.outStrides());
        int[] slice = {26, 52, 104, 208};
        for (int i = 0; i < 4; i++) {
            Bottle2neck first = (Bottle2neck) r.layers.get(i).get(0), second = (Bottle2neck) r.layers.get(i).get(1);
            assertEquals(slice[i], first.width);
            assertEquals(4, first.scales);
            assertArrayEquals(new int[] {slice[i] * 4, i == 0 ? 64 : 256 << (i - 1), 1, 1}, first.conv1.weight.shape());
            assertEquals(3, first.convs.size());
            assertTrue(first.stageType);
            assertFalse(second.stageType);
            assertNull(second.downsample);
            assertEquals(i == 0 ? 1 : 2, first.stride(), "pytorch style: the slices' 3x3 convs stride");
            assertEquals(1, first.conv1.geometry.strideH());
            // the last slice's pool only in a strided stage block: AvgPool2d(3, 2, padding=1), counting the padding
            if (i == 0) assertNull(first.pool);
            else assertEquals(new autoassign.backend.AvgPool2dParams(3, 2, 1, false, true), first.pool.params);
            // Res2Layer's downsample: always the average pool first (an identity 1x1/1 one in layer1)
            assertInstanceOf(AvgPool2d.class, first.downsample.get(0));
            assertEquals(i == 0 ? 1 : 2, first.downsamplePool().params.stride());
            assertEquals(1, first.downsampleConv().geometry.strideH());
        }
        assertEquals(23, r.layers.get(2).size());
        assertNull(r.conv1, "the deep stem");
        Map<String, Tensor> sd = r.stateDict();
        for (String k : List.of("stem.0.weight", "layer1.0.conv1.weight", "layer1.0.convs.0.weight", "layer1.0.bns.0.weight",
                "layer1.0.downsample.1.weight", "layer3.22.bns.2.running_var", "layer4.2.bn3.bias"))
            assertNotNull(sd.get(k), k);
        assertFalse(sd.keySet().stream().anyMatch(k -> k.contains(".conv2.") || k.contains(".bn2.")), "Bottle2neck deletes conv2 / bn2");
        // frozen_stages 1: the deep stem and layer1
        assertFalse(sd.get("stem.4.weight").requiresGrad());
        assertFalse(sd.get("layer1.2.convs.2.weight").requiresGrad());
        assertTrue(sd.get("layer2.0.convs.0.weight").requiresGrad());
        assertTrue(sd.get("layer2.0.bns.1.weight").requiresGrad());
    }

    /** upstream's ResNet zero-inits bn3 only when the block `is Bottleneck`: Bottle2neck's stay at 1. */
    @Test
    void randomInitKeepsTheLastNormAtOne() {
        ResNet r = new ResNet(small(-1, ""));
        r.initWeights(new Random(1));
        for (var e : r.stateDict().entrySet()) {
            if (e.getKey().matches(".*\\.(bn[13]|bns\\.\\d+)\\.weight"))
                for (float v : e.getValue().toFloatArray()) assertEquals(1f, v, e.getKey());
            if (e.getKey().endsWith("conv1.weight")) assertTrue(maxAbs(e.getValue()) > 0, e.getKey());
        }
        // DCNv2 slices: MMCV's init_weights zeroes conv_offset after the Kaiming init
        ResNet d = new ResNet(small(-1, "dcn: {type: DCNv2, deform_groups: 1}, stage_with_dcn: [false, true, true]"));
        d.initWeights(new Random(2));
        Bottle2neck b = (Bottle2neck) d.layers.get(1).get(0);
        assertEquals(b.convs.size(), b.deformConvs().size(), "every slice's 3x3 is deformable");
        for (DeformConv2dPack c : b.deformConvs()) {
            assertEquals(0.0, maxAbs(c.convOffset.weight));
            assertTrue(maxAbs(c.weight) > 0);
        }
        assertTrue(((Bottle2neck) d.layers.get(0).get(0)).deformConvs().isEmpty());
    }

    @Test
    void smallRes2NetTrainsOnTheCpu() {
        // deep stem frozen (frozen_stages 0); odd sizes give partial pooling windows; scales 3 and a DCN stage
        for (String extra : List.of("", "dcn: {type: DCN, deform_groups: 1}, stage_with_dcn: [false, false, true]")) {
            ResNet r = new ResNet(small(0, extra));
            r.initWeights(new Random(3));
            for (var e : r.stateDict().entrySet()) // bring norms and offsets away from their init
                if (e.getKey().matches(".*\\.(bn[13]|bns\\.\\d+)\\.weight")) autoassign.nn.Init.constant(e.getValue(), 0.7f);
                else if (e.getKey().contains("conv_offset.weight")) autoassign.nn.Init.normal(e.getValue(), 0, 0.05, new Random(4));
            r.train(true);
            Tensor x = DetectorShapeTest.randomImage(2, 37, 43, 5);
            Random rng = new Random(9);
            List<float[]> seeds = new ArrayList<>();
            List<Tensor> outs = r.forward(x);
            assertArrayEquals(new int[] {2, 16, 5, 6}, outs.get(0).shape(), "layer2 at stride 8");
            assertArrayEquals(new int[] {2, 32, 3, 3}, outs.get(1).shape(), "layer3 at stride 16");
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
                if (e.getKey().startsWith("stem.")) assertNull(e.getValue().grad(), e.getKey() + ": frozen stem");
                else assertNotNull(e.getValue().grad(), e.getKey() + " must get a gradient");
            }
            // through the split, the slice additions, the stage pool and the concatenation: float32 forwards with many
            // ReLU kinks make difference quotients noisy (a few %), so only coarse here; the exact check of every
            // gradient is against torch autograd (stateDictAndForwardMatchTorch, the golden cases with "grads")
            for (String k : List.of("layer1.0.conv3.weight", "layer2.0.conv1.weight", "layer3.0.conv1.weight")) {
                Tensor w = params.get(k);
                float[] dir = new float[w.numel()], g = w.grad().toFloatArray(), w0 = w.toFloatArray();
                double analytic = 0;
                for (int j = 0; j < dir.length; j++) {
                    dir[j] = (float) rng.nextGaussian();
                    analytic += dir[j] * g[j];
                }
                double numeric = 0;
                for (double eps : new double[] {3e-4, 1e-4})
                    numeric += (SeededLoss.of(r, x, w, w0, dir, eps, seeds) - SeededLoss.of(r, x, w, w0, dir, -eps, seeds)) / (4 * eps);
                w.copyFrom(Tensor.of(w0, w.shape()));
                assertTrue(Math.abs(numeric - analytic) <= 0.05 * Math.max(1, Math.abs(analytic)),
                        extra + " " + k + ": analytic " + analytic + ", numeric " + numeric);
            }
        }
    }

    @Test
    void flopsCountSliceConvsAndNoPool() {
        var cfg = ConfigLoader.load(Path.of("configs/autoassign_r2-101_fpn_1x_coco.yaml"), List.of("model.backbone.init_cfg={}")).model();
        AutoAssignDetector m = new AutoAssignDetector(cfg, 80);
        Complexity.Flops f = Complexity.flops(m, 800, 1216);
        Map<String, Long> by = f.flopsByModule();
        // layer2.0 (stage block, stride 2): conv1 256 → 208 at 200x304; each slice's 3x3 52 → 52 at 100x152
        long hw1 = 200L * 304, hw2 = 100L * 152;
        assertEquals(hw1 * 208 * 256, by.get("backbone.layer2.0.conv1"));
        assertEquals(2 * hw1 * 208, by.get("backbone.layer2.0.bn1"));
        assertEquals(hw2 * 52 * 52 * 9, by.get("backbone.layer2.0.convs.1"));
        assertEquals(2 * hw2 * 52, by.get("backbone.layer2.0.bns.2"));
        assertEquals(3 * (hw2 * 52 * 52 * 9 + 2 * hw2 * 52), by.get("backbone.layer2.0.convs") + by.get("backbone.layer2.0.bns"));
        assertEquals(hw2 * 512 * 208, by.get("backbone.layer2.0.conv3"));
        assertEquals(0L, by.get("backbone.layer2.0.pool"), "avg_pool2d has no handle");
        assertEquals(hw2 * 512 * 256, by.get("backbone.layer2.0.downsample.1"));
        long block = hw1 * 208 * 256 + 2 * hw1 * 208 + 3 * (hw2 * 52 * 52 * 9 + 2 * hw2 * 52) + hw2 * 512 * 208 + 2 * hw2 * 512
                + hw2 * 512 * 256 + 2 * hw2 * 512;
        assertEquals(block, by.get("backbone.layer2.0"));
        assertTrue(f.uncalled().stream().noneMatch(k -> k.startsWith("backbone")), "every backbone module runs: " + f.uncalled());
    }

    /** A Res2Net-50 of 3 stages at base 2 (slices of 3, 6, 12 channels, scales 3), stem 8; {@code extra} YAML keys. */
    static BackboneConfig small(int frozen, String extra) {
        String json = "{type: Res2Net, depth: 50, scales: 3, base_width: 3, base_channels: 2, stem_channels: 8, num_stages: 3,"
                + " out_indices: [1, 2], frozen_stages: " + frozen + ", norm_cfg: {type: BN, requires_grad: true}"
                + (extra.isEmpty() ? "" : ", " + extra) + "}";
        try {
            var yaml = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
            return BackboneConfigs.fromJson(yaml.readTree(json));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static double maxAbs(Tensor t) {
        double m = 0;
        for (float v : t.toFloatArray()) m = Math.max(m, Math.abs(v));
        return m;
    }
}
