package autoassign.backend.cuda;

import autoassign.backend.FusedPostProcess;
import autoassign.backend.cuda.CudaAutoAssignLossPlanTest.Mem;
import autoassign.backend.cuda.CudaPostProcess.Layout;
import autoassign.backend.cuda.LaunchPlan.Launch;
import autoassign.tensor.Tensor;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link CudaPostProcess} on an emulated device: its argument checks and layout, its launch plan, each kernel
 * replaced by its contract ({@link CudaPostProcessPlanTest.Contracts}) on fake memory, its output parsing. Lets CPU
 * tests run the device post-processing path of {@code Inference} end to end (a stand-in backend returns it from
 * {@code fusedPostProcess()}).
 */
public final class EmulatedPostProcess implements FusedPostProcess {
    private final AtomicInteger runs = new AtomicInteger();

    /** How many times {@link #run} was called. */
    public int runs() { return runs.get(); }

    @Override
    public boolean supports(int levels, int nmsPre, float minBboxSize) { return CudaPostProcess.supported(levels, nmsPre, minBboxSize); }

    @Override
    public Result[] run(Tensor[] cls, Tensor[] dist, Tensor[] obj, float[] points, float[][] geometry, int nmsPre,
                        float scoreThr, float iouThr, int maxPerImg) {
        runs.incrementAndGet();
        Layout a = CudaPostProcess.layoutFor(cls, dist, obj, points, geometry, nmsPre, maxPerImg);
        float[][] c = new float[a.levels][], d = new float[a.levels][], o = new float[a.levels][];
        for (int l = 0; l < a.levels; l++) {
            c[l] = cls[l].toFloatArray();
            d[l] = dist[l].toFloatArray();
            o[l] = obj[l].toFloatArray();
        }
        Mem m = new Mem();
        place(m, a, c, d, o, points);
        return execute(m, a, scoreThr, iouThr, geometry);
    }

    /** Puts the head outputs and points in fake memory and allocates every other buffer of the plan (zeroed). */
    static void place(Mem m, Layout a, float[][] cls, float[][] dist, float[][] obj, float[] points) {
        a.clsIn = new long[a.levels];
        a.distIn = new long[a.levels];
        a.objIn = new long[a.levels];
        for (int l = 0; l < a.levels; l++) {
            a.clsIn[l] = put(m, "clsIn" + l, cls[l]);
            a.distIn[l] = put(m, "distIn" + l, dist[l]);
            a.objIn[l] = put(m, "objIn" + l, obj[l]);
        }
        long bp = (long) a.batch * a.numPoints;
        a.cls = m.alloc("cls", 4 * bp * a.numClasses);
        a.dist = m.alloc("dist", 16 * bp);
        a.obj = m.alloc("obj", 4 * bp);
        a.pts = put(m, "pts", points);
        a.levelStart = put(m, "levelStart", CudaPostProcess.levelStarts(a));
        a.ws = m.alloc("ws", a.wsBytes);
        a.counters = m.alloc("counters", 8L * a.batch);
        a.out = m.alloc("out", 4L * a.batch * a.outWords());
    }

    /** Runs the plan on the kernels' contracts and parses every image's detections from the output buffer. */
    static Result[] execute(Mem m, Layout a, float scoreThr, float iouThr, float[][] geometry) {
        for (Launch l : CudaPostProcess.plan(a, scoreThr, iouThr, geometry)) CudaPostProcessPlanTest.Contracts.run(m, l);
        float[] host = new float[a.batch * a.outWords()];
        for (int i = 0; i < host.length; i++) host[i] = m.get(a.out + 4L * i);
        Result[] res = new Result[a.batch];
        for (int i = 0; i < a.batch; i++) res[i] = CudaPostProcess.parse(a, host, i);
        return res;
    }

    private static long put(Mem m, String name, float[] v) {
        long base = m.alloc(name, 4L * v.length);
        for (int i = 0; i < v.length; i++) m.set(base + 4L * i, v[i]);
        return base;
    }
}
