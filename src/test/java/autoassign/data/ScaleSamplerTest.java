package autoassign.data;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Multi-scale draws: MMCV's RandomChoiceResize and RandomResize semantics, seeded per (seed, epoch, position). */
class ScaleSamplerTest {

    @Test
    void choiceDrawsOnlyTheListedScalesAllOfThemUniformly() {
        ScaleSampler s = new ScaleSampler(List.of(new int[] {1333, 640}, new int[] {1333, 704}, new int[] {800, 1333}), false);
        int[] counts = new int[3];
        for (int pos = 0; pos < 3000; pos++) {
            int[] p = s.pick(7, 2, pos);
            assertArrayEquals(p, s.pick(7, 2, pos), "deterministic");
            // a listed scale as written, (w, h) in MMCV's order: the third one stays 800 x 1333
            counts[p[1] == 640 ? 0 : p[1] == 704 ? 1 : 2]++;
            assertTrue(p[0] == 1333 && (p[1] == 640 || p[1] == 704) || p[0] == 800 && p[1] == 1333, "listed: " + java.util.Arrays.toString(p));
        }
        for (int c : counts) assertTrue(c > 850 && c < 1150, "uniform: " + java.util.Arrays.toString(counts));
    }

    @Test
    void rangeDrawsEachEdgeBetweenTheTwoScales() {
        ScaleSampler s = new ScaleSampler(List.of(new int[] {1333, 640}, new int[] {1333, 800}), true);
        Set<Integer> seen = new HashSet<>();
        for (int pos = 0; pos < 5000; pos++) {
            int[] p = s.pick(0, 0, pos);
            assertEquals(1333, p[0]);
            assertTrue(p[1] >= 640 && p[1] <= 800, "short edge " + p[1]);
            seen.add(p[1]);
        }
        assertTrue(seen.contains(640) && seen.contains(800) && seen.size() > 150, "ends included, all values hit: " + seen.size());
        ScaleSampler both = new ScaleSampler(List.of(new int[] {1000, 600}, new int[] {1400, 700}), true);
        for (int pos = 0; pos < 1000; pos++) {
            int[] p = both.pick(3, 1, pos);
            assertTrue(p[0] >= 1000 && p[0] <= 1400 && p[1] >= 600 && p[1] <= 700, java.util.Arrays.toString(p));
        }
        assertNotEquals(java.util.Arrays.toString(both.pick(3, 1, 5)) + java.util.Arrays.toString(both.pick(3, 1, 6)),
                java.util.Arrays.toString(both.pick(3, 2, 5)) + java.util.Arrays.toString(both.pick(3, 2, 6)), "epochs differ");
    }

    @Test
    void valueSemanticsAndBadScales() {
        assertEquals(new ScaleSampler(List.of(new int[] {1, 2}), false), new ScaleSampler(List.of(new int[] {1, 2}), false));
        assertEquals(new ScaleSampler(List.of(new int[] {1, 2}), false).hashCode(), new ScaleSampler(List.of(new int[] {1, 2}), false).hashCode());
        assertThrows(IllegalArgumentException.class, () -> new ScaleSampler(List.of(new int[] {1, 2}), true));
        assertThrows(IllegalArgumentException.class, () -> new ScaleSampler(List.of(new int[] {0, 2}), false));
        assertThrows(IllegalArgumentException.class, () -> new ScaleSampler(List.of(), false));
    }

    @Test
    void ratioRangeScalesOneScaleByADrawnRatio() {
        ScaleSampler r = ScaleSampler.ratio(1333, 800, 0.5, 1.5);
        assertTrue(r.byRatio());
        java.util.Set<Integer> longs = new java.util.HashSet<>();
        for (int p = 0; p < 2000; p++) {
            int[] s = r.pick(7, 0, p);
            // (int)(1333·t), (int)(800·t) for one t in [0.5, 1.5): the long edge bounds the short one
            assertTrue(s[0] >= 666 && s[0] < 2000 && s[1] >= 400 && s[1] < 1200, java.util.Arrays.toString(s));
            double t = s[0] / 1333.0;
            assertTrue(Math.abs(s[1] - 800 * t) <= 1.01, "one ratio for both edges: " + java.util.Arrays.toString(s));
            longs.add(s[0]);
        }
        assertTrue(longs.size() > 500, "spread over the range");
        assertArrayEquals(r.pick(7, 3, 11), r.pick(7, 3, 11), "seeded");
        assertThrows(IllegalArgumentException.class, () -> ScaleSampler.ratio(1333, 800, 0, 1));
        autoassign.config.Config cfg = autoassign.config.ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of(
                "train_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true},"
                        + " {type: RandomResize, scale: [256, 256], ratio_range: [0.5, 1.5], keep_ratio: true},"
                        + " {type: RandomFlip, prob: 0.5}, {type: PackDetInputs}]"));
        assertEquals(ScaleSampler.ratio(256, 256, 0.5, 1.5), cfg.trainDataloader().dataset().pipeline().multiScale());
    }
}
