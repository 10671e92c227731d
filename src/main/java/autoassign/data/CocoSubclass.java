package autoassign.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * MMDetection 3.3's COCO-format subclasses of CocoDataset, boxes only: a COCO json read as CocoDataset reads it, with
 * their own default classes ({@code METAINFO}) and these differences:
 * <ul>
 *   <li>{@code Objects365V1Dataset} (objects365.py): the categories sorted by id before {@code get_cat_ids}, so labels
 *       follow ascending ids (the train and val files list them in different orders); 365 classes;</li>
 *   <li>{@code Objects365V2Dataset}: each {@code file_name} becomes its last folder and base name ({@code patchX/x.jpg}),
 *       and the three images of {@code objv2_ignore_list} (missing from the image folders) are left out; 365 classes;</li>
 *   <li>{@code CityscapesDataset} (cityscapes.py): 8 classes; its {@code filter_data} with {@code filter_empty_gt} also
 *       drops images whose instances are all ignored (crowd) or that have none left;</li>
 *   <li>{@code DeepFashionDataset} (deepfashion.py): 15 classes, nothing else.</li>
 * </ul>
 * The classes choose categories by name as CocoDataset's {@code get_cat_ids(cat_names=classes)} does: a default name the
 * file lacks is left out (MMDetection ignores it); a {@code metainfo.classes} name it lacks is an error, as for CocoDataset.
 */
public enum CocoSubclass {
    OBJECTS365_V1("Objects365V1Dataset"),
    OBJECTS365_V2("Objects365V2Dataset"),
    CITYSCAPES("CityscapesDataset"),
    DEEP_FASHION("DeepFashionDataset");

    private final String type;

    CocoSubclass(String type) { this.type = type; }

    /** The subclass of a config {@code type}, or null for another type. */
    public static CocoSubclass of(String type) {
        for (CocoSubclass s : values()) if (s.type.equals(type)) return s;
        return null;
    }

    public String type() { return type; }

    /** objects365.py's {@code objv2_ignore_list}: images in the annotations but not in the image folders. */
    public static final Set<String> OBJECTS365_V2_IGNORED = Set.of("patch16/objects365_v2_00908726.jpg",
            "patch6/objects365_v1_00320532.jpg", "patch6/objects365_v1_00320534.jpg");

    /** {@code METAINFO['classes']}. */
    public List<String> classes() {
        return switch (this) {
            case OBJECTS365_V1 -> CategoryMap.shippedClasses("/objects365/objects365_v1_classes.txt");
            case OBJECTS365_V2 -> CategoryMap.shippedClasses("/objects365/objects365_v2_classes.txt");
            case CITYSCAPES -> List.of("person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle");
            case DEEP_FASHION -> List.of("top", "skirt", "leggings", "dress", "outer", "pants", "bag", "neckwear", "headwear",
                    "eyeglass", "belt", "footwear", "hair", "skin", "face");
        };
    }

    /**
     * Loads the file as this subclass does.
     *
     * @param classes {@code metainfo.classes}, or null for {@link #classes()}
     * @throws DataException on a bad file, or a {@code metainfo.classes} name that is no category of it
     */
    public CocoDataset load(Path annFile, Path imageDir, List<String> classes, DataIssues issues) {
        CocoJson json = CocoJson.read(annFile, issues, this == OBJECTS365_V2 ? CocoSubclass::patchName : CocoJson.FileNames.COCO);
        if (this == OBJECTS365_V1) json = json.withCategoriesSortedById();
        List<String> names = classes;
        if (names == null) { // METAINFO's: get_cat_ids leaves out the names the file lacks
            Set<String> wanted = Set.copyOf(classes());
            names = json.categories().stream().map(CocoJson.Category::name).filter(wanted::contains).distinct().toList();
            if (names.isEmpty() && !json.categories().isEmpty()) // else CocoDataset's "no categories to train on" misleads
                throw new DataException(annFile + ": none of its " + json.categories().size() + " categories (e.g. '"
                        + json.categories().get(0).name() + "') is a class of " + type + " (" + classes().size() + " classes, e.g. '"
                        + classes().get(0) + "'); name them in metainfo.classes");
        }
        CocoDataset d = CocoDataset.fromJson(json, imageDir, names, issues);
        if (this == OBJECTS365_V2)
            d = d.subset(d.images().stream().filter(r -> !OBJECTS365_V2_IGNORED.contains(r.fileName())).toList());
        issues.summarize();
        return d;
    }

    /**
     * {@code filter_cfg} outside test mode: CocoDataset's, and for Cityscapes with {@code emptyGt} also images without a
     * kept (not crowd) box ({@code all(ignore_flag == 1)}, true of no instances too).
     */
    public CocoDataset filter(CocoDataset d, boolean emptyGt, int minSize) {
        CocoDataset kept = d.filter(emptyGt, minSize);
        if (this != CITYSCAPES || !emptyGt) return kept;
        return kept.subset(kept.images().stream().filter(r -> r.numBoxes() > 0).toList());
    }

    /** {@code osp.join(osp.split(osp.split(f)[0])[-1], osp.split(f)[-1])}: the last folder and the base name. */
    static String patchName(String fileName, String cocoUrl) {
        if (fileName == null) return null;
        int slash = fileName.lastIndexOf('/');
        String base = fileName.substring(slash + 1), dir = slash < 0 ? "" : fileName.substring(0, slash);
        String last = dir.substring(dir.lastIndexOf('/') + 1);
        return last.isEmpty() ? base : last + "/" + base;
    }
}
