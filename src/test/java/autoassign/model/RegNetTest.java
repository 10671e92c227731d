package autoassign.model;

import autoassign.autograd.Graph;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.io.ModelWeights;
import autoassign.nn.Init;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MMDetection's RegNet backbone (mmdet/models/backbones/regnet.py) in the detector: the 3×3/2 stem without max-pool,
 * stage shapes and strides, state-dict names, frozen stages, zero_init_residual, forward + backward on the CPU, the
 * pretrained-file mapping and the FLOPs of regnetx_3.2gf.
 */
class RegNetTest {
    @TempDir Path tmp;

    private static final List<String> FROZEN_1 = List.of("frozen_stages: 1");

    @Test
    void tinyRegNetNamesShapesAndStem() {
        // dict_tiny_grouped: stages 16, 24, 48, 80 wide, 1, 1, 1, 3 blocks, 2, 3, 6, 10 groups of 8
        ResNet r = new ResNet(RegNetConfigs.tinyGrouped(FROZEN_1).model().backbone());
        Map<String, Tensor> sd = r.stateDict();
        assertArrayEquals(new int[] {32, 3, 3, 3}, sd.get("conv1.weight").shape(), "stem: 3x3 conv to 32 channels");
        assertEquals(2, r.conv1.geometry.strideH());
        assertEquals(1, r.conv1.geometry.padH());
        assertArrayEquals(new int[] {32}, sd.get("bn1.running_var").shape());
        assertFalse(r.hasStemMaxPool());
        int[] widths = {16, 24, 48, 80}, blocks = {1, 1, 1, 3}, groups = {2, 3, 6, 10};
        int in = 32;
        for (int i = 0; i < 4; i++) {
            assertEquals(blocks[i], r.layers.get(i).size(), "layer" + (i + 1));
            for (int b = 0; b < blocks[i]; b++) {
                String p = "layer" + (i + 1) + "." + b + ".";
                int w = widths[i], cin = b == 0 ? in : w;
                assertArrayEquals(new int[] {w, cin, 1, 1}, sd.get(p + "conv1.weight").shape(), p + "conv1");
                assertArrayEquals(new int[] {w, 8, 3, 3}, sd.get(p + "conv2.weight").shape(), p + "conv2: groups of 8");
                assertArrayEquals(new int[] {w, w, 1, 1}, sd.get(p + "conv3.weight").shape(), p + "conv3: expansion 1");
                for (String bn : new String[] {"bn1", "bn2", "bn3"})
                    assertArrayEquals(new int[] {w}, sd.get(p + bn + ".weight").shape(), p + bn);
                ResBlock.Bottleneck blk = (ResBlock.Bottleneck) r.layers.get(i).get(b);
                assertEquals(groups[i], blk.conv2.groups(), p + "groups");
                assertEquals(b == 0 ? 2 : 1, blk.conv2.geometry.strideH(), p + "pytorch style: stride on the 3x3");
                assertEquals(1, blk.conv1.geometry.strideH());
                // the first block of every stage downsamples (stride 2, and the channels change); the others do not
                assertEquals(b == 0, sd.containsKey(p + "downsample.0.weight"), p + "downsample");
            }
            assertArrayEquals(new int[] {widths[i], in, 1, 1}, sd.get("layer" + (i + 1) + ".0.downsample.0.weight").shape());
            assertArrayEquals(new int[] {widths[i]}, sd.get("layer" + (i + 1) + ".0.downsample.1.running_mean").shape());
            in = widths[i];
        }
        assertFalse(sd.containsKey("layer4.3.conv1.weight"));
        assertFalse(sd.keySet().stream().anyMatch(k -> k.contains("maxpool") || k.startsWith("stem")), "ResNet's names only");
        // frozen_stages 1: the stem and layer1 get no gradients, layer2 does
        for (String k : List.of("conv1.weight", "bn1.weight", "layer1.0.conv2.weight", "layer1.0.downsample.0.weight"))
            assertFalse(sd.get(k).requiresGrad(), k);
        for (String k : List.of("layer2.0.conv2.weight", "layer2.0.bn2.weight", "layer4.2.conv3.weight"))
            assertTrue(sd.get(k).requiresGrad(), k);
    }

