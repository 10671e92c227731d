package autoassign.data;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Contiguous labels 0..C-1 ↔ dataset category ids: label {@code k} is the k-th class in use in the annotation file's
 * order of categories, as MMDetection's CocoDataset numbers them ({@code cat_ids = get_cat_ids(cat_names=classes)}, a
 * filter of the file's list; {@code cat2label = {id: i}}). For COCO, whose file lists its categories by id, that is
 * AA_6 §1's k-th smallest id (1→0, 2→1, ..., 90→79).
 */
public final class CategoryMap {
    private final long[] ids;
    private final String[] names;
    private final Map<Long, Integer> labelById;

    /** {@code ids} and {@code names} are parallel, in label order. */
    public CategoryMap(long[] ids, String[] names) {
        if (ids.length != names.length) throw new IllegalArgumentException("ids and names differ in length");
        this.ids = ids.clone();
        this.names = names.clone();
        this.labelById = new HashMap<>(ids.length * 2);
        for (int k = 0; k < ids.length; k++)
            if (labelById.put(this.ids[k], k) != null) throw new IllegalArgumentException("duplicate category id " + this.ids[k]);
    }

    public int size() { return ids.length; }

    /** Dataset category id of a contiguous label. */
    public long categoryId(int label) { return ids[label]; }

    /** Contiguous label of a category id, or -1 when the category is not in use. */
    public int labelOf(long categoryId) {
        Integer k = labelById.get(categoryId);
        return k == null ? -1 : k;
    }

    public String name(int label) { return names[label]; }

    public List<String> names() { return List.of(names); }

    /** A default class list shipped in the jar (a dataset type's {@code METAINFO['classes']}), one name per line. */
    static List<String> shippedClasses(String resource) {
        try (java.io.InputStream in = CategoryMap.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException(resource + " is not on the classpath");
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public long[] ids() { return ids.clone(); }
}
