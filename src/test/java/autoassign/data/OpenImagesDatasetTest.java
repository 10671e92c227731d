package autoassign.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenImagesDataset / OpenImagesChallengeDataset over the tiny files of {@link OpenImagesFiles}: the images as
 * MMDetection's load_data_list makes them (runs of rows, relative coordinates scaled by the meta pickle's sizes, the
 * flags, image-level labels, the relation matrix), the challenge layout, the images decoded through the pipeline's
 * loader, and a one-line error naming the file for each kind of bad input.
 */
class OpenImagesDatasetTest {
    @TempDir Path tmp;
    Path root, ann;

    @BeforeEach
    void files() throws IOException {
        root = OpenImagesFiles.write(tmp.resolve("oi"));
        ann = root.resolve("annotations");
    }

    private OpenImagesDataset.Data v6(Path boxes, Path labels, Path metas, Path hierarchy, Path levels) {
        return OpenImagesDataset.load(OpenImagesDataset.Kind.V6, new OpenImagesDataset.Files(boxes, labels, metas, hierarchy, levels,
                root.resolve("OpenImages/validation")), new DataIssues("test"));
    }

    private OpenImagesDataset.Data v6() {
        return v6(ann.resolve("validation-annotations-bbox.csv"), ann.resolve("class-descriptions-boxable.csv"),
                ann.resolve("validation-image-metas.pkl"), ann.resolve("bbox_labels_600_hierarchy.json"),
                ann.resolve("validation-annotations-human-imagelabels-boxable.csv"));
    }

    @Test
    void v6ImagesBoxesFlagsAndHierarchy() {
        OpenImagesDataset.Data d = v6();
        assertEquals(List.of("Animal", "Dog", "Car"), d.classes());
        assertEquals(3, d.images().size());
        OpenImagesDataset.Image img1 = d.images().get(0);
        assertEquals("img1", img1.imgId());
        assertEquals("img1.jpg", img1.fileName());
        assertEquals(80, img1.height());
        assertEquals(96, img1.width());
        // XMin 0.125 * 96, YMin 0.25 * 80, XMax 0.5 * 96, YMax 0.75 * 80: the csv's column order XMin, XMax, YMin, YMax
        OpenImagesDataset.Instance dog = img1.instances().get(0);
        assertArrayEquals(new float[] {12, 20, 48, 60}, new float[] {dog.x1(), dog.y1(), dog.x2(), dog.y2()});
        assertEquals(1, dog.label());
        assertFalse(dog.groupOf());
        assertTrue(img1.instances().get(1).groupOf());
        OpenImagesDataset.Instance car = d.images().get(1).instances().get(0);
        assertTrue(car.occluded() && car.truncated() && car.depiction() && car.inside() && !car.groupOf());
        // image-level labels: every row of the image, whatever the confidence; none for img1
        assertArrayEquals(new int[0], img1.imageLevelLabels());
        assertArrayEquals(new int[] {0}, d.images().get(1).imageLevelLabels());
        assertArrayEquals(new float[] {0f}, d.images().get(1).confidences());
        assertArrayEquals(new int[] {2}, d.images().get(2).imageLevelLabels());
        // relation: Dog's row holds Animal
        assertTrue(d.relation()[1][0] && d.relation()[1][1] && d.relation()[0][0] && d.relation()[2][2]);
        assertFalse(d.relation()[0][1] || d.relation()[2][0] || d.relation()[1][2]);
        // the CocoDataset: ids are positions, category ids the labels, every box a training target (group-of too)
        CocoDataset ds = d.dataset();
        assertEquals(3, ds.size());
        assertEquals(2, ds.get(0).numBoxes());
        assertArrayEquals(new int[] {1, 0}, ds.get(0).labels());
        assertEquals(0, ds.get(0).numCrowd());
        assertEquals(List.of("Animal", "Dog", "Car"), ds.categories().names());
        assertEquals(root.resolve("OpenImages/validation/img3.jpg"), ds.imagePath(ds.get(2)));
        assertTrue(Files.isRegularFile(ds.imagePath(ds.get(2))));
        assertEquals(2L, d.image(ds.get(2)).instances().size());
    }

