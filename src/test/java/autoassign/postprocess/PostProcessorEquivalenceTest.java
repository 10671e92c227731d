package autoassign.postprocess;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link PostProcessor}'s fast paths (a class-by-class scan, a partial selection of the first nmsPre candidates,
 * NMS that stops after maxPerImg kept boxes) against a literal transcription of the rule (AA_4: sort all candidates
 * by probability descending, ties by point-major flat index; full NMS, then the first maxPerImg). Logits are
 * quantised so that ties are everywhere; results must be identical.
 */
class PostProcessorEquivalenceTest {
    private record Cand(int flat, float prob) {}

    static Detections reference(List<LevelOutput> levels, ImageMeta meta, PostProcessConfig cfg) {
        int nc = levels.get(0).numClasses();
        List<float[]> boxes = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (LevelOutput lv : levels) {
            int hw = lv.numPoints();
            List<Cand> cands = new ArrayList<>();
            for (int p = 0; p < hw; p++)
                for (int c = 0; c < nc; c++) {
                    float prob = PostProcessor.sigmoid(lv.clsLogits()[c * hw + p]);
                    if (prob > cfg.scoreThr()) cands.add(new Cand(p * nc + c, prob));
                }
            cands.sort(Comparator.comparing((Cand x) -> -x.prob).thenComparingInt(x -> x.flat));
            if (cfg.nmsPre() > 0 && cands.size() > cfg.nmsPre()) cands = cands.subList(0, cfg.nmsPre());
            for (Cand k : cands) {
                int p = k.flat / nc, c = k.flat % nc;
                float px = (float) (p % lv.width()) * lv.stride(), py = (float) (p / lv.width()) * lv.stride();
                float[] d = lv.distances();
                float[] b = {clip(px - d[p], meta.imgWidth()), clip(py - d[hw + p], meta.imgHeight()),
                        clip(px + d[2 * hw + p], meta.imgWidth()), clip(py + d[3 * hw + p], meta.imgHeight())};
                float sx = (float) (1.0 / meta.scaleW()), sy = (float) (1.0 / meta.scaleH());
                b[0] *= sx;
                b[1] *= sy;
                b[2] *= sx;
                b[3] *= sy;
                if (!(b[2] - b[0] > cfg.minBboxSize() && b[3] - b[1] > cfg.minBboxSize())) continue;
                boxes.add(b);
                scores.add(k.prob * PostProcessor.sigmoid(lv.objLogits()[p]));
                labels.add(c);
            }
        }
        int n = scores.size();
        float[] bx = new float[4 * n], sc = new float[n];
        int[] lb = new int[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(boxes.get(i), 0, bx, 4 * i, 4);
            sc[i] = scores.get(i);
            lb[i] = labels.get(i);
        }
        int[] kept = Nms.batchedNms(bx, sc, lb, cfg.iouThr());
        return new Detections(bx, sc, lb).select(Arrays.copyOf(kept, Math.min(kept.length, cfg.maxPerImg())));
    }

    private static float clip(float v, float hi) { return v < 0f ? 0f : v > hi ? hi : v; }

    static List<LevelOutput> randomLevels(Random r, int classes, float logitMean) {
        int[][] sizes = {{12, 18}, {6, 9}, {3, 5}, {2, 3}, {1, 2}};
        List<LevelOutput> levels = new ArrayList<>();
        for (int l = 0; l < sizes.length; l++) {
            int s = 8 << l, hw = sizes[l][0] * sizes[l][1];
            float[] cls = new float[classes * hw], dist = new float[4 * hw], obj = new float[hw];
            for (int i = 0; i < cls.length; i++) cls[i] = Math.round((logitMean + r.nextGaussian()) * 4) / 4f; // many ties
            for (int i = 0; i < dist.length; i++) dist[i] = Math.round(r.nextFloat() * 6) * s / 2f;
            for (int i = 0; i < hw; i++) obj[i] = Math.round(r.nextGaussian() * 2) / 2f;
            levels.add(new LevelOutput(s, classes, sizes[l][0], sizes[l][1], cls, dist, obj));
        }
        return levels;
    }

    @Test
    void fastPathsGiveTheReferenceDetections() {
        Random r = new Random(11);
        ImageMeta meta = new ImageMeta(90, 140, 1.25, 1.5);
        PostProcessConfig[] cfgs = {PostProcessConfig.DEFAULT, new PostProcessConfig(40, 0.05f, 0.6f, 25, 0f),
                new PostProcessConfig(-1, 0.2f, 0.5f, 7, 2f), new PostProcessConfig(3, 0.0f, 0.3f, 1000, 0f),
                new PostProcessConfig(100, 0.05f, 0.6f, 1, 0f)};
        int nonEmpty = 0;
        for (int trial = 0; trial < 30; trial++) {
            List<LevelOutput> levels = randomLevels(r, 1 + r.nextInt(12), -3f + r.nextFloat() * 4f);
            for (PostProcessConfig cfg : cfgs) {
                Detections want = reference(levels, meta, cfg), got = PostProcessor.process(levels, meta, cfg);
                String what = "trial " + trial + " " + cfg;
                assertArrayEquals(want.labels(), got.labels(), what);
                assertArrayEquals(want.scores(), got.scores(), 0f, what);
                assertArrayEquals(want.boxes(), got.boxes(), 0f, what);
                if (got.scores().length > 0) nonEmpty++;
            }
        }
        assertTrue(nonEmpty > 100, "most cases produce detections: " + nonEmpty);
    }
}
