package autoassign.data;

import autoassign.io.AtomicFiles;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * PASCAL VOC annotations to COCO json, as MMDetection's {@code tools/dataset_converters/pascal_voc.py --out-format
 * coco}: for each {@code VOC<year>/ImageSets/Main/<split>.txt} of a devkit, every listed image's XML becomes an image
 * ({@code file_name VOC<year>/JPEGImages/<name>.jpg}, ids from 0 in list order) and its objects annotations (box
 * corners minus 1, as VOC counts pixels from 1; {@code bbox} [x, y, w, h] truncated to integers; {@code difficult}
 * objects as {@code iscrowd: 1}, which training and COCO evaluation ignore), categories the 20 VOC classes with ids
 * 0..19. The written files are {@code voc07_*.json}, {@code voc12_*.json} and, with both years,
 * {@code voc0712_{train,val,trainval}.json}.
 */
public final class VocToCoco {
    private VocToCoco() {}

    /** MMDetection's {@code voc_classes()}, in label order. */
    public static final List<String> CLASSES = List.of("aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
            "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
            "tvmonitor");

    /** One VOC object: corners as in the XML (1-based pixels), its class index, and the difficult flag. */
    record VocObject(int label, int xmin, int ymin, int xmax, int ymax, boolean difficult) {}

    /** One parsed XML: the image's file name relative to the devkit, its size and objects. */
    record VocImage(String fileName, int width, int height, List<VocObject> objects) {}

    /**
     * Converts every split of every year found under {@code devkit} into {@code outDir}; {@code log} gets a line per
     * file. Every list and XML is read before the first file is written, so a bad annotation leaves no partial set.
     * Returns the files written.
     */
    public static List<Path> convertDevkit(Path devkit, Path outDir, Consumer<String> log) throws IOException {
        if (!Files.isDirectory(devkit)) throw new DataException(devkit + ": not a folder (a VOCdevkit with VOC2007 / VOC2012)");
        List<String> years = new ArrayList<>();
        for (String y : new String[] {"2007", "2012"}) if (Files.isDirectory(devkit.resolve("VOC" + y))) years.add(y);
        if (years.isEmpty()) throw new DataException(devkit + ": contains neither a VOC2007 nor a VOC2012 folder");
        Map<Path, List<VocImage>> outputs = new LinkedHashMap<>();
        for (String y : years)
            for (String split : new String[] {"train", "val", "trainval", "test"})
                convertSplit(devkit, List.of(y), split, outDir.resolve("voc" + y.substring(2) + "_" + split + ".json"), log, outputs);
        if (years.size() == 2)
            for (String split : new String[] {"train", "val", "trainval"})
                convertSplit(devkit, years, split, outDir.resolve("voc0712_" + split + ".json"), log, outputs);
        if (outputs.isEmpty())
            throw new DataException(devkit + ": no VOC<year>/ImageSets/Main/{train,val,trainval,test}.txt list found");
        Files.createDirectories(outDir);
        for (Map.Entry<Path, List<VocImage>> e : outputs.entrySet()) {
            write(e.getValue(), e.getKey());
            log.accept(e.getKey() + ": " + e.getValue().size() + " images, "
                    + e.getValue().stream().mapToInt(i -> i.objects().size()).sum() + " objects");
        }
        return new ArrayList<>(outputs.keySet());
    }

    private static void convertSplit(Path devkit, List<String> years, String split, Path out, Consumer<String> log,
                                     Map<Path, List<VocImage>> outputs) throws IOException {
        List<VocImage> images = new ArrayList<>();
        for (String y : years) {
            Path list = devkit.resolve("VOC" + y + "/ImageSets/Main/" + split + ".txt");
            if (!Files.isRegularFile(list)) {
                log.accept(list + ": no such list, " + out.getFileName() + " skipped");
                return;
            }
            for (String name : VocXml.imageIds(list))
                images.add(parse(devkit.resolve("VOC" + y + "/Annotations/" + name + ".xml"), "VOC" + y + "/JPEGImages/" + name + ".jpg"));
        }
        outputs.put(out, images);
    }

