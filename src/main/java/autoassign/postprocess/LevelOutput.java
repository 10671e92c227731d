package autoassign.postprocess;

/**
 * Raw head outputs of one FPN level for one image, as plain float32 arrays in CHW layout.
 *
 * @param stride     the level's stride in input pixels (8, 16, 32, 64, 128 for P3..P7)
 * @param numClasses number of classes C
 * @param height     feature-map height H (of the padded input)
 * @param width      feature-map width W
 * @param clsLogits  [C, H, W] classification logits
 * @param distances  [4, H, W] left, top, right, bottom distances, already in input pixels
 * @param objLogits  [1, H, W] objectness (centerness branch) logits
 */
public record LevelOutput(int stride, int numClasses, int height, int width,
                          float[] clsLogits, float[] distances, float[] objLogits) {

    public LevelOutput {
        if (stride <= 0 || numClasses <= 0 || height < 0 || width < 0) {
            throw new IllegalArgumentException("bad level geometry: stride " + stride + ", classes " + numClasses
                    + ", " + height + "x" + width);
        }
        long n = (long) height * width;
        check("clsLogits", clsLogits, n * numClasses);
        check("distances", distances, n * 4);
        check("objLogits", objLogits, n);
    }

    private static void check(String name, float[] a, long expected) {
        if (a == null || a.length != expected) {
            throw new IllegalArgumentException(name + ": expected " + expected + " values, got "
                    + (a == null ? "null" : a.length));
        }
    }

    /** Number of points (H * W). */
    public int numPoints() {
        return height * width;
    }
}
