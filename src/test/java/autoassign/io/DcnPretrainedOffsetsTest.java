package autoassign.io;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pretrained (plain ResNet) backbone under a DCN (MMCV's DeformConv2dPack) backbone: MMDetection's
 * {@code init_cfg=dict(type='Pretrained', ...)} replaces ResNet's Kaiming init_cfg, so the offset convs the file lacks
 * keep MMCV's {@code init_offset} zeros and training starts from the plain network; only a backbone trained from
 * scratch (Kaiming, which reaches {@code conv_offset} as an nn.Conv2d) starts with random offsets.
 */
class DcnPretrainedOffsetsTest {
    @TempDir Path tmp;

    static final List<String> SMALL = List.of("model.backbone.base_channels=8", "model.backbone.stem_channels=8",
            "model.neck.in_channels=[32,64,128,256]", "model.neck.out_channels=16", "model.bbox_head.in_channels=16",
            "model.bbox_head.feat_channels=16", "model.bbox_head.norm_cfg.num_groups=8", "model.backbone.style=pytorch");

    private static Config config(String... more) {
        List<String> o = new ArrayList<>(SMALL);
        o.addAll(List.of(more));
        return ConfigLoader.load(Path.of("configs/autoassign_r50-caffe-dcnv2_fpn_1x_coco.yaml"), o);
    }

    private static boolean allZero(Tensor t) {
        for (float v : t.toFloatArray()) if (v != 0f) return false;
        return true;
    }

    @Test
    void dcnOffsetConvsMissingFromThePretrainedFileStartAtZero() throws IOException {
        Map<String, RawTensor> backbone = new LinkedHashMap<>();
        ModelWeights.fromModule(new AutoAssignDetector(config("model.backbone.dcn=None").model(), 1)).forEach((k, v) -> {
            if (k.startsWith("backbone.")) backbone.put(k.substring("backbone.".length()), v);
        });
        Path file = Files.write(tmp.resolve("resnet_plain.pth"), PickleBuilder.stateDictPth(backbone, false));

        AutoAssignDetector m = new AutoAssignDetector(config("model.backbone.dcn.type=DCN").model(), 2);
        String offset = "backbone.layer3.0.conv2.conv_offset.weight";
        // from scratch: ResNet's Kaiming reaches the offset convs (MMDetection's init_cfg without a Pretrained)
        assertFalse(allZero(m.namedParameters().get(offset)), "Kaiming-initialised before the pretrained file");
        ModelWeights.LoadResult r = ModelWeights.loadPretrainedBackbone(file, m);
        List<String> offsets = new ArrayList<>();
        for (String k : m.namedParameters().keySet()) if (k.contains(".conv_offset.")) offsets.add(k);
        assertEquals(2 * (4 + 6 + 3), offsets.size(), "weight and bias of layer2..4's offset convs");
        assertEquals(offsets, r.report().missing());
        for (String k : offsets) assertTrue(allZero(m.namedParameters().get(k)), k + " starts at zero, as MMCV's init_offset");
        assertFalse(allZero(m.namedParameters().get("backbone.layer3.0.conv2.weight")), "the deformable conv's weight is loaded");
    }
}
