package autoassign.api;

import java.util.ArrayList;
import java.util.List;

/**
 * The overlapping patches a large image is cut into for sliced inference: sahi's {@code slicing.get_slice_bboxes}
 * (what MMDetection's {@code demo/large_image_demo.py} calls through {@code slice_image}), rule for rule.
 *
 * <p>Rows and columns advance by {@code size - overlap} with {@code overlap = int(ratio · size)}, starting at 0. A
 * patch that would cross the right or bottom edge is moved back inside, to end at the edge (so a patch is always
 * {@code size} wide and high unless the image itself is smaller), and that patch ends its row (or the grid). So an
 * image exactly two patches wide still gets a third, overlapping column: 1280 px at 640 / 0.25 → x = 0, 480, 640.
 */
public final class PatchGrid {
    private PatchGrid() {}

    /** One patch, in image pixels: columns {@code [x1, x2)}, rows {@code [y1, y2)}; {@code (x1, y1)} is its offset. */
    public record Patch(int x1, int y1, int x2, int y2) {
        public int width() { return x2 - x1; }

        public int height() { return y2 - y1; }
    }

    /** Square patches of {@code size} with the same overlap ratio on both axes (large_image_demo.py's use). */
    public static List<Patch> patches(int imageH, int imageW, int size, double overlapRatio) {
        return patches(imageH, imageW, size, size, overlapRatio, overlapRatio);
    }

    /**
     * Patches row by row, left to right.
     *
     * @param overlapH fraction of {@code sliceH} shared by two rows, {@code 0 <= r < 1}
     * @param overlapW fraction of {@code sliceW} shared by two columns, {@code 0 <= r < 1}
     */
    public static List<Patch> patches(int imageH, int imageW, int sliceH, int sliceW, double overlapH, double overlapW) {
        if (imageH < 1 || imageW < 1) throw new IllegalArgumentException("image size must be positive, got " + imageW + "x" + imageH);
        if (sliceH < 1 || sliceW < 1) throw new IllegalArgumentException("patch size must be >= 1, got " + sliceW + "x" + sliceH);
        // ratio >= 1 would never advance (sahi loops forever)
        if (!(overlapH >= 0 && overlapH < 1) || !(overlapW >= 0 && overlapW < 1))
            throw new IllegalArgumentException("patch overlap ratio must be in [0, 1), got " + (overlapH >= 0 && overlapH < 1 ? overlapW : overlapH));
        int yOverlap = (int) (overlapH * sliceH), xOverlap = (int) (overlapW * sliceW); // Python int(): truncation
        List<Patch> out = new ArrayList<>();
        int yMin = 0, yMax = 0;
        while (yMax < imageH) {
            int xMin = 0, xMax = 0;
            yMax = yMin + sliceH;
            while (xMax < imageW) {
                xMax = xMin + sliceW;
                if (yMax > imageH || xMax > imageW) {
                    int x2 = Math.min(imageW, xMax), y2 = Math.min(imageH, yMax);
                    out.add(new Patch(Math.max(0, x2 - sliceW), Math.max(0, y2 - sliceH), x2, y2));
                } else {
                    out.add(new Patch(xMin, yMin, xMax, yMax));
                }
                xMin = xMax - xOverlap;
            }
            yMin = yMax - yOverlap;
        }
        return out;
    }
}
