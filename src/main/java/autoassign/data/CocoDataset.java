package autoassign.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A detection dataset in COCO format: image records with their usable boxes (AA_1 §2), the category
 * mapping, and the folder the images live in. Any COCO-format dataset works; its classes come from
 * the json's {@code categories} (or a subset chosen by name). PASCAL VOC XML files load into the same records
 * ({@link XmlDataset}).
 */
public final class CocoDataset {
    private final Path annotationFile;
    private final Path imageDir;
    private final CategoryMap categories;
    private final List<ImageRecord> images;
    private final DataIssues issues;
    /** The first image of each ConcatDataset part, then the size: {@code {0, size}} for a single dataset. */
    private final int[] partStarts;

    private CocoDataset(Path annotationFile, Path imageDir, CategoryMap categories, List<ImageRecord> images, DataIssues issues) {
        this(annotationFile, imageDir, categories, images, issues, new int[] {0, images.size()});
    }

    private CocoDataset(Path annotationFile, Path imageDir, CategoryMap categories, List<ImageRecord> images, DataIssues issues,
                        int[] partStarts) {
        this.annotationFile = annotationFile;
        this.imageDir = imageDir;
        this.categories = categories;
        this.images = Collections.unmodifiableList(images);
        this.issues = issues;
        this.partStarts = partStarts;
    }

    /**
     * MMEngine's {@code ConcatDataset}: the parts' images one after another, each part as it was loaded and filtered.
     * Labels are the first part's: a later part must have the same class names, and its labels are mapped to the first
     * part's by name (its file may list them in another order or with other ids). Each record's file name becomes its
     * part's image path, so parts may live in different folders. {@link #annotationFile()} names the parts' files joined
     * by " + ", for messages only.
     *
     * @throws DataException naming the files when a part's class names differ from the first part's
     */
    public static CocoDataset concat(List<CocoDataset> parts) {
        if (parts.isEmpty()) throw new IllegalArgumentException("a ConcatDataset needs at least one dataset");
        CocoDataset first = parts.get(0);
        List<ImageRecord> all = new ArrayList<>();
        List<Integer> starts = new ArrayList<>();
        List<String> files = new ArrayList<>();
        for (CocoDataset part : parts) {
            int[] label = labelsByName(part, first);
            for (int p = 0; p < part.numParts(); p++) starts.add(all.size() + part.partStart(p));
            for (ImageRecord r : part.images)
                all.add(new ImageRecord(r.id(), part.imagePath(r).toString(), r.width(), r.height(), r.boxes(),
                        relabel(r.labels(), label), r.crowdBoxes(), relabel(r.crowdLabels(), label), r.hasClassAnnotation()));
            files.add(String.valueOf(part.annotationFile()));
        }
        starts.add(all.size());
        return new CocoDataset(Path.of(String.join(" + ", files)), Path.of(""), first.categories, all, first.issues,
                starts.stream().mapToInt(Integer::intValue).toArray());
    }

    /** {@code part}'s label → {@code first}'s label of the same class name. */
    private static int[] labelsByName(CocoDataset part, CocoDataset first) {
        List<String> names = part.categories.names(), wanted = first.categories.names();
        if (!new java.util.HashSet<>(names).equals(new java.util.HashSet<>(wanted)))
            throw new DataException(part.annotationFile + " has the classes " + names + ", " + first.annotationFile + " "
                    + wanted + ": the datasets of a ConcatDataset need the same class names (metainfo.classes)");
        int[] out = new int[names.size()];
        for (int k = 0; k < out.length; k++) out[k] = wanted.indexOf(names.get(k));
        return out;
    }

    private static int[] relabel(int[] labels, int[] map) {
        int[] out = new int[labels.length];
        for (int i = 0; i < out.length; i++) out[i] = map[labels[i]];
        return out;
    }

    /**
     * A dataset of records read from another format ({@link XmlDataset}); {@code source} names the file they come from
     * in messages.
     */
    static CocoDataset of(Path source, Path imageDir, CategoryMap categories, List<ImageRecord> records, DataIssues issues) {
        return new CocoDataset(source, imageDir, categories, new ArrayList<>(records), issues);
    }

    /** Loads all images and all categories of the json; warnings are summarised once on the issues' sink. */
    public static CocoDataset load(Path annotationFile, Path imageDir) {
        return load(annotationFile, imageDir, null, new DataIssues(String.valueOf(annotationFile)));
    }

