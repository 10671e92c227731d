package autoassign.api;

/**
 * One detected object in original-image pixels.
 *
 * @param x1         left
 * @param y1         top
 * @param x2         right
 * @param y2         bottom
 * @param score      confidence (class probability times objectness)
 * @param label      class index 0..C-1
 * @param className  class name
 * @param categoryId dataset category id of the class (COCO ids for COCO models)
 */
public record Detection(float x1, float y1, float x2, float y2, float score, int label, String className,
                        long categoryId) {

    public float width() {
        return x2 - x1;
    }

    public float height() {
        return y2 - y1;
    }
}
