package autoassign.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The raw content of a COCO "instances" annotation file, read with Jackson's streaming parser
 * (segmentations and other unused fields are skipped without being materialised, so the 450 MB
 * train2017 file parses in seconds and in little memory).
 *
 * <p>Annotations are kept as parallel primitive columns, in file order. Records that cannot be used
 * (annotation pointing at an unknown image or category, missing fields, duplicate ids) are dropped
 * here with a warning in {@link DataIssues}; box-geometry filtering is done by {@link CocoDataset}.
 * An unreadable or malformed file is a {@link DataException} with a one-line message.
 */
public final class CocoJson {
    /** An {@code images[]} record. */
    public record Image(long id, String fileName, int width, int height) {}

    /**
     * How an image record's file name is made from its {@code file_name} and {@code coco_url} (either may be null):
     * COCO's is {@code file_name}; LVIS derives it ({@link LvisDataset.Version#fileName}). Null when the record lacks
     * it (the image is skipped with a warning); an IllegalArgumentException refuses the whole file.
     */
    @FunctionalInterface
    public interface FileNames {
        String of(String fileName, String cocoUrl);

        FileNames COCO = (fileName, cocoUrl) -> fileName;
    }

    /** A {@code categories[]} record. */
    public record Category(long id, String name, String supercategory) {}

    private final Path path;
    private final List<Image> images;
    private final List<Category> categories;
    private final int numAnnotations;
    private final long[] annId;
    private final long[] annImageId;
    private final long[] annCategoryId;
    private final double[] annBbox;
    private final double[] annArea;
    private final boolean[] annCrowd;
    private final boolean[] annIgnore;

    private CocoJson(Path path, List<Image> images, List<Category> categories, int n, long[] annId, long[] annImageId,
                     long[] annCategoryId, double[] annBbox, double[] annArea, boolean[] annCrowd, boolean[] annIgnore) {
        this.path = path;
        this.images = Collections.unmodifiableList(images);
        this.categories = Collections.unmodifiableList(categories);
        this.numAnnotations = n;
        this.annId = annId;
        this.annImageId = annImageId;
        this.annCategoryId = annCategoryId;
        this.annBbox = annBbox;
        this.annArea = annArea;
        this.annCrowd = annCrowd;
        this.annIgnore = annIgnore;
    }

    public Path path() { return path; }

    /** Image records in file order (duplicates and invalid records removed). */
    public List<Image> images() { return images; }

    /** Category records in file order. */
    public List<Category> categories() { return categories; }

    /** The same file with its categories sorted by id (Objects365V1Dataset sorts them before taking their labels). */
    public CocoJson withCategoriesSortedById() {
        List<Category> sorted = new ArrayList<>(categories);
        sorted.sort(java.util.Comparator.comparingLong(Category::id));
        return new CocoJson(path, images, sorted, numAnnotations, annId, annImageId, annCategoryId, annBbox, annArea, annCrowd,
                annIgnore);
    }

    public int numAnnotations() { return numAnnotations; }

    public long annotationId(int i) { return annId[i]; }

    public long annotationImageId(int i) { return annImageId[i]; }

    public long annotationCategoryId(int i) { return annCategoryId[i]; }

    /** COCO {@code bbox} component {@code k} (0..3 = x, y, w, h) of annotation {@code i}. */
    public double annotationBbox(int i, int k) { return annBbox[4 * i + k]; }

    /** The {@code area} field (segmentation area in COCO); {@code w*h} when the field is absent. */
    public double annotationArea(int i) { return annArea[i]; }

    public boolean annotationCrowd(int i) { return annCrowd[i]; }

    /** True when the (non-standard) {@code ignore} field is truthy. */
    public boolean annotationIgnore(int i) { return annIgnore[i]; }

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
            .build();

    /** Reads a COCO instances file; warnings go to {@code issues}. */
    public static CocoJson read(Path file, DataIssues issues) {
        return read(file, issues, FileNames.COCO);
    }

    /** Reads a COCO-format file whose image file names {@code names} makes (LVIS). */
    public static CocoJson read(Path file, DataIssues issues, FileNames names) {
        try (InputStream in = Files.newInputStream(file); JsonParser p = FACTORY.createParser(in)) {
            return new Reader(file, issues, names).read(p);
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": annotation file not found");
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            throw new DataException(file + ": malformed JSON" + where + ": " + oneLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new DataException(file + ": cannot read annotation file (" + oneLine(String.valueOf(e.getMessage())) + ")");
        }
    }

