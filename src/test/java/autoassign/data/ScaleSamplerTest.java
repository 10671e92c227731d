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
            assertEquals(1333, p[0]);
            counts[p[1] == 640 ? 0 : p[1] == 704 ? 1 : 2]++;
            assertTrue(p[1] == 640 || p[1] == 704 || p[1] == 800, "listed: " + p[1]);
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
}
