package autoassign.data;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * MMEngine's dataset wrappers as a list of entries (entry → image index of the wrapped {@link CocoDataset}) that the
 * sampler shuffles and batches like a dataset of that length:
 * <ul>
 *   <li>{@code RepeatDataset(times)}: the entries {@code times} times over ({@code dataset[idx % len]});</li>
 *   <li>{@code ClassBalancedDataset(oversample_thr)}: each entry repeated ⌈r(I)⌉ times in place, with
 *       r(I) = max over the categories c of image I of max(1, √(thr / f(c))), f(c) the fraction of entries whose image
 *       has c (boxes and crowd regions both count, as {@code get_cat_ids}); an image without any: 1;</li>
 *   <li>{@code ConcatDataset}: its datasets' entries one after another (the images of a joined {@link CocoDataset}'s
 *       parts, {@link CocoDataset#concat}).</li>
 * </ul>
 */
public final class DatasetRepeats {
    private DatasetRepeats() {}

    /** One entry per image, in dataset order: the dataset as it is. */
    public static int[] identity(int size) { return range(0, size); }

    /** One entry per image from {@code start} to {@code end} (exclusive): one ConcatDataset part as it is. */
    public static int[] range(int start, int end) {
        int[] out = new int[end - start];
        for (int i = 0; i < out.length; i++) out[i] = start + i;
        return out;
    }

    /** {@code ConcatDataset}: the parts' entries one after another. */
    public static int[] concat(java.util.List<int[]> parts) {
        int n = 0;
        for (int[] p : parts) n = Math.addExact(n, p.length);
        int[] out = new int[n];
        int k = 0;
        for (int[] p : parts) { System.arraycopy(p, 0, out, k, p.length); k += p.length; }
        return out;
    }

    /** {@code RepeatDataset}: the entries {@code times} times in a row. */
    public static int[] repeat(int[] entries, int times) {
        if (times < 1) throw new IllegalArgumentException("RepeatDataset times must be >= 1, got " + times);
        int[] out = new int[Math.multiplyExact(entries.length, times)];
        for (int t = 0; t < times; t++) System.arraycopy(entries, 0, out, t * entries.length, entries.length);
        return out;
    }

    /** The image-level repeat factor r(I) of each entry (ClassBalancedDataset's {@code _get_repeat_factors}). */
    public static double[] repeatFactors(CocoDataset ds, int[] entries, double thr) {
        Map<Integer, Integer> freq = new HashMap<>();
        for (int e : entries) for (int c : categories(ds.get(e))) freq.merge(c, 1, Integer::sum);
        Map<Integer, Double> catRepeat = new HashMap<>();
        freq.forEach((c, n) -> catRepeat.put(c, Math.max(1.0, Math.sqrt(thr / ((double) n / entries.length)))));
        double[] r = new double[entries.length];
        for (int i = 0; i < entries.length; i++) {
            r[i] = 1.0;
            Set<Integer> cats = categories(ds.get(entries[i]));
            if (!cats.isEmpty()) r[i] = cats.stream().mapToDouble(catRepeat::get).max().orElse(1.0);
        }
        return r;
    }

    /** {@code ClassBalancedDataset}: each entry ⌈r(I)⌉ times, in place. */
    public static int[] classBalanced(CocoDataset ds, int[] entries, double thr) {
        double[] r = repeatFactors(ds, entries, thr);
        int n = 0;
        for (double f : r) n = Math.addExact(n, (int) Math.ceil(f));
        int[] out = new int[n];
        int k = 0;
        for (int i = 0; i < entries.length; i++) {
            int times = (int) Math.ceil(r[i]);
            Arrays.fill(out, k, k + times, entries[i]);
            k += times;
        }
        return out;
    }

    private static Set<Integer> categories(ImageRecord rec) {
        Set<Integer> s = new HashSet<>();
        for (int l : rec.labels()) s.add(l);
        for (int l : rec.crowdLabels()) s.add(l);
        return s;
    }
}
