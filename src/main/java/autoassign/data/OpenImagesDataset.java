package autoassign.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * MMDetection 3.3's {@code OpenImagesDataset} and {@code OpenImagesChallengeDataset} (mmdet/datasets/openimages.py),
 * read as their {@code load_data_list} reads them:
 * <ul>
 *   <li>{@code label_file}: V6's {@code class-descriptions-boxable.csv} ({@code LabelName,DisplayName}, no header; the
 *       classes in file order), or the challenge's {@code cls-label-description.csv} ({@code LabelName,DisplayName,id},
 *       label = id - 1, classes ordered by id);</li>
 *   <li>{@code ann_file}: V6's {@code *-annotations-bbox.csv} (a header, then {@code ImageID,Source,LabelName,Confidence,
 *       XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside}; each run of rows of one ImageID is an
 *       image {@code <ImageID>.jpg}), or the challenge's {@code challenge-2019-*-detection-bbox.txt} (per image: its file
 *       name, a line that is skipped, the box count, then {@code label x1 y1 x2 y2 is_group_of} per box, labels from 1);</li>
 *   <li>{@code meta_file}: a pickle of one dict per image, in the same order, whose {@code filename} must name the image
 *       and whose {@code ori_shape[:2]} is its {@code (height, width)}: the coordinates, relative in both files, are
 *       multiplied by the width and height (in float64, float32 in the arrays MMDetection builds);</li>
 *   <li>{@code hierarchy_file}: V6's {@code bbox_labels_600_hierarchy.json}, turned into the relation matrix of
 *       {@code _convert_hierarchy_tree} (row = a class, true at itself and at each of its ancestors), or the challenge's
 *       {@code class_label_tree.np} (a NumPy array, its first row and column dropped);</li>
 *   <li>{@code image_level_ann_file} (optional): V6's {@code ImageID,Source,LabelName,Confidence} or the challenge's
 *       {@code ImageID,LabelName,Confidence} csv (a header first): per image the labels of all its rows, whatever their
 *       confidence (what OpenImagesMetric's {@code filter_labels} allows).</li>
 * </ul>
 * Every box is a training target (MMDetection sets {@code ignore_flag=0}; group-of boxes included) and nothing is
 * filtered (the dataset keeps MMEngine's {@code filter_data}). Image ids are the positions in the list. MMDetection 3.3's
 * challenge dataset stores the group-of flag as {@code is_group_ofs} (its metric then fails reading {@code is_group_of});
 * here it is the instance's group-of flag, as V6's.
 */
public final class OpenImagesDataset {
    private OpenImagesDataset() {}

    /** Which of the two layouts: MMDetection's {@code METAINFO['dataset_type']}. */
    public enum Kind {
        V6("OpenImagesDataset", "oid_v6"), CHALLENGE("OpenImagesChallengeDataset", "oid_challenge");

        private final String typeName, datasetType;

        Kind(String typeName, String datasetType) {
            this.typeName = typeName;
            this.datasetType = datasetType;
        }

        /** The config's {@code type}. */
        public String typeName() { return typeName; }

        /** {@code METAINFO['dataset_type']}: {@code oid_v6} or {@code oid_challenge}. */
        public String datasetType() { return datasetType; }

        /** The kind of a config {@code type}, or null for another type. */
        public static Kind of(String type) {
            for (Kind k : values()) if (k.typeName.equals(type)) return k;
            return null;
        }
    }

    /** The files of one dataset (resolved paths); {@code imageLevelAnnFile} may be null. */
    public record Files(Path annFile, Path labelFile, Path metaFile, Path hierarchyFile, Path imageLevelAnnFile, Path imageDir) {}

    /**
     * One box in pixels (float32 of MMDetection's float64 products), with its label and flags (the challenge file only
     * has the group-of flag; the others are false there).
     */
    public record Instance(float x1, float y1, float x2, float y2, int label, boolean groupOf, boolean occluded,
                           boolean truncated, boolean depiction, boolean inside) {}

    /**
     * One entry of {@code data_list}.
     *
     * @param imageLevelLabels the image-level labels (null when the dataset has no {@code image_level_ann_file})
     * @param confidences      their confidences (null likewise)
     */
    public record Image(String imgId, String fileName, int height, int width, List<Instance> instances,
                        int[] imageLevelLabels, float[] confidences) {}

    /**
     * A loaded dataset: its classes, the relation matrix ({@code RELATION_MATRIX}: {@code relation[c][p]} when {@code p}
     * is {@code c} or one of its ancestors), the images, and the same images as a {@link CocoDataset} for training and
     * inference (category ids 0..C-1 = the labels; record id = the position in {@link #images}).
     */
    public record Data(Kind kind, List<String> classes, boolean[][] relation, List<Image> images, CocoDataset dataset) {
        /** The entry of a record of {@link #dataset} (or of a subset of it). */
        public Image image(ImageRecord r) { return images.get((int) r.id()); }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Loads a dataset of either kind.
     *
     * @throws DataException naming the file and the problem (a missing column, an unknown label, a bad pickle, ...)
     */
    public static Data load(Kind kind, Files f, DataIssues issues) {
        Labels labels = kind == Kind.V6 ? v6Labels(f.labelFile()) : challengeLabels(f.labelFile());
        Map<String, List<int[]>> imageLevel = f.imageLevelAnnFile() == null ? null : imageLevel(kind, f.imageLevelAnnFile(), labels);
        boolean[][] relation = kind == Kind.V6 ? hierarchyJson(f.hierarchyFile(), labels) : hierarchyNpy(f.hierarchyFile(), labels.names.size());
        List<Raw> raw = kind == Kind.V6 ? v6Boxes(f.annFile(), labels) : challengeBoxes(f.annFile(), labels.names.size());
        List<int[]> shapes = metas(f.metaFile(), raw, kind);
        List<Image> images = new ArrayList<>(raw.size());
        List<ImageRecord> records = new ArrayList<>(raw.size());
        for (int i = 0; i < raw.size(); i++) {
            Raw r = raw.get(i);
            int h = shapes.get(i)[0], w = shapes.get(i)[1];
            List<Instance> inst = new ArrayList<>(r.boxes.size());
            float[] boxes = new float[4 * r.boxes.size()];
            int[] lab = new int[r.boxes.size()];
            for (int k = 0; k < r.boxes.size(); k++) {
                RawBox b = r.boxes.get(k);
                float x1 = (float) (b.x1 * w), y1 = (float) (b.y1 * h), x2 = (float) (b.x2 * w), y2 = (float) (b.y2 * h);
                inst.add(new Instance(x1, y1, x2, y2, b.label, b.flags[2], b.flags[0], b.flags[1], b.flags[3], b.flags[4]));
                boxes[4 * k] = x1; boxes[4 * k + 1] = y1; boxes[4 * k + 2] = x2; boxes[4 * k + 3] = y2;
                lab[k] = b.label;
            }
            int[] ill = null;
            float[] conf = null;
            if (imageLevel != null) {
                List<int[]> anns = imageLevel.getOrDefault(r.imgId, List.of());
                ill = new int[anns.size()];
                conf = new float[anns.size()];
                for (int k = 0; k < anns.size(); k++) {
                    ill[k] = anns.get(k)[0];
                    conf[k] = Float.intBitsToFloat(anns.get(k)[1]);
                }
            }
            images.add(new Image(r.imgId, r.fileName, h, w, List.copyOf(inst), ill, conf));
            records.add(new ImageRecord(i, r.fileName, w, h, boxes, lab, new float[0], new int[0], lab.length > 0));
        }
        long[] ids = new long[labels.names.size()];
        for (int k = 0; k < ids.length; k++) ids[k] = k;
        CocoDataset ds = CocoDataset.of(f.annFile(), f.imageDir(), new CategoryMap(ids, labels.names.toArray(String[]::new)),
                records, issues);
        return new Data(kind, List.copyOf(labels.names), relation, List.copyOf(images), ds);
    }

    // ---- label files ----

    private record Labels(List<String> names, Map<String, Integer> byMid, Path file) {
        int of(String mid, Path where, String line) {
            Integer l = byMid.get(mid);
            if (l == null) throw new DataException(where + ": " + line + ": unknown label " + mid + " (not in " + file + ")");
            return l;
        }
    }

    /** {@code OpenImagesDataset._parse_label_file}: every row {@code LabelName,DisplayName}, in order. */
    private static Labels v6Labels(Path file) {
        List<String> names = new ArrayList<>();
        Map<String, Integer> byMid = new HashMap<>();
        PythonCsv.forEach(file, (n, row) -> {
            if (row.size() < 2) throw new DataException(file + ": row " + n + " has " + row.size() + " column(s), expected LabelName,DisplayName");
            names.add(row.get(1));
            byMid.put(row.get(0), names.size() - 1); // a repeated LabelName: its last row, as the dict comprehension
        });
        if (names.isEmpty()) throw new DataException(file + ": no classes (an empty label file)");
        return new Labels(names, byMid, file);
    }

    /** {@code OpenImagesChallengeDataset._parse_label_file}: {@code LabelName,DisplayName,id}; label id - 1, names by id. */
    private static Labels challengeLabels(Path file) {
        List<String> display = new ArrayList<>();
        List<Integer> idList = new ArrayList<>();
        Map<String, Integer> byMid = new HashMap<>();
        PythonCsv.forEach(file, (n, row) -> {
            if (row.size() < 3) throw new DataException(file + ": row " + n + " has " + row.size() + " column(s), expected LabelName,DisplayName,id");
            int id = parseInt(row.get(2), file, "row " + n + " id");
            display.add(row.get(1));
            idList.add(id);
            byMid.put(row.get(0), id - 1);
        });
        if (display.isEmpty()) throw new DataException(file + ": no classes (an empty label file)");
        Integer[] order = new Integer[display.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Integer.compare(idList.get(a), idList.get(b))); // np.argsort(id_list)
        List<String> names = new ArrayList<>();
        for (int i : order) names.add(display.get(i));
        for (int i = 0; i < order.length; i++)
            if (idList.get(order[i]) != i + 1)
                throw new DataException(file + ": the ids must be 1.." + order.length + " (labels are id - 1), got " + idList.get(order[i])
                        + " where " + (i + 1) + " is expected");
        return new Labels(names, byMid, file);
    }

    // ---- boxes ----

    private record RawBox(double x1, double y1, double x2, double y2, int label, boolean[] flags) {}

    private record Raw(String imgId, String fileName, List<RawBox> boxes) {}

    private static final String V6_COLUMNS = "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,"
            + "IsGroupOf,IsDepiction,IsInside";

    /** {@code OpenImagesDataset.load_data_list}'s csv loop: a header, then one row per box; runs of one ImageID. */
    private static List<Raw> v6Boxes(Path file, Labels labels) {
        List<Raw> out = new ArrayList<>();
        String[] flagNames = java.util.Arrays.copyOfRange(V6_COLUMNS.split(","), 8, 13);
        PythonCsv.forEach(file, (n, line) -> {
            if (n == 1) return; // the header
            String where = "row " + n;
            if (line.size() < 13)
                throw new DataException(file + ": " + where + " has " + line.size() + " column(s), expected 13 (" + V6_COLUMNS + ")");
            String imgId = line.get(0);
            int label = labels.of(line.get(2), file, where);
            boolean[] flags = new boolean[5];
            for (int k = 0; k < 5; k++) flags[k] = parseInt(line.get(8 + k), file, where + " " + flagNames[k]) == 1;
            RawBox b = new RawBox(parseFloat(line.get(4), file, where + " XMin"), parseFloat(line.get(6), file, where + " YMin"),
                    parseFloat(line.get(5), file, where + " XMax"), parseFloat(line.get(7), file, where + " YMax"), label, flags);
            Raw current = out.isEmpty() ? null : out.get(out.size() - 1);
            if (current == null || !current.imgId.equals(imgId)) { // a new run of rows: a new image
                current = new Raw(imgId, imgId + ".jpg", new ArrayList<>());
                out.add(current);
            }
            current.boxes.add(b);
        });
        if (out.isEmpty()) throw new DataException(file + ": no boxes (MMDetection's reader needs a header and at least one row)");
        return out;
    }

    /** {@code OpenImagesChallengeDataset.load_data_list}'s txt loop, streamed line by line. */
    private static List<Raw> challengeBoxes(Path file, int numClasses) {
        List<Raw> out = new ArrayList<>();
        try (java.io.BufferedReader in = java.nio.file.Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int lineNo = 0;
            for (String name; (name = in.readLine()) != null; ) {
                lineNo++;
                String filename = name.stripTrailing();
                int headLine = lineNo;
                String skipped = in.readLine(), count = skipped == null ? null : in.readLine(); // i += 2; int(lines[i])
                lineNo += 2;
                if (count == null)
                    throw new DataException(file + ": line " + headLine + ": image " + filename + " has no box count line");
                int n = parseInt(count, file, "line " + lineNo + " (the box count of " + filename + ")");
                if (n < 0) throw new DataException(file + ": line " + lineNo + ": a negative box count " + n);
                List<RawBox> boxes = new ArrayList<>(n);
                for (int j = 0; j < n; j++) {
                    String line = in.readLine();
                    lineNo++;
                    if (line == null)
                        throw new DataException(file + ": image " + filename + " lists " + n + " boxes, the file ends after " + j);
                    String where = "line " + lineNo;
                    String[] sp = line.trim().split("\\s+");
                    if (sp.length < 6)
                        throw new DataException(file + ": " + where + " has " + sp.length + " field(s), expected 6 (label x1 y1 x2 y2 is_group_of)");
                    int label = parseInt(sp[0], file, where + " label") - 1;
                    if (label < 0 || label >= numClasses)
                        throw new DataException(file + ": " + where + ": unknown label " + sp[0] + " (the label file has ids 1.." + numClasses + ")");
                    boolean[] flags = new boolean[5];
                    flags[2] = parseInt(sp[5], file, where + " is_group_of") == 1;
                    boxes.add(new RawBox(parseFloat(sp[1], file, where + " x1"), parseFloat(sp[2], file, where + " y1"),
                            parseFloat(sp[3], file, where + " x2"), parseFloat(sp[4], file, where + " y2"), label, flags));
                }
                out.add(new Raw(null, filename, boxes));
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw new DataException(file + ": no such file");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (out.isEmpty()) throw new DataException(file + ": no images");
        return out;
    }

    // ---- image metas ----

    /** The {@code (height, width)} of each image from the meta pickle, checked against the images in order. */
    private static List<int[]> metas(Path file, List<Raw> raw, Kind kind) {
        Object root;
        try {
            root = autoassign.io.PthReader.readPickle(file);
        } catch (autoassign.io.CheckpointException e) {
            throw new DataException(file + ": not a readable pickle of image metas (" + e.problem() + ")");
        } catch (RuntimeException e) {
            throw new DataException(file + ": not a readable pickle of image metas (" + e.getMessage() + ")");
        }
        if (!(root instanceof List<?> metas))
            throw new DataException(file + ": the pickle holds a " + autoassign.io.pickle.Unpickler.typeName(root)
                    + ", not a list of image metas (dicts with filename and ori_shape)");
        if (metas.size() != raw.size())
            throw new DataException(file + ": " + metas.size() + " image metas, but the annotation file has " + raw.size() + " images");
        List<int[]> out = new ArrayList<>(metas.size());
        for (int i = 0; i < metas.size(); i++) {
            String what = "meta " + i;
            if (!(metas.get(i) instanceof Map<?, ?> m))
                throw new DataException(file + ": " + what + " is a " + autoassign.io.pickle.Unpickler.typeName(metas.get(i)) + ", not a dict");
            if (!(m.get("filename") instanceof String name))
                throw new DataException(file + ": " + what + " has no filename string");
            if (!(m.get("ori_shape") instanceof List<?> shape) || shape.size() < 2 || !(shape.get(0) instanceof Number)
                    || !(shape.get(1) instanceof Number))
                throw new DataException(file + ": " + what + " has no ori_shape (height, width[, channels])");
            String base = name.substring(name.lastIndexOf('/') + 1);
            Raw r = raw.get(i);
            if (kind == Kind.V6) {
                if (!base.equals(r.imgId + ".jpg"))
                    throw new DataException(file + ": " + what + " is " + name + ", but image " + i + " of the annotation file is " + r.imgId + ".jpg");
            } else {
                String img = r.fileName.substring(r.fileName.lastIndexOf('/') + 1);
                String a = img.length() >= 4 ? img.substring(0, img.length() - 4) : "", b = base.length() >= 4 ? base.substring(0, base.length() - 4) : "";
                if (!a.equals(b))
                    throw new DataException(file + ": " + what + " is " + name + ", but image " + i + " of the annotation file is " + r.fileName);
                raw.set(i, new Raw(a, r.fileName, r.boxes)); // img_id: the file name without its extension
            }
            out.add(new int[] {((Number) shape.get(0)).intValue(), ((Number) shape.get(1)).intValue()});
        }
        return out;
    }

    // ---- image-level labels ----

    /** Per ImageID its {label, float bits of the confidence} in file order (a header row first). */
    private static Map<String, List<int[]>> imageLevel(Kind kind, Path file, Labels labels) {
        Map<String, List<int[]>> out = new HashMap<>();
        int need = kind == Kind.V6 ? 4 : 3;
        String columns = kind == Kind.V6 ? "ImageID,Source,LabelName,Confidence" : "ImageID,LabelName,Confidence";
        PythonCsv.forEach(file, (n, line) -> {
            if (n == 1) return; // the header
            String where = "row " + n;
            if (line.size() < need)
                throw new DataException(file + ": " + where + " has " + line.size() + " column(s), expected " + need + " (" + columns + ")");
            int label = labels.of(line.get(need - 2), file, where);
            float conf = (float) parseFloat(line.get(need - 1), file, where + " Confidence");
            out.computeIfAbsent(line.get(0), k -> new ArrayList<>()).add(new int[] {label, Float.floatToIntBits(conf)});
        });
        return out;
    }

    // ---- hierarchy ----

    /** {@code _get_relation_matrix} + {@code _convert_hierarchy_tree} over the json hierarchy. */
    private static boolean[][] hierarchyJson(Path file, Labels labels) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new DataException(file + ": not a json class hierarchy (" + CocoJson.oneLine(e.getMessage()) + ")");
        }
        if (root == null || !root.isObject()) throw new DataException(file + ": not a json object {LabelName, Subcategory: [...]}");
        int c = labels.names.size();
        boolean[][] rel = new boolean[c][c];
        for (int k = 0; k < c; k++) rel[k][k] = true; // np.eye
        convert(root, rel, List.of(), file, labels);
        return rel;
    }

    private static void convert(JsonNode map, boolean[][] rel, List<Integer> parents, Path file, Labels labels) {
        JsonNode sub = map.get("Subcategory");
        if (sub == null) return;
        if (!sub.isArray()) throw new DataException(file + ": a Subcategory is not a list");
        for (JsonNode node : sub) {
            if (!node.isObject() || !node.has("LabelName")) continue;
            String name = node.get("LabelName").asText();
            Integer child = labels.byMid.get(name);
            if (child == null) throw new DataException(file + ": LabelName " + name + " is not in the label file " + labels.file);
            List<Integer> children = new ArrayList<>();
            children.add(child);
            for (int p : parents) {
                children.add(p); // get_all_parents
                rel[child][p] = true;
            }
            convert(node, rel, children, file, labels);
        }
    }

    /**
     * The challenge's {@code np.load(hierarchy_file)[1:, 1:]}: a 2-d NumPy {@code .npy} array of
     * (classes + 1) x (classes + 1), true where non-zero.
     */
    private static boolean[][] hierarchyNpy(Path file, int numClasses) {
        byte[] b;
        try {
            b = java.nio.file.Files.readAllBytes(file);
        } catch (IOException e) {
            throw new DataException(file + ": cannot read the class hierarchy (" + e.getMessage() + ")");
        }
        if (b.length < 10 || (b[0] & 0xff) != 0x93 || !new String(b, 1, 5, StandardCharsets.ISO_8859_1).equals("NUMPY"))
            throw new DataException(file + ": not a NumPy .npy array (the challenge's class_label_tree.np)");
        int major = b[6];
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen = major == 1 ? (bb.getShort(8) & 0xffff) : bb.getInt(8);
        int start = major == 1 ? 10 : 12;
        if (start + headerLen > b.length) throw new DataException(file + ": a truncated .npy header");
        String header = new String(b, start, headerLen, StandardCharsets.ISO_8859_1);
        String descr = headerValue(header, "descr", file).replace("'", "").trim();
        boolean fortran = headerValue(header, "fortran_order", file).trim().equals("True");
        String shapeText = headerValue(header, "shape", file).replaceAll("[()\\s]", "");
        String[] dims = shapeText.split(",");
        if (dims.length != 2 || dims[0].isEmpty() || dims[1].isEmpty())
            throw new DataException(file + ": the class hierarchy must be a 2-d array, got shape (" + shapeText + ")");
        int rows = Integer.parseInt(dims[0]), cols = Integer.parseInt(dims[1]);
        if (rows != numClasses + 1 || cols != numClasses + 1)
            throw new DataException(file + ": a " + rows + " x " + cols + " class hierarchy, expected " + (numClasses + 1) + " x "
                    + (numClasses + 1) + " (the label file's " + numClasses + " classes and a first row / column, which is dropped)");
        int size;
        ByteOrder order = descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        String t = descr.substring(1);
        switch (t) {
            case "f8", "i8", "u8" -> size = 8;
            case "f4", "i4", "u4" -> size = 4;
            case "i2", "u2", "f2" -> size = 2;
            case "b1", "i1", "u1" -> size = 1;
            default -> throw new DataException(file + ": unsupported .npy dtype " + descr + " for the class hierarchy");
        }
        int data = start + headerLen;
        if (data + (long) rows * cols * size > b.length) throw new DataException(file + ": the .npy data is truncated");
        ByteBuffer d = ByteBuffer.wrap(b, data, b.length - data).slice().order(order);
        boolean[][] rel = new boolean[numClasses][numClasses];
        for (int r = 1; r < rows; r++)
            for (int c = 1; c < cols; c++) {
                int idx = (fortran ? c * rows + r : r * cols + c) * size;
                boolean nz = switch (t) {
                    case "f8" -> d.getDouble(idx) != 0;
                    case "f4" -> d.getFloat(idx) != 0;
                    case "i8", "u8" -> d.getLong(idx) != 0;
                    case "i4", "u4" -> d.getInt(idx) != 0;
                    case "f2" -> (d.getShort(idx) & 0x7fff) != 0; // ±0 is zero
                    case "i2", "u2" -> d.getShort(idx) != 0;
                    default -> d.get(idx) != 0;
                };
                rel[r - 1][c - 1] = nz;
            }
        return rel;
    }

    private static String headerValue(String header, String key, Path file) {
        int k = header.indexOf("'" + key + "'");
        if (k < 0) throw new DataException(file + ": the .npy header has no " + key);
        int colon = header.indexOf(':', k);
        int end = key.equals("shape") ? header.indexOf(')', colon) + 1 : header.indexOf(',', colon);
        if (colon < 0 || end <= 0) throw new DataException(file + ": a malformed .npy header");
        return header.substring(colon + 1, end);
    }

    // ---- small parsers ----

    private static int parseInt(String s, Path file, String what) {
        try {
            return Integer.parseInt(s.strip().replace("_", "")); // Python's int(): surrounding blanks allowed
        } catch (NumberFormatException e) {
            throw new DataException(file + ": " + what + " is not an integer: '" + s + "'");
        }
    }

    private static double parseFloat(String s, Path file, String what) {
        String t = s.strip();
        try {
            if (t.equalsIgnoreCase("nan")) return Double.NaN;
            if (t.equalsIgnoreCase("inf") || t.equalsIgnoreCase("+inf") || t.equalsIgnoreCase("infinity")) return Double.POSITIVE_INFINITY;
            if (t.equalsIgnoreCase("-inf") || t.equalsIgnoreCase("-infinity")) return Double.NEGATIVE_INFINITY;
            if (t.isEmpty() || t.endsWith("d") || t.endsWith("D") || t.endsWith("f") || t.endsWith("F")) throw new NumberFormatException();
            return Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new DataException(file + ": " + what + " is not a number: '" + s + "'");
        }
    }

    /** The images' ImageIDs → record ids (what MMDetection's results pickles name as {@code img_id}). */
    public static Map<String, Long> idsByName(Data d) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < d.images().size(); i++) out.putIfAbsent(d.images().get(i).imgId(), (long) i);
        return out;
    }
}