    @Test
    void withoutImageLevelFileTheLabelsAreNull() {
        OpenImagesDataset.Data d = v6(ann.resolve("validation-annotations-bbox.csv"), ann.resolve("class-descriptions-boxable.csv"),
                ann.resolve("validation-image-metas.pkl"), ann.resolve("bbox_labels_600_hierarchy.json"), null);
        assertNull(d.images().get(1).imageLevelLabels());
    }

    @Test
    void challengeLayout() {
        Path ch = root.resolve("challenge2019");
        OpenImagesDataset.Data d = OpenImagesDataset.load(OpenImagesDataset.Kind.CHALLENGE, new OpenImagesDataset.Files(
                ch.resolve("challenge-2019-validation-detection-bbox.txt"), ch.resolve("cls-label-description.csv"),
                ch.resolve("challenge-2019-validation-metas.pkl"), ch.resolve("class_label_tree.np"),
                ch.resolve("challenge-2019-validation-detection-human-imagelabels.csv"), root.resolve("OpenImages")), new DataIssues("t"));
        assertEquals(List.of("Animal", "Dog", "Car"), d.classes()); // ordered by id
        assertEquals(4, d.images().size());
        OpenImagesDataset.Instance dog = d.images().get(0).instances().get(0);
        assertArrayEquals(new float[] {12, 20, 48, 60}, new float[] {dog.x1(), dog.y1(), dog.x2(), dog.y2()}); // x1 y1 x2 y2 order
        assertEquals(1, dog.label()); // txt labels from 1
        assertTrue(d.images().get(0).instances().get(1).groupOf());
        assertEquals("img4", d.images().get(3).imgId());
        assertEquals(0, d.images().get(3).instances().size());
        assertArrayEquals(new int[] {2}, d.images().get(3).imageLevelLabels());
        assertTrue(d.relation()[1][0] && !d.relation()[0][1] && d.relation()[2][2]);
        assertFalse(d.dataset().get(3).hasClassAnnotation());
    }

    @Test
    void csvQuotingAsPythonsReader() {
        List<List<String>> rows = PythonCsv.parse("/m/a,\"Pear, ripe\"\n\n/m/b,\"say \"\"hi\"\"\",x\n/m/c,\"two\nlines\"");
        assertEquals(List.of(List.of("/m/a", "Pear, ripe"), List.of(), List.of("/m/b", "say \"hi\"", "x"), List.of("/m/c", "two\nlines")), rows);
        // universal newlines (\r\n, \r), also inside quotes; a quote in an unquoted field is a character
        assertEquals(List.of(List.of("a", "b"), List.of("c"), List.of("d\ne", "f\"g")), PythonCsv.parse("a,b\r\nc\r\"d\r\ne\",f\"g\r\n"));
        // a doubled quote and a \r\n across the reader's 64 Ki-character blocks
        for (int pad : new int[] {65536 - 6, 65536 - 5, 65536 - 4}) {
            String head = "x".repeat(pad);
            List<List<String>> r = PythonCsv.parse(head + ",\"q\"\"r\"\r\nz\n");
            assertEquals(List.of(List.of(head, "q\"r"), List.of("z")), r, "pad " + pad);
        }
    }

