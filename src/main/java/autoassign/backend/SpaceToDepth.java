package autoassign.backend;

import autoassign.tensor.Shape;

/**
 * Shapes and index map of MMDetection's {@code Focus} slicing ({@code mmdet/models/backbones/csp_darknet.py},
 * v3.3.0): {@code torch.cat((x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2]), dim=1)}.
 * Output channel {@code q·C + c} (block q = 0..3) at (i, j) reads input channel c at (2i + dy, 2j + dx) with
 * {@code dy = q & 1}, {@code dx = q >> 1}: top-left, bottom-left, top-right, bottom-right. Upstream's cat fails on an
 * odd height or width (the slices' sizes differ), so both must be even here.
 */
public final class SpaceToDepth {
    private SpaceToDepth() {}

    /** Row offset (0 or 1) of channel block q. */
    public static int dy(int q) { return q & 1; }

    /** Column offset (0 or 1) of channel block q. */
    public static int dx(int q) { return q >> 1; }

    /** [N, 4C, H/2, W/2] for an input [N, C, H, W] with even H and W. */
    public static int[] outShape(String op, int[] x) {
        Shape.checkRank(op, "input", x, 4);
        if (x[2] % 2 != 0 || x[3] % 2 != 0)
            throw new IllegalArgumentException(op + ": input " + Shape.str(x) + " needs an even height and width (Focus"
                    + " concatenates x[..., ::2, ::2] with x[..., 1::2, ::2], whose sizes differ otherwise)");
        return new int[] {x[0], 4 * x[1], x[2] / 2, x[3] / 2};
    }

    /** [N, C, 2H, 2W] for a gradient [N, 4C, H, W]. */
    public static int[] inShape(String op, int[] g) {
        Shape.checkRank(op, "gradOut", g, 4);
        if (g[1] % 4 != 0)
            throw new IllegalArgumentException(op + ": gradOut " + Shape.str(g) + " needs channels divisible by 4");
        return new int[] {g[0], g[1] / 4, 2 * g[2], 2 * g[3]};
    }
}
