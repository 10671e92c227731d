package autoassign.eval;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A COCO bbox results list ({@code [{image_id, category_id, bbox: [x, y, w, h], score}, ...]}), in file order
 * (read from a results json, or from MMDetection's {@code test.py --out} pickle: {@link DetResultsPickle}).
 * As pycocotools' {@code loadRes}: detection ids are 1..D in file order, area = w*h, iscrowd = 0.
 */
public record CocoDetections(Path file, List<Detection> detections) {

    /** One detection; {@code id} is its 1-based position in the results file. */
    public record Detection(long id, long imageId, long categoryId, double x, double y, double w, double h,
                            double score) {

        public double area() {
            return w * h;
        }
    }

    public int size() {
        return detections.size();
    }

    /** The detections by image id, each image's in file order. */
    public java.util.Map<Long, List<Detection>> byImage() {
        java.util.Map<Long, List<Detection>> m = new java.util.HashMap<>();
        for (Detection d : detections) m.computeIfAbsent(d.imageId(), k -> new java.util.ArrayList<>()).add(d);
        return m;
    }

    /** In-memory results (no file), validated against {@code gt}. */
    public static CocoDetections of(List<Detection> dets, CocoGroundTruth gt) {
        return of(null, dets, gt);
    }

    /** Results read from {@code file} (named in the errors), validated against {@code gt}. */
    public static CocoDetections of(Path file, List<Detection> dets, CocoGroundTruth gt) {
        for (int i = 0; i < dets.size(); i++) {
            Detection d = dets.get(i);
            validate(file, gt, "detection " + i, d.imageId(), d.categoryId(), new double[] {d.x(), d.y(),
                d.w(), d.h()}, d.score());
        }
        return new CocoDetections(file, List.copyOf(dets));
    }

    /**
     * Reads a results json and checks it against the ground truth: it must be a list; every image id must be a
     * ground-truth image (pycocotools asserts this), every category id a ground-truth category, coordinates and
     * scores finite, widths and heights non-negative.
     */
    public static CocoDetections read(Path file, CocoGroundTruth gt) {
        return read(file, gt, gt.labelCategoryIds(), java.util.Map.of());
    }

    /**
     * As {@link #read(Path, CocoGroundTruth)}; a pickle is read as MMDetection's {@code test.py --out} file
     * ({@link DetResultsPickle}), whose class index k is category {@code labelCategories[k]} and whose textual
     * {@code img_id}s (a VOC dataset's names) are the images {@code idsByName} says.
     */
    public static CocoDetections read(Path file, CocoGroundTruth gt, long[] labelCategories, java.util.Map<String, Long> idsByName) {
        if (DetResultsPickle.isPickle(file)) return DetResultsPickle.read(file, gt, labelCategories, idsByName);
        return Json.read(file, p -> parse(p, file, gt));
    }

    private static CocoDetections parse(JsonParser p, Path file, CocoGroundTruth gt) throws IOException {
        JsonToken first = p.nextToken();
        if (first != JsonToken.START_ARRAY) {
            throw new CocoFormatException(file, "results must be a JSON list of detections, got "
                    + Json.describe(first));
        }
        List<Detection> out = new ArrayList<>();
        double[] bb = new double[4];
        int i = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            String what = "results[" + i + "]";
            Json.expect(p, JsonToken.START_OBJECT, file, what);
            Long img = null;
            Long cat = null;
            boolean hasBox = false;
            Double score = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                p.nextToken();
                switch (f) {
                    case "image_id": img = Json.id(p, file, what + ".image_id"); break;
                    case "category_id": cat = Json.id(p, file, what + ".category_id"); break;
                    case "bbox": Json.box(p, file, what + ".bbox", bb); hasBox = true; break;
                    case "score": score = Json.number(p, file, what + ".score"); break;
                    default: p.skipChildren();
                }
            }
            if (img == null || cat == null || !hasBox || score == null) {
                String missing = img == null ? "image_id" : cat == null ? "category_id" : !hasBox ? "bbox" : "score";
                throw new CocoFormatException(file, what + " has no \"" + missing + "\"");
            }
            validate(file, gt, what, img, cat, bb, score);
            out.add(new Detection(i + 1, img, cat, bb[0], bb[1], bb[2], bb[3], score));
            i++;
        }
        if (p.nextToken() != null) {
            throw new CocoFormatException(file, "trailing content after the results list");
        }
        return new CocoDetections(file, Collections.unmodifiableList(out));
    }

    private static void validate(Path file, CocoGroundTruth gt, String what, long img, long cat, double[] bb,
                                 double score) {
        if (!gt.hasImage(img)) {
            throw new CocoFormatException(file, what + ": image_id " + img + " is not an image of the ground truth");
        }
        if (!gt.hasCategory(cat)) {
            throw new CocoFormatException(file, what + ": category_id " + cat
                    + " is not a category of the ground truth");
        }
        String[] names = {"x", "y", "width", "height"};
        for (int k = 0; k < 4; k++) {
            if (Double.isNaN(bb[k])) {
                throw new CocoFormatException(file, what + ": bbox " + names[k] + " is NaN");
            }
            if (Double.isInfinite(bb[k])) {
                throw new CocoFormatException(file, what + ": bbox " + names[k] + " is infinite");
            }
        }
        if (bb[2] < 0 || bb[3] < 0) {
            throw new CocoFormatException(file, what + ": negative bbox " + (bb[2] < 0 ? "width " + bb[2]
                    : "height " + bb[3]));
        }
        if (!Double.isFinite(score)) {
            throw new CocoFormatException(file, what + ": score is " + score);
        }
    }
}
