package autoassign.model;

import autoassign.autograd.Graph;
import autoassign.config.ConfigLoader;
import autoassign.config.ModelConfig;
import autoassign.nn.Init;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MMDetection's ResNeXt backbone (mmdet/models/backbones/resnext.py) and ResNet-152: state-dict names and shapes,
 * parameter counts of the full-size networks, and a small ResNeXt trained on the CPU against the same network with
 * dense block-diagonal 3×3 weights.
 */
class ResNeXtTest {
    private static final Pattern CONV2 = Pattern.compile("layer(\\d)\\.(\\d+)\\.conv2\\.weight");

    /** The R50 layout at base 8 as a ResNeXt (pytorch style) with more overrides. */
    private static ModelConfig x50Small(String... more) {
        List<String> o = new ArrayList<>(List.of("model.backbone.type=ResNeXt", "model.backbone.style=pytorch"));
        o.addAll(List.of(more));
        return ModelTestConfigs.r50Small(o.toArray(new String[0]));
    }

    @Test
    void smallResNeXtNamesAndShapesFollowMmdetection() {
        // base_channels 8, groups 4, base_width 4: width = floor(8·2^i · 4/8) · 4 = 16, 32, 64, 128
        ResNet x = new ResNet(x50Small("model.backbone.groups=4", "model.backbone.base_width=4").backbone());
        ResNet r = new ResNet(ModelTestConfigs.r50Small().backbone());
        Map<String, Tensor> sd = x.stateDict();
        assertEquals(r.stateDict().keySet(), sd.keySet(), "ResNeXt keeps ResNet's state-dict names");
        int[] widths = {16, 32, 64, 128}, blocks = {3, 4, 6, 3};
        for (int i = 0; i < 4; i++) {
            int planes = 8 << i, width = widths[i];
            assertEquals(blocks[i], x.layers.get(i).size());
            for (int b = 0; b < blocks[i]; b++) {
                String p = "layer" + (i + 1) + "." + b + ".";
                int in = b == 0 ? (i == 0 ? 8 : 4 * (planes / 2)) : 4 * planes;
                assertArrayEquals(new int[] {width, in, 1, 1}, sd.get(p + "conv1.weight").shape(), p + "conv1");
                assertArrayEquals(new int[] {width, width / 4, 3, 3}, sd.get(p + "conv2.weight").shape(), p + "conv2");
                assertArrayEquals(new int[] {4 * planes, width, 1, 1}, sd.get(p + "conv3.weight").shape(), p + "conv3");
                for (String bn : new String[] {"bn1", "bn2"})
                    for (String t : new String[] {"weight", "bias", "running_mean", "running_var"})
                        assertArrayEquals(new int[] {width}, sd.get(p + bn + "." + t).shape(), p + bn + "." + t);
                assertArrayEquals(new int[] {4 * planes}, sd.get(p + "bn3.weight").shape());
                assertEquals(4, ((autoassign.model.ResBlock.Bottleneck) x.layers.get(i).get(b)).conv2.groups());
            }
            // the downsample branch is ResNet's: 1x1 inplanes → planes·4
            assertArrayEquals(new int[] {4 * planes, i == 0 ? 8 : 2 * planes, 1, 1},
                    sd.get("layer" + (i + 1) + ".0.downsample.0.weight").shape());
        }
        // the output channels are the ResNet's: planes · 4
        assertEquals(List.of(32, 64, 128, 256), x.config().outChannels());
    }

    @Test
    void x101_64x4dHasTorchvisionsParameterCountAndMmdetectionsShapes() {
        ResNet x = new ResNet(ConfigLoader.load(java.nio.file.Path.of("configs/autoassign_x101-64x4d_fpn_1x_coco.yaml")).model().backbone());
        // torchvision's resnext101_64x4d: 83,455,272 parameters, of which the classifier fc has 2048·1000 + 1000
        assertEquals(83_455_272L - 2_049_000L, Complexity.parameterCounts(x).get(""));
        Map<String, Tensor> sd = x.stateDict();
        assertArrayEquals(new int[] {256, 4, 3, 3}, sd.get("layer1.0.conv2.weight").shape());
        assertArrayEquals(new int[] {256, 64, 1, 1}, sd.get("layer1.0.conv1.weight").shape());
        assertArrayEquals(new int[] {512, 8, 3, 3}, sd.get("layer2.3.conv2.weight").shape());
        assertArrayEquals(new int[] {1024, 16, 3, 3}, sd.get("layer3.22.conv2.weight").shape());
        assertArrayEquals(new int[] {2048, 32, 3, 3}, sd.get("layer4.2.conv2.weight").shape());
        assertArrayEquals(new int[] {2048, 2048, 1, 1}, sd.get("layer4.2.conv3.weight").shape());
        assertFalse(sd.containsKey("layer3.23.conv1.weight"));
        // frozen_stages 1: the stem and layer1 get no gradients, layer2 does
        assertFalse(sd.get("layer1.0.conv2.weight").requiresGrad());
        assertTrue(sd.get("layer2.0.conv2.weight").requiresGrad());
    }

    @Test
    void resNet152HasItsBlockCountsAndTorchvisionsParameterCount() {
        ModelConfig cfg = ModelTestConfigs.r50(List.of("model.backbone.depth=152")).model();
        ResNet r = new ResNet(cfg.backbone());
        assertEquals(List.of(3, 8, 36, 3), r.layers.stream().map(ModuleList::size).toList());
        // torchvision's resnet152: 60,192,808 parameters with the fc classifier
        assertEquals(60_192_808L - 2_049_000L, Complexity.parameterCounts(r).get(""));
        assertArrayEquals(new int[] {256, 1024, 1, 1}, r.stateDict().get("layer3.35.conv1.weight").shape());
    }

