package autoassign.train;

import autoassign.config.Config;
import autoassign.config.DataLoaderConfig;
import autoassign.config.DatasetConfig;
import autoassign.config.SyntheticConfig;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.ImageRecord;
import autoassign.data.PipelineOptions;
import autoassign.data.SyntheticShapes;
import autoassign.cli.CliErrors.UserError;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a config's dataloader sections (plus an optional {@code --data-root}) into datasets: the built-in
 * synthetic dataset (generated on first use), the config's own ann_file / img_prefix, or a COCO-style folder
 * in either layout — COCO 2017 ({@code annotations/instances_train2017.json}, {@code train2017/}, ...) or
 * {@code annotations/instances_{train,val}.json} + {@code images/}.
 */
public final class DataSources {
    private DataSources() {}

    /** The two splits of a dataset folder. */
    public record Split(Path annFile, Path imageDir) {}

    /** Finds the train or val split of a COCO-style folder, or null when neither layout is there. */
    public static Split detect(Path root, boolean train) {
        String s = train ? "train" : "val";
        Split coco2017 = new Split(root.resolve("annotations/instances_" + s + "2017.json"), root.resolve(s + "2017"));
        if (Files.isRegularFile(coco2017.annFile) && Files.isDirectory(coco2017.imageDir)) return coco2017;
        Split simple = new Split(root.resolve("annotations/instances_" + s + ".json"), root.resolve("images"));
        if (Files.isRegularFile(simple.annFile) && Files.isDirectory(simple.imageDir)) return simple;
        return null;
    }

    /** Where the synthetic dataset of a config lives: under the data root when given, else under data_cache/. */
    public static Path syntheticRoot(SyntheticShapes.Params p, String dataRootOverride) {
        if (dataRootOverride != null) return Path.of(dataRootOverride);
        // one folder per generator setting (String.hashCode is specified, so the name is stable)
        return Path.of("data_cache", "synthetic_shapes_" + Integer.toHexString(p.toString().hashCode()));
    }

    static SyntheticShapes.Params params(SyntheticConfig train, SyntheticConfig val) {
        return new SyntheticShapes.Params(train.numImages(), val.numImages(), train.imgSize().get(0), train.imgSize().get(1),
                train.numClasses(), train.objectsPerImage().get(0), train.objectsPerImage().get(1),
                train.objectSize().get(0), train.objectSize().get(1), train.maxOcclusion(),
                "jpg".equalsIgnoreCase(train.format()) || "jpeg".equalsIgnoreCase(train.format()), train.seed());
    }

    /**
     * Loads one split. {@code dataRootOverride} (the CLI's {@code --data-root}) takes precedence over the
     * config's data_root; for a COCO dataset the config's ann_file / img_prefix are used when they exist under
     * the root, else the folder layouts above are detected.
     */
    public static CocoDataset load(Config cfg, boolean train, String dataRootOverride, DataIssues issues) {
        return load(cfg, train ? cfg.trainDataloader() : cfg.valDataloader(), train ? "train" : "val", dataRootOverride, issues);
    }

    /**
     * The test split ({@code test_dataloader}, which is the val dataloader when the config has none), as
     * MMDetection's tools/test.py runs it: like {@link #load} for val; a synthetic one is the val split.
     */
    public static CocoDataset loadTest(Config cfg, String dataRootOverride, DataIssues issues) {
        return load(cfg, cfg.testDataloader(), "test", dataRootOverride, issues);
    }