    @Test
    void badInputIsAOneLineErrorNamingTheFile() throws IOException {
        Path labels = ann.resolve("class-descriptions-boxable.csv"), metas = ann.resolve("validation-image-metas.pkl"),
                hier = ann.resolve("bbox_labels_600_hierarchy.json"), boxes = ann.resolve("validation-annotations-bbox.csv");
        // a missing column
        Path shortRows = Files.writeString(tmp.resolve("short.csv"), "ImageID,Source,LabelName\nimg1,xclick,/m/d,1,0.1,0.2\n");
        assertError(() -> v6(shortRows, labels, metas, hier, null), shortRows, "row 2 has 6 column(s), expected 13");
        // an unknown label, in the boxes and in the image-level file
        Path unknown = Files.writeString(tmp.resolve("unknown.csv"), OpenImagesFiles.BOXES.replace("/m/c,", "/m/zz,"));
        assertError(() -> v6(unknown, labels, metas, hier, null), unknown, "unknown label /m/zz");
        Path badLevels = Files.writeString(tmp.resolve("levels.csv"), "ImageID,Source,LabelName,Confidence\nimg1,v,/m/q,1\n");
        assertError(() -> v6(boxes, labels, metas, hier, badLevels), badLevels, "unknown label /m/q");
        // a value that is not a number
        Path nan = Files.writeString(tmp.resolve("nan.csv"), OpenImagesFiles.BOXES.replace("0.125,0.5", "abc,0.5"));
        assertError(() -> v6(nan, labels, metas, hier, null), nan, "XMin is not a number");
        // bad pickles: not a pickle, not a list, too few metas, another image's name
        Path notPickle = Files.writeString(tmp.resolve("metas.pkl"), "not a pickle");
        assertError(() -> v6(boxes, labels, notPickle, hier, null), notPickle, "not a readable pickle");
        Path dict = tmp.resolve("dict.pkl");
        autoassign.io.PthWriter.writePickle(dict, java.util.Map.of("filename", "x.jpg"));
        assertError(() -> v6(boxes, labels, dict, hier, null), dict, "not a list of image metas");
        Path two = tmp.resolve("two.pkl");
        OpenImagesFiles.writeMetas(two, "validation/", new String[] {"img1", "img2"});
        assertError(() -> v6(boxes, labels, two, hier, null), two, "2 image metas, but the annotation file has 3 images");
        Path swapped = tmp.resolve("swapped.pkl");
        OpenImagesFiles.writeMetas(swapped, "validation/", new String[] {"img1", "img3", "img2"});
        assertError(() -> v6(boxes, labels, swapped, hier, null), swapped, "meta 1 is data/OpenImages/OpenImages/validation/img3.jpg");
        // a hierarchy naming a class the label file lacks; a missing file
        Path badHier = Files.writeString(tmp.resolve("h.json"), "{\"LabelName\": \"r\", \"Subcategory\": [{\"LabelName\": \"/m/x\"}]}");
        assertError(() -> v6(boxes, labels, metas, badHier, null), badHier, "LabelName /m/x is not in the label file");
        Path missing = tmp.resolve("nope.csv");
        assertError(() -> v6(missing, labels, metas, hier, null), missing, "no such file");
        // the challenge: a label id out of range, a .npy of the wrong size, a file that is not .npy
        Path ch = root.resolve("challenge2019");
        Path badTxt = Files.writeString(tmp.resolve("c.txt"), "img1.jpg\n96 80\n1\n7 0 0 1 1 0\n");
        Path oneMeta = tmp.resolve("one.pkl");
        OpenImagesFiles.writeMetas(oneMeta, "", new String[] {"img1"});
        assertError(() -> challenge(badTxt, ch.resolve("cls-label-description.csv"), oneMeta, ch.resolve("class_label_tree.np")),
                badTxt, "unknown label 7");
        Path smallNpy = Files.write(tmp.resolve("small.np"), OpenImagesFiles.npy(new double[2][2]));
        assertError(() -> challenge(ch.resolve("challenge-2019-validation-detection-bbox.txt"), ch.resolve("cls-label-description.csv"),
                ch.resolve("challenge-2019-validation-metas.pkl"), smallNpy), smallNpy, "a 2 x 2 class hierarchy, expected 4 x 4");
        assertError(() -> challenge(ch.resolve("challenge-2019-validation-detection-bbox.txt"), ch.resolve("cls-label-description.csv"),
                ch.resolve("challenge-2019-validation-metas.pkl"), hier), hier, "not a NumPy .npy array");
    }

    private OpenImagesDataset.Data challenge(Path boxes, Path labels, Path metas, Path hierarchy) {
        return OpenImagesDataset.load(OpenImagesDataset.Kind.CHALLENGE, new OpenImagesDataset.Files(boxes, labels, metas, hierarchy, null,
                root.resolve("OpenImages")), new DataIssues("t"));
    }

    private static void assertError(org.junit.jupiter.api.function.Executable run, Path file, String problem) {
        DataException e = assertThrows(DataException.class, run);
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
}
