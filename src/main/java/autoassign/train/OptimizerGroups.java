package autoassign.train;

import autoassign.config.OptimConfig;
import autoassign.model.AutoAssignDetector;
import autoassign.nn.Conv2d;
import autoassign.nn.DeformConv2dPack;
import autoassign.nn.Module;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The optimizer's parameter groups, as MMEngine's {@code DefaultOptimWrapperConstructor} forms them from
 * {@code paramwise_cfg} (AA_5 §2 for the recipe): every trainable tensor is one group; a {@code custom_keys} entry
 * contained in its name sets its lr and decay multipliers (the longest key first); otherwise GN/BN weights and biases
 * decay at {@code norm_decay_mult}, other biases learn at {@code bias_lr_mult} and decay at {@code bias_decay_mult}.
 * Frozen tensors are in no group, nor are those of backbone stages after the last returned one
 * ({@link autoassign.model.Backbone#parametersAfterTheLastOutput}). The {@code conv_offset} of a deformable conv
 * (backbone {@code dcn}) is where MMEngine's
 * {@code is_dcn_module} flag reaches (it is set for the children of MMCV's DeformConv2d / ModulatedDeformConv2d, not
 * for the layer's own weight): its weight and bias learn at {@code dcn_offset_lr_mult} when given, and its bias takes
 * neither {@code bias_lr_mult}, {@code bias_decay_mult} nor {@code flat_decay_mult}. The weight (and bias) of a
 * depth-wise convolution (MMEngine's {@code is_dwconv}: a Conv2d whose in_channels equal its groups, e.g. MobileNetV2's
 * {@code depthwise_conv}) decays at {@code dwconv_decay_mult} when no norm or bias rule applied first.
 */
public final class OptimizerGroups {
    private OptimizerGroups() {}

    /**
     * The groups; {@code paramwise_cfg.dcn_offset_lr_mult} ({@link OptimConfig#dcnOffsetLrMult}, NaN when absent:
     * MMEngine's None, and the offset convs learn at the rate of the rules before it) applies to the offset convs.
     */
    public static List<Optimizer.Group> of(AutoAssignDetector model, OptimConfig o) {
        double dcnOffsetLrMult = o.dcnOffsetLrMult();
        Set<String> norms = model.normParameterNames();
        Set<String> dcnOffsets = dcnOffsetParameterNames(model);
        Set<String> dwconvs = depthwiseConvParameterNames(model);
        Set<String> unreached = new java.util.HashSet<>();
        for (String k : model.backbone.parametersAfterTheLastOutput()) unreached.add("backbone." + k);
        double wd = o.weightDecay();
        List<Optimizer.Group> groups = new ArrayList<>();
        model.namedParameters().forEach((name, t) -> {
            // unreached: never a gradient (upstream's optimizer skips its None grad); frozen: MMEngine's requires_grad False
            if (!t.requiresGrad() || unreached.contains(name)) return;
            OptimConfig.CustomKey custom = o.customKeys().stream().filter(k -> name.contains(k.key())).findFirst().orElse(null);
            boolean norm = norms.contains(name), bias = name.equals("bias") || name.endsWith(".bias");
            boolean dcnOffset = dcnOffsets.contains(name); // MMEngine's is_dcn_module
            double lrMult, decay;
            if (custom != null) {
                lrMult = custom.lrMult();
                decay = wd * custom.decayMult();
            } else {
                lrMult = bias && !norm && !dcnOffset ? o.biasLrMult() : 1;
                if (dcnOffset && !Double.isNaN(dcnOffsetLrMult)) lrMult = dcnOffsetLrMult;
                // MMEngine's chain: the first rule whose multiplier is given applies (norm, bias, dwconv, flat)
                if (norm && !Double.isNaN(o.normDecayMult())) decay = wd * o.normDecayMult();
                else if (bias && !dcnOffset && !Double.isNaN(o.biasDecayMult())) decay = wd * o.biasDecayMult();
                else if (dwconvs.contains(name) && !Double.isNaN(o.dwconvDecayMult())) decay = wd * o.dwconvDecayMult();
                else if (t.rank() == 1 && !dcnOffset && !Double.isNaN(o.flatDecayMult())) decay = wd * o.flatDecayMult();
                else decay = wd;
            }
            groups.add(new Optimizer.Group(name, t, (float) decay, lrMult));
        });
        return groups;
    }

    /**
     * Full names of the parameters of every deformable conv's {@code conv_offset} (MMEngine's {@code add_params}
     * passes {@code is_dcn_module} true to the children of MMCV's DeformConv2d / ModulatedDeformConv2d only).
     */
    public static Set<String> dcnOffsetParameterNames(Module model) {
        Set<String> out = new java.util.LinkedHashSet<>();
        collectDcnOffsets(model, "", out);
        return out;
    }

    /**
     * Full names of the parameters of every depth-wise convolution: MMEngine's {@code is_dwconv = isinstance(module,
     * nn.Conv2d) and module.in_channels == module.groups}, i.e. a weight of {@code in_channels / groups = 1} input
     * channel per group (a one-channel dense conv qualifies too, as upstream).
     */
    public static Set<String> depthwiseConvParameterNames(Module model) {
        Set<String> out = new java.util.LinkedHashSet<>();
        collectDepthwise(model, "", out);
        return out;
    }

    private static void collectDepthwise(Module m, String prefix, Set<String> out) {
        if (m instanceof Conv2d c && c.weight.dim(1) == 1)
            for (String k : c.namedParameters().keySet()) out.add(prefix + k);
        m.children().forEach((k, c) -> collectDepthwise(c, prefix + k + ".", out));
    }

    private static void collectDcnOffsets(Module m, String prefix, Set<String> out) {
        if (m instanceof DeformConv2dPack d)
            for (String k : d.convOffset.namedParameters().keySet()) out.add(prefix + "conv_offset." + k);
        m.children().forEach((k, c) -> collectDcnOffsets(c, prefix + k + ".", out));
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
