package autoassign.train;

import autoassign.config.OptimConfig;
import autoassign.model.AutoAssignDetector;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The optimizer's parameter groups, as MMEngine's {@code DefaultOptimWrapperConstructor} forms them from
 * {@code paramwise_cfg} (AA_5 §2 for the recipe): every trainable tensor is one group; a {@code custom_keys} entry
 * contained in its name sets its lr and decay multipliers (the longest key first); otherwise GN/BN weights and biases
 * decay at {@code norm_decay_mult}, other biases learn at {@code bias_lr_mult} and decay at {@code bias_decay_mult}.
 * Frozen tensors are in no group.
 */
public final class OptimizerGroups {
    private OptimizerGroups() {}

    public static List<Optimizer.Group> of(AutoAssignDetector model, OptimConfig o) {
        Set<String> norms = model.normParameterNames();
        double wd = o.weightDecay();
        List<Optimizer.Group> groups = new ArrayList<>();
        model.namedParameters().forEach((name, t) -> {
            if (!t.requiresGrad()) return;
            OptimConfig.CustomKey custom = o.customKeys().stream().filter(k -> name.contains(k.key())).findFirst().orElse(null);
            boolean norm = norms.contains(name), bias = name.equals("bias") || name.endsWith(".bias");
            double lrMult, decay;
            if (custom != null) {
                lrMult = custom.lrMult();
                decay = wd * custom.decayMult();
            } else {
                lrMult = bias && !norm ? o.biasLrMult() : 1;
                // MMEngine's chain: the first rule whose multiplier is given applies (no depth-wise or deformable convs here)
                if (norm && !Double.isNaN(o.normDecayMult())) decay = wd * o.normDecayMult();
                else if (bias && !Double.isNaN(o.biasDecayMult())) decay = wd * o.biasDecayMult();
                else if (t.rank() == 1 && !Double.isNaN(o.flatDecayMult())) decay = wd * o.flatDecayMult();
                else decay = wd;
            }
            groups.add(new Optimizer.Group(name, t, (float) decay, lrMult));
        });
        return groups;
    }

    /**
     * The lr multiplier of MMEngine's first parameter group, whose lr its logs call {@code lr}: the model's first
     * parameter's, or 1 when that one is frozen (MMEngine still gives it a group, at the optimizer's default lr).
     */
    public static double firstGroupLrMult(AutoAssignDetector model, List<Optimizer.Group> groups) {
        String first = model.namedParameters().keySet().stream().findFirst().orElse(null);
        return !groups.isEmpty() && groups.get(0).name().equals(first) ? groups.get(0).lrMult() : 1;
    }
}
