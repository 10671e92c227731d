package autoassign.data;

import java.nio.file.Path;
import java.util.List;

/**
 * MMDetection 3.3's {@code LVISV1Dataset} and {@code LVISV05Dataset} (alias {@code LVISDataset}) of
 * mmdet/datasets/lvis.py: a COCO-format json read as CocoDataset reads it (boxes only, {@code filter_cfg} alike), with
 * <ul>
 *   <li>image file names as lvis.py derives them: v1 from {@code coco_url} without {@code http://images.cocodataset.org/}
 *       ({@code val2017/000000397133.jpg}: the split is in the name); v0.5 {@code file_name}, the last 16 characters of a
 *       COCO 2014 name ({@code COCO_val2014_000000397133.jpg} → {@code 000000397133.jpg});</li>
 *   <li>labels: every category of the file in the file's order ({@code cat2label} over {@code lvis.get_cat_ids()},
 *       whatever {@code metainfo.classes} says), named by the classes at the same position (the 1203 / 1230 names of
 *       lvis.py by default, in resources {@code lvis/lvis_v1_classes.txt}, {@code lvis/lvis_v0.5_classes.txt}).</li>
 * </ul>
 * The per-image {@code neg_category_ids} / {@code not_exhaustive_category_ids} and the categories' {@code frequency}
 * only matter to LVISMetric, which reads them from its annotation file ({@link autoassign.eval.LvisGroundTruth}).
 */
public final class LvisDataset {
    private LvisDataset() {}

    private static final String COCO_URL_PREFIX = "http://images.cocodataset.org/";

    /** The two LVIS releases MMDetection reads. */
    public enum Version {
        V05("lvis_v0.5"), V1("lvis_v1");

        private final String resource;

        Version(String resource) { this.resource = resource; }

        /** The config type's version: {@code LVISV1Dataset}, {@code LVISV05Dataset} / {@code LVISDataset}. */
        public static Version of(String type) {
            return switch (type) {
                case "LVISV1Dataset" -> V1;
                case "LVISV05Dataset", "LVISDataset" -> V05;
                default -> throw new IllegalArgumentException("not an LVIS dataset type: " + type);
            };
        }

        /** lvis.py's METAINFO classes of this version. */
        public List<String> classes() {
            return CategoryMap.shippedClasses("/lvis/" + resource + "_classes.txt");
        }

        /** An image's file name as lvis.py's {@code load_data_list} makes it (see the class comment). */
        public String fileName(String fileName, String cocoUrl) {
            if (this == V1) {
                if (cocoUrl == null) throw new IllegalArgumentException("no \"coco_url\" (LVISV1Dataset names its images by it)");
                return cocoUrl.replace(COCO_URL_PREFIX, "");
            }
            if (fileName == null) throw new IllegalArgumentException("no \"file_name\" (LVISV05Dataset names its images by it)");
            return fileName.startsWith("COCO") ? fileName.substring(Math.max(0, fileName.length() - 16)) : fileName;
        }
    }

    /**
     * Loads an LVIS annotation file.
     *
     * @param classes {@code metainfo.classes}, or null for the version's; there must be one per category of the file
     * @throws DataException on a bad file, or when the classes do not name every category
     */
    public static CocoDataset load(Path annotationFile, Path imageDir, Version version, List<String> classes, DataIssues issues) {
        CocoJson json = CocoJson.read(annotationFile, issues, version::fileName);
        CocoDataset all = CocoDataset.fromJson(json, imageDir, null, issues);
        List<String> names = classes != null ? classes : version.classes();
        CategoryMap cats = all.categories();
        if (cats.size() != names.size())
            throw new DataException(annotationFile + ": " + cats.size() + " categories, but " + names.size() + " classes ("
                    + (classes != null ? "metainfo.classes" : "LVIS " + version.resource) + "): MMDetection's LVIS datasets label every"
                    + " category of the file in its order, so the classes must name each of them");
        for (int k = 0; k < cats.size(); k++)
            if (!cats.name(k).equals(names.get(k))) { // labels follow the file; said once, as the names may be meant
                issues.sink().accept("warning: " + annotationFile.getFileName() + ": category " + cats.categoryId(k) + " is '"
                        + cats.name(k) + "' but class " + k + " is '" + names.get(k) + "' (labels follow the file's categories)");
                break;
            }
        issues.summarize();
        return CocoDataset.of(json.path(), imageDir, new CategoryMap(cats.ids(), names.toArray(String[]::new)), all.images(), issues);
    }
}
