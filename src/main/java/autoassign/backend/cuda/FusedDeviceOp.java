package autoassign.backend.cuda;

import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

/**
 * What the multi-kernel ops of one device ({@link CudaAutoAssignLoss}, {@link CudaPostProcess}) share: the device's
 * backend and context, input addresses checked to be on the device, and scratch tensors for their buffers.
 */
abstract class FusedDeviceOp {
    final CudaBackend backend;
    final CudaContext ctx;
    private final String name;

    FusedDeviceOp(CudaBackend backend, CudaContext ctx, String name) {
        this.backend = backend;
        this.ctx = ctx;
        this.name = name;
    }

    /** The device address of an input, which must be on this backend's device. */
    long addr(Tensor t, String what) {
        if (!t.device().equals(backend.device()))
            throw new IllegalArgumentException(name + ": " + what + " " + Shape.str(t.shape()) + " is on " + t.device()
                    + ", expected " + backend.device());
        return ((CudaBuffer) t.buffer()).address();
    }

    /** Sets the per-level input addresses of {@code a} from the head outputs. */
    void bindLevels(HeadLayout a, Tensor[] cls, Tensor[] dist, Tensor[] obj) {
        a.clsIn = new long[a.levels];
        a.distIn = new long[a.levels];
        a.objIn = new long[a.levels];
        for (int l = 0; l < a.levels; l++) {
            a.clsIn[l] = addr(cls[l], "cls level " + l);
            a.distIn[l] = addr(dist[l], "dist level " + l);
            a.objIn[l] = addr(obj[l], "obj level " + l);
        }
    }

    /**
     * Allocates the image-major head arrays and the points of {@code a}, sets their addresses and uploads the points;
     * returns the tensors {cls, dist, obj, pts} (the caller releases them).
     */
    Tensor[] placeHead(HeadLayout a, float[] points) {
        long bp = (long) a.batch * a.numPoints;
        Tensor cls = empty(bp * a.numClasses), dist = empty(bp * 4), obj = empty(bp), pts = empty(points.length);
        a.cls = address(cls);
        a.dist = address(dist);
        a.obj = address(obj);
        a.pts = address(pts);
        ctx.upload(a.pts, points);
        return new Tensor[] {cls, dist, obj, pts};
    }

    /** A fresh 1-D device tensor of at least one float (scratch of an op; its scope or the op releases it). */
    Tensor empty(long numel) {
        int n = Math.toIntExact(Math.max(numel, 1));
        return Tensor.ofBuffer(ctx.allocate(n), n);
    }

    static long address(Tensor t) { return ((CudaBuffer) t.buffer()).address(); }
}