    /**
     * Loads a COCO instances file.
     *
     * @param classNames when non-null, only these categories (by name) are classes; their labels follow the file's
     *                   order of categories (MMDetection's {@code get_cat_ids(cat_names=classes)}), whatever the order of
     *                   the names. Annotations of other categories are dropped silently.
     * @throws DataException on an unreadable / malformed file or an unknown class name
     */
    public static CocoDataset load(Path annotationFile, Path imageDir, List<String> classNames, DataIssues issues) {
        CocoJson json = CocoJson.read(annotationFile, issues);
        CocoDataset ds = fromJson(json, imageDir, classNames, issues);
        issues.summarize();
        return ds;
    }

    /** Builds the dataset from an already parsed file (AA_1 §2 annotation parsing). */
    public static CocoDataset fromJson(CocoJson json, Path imageDir, List<String> classNames, DataIssues issues) {
        String name = String.valueOf(json.path().getFileName());
        List<CocoJson.Category> cats = json.categories();
        List<CocoJson.Category> used = new ArrayList<>();
        if (classNames == null) {
            used.addAll(cats);
        } else {
            Set<String> wanted = new LinkedHashSet<>(classNames);
            for (CocoJson.Category c : cats) if (wanted.remove(c.name())) used.add(c);
            if (!wanted.isEmpty())
                throw new DataException(json.path() + ": class names " + wanted + " are not categories of this file");
        }
        if (used.isEmpty()) throw new DataException(json.path() + ": no categories to train on");
        long[] ids = new long[used.size()];
        String[] names = new String[used.size()];
        for (int i = 0; i < ids.length; i++) { ids[i] = used.get(i).id(); names[i] = used.get(i).name(); }
        CategoryMap map = new CategoryMap(ids, names);

        // annotations of each image, in file order
        Map<Long, Integer> indexOf = new HashMap<>(json.images().size() * 2);
        for (int i = 0; i < json.images().size(); i++) indexOf.put(json.images().get(i).id(), i);
        int[] count = new int[json.images().size()];
        int[] owner = new int[json.numAnnotations()];
        for (int a = 0; a < json.numAnnotations(); a++) {
            owner[a] = indexOf.get(json.annotationImageId(a)); // CocoJson guarantees a known image
            count[owner[a]]++;
        }
        int[][] annsOf = new int[count.length][];
        for (int i = 0; i < count.length; i++) annsOf[i] = new int[count[i]];
        int[] fill = new int[count.length];
        for (int a = 0; a < owner.length; a++) annsOf[owner[a]][fill[owner[a]]++] = a;

        List<ImageRecord> records = new ArrayList<>(json.images().size());
        FloatList boxes = new FloatList(), crowd = new FloatList();
        IntList labels = new IntList(), crowdLabels = new IntList();
        for (int i = 0; i < json.images().size(); i++) {
            CocoJson.Image im = json.images().get(i);
            boxes.clear(); crowd.clear(); labels.clear(); crowdLabels.clear();
            boolean hasClass = false;
            for (int a : annsOf[i]) {
                int label = map.labelOf(json.annotationCategoryId(a));
                if (label < 0) continue;                         // §2.4: not a class in use (silent)
                hasClass = true;                                 // §3: raw annotation of a class, kept or not
                if (json.annotationIgnore(a)) continue;          // §2.1
                double x = json.annotationBbox(a, 0), y = json.annotationBbox(a, 1);
                double w = json.annotationBbox(a, 2), h = json.annotationBbox(a, 3);
                double iw = Math.max(0, Math.min(x + w, im.width()) - Math.max(x, 0));
                double ih = Math.max(0, Math.min(y + h, im.height()) - Math.max(y, 0));
                if (w < 1 || h < 1 || json.annotationArea(a) <= 0) {           // §2.3 (zero / negative size)
                    issues.warn(DataIssue.BOX_EMPTY, name + ": annotation " + json.annotationId(a) + " (image " + im.id()
                            + " '" + im.fileName() + "'): box " + fmtBox(x, y, w, h) + " area " + json.annotationArea(a)
                            + " has zero or negative size, box skipped");
                    continue;
                }
                if (iw * ih == 0) {                                              // §2.2
                    issues.warn(DataIssue.BOX_OUTSIDE, name + ": annotation " + json.annotationId(a) + " (image " + im.id()
                            + " '" + im.fileName() + "', " + im.width() + "x" + im.height() + "): box " + fmtBox(x, y, w, h)
                            + " lies outside the image, box skipped");
                    continue;
                }
                FloatList dst = json.annotationCrowd(a) ? crowd : boxes;
                dst.add((float) x); dst.add((float) y); dst.add((float) (x + w)); dst.add((float) (y + h));
                (json.annotationCrowd(a) ? crowdLabels : labels).add(label);
            }
            records.add(new ImageRecord(im.id(), im.fileName(), im.width(), im.height(), boxes.toArray(), labels.toArray(),
                    crowd.toArray(), crowdLabels.toArray(), hasClass));
        }
        return new CocoDataset(json.path(), imageDir, map, records, issues);
    }

