package autoassign.io;

import autoassign.model.AutoAssignDetector;
import autoassign.model.ResNeStDetectors;
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
 * A ResNeSt backbone file with MMDetection's names (as open-mmlab://resnest50 stores them: the deep stem, the
 * split-attention {@code conv2.conv / bn0 / fc1 / bn1 / fc2}, the avg_down downsample; with or without
 * {@code backbone.}) loads into the backbone; a classifier ({@code fc.*}) is ignored.
 */
class ResNeStPretrainedTest {
    @TempDir Path tmp;

    @Test
    void mmdetNamedFileLoadsIntoTheBackbone() throws IOException {
        Map<String, RawTensor> trained = ModelWeights.fromModule(new AutoAssignDetector(ResNeStDetectors.small(), 7));
        Map<String, RawTensor> file = new LinkedHashMap<>();
        trained.forEach((k, v) -> { if (k.startsWith("backbone.")) file.put(k.substring("backbone.".length()), v); });
        List<String> other = List.of("fc.weight", "fc.bias");
        for (String k : other) file.put(k, RawTensor.ofFloats(new float[4], 2, 2));
        Path pth = Files.write(tmp.resolve("resnest_small.pth"), PickleBuilder.stateDictPth(ModelWeightsTest.withCounters(file), false));
        AutoAssignDetector m = new AutoAssignDetector(ResNeStDetectors.small(), 8);
        Map<String, RawTensor> before = ModelWeights.fromModule(m);
        ModelWeights.LoadResult r = ModelWeights.loadPretrainedBackbone(pth, m);
        assertEquals(List.of(), r.report().missing());
        assertTrue(r.ignored().containsAll(other), r.ignored().toString());
        assertEquals(other.size(), r.ignored().size(), "only the classifier is ignored: " + r.ignored());
        ModelWeights.fromModule(m).forEach((k, v) -> {
            if (k.endsWith(".num_batches_tracked")) return;
            if (k.startsWith("backbone.")) assertEquals(trained.get(k), v, k + " loaded");
            else assertEquals(before.get(k), v, k + " untouched");
        });
        assertEquals("backbone.layer2.0.conv2.fc1.bias", StateDicts.resnetName("layer2.0.conv2.fc1.bias"));
        assertEquals("backbone.layer4.2.conv2.bn0.running_var", StateDicts.resnetName("backbone.layer4.2.conv2.bn0.running_var"));
        assertEquals("backbone.layer1.0.conv2.conv.weight", StateDicts.resnetName("layer1.0.conv2.conv.weight"));
        assertEquals("backbone.layer3.1.downsample.2.weight", StateDicts.resnetName("layer3.1.downsample.2.weight"));
        assertNull(StateDicts.resnetName("layer2.0.conv2.fc3.weight"));
        assertNull(StateDicts.resnetName("layer2.0.conv2.bn2.weight"));
    }
}
