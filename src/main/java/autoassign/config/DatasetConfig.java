package autoassign.config;

/**
 * {@code *_dataloader.dataset}: a COCO-format dataset ({@code CocoDataset}, paths relative to the data root)
 * or the built-in synthetic one ({@code SyntheticShapes}).
 *
 * @param type          "CocoDataset" or "SyntheticShapes"
 * @param annFile       annotation json relative to the data root (CocoDataset)
 * @param imgPrefix     {@code data_prefix.img}: image folder relative to the data root (CocoDataset)
 * @param filterEmptyGt {@code filter_cfg.filter_empty_gt} (training: drop images without annotations)
 * @param minSize       {@code filter_cfg.min_size} (training: drop images with a side below it)
 * @param testMode      true for val/test datasets (no filtering)
 * @param pipeline      resize / flip settings
 * @param synthetic     SyntheticShapes settings, null for CocoDataset
 */
public record DatasetConfig(String type, String annFile, String imgPrefix, boolean filterEmptyGt, int minSize,
                            boolean testMode, PipelineConfig pipeline, SyntheticConfig synthetic) {

    public boolean isSynthetic() { return "SyntheticShapes".equals(type); }

    static DatasetConfig from(ConfigNode n, boolean train) {
        String type = n.choice("type", "CocoDataset", "CocoDataset", "SyntheticShapes");
        String ann = null, img = null;
        boolean filterEmpty = false;
        int minSize = 0;
        SyntheticConfig synth = null;
        boolean testMode = n.bool("test_mode", !train);
        if (type.equals("CocoDataset")) {
            n.string("data_root", null); // MMDetection repeats data_root here; the top-level one (or --data-root) wins
            ann = n.string("ann_file");
            ConfigNode prefix = n.requiredChild("data_prefix");
            img = prefix.string("img");
            prefix.finish();
            ConfigNode filter = n.child("filter_cfg");
            filterEmpty = filter.bool("filter_empty_gt", false);
            minSize = filter.atLeast("min_size", filter.integer("min_size", 0), 0);
            filter.finish();
        } else {
            synth = SyntheticConfig.from(n);
        }
        PipelineConfig pipeline = PipelineConfig.from(n, "pipeline", train);
        n.finish();
        return new DatasetConfig(type, ann, img, filterEmpty, minSize, testMode, pipeline, synth);
    }
}
