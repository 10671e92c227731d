package autoassign.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import autoassign.config.TestConfig;
import autoassign.data.ImageMeta;
import autoassign.model.HeadOutputs;
import autoassign.postprocess.Detections;
import autoassign.postprocess.PostProcessConfig;
import autoassign.postprocess.PostProcessor;
import autoassign.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Batched head outputs go through the same post-processing as per-image arrays (AA_8 §7 inputs). */
class InferenceTest {

    static final int C = 80;
    static final int[] STRIDES = {8, 16, 32, 64, 128};
    static final int[][] SIZES = {{8, 12}, {4, 6}, {2, 3}, {1, 2}, {1, 1}};

    static double frac(double x) {
        return x - Math.floor(x);
    }

    @Test
    void batchOfTwoMatchesPerImagePostProcessing() {
        int batch = 2;
        List<Tensor> cls = new ArrayList<>();
        List<Tensor> dist = new ArrayList<>();
        List<Tensor> obj = new ArrayList<>();
        List<List<autoassign.postprocess.LevelOutput>> perImage = List.of(new ArrayList<>(), new ArrayList<>());
        int p0 = 0;
        for (int l = 0; l < STRIDES.length; l++) {
            int h = SIZES[l][0];
            int w = SIZES[l][1];
            int hw = h * w;
            int s = STRIDES[l];
            float[] c = new float[batch * C * hw];
            float[] d = new float[batch * 4 * hw];
            float[] o = new float[batch * hw];
            for (int b = 0; b < batch; b++) {
                for (int q = 0; q < hw; q++) {
                    int p = p0 + q;
                    for (int k = 0; k < C; k++) {
                        c[(b * C + k) * hw + q] = (float) (-9 + 11 * frac(0.7548776662466927 * p
                                + 0.5698402909980532 * k + 0.1 * b));
                    }
                    o[b * hw + q] = (float) (-2 + 4 * frac(0.6180339887498949 * p + 0.3 * b));
                    for (int k = 0; k < 4; k++) {
                        d[(b * 4 + k) * hw + q] = (float) (s * (0.5 + 2.5 * frac(0.41 * p + 0.29 * k + 0.13 * b)));
                    }
                }
                perImage.get(b).add(new autoassign.postprocess.LevelOutput(s, C, h, w,
                        java.util.Arrays.copyOfRange(c, b * C * hw, (b + 1) * C * hw),
                        java.util.Arrays.copyOfRange(d, b * 4 * hw, (b + 1) * 4 * hw),
                        java.util.Arrays.copyOfRange(o, b * hw, (b + 1) * hw)));
            }
            cls.add(Tensor.of(c, batch, C, h, w));
            dist.add(Tensor.of(d, batch, 4, h, w));
            obj.add(Tensor.of(o, batch, 1, h, w));
            p0 += hw;
        }
        HeadOutputs out = new HeadOutputs(cls, dist, obj, STRIDES);
        List<ImageMeta> metas = List.of(
                new ImageMeta(1, "a.jpg", 0, 40, 60, 60, 90, 1.5, 1.5, false, 64, 96),
                new ImageMeta(2, "b.jpg", 1, 50, 32, 64, 41, 41 / 32.0, 64 / 50.0, false, 64, 96));
        PostProcessConfig cfg = Inference.postProcessConfig(TestConfig.DEFAULT);
        assertEquals(PostProcessConfig.DEFAULT, cfg);
        List<Detections> got = Inference.postprocess(out, metas, cfg);
        assertEquals(2, got.size());
        Detections e0 = PostProcessor.process(perImage.get(0), new autoassign.postprocess.ImageMeta(60, 90, 1.5, 1.5));
        Detections e1 = PostProcessor.process(perImage.get(1),
                new autoassign.postprocess.ImageMeta(64, 41, 41 / 32.0, 64 / 50.0));
        for (int b = 0; b < 2; b++) {
            Detections g = got.get(b);
            Detections e = b == 0 ? e0 : e1;
            assertArrayEquals(e.boxes(), g.boxes());
            assertArrayEquals(e.scores(), g.scores());
            assertArrayEquals(e.labels(), g.labels());
        }
        // image 0 is the AA_8 §7 I2 case
        assertEquals(100, got.get(0).size());
        assertEquals(57, got.get(0).label(0));
        assertEquals(0.7719128, got.get(0).score(0), 1e-6);
    }
}
