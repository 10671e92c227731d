package autoassign.eval;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The parts of a COCO instances file that bbox evaluation needs: image ids, categories and annotations
 * (segmentations and other fields are skipped while streaming).
 *
 * @param file        source file (for messages; may be null)
 * @param imageIds    distinct image ids, ascending ({@code sorted(coco.getImgIds())})
 * @param categories  category id to name, in the file's order
 * @param annotations annotations in file order
 * @param supercategories category id to its {@code supercategory} (categories without one are absent); only
 *                    coco_error_analysis.py's "Sim" variant reads it
 */
public record CocoGroundTruth(Path file, long[] imageIds, Map<Long, String> categories,
                             List<Annotation> annotations, Map<Long, String> supercategories) {

    /** A ground truth whose categories have no supercategories. */
    public CocoGroundTruth(Path file, long[] imageIds, Map<Long, String> categories, List<Annotation> annotations) {
        this(file, imageIds, categories, annotations, Map.of());
    }

    /**
     * One ground-truth object.
     *
     * @param area the annotation's {@code area} field (segmentation area), used for the area ranges
     * @param crowd {@code iscrowd} (crowd GTs are ignored and matched by intersection over detection area)
     */
    public record Annotation(long id, long imageId, long categoryId, double x, double y, double w, double h,
                             double area, boolean crowd) {
    }

    /** Category ids, ascending (COCOeval's {@code params.catIds = sorted(getCatIds())}). */
    public long[] categoryIds() {
        return categories.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
    }

    /**
     * Category ids in the file's order: the class order of MMDetection's CocoDataset over all of them
     * ({@code get_cat_ids()}), so label k of a results pickle is the k-th.
     */
    public long[] labelCategoryIds() {
        return categories.keySet().stream().mapToLong(Long::longValue).toArray();
    }

    public boolean hasImage(long id) {
        return Arrays.binarySearch(imageIds, id) >= 0;
    }

    public boolean hasCategory(long id) {
        return categories.containsKey(id);
    }

    /**
     * This ground truth evaluated over {@code ids} only, as COCOeval with {@code params.imgIds = ids} (e.g. one image
     * of analyze_results.py); ids the file lacks are left out. Returns this object when every image is kept.
     */
    public CocoGroundTruth restrictTo(long[] ids) {
        long[] kept = Arrays.stream(ids).filter(this::hasImage).sorted().distinct().toArray();
        if (kept.length == imageIds.length) return this;
        List<Annotation> anns = new ArrayList<>();
        for (Annotation a : annotations) if (Arrays.binarySearch(kept, a.imageId()) >= 0) anns.add(a);
        return new CocoGroundTruth(file, kept, categories, Collections.unmodifiableList(anns), supercategories);
    }

    /** {@link #restrictTo} each image on its own, for every image, in one pass over the annotations. */
    public Map<Long, CocoGroundTruth> perImage() {
        Map<Long, List<Annotation>> anns = new LinkedHashMap<>();
        for (long id : imageIds) anns.put(id, new ArrayList<>());
        for (Annotation a : annotations) {
            List<Annotation> l = anns.get(a.imageId());
            if (l != null) l.add(a);
        }
        Map<Long, CocoGroundTruth> out = new LinkedHashMap<>();
        anns.forEach((id, l) -> out.put(id, new CocoGroundTruth(file, new long[] {id}, categories, Collections.unmodifiableList(l), supercategories)));
        return out;
    }

    /**
     * This ground truth evaluated over the categories {@code ids} only (COCOeval's {@code params.catIds}, which
     * MMDetection's CocoMetric sets to the dataset's classes, e.g. {@code metainfo.classes}); returns this object
     * when every category is kept.
     */
    public CocoGroundTruth restrictCategories(long[] ids) {
        Map<Long, String> kept = new LinkedHashMap<>();
        for (long id : Arrays.stream(ids).sorted().toArray()) if (categories.containsKey(id)) kept.put(id, categories.get(id));
        if (kept.size() == categories.size()) return this;
        List<Annotation> anns = new ArrayList<>();
        for (Annotation a : annotations) if (kept.containsKey(a.categoryId())) anns.add(a);
        return new CocoGroundTruth(file, imageIds, Collections.unmodifiableMap(kept), Collections.unmodifiableList(anns),
                supercategories);
    }

    /**
     * The ground truth MMDetection's CocoMetric builds when its {@code ann_file} is unset ({@code gt_to_coco_json}): the
     * dataset's own parsed instances on its images only, {@code bbox = [x1, y1, x2 − x1, y2 − y1]} (here from the parsed
     * float32 boxes), {@code area = w·h}, {@code iscrowd} = the ignore flag, the dataset's classes as categories.
     */
    public static CocoGroundTruth fromDataset(autoassign.data.CocoDataset ds) {
        autoassign.data.CategoryMap cm = ds.categories();
        Map<Long, String> cats = new LinkedHashMap<>();
        for (int k = 0; k < cm.size(); k++) cats.put(cm.categoryId(k), cm.name(k));
        List<Annotation> anns = new ArrayList<>();
        for (autoassign.data.ImageRecord r : ds.images()) {
            addBoxes(anns, r.id(), r.boxes(), r.labels(), cm, false);
            addBoxes(anns, r.id(), r.crowdBoxes(), r.crowdLabels(), cm, true);
        }
        long[] ids = Arrays.stream(ds.imageIds()).sorted().distinct().toArray();
        return new CocoGroundTruth(ds.annotationFile(), ids, Collections.unmodifiableMap(cats), Collections.unmodifiableList(anns));
    }

    private static void addBoxes(List<Annotation> out, long imageId, float[] boxes, int[] labels,
                                 autoassign.data.CategoryMap cm, boolean crowd) {
        for (int i = 0; i < labels.length; i++) {
            double x1 = boxes[4 * i], y1 = boxes[4 * i + 1], w = boxes[4 * i + 2] - x1, h = boxes[4 * i + 3] - y1;
            out.add(new Annotation(out.size() + 1, imageId, cm.categoryId(labels[i]), x1, y1, w, h, w * h, crowd));
        }
    }

    /** Reads a COCO ground-truth json; problems are reported as {@link CocoFormatException}. */
    public static CocoGroundTruth read(Path file) {
        return Json.read(file, p -> parse(p, file));
    }

    private static CocoGroundTruth parse(JsonParser p, Path file) throws IOException {
        p.nextToken();
        Json.expect(p, JsonToken.START_OBJECT, file, "the ground truth");
        List<Long> images = null;
        Map<Long, String> cats = null;
        Map<Long, String> supers = new TreeMap<>();
        List<Annotation> anns = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            switch (field) {
                case "images":
                    images = readImages(p, file);
                    break;
                case "categories":
                    cats = readCategories(p, file, supers);
                    break;
                case "annotations":
                    anns = readAnnotations(p, file);
                    break;
                default:
                    p.skipChildren();
            }
        }
        if (images == null) {
            throw new CocoFormatException(file, "no \"images\" list (not a COCO ground-truth file?)");
        }
        if (cats == null) {
            throw new CocoFormatException(file, "no \"categories\" list (not a COCO ground-truth file?)");
        }
        if (anns == null) {
            throw new CocoFormatException(file, "no \"annotations\" list (not a COCO instances ground truth?)");
        }
        long[] ids = images.stream().mapToLong(Long::longValue).sorted().distinct().toArray();
        return new CocoGroundTruth(file, ids, Collections.unmodifiableMap(new LinkedHashMap<>(cats)),
                Collections.unmodifiableList(anns), Collections.unmodifiableMap(supers));
    }

    private static List<Long> readImages(JsonParser p, Path file) throws IOException {
        Json.expect(p, JsonToken.START_ARRAY, file, "\"images\"");
        List<Long> ids = new ArrayList<>();
        int i = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            String what = "images[" + i + "]";
            Json.expect(p, JsonToken.START_OBJECT, file, what);
            Long id = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                p.nextToken();
                if (f.equals("id")) {
                    id = Json.id(p, file, what + ".id");
                } else {
                    p.skipChildren();
                }
            }
            if (id == null) {
                throw new CocoFormatException(file, what + " has no \"id\"");
            }
            ids.add(id);
            i++;
        }
        return ids;
    }

    private static Map<Long, String> readCategories(JsonParser p, Path file, Map<Long, String> supers)
            throws IOException {
        Json.expect(p, JsonToken.START_ARRAY, file, "\"categories\"");
        Map<Long, String> cats = new LinkedHashMap<>(); // file order: a repeated id keeps its first place, the last name
        int i = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            String what = "categories[" + i + "]";
            Json.expect(p, JsonToken.START_OBJECT, file, what);
            Long id = null;
            String name = null;
            String sup = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                p.nextToken();
                if (f.equals("id")) {
                    id = Json.id(p, file, what + ".id");
                } else if (f.equals("name") && p.currentToken() == JsonToken.VALUE_STRING) {
                    name = p.getText();
                } else if (f.equals("supercategory") && p.currentToken() == JsonToken.VALUE_STRING) {
                    sup = p.getText();
                } else {
                    p.skipChildren();
                }
            }
            if (id == null) {
                throw new CocoFormatException(file, what + " has no \"id\"");
            }
            cats.put(id, name == null ? String.valueOf(id) : name);
            if (sup != null) {
                supers.put(id, sup);
            } else {
                supers.remove(id); // a repeated id: the last entry wins, as for the name
            }
            i++;
        }
        return cats;
    }

    private static List<Annotation> readAnnotations(JsonParser p, Path file) throws IOException {
        Json.expect(p, JsonToken.START_ARRAY, file, "\"annotations\"");
        List<Annotation> anns = new ArrayList<>();
        double[] bb = new double[4];
        int i = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            String what = "annotations[" + i + "]";
            Json.expect(p, JsonToken.START_OBJECT, file, what);
            Long id = null;
            Long img = null;
            Long cat = null;
            boolean hasBox = false;
            Double area = null;
            boolean crowd = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                JsonToken t = p.nextToken();
                switch (f) {
                    case "id": id = Json.id(p, file, what + ".id"); break;
                    case "image_id": img = Json.id(p, file, what + ".image_id"); break;
                    case "category_id": cat = Json.id(p, file, what + ".category_id"); break;
                    case "bbox": Json.box(p, file, what + ".bbox", bb); hasBox = true; break;
                    case "area": area = Json.number(p, file, what + ".area"); break;
                    case "iscrowd":
                        if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
                            crowd = t == JsonToken.VALUE_TRUE;
                        } else {
                            crowd = Json.number(p, file, what + ".iscrowd") != 0;
                        }
                        break;
                    default:
                        p.skipChildren();
                }
            }
            if (id == null || img == null || cat == null || !hasBox || area == null) {
                String missing = id == null ? "id" : img == null ? "image_id" : cat == null ? "category_id"
                        : !hasBox ? "bbox" : "area";
                throw new CocoFormatException(file, what + " has no \"" + missing + "\"");
            }
            for (int k = 0; k < 4; k++) {
                if (!Double.isFinite(bb[k])) {
                    throw new CocoFormatException(file, what + ".bbox has a non-finite value " + bb[k]);
                }
            }
            if (!Double.isFinite(area)) {
                throw new CocoFormatException(file, what + ".area is " + area);
            }
            anns.add(new Annotation(id, img, cat, bb[0], bb[1], bb[2], bb[3], area, crowd));
            i++;
        }
        return anns;
    }
}
