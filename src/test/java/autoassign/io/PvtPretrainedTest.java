package autoassign.io;

import autoassign.GoldenFiles;
import autoassign.config.BackboneConfigs;
import autoassign.config.PvtConfig;
import autoassign.model.PyramidVisionTransformer;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;
import autoassign.train.PretrainedWeights;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static autoassign.GoldenFiles.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * convert_weights: official PVT and PVTv2 checkpoints (whai362/PVT's names: q / kv / proj, mlp.fc1 / dwconv / fc2,
 * pos_embed{s} with stage 4's cls token, cls_token, the final norm, the classifier; random values) converted by
 * {@link PvtConverter} equal MMDetection's pvt_convert run by scripts/goldens/pvt.py (names, order, shapes, values), and
 * a .pth of each loads into the backbone as upstream's init_weights does (every backbone tensor loaded, nothing missing);
 * without convert_weights the file's keys are backbone names. The checkpoints upstream's configs reference resolve to
 * their file names in the torch hub cache.
 */
class PvtPretrainedTest {
    @TempDir Path tmp;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Map<String, RawTensor> entries(JsonNode list) {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        for (JsonNode e : list) {
            long[] shape = new long[e.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = e.get("shape").get(i).asLong();
            out.put(e.get("name").asText(), RawTensor.ofFloats(floats(e.get("values")), shape));
        }
        return out;
    }

    private static Module holder(PyramidVisionTransformer m) {
        return new Module() { { child("backbone", m); } };
    }

    @Test
    void officialCheckpointsConvertAndLoadLikeUpstream() throws IOException, CheckpointException {
        JsonNode names = JSON.readTree(GoldenFiles.folder("pvt").resolve("names.json").toFile());
        for (String key : new String[] {"convert_v1", "convert_v2"}) {
            JsonNode c = names.get(key);
            Map<String, RawTensor> official = entries(c.get("official"));
            Map<String, RawTensor> converted = PvtConverter.convert(official);
            List<String> want = new ArrayList<>();
            for (JsonNode e : c.get("converted")) want.add(e.get("name").asText());
            assertEquals(want, List.copyOf(converted.keySet()), key + ": pvt_convert's names and order");
            for (JsonNode e : c.get("converted")) {
                RawTensor got = converted.get(e.get("name").asText());
                assertArrayEquals(GoldenFiles.ints(e.get("shape")), got.intShape(), e.get("name").asText());
                assertArrayEquals(floats(e.get("values")), got.toFloatArray(), e.get("name").asText());
            }
            assertEquals(0, c.get("missing").size());
            assertEquals(0, c.get("unexpected").size());

            Path pth = Files.write(tmp.resolve(key + ".pth"), PickleBuilder.stateDictPth(official, true));
            PvtConfig cfg = (PvtConfig) BackboneConfigs.specFromJson(c.get("backbone"));
            PyramidVisionTransformer m = new PyramidVisionTransformer(cfg);
            ModelWeights.LoadResult r = ModelWeights.loadPretrainedPvt(pth, holder(m), true);
            assertEquals(List.of(), r.report().missing(), key);
            assertEquals(List.of(), r.ignored(), key);
            assertEquals(m.stateDict().size(), r.report().loaded(), key);
            Map<String, Tensor> sd = m.stateDict();
            for (JsonNode e : c.get("converted"))
                assertArrayEquals(floats(e.get("values")), sd.get(e.get("name").asText()).toFloatArray(), e.get("name").asText());

            // the converted (MMDetection-name) file without convert_weights loads the same; an official one is refused
            Path mm = Files.write(tmp.resolve(key + "_mmdet.pth"), PickleBuilder.stateDictPth(converted, false));
            PyramidVisionTransformer again = new PyramidVisionTransformer(cfg);
            ModelWeights.LoadResult r2 = ModelWeights.loadPretrainedPvt(mm, holder(again), false);
            assertEquals(m.stateDict().size(), r2.report().loaded());
            CheckpointException e = assertThrows(CheckpointException.class, () -> ModelWeights.loadPretrainedPvt(pth, holder(again), false));
            assertTrue(e.getMessage().contains("convert_weights"), e.getMessage());
        }
    }

    /** A v1 position embedding of another pretrain_img_size does not fit: a one-line error naming the tensor. */
    @Test
    void aPositionEmbeddingOfAnotherGridIsALoadError() throws IOException {
        JsonNode c = JSON.readTree(GoldenFiles.folder("pvt").resolve("names.json").toFile()).get("convert_v1");
        Path pth = Files.write(tmp.resolve("v1.pth"), PickleBuilder.stateDictPth(entries(c.get("official")), true));
        var keys = (com.fasterxml.jackson.databind.node.ObjectNode) c.get("backbone").deepCopy();
        keys.put("pretrain_img_size", 192);
        PyramidVisionTransformer m = new PyramidVisionTransformer((PvtConfig) BackboneConfigs.specFromJson(keys));
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelWeights.loadPretrainedPvt(pth, holder(m), true));
        assertTrue(e.getMessage().contains("layers.0.1.0.pos_embed") && !e.getMessage().contains("\n"), e.getMessage());
    }

    /** The checkpoints of configs/pvt (init_cfg checkpoint URLs) are looked up by file name in the torch hub cache. */
    @Test
    void upstreamCheckpointsResolveToTheHubCache() {
        for (String f : new String[] {"pvt_tiny", "pvt_small", "pvt_medium", "pvt_large", "pvt_v2_b0", "pvt_v2_b1", "pvt_v2_b2",
                "pvt_v2_b3", "pvt_v2_b4", "pvt_v2_b5"}) {
            String url = "https://github.com/whai362/PVT/releases/download/v2/" + f + ".pth";
            assertEquals(url, PretrainedWeights.url(url));
            if (Files.exists(PretrainedWeights.hubCache().resolve(f + ".pth"))) continue; // downloaded here: nothing to check
            autoassign.cli.CliErrors.UserError e = assertThrows(autoassign.cli.CliErrors.UserError.class, () -> PretrainedWeights.locate(url));
            assertTrue(e.getMessage().startsWith(f + ".pth not found: put it at " + PretrainedWeights.hubCache().resolve(f + ".pth")), e.getMessage());
        }
    }
}
