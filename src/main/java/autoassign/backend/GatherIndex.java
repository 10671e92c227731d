package autoassign.backend;

import autoassign.tensor.Shape;

/**
 * The index of a {@link Backend#gather}: the source viewed as [sourceRows, block], the output as [rows.length, block]
 * with output row i = source row {@code rows[i]}, or zeros where {@code rows[i]} is −1. It expresses the data
 * movements of a window transformer: zero padding and cropping, torch.roll, window partition / reverse, head split,
 * nn.Unfold's windows (whole tokens; the channel interleave is {@link Backend#transpose2d}), and a table lookup
 * (relative position bias: a source row read by many outputs). Large element-wise transposes use
 * {@link Backend#transpose2d} instead (an element-wise index costs about three ints per element).
 *
 * <p>Built once per shape and cached by its users (the arrays are never changed after construction). The
 * inverse — for each source row, the output rows that read it, in increasing order (CSR) — is built on first use; the
 * backward sums a source row's gradients in that order on every backend, so it is deterministic and needs no atomics.
 */
public final class GatherIndex {
    private final int[] rows;
    private final int block, sourceRows;
    private final int[] outShape;
    private volatile int[][] inverse;

    /**
     * @param rows       per output row its source row, or −1 for zeros (not copied: do not change it afterwards)
     * @param block      elements per row (1: an element-wise gather)
     * @param sourceRows rows of the source (its numel / block)
     * @param outShape   the output's shape; its numel must be rows.length · block
     */
    public GatherIndex(int[] rows, int block, int sourceRows, int... outShape) {
        if (block < 1 || sourceRows < 0) throw new IllegalArgumentException("GatherIndex: block " + block + ", source rows " + sourceRows);
        if (Shape.numel(outShape) != (long) rows.length * block)
            throw new IllegalArgumentException("GatherIndex: " + rows.length + " rows of " + block + " do not fill output " + Shape.str(outShape));
        for (int r : rows)
            if (r < -1 || r >= sourceRows)
                throw new IllegalArgumentException("GatherIndex: source row " + r + " outside [-1, " + sourceRows + ")");
        this.rows = rows;
        this.block = block;
        this.sourceRows = sourceRows;
        this.outShape = outShape.clone();
    }

    /** Source row of each output row (−1: zeros); read-only. */
    public int[] rows() { return rows; }

    public int block() { return block; }

    public int sourceRows() { return sourceRows; }

    public int outRows() { return rows.length; }

    public int[] outShape() { return outShape.clone(); }

    /** Checks the operands of a gather's backward: a gradient of the output's size, an input shape of the source's. */
    public void checkBackward(long gradNumel, int[] inputShape) {
        if (gradNumel != (long) outRows() * block())
            throw new IllegalArgumentException("gatherBackward: a gradient of " + gradNumel + " elements does not match the index's output "
                    + Shape.str(outShape));
        if (Shape.numel(inputShape) != sourceNumel())
            throw new IllegalArgumentException("gatherBackward: input shape " + Shape.str(inputShape) + " is not " + sourceRows()
                    + " rows of " + block());
    }

    /** Elements of the source: sourceRows · block. */
    public long sourceNumel() { return (long) sourceRows * block; }

    /** CSR offsets [sourceRows + 1] of {@link #inverseRows()}. */
    public int[] inverseOffsets() { return inverse()[0]; }

    /** The output rows reading each source row, grouped by source row, increasing within a group. */
    public int[] inverseRows() { return inverse()[1]; }

    /** True when no source row is read twice (a permutation with zero rows): the backward is a plain gather. */
    public boolean injective() {
        int[] off = inverseOffsets();
        for (int s = 0; s < sourceRows; s++) if (off[s + 1] - off[s] > 1) return false;
        return true;
    }

    private int[][] inverse() {
        int[][] inv = inverse;
        if (inv == null) {
            int[] off = new int[sourceRows + 1];
            for (int r : rows) if (r >= 0) off[r + 1]++;
            for (int s = 0; s < sourceRows; s++) off[s + 1] += off[s];
            int[] fill = off.clone(), list = new int[off[sourceRows]];
            for (int i = 0; i < rows.length; i++) if (rows[i] >= 0) list[fill[rows[i]]++] = i;
            inverse = inv = new int[][] {off, list};
        }
        return inv;
    }

    /** Checks that x has as many elements as the source. */
    public void checkSource(String op, autoassign.tensor.Tensor x) {
        if (x.numel() != sourceNumel())
            throw new IllegalArgumentException(op + ": input " + Shape.str(x.shape()) + " is not " + sourceRows + " rows of " + block);
    }
}