    /** @param which "train", "val" or "test": which dataloader {@code dl} is (train filters; messages name it) */
    private static CocoDataset load(Config cfg, DataLoaderConfig dl, String which, String dataRootOverride, DataIssues issues) {
        boolean train = which.equals("train");
        DatasetConfig ds = dl.dataset();
        if (ds.isSynthetic()) {
            SyntheticConfig t = cfg.trainDataloader().dataset().synthetic(), v = cfg.valDataloader().dataset().synthetic();
            SyntheticShapes.Params p = params(t, v);
            String root = dataRootOverride != null ? dataRootOverride : cfg.dataRoot();
            SyntheticShapes.Layout layout = SyntheticShapes.ensure(syntheticRoot(p, root), p);
            return train ? layout.train(issues) : layout.val(issues);
        }
        if (ds.isConcat()) return loadConcat(cfg, ds, which, dataRootOverride, issues);
        Config c = rooted(cfg, ds, dataRootOverride);
        if (dataRootOverride == null && ds.dataRoot() != null && cfg.dataRoot() != null && !ds.dataRoot().equals(cfg.dataRoot()))
            issues.sink().accept("warning: " + which + "_dataloader.dataset.data_root '" + ds.dataRoot()
                    + "' is not used: the data root is '" + cfg.dataRoot() + "' (data_root, or --data-root)");
        if (ds.isXml()) return filtered(cfg, ds, xml(c, ds, which + "_dataloader.dataset", issues), which + "_dataloader.dataset");
        if (ds.isCrowdHuman() || ds.isOpenImages()) { // its files and image folder as configured (no layout is guessed)
            Path ann = c.resolve(ds.annFile()), img = c.resolve(ds.imgPrefix());
            if (!Files.isRegularFile(ann)) throw new UserError(ann + ": no such file (" + which + "_dataloader.dataset.ann_file)");
            return filtered(cfg, ds, coco(c, ds, new Split(ann, img), which + "_dataloader.dataset", issues), which + "_dataloader.dataset");
        }
        Split split = null;
        if (ds.annFile() != null) {
            Path ann = c.resolve(ds.annFile());
            Path img = ds.imgPrefix() == null ? ann.getParent() : c.resolve(ds.imgPrefix());
            if (Files.isRegularFile(ann) && Files.isDirectory(img)) split = new Split(ann, img);
        }
        if (split == null && c.dataRoot() != null) {
            split = detect(Path.of(c.dataRoot()), train);
            if (split != null && ds.annFile() != null) // said, not silent: another file than the one configured
                issues.sink().accept("warning: " + which + "_dataloader.dataset.ann_file " + ds.annFile() + " (with its images"
                        + " folder) is not under " + c.dataRoot() + ": using the layout found there, " + split.annFile);
        }
        if (split == null) {
            String where = c.dataRoot() == null ? "(no data root: pass --data-root DIR)" : c.dataRoot();
            throw new UserError(where + ": no " + (train ? "train" : "val") + " split found: expected "
                    + (ds.annFile() == null ? "" : ds.annFile() + ", or ")
                    + "annotations/instances_" + (train ? "train2017" : "val2017") + ".json with "
                    + (train ? "train2017/" : "val2017/") + ", or annotations/instances_" + (train ? "train" : "val")
                    + ".json with images/");
        }
        return filtered(cfg, ds, coco(c, ds, split, which + "_dataloader.dataset", issues), which + "_dataloader.dataset");
    }

    private static String abbreviated(List<String> names) {
        return names.size() <= 5 ? names.toString() : names.subList(0, 5) + " (+" + (names.size() - 5) + " more)";
    }

    /**
     * A CocoDataset's (or LVIS dataset's, a COCO-format subclass's, a CrowdHumanDataset's) annotations, as loaded (see
     * {@link #filtered}); {@code c}: the config whose data root the dataset's other files resolve against.
     */
    private static CocoDataset coco(Config c, DatasetConfig ds, Split split, String key, DataIssues issues) {
        if (ds.isOpenImages()) return openImages(c, ds, split, key, issues).dataset();
        if (ds.isCrowdHuman()) {
            Path root = Path.of(c.dataRoot() == null ? "" : c.dataRoot());
            Path sizes = ds.extraAnnFile() != null ? c.resolve(ds.extraAnnFile())
                    : autoassign.data.CrowdHumanDataset.defaultSizesFile(root, split.annFile);
            if (ds.extraAnnFile() != null && !Files.isRegularFile(sizes))
                throw new UserError(sizes + ": no such file (" + key + ".extra_ann_file)");
            try {
                return autoassign.data.CrowdHumanDataset.load(split.annFile, split.imageDir,
                        ds.classes() != null ? ds.classes() : autoassign.data.CrowdHumanDataset.CLASSES, sizes, issues);
            } catch (autoassign.data.DataException e) {
                throw new UserError(e.getMessage());
            }
        }
        var sub = autoassign.data.CocoSubclass.of(ds.type());
        if (sub != null) return sub.load(split.annFile, split.imageDir, ds.classes(), issues);
        if (ds.isLvis())
            return autoassign.data.LvisDataset.load(split.annFile, split.imageDir, autoassign.data.LvisDataset.Version.of(ds.type()),
                    ds.classes(), issues);
        CocoDataset d = CocoDataset.load(split.annFile, split.imageDir, ds.classes(), issues);
        if (ds.classes() == null) { // MMDetection's CocoDataset then takes METAINFO's classes: COCO's 80 names
            List<String> foreign = d.categories().names().stream().filter(n -> !autoassign.eval.CocoClasses.NAMES.contains(n)).toList();
            if (!foreign.isEmpty())
                throw new UserError(split.annFile + ": " + key + ".metainfo.classes is not set, so MMDetection's CocoDataset takes"
                        + " COCO's 80 class names, and categories " + abbreviated(foreign) + " of this file are not among them"
                        + " (it would leave them out): set " + key + ".metainfo.classes");
        }
        return d;
    }

