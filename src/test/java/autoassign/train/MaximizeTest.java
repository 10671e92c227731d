package autoassign.train;

import autoassign.config.ConfigLoader;
import autoassign.config.OptimConfig;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * torch's {@code maximize} on SGD, Adam and AdamW as a config builds them ({@link Optimizer#of}): torch negates the
 * gradient before anything else, which is exact, so a maximizing step on g must equal, bit for bit, the minimizing step
 * on −g, with {@code clip_grad} seeing the same norm (torch clips before the step) and the parameter's {@code .grad}
 * left as it was. The golden cases (optimizer/*_maximize, optimizer_rules/adam*_maximize) check the values against torch.
 */
class MaximizeTest {
    private static OptimConfig config(String optimizer) throws Exception {
        String text = Files.readString(Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml"));
        return ConfigLoader.parse(text, "configs/x.yaml", List.of("optim_wrapper.optimizer=" + optimizer,
                "optim_wrapper.paramwise_cfg={_delete_: true}", "optim_wrapper.clip_grad={_delete_: true, max_norm: 0.5}")).optimWrapper();
    }

    private static List<Optimizer.Group> groups() {
        return List.of(new Optimizer.Group("a", Tensor.of(new float[] {0.5f, -1.25f, 2f, 0.125f}, 2, 2), 0.01f),
                new Optimizer.Group("b", Tensor.of(new float[] {-0.3f, 0.7f, 1.1f}, 3), 0f));
    }

    private static float[][] grads(int step, float sign) {
        return new float[][] {{0.3f * sign, -0.2f * sign * step, 0.05f * sign, 0.9f * sign},
                {-0.4f * sign * step, 0.6f * sign, 0.1f * sign}};
    }

    @Test
    void aMaximizingStepIsTheMinimizingStepOnTheNegatedGradient() throws Exception {
        for (String opt : List.of("type: SGD, lr: 0.1, momentum: 0.9, weight_decay: 0.001",
                "type: SGD, lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.001", "type: SGD, lr: 0.1",
                "type: Adam, lr: 0.01, weight_decay: 0.001", "type: AdamW, lr: 0.01", "type: AdamW, lr: 0.01, amsgrad: true")) {
            List<Optimizer.Group> up = groups(), down = groups();
            Optimizer max = Optimizer.of(up, config("{_delete_: true, " + opt + ", maximize: true}"));
            Optimizer min = Optimizer.of(down, config("{_delete_: true, " + opt + "}"));
            boolean moved = false;
            for (int step = 1; step <= 3; step++) {
                float[][] g = grads(step, 1), neg = grads(step, -1);
                for (int i = 0; i < 2; i++) {
                    up.get(i).param().setGrad(Tensor.of(g[i], up.get(i).param().shape()));
                    down.get(i).param().setGrad(Tensor.of(neg[i], down.get(i).param().shape()));
                }
                float[] before = up.get(0).param().toFloatArray();
                max.step(0.1f);
                min.step(0.1f);
                assertEquals(min.lastGradNorm(), max.lastGradNorm(), opt + ": clip_grad sees the gradient's norm");
                assertTrue(min.lastGradNorm() > 0.5, "the case clips");
                for (int i = 0; i < 2; i++)
                    assertArrayEquals(down.get(i).param().toFloatArray(), up.get(i).param().toFloatArray(), opt + " step " + step);
                moved |= !Arrays.equals(before, up.get(0).param().toFloatArray());
                max.zeroGrad();
                min.zeroGrad();
            }
            assertTrue(moved, opt);
        }
    }

    @Test
    void theParametersGradientIsLeftAsItWas() throws Exception {
        List<Optimizer.Group> gs = groups();
        Optimizer sgd = Optimizer.of(gs, config("{_delete_: true, type: SGD, lr: 0.1, maximize: true}"));
        float[] g = {0.1f, 0.1f, 0.1f, 0.1f};
        gs.get(0).param().setGrad(Tensor.of(g, 2, 2));
        float p0 = gs.get(0).param().toFloatArray()[0];
        sgd.step(0.1f);
        assertArrayEquals(g, gs.get(0).param().grad().toFloatArray());
        // ascends: θ + lr·(g − λθ) with λ = 0.01 (torch: grad = -g, then + λθ; θ -= lr·grad); no clip: |g| = 0.2 < 0.5
        assertEquals(p0 + 0.1f * (0.1f - 0.01f * p0), gs.get(0).param().toFloatArray()[0], 1e-7);
    }
}
