package autoassign.data;

/**
 * MMCV's flip directions, with the image flip ({@code mmcv.imflip}, OpenCV's flip code) and the box flip
 * ({@code HorizontalBoxes.flip_}) of each.
 */
public enum FlipDirection {
    HORIZONTAL("horizontal", 1),
    VERTICAL("vertical", 0),
    DIAGONAL("diagonal", -1);

    private final String key;
    private final int cvCode;

    FlipDirection(String key, int cvCode) {
        this.key = key;
        this.cvCode = cvCode;
    }

    /** The config spelling. */
    public String key() { return key; }

    /** {@code cv::flip}'s code: 1 mirrors columns, 0 rows, -1 both. */
    public int cvCode() { return cvCode; }

    public static FlipDirection of(String key) {
        for (FlipDirection d : values()) if (d.key.equals(key)) return d;
        throw new IllegalArgumentException("unknown flip direction '" + key + "'");
    }

    /**
     * Flips x1,y1,x2,y2 boxes in place in an image of {@code width} × {@code height} (float32, as
     * {@code HorizontalBoxes.flip_}): horizontal {@code x1' = W - x2, x2' = W - x1}; vertical the same on y; diagonal both.
     */
    public void flipBoxes(float[] boxes, int width, int height) {
        float w = width, h = height;
        for (int i = 0; i + 3 < boxes.length; i += 4) {
            if (this != VERTICAL) {
                float x1 = boxes[i];
                boxes[i] = w - boxes[i + 2];
                boxes[i + 2] = w - x1;
            }
            if (this != HORIZONTAL) {
                float y1 = boxes[i + 1];
                boxes[i + 1] = h - boxes[i + 3];
                boxes[i + 3] = h - y1;
            }
        }
    }
}
