package autoassign.onnx;

import java.util.List;

/**
 * The {@code image} input of an exported graph: batch, height and width symbolic ({@code N}, {@code H}, {@code W};
 * any size works, the engine feeds multiples of {@code pad_size_divisor}) or fixed to {@code 1×3×height×width}.
 */
public record InputShape(int height, int width) {
    /** Symbolic dims. */
    public static final InputShape DYNAMIC = new InputShape(0, 0);

    public InputShape {
        if (height < 0 || width < 0 || (height == 0) != (width == 0))
            throw new IllegalArgumentException("input shape: height and width must both be positive (or both 0 for dynamic), got " + height + "x" + width);
    }

    public static InputShape fixed(int height, int width) {
        if (height <= 0 || width <= 0) throw new IllegalArgumentException("input shape: height and width must be positive, got " + height + "x" + width);
        return new InputShape(height, width);
    }

    public boolean isDynamic() { return height == 0; }

    /** The ONNX dims of the input: {@code [N, 3, H, W]} or {@code [1, 3, h, w]}. */
    public List<Object> dims() {
        return isDynamic() ? List.of("N", 3L, "H", "W") : List.of(1L, 3L, (long) height, (long) width);
    }

    /**
     * {@link #dims()}, whether or not the graph ends with the post-processing ({@code postprocessed}): that graph takes
     * a batch as well (it used to fix the batch to 1). Kept for the {@code export} command's summary line.
     */
    public List<Object> dims(boolean postprocessed) { return dims(); }
}
