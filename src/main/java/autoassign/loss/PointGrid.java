package autoassign.loss;

import java.util.Arrays;

/**
 * The points (priors) of all FPN levels of one padded batch (AA_2 §4) and the conversion between
 * the model's per-level NCHW tensors and the loss's per-image point-major arrays
 * ({@code levels_to_images}).
 *
 * <p>Level {@code l} with stride {@code s} and size {@code (h, w)}: point {@code (i, j)} is at
 * {@code (x, y) = (j*s, i*s)} (offset 0), flattened row-major ({@code i*w + j}); levels are
 * concatenated in order. Image-major layout of a tensor with {@code K} channels: {@code [P, K]}.
 */
public final class PointGrid {
    private final int[] heights, widths, strides, offsets;
    private final float[] px, py, ps;

    private PointGrid(int[] heights, int[] widths, int[] strides) {
        int levels = strides.length;
        if (heights.length != levels || widths.length != levels)
            throw new IllegalArgumentException("featmap sizes and strides differ in length");
        this.heights = heights.clone();
        this.widths = widths.clone();
        this.strides = strides.clone();
        this.offsets = new int[levels + 1];
        for (int l = 0; l < levels; l++) {
            if (heights[l] <= 0 || widths[l] <= 0 || strides[l] <= 0)
                throw new IllegalArgumentException("level " + l + ": bad size " + heights[l] + "x" + widths[l]
                        + " or stride " + strides[l]);
            offsets[l + 1] = offsets[l] + heights[l] * widths[l];
        }
        int n = offsets[levels];
        px = new float[n];
        py = new float[n];
        ps = new float[n];
        for (int l = 0; l < levels; l++) {
            int s = strides[l];
            for (int i = 0; i < heights[l]; i++)
                for (int j = 0; j < widths[l]; j++) {
                    int p = offsets[l] + i * widths[l] + j;
                    px[p] = j * s;
                    py[p] = i * s;
                    ps[p] = s;
                }
        }
    }

    /** @param featmapSizes per level {h, w} */
    public static PointGrid of(int[][] featmapSizes, int[] strides) {
        int[] h = new int[featmapSizes.length], w = new int[featmapSizes.length];
        for (int l = 0; l < featmapSizes.length; l++) {
            h[l] = featmapSizes[l][0];
            w[l] = featmapSizes[l][1];
        }
        return new PointGrid(h, w, strides);
    }

    /**
     * Levels of a padded input {@code H×W} for strides (8,16,32,64,128): {@code H/8, H/16, H/32}, then
     * {@code ceil(h/2)} twice (stride-2 pad-1 3×3 convs).
     */
    public static PointGrid forPaddedImage(int height, int width, int[] strides) {
        int n = strides.length;
        int[][] sizes = new int[n][];
        int h = height, w = width;
        for (int l = 0; l < n; l++) {
            if (l < 3) {
                h = height / strides[l];
                w = width / strides[l];
            } else {
                h = (h + 1) / 2;
                w = (w + 1) / 2;
            }
            sizes[l] = new int[] {h, w};
        }
        return of(sizes, strides);
    }

    public static final int[] DEFAULT_STRIDES = {8, 16, 32, 64, 128};

    public int numPoints() { return offsets[offsets.length - 1]; }
    public int numLevels() { return strides.length; }
    public int height(int level) { return heights[level]; }
    public int width(int level) { return widths[level]; }
    public int stride(int level) { return strides[level]; }
    /** First global point index of a level. */
    public int offset(int level) { return offsets[level]; }
    public int levelSize(int level) { return heights[level] * widths[level]; }
    public float x(int p) { return px[p]; }
    public float y(int p) { return py[p]; }
    /** Stride of the level point {@code p} belongs to. */
    public float pointStride(int p) { return ps[p]; }
    /** Point x coordinates (shared, do not modify). */
    float[] xs() { return px; }
    float[] ys() { return py; }
    float[] strideOfPoint() { return ps; }

    /** Every point as {@code (x, y, stride)}, a {@code [P,3]} array (the layout of the fused device ops). */
    public float[] packed() {
        int n = numPoints();
        float[] out = new float[3 * n];
        for (int p = 0; p < n; p++) {
            out[3 * p] = px[p];
            out[3 * p + 1] = py[p];
            out[3 * p + 2] = ps[p];
        }
        return out;
    }

