package autoassign.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * A tiny LVIS v1 val set for tests: {@code annotations/lvis_v1_val.json} (4 categories listed not by id, with all three
 * frequencies; 3 images named by {@code coco_url}, each with its negative and not-exhaustive lists; image 3 has no box)
 * and the images under {@code val2017/}, 96 x 96.
 */
public final class LvisFiles {
    private LvisFiles() {}

    /** The category ids in the file's order (the labels), and their names. */
    public static final long[] CATEGORY_IDS = {3, 1, 7, 2};
    public static final String[] NAMES = {"cat_c3", "cat_r1", "cat_f7", "cat_f2"};

    public static final String JSON = """
            {"categories": [
              {"id": 3, "name": "cat_c3", "frequency": "c", "synset": "c3.n.01"},
              {"id": 1, "name": "cat_r1", "frequency": "r", "synset": "r1.n.01"},
              {"id": 7, "name": "cat_f7", "frequency": "f", "synset": "f7.n.01"},
              {"id": 2, "name": "cat_f2", "frequency": "f", "synset": "f2.n.01"}],
             "images": [
              {"id": 11, "width": 96, "height": 96, "coco_url": "http://images.cocodataset.org/val2017/000000000011.jpg",
               "neg_category_ids": [2], "not_exhaustive_category_ids": [7]},
              {"id": 5, "width": 96, "height": 96, "coco_url": "http://images.cocodataset.org/val2017/000000000005.jpg",
               "neg_category_ids": [1, 3], "not_exhaustive_category_ids": []},
              {"id": 8, "width": 96, "height": 96, "coco_url": "http://images.cocodataset.org/val2017/000000000008.jpg",
               "neg_category_ids": [7], "not_exhaustive_category_ids": []}],
             "annotations": [
              {"id": 1, "image_id": 11, "category_id": 3, "bbox": [10, 10, 40, 30], "area": 1000.0, "segmentation": [[10, 10, 50, 10, 50, 40]]},
              {"id": 2, "image_id": 11, "category_id": 7, "bbox": [50, 50, 30, 40], "area": 1100.5},
              {"id": 3, "image_id": 5, "category_id": 1, "bbox": [5, 5, 20, 20], "area": 300.0},
              {"id": 4, "image_id": 5, "category_id": 2, "bbox": [40, 30, 50, 60], "area": 2500.0}]}
            """;

    /** Writes the set under {@code root}; returns {@code root}. */
    public static Path write(Path root) throws IOException {
        Files.createDirectories(root.resolve("annotations"));
        Files.writeString(root.resolve("annotations/lvis_v1_val.json"), JSON);
        Path images = Files.createDirectories(root.resolve("val2017"));
        for (int id : new int[] {11, 5, 8}) {
            BufferedImage im = new BufferedImage(96, 96, BufferedImage.TYPE_3BYTE_BGR);
            for (int y = 0; y < 96; y++) for (int x = 0; x < 96; x++) im.setRGB(x, y, (x * 2 + id * 20) << 16 | (y * 2) << 8 | 90);
            ImageIO.write(im, "jpg", images.resolve(String.format("%012d.jpg", id)).toFile());
        }
        return root;
    }
}
