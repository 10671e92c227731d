package autoassign.train;

import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class SgdTest {
    /** Reference: the formula of AA_5 §3 in double precision. */
    private static double[] reference(double[] p, double[][] grads, double[] lrs, double wd, double m) {
        double[] theta = p.clone(), buf = new double[p.length];
        for (int s = 0; s < grads.length; s++) {
            for (int i = 0; i < p.length; i++) {
                double g = grads[s][i] + wd * theta[i];
                buf[i] = s == 0 ? g : m * buf[i] + g;
                theta[i] -= lrs[s] * buf[i];
            }
        }
        return theta;
    }

    @Test
    void matchesFormulaOverSeveralSteps() {
        float[] init = {0.5f, -1.25f, 2f};
        Tensor decayed = Tensor.of(init.clone(), 3).setRequiresGrad(true);
        Tensor plain = Tensor.of(init.clone(), 3).setRequiresGrad(true);
        Sgd sgd = new Sgd(List.of(new Optimizer.Group("w", decayed, 1e-4f), new Optimizer.Group("gn.weight", plain, 0f)), 0.9f);
        double[][] grads = {{0.1, -0.2, 0.3}, {0.05, 0.4, -0.1}, {-0.3, 0.0, 0.2}};
        double[] lrs = {0.01, 0.02, 0.005};
        for (int s = 0; s < grads.length; s++) {
            float[] g = new float[3];
            for (int i = 0; i < 3; i++) g[i] = (float) grads[s][i];
            decayed.setGrad(Tensor.of(g.clone(), 3));
            plain.setGrad(Tensor.of(g.clone(), 3));
            sgd.step((float) lrs[s]);
            sgd.zeroGrad();
        }
        double[] p0 = {0.5, -1.25, 2};
        assertArrayEquals(reference(p0, grads, lrs, 1e-4, 0.9), toDouble(decayed.data()), 1e-6);
        assertArrayEquals(reference(p0, grads, lrs, 0, 0.9), toDouble(plain.data()), 1e-6);
        assertNull(decayed.grad());
    }

    @Test
    void skipsTensorsWithoutGradient() {
        Tensor p = Tensor.of(new float[] {1f, 2f}, 2).setRequiresGrad(true);
        Sgd sgd = new Sgd(List.of(new Optimizer.Group("p", p, 1e-4f)), 0.9f);
        sgd.step(0.1f);
        assertArrayEquals(new float[] {1f, 2f}, p.data());
    }

    @Test
    void accumulationUpdatesOncePerWindowWithTheMeanGradient() {
        float[] init = {0.5f, -1.25f};
        Tensor acc = Tensor.of(init.clone(), 2).setRequiresGrad(true);
        Tensor ref = Tensor.of(init.clone(), 2).setRequiresGrad(true);
        Sgd accumulating = new Sgd(List.of(new Optimizer.Group("p", acc, 1e-4f)), 0.9f);
        accumulating.accumulate(2, 0, 5); // windows {0, 1}, {2, 3}, and the last {4} alone
        Sgd plain = new Sgd(List.of(new Optimizer.Group("p", ref, 1e-4f)), 0.9f);
        float[][] g = {{0.1f, -0.2f}, {0.3f, 0.4f}, {-0.5f, 0.1f}, {0.2f, 0.2f}, {0.7f, -0.3f}};
        for (int i = 0; i < 5; i++) {
            acc.setGrad(Tensor.of(g[i].clone(), 2));
            float[] before = acc.data().clone();
            accumulating.step(0.1f);
            accumulating.zeroGrad();
            if (i % 2 == 0 && i < 4) assertArrayEquals(before, acc.data(), "no update inside a window (iteration " + i + ")");
        }
        // the plain optimizer with each window's mean gradient: (g0+g1)/2, (g2+g3)/2, g4
        float[][] means = {{(g[0][0] + g[1][0]) / 2, (g[0][1] + g[1][1]) / 2}, {(g[2][0] + g[3][0]) / 2, (g[2][1] + g[3][1]) / 2}, g[4]};
        for (float[] m : means) {
            ref.setGrad(Tensor.of(m.clone(), 2));
            plain.step(0.1f);
            plain.zeroGrad();
        }
        assertArrayEquals(ref.data(), acc.data(), 1e-7f);
    }

    @Test
    void aWindowWithoutGradientsUpdatesNothing() {
        Tensor p = Tensor.of(new float[] {0.5f, -1.25f}, 2).setRequiresGrad(true);
        Sgd sgd = new Sgd(List.of(new Optimizer.Group("p", p, 1e-4f)), 0.9f);
        sgd.accumulate(2, 0, -1);
        for (int i = 0; i < 2; i++) { // one window with gradients: momentum is set
            p.setGrad(Tensor.of(new float[] {0.1f, -0.2f}, 2));
            sgd.step(0.1f);
            sgd.zeroGrad();
        }
        float[] after = p.data().clone(), momentum = sgd.state().get("p").toFloatArray();
        for (int i = 0; i < 2; i++) { // a window whose iterations were all skipped (no backward): no momentum step, no decay
            sgd.step(0.1f);
            sgd.zeroGrad();
        }
        assertArrayEquals(after, p.data(), 0f);
        assertArrayEquals(momentum, sgd.state().get("p").toFloatArray(), 0f);
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
