package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.config.OptimConfig;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MMEngine's paramwise_cfg rules on the tiny model, and what Sgd does with a group's lr multiplier and clip_grad. */
class OptimizerGroupsTest {
    @TempDir Path tmp;

    private Map<String, Optimizer.Group> groups(String... overrides) throws Exception {
        TinyTrainConfig.write(tmp);
        Config cfg = ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of(overrides));
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        return OptimizerGroups.of(model, cfg.optimWrapper()).stream().collect(Collectors.toMap(Optimizer.Group::name, g -> g));
    }

    @Test
    void biasRuleSkipsNormsAndCustomKeysWinLongestFirst() throws Exception {
        Map<String, Optimizer.Group> g = groups("optim_wrapper.paramwise_cfg={norm_decay_mult: 0.0, bias_lr_mult: 2.0, bias_decay_mult: 0.0,"
                + " custom_keys: {backbone: {lr_mult: 0.1}, 'bbox_head.conv_reg': {lr_mult: 0.5, decay_mult: 0.0},"
                + " bbox_head: {decay_mult: 2.0}}}");
        Optimizer.Group convBias = g.get("neck.fpn_convs.0.conv.bias"), convWeight = g.get("neck.fpn_convs.0.conv.weight");
        assertEquals(2.0, convBias.lrMult());
        assertEquals(0f, convBias.weightDecay());
        assertEquals(1.0, convWeight.lrMult());
        assertEquals(1e-4f, convWeight.weightDecay(), 1e-12f);
        for (Optimizer.Group x : g.values()) {
            if (x.name().startsWith("backbone.")) assertEquals(0.1, x.lrMult(), x.name()); // the custom key, no bias rule
            if (x.name().startsWith("bbox_head.conv_reg.")) {
                assertEquals(0.5, x.lrMult(), x.name() + ": the longer key wins");
                assertEquals(0f, x.weightDecay(), x.name());
            } else if (x.name().startsWith("bbox_head.")) {
                assertEquals(1.0, x.lrMult(), x.name());
                assertEquals(2e-4f, x.weightDecay(), 1e-12f, x.name());
            }
        }
    }

    /** MMEngine logs its first parameter group's lr as {@code lr}: the model's first parameter's, 1 when it is frozen. */
    @Test
    void theLoggedLrIsTheFirstParametersGroup() throws Exception {
        String custom = "optim_wrapper.paramwise_cfg={norm_decay_mult: 0.0, custom_keys: {backbone: {lr_mult: 0.1}}}";
        TinyTrainConfig.write(tmp);
        for (String frozen : List.of("-1", "1")) {
            Config cfg = ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of(custom, "model.backbone.frozen_stages=" + frozen));
            AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
            assertEquals("backbone.conv1.weight", model.namedParameters().keySet().iterator().next());
            double mult = OptimizerGroups.firstGroupLrMult(model, OptimizerGroups.of(model, cfg.optimWrapper()));
            assertEquals(frozen.equals("-1") ? 0.1 : 1.0, mult, "frozen_stages " + frozen);
            assertTrue(cfg.optimWrapper().paramGroups(), "a non-empty paramwise_cfg: one group per parameter, base_lr logged");
        }
        String yaml = TinyTrainConfig.yaml(), line = "  paramwise_cfg: {norm_decay_mult: 0.0}\n";
        assertTrue(yaml.contains(line));
        java.nio.file.Files.writeString(tmp.resolve("plain.yaml"), yaml.replace(line, ""));
        Config plain = ConfigLoader.load(tmp.resolve("plain.yaml"), List.of());
        assertTrue(!plain.optimWrapper().paramGroups(), "no paramwise_cfg: one group, no base_lr");
    }

    /**
     * MMEngine's decay rules are an elif chain on multipliers that are given: without norm_decay_mult a norm's bias
     * takes bias_decay_mult; flat_decay_mult takes the remaining one-dimensional tensors (not the 0-dim scales).
     */
    /** A ResNet stage after the last of out_indices feeds no output: no group (a data-parallel step would decay it). */
    @Test
    void resNetStagesAfterTheLastOutputHaveNoGroup() throws Exception {
        // the tiny config returns C3..C5 of 4 stages; returning C3, C4 only leaves layer4 unreached
        Map<String, Optimizer.Group> g = groups("model.backbone.out_indices=[1, 2]", "model.neck.in_channels=[32, 64]");
        assertTrue(g.keySet().stream().noneMatch(k -> k.startsWith("backbone.layer4.")), g.keySet().toString());
        assertTrue(g.containsKey("backbone.layer3.0.conv1.weight"));
        assertTrue(groups().containsKey("backbone.layer4.0.conv1.weight"), "returned: grouped");
    }

    @Test
    void decayRulesFallThroughAsMmengines() throws Exception {
        Map<String, Optimizer.Group> g = groups("optim_wrapper.paramwise_cfg={_delete_: true, bias_decay_mult: 0.0}");
        String gnWeight = "bbox_head.cls_convs.0.gn.weight", gnBias = "bbox_head.cls_convs.0.gn.bias";
        assertEquals(0f, g.get(gnBias).weightDecay(), "no norm rule: the bias rule");
        assertEquals(1e-4f, g.get(gnWeight).weightDecay(), 1e-12f, "no rule for a norm weight: the base decay");
        g = groups("optim_wrapper.paramwise_cfg={_delete_: true, flat_decay_mult: 0.5}");
        assertEquals(5e-5f, g.get(gnWeight).weightDecay(), 1e-12f, "1-d: flat_decay_mult");
        assertEquals(5e-5f, g.get(gnBias).weightDecay(), 1e-12f);
        assertEquals(5e-5f, g.get("neck.fpn_convs.0.conv.bias").weightDecay(), 1e-12f);
        assertEquals(1e-4f, g.get("neck.fpn_convs.0.conv.weight").weightDecay(), 1e-12f, "4-d: the base decay");
        assertEquals(1e-4f, g.get("bbox_head.scales.0.scale").weightDecay(), 1e-12f, "0-d: not flat");
        g = groups("optim_wrapper.paramwise_cfg={_delete_: true, norm_decay_mult: 0.0, bias_decay_mult: 2.0, flat_decay_mult: 0.5}");
        assertEquals(0f, g.get(gnBias).weightDecay(), "the norm rule comes first");
        assertEquals(2e-4f, g.get("neck.fpn_convs.0.conv.bias").weightDecay(), 1e-12f, "then the bias rule");
    }

    @Test
    void normBiasesKeepTheirLrAndDecayAtNormDecayMult() throws Exception {
        TinyTrainConfig.write(tmp);
        Config cfg = ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of(
                "optim_wrapper.paramwise_cfg={norm_decay_mult: 0.5, bias_lr_mult: 3.0, bias_decay_mult: 0.0}"));
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        Set<String> norms = model.normParameterNames();
        assertTrue(norms.stream().anyMatch(n -> n.endsWith("bias")), "the tiny model has norm layers with biases");
        for (Optimizer.Group x : OptimizerGroups.of(model, cfg.optimWrapper())) {
            if (norms.contains(x.name())) {
                assertEquals(1.0, x.lrMult(), x.name());
                assertEquals(0.5e-4f, x.weightDecay(), 1e-12f, x.name());
            } else if (x.name().endsWith(".bias")) {
                assertEquals(3.0, x.lrMult(), x.name());
                assertEquals(0f, x.weightDecay(), x.name());
            }
        }
    }

    @Test
    void unknownCustomKeyEntriesAreErrors() {
        ConfigException e = assertThrows(ConfigException.class, () -> groups(
                "optim_wrapper.paramwise_cfg.custom_keys={backbone: {lr_mult: 0.1, requires_grad: false}}"));
        assertTrue(e.getMessage().contains("optim_wrapper.paramwise_cfg.custom_keys.backbone.requires_grad: unknown key"), e.getMessage());
    }

    /** OptimWrapper's {@code clip_grad.type}: 'norm' (its default) is clip_grad_norm_; 'value' is refused in one line. */
    @Test
    void clipGradTypeNormIsAcceptedAndValueRefused() throws Exception {
        TinyTrainConfig.write(tmp);
        Config cfg = ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("optim_wrapper.clip_grad={type: norm, max_norm: 35, norm_type: 2}"));
        assertEquals(35.0, cfg.optimWrapper().clipGradMaxNorm());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(tmp.resolve("tiny_test.yaml"),
                List.of("optim_wrapper.clip_grad={type: value, clip_value: 1}")));
        assertTrue(e.getMessage().contains("optim_wrapper.clip_grad.type: must be one of norm, got 'value'"), e.getMessage());
    }

    @Test
    void customKeysAreMatchedLongestFirstThenAlphabetically() throws Exception {
        TinyTrainConfig.write(tmp);
        Config cfg = ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of(
                "optim_wrapper.paramwise_cfg.custom_keys={a: {lr_mult: 1.0}, bb: {lr_mult: 2.0}, ab: {lr_mult: 3.0}}"));
        assertEquals(List.of("ab", "bb", "a"), cfg.optimWrapper().customKeys().stream().map(OptimConfig.CustomKey::key).toList());
    }

    @Test
    void lrMultiplierScalesTheStepAndClipGradScalesTheGradients() {
        Tensor a = Tensor.of(new float[] {1f, 1f}, 2).setRequiresGrad(true);
        Tensor b = Tensor.of(new float[] {1f}, 1).setRequiresGrad(true);
        Sgd sgd = new Sgd(List.of(new Optimizer.Group("a", a, 0f, 1.0), new Optimizer.Group("b.bias", b, 0f, 2.0)), 0.9f, 1.0);
        // gradients (3, 0) and (4): total norm 5 > 1, so all are scaled by 1 / (5 + 1e-6)
        a.setGrad(Tensor.of(new float[] {3f, 0f}, 2));
        b.setGrad(Tensor.of(new float[] {4f}, 1));
        sgd.step(0.1f);
        double c = 1 / (5 + 1e-6);
        assertEquals(5.0, sgd.lastGradNorm(), 1e-6);
        assertArrayEquals(new float[] {(float) (1 - 0.1 * 3 * c), 1f}, a.data(), 1e-6f);
        assertArrayEquals(new float[] {(float) (1 - 0.2 * 4 * c)}, b.data(), 1e-6f, "twice the lr");
        // below the limit nothing is scaled
        Sgd loose = new Sgd(List.of(new Optimizer.Group("a", a, 0f)), 0f, 10.0);
        float before = a.data()[0];
        a.setGrad(Tensor.of(new float[] {3f, 0f}, 2));
        loose.step(0.1f);
        assertEquals(before - 0.3f, a.data()[0], 1e-6f);
    }

    /**
     * {@code accumulative_counts: 3} over 5 iterations (MMEngine's OptimWrapper): iterations 0–2 are divided by 3, the
     * remainder window 3–4 by 2; the clip (and the logged grad_norm) happens only at the updates, on the summed gradients.
     */
    @Test
    void accumulationDividesTheRemainderWindowByItsLengthAndClipsAtTheUpdate() {
        Tensor a = Tensor.of(new float[] {0f}, 1).setRequiresGrad(true);
        Sgd sgd = new Sgd(List.of(new Optimizer.Group("a", a, 0f)), 0f, 100.0);
        sgd.accumulate(3, 0, 5);
        float[] grads = {3f, 6f, 9f, 4f, 8f};
        double[] norms = new double[5];
        for (int i = 0; i < 5; i++) {
            a.setGrad(Tensor.of(new float[] {grads[i]}, 1));
            sgd.step(1f);
            norms[i] = sgd.lastGradNorm();
        }
        // update 1: (3 + 6 + 9) / 3 = 6; update 2: (4 + 8) / 2 = 6
        assertEquals(-12f, a.data()[0], 1e-5f);
        assertTrue(Double.isNaN(norms[0]) && Double.isNaN(norms[1]) && Double.isNaN(norms[3]), java.util.Arrays.toString(norms));
        assertEquals(6.0, norms[2], 1e-5);
        assertEquals(6.0, norms[4], 1e-5);
    }
}
