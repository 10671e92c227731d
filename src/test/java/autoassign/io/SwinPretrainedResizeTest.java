package autoassign.io;

import autoassign.config.SwinConfig;
import autoassign.model.SwinTransformer;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Upstream's init_weights with a Pretrained file of another window size: every relative_position_bias_table is resized
 * bicubically to the model's ({@link SwinBiasTableResize}, golden-tested against torch in
 * {@link SwinBiasTableResizeGoldenTest}), the relative_position_index buffers of the other size give way to the
 * model's own, every other weight loads as is; a different head count is an error naming the key; an
 * {@code absolute_pos_embed} of the model's shape loads, another shape is an error.
 */
class SwinPretrainedResizeTest {
    @TempDir Path tmp;

    private static SwinConfig cfg(int window) {
        return new SwinConfig(8, 4, window, 2, List.of(1, 2), List.of(1, 2), List.of(4, 2), List.of(0, 1), true, null, true,
                0.0, false, false, -1, null);
    }

    private static Module holder(SwinTransformer sw) {
        return new Module() { { child("backbone", sw); } };
    }

    /** The model's tensors as an MMDetection checkpoint ({@code backbone.*}), every parameter random. */
    private Path checkpoint(SwinTransformer sw, String name) throws IOException {
        Random r = new Random(9);
        for (Tensor t : sw.namedParameters().values()) {
            float[] v = new float[(int) t.numel()];
            for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
            t.copyFrom(Tensor.of(v, t.shape()));
        }
        Map<String, RawTensor> ck = new LinkedHashMap<>();
        ModelWeights.checkpointTensors(sw).forEach((k, v) -> ck.put("backbone." + k, v));
        return Files.write(tmp.resolve(name), PickleBuilder.stateDictPth(ck, true));
    }

    @Test
    void biasTablesOfAnotherWindowSizeAreResizedBicubically() throws IOException, CheckpointException {
        SwinTransformer w3 = new SwinTransformer(cfg(3));
        Path pth = checkpoint(w3, "w3.pth");
        SwinTransformer w5 = new SwinTransformer(cfg(5));
        float[] ownIndex = w5.stateDict().get("stages.1.blocks.1.attn.w_msa.relative_position_index").toFloatArray();
        ModelWeights.LoadResult r = ModelWeights.loadPretrainedSwin(pth, holder(w5), false);
        Map<String, Tensor> src = w3.stateDict(), dst = w5.stateDict();
        int tables = 0;
        for (String k : dst.keySet()) {
            if (k.endsWith("relative_position_bias_table")) {
                int heads = src.get(k).dim(1);
                assertArrayEquals(new int[] {81, heads}, dst.get(k).shape(), k);
                float[] want = SwinBiasTableResize.resize(k, src.get(k).toFloatArray(), 25, heads, 81, heads);
                assertArrayEquals(want, dst.get(k).toFloatArray(), k);
                tables++;
            } else if (k.endsWith("relative_position_index")) {
                assertEquals(625, dst.get(k).numel(), k + ": the model's own (window 5)");
            } else if (!k.startsWith("norm")) assertArrayEquals(src.get(k).toFloatArray(), dst.get(k).toFloatArray(), k);
        }
        assertEquals(3, tables);
        assertArrayEquals(ownIndex, dst.get("stages.1.blocks.1.attn.w_msa.relative_position_index").toFloatArray());
        assertTrue(r.report().missing().isEmpty(), r.report().missing().toString());
    }

    @Test
    void anotherHeadCountIsAnErrorNamingTheTable() throws IOException {
        SwinTransformer w3 = new SwinTransformer(cfg(3));
        Path pth = checkpoint(w3, "w3.pth");
        SwinTransformer other = new SwinTransformer(new SwinConfig(8, 4, 5, 2, List.of(1, 2), List.of(2, 2), List.of(4, 2),
                List.of(0, 1), true, null, true, 0.0, false, false, -1, null));
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelWeights.loadPretrainedSwin(pth, holder(other), false));
        assertTrue(e.getMessage().contains("backbone.stages.0.blocks.0.attn.w_msa.relative_position_bias_table"), e.getMessage());
        assertTrue(e.getMessage().contains("heads"), e.getMessage());
    }

    @Test
    void absolutePositionEmbeddingLoadsWhenItsShapeFits() throws IOException, CheckpointException {
        SwinTransformer src = new SwinTransformer(cfg(3).withAbsPosEmbed(32, 24));
        assertArrayEquals(new int[] {1, 48, 8}, src.absolutePosEmbed.shape());
        assertEquals("absolute_pos_embed", src.stateDict().keySet().iterator().next(), "own parameters first, as torch");
        Path pth = checkpoint(src, "abs.pth");
        SwinTransformer same = new SwinTransformer(cfg(3).withAbsPosEmbed(32, 24));
        ModelWeights.loadPretrainedSwin(pth, holder(same), false);
        assertArrayEquals(src.absolutePosEmbed.toFloatArray(), same.absolutePosEmbed.toFloatArray());
        SwinTransformer bigger = new SwinTransformer(cfg(3).withAbsPosEmbed(32, 32));
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelWeights.loadPretrainedSwin(pth, holder(bigger), false));
        assertTrue(e.getMessage().contains("absolute_pos_embed"), e.getMessage());
    }
}
