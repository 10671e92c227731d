package autoassign.io;

import autoassign.GoldenFiles;
import autoassign.config.SwinConfig;
import autoassign.model.SwinTransformer;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;
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
 * convert_weights: an official Swin checkpoint (microsoft/Swin-Transformer's names, int64 relative_position_index
 * buffers, a classifier) converted by {@link SwinConverter} equals MMDetection's swin_converter run by
 * scripts/goldens/swin.py (names, order, values: PatchMerging's reordered reduction and norm), and a .pth of it loads
 * into a Swin backbone as upstream's init_weights does: the classifier dropped, the unused final {@code norm} ignored,
 * the output norms (not in the file) missing. Without convert_weights only {@code backbone.*} keys load.
 */
class SwinPretrainedTest {
    @TempDir Path tmp;

    private static Map<String, RawTensor> entries(JsonNode list) {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        for (JsonNode e : list) {
            long[] shape = new long[e.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = e.get("shape").get(i).asLong();
            float[] v = floats(e.get("values"));
            if (e.get("name").asText().endsWith("relative_position_index")) {
                long[] l = new long[v.length];
                for (int i = 0; i < v.length; i++) l[i] = (long) v[i];
                out.put(e.get("name").asText(), RawTensor.ofLongs(l, shape));
            } else out.put(e.get("name").asText(), RawTensor.ofFloats(v, shape));
        }
        return out;
    }

    /** A module whose only child is {@code backbone} (the detector's prefix). */
    private static Module holder(SwinTransformer sw) {
        return new Module() { { child("backbone", sw); } };
    }

    @Test
    void officialCheckpointConvertsAndLoadsLikeUpstream() throws IOException, CheckpointException {
        JsonNode c = JSON.readTree(GoldenFiles.folder("swin").resolve("names.json").toFile()).get("converter_case");
        Map<String, RawTensor> official = entries(c.get("official"));
        Map<String, RawTensor> converted = SwinConverter.convert(official);
        List<String> wantNames = new ArrayList<>();
        for (JsonNode e : c.get("converted")) wantNames.add(e.get("name").asText());
        assertEquals(wantNames, List.copyOf(converted.keySet()), "swin_converter's names and order");
        for (JsonNode e : c.get("converted"))
            assertArrayEquals(floats(e.get("values")), converted.get(e.get("name").asText()).toFloatArray(), e.get("name").asText());

        Path pth = Files.write(tmp.resolve("swin_official.pth"), PickleBuilder.stateDictPth(official, true));
        SwinTransformer sw = new SwinTransformer(new SwinConfig(8, 4, 3, 4, List.of(1, 2), List.of(1, 2), List.of(4, 2),
                List.of(0, 1), true, null, true, 0.0, false, true, -1, null));
        ModelWeights.LoadResult r = ModelWeights.loadPretrainedSwin(pth, holder(sw), true);
        List<String> missing = new ArrayList<>();
        for (JsonNode k : c.get("missing")) missing.add("backbone." + k.asText());
        assertEquals(missing, r.report().missing(), "the output norms are not in the file");
        for (JsonNode k : c.get("unexpected")) assertTrue(r.ignored().contains("backbone." + k.asText()), r.ignored().toString());
        Map<String, Tensor> sd = sw.stateDict();
        for (JsonNode e : c.get("converted")) {
            String k = e.get("name").asText().substring("backbone.".length());
            if (sd.containsKey(k)) assertArrayEquals(floats(e.get("values")), sd.get(k).toFloatArray(), k);
        }

        // an MMDetection-format file (backbone.* names) without convert_weights; other keys are ignored
        Map<String, RawTensor> mmdet = new LinkedHashMap<>(converted);
        mmdet.put("neck.fpn_convs.0.conv.weight", RawTensor.ofFloats(new float[4], 2, 2));
        Path mm = Files.write(tmp.resolve("swin_mmdet.pth"), PickleBuilder.stateDictPth(mmdet, false));
        SwinTransformer again = new SwinTransformer(sw.config());
        ModelWeights.LoadResult r2 = ModelWeights.loadPretrainedSwin(mm, holder(again), false);
        assertTrue(r2.ignored().contains("neck.fpn_convs.0.conv.weight"));
        assertArrayEquals(sd.get("stages.0.downsample.reduction.weight").toFloatArray(),
                again.stateDict().get("stages.0.downsample.reduction.weight").toFloatArray());
        // an official file without convert_weights has no backbone.* keys: a one-line error
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelWeights.loadPretrainedSwin(pth, holder(again), false));
        assertTrue(e.getMessage().contains("convert_weights"), e.getMessage());
    }

    /** Checkpoints keep the relative_position_index buffers as int64, as torch stores them, and load them back. */
    @Test
    void checkpointsStoreTheIndexBuffersAsInt64() throws IOException, CheckpointException {
        SwinTransformer sw = new SwinTransformer(new SwinConfig(8, 4, 3, 4, List.of(1, 2), List.of(1, 2), List.of(4, 2),
                List.of(0, 1), true, null, true, 0.0, false, false, -1, null));
        Map<String, RawTensor> ck = ModelWeights.checkpointTensors(sw);
        RawTensor idx = ck.get("stages.1.blocks.0.attn.w_msa.relative_position_index");
        assertEquals(DType.INT64, idx.dtype());
        assertEquals(11L, idx.getLong(1), "window 3, row 0, column 1: seq[0] + seq[7] = 0 + 11 ((seq + seqᵀ).flip(1))");
        assertEquals(DType.FLOAT32, ck.get("stages.1.blocks.0.attn.w_msa.relative_position_bias_table").dtype());
        Path f = tmp.resolve("swin.safetensors");
        ModelWeights.save(f, sw, Map.of());
        SwinTransformer back = new SwinTransformer(sw.config());
        ModelWeights.load(f, back, true);
        assertArrayEquals(sw.stateDict().get("stages.1.blocks.0.attn.w_msa.relative_position_index").toFloatArray(),
                back.stateDict().get("stages.1.blocks.0.attn.w_msa.relative_position_index").toFloatArray());
    }

    private static final ObjectMapper JSON = new ObjectMapper();
}