    /**
     * An OpenImagesDataset / OpenImagesChallengeDataset ({@link autoassign.data.OpenImagesDataset}), its files resolved
     * against {@code c}'s data root; a missing file or bad content is a one-line error naming it.
     */
    private static autoassign.data.OpenImagesDataset.Data openImages(Config c, DatasetConfig ds, Split split, String key,
                                                                    DataIssues issues) {
        DatasetConfig.OpenImages o = ds.openImages();
        Path label = c.resolve(o.labelFile()), meta = c.resolve(o.metaFile()), hierarchy = c.resolve(o.hierarchyFile());
        Path level = o.imageLevelAnnFile() == null ? null : c.resolve(o.imageLevelAnnFile());
        for (Object[] f : new Object[][] {{split.annFile, "ann_file"}, {label, "label_file"}, {meta, "meta_file"},
                {hierarchy, "hierarchy_file"}, {level, "image_level_ann_file"}})
            if (f[0] != null && !Files.isRegularFile((Path) f[0])) throw new UserError(f[0] + ": no such file (" + key + "." + f[1] + ")");
        try {
            return autoassign.data.OpenImagesDataset.load(autoassign.data.OpenImagesDataset.Kind.of(ds.type()),
                    new autoassign.data.OpenImagesDataset.Files(split.annFile, label, meta, hierarchy, level, split.imageDir), issues);
        } catch (autoassign.data.DataException e) {
            throw new UserError(e.getMessage());
        }
    }

    /**
     * The Open Images dataset of a dataloader with its per-image ground truth, relation matrix and image-level labels
     * (what {@code OpenImagesMetric} reads from the data samples and the dataset's metainfo), loaded from the same files
     * as {@link #load} / {@link #loadTest}; the images of those datasets are records of its {@link
     * autoassign.data.OpenImagesDataset.Data#dataset()} (ids = positions). An error when the dataset is of another type
     * (MMDetection's metric then fails: the dataset has no RELATION_MATRIX).
     *
     * @param which "val" or "test": which dataloader {@code dl} is (messages name it)
     */
    public static autoassign.data.OpenImagesDataset.Data openImages(Config cfg, DataLoaderConfig dl, String which,
                                                                   String dataRootOverride, DataIssues issues) {
        DatasetConfig ds = dl.dataset();
        if (!ds.isOpenImages())
            throw new UserError(cfg.source() + ": " + which + "_evaluator is an OpenImagesMetric, which needs an OpenImagesDataset or "
                    + "OpenImagesChallengeDataset (its class hierarchy and image-level labels), but " + which
                    + "_dataloader.dataset is a " + ds.type());
        Config c = rooted(cfg, ds, dataRootOverride);
        return openImages(c, ds, new Split(c.resolve(ds.annFile()), c.resolve(ds.imgPrefix())), which + "_dataloader.dataset", issues);
    }

