package autoassign.io;

import autoassign.config.ConfigLoader;
import autoassign.config.CspNextConfig;
import autoassign.config.ModelConfig;
import autoassign.model.AutoAssignDetector;
import autoassign.train.PretrainedWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RTMDet's ImageNet CSPNeXt files ({@link PretrainedWeights#CSPNEXT_IMAGENET}; MMPretrain's ImageClassifier: the CSPNeXt
 * under {@code backbone.*}, the classifier {@code head.fc.*}, wrapped in {@code state_dict}) load into the backbone through
 * {@code init_cfg: {type: Pretrained, prefix: 'backbone.'}}: every backbone entry (the three-conv stem, CSPNeXtBlocks,
 * ChannelAttention's fc weight and bias, BN statistics) is taken, the classifier is ignored, nothing else changes.
 * Checked on a synthetic state dict of the same layout (the real files are not downloaded here).
 */
class CspNextPretrainedTest {
    @TempDir Path tmp;

    static ModelConfig small() {
        return ConfigLoader.load(Path.of("configs/autoassign_cspnext-s_cspnext-pafpn_1x_coco.yaml"), List.of(
                "model.backbone.widen_factor=0.125", "model.backbone.use_depthwise=true", "model.neck.in_channels=[32,64,128]",
                "model.neck.out_channels=16", "model.bbox_head.in_channels=16", "model.bbox_head.feat_channels=16",
                "model.bbox_head.stacked_convs=1", "model.bbox_head.num_classes=3", "model.bbox_head.norm_cfg.num_groups=4")).model();
    }

    @Test
    void imagenetClassifiersBackboneLoads() throws IOException {
        Map<String, RawTensor> trained = ModelWeights.fromModule(new AutoAssignDetector(small(), 7));
        Map<String, RawTensor> file = new LinkedHashMap<>();
        trained.forEach((k, v) -> { if (k.startsWith("backbone.")) file.put(k, v); });
        file.put("head.fc.weight", trained.get("backbone.stage4.2.attention.fc.weight")); // any [C, C, 1, 1]-like tensor
        file.put("head.fc.bias", trained.get("backbone.stage4.2.attention.fc.bias"));
        Path pth = Files.write(tmp.resolve("cspnext-s_imagenet_600e.pth"), PickleBuilder.stateDictPth(ModelWeightsTest.withCounters(file), true));
        AutoAssignDetector m = new AutoAssignDetector(small(), 8);
        Map<String, RawTensor> before = ModelWeights.fromModule(m);
        ModelWeights.LoadResult r = ModelWeights.loadPretrainedBackbone(pth, m);
        assertEquals(List.of(), r.report().missing());
        assertEquals(List.of("head.fc.weight", "head.fc.bias"), r.ignored());
        ModelWeights.fromModule(m).forEach((k, v) -> {
            if (k.endsWith(".num_batches_tracked")) return;
            if (k.startsWith("backbone.")) assertEquals(trained.get(k), v, k + " loaded");
            else assertEquals(before.get(k), v, k + " untouched");
        });
        assertTrue(trained.containsKey("backbone.stage1.1.attention.fc.bias") && trained.containsKey("backbone.stem.2.bn.running_var"));
        assertEquals("backbone.stem.0.conv.weight", StateDicts.resnetName("stem.0.conv.weight"));
        assertEquals("backbone.stem.2.bn.num_batches_tracked", StateDicts.resnetName("backbone.stem.2.bn.num_batches_tracked"));
        assertEquals("backbone.stage3.1.attention.fc.bias", StateDicts.resnetName("backbone.stage3.1.attention.fc.bias"));
        assertEquals("backbone.stage2.1.blocks.0.conv2.depthwise_conv.bn.weight",
                StateDicts.resnetName("stage2.1.blocks.0.conv2.depthwise_conv.bn.weight"));
        assertNull(StateDicts.resnetName("head.fc.weight"));
        assertNull(StateDicts.resnetName("backbone.stem.3.conv.weight"), "the stem has three convs");
    }

    @Test
    void everyRtmdetSizeIsFoundByItsFileName() {
        assertEquals(java.util.Set.of("tiny", "s", "m", "l", "x"), PretrainedWeights.CSPNEXT_IMAGENET.keySet());
        CspNextConfig s = (CspNextConfig) small().backboneSpec();
        assertEquals(PretrainedWeights.CSPNEXT_IMAGENET.get("s"), s.pretrained(), "the shipped config names RTMDet-s's file");
        PretrainedWeights.CSPNEXT_IMAGENET.values().forEach(url -> {
            assertEquals(url, PretrainedWeights.url(url), "a URL needs no alias");
            String name = url.substring(url.lastIndexOf('/') + 1);
            if (Files.isRegularFile(PretrainedWeights.hubCache().resolve(name))) return; // present on this machine
            var e = org.junit.jupiter.api.Assertions.assertThrows(autoassign.cli.CliErrors.UserError.class, () -> PretrainedWeights.locate(url));
            assertTrue(e.getMessage().startsWith(name + " not found: put it at " + PretrainedWeights.hubCache().resolve(name)), e.getMessage());
        });
    }
}
