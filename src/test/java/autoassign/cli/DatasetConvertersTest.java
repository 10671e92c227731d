package autoassign.cli;

import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code voc2coco} and {@code images2coco}: MMDetection's dataset converters. */
class DatasetConvertersTest {
    @TempDir Path tmp;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static int run(Object command, StringWriter out, StringWriter err, String... args) {
        CliRun r = CliRun.run(command, args);
        out.write(r.out());
        err.write(r.err());
        return r.code();
    }

    private static String xml(int w, int h, String objects) {
        return "<annotation><folder>VOC</folder><size><width>" + w + "</width><height>" + h + "</height><depth>3</depth></size>"
                + objects + "</annotation>";
    }

    private static String object(String name, int difficult, int x1, int y1, int x2, int y2, String parts) {
        return "<object><name>" + name + "</name><pose>Left</pose><truncated>0</truncated>"
                + (difficult < 0 ? "" : "<difficult>" + difficult + "</difficult>")
                + "<bndbox><xmin>" + x1 + "</xmin><ymin>" + y1 + "</ymin><xmax>" + x2 + "</xmax><ymax>" + y2 + "</ymax></bndbox>"
                + parts + "</object>";
    }

    private void devkitImage(String year, String name, String xml) throws Exception {
        Path ann = Files.createDirectories(tmp.resolve("VOCdevkit/VOC" + year + "/Annotations"));
        Files.writeString(ann.resolve(name + ".xml"), xml);
    }

