package autoassign.backend.cuda;

import java.util.List;

/**
 * A kernel launch sequence as data. The multi-kernel ops ({@link CudaAutoAssignLoss}, {@link CudaPostProcess})
 * build their sequences with pure functions over addresses and sizes, so that CPU tests check every launch against
 * the kernel's declaration (argument kinds), the grids of native/README.md and the pointer extents without a GPU;
 * {@link #run} then enqueues them on the device's stream.
 */
final class LaunchPlan {
    private LaunchPlan() {
    }

    /** A device pointer argument (a 64-bit address, as opposed to a {@code long long} value). */
    record Ptr(long address) {}

    /** One kernel launch: arguments in kernel order (Ptr, Integer = int, Long = long long, Float = float), grid, block. */
    record Launch(String kernel, Object[] args, int gridX, int gridY, int blockX) {}

    static Ptr p(long address) { return new Ptr(address); }

    /** Grid of {@code n} work items at {@code perBlock} per block (at least 1). */
    static int grid(long n, int perBlock) { return (int) Math.max(1, (n + perBlock - 1) / perBlock); }

    /**
     * {@code aaj_level_to_points} / {@code aaj_points_to_level} (backend_kernels.cu) between a level's NCHW tensor
     * {@code [B,K,HW]} and the image-major {@code [B][P,K]} array, whose rows {@code off..off+HW-1} are the level's.
     */
    static Launch layout(String kernel, long out, long in, int k, long hw, long points, long off, long n) {
        return new Launch(kernel, new Object[] {p(out), p(in), k, hw, points, off, n}, Kernels.grid1d(n), 1, Kernels.BLOCK);
    }

    /** Whether every named kernel is loaded (an op's plan needs all of its kernels). */
    static boolean allLoaded(Kernels k, List<String> nativeKernels, List<String> backendKernels) {
        for (String n : nativeKernels) if (!k.has(n)) return false;
        for (String n : backendKernels) if (!k.has(n)) return false;
        return true;
    }

    /** Enqueues the launches in order on the context's stream. */
    static void run(CudaContext ctx, List<Launch> plan) {
        for (Launch l : plan) {
            Kernels.Call c = ctx.call(l.kernel());
            for (Object o : l.args()) {
                if (o instanceof Ptr q) c.ptr(q.address());
                else if (o instanceof Integer v) c.i32(v);
                else if (o instanceof Long v) c.i64(v);
                else if (o instanceof Float v) c.f32(v);
                else throw new IllegalStateException("argument " + o + " of " + l.kernel());
            }
            c.launch(ctx.stream, l.gridX(), l.gridY(), l.blockX(), 1);
        }
    }
}
