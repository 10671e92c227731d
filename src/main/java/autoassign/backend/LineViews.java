package autoassign.backend;

import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

/**
 * Argument checks of the ops that view a tensor as lines or rows (softmax over [outer, n, inner], rowScale over
 * [s.numel(), cols]), shared by every backend so that each rejects bad input with the same message.
 */
public final class LineViews {
    private LineViews() {}

    /** x (and, when not null, a second tensor of x's shape) holds exactly outer·n·inner elements, each &ge; 0. */
    public static void softmax(String op, Tensor x, Tensor second, int outer, int n, int inner) {
        if (outer < 0 || n < 0 || inner < 0 || (long) outer * n * inner != x.numel())
            throw new IllegalArgumentException(op + ": " + Shape.str(x.shape()) + " (" + x.numel()
                    + " elements) cannot be viewed as [" + outer + ", " + n + ", " + inner + "]");
        if (second != null) Shape.checkSame(op, second.shape(), x.shape());
    }

    /**
     * The row length of x viewed as [s.numel(), x.numel() / s.numel()]; throws naming {@code op} when s is empty
     * (and x is not) or its size does not divide x's. A second tensor (gradOut), when not null, must have x's shape.
     */
    public static int rowLength(String op, Tensor x, Tensor s, Tensor second) {
        if (second != null) Shape.checkSame(op, second.shape(), x.shape());
        long rows = s.numel(), n = x.numel();
        if (rows == 0) {
            if (n == 0) return 0;
            throw new IllegalArgumentException(op + ": an empty scale " + Shape.str(s.shape()) + " for " + Shape.str(x.shape()));
        }
        if (n % rows != 0)
            throw new IllegalArgumentException(op + ": " + Shape.str(x.shape()) + " (" + n + " elements) does not split into "
                    + rows + " rows of the scale " + Shape.str(s.shape()));
        return (int) (n / rows);
    }

    /** The row length of x viewed as [rows, x.numel() / rows]; throws naming {@code op} when rows is not positive or does not divide it. */
    public static int rowsOf(String op, Tensor x, int rows) {
        if (rows <= 0 || x.numel() % rows != 0 || x.numel() == 0)
            throw new IllegalArgumentException(op + ": " + Shape.str(x.shape()) + " (" + x.numel() + " elements) does not split into "
                    + rows + " non-empty rows");
        return x.numel() / rows;
    }
}
