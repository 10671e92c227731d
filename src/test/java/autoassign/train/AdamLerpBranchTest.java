package autoassign.train;

import autoassign.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * torch 2.x's Adam / AdamW move the first moment with {@code exp_avg.lerp_(grad, 1 - beta1)}, and ATen's lerp has two
 * branches: {@code m + w(g − m)} for a weight w &lt; 0.5, {@code g − (g − m)(1 − w)} from 0.5 on, which round
 * differently. β₁ ≤ 0.5 (a config's {@code betas: [0.5, 0.999]}, or a momentum scheduler driving β₁ down) takes the
 * second. The CPU backend's Adam must follow both, bit for bit, as this float32 transcription of
 * {@code _single_tensor_adam} (torch/optim/adam.py, torch 2.x) computes them.
 */
class AdamLerpBranchTest {
    @ParameterizedTest(name = "beta1 {0}, AdamW {1}")
    @CsvSource({"0.9, false", "0.9, true", "0.5, false", "0.3, true", "0.05, false"})
    void firstMomentFollowsBothLerpBranches(double beta1, boolean adamW) {
        int n = 4096;
        double beta2 = 0.999, lr = 1e-3, eps = 1e-8;
        float wd = 0.05f;
        SplittableRandom r = new SplittableRandom(11);
        float[] p0 = new float[n];
        for (int i = 0; i < n; i++) p0[i] = (float) r.nextGaussian();
        Tensor p = Tensor.of(p0.clone(), n);
        Adam adam = new Adam(List.of(new Optimizer.Group("p", p, wd)), beta1, beta2, eps, adamW, 0);
        float[] want = p0.clone(), m = new float[n], v = new float[n];
        for (int t = 1; t <= 4; t++) {
            float[] g = new float[n];
            for (int i = 0; i < n; i++) g[i] = (float) r.nextGaussian();
            p.setGrad(Tensor.of(g.clone(), n));
            adam.step(mult -> lr * mult); // the trainer's double lr (step(float) would round it to float first)
            adam.zeroGrad();
            // the transcription: per-tensor scalars in double, as torch's Python computes them, then float32 elements
            float decay = adamW ? (float) (1 - lr * wd) : 1f, l2 = adamW ? 0f : wd;
            float w = (float) (1 - beta1), b2 = (float) beta2, omb2 = (float) (1 - beta2), e = (float) eps;
            float stepSize = (float) (lr / (1 - Math.pow(beta1, t))), bc2 = (float) Math.sqrt(1 - Math.pow(beta2, t));
            for (int i = 0; i < n; i++) {
                float pi = want[i] * decay;                                   // param.mul_(1 - lr * weight_decay)
                float gi = g[i] + l2 * pi;                                    // grad.add(param, alpha=weight_decay)
                m[i] = Math.abs(w) < 0.5f ? m[i] + w * (gi - m[i]) : gi - (gi - m[i]) * (1f - w); // exp_avg.lerp_
                v[i] = v[i] * b2 + omb2 * (gi * gi);                          // mul_(beta2).addcmul_(grad, grad, 1 - beta2)
                float denom = (float) Math.sqrt(v[i]) / bc2 + e;              // (sqrt() / bias_correction2_sqrt).add_(eps)
                want[i] = pi - stepSize * m[i] / denom;                       // addcdiv_(exp_avg, denom, value=-step_size)
            }
            float[] got = p.toFloatArray(), gotM = adam.state().get("exp_avg.p").toFloatArray();
            for (int i = 0; i < n; i++) {
                assertEquals(m[i], gotM[i], 0f, "exp_avg, step " + t + ", element " + i);
                assertEquals(want[i], got[i], 0f, "param, step " + t + ", element " + i);
            }
        }
    }
}
