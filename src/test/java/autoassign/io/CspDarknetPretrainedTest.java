package autoassign.io;

import autoassign.config.ConfigLoader;
import autoassign.config.ModelConfig;
import autoassign.model.AutoAssignDetector;
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
 * MMDetection publishes no CSPDarknet backbone-only weights (nothing for {@code PretrainedWeights}); a YOLOX
 * checkpoint's {@code backbone.*} entries (or the same names without the prefix) load into the backbone through
 * {@code init_cfg: {type: Pretrained}}, the neck's and head's entries are ignored.
 */
class CspDarknetPretrainedTest {
    @TempDir Path tmp;

    static ModelConfig small() {
        return ConfigLoader.load(Path.of("configs/autoassign_csp-darknet-s_yolox-pafpn_1x_coco.yaml"), List.of(
                "model.backbone.widen_factor=0.125", "model.backbone.use_depthwise=true", "model.neck.in_channels=[32,64,128]",
                "model.neck.out_channels=16", "model.bbox_head.in_channels=16", "model.bbox_head.feat_channels=16",
                "model.bbox_head.stacked_convs=1", "model.bbox_head.num_classes=3", "model.bbox_head.norm_cfg.num_groups=4")).model();
    }

    @Test
    void yoloxCheckpointsBackboneLoads() throws IOException {
        Map<String, RawTensor> trained = ModelWeights.fromModule(new AutoAssignDetector(small(), 7));
        Map<String, RawTensor> file = new LinkedHashMap<>();
        trained.forEach((k, v) -> { if (!k.startsWith("bbox_head.")) file.put(k, v); }); // backbone.* and neck.*
        Path pth = Files.write(tmp.resolve("yolox_small.pth"), PickleBuilder.stateDictPth(ModelWeightsTest.withCounters(file), false));
        AutoAssignDetector m = new AutoAssignDetector(small(), 8);
        Map<String, RawTensor> before = ModelWeights.fromModule(m);
        ModelWeights.LoadResult r = ModelWeights.loadPretrainedBackbone(pth, m);
        assertEquals(List.of(), r.report().missing());
        assertTrue(r.ignored().stream().allMatch(k -> k.startsWith("neck.")), r.ignored().toString());
        ModelWeights.fromModule(m).forEach((k, v) -> {
            if (k.endsWith(".num_batches_tracked")) return;
            if (k.startsWith("backbone.")) assertEquals(trained.get(k), v, k + " loaded");
            else assertEquals(before.get(k), v, k + " untouched");
        });
        assertEquals("backbone.stem.conv.conv.weight", StateDicts.resnetName("stem.conv.conv.weight"));
        assertEquals("backbone.stage2.0.depthwise_conv.bn.running_var", StateDicts.resnetName("stage2.0.depthwise_conv.bn.running_var"));
        assertEquals("backbone.stage1.1.blocks.0.conv2.pointwise_conv.conv.weight",
                StateDicts.resnetName("backbone.stage1.1.blocks.0.conv2.pointwise_conv.conv.weight"));
        assertEquals("backbone.conv1.weight", StateDicts.resnetName("stem.conv1.weight"), "Detectron2's stem keeps its mapping");
        assertNull(StateDicts.resnetName("neck.out_convs.0.conv.weight"));
    }
}
