package autoassign.model;

import autoassign.config.NormConfig;
import autoassign.nn.FrozenBatchNorm2d;
import autoassign.nn.GroupNorm;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;

/** Builds and applies the norm layer of a {@link NormConfig} (MMCV's {@code build_norm_layer}). */
final class Norms {
    private Norms() {}

    /** MMCV's abbreviation: "bn" or "gn" (norm layers are named {@code bn1}, {@code gn}, ...). */
    static String abbr(NormConfig cfg) { return cfg.isGroupNorm() ? "gn" : "bn"; }

    static Module build(NormConfig cfg, int channels) {
        if (cfg.isGroupNorm()) {
            GroupNorm gn = new GroupNorm(cfg.numGroups(), channels, (float) cfg.eps());
            if (!cfg.requiresGrad()) gn.freeze();
            return gn;
        }
        if ((float) cfg.eps() != FrozenBatchNorm2d.EPS)
            throw new IllegalArgumentException("frozen BatchNorm uses eps " + FrozenBatchNorm2d.EPS + ", got " + cfg.eps());
        return new FrozenBatchNorm2d(channels);
    }

    static Tensor apply(Module norm, Tensor x) {
        if (norm instanceof FrozenBatchNorm2d bn) return bn.forward(x);
        if (norm instanceof GroupNorm gn) return gn.forward(x);
        throw new IllegalStateException("not a norm layer: " + norm.getClass().getSimpleName());
    }

    /** The norm's weight (for zero_init_residual). */
    static Tensor weight(Module norm) {
        if (norm instanceof FrozenBatchNorm2d bn) return bn.weight;
        if (norm instanceof GroupNorm gn) return gn.weight;
        throw new IllegalStateException("not a norm layer: " + norm.getClass().getSimpleName());
    }

    static boolean isNorm(Module m) { return m instanceof FrozenBatchNorm2d || m instanceof GroupNorm; }
}