    @Test
    void zeroInitResidualZeroesEveryBn3() {
        ResNet r = new ResNet(RegNetConfigs.tinyGrouped(List.of()).model().backbone());
        r.initWeights(new Random(1));
        int zeroed = 0;
        for (var e : r.stateDict().entrySet()) {
            float[] v = e.getValue().toFloatArray();
            if (e.getKey().endsWith("bn3.weight")) {
                for (float f : v) assertEquals(0f, f, e.getKey());
                zeroed++;
            } else if (e.getKey().endsWith("bn2.weight") || e.getKey().endsWith("downsample.1.weight")) {
                for (float f : v) assertEquals(1f, f, e.getKey());
            }
        }
        assertEquals(1 + 1 + 1 + 3, zeroed);
        ResNet keep = new ResNet(RegNetConfigs.tinyGrouped(List.of("zero_init_residual: false")).model().backbone());
        keep.initWeights(new Random(1));
        for (float f : keep.stateDict().get("layer4.2.bn3.weight").toFloatArray()) assertEquals(1f, f);
    }

    /** Forward + backward of the whole detector: shapes and strides per level, gradients where they belong. */
    @Test
    void tinyRegNetDetectorForwardAndBackward() {
        AutoAssignDetector m = new AutoAssignDetector(RegNetConfigs.tinyGrouped(FROZEN_1).model(), 5);
        for (var e : m.backbone.stateDict().entrySet()) // live residual branches (zero_init_residual would hide them)
            if (e.getKey().endsWith("bn3.weight")) Init.constant(e.getValue(), 1f);
        Tensor image = DetectorShapeTest.randomImage(2, 64, 96, 3);
        List<Tensor> c;
        try (AutoCloseable g = Graph.noGrad()) {
            c = m.backbone.forward(image);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        int[][] cs = {{2, 16, 16, 24}, {2, 24, 8, 12}, {2, 48, 4, 6}, {2, 80, 2, 3}};
        assertEquals(4, c.size());
        for (int i = 0; i < 4; i++) assertArrayEquals(cs[i], c.get(i).shape(), "C" + (i + 2) + ": stride " + (4 << i));

        HeadOutputs o = m.forward(image);
        assertArrayEquals(new int[] {8, 16, 32, 64, 128}, o.strides());
        int[][] sizes = {{8, 12}, {4, 6}, {2, 3}, {1, 2}, {1, 1}};
        assertArrayEquals(sizes, o.featmapSizes());
        for (int l = 0; l < 5; l++) {
            for (float v : o.clsLogits(l).toFloatArray()) assertTrue(Float.isFinite(v), "cls P" + (l + 3));
            for (float v : o.distances(l).toFloatArray()) assertTrue(Float.isFinite(v) && v >= 0, "dist P" + (l + 3));
        }
        GradientTest.backwardWithRandomSeeds(o, new Random(1));
        assertEquals(0, Graph.size(), "tape must be empty after backward");
        int withGrad = 0;
        for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
            String k = e.getKey();
            if (!k.startsWith("backbone.")) continue;
            boolean frozen = k.startsWith("backbone.conv1") || k.startsWith("backbone.bn1") || k.startsWith("backbone.layer1.");
            if (frozen) {
                assertFalse(e.getValue().requiresGrad(), k);
                assertNull(e.getValue().grad(), k + " must get no gradient");
            } else {
                assertNotNull(e.getValue().grad(), k + " must get a gradient");
                for (float v : e.getValue().grad().toFloatArray()) assertTrue(Float.isFinite(v), k);
                withGrad++;
            }
        }
        // layer2..4 (1 + 1 + 3 blocks): 3 convs + 3 BN (weight, bias) each, plus the downsample of layer2..4
        assertEquals(5 * (3 + 6) + 3 * 3, withGrad);
    }

