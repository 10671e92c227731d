package autoassign.backend.cuda;

import autoassign.backend.cuda.LaunchPlan.Launch;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

import static autoassign.backend.cuda.LaunchPlan.layout;

/**
 * The head outputs of a batch as the fused device ops read them: per FPN level the NCHW tensors
 * {@code cls [B,C,h,w]}, {@code dist [B,4,h,w]}, {@code obj [B,1,h,w]} (addresses {@link #clsIn} ...), gathered into
 * image-major arrays {@code [B][P,K]} (addresses {@link #cls} ...; image {@code i} of cls at {@code cls + 4·i·P·C}),
 * levels concatenated in order. Shared by {@link CudaAutoAssignLoss} and {@link CudaPostProcess}.
 */
class HeadLayout {
    final int batch, numClasses, numPoints, levels;
    final long[] levelSize, levelOffset; // points per level, first point of each level
    // device addresses: the image-major arrays, the points [P,3] = (x, y, stride), the per-level inputs
    long cls, dist, obj, pts;
    long[] clsIn, distIn, objIn;

    HeadLayout(int batch, int numClasses, long[] levelSize) {
        this.batch = batch;
        this.numClasses = numClasses;
        this.levels = levelSize.length;
        this.levelSize = levelSize.clone();
        this.levelOffset = new long[levels];
        long p = 0;
        for (int l = 0; l < levels; l++) {
            levelOffset[l] = p;
            p += levelSize[l];
        }
        this.numPoints = Math.toIntExact(p);
    }

    long clsOf(int i) { return cls + 4L * i * numPoints * numClasses; }
    long distOf(int i) { return dist + 16L * i * numPoints; }
    long objOf(int i) { return obj + 4L * i * numPoints; }

    /** The 3 launches per level that gather the level tensors into the image-major arrays. */
    void addGather(List<Launch> out) {
        for (int l = 0; l < levels; l++) {
            long hw = levelSize[l], off = levelOffset[l];
            out.add(layout("aaj_level_to_points", cls, clsIn[l], numClasses, hw, numPoints, off, (long) batch * numClasses * hw));
            out.add(layout("aaj_level_to_points", dist, distIn[l], 4, hw, numPoints, off, batch * 4L * hw));
            out.add(layout("aaj_level_to_points", obj, objIn[l], 1, hw, numPoints, off, batch * hw));
        }
    }

    /**
     * Points per level of the head outputs, after checking them: as many dist and obj levels as cls levels, each
     * level {@code [B,C,h,w]} / {@code [B,4,h,w]} / {@code [B,1,h,w]} with one B and one C.
     */
    static long[] levelSizes(String op, Tensor[] cls, Tensor[] dist, Tensor[] obj) {
        int levels = cls.length;
        if (levels == 0 || dist.length != levels || obj.length != levels)
            throw new IllegalArgumentException(op + ": " + cls.length + " cls, " + dist.length + " dist, " + obj.length + " obj levels");
        int batch = cls[0].dim(0), numClasses = cls[0].dim(1);
        long[] sizes = new long[levels];
        for (int l = 0; l < levels; l++) {
            int[] s = cls[l].shape();
            int h = s.length == 4 ? s[2] : -1, w = s.length == 4 ? s[3] : -1;
            if (s.length != 4 || s[0] != batch || s[1] != numClasses
                    || !Arrays.equals(dist[l].shape(), new int[] {batch, 4, h, w})
                    || !Arrays.equals(obj[l].shape(), new int[] {batch, 1, h, w}))
                throw new IllegalArgumentException(op + ": level " + l + " shapes " + Shape.str(s) + " / "
                        + Shape.str(dist[l].shape()) + " / " + Shape.str(obj[l].shape()));
            sizes[l] = (long) h * w;
        }
        return sizes;
    }
}