    /** Level of a global point index. */
    public int levelOf(int p) {
        if (p < 0 || p >= numPoints()) throw new IndexOutOfBoundsException("point " + p);
        int l = 0;
        while (p >= offsets[l + 1]) l++;
        return l;
    }

    /** "level 0 (stride 8) row 3 col 7" for error messages. */
    public String describePoint(int p) {
        int l = levelOf(p), q = p - offsets[l];
        return "level " + l + " (stride " + strides[l] + ") row " + (q / widths[l]) + " col " + (q % widths[l]);
    }

    // ------------------------------------------------------------------ layout conversion

    /**
     * {@code levels_to_images} for one image: gathers the per-level NCHW tensors
     * {@code [B, K, h_l, w_l]} into a point-major {@code [P, K]} array.
     */
    public float[] levelsToImage(float[][] levels, int batch, int channels, int image) {
        checkLevels(levels, batch, channels, "levelsToImage");
        int n = numPoints();
        float[] out = new float[n * channels];
        for (int l = 0; l < numLevels(); l++) {
            int hw = levelSize(l), off = offsets[l];
            float[] src = levels[l];
            int base = image * channels * hw;
            for (int k = 0; k < channels; k++) {
                int sb = base + k * hw;
                for (int q = 0; q < hw; q++) out[(off + q) * channels + k] = src[sb + q];
            }
        }
        return out;
    }

    /** {@link #levelsToImage} for every image of the batch. */
    public float[][] levelsToImages(float[][] levels, int batch, int channels) {
        float[][] out = new float[batch][];
        for (int b = 0; b < batch; b++) out[b] = levelsToImage(levels, batch, channels, b);
        return out;
    }

    /**
     * Inverse of {@link #levelsToImages}: scatters per-image {@code [P, K]} arrays (e.g. gradients)
     * back into freshly allocated per-level NCHW arrays {@code [B, K, h_l, w_l]}.
     */
    public float[][] imagesToLevels(float[][] images, int channels) {
        int batch = images.length;
        float[][] out = new float[numLevels()][];
        for (int l = 0; l < numLevels(); l++) out[l] = new float[batch * channels * levelSize(l)];
        for (int b = 0; b < batch; b++) {
            float[] img = images[b];
            if (img.length != numPoints() * channels)
                throw new IllegalArgumentException("image " + b + ": " + img.length + " values, expected "
                        + numPoints() + "x" + channels);
            for (int l = 0; l < numLevels(); l++) {
                int hw = levelSize(l), off = offsets[l];
                float[] dst = out[l];
                int base = b * channels * hw;
                for (int k = 0; k < channels; k++) {
                    int db = base + k * hw;
                    for (int q = 0; q < hw; q++) dst[db + q] = img[(off + q) * channels + k];
                }
            }
        }
        return out;
    }

    private void checkLevels(float[][] levels, int batch, int channels, String what) {
        if (levels.length != numLevels())
            throw new IllegalArgumentException(what + ": " + levels.length + " levels, expected " + numLevels());
        for (int l = 0; l < numLevels(); l++) {
            long want = (long) batch * channels * levelSize(l);
            if (levels[l].length != want)
                throw new IllegalArgumentException(what + ": level " + l + " has " + levels[l].length
                        + " values, expected " + batch + "x" + channels + "x" + heights[l] + "x" + widths[l]);
        }
    }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("PointGrid[");
        for (int l = 0; l < numLevels(); l++)
            sb.append(l == 0 ? "" : ", ").append(heights[l]).append('x').append(widths[l]).append("/s").append(strides[l]);
        return sb.append("; ").append(numPoints()).append(" points]").toString();
    }

    @Override public boolean equals(Object o) {
        return o instanceof PointGrid g && Arrays.equals(heights, g.heights) && Arrays.equals(widths, g.widths)
                && Arrays.equals(strides, g.strides);
    }

    @Override public int hashCode() {
        return Arrays.hashCode(heights) * 31 + Arrays.hashCode(widths) * 7 + Arrays.hashCode(strides);
    }
}
