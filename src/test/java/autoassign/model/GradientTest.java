package autoassign.model;

import autoassign.autograd.Graph;
import autoassign.config.ConfigLoader;
import autoassign.config.ModelConfig;
import autoassign.nn.Init;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class GradientTest {

    @Test
    void frozenParametersReceiveNoGradient() {
        AutoAssignDetector m = new AutoAssignDetector(ModelTestConfigs.r50Small(), 5);
        // make every residual branch live (zero_init_residual would hide the frozen-BN path)
        for (var e : m.backbone.stateDict().entrySet())
            if (e.getKey().endsWith("bn3.weight")) Init.constant(e.getValue(), 1f);
        HeadOutputs o = m.forward(DetectorShapeTest.randomImage(2, 64, 64, 3));
        backwardWithRandomSeeds(o, new Random(1));
        assertEquals(0, Graph.size(), "tape must be empty after backward");
        int withGrad = 0;
        for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
            String k = e.getKey();
            boolean frozen = k.startsWith("backbone.conv1") || k.startsWith("backbone.bn1")
                    || k.startsWith("backbone.layer1.") || k.matches("backbone\\..*(bn\\d|downsample\\.1)\\.(weight|bias)");
            if (k.startsWith("bbox_head.center_prior.")) {
                assertTrue(e.getValue().requiresGrad(), k); // trained through the loss only
                continue;
            }
            if (frozen) {
                assertFalse(e.getValue().requiresGrad(), k);
                assertNull(e.getValue().grad(), k + " must get no gradient");
            } else {
                assertTrue(e.getValue().requiresGrad(), k);
                assertNotNull(e.getValue().grad(), k + " must get a gradient");
                withGrad++;
            }
        }
        assertTrue(withGrad > 50, "trainable tensors with a gradient: " + withGrad);
    }

    /** Backpropagates Σ seed·out over every output (a vector-Jacobian product); returns the seeds. */
    static List<float[]> backwardWithRandomSeeds(HeadOutputs o, Random rng) {
        List<Tensor> roots = outputs(o), seeds = new ArrayList<>();
        List<float[]> raw = new ArrayList<>();
        for (int k = 0; k < roots.size(); k++) {
            Tensor t = roots.get(k);
            // distances are raw·stride: weight them by 1/stride so every output counts about the same
            double w = k % 3 == 1 ? 1.0 / o.stride(k / 3) : 1.0;
            float[] d = new float[t.numel()];
            for (int i = 0; i < d.length; i++) d[i] = (float) (w * rng.nextGaussian());
            raw.add(d);
            seeds.add(Tensor.of(d.clone(), t.shape()));
        }
        Graph.backward(roots.toArray(new Tensor[0]), seeds.toArray(new Tensor[0]));
        return raw;
    }

    static List<Tensor> outputs(HeadOutputs o) {
        List<Tensor> out = new ArrayList<>();
        for (int l = 0; l < o.numLevels(); l++) {
            out.add(o.clsLogits(l));
            out.add(o.distances(l));
            out.add(o.objLogits(l));
        }
        return out;
    }

    // ---------------------------------------------------------------- finite differences through FPN + head

    private Fpn fpn;
    private AutoAssignHead head;
    private Tensor[] feats;

    private double lossValue(List<float[]> seeds) {
        try (AutoCloseable g = Graph.noGrad()) {
            List<Tensor> outs = outputs(head.forward(fpn.forward(List.of(feats))));
            double s = 0;
            for (int i = 0; i < outs.size(); i++) {
                float[] v = outs.get(i).toFloatArray(), r = seeds.get(i);
                for (int j = 0; j < v.length; j++) s += (double) v[j] * r[j];
            }
            return s;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void finiteDifferencesThroughFpnAndHead() {
        ModelConfig cfg = ConfigLoader.load(Path.of("configs/autoassign_tiny_synthetic.yaml"), List.of(
                "model.backbone.base_channels=4", "model.backbone.norm_cfg.num_groups=2",
                "model.neck.in_channels=[8, 16, 32]", "model.neck.out_channels=8",
                "model.bbox_head.in_channels=8", "model.bbox_head.feat_channels=8",
                "model.bbox_head.norm_cfg.num_groups=2")).model();
        fpn = new Fpn(cfg.neck());
        head = new AutoAssignHead(cfg.bboxHead());
        Random rng = new Random(42);
        fpn.initWeights(rng);
        for (var e : head.namedParameters().entrySet()) {
            Tensor t = e.getValue();
            if (e.getKey().endsWith("scale")) Init.uniform(t, 0.7, 1.3, rng);
            else if (e.getKey().contains(".gn.weight")) Init.uniform(t, 0.5, 1.5, rng);
            // keep most ReLU / clamp inputs away from their kink so that finite differences are meaningful
            else if (e.getKey().contains(".gn.bias")) Init.uniform(t, 1.5, 2.5, rng);
            else if (e.getKey().equals("conv_reg.bias")) Init.uniform(t, 2, 3, rng);
            else Init.normal(t, 0, 0.3, rng);
        }
        // C3, C4, C5 of a 2-image batch with a 128x96 input (odd sizes on P6/P7: 2x2 -> 1x1)
        int[][] shapes = {{2, 8, 16, 12}, {2, 16, 8, 6}, {2, 32, 4, 3}};
        feats = new Tensor[3];
        for (int i = 0; i < 3; i++) {
            int[] s = shapes[i];
            float[] d = new float[2 * s[1] * s[2] * s[3]];
            for (int j = 0; j < d.length; j++) d[j] = (float) rng.nextGaussian();
            feats[i] = Tensor.of(d, s).setRequiresGrad(true);
        }
        HeadOutputs o = head.forward(fpn.forward(List.of(feats)));
        assertArrayEquals(new int[][] {{16, 12}, {8, 6}, {4, 3}, {2, 2}, {1, 1}}, o.featmapSizes());
        List<float[]> seeds = backwardWithRandomSeeds(o, new Random(7));

        Map<String, Tensor> p = new java.util.LinkedHashMap<>();
        fpn.namedParameters().forEach((k, v) -> p.put("neck." + k, v));
        head.namedParameters().forEach((k, v) -> p.put("bbox_head." + k, v));
        p.put("input.C3", feats[0]);
        p.put("input.C5", feats[2]);
        String[] check = {"neck.lateral_convs.0.conv.weight", "neck.lateral_convs.2.conv.bias",
                "neck.fpn_convs.1.conv.weight", "neck.fpn_convs.3.conv.weight", "neck.fpn_convs.4.conv.weight",
                "bbox_head.cls_convs.0.conv.weight", "bbox_head.cls_convs.1.conv.bias",
                "bbox_head.reg_convs.1.gn.weight", "bbox_head.reg_convs.0.gn.bias",
                "bbox_head.conv_cls.weight", "bbox_head.conv_reg.bias", "bbox_head.conv_reg.weight",
                "bbox_head.conv_centerness.weight", "bbox_head.scales.0.scale", "bbox_head.scales.3.scale",
                "bbox_head.center_prior.mean", "input.C3", "input.C5"};
        Random pick = new Random(3);
        // float32 forward noise (~1e-5 of the loss) dominates small steps and ReLU/clamp kinks spoil large
        // ones, so accept the best of three steps; a wrong backward is off by far more than 1%
        double[] steps = {3e-3, 1e-3, 3e-4};
        for (String name : check) {
            Tensor t = p.get(name);
            assertNotNull(t, name);
            if (name.contains("center_prior")) {
                assertNull(t.grad(), "the head forward does not use the center prior");
                continue;
            }
            assertNotNull(t.grad(), name);
            float[] g = t.grad().toFloatArray();
            float[] data = t.data();
            for (int k = 0; k < 4; k++) {
                int i = pick.nextInt(data.length);
                float orig = data[i];
                double best = Double.NaN, bestErr = Double.POSITIVE_INFINITY;
                for (double eps : steps) {
                    data[i] = (float) (orig + eps);
                    double up = lossValue(seeds);
                    data[i] = (float) (orig - eps);
                    double down = lossValue(seeds);
                    data[i] = orig;
                    double num = (up - down) / (2 * eps);
                    if (Math.abs(num - g[i]) < bestErr) {
                        bestErr = Math.abs(num - g[i]);
                        best = num;
                    }
                }
                assertEquals(best, g[i], 2e-2 + 1e-2 * Math.abs(best), name + "[" + i + "]");
            }
        }
    }
}