    /** Reads one VOC XML file; {@code fileName} is what the json will name the image. */
    static VocImage parse(Path xml, String fileName) {
        VocXml doc = VocXml.read(xml);
        if (doc.width() == null) throw new DataException(xml + ": <annotation> has no <size>");
        List<VocObject> objects = new ArrayList<>();
        for (int i = 0; i < doc.objects().size(); i++) {
            VocXml.Obj o = doc.objects().get(i);
            int label = CLASSES.indexOf(o.name());
            if (label < 0) throw new DataException(xml + ": object " + (i + 1) + ": '" + o.name() + "' is not a VOC class");
            boolean difficult = o.difficult() != null && VocXml.integer(xml, "difficult", o.difficult()) != 0; // absent: 0
            objects.add(new VocObject(label, VocXml.integer(xml, "xmin", VocXml.need(xml, "xmin", o.xmin())),
                    VocXml.integer(xml, "ymin", VocXml.need(xml, "ymin", o.ymin())),
                    VocXml.integer(xml, "xmax", VocXml.need(xml, "xmax", o.xmax())),
                    VocXml.integer(xml, "ymax", VocXml.need(xml, "ymax", o.ymax())), difficult));
        }
        return new VocImage(fileName, VocXml.integer(xml, "width", doc.width()), VocXml.integer(xml, "height", doc.height()),
                objects);
    }

    /** The COCO json of {@code images}: non-difficult objects of an image first, then its difficult ones. */
    static void write(List<VocImage> images, Path out) throws IOException {
        AtomicFiles.write(out, (OutputStream os) -> {
            try (JsonGenerator g = CocoJsonWriter.open(os)) {
                g.writeStartObject();
                g.writeArrayFieldStart("images");
                for (int id = 0; id < images.size(); id++) {
                    VocImage im = images.get(id);
                    CocoJsonWriter.image(g, id, im.fileName(), im.width(), im.height());
                }
                g.writeEndArray();
                CocoJsonWriter.typeAndCategories(g, CLASSES);
                g.writeArrayFieldStart("annotations");
                int annId = 0;
                for (int id = 0; id < images.size(); id++) {
                    for (boolean difficult : new boolean[] {false, true})
                        for (VocObject o : images.get(id).objects())
                            if (o.difficult() == difficult) writeAnnotation(g, annId++, id, o);
                }
                g.writeEndArray();
                g.writeEndObject();
            }
        });
    }

    private static void writeAnnotation(JsonGenerator g, int annId, int imageId, VocObject o) throws IOException {
        // 0-based corners, as the converter's float32 boxes; [x, y, w, h] and the area from them, truncated
        float x1 = o.xmin() - 1, y1 = o.ymin() - 1, x2 = o.xmax() - 1, y2 = o.ymax() - 1;
        float w = x2 - x1, h = y2 - y1;
        g.writeStartObject();
        g.writeArrayFieldStart("segmentation");
        g.writeArray(new int[] {(int) x1, (int) y1, (int) x1, (int) y2, (int) x2, (int) y2, (int) x2, (int) y1}, 0, 8);
        g.writeEndArray();
        g.writeNumberField("area", (int) (w * h));
        g.writeNumberField("ignore", 0);
        g.writeNumberField("iscrowd", o.difficult() ? 1 : 0);
        g.writeNumberField("image_id", imageId);
        g.writeArrayFieldStart("bbox");
        g.writeNumber((int) x1);
        g.writeNumber((int) y1);
        g.writeNumber((int) w);
        g.writeNumber((int) h);
        g.writeEndArray();
        g.writeNumberField("category_id", o.label());
        g.writeNumberField("id", annId);
        g.writeEndObject();
    }
}
