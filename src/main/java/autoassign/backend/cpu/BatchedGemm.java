package autoassign.backend.cpu;

import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

/** CPU twin of {@link autoassign.backend.Backend#bmm}: one OpenBLAS sgemm per batch entry, entries over the cores. */
final class BatchedGemm {
    private BatchedGemm() {}

    static Tensor bmm(Tensor a, boolean transA, Tensor b, boolean transB) {
        int[] d = dims(a, transA, b, transB);
        int batch = d[0], m = d[1], n = d[2], k = d[3];
        Tensor cT = HostArrays.empty(batch, m, n);
        float[] av = a.data(), bv = b.data(), cv = cT.data();
        int sa = m * k, sb = k * n, sc = m * n, lda = a.dim(2), ldb = b.dim(2);
        if (k == 0) java.util.Arrays.fill(cv, 0f);
        else Parallel.range(batch, Math.max(1, (1 << 16) / Math.max(1, sa + sb + sc)), (s, e) -> {
            for (int i = s; i < e; i++)
                Blas.sgemm(transA, transB, m, n, k, 1f, av, i * sa, lda, bv, i * sb, ldb, 0f, cv, i * sc, n);
        });
        return cT;
    }

    /** {batch, m, n, k} of op(A)·op(B) for [batch, ·, ·] operands; throws naming the shapes when they do not fit. */
    static int[] dims(Tensor a, boolean transA, Tensor b, boolean transB) {
        Shape.checkRank("bmm", "A", a.shape(), 3);
        Shape.checkRank("bmm", "B", b.shape(), 3);
        int m = transA ? a.dim(2) : a.dim(1), k = transA ? a.dim(1) : a.dim(2);
        int kb = transB ? b.dim(2) : b.dim(1), n = transB ? b.dim(1) : b.dim(2);
        if (a.dim(0) != b.dim(0) || k != kb)
            throw new IllegalArgumentException("bmm: A" + Shape.str(a.shape()) + (transA ? "ᵀ" : "") + " · B" + Shape.str(b.shape())
                    + (transB ? "ᵀ" : "") + " do not fit");
        return new int[] {a.dim(0), m, n, k};
    }
}
