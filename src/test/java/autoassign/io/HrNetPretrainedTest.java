package autoassign.io;

import autoassign.model.AutoAssignDetector;
import autoassign.model.HrNetDetectors;
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
 * MSRA's ImageNet HRNetV2 files ({@code open-mmlab://msra/hrnetv2_w18 / w32 / w40}) load into the HRNet backbone:
 * their names are MMDetection's without the {@code backbone.} prefix, plus a classification head that is ignored.
 */
class HrNetPretrainedTest {
    @TempDir Path tmp;

    @Test
    void msraHrNetFileLoadsIntoTheBackbone() throws IOException {
        Map<String, RawTensor> trained = ModelWeights.fromModule(new AutoAssignDetector(HrNetDetectors.small(), 7));
        Map<String, RawTensor> msra = new LinkedHashMap<>();
        trained.forEach((k, v) -> { if (k.startsWith("backbone.")) msra.put(k.substring("backbone.".length()), v); });
        // HRNet-Image-Classification's head: incremental / downsampling modules, final layer, classifier
        List<String> head = List.of("incre_modules.0.0.conv1.weight", "downsamp_modules.0.0.weight", "final_layer.0.weight",
                "classifier.weight", "classifier.bias");
        for (String k : head) msra.put(k, RawTensor.ofFloats(new float[4], 2, 2));
        Path file = Files.write(tmp.resolve("hrnetv2_small.pth"), PickleBuilder.stateDictPth(ModelWeightsTest.withCounters(msra), false));
        AutoAssignDetector m = new AutoAssignDetector(HrNetDetectors.small(), 8);
        Map<String, RawTensor> before = ModelWeights.fromModule(m);
        ModelWeights.LoadResult r = ModelWeights.loadPretrainedBackbone(file, m);
        assertEquals(List.of(), r.report().missing());
        assertTrue(r.ignored().containsAll(head), r.ignored().toString());
        assertEquals(head.size(), r.ignored().size(), "only the classification head is ignored: " + r.ignored());
        ModelWeights.fromModule(m).forEach((k, v) -> {
            if (k.endsWith(".num_batches_tracked")) return;
            if (k.startsWith("backbone.")) assertEquals(trained.get(k), v, k + " loaded");
            else assertEquals(before.get(k), v, k + " untouched");
        });
        // the HRNet-only names map onto the backbone; a ResNet's names keep their mapping
        assertEquals("backbone.stage2.0.fuse_layers.1.0.0.0.weight", StateDicts.resnetName("stage2.0.fuse_layers.1.0.0.0.weight"));
        assertEquals("backbone.transition1.1.0.1.running_mean", StateDicts.resnetName("transition1.1.0.1.running_mean"));
        assertEquals("backbone.stage4.2.branches.3.3.bn2.bias", StateDicts.resnetName("backbone.stage4.2.branches.3.3.bn2.bias"));
        assertEquals("backbone.layer1.0.downsample.1.weight", StateDicts.resnetName("layer1.0.downsample.1.weight"));
        assertNull(StateDicts.resnetName("incre_modules.0.0.conv1.weight"));
        assertNull(StateDicts.resnetName("stage2.0.fuse_layers.0.1.2.weight"), "index 2 is the Upsample: no parameters");
    }

    @Test
    void aliasesNameMmenginesUrls() {
        assertEquals("https://download.openmmlab.com/pretrain/third_party/hrnetv2_w18-00eb2006.pth",
                PretrainedWeights.url("open-mmlab://msra/hrnetv2_w18"));
        assertEquals("https://download.openmmlab.com/pretrain/third_party/hrnetv2_w32-dc9eeb4f.pth",
                PretrainedWeights.url("open-mmlab://msra/hrnetv2_w32"));
        assertEquals("https://download.openmmlab.com/pretrain/third_party/hrnetv2_w40-ed0b031c.pth",
                PretrainedWeights.url("open-mmlab://msra/hrnetv2_w40"));
    }
}
