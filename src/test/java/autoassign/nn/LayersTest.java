package autoassign.nn;

import autoassign.autograd.F;
import autoassign.autograd.GradCheck;
import autoassign.autograd.Graph;
import autoassign.autograd.RefOps;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static autoassign.autograd.GradCheck.leaf;
import static autoassign.autograd.GradCheck.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The layers: forward against double references, gradients by finite differences, frozen parameters, names. */
class LayersTest {
    private final Random rnd = new Random(5);

    @AfterEach
    void clearTape() { Graph.clear(); }

    private static void fill(Tensor t, float[] v) { System.arraycopy(v, 0, t.data(), 0, v.length); }

    @Test
    void conv2dModule() {
        Conv2d conv = new Conv2d(3, 4, 3, 2, 1, true);
        fill(conv.weight, uniform(rnd, 4 * 3 * 9));
        fill(conv.bias, uniform(rnd, 4));
        int[] xs = {2, 3, 7, 6};
        GradCheck.check("Conv2d module", in -> conv.forward(in[0]),
                d -> RefOps.conv2d(d[0], xs, d[1], new int[] {4, 3, 3, 3}, d[2], 2, 2, 1, 1, 1, 1),
                leaf(uniform(rnd, 2 * 3 * 7 * 6), xs), conv.weight, conv.bias);
        assertEquals(List.of("weight", "bias"), List.copyOf(conv.namedParameters().keySet()));
        Conv2d noBias = new Conv2d(3, 4, 1, 1, 0, false);
        assertNull(noBias.bias);
        assertEquals(List.of("weight"), List.copyOf(noBias.namedParameters().keySet()));
    }

    @Test
    void dilatedConvModule() {
        Conv2d conv = new Conv2d(2, 3, 3, 1, 2, 2, false);
        fill(conv.weight, uniform(rnd, 3 * 2 * 9));
        int[] xs = {1, 2, 6, 5};
        GradCheck.check("dilated Conv2d", in -> conv.forward(in[0]),
                d -> RefOps.conv2d(d[0], xs, d[1], new int[] {3, 2, 3, 3}, null, 1, 1, 2, 2, 2, 2),
                leaf(uniform(rnd, 60), xs), conv.weight);
    }

