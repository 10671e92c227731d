package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.Batch;
import autoassign.model.AutoAssignDetector;
import autoassign.model.CspLayer;
import autoassign.model.CspNext;
import autoassign.model.YoloxPafpn;
import autoassign.nn.BatchNorm2d;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiny synthetic training recipe with its ResNet-18 + FPN replaced by RTMDet's CSPNeXt (deepen 0.33, widen 0.125:
 * 32, 64, 128 channels at strides 8, 16, 32; channel attention) and CSPNeXtPAFPN, RTMDet's SyncBN (BN on one worker,
 * batch statistics) and SiLU, the head on its three levels: every parameter trains (ChannelAttention's fc included), the
 * running statistics move, the loss is finite and falls, and inference post-processes the three levels. With
 * frozen_stages 1 the stem and stage1 stay fixed, statistics included.
 */
class CspNextTrainStepTest {
    @TempDir Path tmp;

    static final String CSPNEXT = """
              backbone:
                type: CSPNeXt
                arch: P5
                expand_ratio: 0.5
                deepen_factor: 0.33
                widen_factor: 0.125
                channel_attention: true
                norm_cfg: {type: SyncBN}
                act_cfg: {type: SiLU, inplace: true}
            """;

    static Config tinyCspNext(Path dir, String... overrides) throws Exception {
        String y = TinyTrainConfig.yaml();
        int neck = y.indexOf("  neck:\n    type: FPN"), head = y.indexOf("  bbox_head:");
        if (!y.contains(RegNetTrainStepTest.RESNET18) || neck < 0 || head < neck || !y.contains("strides: [8, 16, 32, 64, 128]"))
            throw new IllegalStateException("the tiny config's backbone / neck changed");
        y = y.substring(0, neck) + "  neck:\n    type: CSPNeXtPAFPN\n    in_channels: [32, 64, 128]\n    out_channels: 32\n"
                + "    num_csp_blocks: 1\n    expand_ratio: 0.5\n    norm_cfg: {type: SyncBN}\n    act_cfg: {type: SiLU, inplace: true}\n"
                + y.substring(head);
        y = y.replace(RegNetTrainStepTest.RESNET18, CSPNEXT).replace("strides: [8, 16, 32, 64, 128]", "strides: [8, 16, 32]");
        Files.createDirectories(dir);
        Path f = dir.resolve("tiny_cspnext.yaml");
        Files.writeString(f, y);
        return ConfigLoader.load(f, List.of(overrides));
    }

    private static Map<String, float[]> snapshot(AutoAssignDetector m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.stateDict().forEach((k, t) -> out.put(k, t.toFloatArray()));
        return out;
    }

    @Test
    void aFewStepsOnSyntheticDataLowerTheLoss() throws Exception {
        Config cfg = tinyCspNext(tmp);
        Batch batch = TinyTrainSteps.firstBatch(cfg, tmp.resolve("data"));
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        assertInstanceOf(CspNext.class, model.backbone);
        assertInstanceOf(YoloxPafpn.class, model.neck);
        Map<String, float[]> before = snapshot(model);
        TinyTrainSteps.lowerTheLoss(model, batch, () -> {
            Map<String, float[]> after = snapshot(model);
            after.forEach((k, v) -> {
                if (!k.startsWith("backbone.") && !k.startsWith("neck.")) return;
                if (k.endsWith("num_batches_tracked")) assertEquals(1f, v[0], k);
                else assertFalse(Arrays.equals(before.get(k), v), k + " changes in a training step");
            });
            assertTrue(after.containsKey("backbone.stage4.2.attention.fc.weight"));
        });
        var post = autoassign.eval.Inference.postProcessConfig(cfg.model().testCfg());
        List<autoassign.postprocess.Detections> dets = autoassign.eval.Inference.predictAugmented(model, batch, post);
        assertEquals(2, dets.size());
        for (var d : dets) assertTrue(d.size() <= 100, "max_per_img");
    }

    @Test
    void frozenStagesStayFixed() throws Exception {
        Config cfg = tinyCspNext(tmp, "model.backbone.frozen_stages=1");
        Batch batch = TinyTrainSteps.firstBatch(cfg, tmp.resolve("data"));
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        Map<String, float[]> before = snapshot(model);
        Set<String> grouped = OptimizerGroups.of(model, cfg.optimWrapper()).stream().map(Optimizer.Group::name)
                .collect(Collectors.toSet());
        TinyTrainSteps.lowerTheLoss(model, batch, () -> snapshot(model).forEach((k, v) -> {
            boolean frozen = k.startsWith("backbone.stem.") || k.startsWith("backbone.stage1.");
            if (!k.startsWith("backbone.")) return;
            assertEquals(frozen, Arrays.equals(before.get(k), v), k + (frozen ? " is frozen" : " trains"));
            if (model.namedParameters().containsKey(k)) assertEquals(!frozen, grouped.contains(k), k);
        }));
        CspNext b = (CspNext) model.backbone;
        model.train(true);
        assertFalse(((BatchNorm2d) b.stem.get(2).norm).normalisesWithBatchStatistics(), "a frozen stage's BN is in eval mode");
        assertTrue(((BatchNorm2d) ((CspLayer) b.stages.get(1).get(1)).mainConv.norm).normalisesWithBatchStatistics());
        model.train(false);
    }
}
