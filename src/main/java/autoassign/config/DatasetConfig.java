package autoassign.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.stream.IntStream;

/**
 * {@code *_dataloader.dataset}: a COCO-format dataset ({@code CocoDataset}, or LVIS's {@code LVISV1Dataset} /
 * {@code LVISV05Dataset} / {@code LVISDataset}, paths relative to the data root), Open Images ({@code OpenImagesDataset} /
 * {@code OpenImagesChallengeDataset}: csv / txt annotations, a meta pickle, a class hierarchy), a PASCAL
 * VOC-style one ({@code VOCDataset} / {@code XMLDataset}: an image list and XML files), the built-in synthetic one
 * ({@code SyntheticShapes}), or in training MMEngine's {@code ConcatDataset} of those read from files.
 *
 * @param type          "CocoDataset", an LVIS type, "VOCDataset", "XMLDataset", "SyntheticShapes" or "ConcatDataset"
 * @param annFile       annotation json (CocoDataset) or image list (VOCDataset / XMLDataset) relative to the data root
 * @param imgPrefix     {@code data_prefix.img}: image folder relative to the data root (CocoDataset)
 * @param filterEmptyGt {@code filter_cfg.filter_empty_gt}: drop images without annotations (not in test mode)
 * @param minSize       {@code filter_cfg.min_size}: drop images with a side below it (not in test mode)
 * @param testMode      {@code test_mode} (default false, as MMEngine's BaseDataset, also for val / test datasets, whose
 *                      configs set it true); a dataset in test mode is not filtered by {@code filter_cfg} (MMDetection)
 * @param indices       MMEngine's {@code indices}: which images to keep after filtering; null keeps all (CocoDataset)
 * @param classes       {@code metainfo.classes}: only the annotation file's categories of these names are classes
 *                      (labelled in the file's category order, as MMDetection; an XML dataset labels them in this
 *                      order), and evaluated; null: all of them (a VOCDataset: the 20 VOC classes)
 * @param pipeline      resize / flip settings (a ConcatDataset's: the one its datasets share)
 * @param synthetic     SyntheticShapes settings, null for CocoDataset
 * @param dataRoot      the dataset's own {@code data_root} (MMDetection's configs repeat the top-level one here); null: none
 * @param wrappers      MMEngine's {@code RepeatDataset} / {@code ClassBalancedDataset} around it, outermost first
 *                      (training only); empty: none. A {@code MultiImageMixDataset} is not listed here: it changes no
 *                      entry, its steps are in {@code pipeline} ({@link PipelineConfig#mixed})
 * @param parts         a ConcatDataset's {@code datasets} in order (each with its own files, filters and wrappers); the
 *                      file keys above are then unset and {@code classes} is the first dataset's. Empty: not a ConcatDataset
 * @param xml           a VOCDataset's / XMLDataset's own keys, null for the other types
 * @param extraAnnFile  a CrowdHumanDataset's {@code extra_ann_file} (image sizes) relative to the data root; null: its default
 * @param openImages    an OpenImagesDataset's / OpenImagesChallengeDataset's own files, null for the other types
 */