    @Test
    void groupedConvModule() {
        // PyTorch's nn.Conv2d(6, 4, 3, stride=1, padding=1, groups=2): weight [4, 3, 3, 3]
        Conv2d conv = new Conv2d(6, 4, 3, 1, 1, 1, 2, true);
        assertEquals(2, conv.groups());
        assertEquals(List.of(4, 3, 3, 3), java.util.Arrays.stream(conv.weight.shape()).boxed().toList());
        fill(conv.weight, uniform(rnd, 4 * 3 * 9));
        fill(conv.bias, uniform(rnd, 4));
        int[] xs = {2, 6, 5, 4};
        GradCheck.check("grouped Conv2d", in -> conv.forward(in[0]),
                d -> RefOps.conv2d(d[0], xs, d[1], new int[] {4, 3, 3, 3}, d[2], 2, 1, 1, 1, 1, 1, 1),
                leaf(uniform(rnd, 2 * 6 * 5 * 4), xs), conv.weight, conv.bias);
        // fans as PyTorch reads them off the shape: fan_in = in/groups · k², fan_out = out · k²
        assertEquals(3 * 9, Init.fanIn(conv.weight));
        assertEquals(4 * 9, Init.fanOut(conv.weight));
        // a depthwise conv: one input channel per output
        assertEquals(List.of(8, 1, 3, 3), java.util.Arrays.stream(new Conv2d(8, 8, 3, 1, 1, 1, 8, false).weight.shape()).boxed().toList());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Conv2d(6, 4, 3, 1, 1, 1, 4, false));
        assertTrue(e.getMessage().contains("divisible by groups=4"), e.getMessage());
    }

    @Test
    void frozenBatchNormUsesRunningStatsAndGetsNoGradient() {
        BatchNorm2d bn = new BatchNorm2d(3);
        fill(bn.weight, new float[] {1.5f, -0.5f, 2f});
        fill(bn.bias, new float[] {0.1f, 0.2f, -0.3f});
        fill(bn.runningMean, new float[] {0.3f, -0.2f, 0f});
        fill(bn.runningVar, new float[] {0.5f, 2f, 1e-6f}); // a tiny variance: eps 1e-5 must be added
        int[] xs = {2, 3, 4, 5};
        Tensor x = leaf(uniform(rnd, 120), xs);
        GradCheck.check("BatchNorm2d", in -> bn.forward(in[0]),
                d -> RefOps.batchNorm(d[0], xs, new double[] {1.5, -0.5, 2}, new double[] {0.1, 0.2, -0.3},
                        new double[] {0.3, -0.2, 0}, new double[] {0.5, 2, 1e-6}, 1e-5), 1e-4, x);
        assertNull(bn.weight.grad());
        assertNull(bn.bias.grad());
        assertTrue(bn.trainableParameters().isEmpty());
        assertEquals(List.of("weight", "bias", "running_mean", "running_var", "num_batches_tracked"), List.copyOf(bn.stateDict().keySet()));
        // a frozen BN on an input that needs no gradient is not recorded
        bn.forward(Tensor.zeros(1, 3, 2, 2));
        assertEquals(0, Graph.size());
    }

    @Test
    void groupNormModule() {
        GroupNorm gn = new GroupNorm(2, 6, 1e-5f);
        fill(gn.weight, uniform(rnd, 6));
        fill(gn.bias, uniform(rnd, 6));
        int[] xs = {2, 6, 3, 4};
        GradCheck.check("GroupNorm module", in -> gn.forward(in[0]),
                d -> RefOps.groupNorm(d[0], xs, d[1], d[2], 2, 1e-5), 5e-4, leaf(uniform(rnd, 144), xs), gn.weight, gn.bias);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GroupNorm(4, 6, 1e-5f));
        assertTrue(e.getMessage().contains("GroupNorm") && e.getMessage().contains("6 channels"), e.getMessage());
    }

    @Test
    void scaleModule() {
        Scale s = new Scale(1.0f);
        assertEquals(0, s.scale.rank(), "MMCV's Scale is a 0-dim tensor");
        fill(s.scale, new float[] {0.7f});
        int[] xs = {2, 4, 3, 3};
        GradCheck.check("Scale module", in -> s.forward(in[0]), d -> RefOps.mul(d[0], d[1][0]), leaf(uniform(rnd, 72), xs), s.scale);
    }

    /** A stem (frozen, as in AutoAssign) feeding a trainable stage. */
    static final class TwoStage extends Module {
        final Conv2d stemConv = child("conv1", new Conv2d(3, 4, 3, 2, 1, false));
        final BatchNorm2d stemBn = child("bn1", new BatchNorm2d(4));
        final Conv2d conv = child("layer2", new Conv2d(4, 4, 3, 1, 1, true));

        TwoStage() {
            stemConv.freeze();
        }

        Tensor forward(Tensor x) { return conv.forward(F.relu(stemBn.forward(stemConv.forward(x)))); }
    }

    @Test
    void frozenStageGetsNoGradientAndNames() {
        TwoStage m = new TwoStage();
        fill(m.stemConv.weight, uniform(rnd, 4 * 3 * 9));
        fill(m.conv.weight, uniform(rnd, 4 * 4 * 9));
        assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "layer2.weight", "layer2.bias"),
                List.copyOf(m.namedParameters().keySet()));
        assertEquals(2, m.trainableParameters().size());
        Tensor loss = F.sum(m.forward(Tensor.of(uniform(rnd, 2 * 3 * 9 * 9), 2, 3, 9, 9)));
        assertEquals(2, Graph.size(), "the frozen stem records nothing");
        Graph.backward(loss);
        assertNull(m.stemConv.weight.grad());
        assertNull(m.stemBn.weight.grad());
        assertNotNull(m.conv.weight.grad());
        assertNotNull(m.conv.bias.grad());
        assertEquals(0, Graph.size());
    }

    @Test
    void inferenceUnderNoGrad() {
        TwoStage m = new TwoStage();
        try (Graph.Scope ignored = Graph.noGrad()) {
            Tensor y = m.forward(Tensor.zeros(1, 3, 5, 5));
            assertEquals(0, Graph.size());
            assertTrue(!y.requiresGrad());
        }
    }

    @Test
    void badInputNamesOpAndShapes() {
        Conv2d conv = new Conv2d(3, 4, 3, 1, 1, true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conv.forward(Tensor.zeros(1, 5, 8, 8)));
        assertTrue(e.getMessage().startsWith("conv2d:") && e.getMessage().contains("[1, 5, 8, 8]")
                && e.getMessage().contains("[4, 3, 3, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, -4, 3, 1, 1, true));
        assertTrue(e.getMessage().contains("Conv2d") && e.getMessage().contains("out=-4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(3).forward(Tensor.zeros(1, 4, 2, 2)));
        assertTrue(e.getMessage().contains("channelAffine") && e.getMessage().contains("[1, 4, 2, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GroupNorm(2, 4, 1e-5f).forward(Tensor.zeros(1, 6, 2, 2)));
        assertTrue(e.getMessage().contains("groupNorm") && e.getMessage().contains("[1, 6, 2, 2]"), e.getMessage());
    }
}
