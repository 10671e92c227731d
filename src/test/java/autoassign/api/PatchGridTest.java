package autoassign.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import autoassign.api.PatchGrid.Patch;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link PatchGrid} against sahi's get_slice_bboxes worked by hand (patch 640, overlap int(0.25 · 640) = 160). */
class PatchGridTest {

    @Test
    void imageSmallerThanAPatchIsOnePatchOfTheWholeImage() {
        assertEquals(List.of(new Patch(0, 0, 500, 300)), PatchGrid.patches(300, 500, 640, 0.25));
        assertEquals(List.of(new Patch(0, 0, 640, 640)), PatchGrid.patches(640, 640, 640, 0.25), "exactly one patch");
    }

    @Test
    void exactMultipleStillGetsAnOverlappingLastColumn() {
        // x: [0, 640), then 480 → 1120, then 960 + 640 = 1600 > 1280: moved back to end at the edge, [640, 1280)
        assertEquals(List.of(new Patch(0, 0, 640, 640), new Patch(480, 0, 1120, 640), new Patch(640, 0, 1280, 640)),
                PatchGrid.patches(640, 1280, 640, 0.25));
    }

    @Test
    void remainderRowsAndColumnsEndAtTheEdge() {
        // 700 wide: [0, 640), then 480 + 640 = 1120 > 700 → [60, 700); 1000 high: rows [0, 640), then 480 + 640 > 1000 → [360, 1000)
        assertEquals(List.of(new Patch(0, 0, 640, 640), new Patch(60, 0, 700, 640),
                        new Patch(0, 360, 640, 1000), new Patch(60, 360, 700, 1000)),
                PatchGrid.patches(1000, 700, 640, 0.25));
        // one pixel more than a patch
        assertEquals(List.of(new Patch(0, 0, 640, 100), new Patch(1, 0, 641, 100)), PatchGrid.patches(100, 641, 640, 0.25));
    }

    @Test
    void overlapIsTruncatedAsPythonInt() {
        // 0.29 · 100 = 28.999999999999996 in double: int() gives 28, a step of 72; int(0.25 · 10) = 2: a step of 8
        assertEquals(List.of(new Patch(0, 0, 100, 100), new Patch(72, 0, 172, 100), new Patch(100, 0, 200, 100)),
                PatchGrid.patches(100, 200, 100, 0.29));
        assertEquals(List.of(0, 8, 16, 20), PatchGrid.patches(10, 30, 10, 0.25).stream().map(Patch::x1).toList());
        // zero overlap tiles the image
        assertEquals(List.of(new Patch(0, 0, 50, 40), new Patch(50, 0, 100, 40)), PatchGrid.patches(40, 100, 50, 0.0));
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> PatchGrid.patches(100, 100, 64, 1.0));
        assertThrows(IllegalArgumentException.class, () -> PatchGrid.patches(100, 100, 64, -0.1));
        assertThrows(IllegalArgumentException.class, () -> PatchGrid.patches(100, 100, 0, 0.25));
        assertThrows(IllegalArgumentException.class, () -> PatchGrid.patches(0, 100, 64, 0.25));
    }
}
