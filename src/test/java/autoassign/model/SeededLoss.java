package autoassign.model;

import autoassign.autograd.Graph;
import autoassign.tensor.Tensor;

import java.util.List;

/**
 * The scalar the backbones' directional finite-difference tests differentiate: Σ over the outputs of output · seed,
 * with one weight moved to {@code w0 + eps·dir} (the caller restores it).
 */
final class SeededLoss {
    private SeededLoss() {}

    static double of(Backbone m, Tensor x, Tensor w, float[] w0, float[] dir, double eps, List<float[]> seeds) {
        float[] v = new float[w0.length];
        for (int j = 0; j < v.length; j++) v[j] = (float) (w0[j] + eps * dir[j]);
        w.copyFrom(Tensor.of(v, w.shape()));
        try (Graph.Scope g = Graph.noGrad()) {
            List<Tensor> outs = m.forward(x);
            double l = 0;
            for (int i = 0; i < outs.size(); i++) {
                float[] o = outs.get(i).toFloatArray(), s = seeds.get(i);
                for (int j = 0; j < o.length; j++) l += (double) o[j] * s[j];
            }
            return l;
        }
    }
}
