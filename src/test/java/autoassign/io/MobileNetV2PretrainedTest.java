package autoassign.io;

import autoassign.model.AutoAssignDetector;
import autoassign.model.MobileNetV2Detectors;
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
 * A MobileNetV2 backbone file with MMDetection's names (with or without {@code backbone.}) loads into the backbone;
 * a classifier and MMPretrain-style Sequential names ({@code layer1.0.conv.0.*}, which upstream's MobileNetV2 would
 * not match either) are ignored. {@code open-mmlab://mmdet/mobilenet_v2} names MMEngine's URL.
 */
class MobileNetV2PretrainedTest {
    @TempDir Path tmp;

    @Test
    void mmdetNamedFileLoadsIntoTheBackbone() throws IOException {
        Map<String, RawTensor> trained = ModelWeights.fromModule(new AutoAssignDetector(MobileNetV2Detectors.small(), 7));
        Map<String, RawTensor> file = new LinkedHashMap<>();
        trained.forEach((k, v) -> { if (k.startsWith("backbone.")) file.put(k.substring("backbone.".length()), v); });
        List<String> other = List.of("head.fc.weight", "head.fc.bias", "layer1.0.conv.0.conv.weight");
        for (String k : other) file.put(k, RawTensor.ofFloats(new float[4], 2, 2));
        Path pth = Files.write(tmp.resolve("mobilenet_v2_small.pth"), PickleBuilder.stateDictPth(ModelWeightsTest.withCounters(file), false));
        AutoAssignDetector m = new AutoAssignDetector(MobileNetV2Detectors.small(), 8);
        Map<String, RawTensor> before = ModelWeights.fromModule(m);
        ModelWeights.LoadResult r = ModelWeights.loadPretrainedBackbone(pth, m);
        assertEquals(List.of(), r.report().missing());
        assertTrue(r.ignored().containsAll(other), r.ignored().toString());
        assertEquals(other.size(), r.ignored().size(), "only the classifier and foreign names are ignored: " + r.ignored());
        ModelWeights.fromModule(m).forEach((k, v) -> {
            if (k.endsWith(".num_batches_tracked")) return;
            if (k.startsWith("backbone.")) assertEquals(trained.get(k), v, k + " loaded");
            else assertEquals(before.get(k), v, k + " untouched");
        });
        assertEquals("backbone.layer2.0.expand_conv.conv.weight", StateDicts.resnetName("layer2.0.expand_conv.conv.weight"));
        assertEquals("backbone.layer7.0.linear_conv.bn.running_var", StateDicts.resnetName("backbone.layer7.0.linear_conv.bn.running_var"));
        assertEquals("backbone.conv1.conv.weight", StateDicts.resnetName("conv1.conv.weight"));
        assertEquals("backbone.conv2.bn.weight", StateDicts.resnetName("conv2.bn.weight"));
        assertEquals("backbone.conv1.weight", StateDicts.resnetName("conv1.weight"), "a ResNet's stem keeps its mapping");
        assertNull(StateDicts.resnetName("layer8.0.depthwise_conv.conv.weight"));
    }

    @Test
    void aliasNamesMmenginesUrl() {
        assertEquals("https://download.openmmlab.com/mmdetection/v2.0/third_party/mobilenet_v2_batch256_imagenet-ff34753d.pth",
                PretrainedWeights.url("open-mmlab://mmdet/mobilenet_v2"));
    }
}
