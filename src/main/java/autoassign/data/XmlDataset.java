package autoassign.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * MMDetection's {@code XMLDataset} and {@code VOCDataset} (mmdet/datasets/xml_style.py, voc.py): the images named by a
 * list file ({@code ann_file}, one id per line, e.g. {@code VOC2007/ImageSets/Main/trainval.txt}), each with its
 * annotation XML {@code <sub_data_root>/<ann_subdir>/<id>.xml} and image {@code <sub_data_root>/<img_subdir>/<id>.jpg}.
 * As MMDetection reads them:
 * <ul>
 *   <li>an object whose name (as written, spaces included) is not a class is left out, its box unread; labels are the
 *       positions of the names in {@code classes};</li>
 *   <li>box corners are {@code int(float(text)) - 1} (VOC counts pixels from 1), kept whatever their size;</li>
 *   <li>{@code difficult} objects, and with {@code filter_cfg.bbox_min_size} objects narrower or lower than it, are
 *       ignored instances ({@code ignore_flag 1}): crowd regions here, left out of training and VOC's "difficult" in
 *       evaluation;</li>
 *   <li>the size is the XML's {@code <size>}, else the decoded image's;</li>
 *   <li>outside test mode {@code filter_empty_gt} drops images without objects of a class (ignored ones count), and
 *       {@code min_size} drops images with a side below it.</li>
 * </ul>
 * Image ids are the positions in the list; the name in the list is MMDetection's {@code img_id}, which results
 * pickles carry ({@link #name}, {@link #idsByName}).
 *
 * <p>{@code WIDERFaceDataset} (mmdet/datasets/wider_face.py) is an XMLDataset laid out differently ({@link Layout#wider}):
 * the XML is {@code <data_prefix.img>/Annotations/<id>.xml}, the image {@code <data_prefix.img>/<folder>/<id>.jpg} with
 * the XML's {@code <folder>}, the size must be in the XML, and corners are {@code int(float(text))} (no − 1).
 */
public final class XmlDataset {
    private XmlDataset() {}

    /** MMDetection's {@code VOCDataset.METAINFO['classes']}: the 20 VOC classes in label order. */
    public static final List<String> VOC_CLASSES = VocToCoco.CLASSES;

    /** {@code WIDERFaceDataset.METAINFO['classes']}. */
    public static final List<String> WIDER_FACE_CLASSES = List.of("face");

    /**
     * Where the files are.
     *
     * @param idList      the {@code ann_file}: image ids, one per line
     * @param subDataRoot {@code data_prefix.sub_data_root} (joined with the data root, as MMEngine joins prefixes)
     * @param imgSubdir   {@code img_subdir} (MMDetection's default {@code JPEGImages})
     * @param annSubdir   {@code ann_subdir} (default {@code Annotations})
     * @param wider       WIDER Face's layout: {@code subDataRoot} is {@code data_prefix.img}, the image folder is each
     *                    XML's {@code <folder>} ({@code imgSubdir} null), corners are not shifted
     */
    public record Layout(Path idList, Path subDataRoot, String imgSubdir, String annSubdir, boolean wider) {
        public Layout(Path idList, Path subDataRoot, String imgSubdir, String annSubdir) {
            this(idList, subDataRoot, imgSubdir, annSubdir, false);
        }

        /** WIDERFaceDataset's: {@code <imgRoot>/Annotations/<id>.xml} and {@code <imgRoot>/<folder>/<id>.jpg}. */
        public static Layout wider(Path idList, Path imgRoot) { return new Layout(idList, imgRoot, null, "Annotations", true); }
    }

    /**
     * Loads the listed images with their objects.
     *
     * @param classes     the class names, in label order
     * @param bboxMinSize {@code filter_cfg.bbox_min_size}, or null
     * @throws DataException naming the file on a missing list / XML, a malformed XML or an unreadable image (when its
     *                       size is needed)
     */
    public static CocoDataset load(Layout layout, List<String> classes, Double bboxMinSize, DataIssues issues) {
        List<String> ids = VocXml.imageIds(layout.idList());
        List<ImageRecord> records = new ArrayList<>(ids.size());
        CocoDataset.FloatList boxes = new CocoDataset.FloatList(), ignored = new CocoDataset.FloatList();
        CocoDataset.IntList labels = new CocoDataset.IntList(), ignoredLabels = new CocoDataset.IntList();
        int shift = layout.wider() ? 0 : 1; // VOC counts pixels from 1; WIDER's converted XMLs from 0 (minus_one=False)
        for (String id : ids) {
            Path xml = layout.subDataRoot().resolve(layout.annSubdir()).resolve(id + ".xml");
            if (!Files.isRegularFile(xml)) throw new DataException(xml + ": no such annotation file (listed in " + layout.idList() + ")");
            VocXml doc = VocXml.read(xml);
            String fileName;
            if (layout.wider()) {
                if (doc.folder() == null) throw new DataException(xml + ": has no <folder> (WIDERFaceDataset finds the image there)");
                if (doc.width() == null) throw new DataException(xml + ": has no <size> (WIDERFaceDataset reads it)");
                fileName = doc.folder() + "/" + id + ".jpg";
            } else {
                fileName = layout.imgSubdir() + "/" + id + ".jpg";
            }
            int width, height;
            if (doc.width() != null) {
                width = VocXml.integer(xml, "width", doc.width());
                height = VocXml.integer(xml, "height", doc.height());
            } else { // MMDetection decodes the image for its size
                Path image = layout.subDataRoot().resolve(fileName);
                try {
                    org.bytedeco.opencv.opencv_core.Mat m = ImageDecoder.decode(image);
                    width = m.cols();
                    height = m.rows();
                    m.close();
                } catch (BadImageException e) {
                    throw new DataException(xml + ": has no <size>, and its image cannot be read for it: " + e.getMessage());
                }
            }
            boxes.clear(); ignored.clear(); labels.clear(); ignoredLabels.clear();
            for (VocXml.Obj o : doc.objects()) {
                int label = classes.indexOf(o.name());
                if (label < 0) continue;
                int x1 = VocXml.truncated(xml, "xmin", VocXml.need(xml, "xmin", o.xmin())) - shift;
                int y1 = VocXml.truncated(xml, "ymin", VocXml.need(xml, "ymin", o.ymin())) - shift;
                int x2 = VocXml.truncated(xml, "xmax", VocXml.need(xml, "xmax", o.xmax())) - shift;
                int y2 = VocXml.truncated(xml, "ymax", VocXml.need(xml, "ymax", o.ymax())) - shift;
                boolean ignore = o.difficult() != null && VocXml.integer(xml, "difficult", o.difficult()) != 0;
                if (bboxMinSize != null && (x2 - x1 < bboxMinSize || y2 - y1 < bboxMinSize)) ignore = true;
                CocoDataset.FloatList dst = ignore ? ignored : boxes;
                dst.add(x1); dst.add(y1); dst.add(x2); dst.add(y2);
                (ignore ? ignoredLabels : labels).add(label);
            }
            records.add(new ImageRecord(records.size(), fileName, width, height, boxes.toArray(), labels.toArray(),
                    ignored.toArray(), ignoredLabels.toArray(), labels.n + ignoredLabels.n > 0));
        }
        long[] catIds = new long[classes.size()];
        for (int k = 0; k < catIds.length; k++) catIds[k] = k;
        return CocoDataset.of(layout.idList(), layout.subDataRoot(), new CategoryMap(catIds, classes.toArray(String[]::new)),
                records, issues);
    }

    /**
     * An image's name in the list, verbatim (MMDetection's {@code img_id}, which may hold folders): its file name
     * {@code <imgSubdir>/<name>.jpg} without those two; with WIDER Face's layout ({@code imgSubdir} null) the file
     * name {@code <folder>/<name>.jpg} without its folder.
     */
    public static String name(ImageRecord r, String imgSubdir) {
        String f = r.fileName(), tail = ".jpg";
        if (imgSubdir == null) return f.substring(f.lastIndexOf('/') + 1, f.length() - tail.length());
        String head = imgSubdir + "/";
        if (!f.startsWith(head) || !f.endsWith(tail)) throw new IllegalArgumentException(f + " is not " + head + "<name>" + tail);
        return f.substring(head.length(), f.length() - tail.length());
    }

    /** Each image's id by its {@link #name} (a name listed twice: its first image). */
    public static java.util.Map<String, Long> idsByName(CocoDataset d, String imgSubdir) {
        java.util.Map<String, Long> out = new java.util.HashMap<>();
        for (ImageRecord r : d.images()) out.putIfAbsent(name(r, imgSubdir), r.id());
        return out;
    }
}