public record DatasetConfig(String type, String annFile, String imgPrefix, boolean filterEmptyGt, int minSize,
                            boolean testMode, Indices indices, List<String> classes, PipelineConfig pipeline,
                            SyntheticConfig synthetic, String dataRoot, List<Wrapper> wrappers, List<DatasetConfig> parts,
                            Xml xml, String extraAnnFile, OpenImages openImages) {

    /**
     * MMDetection's OpenImagesDataset / OpenImagesChallengeDataset keys ({@link autoassign.data.OpenImagesDataset}), paths
     * relative to the data root.
     *
     * @param labelFile         {@code label_file} (class-descriptions-boxable.csv / cls-label-description.csv)
     * @param metaFile          {@code meta_file}: the pickle of image metas (filename, ori_shape)
     * @param hierarchyFile     {@code hierarchy_file} (bbox_labels_600_hierarchy.json / class_label_tree.np)
     * @param imageLevelAnnFile {@code image_level_ann_file}; null: none
     */
    public record OpenImages(String labelFile, String metaFile, String hierarchyFile, String imageLevelAnnFile) {}

    /** An OpenImagesDataset or OpenImagesChallengeDataset. */
    public boolean isOpenImages() { return openImages != null; }

    /**
     * MMDetection's XMLDataset keys ({@link autoassign.data.XmlDataset}).
     *
     * @param subDataRoot {@code data_prefix.sub_data_root} relative to the data root ("" when absent); a
     *                    WIDERFaceDataset's {@code data_prefix.img}
     * @param imgSubdir   {@code img_subdir}; null for a WIDERFaceDataset (each XML's {@code <folder>})
     * @param annSubdir   {@code ann_subdir}
     * @param bboxMinSize {@code filter_cfg.bbox_min_size}: smaller objects become ignored instances; null: none
     * @param wider       a {@code WIDERFaceDataset} ({@link autoassign.data.XmlDataset.Layout#wider})
     */
    public record Xml(String subDataRoot, String imgSubdir, String annSubdir, Double bboxMinSize, boolean wider) {}

    public DatasetConfig {
        wrappers = List.copyOf(wrappers);
        parts = List.copyOf(parts);
    }

    /**
     * A dataset wrapper: {@code RepeatDataset(times, dataset)} or {@code ClassBalancedDataset(oversample_thr,
     * dataset)} ({@link autoassign.data.DatasetRepeats}).
     */
    public record Wrapper(String type, int times, double oversampleThr) {
        /** The entries after this wrapper, from those of the dataset it wraps. */
        public int[] apply(autoassign.data.CocoDataset ds, int[] entries) {
            return type.equals("RepeatDataset") ? autoassign.data.DatasetRepeats.repeat(entries, times)
                    : autoassign.data.DatasetRepeats.classBalanced(ds, entries, oversampleThr);
        }
    }

    /**
     * The sampler's entries (entry → image index of {@code ds}): each dataset's images (a ConcatDataset's parts one
     * after another, {@code ds}'s parts in {@link #datasets()} order), the wrappers applied from the innermost out.
     */
    public int[] entries(autoassign.data.CocoDataset ds) {
        if (ds.numParts() != datasets().size())
            throw new IllegalArgumentException("the dataset has " + ds.numParts() + " parts, not the config's " + datasets().size());
        return entries(ds, new int[] {0});
    }

    /** {@code nextPart[0]}: the next of {@code ds}'s parts, which come in {@link #datasets()} order. */
    private int[] entries(autoassign.data.CocoDataset ds, int[] nextPart) {
        int[] e;
        if (isConcat()) {
            List<int[]> each = new java.util.ArrayList<>();
            for (DatasetConfig p : parts) each.add(p.entries(ds, nextPart));
            e = autoassign.data.DatasetRepeats.concat(each);
        } else {
            int p = nextPart[0]++;
            e = autoassign.data.DatasetRepeats.range(ds.partStart(p), ds.partEnd(p));
        }
        for (int i = wrappers.size() - 1; i >= 0; i--) e = wrappers.get(i).apply(ds, e);
        return e;
    }

    /** The datasets to load, in order: a ConcatDataset's (nested ones flattened), else this one. */
    public List<DatasetConfig> datasets() {
        if (!isConcat()) return List.of(this);
        List<DatasetConfig> out = new java.util.ArrayList<>();
        for (DatasetConfig p : parts) out.addAll(p.datasets());
        return List.copyOf(out);
    }

    public boolean isSynthetic() { return "SyntheticShapes".equals(type); }

    /** A VOCDataset or XMLDataset (an image list and XML files). */
    public boolean isXml() { return xml != null; }

    public boolean isConcat() { return !parts.isEmpty(); }

    /** An LVISV1Dataset, LVISV05Dataset or LVISDataset ({@link autoassign.data.LvisDataset}). */
    public boolean isLvis() { return type.startsWith("LVIS"); }

    /** A CrowdHumanDataset ({@link autoassign.data.CrowdHumanDataset}: an .odgt file). */
    public boolean isCrowdHuman() { return type.equals("CrowdHumanDataset"); }

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
        return from(n, train, topDataRoot, PipelineConfig.Role.DATASET);
    }

    private static DatasetConfig from(ConfigNode n, boolean train, String topDataRoot, PipelineConfig.Role role) {
        String type = n.choice("type", "CocoDataset", "CocoDataset", "LVISV1Dataset", "LVISV05Dataset", "LVISDataset", "VOCDataset",
                "XMLDataset", "WIDERFaceDataset", "Objects365V1Dataset", "Objects365V2Dataset", "CityscapesDataset", "DeepFashionDataset",
                "CrowdHumanDataset", "OpenImagesDataset", "OpenImagesChallengeDataset", "SyntheticShapes", "RepeatDataset",
                "ClassBalancedDataset", "MultiImageMixDataset", "ConcatDataset");
        boolean openImagesType = autoassign.data.OpenImagesDataset.Kind.of(type) != null;
        boolean wider = type.equals("WIDERFaceDataset");
        boolean isXml = type.equals("VOCDataset") || type.equals("XMLDataset") || wider;
        boolean fromFiles = type.equals("CocoDataset") || type.startsWith("LVIS") || isXml || type.equals("CrowdHumanDataset")
                || openImagesType || autoassign.data.CocoSubclass.of(type) != null;
        if (role == PipelineConfig.Role.WRAPPED && !fromFiles && !type.equals("SyntheticShapes"))
            throw n.error("type", "a MultiImageMixDataset wraps a dataset read from files (CocoDataset and its kin, VOCDataset, XMLDataset, ...) or SyntheticShapes, got " + type
                    + (type.equals("ConcatDataset") ? " (not supported)"
                    : "; put RepeatDataset / ClassBalancedDataset around the MultiImageMixDataset instead"));
        if (type.equals("MultiImageMixDataset")) return multiImageMix(n, train, topDataRoot);
        if (type.equals("ConcatDataset")) return concat(n, train, topDataRoot);
        if (type.equals("RepeatDataset") || type.equals("ClassBalancedDataset")) {
            if (!train) throw n.error("type", type + " only belongs in a training dataloader");
            Wrapper w = type.equals("RepeatDataset")
                    ? new Wrapper(type, n.positive("times", n.integer("times")), 0)
                    : new Wrapper(type, 1, n.positive("oversample_thr", n.number("oversample_thr")));
            n.bool("lazy_init", false); // when MMEngine builds the index list: the same list
            DatasetConfig inner = from(n.requiredChild("dataset"), true, topDataRoot);
            // MMEngine's ClassBalancedDataset reads get_cat_ids, which its RepeatDataset and ConcatDataset lack
            boolean repeatInside = !inner.wrappers().isEmpty() && inner.wrappers().get(0).type().equals("RepeatDataset");
            if (type.equals("ClassBalancedDataset") && (repeatInside || inner.wrappers().isEmpty() && !inner.parts().isEmpty()))
                throw n.error("dataset", "a ClassBalancedDataset needs a dataset with per-image categories (MMEngine's get_cat_ids),"
                        + " not a " + (repeatInside ? "RepeatDataset" : "ConcatDataset") + "; put the ClassBalancedDataset inside it");
            n.finish();
            List<Wrapper> all = new java.util.ArrayList<>(List.of(w));
            all.addAll(inner.wrappers());
            return new DatasetConfig(inner.type(), inner.annFile(), inner.imgPrefix(), inner.filterEmptyGt(), inner.minSize(),
                    inner.testMode(), inner.indices(), inner.classes(), inner.pipeline(), inner.synthetic(), inner.dataRoot(), all,
                    inner.parts(), inner.xml(), inner.extraAnnFile(), inner.openImages());
        }
        String ann = null, img = null;
        boolean filterEmpty = false;
        int minSize = 0;
        Indices indices = null;
        List<String> classes = null;
        SyntheticConfig synth = null;
        String dataRoot = null;
        boolean testMode = n.bool("test_mode", false); // MMEngine's BaseDataset default, val / test alike
        Xml xml = null;
        String extraAnnFile = null;
        OpenImages openImages = null;
        if (fromFiles) {
            dataRoot = n.string("data_root", null); // MMDetection repeats data_root here (see DataSources)
            if (dataRoot != null && dataRoot.equals(topDataRoot)) dataRoot = null; // the same: nothing of its own
            ann = n.string("ann_file");
            if (type.equals("CrowdHumanDataset")) extraAnnFile = n.string("extra_ann_file", null);
            if (openImagesType) {
                // OpenImagesChallengeDataset raises TypeError for an ann_file that is not a .txt
                if (type.equals("OpenImagesChallengeDataset") && !ann.endsWith("txt"))
                    throw n.error("ann_file", "the annotation file of Open Images Challenge must be a txt file (MMDetection raises), got " + ann);
                com.fasterxml.jackson.databind.JsonNode level = n.raw("image_level_ann_file");
                openImages = new OpenImages(n.string("label_file"), n.string("meta_file"), n.string("hierarchy_file"),
                        level == null || level.isNull() ? null : n.string("image_level_ann_file"));
            }
            String subDataRoot = "";
            if (isXml) {
                ConfigNode prefix = n.child("data_prefix");
                subDataRoot = wider ? prefix.string("img", "") : prefix.string("sub_data_root", ""); // wider_face.py's roots
                prefix.finish();
            } else {
                ConfigNode prefix = n.requiredChild("data_prefix");
                img = prefix.string("img");
                prefix.finish();
            }
            ConfigNode filter = n.child("filter_cfg");
            filterEmpty = filter.bool("filter_empty_gt", false);
            minSize = filter.atLeast("min_size", filter.integer("min_size", 0), 0);
            Double bboxMinSize = null;
            if (isXml && filter.has("bbox_min_size")) {
                bboxMinSize = filter.nonNegative("bbox_min_size", filter.number("bbox_min_size"));
                if (testMode) throw filter.error("bbox_min_size", "marks small objects ignored in training; not with test_mode "
                        + "(MMDetection asserts it)");
            }
            filter.finish();
            indices = indices(n);
            n.localFilesOnly();
            ConfigNode meta = n.child("metainfo");
            classes = meta.has("classes") ? stringList(meta, "classes") : null;
            meta.raw("palette"); // drawing colours: the engine has its own
            meta.finish();
            if (openImagesType && classes != null) // load_data_list sets metainfo['classes'] from the label file
                throw n.error("metainfo", "an " + type + " takes its classes from label_file; metainfo.classes is not supported");
            if (isXml) {
                if (classes == null && type.equals("XMLDataset"))
                    throw n.error("metainfo", "an XMLDataset needs metainfo.classes (MMDetection asserts it)");
                String imgSubdir = n.string("img_subdir", "JPEGImages"), annSubdir = n.string("ann_subdir", "Annotations");
                // WIDERFaceDataset reads <img>/Annotations and each XML's <folder>, whatever these two say
                xml = wider ? new Xml(subDataRoot, null, "Annotations", bboxMinSize, true)
                        : new Xml(subDataRoot, imgSubdir, annSubdir, bboxMinSize, false);
            }
        } else {
            synth = SyntheticConfig.from(n);
        }
        PipelineConfig pipeline = PipelineConfig.from(n, "pipeline", train, role, List.of());
        n.finish();
        return new DatasetConfig(type, ann, img, filterEmpty, minSize, testMode, indices, classes, pipeline, synth, dataRoot,
                List.of(), List.of(), xml, extraAnnFile, openImages);
    }

    /**
     * MMDetection's {@code MultiImageMixDataset(dataset, pipeline, skip_type_keys, max_refetch, lazy_init)}: the wrapped
     * dataset with its own pipeline (loading and whatever it lists) and the wrapper's pipeline (Mosaic, MixUp and the
     * single-image steps) as one step list ({@link PipelineConfig#mixed}); {@code skip_type_keys} is a fixed list here.
     */
    private static DatasetConfig multiImageMix(ConfigNode n, boolean train, String topDataRoot) {
        if (!train) throw n.error("type", "MultiImageMixDataset only belongs in a training dataloader");
        List<String> skip = List.of();
        JsonNode sk = n.raw("skip_type_keys");
        if (sk != null && !sk.isNull()) {
            if (!sk.isArray()) throw n.error("skip_type_keys", "must be a list of transform types, got " + ConfigNode.describe(sk));
            List<String> out = new java.util.ArrayList<>();
            for (JsonNode k : sk) {
                if (!k.isTextual()) throw n.error("skip_type_keys", "must be a list of transform types, got " + ConfigNode.describe(k));
                out.add(k.asText());
            }
            skip = List.copyOf(out);
        }
        int maxRefetch = n.atLeast("max_refetch", n.integer("max_refetch", 15), 1);
        n.bool("lazy_init", false); // when MMEngine loads the annotations: the same dataset
        if (n.raw("dynamic_scale") != null) throw n.error("dynamic_scale", "is MMDetection 2.x's; 3.x sets img_scale on Mosaic / MixUp");
        DatasetConfig inner = from(n.requiredChild("dataset"), true, topDataRoot, PipelineConfig.Role.WRAPPED);
        PipelineConfig wrapper = PipelineConfig.from(n, "pipeline", true, PipelineConfig.Role.WRAPPER, skip);
        PipelineConfig pipeline = PipelineConfig.mixed(inner.pipeline(), wrapper,
                new autoassign.data.MultiImageMixDataset(maxRefetch, skip), n, "pipeline");
        n.finish();
        return new DatasetConfig(inner.type(), inner.annFile(), inner.imgPrefix(), inner.filterEmptyGt(), inner.minSize(),
                inner.testMode(), inner.indices(), inner.classes(), pipeline, inner.synthetic(), inner.dataRoot(), List.of(), List.of(),
                inner.xml(), inner.extraAnnFile(), inner.openImages());
    }

    /**
     * MMEngine's {@code ConcatDataset(datasets, lazy_init, ignore_keys)}: CocoDatasets (each in RepeatDataset /
     * ClassBalancedDataset / ConcatDataset or not) whose images are joined in order. As MMEngine, their
     * {@code metainfo.classes} must be equal unless {@code ignore_keys} lists {@code classes}; the loaded class names must
     * agree in any case ({@link autoassign.data.CocoDataset#concat}). One pipeline serves every image here, so the
     * datasets' pipelines must be equal.
     */
    private static DatasetConfig concat(ConfigNode n, boolean train, String topDataRoot) {
        if (!train) throw n.error("type", "ConcatDataset only belongs in a training dataloader: CocoMetric evaluates one "
                + "annotation file");
        List<String> ignoreKeys = ignoreKeys(n);
        n.bool("lazy_init", false); // when MMEngine joins the datasets: the same images
        List<ConfigNode> nodes = n.childList("datasets");
        if (nodes.isEmpty()) throw n.error("datasets", "required: a list of datasets");
        List<DatasetConfig> parts = new java.util.ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            DatasetConfig part = from(nodes.get(i), true, topDataRoot);
            String key = "datasets[" + i + "]";
            if (part.isSynthetic())
                throw n.error(key, "a ConcatDataset joins datasets read from files (CocoDataset, VOCDataset, XMLDataset), got SyntheticShapes");
            if (part.pipeline().transforms().stream().anyMatch(t -> t instanceof autoassign.data.MultiImageMixDataset))
                throw n.error(key, "a MultiImageMixDataset inside a ConcatDataset is not supported");
            if (i > 0) {
                DatasetConfig first = parts.get(0);
                if (!ignoreKeys.contains("classes") && part.classes() != null && first.classes() != null
                        && !part.classes().equals(first.classes()))
                    throw n.error(key, "metainfo.classes " + part.classes() + " differ from datasets[0]'s " + first.classes()
                            + " (every part is labelled by datasets[0]'s class names here; list 'classes' in ignore_keys when the names"
                            + " agree in another order)");
                if (!part.pipeline().equals(first.pipeline()))
                    throw n.error(key, "its pipeline differs from datasets[0]'s: here every image of a ConcatDataset runs one "
                            + "pipeline");
            }
            parts.add(part);
        }
        n.finish();
        DatasetConfig first = parts.get(0);
        return new DatasetConfig("ConcatDataset", null, null, false, 0, false, null, first.classes(), first.pipeline(), null,
                null, List.of(), parts, null, null, null);
    }

    /** ConcatDataset's {@code ignore_keys}: a metainfo key or a list of them; empty when absent. */
    private static List<String> ignoreKeys(ConfigNode n) {
        JsonNode v = n.raw("ignore_keys");
        if (v == null || v.isNull()) return List.of();
        if (v.isTextual()) return List.of(v.asText());
        if (!v.isArray()) throw n.error("ignore_keys", "must be a metainfo key or a list of them, got " + ConfigNode.describe(v));
        List<String> out = new java.util.ArrayList<>();
        for (JsonNode k : v) {
            if (!k.isTextual()) throw n.error("ignore_keys", "must be a list of metainfo keys, got " + ConfigNode.describe(k));
            out.add(k.asText());
        }
        return List.copyOf(out);
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