    /** A VOCDataset's / XMLDataset's images and objects, its files resolved against {@code c}'s data root. */
    private static CocoDataset xml(Config c, DatasetConfig ds, String key, DataIssues issues) {
        DatasetConfig.Xml x = ds.xml();
        Path list = c.resolve(ds.annFile()), sub = c.resolve(x.subDataRoot());
        if (!Files.isRegularFile(list)) throw new UserError(list + ": no such image list (" + key + ".ann_file)");
        List<String> classes = ds.classes() != null ? ds.classes()
                : x.wider() ? autoassign.data.XmlDataset.WIDER_FACE_CLASSES : autoassign.data.XmlDataset.VOC_CLASSES;
        try {
            var layout = x.wider() ? autoassign.data.XmlDataset.Layout.wider(list, sub)
                    : new autoassign.data.XmlDataset.Layout(list, sub, x.imgSubdir(), x.annSubdir());
            return autoassign.data.XmlDataset.load(layout, classes, x.bboxMinSize(), issues);
        } catch (autoassign.data.DataException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** A loaded dataset with its {@code filter_cfg} and {@code indices} applied. */
    private static CocoDataset filtered(Config cfg, DatasetConfig ds, CocoDataset d, String key) {
        // filter_cfg outside test mode, as MMDetection's filter_data (min_size applies with or without filter_empty_gt);
        // CrowdHumanDataset and the Open Images datasets keep MMEngine's filter_data, which filters nothing
        var sub = autoassign.data.CocoSubclass.of(ds.type());
        if (!ds.testMode() && !ds.isCrowdHuman() && !ds.isOpenImages() && (ds.filterEmptyGt() || ds.minSize() > 0))
            d = sub != null ? sub.filter(d, ds.filterEmptyGt(), ds.minSize()) : d.filter(ds.filterEmptyGt(), ds.minSize());
        if (ds.indices() == null) return d;
        List<ImageRecord> kept = new ArrayList<>();
        try {
            for (int i : ds.indices().select(d.size())) kept.add(d.get(i));
        } catch (IllegalArgumentException e) {
            throw new UserError(cfg.source() + ": " + key + "." + e.getMessage());
        }
        return d.subset(kept);
    }

    /**
     * A ConcatDataset: each dataset loaded and filtered on its own, then joined ({@link CocoDataset#concat}). Each resolves
     * its files against {@code --data-root}, else its own data_root (MMEngine: every dataset has its own), else the
     * top-level one; its ann_file and image folder must exist (no layout is guessed for a part).
     */
    private static CocoDataset loadConcat(Config cfg, DatasetConfig ds, String which, String dataRootOverride, DataIssues issues) {
        String key = which + "_dataloader.dataset";
        List<CocoDataset> parts = new ArrayList<>();
        List<DatasetConfig> datasets = ds.datasets();
        for (int i = 0; i < datasets.size(); i++) {
            DatasetConfig part = datasets.get(i);
            String partKey = key + " (ConcatDataset part " + i + ")";
            Config c = dataRootOverride != null ? cfg.withDataRoot(dataRootOverride)
                    : part.dataRoot() != null ? cfg.withDataRoot(part.dataRoot()) : cfg;
            if (part.isXml()) {
                parts.add(filtered(cfg, part, xml(c, part, partKey, issues), partKey));
                continue;
            }
            Path ann = c.resolve(part.annFile());
            Path img = part.imgPrefix() == null ? ann.getParent() : c.resolve(part.imgPrefix());
            if (!Files.isRegularFile(ann)) throw new UserError(ann + ": no such file (" + partKey + ".ann_file)");
            if (!Files.isDirectory(img)) throw new UserError(img + ": no such folder (" + partKey + ".data_prefix.img)");
            parts.add(filtered(cfg, part, coco(c, part, new Split(ann, img), partKey, issues), partKey));
        }
        try {
            return CocoDataset.concat(parts);
        } catch (autoassign.data.DataException e) {
            throw new UserError(cfg.source() + ": " + key + ".datasets: " + e.getMessage());
        }
    }

    /**
     * The config a dataset's files resolve against. MMDetection reads the dataset's own data_root; here one data root
     * serves every split: {@code --data-root}, else the top-level {@code data_root}, else the dataset's own.
     */
    private static Config rooted(Config cfg, DatasetConfig ds, String dataRootOverride) {
        if (dataRootOverride != null) return cfg.withDataRoot(dataRootOverride);
        if (cfg.dataRoot() == null && ds.dataRoot() != null) return cfg.withDataRoot(ds.dataRoot());
        return cfg;
    }

    /**
     * The ground truth an evaluator scores against: its {@code ann_file} (MMDetection's CocoMetric reads it) under the data
     * root, else as written (MMDetection's Python configs write {@code data_root + 'annotations/...'}, a path from the
     * working folder; not when {@code --data-root} moved the data), else the dataset's own annotation file, with a
     * warning on the dataset's issue sink (synthetic data, or no {@code ann_file}: the dataset's file, silently).
     */
    public static Path groundTruthFile(Config cfg, DataLoaderConfig dl, autoassign.config.EvaluatorConfig ev,
                                       String dataRootOverride, CocoDataset dataset) {
        if (dl.dataset().isSynthetic() || ev == null || ev.annFile() == null) return dataset.annotationFile();
        Path p = rooted(cfg, dl.dataset(), dataRootOverride).resolve(ev.annFile());
        if (Files.isRegularFile(p)) return p;
        Path asWritten = Path.of(ev.annFile());
        if (dataRootOverride == null && Files.isRegularFile(asWritten)) return asWritten;
        dataset.issues().sink().accept("warning: the evaluator's ann_file " + ev.annFile() + " is not found (" + p
                + "): scoring against the dataset's annotation file " + dataset.annotationFile());
        return dataset.annotationFile();
    }

    /**
     * The ground truth an evaluator scores against: the file of {@link #groundTruthFile}, or the dataset's own parsed
     * instances on its images ({@link autoassign.eval.CocoGroundTruth#fromDataset}, ignored instances as crowd regions) where MMDetection's
     * metric takes the data samples' instances: a {@code VOCMetric} always, a {@code CocoMetric} without {@code ann_file}
     * ({@code gt_to_coco_json}). The synthetic dataset is always its file.
     */
    public static autoassign.eval.CocoGroundTruth groundTruth(Config cfg, DataLoaderConfig dl, autoassign.config.EvaluatorConfig ev,
                                                             String dataRootOverride, CocoDataset dataset) {
        if (!dl.dataset().isSynthetic() && ev != null && (ev.voc() || ev.annFile() == null))
            return autoassign.eval.CocoGroundTruth.fromDataset(dataset);
        return autoassign.eval.CocoGroundTruth.read(groundTruthFile(cfg, dl, ev, dataRootOverride, dataset));
    }

    /**
     * The ground truth an {@code LVISMetric} scores against: the file of {@link #groundTruthFile} (its {@code ann_file},
     * else the dataset's own annotation file, which holds the per-image category lists MMDetection's converted
     * ground truth would lack).
     */
    public static autoassign.eval.LvisGroundTruth lvisGroundTruth(Config cfg, DataLoaderConfig dl, autoassign.config.EvaluatorConfig ev,
                                                                 String dataRootOverride, CocoDataset dataset) {
        return autoassign.eval.LvisGroundTruth.read(groundTruthFile(cfg, dl, ev, dataRootOverride, dataset));
    }

    /**
     * The image ids of {@code dataset} by the names MMDetection gives them as {@code img_id} in results pickles: a VOC
     * dataset's list names ({@link autoassign.data.XmlDataset#idsByName}); empty for a COCO dataset (integer ids).
     */
    public static java.util.Map<String, Long> imageIdsByName(DataLoaderConfig dl, CocoDataset dataset) {
        if (dl.dataset().isCrowdHuman()) { // MMDetection's img_id: the record's ID
            java.util.Map<String, Long> out = new java.util.HashMap<>();
            for (ImageRecord r : dataset.images()) out.putIfAbsent(autoassign.data.CrowdHumanDataset.name(r), r.id());
            return out;
        }
        if (dl.dataset().isOpenImages()) { // MMDetection's img_id: the ImageID (the file name without .jpg)
            java.util.Map<String, Long> out = new java.util.HashMap<>();
            for (ImageRecord r : dataset.images()) out.putIfAbsent(openImagesId(r), r.id());
            return out;
        }
        if (!dl.dataset().isXml()) return java.util.Map.of();
        return autoassign.data.XmlDataset.idsByName(dataset, dl.dataset().xml().imgSubdir());
    }

    /** An Open Images record's {@code img_id}: its file's name without the extension (4 characters, as MMDetection cuts it). */
    public static String openImagesId(ImageRecord r) {
        String f = r.fileName().substring(r.fileName().lastIndexOf('/') + 1);
        return f.length() >= 4 ? f.substring(0, f.length() - 4) : "";
    }

    /** The train pipeline of a config: its Resize scale, its steps in order and the model's data preprocessor. */
    public static PipelineOptions trainPipeline(Config cfg) {
        return trainPipeline(cfg, cfg.trainDataloader().dataset().pipeline());
    }

    /** A training pipeline's steps {@code pc} with the config's data preprocessor (a hook's switch_pipeline too). */
    static PipelineOptions trainPipeline(Config cfg, autoassign.config.PipelineConfig pc) {
        var dp = cfg.model().dataPreprocessor();
        return new PipelineOptions(pc.scaleW(), pc.scaleH(), dp.meanArray(), dp.stdArray(), dp.padSizeDivisor(), pc.multiScale(),
                pc.transforms()).withBgrToRgb(dp.bgrToRgb());
    }
}
