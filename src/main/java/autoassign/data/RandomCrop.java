package autoassign.data;

/**
 * MMDetection 3.3's {@code RandomCrop}: a crop size from {@code crop_size} and {@code crop_type}, a uniformly drawn
 * offset, boxes shifted by it, clipped to the crop ({@code bbox_clip_border}) and kept when
 * {@code HorizontalBoxes.is_inside} holds ({@code x1 < w, y1 < h, x2 > 0, y2 > 0}), crowd boxes likewise. A crop that
 * keeps no box (crowd boxes included) is rejected unless {@code allow_negative_crop}: MMDetection's transform returns
 * None and the dataset re-samples another image ({@link DataLoader}).
 *
 * <p>{@code crop_size} is read as MMDetection 3.3 reads it: {@code absolute} and {@code relative} take (width, height);
 * {@code relative_range} takes (height, width) fractions, each side drawn from [fraction, 1]; {@code absolute_range}
 * takes (min, max) and draws both sides in [min, max] (each capped by the image side).
 *
 * @param cropType      how {@code crop_size} is read
 * @param sizeA         {@code crop_size[0]}
 * @param sizeB         {@code crop_size[1]}
 * @param allowNegative {@code allow_negative_crop}
 * @param clipBorder    {@code bbox_clip_border}
 */
public record RandomCrop(Type cropType, double sizeA, double sizeB, boolean allowNegative, boolean clipBorder) implements Transform {
    /** {@code crop_type}. */
    public enum Type {
        ABSOLUTE("absolute"), ABSOLUTE_RANGE("absolute_range"), RELATIVE("relative"), RELATIVE_RANGE("relative_range");

        private final String key;

        Type(String key) { this.key = key; }

        public String key() { return key; }

        public boolean absolute() { return this == ABSOLUTE || this == ABSOLUTE_RANGE; }

        public static Type of(String key) {
            for (Type t : values()) if (t.key.equals(key)) return t;
            throw new IllegalArgumentException("unknown crop_type '" + key + "'");
        }
    }

    /** Draw numbers (under {@link SampleDraws#CROP}): the two sides of a drawn size, then the two offsets. */
    static final int DRAW_H = 0, DRAW_W = 1, DRAW_OFFSET_H = 2, DRAW_OFFSET_W = 3;

    public RandomCrop {
        if (cropType.absolute()) {
            if (!(sizeA > 0 && sizeB > 0) || sizeA != Math.rint(sizeA) || sizeB != Math.rint(sizeB))
                throw new IllegalArgumentException("an absolute crop_size is two positive integers, got " + sizeA + ", " + sizeB);
            if (cropType == Type.ABSOLUTE_RANGE && sizeA > sizeB)
                throw new IllegalArgumentException("absolute_range crop_size must be [min, max], got " + sizeA + ", " + sizeB);
        } else if (!(sizeA > 0 && sizeA <= 1 && sizeB > 0 && sizeB <= 1)) {
            throw new IllegalArgumentException("a relative crop_size is two fractions in (0, 1], got " + sizeA + ", " + sizeB);
        }
    }

    @Override public String type() { return "RandomCrop"; }

    /** {@code _get_crop_size}: (crop_h, crop_w) for an image of h × w. */
    public int[] cropSize(int h, int w, SampleDraws d) {
        int a = (int) sizeA, b = (int) sizeB;
        return switch (cropType) {
            case ABSOLUTE -> new int[] {Math.min(b, h), Math.min(a, w)};
            case ABSOLUTE_RANGE -> new int[] {
                    d.integer(SampleDraws.CROP, DRAW_H, Math.min(h, a), Math.min(h, b) + 1),
                    d.integer(SampleDraws.CROP, DRAW_W, Math.min(w, a), Math.min(w, b) + 1)};
            case RELATIVE -> new int[] {(int) (h * sizeB + 0.5), (int) (w * sizeA + 0.5)};
            case RELATIVE_RANGE -> relativeRangeSize(h, w, d.unit(SampleDraws.CROP, DRAW_H), d.unit(SampleDraws.CROP, DRAW_W));
        };
    }

    /** The {@code relative_range} crop size from NumPy's {@code rand(2)} = (randH, randW). */
    int[] relativeRangeSize(int h, int w, double randH, double randW) {
        // NumPy: float32 crop_size + float64 rand(2) * float32 (1 - crop_size), the sum in float64
        float fh = (float) sizeA, fw = (float) sizeB;
        double ch = fh + randH * (1f - fh);
        double cw = fw + randW * (1f - fw);
        return new int[] {(int) (h * ch + 0.5), (int) (w * cw + 0.5)};
    }

    /** {@code _rand_offset}: (offset_h, offset_w), each uniform in [0, max(side - crop, 0)]. */
    public int[] offset(int h, int w, int cropH, int cropW, SampleDraws d) {
        return new int[] {
                d.integer(SampleDraws.CROP, DRAW_OFFSET_H, 0, Math.max(h - cropH, 0) + 1),
                d.integer(SampleDraws.CROP, DRAW_OFFSET_W, 0, Math.max(w - cropW, 0) + 1)};
    }

    /**
     * In place: boxes shifted by (-x0, -y0) in float32 ({@code translate_}) and, with {@code bbox_clip_border},
     * clipped to [0, w] × [0, h] ({@code clip_}). Returns {@code is_inside} of each box against the w × h crop.
     */
    public boolean[] shiftAndClip(float[] boxes, int x0, int y0, int w, int h) {
        boolean[] keep = new boolean[boxes.length / 4];
        float dx = -x0, dy = -y0, fw = w, fh = h;
        for (int i = 0, j = 0; j < keep.length; i += 4, j++) {
            float x1 = boxes[i] + dx, y1 = boxes[i + 1] + dy, x2 = boxes[i + 2] + dx, y2 = boxes[i + 3] + dy;
            if (clipBorder) {
                x1 = clamp(x1, fw);
                y1 = clamp(y1, fh);
                x2 = clamp(x2, fw);
                y2 = clamp(y2, fh);
            }
            boxes[i] = x1;
            boxes[i + 1] = y1;
            boxes[i + 2] = x2;
            boxes[i + 3] = y2;
            keep[j] = x1 < fw && y1 < fh && x2 > 0 && y2 > 0;
        }
        return keep;
    }

    private static float clamp(float v, float hi) { return v < 0 ? 0f : (v > hi ? hi : v); }
}
