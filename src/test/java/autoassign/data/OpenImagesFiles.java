package autoassign.data;

import autoassign.io.PthWriter;
import autoassign.io.pickle.PyTuple;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * A tiny Open Images set for tests, in MMDetection's layouts under one data root:
 * <ul>
 *   <li>V6 ({@code annotations/}, images in {@code OpenImages/train/} and {@code OpenImages/validation/}): classes
 *       Animal (/m/a), Dog (/m/d, an Animal) and Car (/m/c); 3 images of 96 x 80 (w x h), the same in train and
 *       validation: {@code img1} a dog and a group-of animals box, {@code img2} a car (occluded, truncated), {@code img3}
 *       two dogs; image-level labels: img2 Animal (verified absent), img3 Car;</li>
 *   <li>the challenge layout ({@code challenge2019/}, images in {@code OpenImages/validation/}): the same classes with
 *       ids 1..3 (Animal, Dog, Car), the hierarchy as a 4 x 4 .npy, the same boxes plus an image without boxes.</li>
 * </ul>
 */
public final class OpenImagesFiles {
    private OpenImagesFiles() {}

    public static final int W = 96, H = 80;
    public static final String[] IDS = {"img1", "img2", "img3"};

    public static final String LABELS = "/m/a,Animal\n/m/d,Dog\n/m/c,Car\n";
    public static final String HIERARCHY = "{\"LabelName\": \"/m/0bl9f\", \"Subcategory\": [{\"LabelName\": \"/m/a\", "
            + "\"Subcategory\": [{\"LabelName\": \"/m/d\"}]}, {\"LabelName\": \"/m/c\"}]}";
    public static final String BOXES = String.join("\n",
            "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside",
            "img1,xclick,/m/d,1,0.125,0.5,0.25,0.75,0,0,0,0,0",
            "img1,xclick,/m/a,1,0.5,1.0,0.0,1.0,0,0,1,0,0",
            "img2,xclick,/m/c,1,0.25,0.75,0.125,0.625,1,1,0,1,1",
            "img3,xclick,/m/d,1,0.0,0.5,0.0,0.5,0,0,0,0,0",
            "img3,xclick,/m/d,1,0.5,1.0,0.5,1.0,0,0,0,0,0") + "\n";
    public static final String IMAGE_LABELS = "ImageID,Source,LabelName,Confidence\nimg2,verification,/m/a,0\nimg3,verification,/m/c,1\n";

    public static final String CHALLENGE_LABELS = "/m/d,Dog,2\n/m/a,Animal,1\n/m/c,Car,3\n";
    public static final String CHALLENGE_BOXES = String.join("\n",
            "img1.jpg", "96 80", "2", "2 0.125 0.25 0.5 0.75 0", "1 0.5 0.0 1.0 1.0 1",
            "img2.jpg", "96 80", "1", "3 0.25 0.125 0.75 0.625 0",
            "img3.jpg", "96 80", "2", "2 0.0 0.0 0.5 0.5 0", "2 0.5 0.5 1.0 1.0 0",
            "img4.jpg", "96 80", "0") + "\n";
    public static final String CHALLENGE_IMAGE_LABELS = "ImageID,LabelName,Confidence\nimg4,/m/c,1\n";

    /** Writes both layouts and the images under {@code root}; returns {@code root}. */
    public static Path write(Path root) throws IOException {
        Path ann = Files.createDirectories(root.resolve("annotations"));
        Files.writeString(ann.resolve("class-descriptions-boxable.csv"), LABELS);
        Files.writeString(ann.resolve("bbox_labels_600_hierarchy.json"), HIERARCHY);
        Files.writeString(ann.resolve("oidv6-train-annotations-bbox.csv"), BOXES);
        Files.writeString(ann.resolve("validation-annotations-bbox.csv"), BOXES);
        Files.writeString(ann.resolve("validation-annotations-human-imagelabels-boxable.csv"), IMAGE_LABELS);
        writeMetas(ann.resolve("train-image-metas.pkl"), "train/", IDS);
        writeMetas(ann.resolve("validation-image-metas.pkl"), "validation/", IDS);
        Path ch = Files.createDirectories(root.resolve("challenge2019"));
        Files.writeString(ch.resolve("cls-label-description.csv"), CHALLENGE_LABELS);
        Files.writeString(ch.resolve("challenge-2019-train-detection-bbox.txt"), CHALLENGE_BOXES);
        Files.writeString(ch.resolve("challenge-2019-validation-detection-bbox.txt"), CHALLENGE_BOXES);
        Files.writeString(ch.resolve("challenge-2019-validation-detection-human-imagelabels.csv"), CHALLENGE_IMAGE_LABELS);
        double[][] tree = new double[4][4]; // row / column 0: the root; 1 Animal, 2 Dog (an Animal), 3 Car
        for (int i = 0; i < 4; i++) tree[i][i] = 1;
        tree[2][1] = 1;
        Files.write(ch.resolve("class_label_tree.np"), npy(tree));
        String[] challengeIds = {"img1", "img2", "img3", "img4"};
        writeMetas(ch.resolve("challenge-2019-train-metas.pkl"), "train/", challengeIds);
        writeMetas(ch.resolve("challenge-2019-validation-metas.pkl"), "validation/", challengeIds);
        for (String split : new String[] {"train", "validation", ""}) { // "": the challenge config's OpenImages/
            Path dir = Files.createDirectories(root.resolve("OpenImages").resolve(split));
            for (int i = 0; i < challengeIds.length; i++) {
                BufferedImage im = new BufferedImage(W, H, BufferedImage.TYPE_3BYTE_BGR);
                for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) im.setRGB(x, y, (x * 2 + i * 40) << 16 | (y * 3) << 8 | 90);
                ImageIO.write(im, "jpg", dir.resolve(challengeIds[i] + ".jpg").toFile());
            }
        }
        return root;
    }

    /** MMDetection's tools/misc/get_image_metas.py output: [{filename, ori_shape: (h, w, 3)}] in image order. */
    public static void writeMetas(Path file, String prefix, String[] ids) throws IOException {
        List<Object> metas = new ArrayList<>();
        for (String id : ids) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("filename", "data/OpenImages/OpenImages/" + prefix + id + ".jpg");
            m.put("ori_shape", PyTuple.of((long) H, (long) W, 3L));
            metas.add(m);
        }
        PthWriter.writePickle(file, metas);
    }

    /** {@code np.save} of a float64 C-order 2-d array (format 1.0). */
    public static byte[] npy(double[][] a) {
        String header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + a.length + ", " + a[0].length + "), }";
        int total = 10 + header.length() + 1;
        int pad = (64 - total % 64) % 64;
        header = header + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + 8 * a.length * a[0].length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.ISO_8859_1)).put((byte) 1).put((byte) 0);
        b.putShort((short) header.length()).put(header.getBytes(StandardCharsets.ISO_8859_1));
        for (double[] row : a) for (double v : row) b.putDouble(v);
        return b.array();
    }
}
