package autoassign.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MMDetection's XMLDataset / VOCDataset reading rules on {@link VocDevkit}'s files. */
class XmlDatasetTest {
    @TempDir Path tmp;

    private CocoDataset load(List<String> classes, Double bboxMinSize) throws Exception {
        Path voc = VocDevkit.write(tmp).resolve("VOC2007");
        return XmlDataset.load(new XmlDataset.Layout(voc.resolve("ImageSets/Main/trainval.txt"), voc, "JPEGImages", "Annotations"),
                classes, bboxMinSize, new DataIssues("test"));
    }

    @Test
    void readsBoxesAsMmdetection() throws Exception {
        CocoDataset d = load(XmlDataset.VOC_CLASSES, null);
        assertEquals(5, d.size());
        assertEquals(20, d.numClasses());
        ImageRecord r = d.get(0);
        assertEquals(0, r.id(), "ids are the list positions");
        assertEquals("JPEGImages/000001.jpg", r.fileName());
        assertEquals(tmp.resolve("VOC2007/JPEGImages/000001.jpg"), d.imagePath(r));
        assertEquals(96, r.width());
        assertEquals(64, r.height());
        // corners minus 1; the unicorn left out; the difficult person an ignored (crowd) instance
        assertArrayEquals(new float[] {9, 11, 59, 55, 4, 4, 14, 19}, r.boxes());
        assertArrayEquals(new int[] {11, 7}, r.labels(), "dog, cat: positions in the class list");
        assertArrayEquals(new float[] {19, 4, 49, 59}, r.crowdBoxes());
        assertArrayEquals(new int[] {14}, r.crowdLabels());
        ImageRecord noSize = d.get(1);
        assertEquals(80, noSize.width(), "no <size>: the decoded image's");
        assertEquals(80, noSize.height());
        assertArrayEquals(new float[] {29, 1, 78, 69}, noSize.boxes(), "int(float('30.7')) - 1");
        assertFalse(d.get(2).hasClassAnnotation(), "only a unicorn");
        assertEquals(0, d.get(2).numBoxes() + d.get(2).numCrowd());
        assertTrue(d.get(3).hasClassAnnotation(), "a difficult dog counts for filter_empty_gt");
        assertEquals(1, d.get(3).numCrowd());

        // filter_empty_gt and min_size 32: 000003 (no object of a class) and 000005 (20 px high) go
        assertEquals(List.of(0L, 1L, 3L), d.filter(true, 32).images().stream().map(ImageRecord::id).toList());
    }

    @Test
    void bboxMinSizeMakesSmallObjectsIgnoredAndClassesChooseTheLabels() throws Exception {
        ImageRecord r = load(XmlDataset.VOC_CLASSES, 32.0).get(0);
        assertArrayEquals(new float[] {9, 11, 59, 55}, r.boxes(), "the dog is 50 x 44");
        assertArrayEquals(new float[] {19, 4, 49, 59, 4, 4, 14, 19}, r.crowdBoxes(), "the person (difficult), the cat (10 px)");
        assertArrayEquals(new int[] {14, 7}, r.crowdLabels());

        CocoDataset two = load(List.of("person", "dog"), null);
        assertEquals(List.of("person", "dog"), two.categories().names(), "labels follow metainfo.classes' order");
        assertArrayEquals(new int[] {1}, two.get(0).labels());
        assertArrayEquals(new int[] {0}, two.get(0).crowdLabels());
        assertFalse(two.get(1).hasClassAnnotation(), "a car is not among the classes");
    }

    @Test
    void listedIdsMayHoldFolders() throws Exception {
        Path voc = VocDevkit.write(tmp).resolve("VOC2007");
        Files.createDirectories(voc.resolve("Annotations/sub"));
        Files.createDirectories(voc.resolve("JPEGImages/sub"));
        Files.copy(voc.resolve("Annotations/000001.xml"), voc.resolve("Annotations/sub/000001.xml"));
        Path list = Files.writeString(tmp.resolve("list.txt"), "sub/000001\n000001\n");
        CocoDataset d = XmlDataset.load(new XmlDataset.Layout(list, voc, "JPEGImages", "Annotations"), XmlDataset.VOC_CLASSES,
                null, new DataIssues("t"));
        assertEquals("JPEGImages/sub/000001.jpg", d.get(0).fileName());
        assertEquals("sub/000001", XmlDataset.name(d.get(0), "JPEGImages"), "MMDetection's img_id: the list line");
        assertEquals(java.util.Map.of("sub/000001", 0L, "000001", 1L), XmlDataset.idsByName(d, "JPEGImages"));
    }

