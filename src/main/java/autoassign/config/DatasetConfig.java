package autoassign.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.stream.IntStream;

/**
 * {@code *_dataloader.dataset}: a COCO-format dataset ({@code CocoDataset}, paths relative to the data root)
 * or the built-in synthetic one ({@code SyntheticShapes}).
 *
 * @param type          "CocoDataset" or "SyntheticShapes"
 * @param annFile       annotation json relative to the data root (CocoDataset)
 * @param imgPrefix     {@code data_prefix.img}: image folder relative to the data root (CocoDataset)
 * @param filterEmptyGt {@code filter_cfg.filter_empty_gt}: drop images without annotations (not in test mode)
 * @param minSize       {@code filter_cfg.min_size}: drop images with a side below it (not in test mode)
 * @param testMode      {@code test_mode}: true for val/test datasets; a dataset in test mode is not filtered (MMDetection)
 * @param indices       MMEngine's {@code indices}: which images to keep after filtering; null keeps all (CocoDataset)
 * @param classes       {@code metainfo.classes}: only the annotation file's categories of these names are classes
 *                      (labelled in the file's category order, as MMDetection), and evaluated; null: all of them
 * @param pipeline      resize / flip settings
 * @param synthetic     SyntheticShapes settings, null for CocoDataset
 * @param dataRoot      the dataset's own {@code data_root} (MMDetection's configs repeat the top-level one here); null: none
 */
public record DatasetConfig(String type, String annFile, String imgPrefix, boolean filterEmptyGt, int minSize,
                            boolean testMode, Indices indices, List<String> classes, PipelineConfig pipeline,
                            SyntheticConfig synthetic, String dataRoot) {

    public boolean isSynthetic() { return "SyntheticShapes".equals(type); }

    /**
     * MMEngine's {@code BaseDataset(indices=...)}, applied after filtering: an int N keeps the first N images
     * (all when there are fewer), a list keeps the images at those positions, in its order.
     *
     * @param first     N, or null for a list
     * @param positions the list, or null for N
     */
    public record Indices(Integer first, List<Integer> positions) {
        /** The positions kept of a dataset of {@code size} images; throws naming a position out of range. */
        public List<Integer> select(int size) {
            if (first != null) return IntStream.range(0, Math.min(first, size)).boxed().toList();
            for (int i : positions)
                if (i >= size) throw new IllegalArgumentException("indices: position " + i + " is out of range for " + size + " images");
            return positions;
        }
    }

    static DatasetConfig from(ConfigNode n, boolean train, String topDataRoot) {
        String type = n.choice("type", "CocoDataset", "CocoDataset", "SyntheticShapes");
        String ann = null, img = null;
        boolean filterEmpty = false;
        int minSize = 0;
        Indices indices = null;
        List<String> classes = null;
        SyntheticConfig synth = null;
        String dataRoot = null;
        boolean testMode = n.bool("test_mode", !train);
        if (type.equals("CocoDataset")) {
            dataRoot = n.string("data_root", null); // MMDetection repeats data_root here (see DataSources)
            if (dataRoot != null && dataRoot.equals(topDataRoot)) dataRoot = null; // the same: nothing of its own
            ann = n.string("ann_file");
            ConfigNode prefix = n.requiredChild("data_prefix");
            img = prefix.string("img");
            prefix.finish();
            ConfigNode filter = n.child("filter_cfg");
            filterEmpty = filter.bool("filter_empty_gt", false);
            minSize = filter.atLeast("min_size", filter.integer("min_size", 0), 0);
            filter.finish();
            indices = indices(n);
            n.localFilesOnly();
            ConfigNode meta = n.child("metainfo");
            classes = meta.has("classes") ? stringList(meta, "classes") : null;
            meta.raw("palette"); // drawing colours: the engine has its own
            meta.finish();
        } else {
            synth = SyntheticConfig.from(n);
        }
        PipelineConfig pipeline = PipelineConfig.from(n, "pipeline", train);
        n.finish();
        return new DatasetConfig(type, ann, img, filterEmpty, minSize, testMode, indices, classes, pipeline, synth, dataRoot);
    }

    /** A list of strings ({@code metainfo.classes}: a tuple of names in MMDetection). */
    private static List<String> stringList(ConfigNode n, String key) {
        JsonNode v = n.raw(key);
        if (!v.isArray() || v.isEmpty()) throw n.error(key, "must be a list of class names, got " + ConfigNode.describe(v));
        List<String> out = new java.util.ArrayList<>();
        for (JsonNode c : v) {
            if (!c.isTextual()) throw n.error(key, "must be a list of class names, got " + ConfigNode.describe(c));
            if (out.contains(c.asText())) throw n.error(key, "class '" + c.asText() + "' is listed twice");
            out.add(c.asText());
        }
        return List.copyOf(out);
    }

    /** {@code indices}: a count N (the first N images) or a list of positions; null when absent. */
    private static Indices indices(ConfigNode n) {
        if (!n.has("indices")) return null;
        JsonNode v = n.raw("indices");
        if (v.isIntegralNumber()) return new Indices(n.atLeast("indices", n.integer("indices"), 0), null);
        List<Integer> list = n.intList("indices", null);
        for (int i : list) if (i < 0) throw n.error("indices", "positions must be >= 0, got " + i);
        return new Indices(null, List.copyOf(list));
    }
}
