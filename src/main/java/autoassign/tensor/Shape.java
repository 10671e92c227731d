package autoassign.tensor;

import java.util.Arrays;

/** Helpers for int[] shapes (NCHW for images). */
public final class Shape {
    private Shape() {}

    public static long numel(int... shape) { return numel("shape", shape); }

    /** Element count; throws naming {@code op} and the shape when a dimension is negative. */
    public static long numel(String op, int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException(op + ": negative dimension in shape " + Arrays.toString(shape));
            n *= d;
        }
        return n;
    }

    public static String str(int... shape) { return Arrays.toString(shape); }

    /** Throws naming {@code op} unless {@code shape} has {@code rank} dimensions. */
    public static void checkRank(String op, String what, int[] shape, int rank) {
        if (shape.length != rank)
            throw new IllegalArgumentException(op + ": " + what + " must have rank " + rank + ", got shape " + str(shape));
    }

    public static void checkSame(String op, int[] a, int[] b) {
        if (!Arrays.equals(a, b))
            throw new IllegalArgumentException(op + ": shape mismatch " + str(a) + " vs " + str(b));
    }
}