    /**
     * The training filter of AA_1 §3: keeps images that have at least one raw annotation of a class in
     * use (even if all of them were discarded, e.g. crowd-only images) and {@code min(w, h) >= minSize}.
     */
    public CocoDataset filterForTraining(int minSize) {
        return filter(true, minSize);
    }

    /**
     * MMDetection's {@code filter_cfg} (CocoDataset.filter_data, outside test mode): {@code emptyGt} drops images
     * without a raw annotation of a class in use; {@code min(w, h) < minSize} drops an image either way. The result is
     * one part (ConcatDataset parts are filtered before they are joined).
     */
    public CocoDataset filter(boolean emptyGt, int minSize) {
        List<ImageRecord> kept = new ArrayList<>(images.size());
        for (ImageRecord r : images)
            if ((!emptyGt || r.hasClassAnnotation()) && Math.min(r.width(), r.height()) >= minSize) kept.add(r);
        return new CocoDataset(annotationFile, imageDir, categories, kept, issues);
    }

    /** The spec's training filter with {@code min_size = 32}. */
    public CocoDataset filterForTraining() { return filterForTraining(32); }

    /** A dataset holding only the given images (for example a subset for a quick run). */
    public CocoDataset subset(List<ImageRecord> records) {
        return new CocoDataset(annotationFile, imageDir, categories, new ArrayList<>(records), issues);
    }

    public int size() { return images.size(); }

    /** How many ConcatDataset parts the images come from: 1 for a single dataset. */
    public int numParts() { return partStarts.length - 1; }

    /** The index of the first image of part {@code part}. */
    public int partStart(int part) { return partStarts[part]; }

    /** One past the index of the last image of part {@code part}. */
    public int partEnd(int part) { return partStarts[part + 1]; }

    /** The part that image {@code index} comes from. */
    public int partOf(int index) {
        java.util.Objects.checkIndex(index, images.size());
        int p = 0;
        while (index >= partStarts[p + 1]) p++; // few parts: a scan
        return p;
    }

    /** The COCO ids of the images, in dataset order. */
    public long[] imageIds() {
        long[] ids = new long[images.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = images.get(i).id();
        return ids;
    }

    public ImageRecord get(int index) { return images.get(index); }

    public List<ImageRecord> images() { return images; }

    public CategoryMap categories() { return categories; }

    public int numClasses() { return categories.size(); }

    public Path annotationFile() { return annotationFile; }

    public Path imageDir() { return imageDir; }

    public Path imagePath(ImageRecord r) { return imageDir.resolve(r.fileName()); }

    public DataIssues issues() { return issues; }

    private static String fmtBox(double x, double y, double w, double h) {
        return String.format(Locale.ROOT, "[%s, %s, %s, %s]", num(x), num(y), num(w), num(h));
    }

    private static String num(double v) { return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v); }

    static final class FloatList {
        float[] a = new float[16];
        int n;

        void add(float v) { if (n == a.length) a = java.util.Arrays.copyOf(a, 2 * n); a[n++] = v; }

        void clear() { n = 0; }

        float[] toArray() { return java.util.Arrays.copyOf(a, n); }
    }

    static final class IntList {
        int[] a = new int[8];
        int n;

        void add(int v) { if (n == a.length) a = java.util.Arrays.copyOf(a, 2 * n); a[n++] = v; }

        void clear() { n = 0; }

        int[] toArray() { return java.util.Arrays.copyOf(a, n); }
    }
}
