package autoassign.model;

import autoassign.autograd.F;
import autoassign.config.NormConfig;
import autoassign.nn.Conv2d;
import autoassign.nn.BatchNorm2d;
import autoassign.nn.GroupNorm;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
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
        return new BatchNorm2d(channels, cfg.requiresGrad(), cfg.momentum(), (float) cfg.eps());
    }

    /**
     * conv → norm (→ + residual) (→ ReLU) with the fewest activations: a frozen BatchNorm in eval mode (and the
     * residual and ReLU) is fused into the conv ({@code F.convAffineAct}); GroupNorm takes the ReLU in place
     * ({@code F.groupNormAct}) and adds a residual as a separate op. {@code norm} may be null (conv → ReLU).
     * The conv output that GroupNorm consumed is released at once when no tape node needs it (frozen layers,
     * inference).
     */
    static Tensor convNormAct(Conv2d conv, Module norm, Tensor x, Tensor residual, boolean relu) {
        if (norm == null || norm instanceof BatchNorm2d bn && !bn.trainsAffine() && !bn.normalisesWithBatchStatistics()) {
            Tensor[] ss = norm == null ? new Tensor[2] : ((BatchNorm2d) norm).scaleShift(x);
            return F.convAffineAct(x, conv.weight, conv.bias, conv.geometry, ss[0], ss[1], residual, relu);
        }
        if (norm instanceof BatchNorm2d bn) { // trainable affine or batch statistics: conv, then the BN op, then residual / ReLU
            Tensor c = conv.forward(x);
            Tensor y = bn.forward(c);
            MemoryScope.dispose(c); // kept when the BN's backward needs it
            return residualRelu(y, residual, relu);
        }
        if (!(norm instanceof GroupNorm gn)) throw new IllegalStateException("not a norm layer: " + norm.getClass().getSimpleName());
        Tensor c = conv.forward(x);
        Tensor y = gn.forward(c, relu && residual == null);
        MemoryScope.dispose(c);
        if (residual == null) return y;
        return residualRelu(y, residual, relu);
    }

    /** y (+ residual) (→ ReLU), releasing what no tape node needs; y is already activated when there is no residual. */
    private static Tensor residualRelu(Tensor y, Tensor residual, boolean relu) {
        if (residual == null) {
            if (!relu) return y;
            Tensor r = F.relu(y);
            MemoryScope.dispose(y);
            return r;
        }
        Tensor sum = F.add(y, residual);
        MemoryScope.dispose(y);
        if (!relu) return sum;
        Tensor r = F.relu(sum);
        MemoryScope.dispose(sum);
        return r;
    }

    /** Every BatchNorm in {@code m}, itself included (the stages' norm_eval / SyncBN switches). */
    static void forEachBatchNorm(Module m, java.util.function.Consumer<BatchNorm2d> action) {
        if (m instanceof BatchNorm2d bn) action.accept(bn);
        for (Module c : m.children().values()) forEachBatchNorm(c, action);
    }

    /** The norm's weight (for zero_init_residual). */
    static Tensor weight(Module norm) {
        if (norm instanceof BatchNorm2d bn) return bn.weight;
        if (norm instanceof GroupNorm gn) return gn.weight;
        throw new IllegalStateException("not a norm layer: " + norm.getClass().getSimpleName());
    }

    static boolean isNorm(Module m) {
        return m instanceof BatchNorm2d || m instanceof GroupNorm || m instanceof autoassign.nn.LayerNorm; // MMEngine's is_norm: LayerNorm too
    }
}
