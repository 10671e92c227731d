package autoassign.data;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Contiguous labels 0..C-1 ↔ dataset category ids: label {@code k} is the k-th smallest category id
 * of the classes in use (AA_6 §1; for COCO: 1→0, 2→1, ..., 90→79).
 */
public final class CategoryMap {
    private final long[] ids;
    private final String[] names;
    private final Map<Long, Integer> labelById;

    /** {@code ids} and {@code names} are parallel; they are sorted here by id. */
    public CategoryMap(long[] ids, String[] names) {
        if (ids.length != names.length) throw new IllegalArgumentException("ids and names differ in length");
        Integer[] order = new Integer[ids.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Long.compare(ids[a], ids[b]));
        this.ids = new long[ids.length];
        this.names = new String[ids.length];
        this.labelById = new HashMap<>(ids.length * 2);
        for (int k = 0; k < order.length; k++) {
            this.ids[k] = ids[order[k]];
            this.names[k] = names[order[k]];
            if (labelById.put(this.ids[k], k) != null) throw new IllegalArgumentException("duplicate category id " + this.ids[k]);
        }
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

    public long[] ids() { return ids.clone(); }
}