    static String oneLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return (nl >= 0 ? s.substring(0, nl) : s).trim();
    }

    private static final class Reader {
        final Path file;
        final String name;
        final DataIssues issues;
        final FileNames names;
        final List<Image> images = new ArrayList<>();
        final List<Category> categories = new ArrayList<>();
        boolean sawImages, sawCategories;
        // annotation columns (grown by doubling)
        int n;
        long[] id = new long[1024], imageId = new long[1024], catId = new long[1024];
        double[] bbox = new double[4096], area = new double[1024];
        boolean[] crowd = new boolean[1024], ignore = new boolean[1024];

        Reader(Path file, DataIssues issues, FileNames names) {
            this.file = file;
            this.name = String.valueOf(file.getFileName());
            this.issues = issues;
            this.names = names;
        }

        CocoJson read(JsonParser p) throws IOException {
            if (p.nextToken() != JsonToken.START_OBJECT)
                throw new DataException(file + ": not a COCO annotation file (top level is not a JSON object)");
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                switch (field) {
                    case "images" -> { expectArray(p, v, field); sawImages = true; readImages(p); }
                    case "annotations" -> { expectArray(p, v, field); readAnnotations(p); }
                    case "categories" -> { expectArray(p, v, field); sawCategories = true; readCategories(p); }
                    default -> p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT) throw new DataException(file + ": malformed JSON: unexpected " + t);
            if (p.nextToken() != null)
                throw new DataException(file + ": malformed JSON: trailing content after the top-level object");
            if (!sawImages) throw new DataException(file + ": not a COCO annotation file (no 'images' array)");
            if (!sawCategories) throw new DataException(file + ": not a COCO annotation file (no 'categories' array)");
            return link();
        }

        private void expectArray(JsonParser p, JsonToken v, String field) {
            if (v != JsonToken.START_ARRAY)
                throw new DataException(file + ": not a COCO annotation file ('" + field + "' is not an array)");
        }

        private void readImages(JsonParser p) throws IOException {
            JsonToken t;
            int index = 0;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t != JsonToken.START_OBJECT) {
                    p.skipChildren();
                    issues.warn(DataIssue.IMAGE_RECORD_INVALID, name + ": images[" + index + "] is not an object, skipped");
                    index++;
                    continue;
                }
                long imgId = Long.MIN_VALUE;
                String fileName = null, cocoUrl = null;
                int w = -1, h = -1;
                boolean bad = false;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String f = p.currentName();
                    JsonToken v = p.nextToken();
                    switch (f) {
                        case "id" -> { if (v == JsonToken.VALUE_NUMBER_INT) imgId = p.getLongValue(); else bad = true; }
                        case "file_name" -> { if (v == JsonToken.VALUE_STRING) fileName = p.getText(); else bad = true; }
                        case "coco_url" -> { if (v == JsonToken.VALUE_STRING) cocoUrl = p.getText(); else p.skipChildren(); }
                        case "width" -> w = v.isNumeric() ? (int) Math.round(p.getDoubleValue()) : -1;
                        case "height" -> h = v.isNumeric() ? (int) Math.round(p.getDoubleValue()) : -1;
                        default -> p.skipChildren();
                    }
                }
                try {
                    fileName = names.of(fileName, cocoUrl);
                } catch (IllegalArgumentException e) {
                    throw new DataException(file + ": images[" + index + "]" + (imgId != Long.MIN_VALUE ? " (id " + imgId + ")" : "")
                            + ": " + e.getMessage());
                }
                if (bad || imgId == Long.MIN_VALUE || fileName == null || fileName.isEmpty() || w <= 0 || h <= 0) {
                    issues.warn(DataIssue.IMAGE_RECORD_INVALID, name + ": images[" + index + "]"
                            + (imgId != Long.MIN_VALUE ? " (id " + imgId + ")" : "") + (fileName != null ? " '" + fileName + "'" : "")
                            + ": missing or invalid id / file_name / width / height, image skipped");
                } else {
                    images.add(new Image(imgId, fileName, w, h));
                }
                index++;
            }
        }

        private void readCategories(JsonParser p) throws IOException {
            JsonToken t;
            int index = 0;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t != JsonToken.START_OBJECT) {
                    p.skipChildren();
                    issues.warn(DataIssue.CATEGORY_INVALID, name + ": categories[" + index + "] is not an object, skipped");
                    index++;
                    continue;
                }
                long cid = Long.MIN_VALUE;
                String cname = null, sup = null;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String f = p.currentName();
                    JsonToken v = p.nextToken();
                    switch (f) {
                        case "id" -> { if (v == JsonToken.VALUE_NUMBER_INT) cid = p.getLongValue(); }
                        case "name" -> { if (v == JsonToken.VALUE_STRING) cname = p.getText(); }
                        case "supercategory" -> { if (v == JsonToken.VALUE_STRING) sup = p.getText(); }
                        default -> p.skipChildren();
                    }
                }
                if (cid == Long.MIN_VALUE) {
                    issues.warn(DataIssue.CATEGORY_INVALID, name + ": categories[" + index + "]: missing or non-integer id, skipped");
                } else {
                    categories.add(new Category(cid, cname != null ? cname : String.valueOf(cid), sup));
                }
                index++;
            }
        }

        private void readAnnotations(JsonParser p) throws IOException {
            JsonToken t;
            int index = 0;
            double[] box = new double[4];
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t != JsonToken.START_OBJECT) {
                    p.skipChildren();
                    issues.warn(DataIssue.ANNOTATION_INVALID, name + ": annotations[" + index + "] is not an object, skipped");
                    index++;
                    continue;
                }
                long aid = Long.MIN_VALUE, iid = Long.MIN_VALUE, cid = Long.MIN_VALUE;
                double ar = Double.NaN;
                boolean isCrowd = false, ign = false, boxOk = false;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String f = p.currentName();
                    JsonToken v = p.nextToken();
                    switch (f) {
                        case "segmentation" -> p.skipChildren();
                        case "id" -> { if (v == JsonToken.VALUE_NUMBER_INT) aid = p.getLongValue(); }
                        case "image_id" -> iid = integralId(p, v);
                        case "category_id" -> cid = integralId(p, v);
                        case "bbox" -> boxOk = readBox(p, v, box);
                        case "area" -> { if (v.isNumeric()) ar = p.getDoubleValue(); }
                        case "iscrowd" -> isCrowd = truthy(p, v);
                        case "ignore" -> ign = truthy(p, v);
                        default -> p.skipChildren();
                    }
                }
                if (iid == Long.MIN_VALUE || cid == Long.MIN_VALUE || !boxOk) {
                    issues.warn(DataIssue.ANNOTATION_INVALID, name + ": annotations[" + index + "]"
                            + (aid != Long.MIN_VALUE ? " (id " + aid + ")" : "")
                            + ": missing or invalid image_id / category_id / bbox, annotation skipped");
                } else {
                    add(aid == Long.MIN_VALUE ? -1 : aid, iid, cid, box, Double.isNaN(ar) ? box[2] * box[3] : ar, isCrowd, ign);
                }
                index++;
            }
        }

        /** Python's truth of the value ({@code ann.get('iscrowd', False)}): an empty list or mapping is false. */
        private static boolean truthy(JsonParser p, JsonToken v) throws IOException {
            return switch (v) {
                case VALUE_TRUE -> true;
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getDoubleValue() != 0;
                case VALUE_STRING -> !p.getText().isEmpty();
                case START_ARRAY, START_OBJECT -> {
                    JsonToken first = p.nextToken();
                    boolean empty = first == JsonToken.END_ARRAY || first == JsonToken.END_OBJECT;
                    if (!empty) {
                        if (first == JsonToken.FIELD_NAME) first = p.nextToken();
                        p.skipChildren(); // the first value's children (nothing for a scalar)
                        int depth = 1;    // then the rest of the container
                        while (depth > 0) {
                            JsonToken t = p.nextToken();
                            if (t == JsonToken.START_ARRAY || t == JsonToken.START_OBJECT) depth++;
                            else if (t == JsonToken.END_ARRAY || t == JsonToken.END_OBJECT) depth--;
                        }
                    }
                    yield !empty;
                }
                default -> false;
            };
        }

        /**
         * An image / category id of an annotation: an integer, or a float of integral value (pycocotools' dicts and
         * MMDetection's {@code in cat_ids} find {@code 3.0} as {@code 3}); {@code Long.MIN_VALUE} for anything else.
         */
        private static long integralId(JsonParser p, JsonToken v) throws IOException {
            if (v == JsonToken.VALUE_NUMBER_INT) return p.getLongValue();
            if (v == JsonToken.VALUE_NUMBER_FLOAT) {
                double d = p.getDoubleValue();
                if (d == Math.rint(d) && Math.abs(d) < 0x1p53) return (long) d;
            } else {
                p.skipChildren();
            }
            return Long.MIN_VALUE;
        }

        private static boolean readBox(JsonParser p, JsonToken v, double[] box) throws IOException {
            if (v != JsonToken.START_ARRAY) { p.skipChildren(); return false; }
            int k = 0;
            boolean ok = true;
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t.isNumeric() && k < 4) box[k] = p.getDoubleValue();
                else { ok = false; p.skipChildren(); }
                k++;
            }
            if (k != 4 || !ok) return false;
            for (double d : box) if (!Double.isFinite(d)) return false;
            return true;
        }

        private void add(long aid, long iid, long cid, double[] box, double ar, boolean isCrowd, boolean ign) {
            if (n == id.length) {
                int cap = n * 2;
                id = Arrays.copyOf(id, cap); imageId = Arrays.copyOf(imageId, cap); catId = Arrays.copyOf(catId, cap);
                bbox = Arrays.copyOf(bbox, 4 * cap); area = Arrays.copyOf(area, cap);
                crowd = Arrays.copyOf(crowd, cap); ignore = Arrays.copyOf(ignore, cap);
            }
            id[n] = aid; imageId[n] = iid; catId[n] = cid;
            System.arraycopy(box, 0, bbox, 4 * n, 4);
            area[n] = ar; crowd[n] = isCrowd; ignore[n] = ign;
            n++;
        }

        /** Drops duplicate images / categories and annotations that reference unknown ones. */
        private CocoJson link() {
            // pycocotools' index (imgs[img['id']] = img): a repeated id keeps its first place and takes the later record
            Map<Long, Image> byId = new HashMap<>(images.size() * 2);
            Map<Long, Integer> placeOf = new HashMap<>(images.size() * 2);
            List<Image> uniq = new ArrayList<>(images.size());
            for (Image im : images) {
                Image earlier = byId.put(im.id(), im);
                if (earlier != null) {
                    issues.warn(DataIssue.IMAGE_ID_DUPLICATE, name + ": image id " + im.id() + " appears more than once: the"
                            + " later record '" + im.fileName() + "' replaces '" + earlier.fileName() + "' (as pycocotools does)");
                    uniq.set(placeOf.get(im.id()), im);
                } else {
                    placeOf.put(im.id(), uniq.size());
                    uniq.add(im);
                }
            }
            Set<Long> catIds = new HashSet<>();
            List<Category> cats = new ArrayList<>(categories.size());
            for (Category c : categories) {
                if (!catIds.add(c.id()))
                    issues.warn(DataIssue.CATEGORY_INVALID, name + ": category id " + c.id() + " appears more than once, later record skipped");
                else cats.add(c);
            }
            int m = 0;
            for (int i = 0; i < n; i++) {
                Image im = byId.get(imageId[i]);
                if (im == null) {
                    issues.warn(DataIssue.ANNOTATION_UNKNOWN_IMAGE, name + ": annotation " + id[i]
                            + " references unknown image id " + imageId[i] + ", skipped");
                    continue;
                }
                if (!catIds.contains(catId[i])) {
                    issues.warn(DataIssue.ANNOTATION_UNKNOWN_CATEGORY, name + ": annotation " + id[i] + " (image " + imageId[i]
                            + " '" + im.fileName() + "') references unknown category id " + catId[i] + ", skipped");
                    continue;
                }
                if (m != i) {
                    id[m] = id[i]; imageId[m] = imageId[i]; catId[m] = catId[i];
                    System.arraycopy(bbox, 4 * i, bbox, 4 * m, 4);
                    area[m] = area[i]; crowd[m] = crowd[i]; ignore[m] = ignore[i];
                }
                m++;
            }
            return new CocoJson(file, uniq, cats, m, Arrays.copyOf(id, m), Arrays.copyOf(imageId, m), Arrays.copyOf(catId, m),
                    Arrays.copyOf(bbox, 4 * m), Arrays.copyOf(area, m), Arrays.copyOf(crowd, m), Arrays.copyOf(ignore, m));
        }
    }
}
