package autoassign.backend.cpu;

import org.bytedeco.javacpp.FloatPointer;

import java.nio.FloatBuffer;

/**
 * Per-thread native float buffers that OpenBLAS reads and writes directly. JavaCPP passes a Java
 * {@code float[]} to native code by copying the <em>whole</em> array in and out on every call (measured: about
 * 0.3 s per sgemm call on three 160 MB arrays, whatever M, N, K), so the CPU backend keeps the operands of
 * every sgemm off-heap instead and copies only the regions it needs. Each slot grows on demand and is reused
 * by later calls on the same thread, which also spares the GC the large im2col buffers.
 */
final class OffHeap {
    /** Slots: one buffer each per thread; a caller must not hold two uses of the same slot at once. */
    static final int GEMM_A = 0, GEMM_B = 1, GEMM_C = 2, CONV_W = 3, CONV_COL = 4, CONV_G = 5, CONV_OUT = 6,
            SHIFT_X = 7, SHIFT_G = 8, SHIFT_C = 9, WINO_U = 10, WINO_V = 11, WINO_M = 12, WINO_ACC = 13;
    private static final int SLOTS = 14;

    /** A native buffer and a direct {@link FloatBuffer} over the same memory. */
    record Buf(FloatPointer ptr, FloatBuffer buf, long capacity) {}

    private static final ThreadLocal<Buf[]> LOCAL = ThreadLocal.withInitial(() -> new Buf[SLOTS]);

    private OffHeap() {}

    /** A buffer of at least {@code n} floats in {@code slot} of the calling thread (contents unspecified). */
    static Buf get(int slot, long n) {
        if (n > Integer.MAX_VALUE)
            throw new IllegalArgumentException("native scratch buffer of " + n + " floats exceeds 2^31-1 elements");
        Buf[] slots = LOCAL.get();
        Buf b = slots[slot];
        if (b == null || b.capacity < n) {
            long cap = Math.max(Math.max(n, 1024), b == null ? 0 : Math.min(Integer.MAX_VALUE, b.capacity + b.capacity / 4));
            if (b != null) b.ptr.close();
            FloatPointer p = new FloatPointer(cap);
            b = new Buf(p, p.asBuffer(), cap);
            slots[slot] = b;
        }
        return b;
    }

    /** Frees the calling thread's buffers (they are re-created on demand). */
    static void releaseThreadBuffers() {
        Buf[] slots = LOCAL.get();
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] != null) slots[i].ptr.close();
            slots[i] = null;
        }
    }
}
