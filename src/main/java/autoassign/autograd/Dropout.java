package autoassign.autograd;

import autoassign.backend.Backend;
import autoassign.tensor.Tensor;

/**
 * torch's {@code nn.Dropout(p)} in training ({@link Backend#dropout}): each element kept with probability 1 − p and
 * scaled by 1/(1 − p), else 0. The mask is a counter-based function of (seed, element index)
 * ({@link autoassign.backend.DropoutMath}), so the backward is the same op on the output gradient with the same seed
 * (no mask is stored) and the CPU and CUDA backends draw the same mask. The caller draws one seed per call from the
 * trainer's per-(seed, rank, iteration) generator; torch's own random stream is not reproduced.
 */
public final class Dropout {
    private Dropout() {}

    /** x with dropout of rate p under seed (p = 0: x itself). */
    public static Tensor apply(Tensor x, double p, long seed) {
        if (p == 0) return x;
        Backend be = x.backend();
        Tensor y = be.dropout(x, p, seed);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.dropout(g[0], p, seed)});
        return y;
    }
}
