package autoassign.backend;

import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

/**
 * The operand check of {@link Backend#transpose2d}: x viewed as [batch, rows, cols] (any shape of that many elements)
 * becomes [batch, cols, rows]. One copy for the CPU twin and CUDA.
 */
public final class Transpose2d {
    private Transpose2d() {}

    /** The output shape [batch, cols, rows]; throws a one-line error when x does not hold batch·rows·cols values. */
    public static int[] outShape(Tensor x, int batch, int rows, int cols) {
        if (batch < 0 || rows < 0 || cols < 0 || (long) batch * rows * cols != x.numel())
            throw new IllegalArgumentException("transpose2d: " + Shape.str(x.shape()) + " is not [" + batch + ", " + rows
                    + ", " + cols + "]");
        return new int[] {batch, cols, rows};
    }
}
