package autoassign.model;

import autoassign.tensor.Tensor;

import java.util.List;

/**
 * What {@link AutoAssignDetector#forward} returns, per FPN level {@code l} (P3..P7 for the real model):
 * <ul>
 *   <li>{@link #clsLogits(int)} {@code [B, C, h, w]} classification logits;</li>
 *   <li>{@link #distances(int)} {@code [B, 4, h, w]} (left, top, right, bottom) in input pixels, already
 *       {@code max(raw·scale_l, 0)·stride_l};</li>
 *   <li>{@link #objLogits(int)} {@code [B, 1, h, w]} objectness logits (MMDetection's "centerness");</li>
 * </ul>
 * plus each level's stride and its points (priors): point {@code (i, j)} is at {@code (x, y) = (j·s, i·s)}
 * (offset 0), flattened row-major, levels concatenated in order (AA_2 §4). The tensors are on the model's
 * device and carry the autograd tape when grad mode is on.
 */
public final class HeadOutputs {
    private final List<Tensor> cls, dist, obj;
    private final int[] strides;

    public HeadOutputs(List<Tensor> cls, List<Tensor> dist, List<Tensor> obj, int[] strides) {
        if (cls.size() != strides.length || dist.size() != strides.length || obj.size() != strides.length)
            throw new IllegalArgumentException("HeadOutputs: " + cls.size() + "/" + dist.size() + "/" + obj.size()
                    + " level tensors for " + strides.length + " strides");
        this.cls = List.copyOf(cls);
        this.dist = List.copyOf(dist);
        this.obj = List.copyOf(obj);
        this.strides = strides.clone();
    }

    public int numLevels() { return strides.length; }

    public int batchSize() { return cls.get(0).dim(0); }

    public int numClasses() { return cls.get(0).dim(1); }

    public Tensor clsLogits(int level) { return cls.get(level); }

    public Tensor distances(int level) { return dist.get(level); }

    public Tensor objLogits(int level) { return obj.get(level); }

    public List<Tensor> clsLogits() { return cls; }

    public List<Tensor> distances() { return dist; }

    public List<Tensor> objLogits() { return obj; }

    /** Per-level arrays in the form {@code AutoAssignLoss.apply(cls, bbox, obj, mean, sigma, gts, strides)} takes. */
    public Tensor[] clsLogitsArray() { return cls.toArray(new Tensor[0]); }

    public Tensor[] distancesArray() { return dist.toArray(new Tensor[0]); }

    public Tensor[] objLogitsArray() { return obj.toArray(new Tensor[0]); }

    public int stride(int level) { return strides[level]; }

    public int[] strides() { return strides.clone(); }

    public int height(int level) { return cls.get(level).dim(2); }

    public int width(int level) { return cls.get(level).dim(3); }

    /** {@code {h, w}} per level (the loss's {@code PointGrid.of(featmapSizes(), strides())}). */
    public int[][] featmapSizes() {
        int[][] s = new int[numLevels()][];
        for (int l = 0; l < s.length; l++) s[l] = new int[] {height(l), width(l)};
        return s;
    }

    /** Points over all levels. */
    public int numPoints() {
        int n = 0;
        for (int l = 0; l < numLevels(); l++) n += height(l) * width(l);
        return n;
    }

    /** Points of one level, interleaved {@code x0, y0, x1, y1, ...} in row-major order, offset 0. */
    public float[] points(int level) {
        int h = height(level), w = width(level), s = strides[level];
        float[] p = new float[2 * h * w];
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++) {
                p[2 * (i * w + j)] = j * s;
                p[2 * (i * w + j) + 1] = i * s;
            }
        return p;
    }

    /** Host copies of every image of a level tensor {@code [B, K, h, w]} (one device transfer): {@code [B][K·h·w]}. */
    public static float[][] imageSlices(Tensor t) {
        int b = t.dim(0), per = t.numel() / b;
        float[] all = t.toFloatArray();
        float[][] out = new float[b][per];
        for (int i = 0; i < b; i++) System.arraycopy(all, i * per, out[i], 0, per);
        return out;
    }

    /** Host copy of image {@code b} of a level tensor {@code [B, K, h, w]}: {@code [K, h, w]} values. */
    public static float[] imageSlice(Tensor t, int b) {
        int per = t.numel() / t.dim(0);
        float[] all = t.toFloatArray();
        float[] out = new float[per];
        System.arraycopy(all, b * per, out, 0, per);
        return out;
    }
}