    private void list(String year, String split, String... names) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("VOCdevkit/VOC" + year + "/ImageSets/Main"));
        Files.writeString(dir.resolve(split + ".txt"), String.join("\n", names) + "\n");
    }

    @Test
    void vocDevkitBecomesCocoJsonAsMmdetectionsConverter() throws Exception {
        String hand = "<part><name>hand</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></part>";
        devkitImage("2007", "000001", xml(353, 500, object("person", 1, 8, 12, 352, 498, hand) + object("dog", 0, 48, 240, 195, 371, "")));
        devkitImage("2007", "000002", xml(335, 500, object("train", -1, 139, 200, 207, 301, "")));
        devkitImage("2012", "2008_000001", xml(500, 375, object("tvmonitor", 0, 10, 20, 110, 220, "")));
        list("2007", "trainval", "000001", "000002");
        list("2007", "train", "000001");
        list("2012", "trainval", "2008_000001");
        StringWriter out = new StringWriter(), err = new StringWriter();
        Path dest = tmp.resolve("json");
        assertEquals(0, run(new Voc2CocoCommand(), out, err, tmp.resolve("VOCdevkit").toString(), "--out", dest.toString()), err.toString());
        assertTrue(out.toString().contains("VOC2007/ImageSets/Main/val.txt: no such list, voc07_val.json skipped"), out.toString());
        assertTrue(out.toString().contains("4 json files written"), out.toString()); // voc07 train, trainval; voc12 trainval; voc0712 trainval
        JsonNode voc07 = JSON.readTree(dest.resolve("voc07_trainval.json").toFile());
        assertEquals(2, voc07.get("images").size());
        assertEquals("VOC2007/JPEGImages/000001.jpg", voc07.get("images").get(0).get("file_name").asText());
        assertEquals(500, voc07.get("images").get(0).get("height").asInt());
        assertEquals(20, voc07.get("categories").size());
        assertEquals("dog", voc07.get("categories").get(11).get("name").asText());
        JsonNode anns = voc07.get("annotations");
        assertEquals(3, anns.size());
        // image 0: the dog (not difficult) first, 1-based corners minus 1, then the difficult person as a crowd
        assertEquals("{\"segmentation\":[[47,239,47,370,194,370,194,239]],\"area\":19257,\"ignore\":0,\"iscrowd\":0,"
                + "\"image_id\":0,\"bbox\":[47,239,147,131],\"category_id\":11,\"id\":0}", anns.get(0).toString());
        assertEquals(1, anns.get(1).get("iscrowd").asInt(), "difficult");
        assertEquals(14, anns.get(1).get("category_id").asInt());
        assertEquals("[7,11,344,486]", anns.get(1).get("bbox").toString(), "the person's own box, not its hand's");
        assertEquals(0, anns.get(2).get("iscrowd").asInt(), "no <difficult>: 0");
        JsonNode both = JSON.readTree(dest.resolve("voc0712_trainval.json").toFile());
        assertEquals(3, both.get("images").size());
        assertEquals("VOC2012/JPEGImages/2008_000001.jpg", both.get("images").get(2).get("file_name").asText());
        assertEquals(2, both.get("images").get(2).get("id").asInt());
        // the engine's own COCO reader takes it: 20 classes, the difficult person as a crowd region
        CocoDataset ds = CocoDataset.load(dest.resolve("voc07_trainval.json"), tmp.resolve("VOCdevkit"), null, new DataIssues("voc"));
        assertEquals(20, ds.numClasses());
        assertEquals(1, ds.get(0).boxes().length / 4);
        assertEquals(1, ds.get(0).crowdBoxes().length / 4);
    }

    @Test
    void vocMistakesAreOneLineErrors() throws Exception {
        StringWriter err = new StringWriter();
        assertNotEquals(0, run(new Voc2CocoCommand(), new StringWriter(), err, tmp.toString()));
        assertTrue(err.toString().contains("contains neither a VOC2007 nor a VOC2012 folder"), err.toString());
        Files.createDirectories(tmp.resolve("VOCdevkit/VOC2007/Annotations"));
        StringWriter none = new StringWriter();
        assertNotEquals(0, run(new Voc2CocoCommand(), new StringWriter(), none, tmp.resolve("VOCdevkit").toString()));
        assertTrue(none.toString().strip().endsWith("no VOC<year>/ImageSets/Main/{train,val,trainval,test}.txt list found"), none.toString());
        // a good train split and a test split with a bad class: nothing at all is written
        devkitImage("2007", "ok", xml(10, 10, object("dog", 0, 1, 1, 5, 5, "")));
        list("2007", "train", "ok");
        devkitImage("2007", "x", xml(10, 10, object("unicorn", 0, 1, 1, 5, 5, "")));
        list("2007", "test", "x");
        StringWriter err2 = new StringWriter();
        Path out = tmp.resolve("out");
        assertNotEquals(0, run(new Voc2CocoCommand(), new StringWriter(), err2, tmp.resolve("VOCdevkit").toString(), "--out", out.toString()));
        assertTrue(err2.toString().strip().endsWith("x.xml: object 1: 'unicorn' is not a VOC class"), err2.toString());
        assertEquals(1, err2.toString().strip().lines().count());
        assertFalse(Files.exists(out.resolve("voc07_train.json")), "no partial set");
        // a broken XML: one line, no parser message of its own on stderr
        Files.writeString(tmp.resolve("VOCdevkit/VOC2007/Annotations/x.xml"), "<annotation><size>");
        java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.err;
        System.setErr(new java.io.PrintStream(raw, true, java.nio.charset.StandardCharsets.UTF_8));
        StringWriter err3 = new StringWriter();
        try {
            assertNotEquals(0, run(new Voc2CocoCommand(), new StringWriter(), err3, tmp.resolve("VOCdevkit").toString(), "--out", out.toString()));
        } finally {
            System.setErr(old);
        }
        assertTrue(err3.toString().strip().contains("x.xml: not a readable XML file"), err3.toString());
        assertEquals("", raw.toString(java.nio.charset.StandardCharsets.UTF_8), "nothing printed by the XML parser itself");
    }

    @Test
    void imageFolderBecomesAnImageInfoJson() throws Exception {
        Path img = Files.createDirectories(tmp.resolve("imgs/sub"));
        ImageIO.write(new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB), "png", tmp.resolve("imgs/b.png").toFile());
        ImageIO.write(new BufferedImage(20, 50, BufferedImage.TYPE_INT_RGB), "png", img.resolve("a.png").toFile());
        ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "bmp", tmp.resolve("imgs/c.bmp").toFile());
        Files.writeString(tmp.resolve("imgs/broken.jpg"), "not a jpeg");
        Files.writeString(tmp.resolve("imgs/notes.txt"), "ignored");
        Files.writeString(tmp.resolve("classes.txt"), "cat\ndog\n\n");
        StringWriter out = new StringWriter(), err = new StringWriter();
        Path json = tmp.resolve("ann/test.json");
        assertEquals(0, run(new Images2CocoCommand(), out, err, tmp.resolve("imgs").toString(), tmp.resolve("classes.txt").toString(),
                json.toString(), "-e", "bmp"), err.toString());
        assertTrue(out.toString().contains("2 images, 2 classes; 1 unreadable files skipped"), out.toString());
        assertTrue(err.toString().contains("broken.jpg"), err.toString());
        JsonNode j = JSON.readTree(json.toFile());
        assertEquals("b.png", j.get("images").get(0).get("file_name").asText());
        assertEquals("sub/a.png", j.get("images").get(1).get("file_name").asText());
        assertEquals(50, j.get("images").get(1).get("height").asInt());
        assertEquals(20, j.get("images").get(1).get("width").asInt());
        assertEquals("dog", j.get("categories").get(1).get("name").asText());
        assertEquals(0, j.get("annotations").size());
        StringWriter err2 = new StringWriter();
        assertNotEquals(0, run(new Images2CocoCommand(), new StringWriter(), err2, tmp.resolve("imgs").toString(),
                tmp.resolve("classes.txt").toString(), tmp.resolve("x.txt").toString()));
        assertTrue(err2.toString().contains("the output must be a .json file"), err2.toString());
        assertFalse(Files.exists(tmp.resolve("x.txt")));
    }

    /** images2coco.py saves to {@code os.path.join(img_paths, '..', 'annotations', out)}: beside the image folder. */
    @Test
    void images2cocoWritesARelativeNameBesideTheImageFolder() throws Exception {
        Path imgs = tmp.resolve("data/test");
        Files.createDirectories(imgs);
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(8, 6, java.awt.image.BufferedImage.TYPE_3BYTE_BGR), "png",
                imgs.resolve("a.png").toFile());
        Files.writeString(tmp.resolve("classes.txt"), "cat\n");
        StringWriter out = new StringWriter(), err = new StringWriter();
        assertEquals(0, run(new Images2CocoCommand(), out, err, imgs.toString(), tmp.resolve("classes.txt").toString(), "test.json"),
                err.toString());
        Path written = tmp.resolve("data/annotations/test.json");
        assertTrue(Files.isRegularFile(written), out.toString());
        assertEquals("a.png", JSON.readTree(written.toFile()).get("images").get(0).get("file_name").asText());
        assertEquals(tmp.resolve("data/test/../annotations/test.json"), Images2CocoCommand.savePath(imgs, Path.of("test.json")));
        assertEquals(tmp.resolve("x.json"), Images2CocoCommand.savePath(imgs, tmp.resolve("x.json")));
    }
}
