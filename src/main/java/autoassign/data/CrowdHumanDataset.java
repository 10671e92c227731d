package autoassign.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * MMDetection 3.3's {@code CrowdHumanDataset} (mmdet/datasets/crowdhuman.py): the {@link Odgt} records in file order,
 * as its {@code parse_data_info} reads them:
 * <ul>
 *   <li>the image is {@code <data_prefix.img>/<ID>.jpg}; its size comes from the {@code extra_ann_file} json
 *       ({@code {ID: [height, width]}}), by default {@code <data_root>/id_hw_train.json} or {@code id_hw_val.json} (as
 *       the annotation file's name holds "train" or "val"), else from the decoded image, after which that file is
 *       written as MMDetection writes it (a failure to write is a warning);</li>
 *   <li>each person's box is its full-body {@code fbox} {@code [x, y, w, h]} as corners, kept whatever its size or
 *       position; a tag that is not a class ({@code mask}: crowds, reflections) or {@code extra.ignore != 0} makes it an
 *       ignored instance: a crowd region here, left out of training;</li>
 *   <li>{@code filter_cfg} filters nothing (the class inherits MMEngine's {@code BaseDataset.filter_data}).</li>
 * </ul>
 * Image ids are the positions in the file; the {@code ID} is the file name without {@code .jpg} ({@link #name}).
 */
public final class CrowdHumanDataset {
    private CrowdHumanDataset() {}

    /** {@code METAINFO['classes']}. */
    public static final List<String> CLASSES = List.of("person");

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Loads an {@code .odgt} file.
     *
     * @param classes   the class names ({@code metainfo.classes}, default {@link #CLASSES}); a person's tag is its label
     * @param sizesFile {@code extra_ann_file} or the default {@code id_hw_*.json}; null: none (sizes decoded, nothing written)
     * @throws DataException naming the file on a bad record, an unreadable image, or a sizes file without an image
     */
    public static CocoDataset load(Path annFile, Path imageDir, List<String> classes, Path sizesFile, DataIssues issues) {
        List<Odgt.Entry> entries = Odgt.read(annFile);
        Map<String, int[]> sizes = sizesFile != null && Files.isRegularFile(sizesFile) ? readSizes(sizesFile) : null;
        Map<String, int[]> decoded = new LinkedHashMap<>();
        List<ImageRecord> records = new ArrayList<>(entries.size());
        CocoDataset.FloatList boxes = new CocoDataset.FloatList(), ignored = new CocoDataset.FloatList();
        CocoDataset.IntList labels = new CocoDataset.IntList(), ignoredLabels = new CocoDataset.IntList();
        for (Odgt.Entry e : entries) {
            String fileName = e.id() + ".jpg";
            int[] hw;
            if (sizes != null) {
                hw = sizes.get(e.id());
                if (hw == null) throw new DataException(sizesFile + ": no size of image " + e.id() + " (listed in " + annFile + ")");
            } else {
                hw = decodedSize(imageDir.resolve(fileName), annFile);
                decoded.put(e.id(), hw);
            }
            boxes.clear(); ignored.clear(); labels.clear(); ignoredLabels.clear();
            for (Odgt.Person p : e.people()) {
                int label = classes.indexOf(p.tag());
                boolean ignore = label < 0 || p.extraIgnore();
                CocoDataset.FloatList dst = ignore ? ignored : boxes;
                double[] b = p.fbox();
                dst.add((float) b[0]); dst.add((float) b[1]); dst.add((float) (b[0] + b[2])); dst.add((float) (b[1] + b[3]));
                (ignore ? ignoredLabels : labels).add(Math.max(label, 0)); // an ignored box's label is never read
            }
            records.add(new ImageRecord(records.size(), fileName, hw[1], hw[0], boxes.toArray(), labels.toArray(),
                    ignored.toArray(), ignoredLabels.toArray(), labels.n + ignoredLabels.n > 0));
        }
        if (sizesFile != null && sizes == null) writeSizes(sizesFile, decoded, issues);
        long[] ids = new long[classes.size()];
        for (int k = 0; k < ids.length; k++) ids[k] = k;
        return CocoDataset.of(annFile, imageDir, new CategoryMap(ids, classes.toArray(String[]::new)), records, issues);
    }

    /**
     * The sizes file MMDetection uses when the config gives no {@code extra_ann_file}: {@code id_hw_train.json} or
     * {@code id_hw_val.json} in the data root, as the annotation file's name holds "train" or "val"; null when it holds
     * neither (MMDetection then fails; here the sizes are decoded each time).
     */
    public static Path defaultSizesFile(Path dataRoot, Path annFile) {
        String name = String.valueOf(annFile.getFileName());
        String split = name.contains("train") ? "train" : name.contains("val") ? "val" : null;
        return split == null ? null : dataRoot.resolve("id_hw_" + split + ".json");
    }

    /** An image's {@code ID}: its file name without {@code .jpg}. */
    public static String name(ImageRecord r) {
        String f = r.fileName();
        if (!f.endsWith(".jpg")) throw new IllegalArgumentException(f + " is not <ID>.jpg");
        return f.substring(0, f.length() - 4);
    }

    private static int[] decodedSize(Path image, Path annFile) {
        try {
            org.bytedeco.opencv.opencv_core.Mat m = ImageDecoder.decode(image);
            int[] hw = {m.rows(), m.cols()};
            m.close();
            return hw;
        } catch (BadImageException e) {
            throw new DataException(annFile + ": the size of an image is read from it, and it cannot be read: " + e.getMessage());
        }
    }

    private static Map<String, int[]> readSizes(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new DataException(file + ": not a json file of image sizes (" + CocoJson.oneLine(e.getMessage()) + ")");
        }
        if (root == null || !root.isObject()) throw new DataException(file + ": not a json object {ID: [height, width]}");
        Map<String, int[]> out = new LinkedHashMap<>();
        var it = root.fields();
        while (it.hasNext()) {
            var f = it.next();
            JsonNode v = f.getValue();
            if (!v.isArray() || v.size() < 2 || !v.get(0).isNumber() || !v.get(1).isNumber())
                throw new DataException(file + ": the size of " + f.getKey() + " is not [height, width]");
            out.put(f.getKey(), new int[] {v.get(0).asInt(), v.get(1).asInt()});
        }
        return out;
    }

    /** MMDetection's cache of the decoded sizes; a failure to write it is a warning, as there. */
    private static void writeSizes(Path file, Map<String, int[]> sizes, DataIssues issues) {
        ObjectNode root = JSON.createObjectNode();
        sizes.forEach((id, hw) -> root.putArray(id).add(hw[0]).add(hw[1]));
        try { // a unique temp file, removed when the write or the rename fails (a fixed name was left behind)
            byte[] bytes = JSON.writeValueAsBytes(root);
            autoassign.io.AtomicFiles.write(file, out -> out.write(bytes));
        } catch (IOException e) {
            String why = e instanceof java.nio.file.AccessDeniedException ? e.getMessage() + ": permission denied"
                    : e instanceof java.nio.file.NoSuchFileException ? e.getMessage() + ": no such folder" : e.getMessage();
            issues.sink().accept("warning: " + file + ": cannot save the image sizes (" + why + "); they are read "
                    + "from the images again next time");
        }
    }
}