    @Test
    void regnetx400mfAtATinyImageSize() {
        Config cfg = RegNetConfigs.r50WithRegNet("regnetx_400mf", List.of(32, 64, 160, 384), FROZEN_1, List.of());
        ResNet r = new ResNet(cfg.model().backbone());
        assertEquals(List.of(1, 2, 7, 12), r.layers.stream().map(ModuleList::size).toList());
        assertArrayEquals(new int[] {384, 16, 3, 3}, r.stateDict().get("layer4.11.conv2.weight").shape(), "24 groups of 16");
        r.initWeights(new Random(3));
        for (var e : r.stateDict().entrySet()) // zero_init_residual zeroed every bn3: make the residual branches live
            if (e.getKey().endsWith("bn3.weight")) Init.constant(e.getValue(), 1f);
        List<Tensor> outs = r.forward(DetectorShapeTest.randomImage(1, 64, 64, 4));
        int[][] want = {{1, 32, 16, 16}, {1, 64, 8, 8}, {1, 160, 4, 4}, {1, 384, 2, 2}};
        for (int i = 0; i < 4; i++) assertArrayEquals(want[i], outs.get(i).shape());
        Graph.backward(new Tensor[] {outs.get(3)}, new Tensor[] {Tensor.full(1f, 1, 384, 2, 2)});
        Tensor g = r.stateDict().get("layer2.0.conv2.weight").grad();
        assertNotNull(g);
        double sum = 0;
        for (float v : g.toFloatArray()) {
            assertTrue(Float.isFinite(v));
            sum += Math.abs(v);
        }
        assertTrue(sum > 0, "layer2 trains");
        assertNull(r.stateDict().get("layer1.0.conv2.weight").grad(), "layer1 frozen");
    }

    /** A RegNet file in MMDetection's names (regnet2mmdet.py's output, no prefix) loads into every backbone tensor. */
    @Test
    void pretrainedRegNetFileInMmdetectionNamesLoads() throws Exception {
        Config cfg = RegNetConfigs.tinyGrouped(FROZEN_1);
        ResNet source = new ResNet(cfg.model().backbone());
        source.initWeights(new Random(9));
        Path file = tmp.resolve("regnet_tiny.safetensors");
        ModelWeights.save(file, source, Map.of());
        AutoAssignDetector m = new AutoAssignDetector(cfg.model(), 1);
        ModelWeights.LoadResult r = ModelWeights.loadPretrainedBackbone(file, m);
        assertEquals(List.of(), r.report().missing(), "every backbone tensor comes from the file");
        assertEquals(List.of(), r.report().unexpected());
        Map<String, Tensor> own = m.stateDict();
        for (var e : source.stateDict().entrySet())
            assertArrayEquals(e.getValue().toFloatArray(), own.get("backbone." + e.getKey()).toFloatArray(), e.getKey());
    }

    /** regnetx_3.2gf is pycls' 3.2 GFLOPs network: its backbone at 224×224 (no classifier) and its parameters. */
    @Test
    void regnetx32gfFlopsAndParameters() {
        Config cfg = ConfigLoader.load(Path.of("configs/autoassign_regnetx-3.2GF_fpn_1x_coco.yaml"));
        AutoAssignDetector m = new AutoAssignDetector(cfg.model(), 0);
        // pycls: 15.3M parameters with the 1008 → 1000 classifier (1,009,000), as the widths golden's torch network
        assertEquals(14_287_552L, Complexity.parameterCounts(m.backbone).get(""));
        long backbone = Complexity.flops(m, 224, 224).flopsByModule().get("backbone");
        assertTrue(backbone > 3.15e9 && backbone < 3.25e9, "backbone FLOPs at 224x224: " + backbone);
        Module stem = ((ResNet) m.backbone).conv1;
        assertEquals(32L * 3 * 9 * 112 * 112, Complexity.flops(m, 224, 224).flopsByModule().get("backbone.conv1"),
                "the 3x3/2 stem at 112x112: " + stem);
    }
}
