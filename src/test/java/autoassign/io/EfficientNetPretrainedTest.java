package autoassign.io;

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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An MMPretrain EfficientNet classifier file (init_cfg {@code prefix: backbone}: its {@code backbone.layers.*} keys,
 * a {@code head.fc.*} classifier, and {@code layers.6} — the 1×1 conv to 1280 channels the detector does not build for
 * out_indices (3, 4, 5)) loads into the backbone: every backbone tensor, the rest ignored. The effb3 config's checkpoint
 * is looked up under its file name in the torch hub cache.
 */
class EfficientNetPretrainedTest {
    @TempDir Path tmp;

    private static AutoAssignDetector small(int seed) {
        return new AutoAssignDetector(autoassign.model.EfficientNetDetectorsForTests.smallB0(), seed);
    }

    @Test
    void mmpretrainClassifierFileLoadsIntoTheBackbone() throws IOException {
        Map<String, RawTensor> trained = ModelWeights.fromModule(small(7));
        Map<String, RawTensor> file = new LinkedHashMap<>();
        trained.forEach((k, v) -> { if (k.startsWith("backbone.")) file.put(k, v); });
        List<String> other = List.of("backbone.layers.6.conv.weight", "backbone.layers.6.bn.weight", "backbone.layers.6.bn.bias",
                "head.fc.weight", "head.fc.bias");
        for (String k : other) file.put(k, RawTensor.ofFloats(new float[4], 2, 2));
        Path pth = Files.write(tmp.resolve("efficientnet-b0_small.pth"), PickleBuilder.stateDictPth(ModelWeightsTest.withCounters(file), false));
        AutoAssignDetector m = small(8);
        Map<String, RawTensor> before = ModelWeights.fromModule(m);
        ModelWeights.LoadResult r = ModelWeights.loadPretrainedBackbone(pth, m);
        assertEquals(List.of(), r.report().missing());
        assertTrue(r.ignored().containsAll(List.of("head.fc.weight", "head.fc.bias")), r.ignored().toString());
        for (String k : List.of("backbone.layers.6.conv.weight", "backbone.layers.6.bn.weight"))
            assertTrue(r.ignored().contains(k) || r.report().unexpected().contains(k), k + " has no place: " + r);
        ModelWeights.fromModule(m).forEach((k, v) -> {
            if (k.endsWith(".num_batches_tracked")) return;
            if (k.startsWith("backbone.")) assertEquals(trained.get(k), v, k + " loaded");
            else assertEquals(before.get(k), v, k + " untouched");
        });
        assertEquals("backbone.layers.1.0.se.conv1.conv.bias", StateDicts.resnetName("backbone.layers.1.0.se.conv1.conv.bias"));
        assertEquals("backbone.layers.3.1.expand_conv.bn.running_var", StateDicts.resnetName("layers.3.1.expand_conv.bn.running_var"));
        assertEquals("backbone.layers.2.0.conv1.conv.weight", StateDicts.resnetName("backbone.layers.2.0.conv1.conv.weight"), "EdgeResidual");
        assertEquals("backbone.layers.0.bn.weight", StateDicts.resnetName("backbone.layers.0.bn.weight"));
        assertNull(StateDicts.resnetName("backbone.layers.7.conv.weight"));
        assertNull(StateDicts.resnetName("head.fc.weight"));
    }

    @Test
    void aWrongArchIsAShapeError() throws IOException {
        Map<String, RawTensor> file = new LinkedHashMap<>();
        file.put("backbone.layers.0.conv.weight", RawTensor.ofFloats(new float[40 * 27], 40, 3, 3, 3)); // b3's stem on a b0
        Path pth = Files.write(tmp.resolve("b3.pth"), PickleBuilder.stateDictPth(file, false));
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelWeights.loadPretrainedBackbone(pth, small(1)));
        assertTrue(e.getMessage().contains("backbone.layers.0.conv.weight"), e.getMessage());
    }

    @Test
    void effb3CheckpointIsLookedUpInTheHubCache() {
        String url = "https://download.openmmlab.com/mmclassification/v0/efficientnet/efficientnet-b3_3rdparty_8xb32-aa_in1k_20220119-5b4887a0.pth";
        assertEquals(url, PretrainedWeights.url(url));
        Exception e = assertThrows(RuntimeException.class, () -> PretrainedWeights.locate(url));
        assertTrue(e.getMessage().contains("efficientnet-b3_3rdparty_8xb32-aa_in1k_20220119-5b4887a0.pth not found"), e.getMessage());
    }
}