    @Test
    void mistakesNameTheFile() throws Exception {
        Path voc = VocDevkit.write(tmp).resolve("VOC2007");
        Path list = Files.writeString(tmp.resolve("list.txt"), "000001\n000099\n");
        XmlDataset.Layout layout = new XmlDataset.Layout(list, voc, "JPEGImages", "Annotations");
        DataException missing = assertThrows(DataException.class,
                () -> XmlDataset.load(layout, XmlDataset.VOC_CLASSES, null, new DataIssues("t")));
        assertEquals(voc.resolve("Annotations/000099.xml") + ": no such annotation file (listed in " + list + ")", missing.getMessage());
        Files.writeString(voc.resolve("Annotations/000099.xml"), "<annotation><size><width>9</width><height>9</height></size>"
                + VocDevkit.object("dog", 0, "abc", 1, 5, 5) + "</annotation>");
        DataException bad = assertThrows(DataException.class,
                () -> XmlDataset.load(layout, XmlDataset.VOC_CLASSES, null, new DataIssues("t")));
        assertTrue(bad.getMessage().endsWith("000099.xml: <xmin> must be a number, got 'abc'"), bad.getMessage());
        DataException noList = assertThrows(DataException.class, () -> XmlDataset.load(
                new XmlDataset.Layout(tmp.resolve("none.txt"), voc, "JPEGImages", "Annotations"), XmlDataset.VOC_CLASSES, null,
                new DataIssues("t")));
        assertEquals(tmp.resolve("none.txt") + ": no such image list (ann_file)", noList.getMessage());
        Files.writeString(voc.resolve("Annotations/000099.xml"), "<annotation>" + VocDevkit.object("dog", 0, "1", 1, 5, 5) + "</annotation>");
        DataException noImage = assertThrows(DataException.class,
                () -> XmlDataset.load(layout, XmlDataset.VOC_CLASSES, null, new DataIssues("t")));
        assertTrue(noImage.getMessage().startsWith(voc.resolve("Annotations/000099.xml") + ": has no <size>, and its image cannot be read"
                + " for it: "), noImage.getMessage());
    }

    /**
     * xml_style.py compares {@code obj.find('name').text} with the classes as written (a padded name is no class, and
     * the object is left out) and reads {@code <bndbox>} only for objects of a class.
     */
    @Test
    void namesAreComparedAsWrittenAndBoxesReadOnlyForClasses() throws Exception {
        Path voc = VocDevkit.write(tmp).resolve("VOC2007");
        Path list = Files.writeString(tmp.resolve("list.txt"), "000099\n");
        Files.writeString(voc.resolve("Annotations/000099.xml"), "<annotation><size><width>50</width><height>40</height></size>"
                + VocDevkit.object("dog", 0, "2", 3, 12, 13)
                + VocDevkit.object("\n    dog\n  ", 0, "20", 3, 30, 13)
                + "<object><name>unicorn</name><difficult>0</difficult></object></annotation>");
        ImageRecord r = XmlDataset.load(new XmlDataset.Layout(list, voc, "JPEGImages", "Annotations"), XmlDataset.VOC_CLASSES,
                null, new DataIssues("t")).get(0);
        assertArrayEquals(new float[] {1, 2, 11, 12}, r.boxes(), "the padded dog is not 'dog'; the boxless unicorn is skipped");
        assertEquals(0, r.numCrowd());
        Files.writeString(voc.resolve("Annotations/000099.xml"), "<annotation><size><width>50</width><height>40</height></size>"
                + "<object><name>dog</name></object></annotation>");
        DataException noBox = assertThrows(DataException.class, () -> XmlDataset.load(
                new XmlDataset.Layout(list, voc, "JPEGImages", "Annotations"), XmlDataset.VOC_CLASSES, null, new DataIssues("t")));
        assertTrue(noBox.getMessage().endsWith("000099.xml: an <object> of a class has no <bndbox> with a <xmin>"), noBox.getMessage());
    }
}