    /**
     * A grouped conv is a dense conv whose weight is zero outside the diagonal blocks: a ResNeXt with 2 groups of
     * base_width 4 at base 8 (width = planes) against the same ResNet with the grouped 3×3 weights expanded, forward
     * and backward. The dense model runs the dense fast paths (Winograd, shifted GEMM), the ResNeXt the grouped path;
     * with a frozen BN (fused conv + affine + ReLU) and a trainable one (separate BN op).
     */
    @Test
    void smallResNeXtTrainsLikeItsBlockDiagonalDenseTwin() {
        for (boolean bnGrad : new boolean[] {false, true}) {
            String norm = "model.backbone.norm_cfg.requires_grad=" + bnGrad;
            ResNet x = new ResNet(x50Small("model.backbone.groups=2", "model.backbone.base_width=4", norm).backbone());
            ResNet d = new ResNet(ModelTestConfigs.r50Small("model.backbone.style=pytorch", norm).backbone());
            Random rng = new Random(bnGrad ? 11 : 12);
            x.initWeights(rng);
            for (var e : x.stateDict().entrySet()) { // live residual branches, statistics away from 0 / 1
                String k = e.getKey();
                if (k.endsWith("running_var") || k.matches(".*(bn\\d|downsample\\.1)\\.weight")) Init.uniform(e.getValue(), 0.5, 1.5, rng);
                else if (k.endsWith("running_mean") || k.endsWith(".bias")) Init.uniform(e.getValue(), -0.3, 0.3, rng);
            }
            Map<String, Tensor> dsd = d.stateDict();
            x.stateDict().forEach((k, t) -> dsd.get(k).copyFrom(CONV2.matcher(k).matches() ? blockDiagonal(t, 2) : t));

            Tensor image = DetectorShapeTest.randomImage(2, 64, 48, 3);
            // one model at a time: a backward walks (and clears) the whole tape
            List<float[]> yx = new ArrayList<>(), seeds = new ArrayList<>();
            List<Tensor> ox = x.forward(image);
            for (Tensor o : ox) {
                float[] v = new float[o.numel()];
                for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextGaussian();
                seeds.add(v);
                yx.add(o.toFloatArray());
            }
            Graph.backward(ox.toArray(new Tensor[0]), seedTensors(ox, seeds));
            List<Tensor> od = d.forward(image);
            for (int i = 0; i < od.size(); i++)
                assertClose(od.get(i).toFloatArray(), yx.get(i), 1e-4, "C" + (i + 2) + " bn_grad=" + bnGrad);
            Graph.backward(od.toArray(new Tensor[0]), seedTensors(od, seeds));

            int grouped = 0;
            for (var e : x.namedParameters().entrySet()) {
                String k = e.getKey();
                Tensor gx = e.getValue().grad(), gd = d.namedParameters().get(k).grad();
                if (!e.getValue().requiresGrad()) {
                    assertNull(gx, k + ": frozen");
                    continue;
                }
                assertNotNull(gx, k);
                assertNotNull(gd, k + " of the dense twin");
                Matcher m = CONV2.matcher(k);
                float[] want = m.matches() ? blockDiagonalPart(gd, 2) : gd.toFloatArray();
                assertClose(want, gx.toFloatArray(), 2e-3, k + " gradient, bn_grad=" + bnGrad);
                if (m.matches()) grouped++;
            }
            assertEquals(4 + 6 + 3, grouped, "every grouped conv of layer2..4 trained (layer1 frozen)");
        }
    }

    private static Tensor[] seedTensors(List<Tensor> outs, List<float[]> values) {
        Tensor[] t = new Tensor[outs.size()];
        for (int i = 0; i < t.length; i++) t[i] = Tensor.of(values.get(i).clone(), outs.get(i).shape());
        return t;
    }

    /** [O, C/G, k, k] → [O, C, k, k], zero outside the diagonal blocks. */
    private static Tensor blockDiagonal(Tensor w, int groups) {
        int o = w.dim(0), cg = w.dim(1), kk = w.dim(2) * w.dim(3), og = o / groups;
        float[] src = w.toFloatArray(), dst = new float[o * cg * groups * kk];
        for (int oc = 0; oc < o; oc++)
            System.arraycopy(src, oc * cg * kk, dst, (oc * cg * groups + (oc / og) * cg) * kk, cg * kk);
        return Tensor.of(dst, o, cg * groups, w.dim(2), w.dim(3));
    }

    /** The diagonal blocks of a dense [O, C, k, k] as [O, C/G, k, k]. */
    private static float[] blockDiagonalPart(Tensor dense, int groups) {
        int o = dense.dim(0), c = dense.dim(1), kk = dense.dim(2) * dense.dim(3), og = o / groups, cg = c / groups;
        float[] src = dense.toFloatArray(), dst = new float[o * cg * kk];
        for (int oc = 0; oc < o; oc++)
            System.arraycopy(src, (oc * c + (oc / og) * cg) * kk, dst, oc * cg * kk, cg * kk);
        return dst;
    }

    /** Equal within {@code rtol} of the larger array's largest magnitude. */
    private static void assertClose(float[] want, float[] got, double rtol, String what) {
        assertEquals(want.length, got.length, what);
        double scale = 1e-12;
        for (float v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < got.length; i++)
            if (Math.abs(want[i] - got[i]) > rtol * scale)
                throw new AssertionError(what + " at " + i + ": want " + want[i] + " got " + got[i] + " (scale " + scale + ")");
    }
}
