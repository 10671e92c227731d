package autoassign.model;

import autoassign.autograd.F;
import autoassign.tensor.Tensor;

import java.util.Random;

/**
 * MMCV's {@code DropPath} (stochastic depth) on the rows of B samples (tokens of Swin / PVT, an NCHW map of EfficientNet): in training, each sample's rows times
 * floor(keep + U[0, 1)) / keep, keep = 1 − rate, the uniforms drawn from the engine's generator (seeded per seed, rank
 * and iteration by the trainer through {@link Backbone#setTrainingRandom}, so {@code --resume} stays bit-exact; torch's
 * draws differ). The identity at rate 0, in eval mode, or without a generator.
 */
final class DropPath {
    private DropPath() {}

    static Tensor apply(Tensor x, double rate, int batch, boolean training, Random rng) {
        if (rate == 0 || !training || rng == null) return x;
        float keep = (float) (1 - rate);
        float[] s = new float[batch];
        for (int i = 0; i < batch; i++) s[i] = (float) Math.floor(keep + rng.nextFloat()) / keep;
        return F.rowScale(x, x.backend().fromHost(s, batch));
    }
}
