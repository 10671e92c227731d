package autoassign.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * A tiny CrowdHuman set for tests: {@code annotation_train.odgt} and {@code annotation_val.odgt} (the same 3 records:
 * image 1 with two people, a 'mask' region and an ignored person, image 2 without people, image 3 with one person whose
 * head is ignored) and the images under {@code Images/}, 96 x 80 (w x h).
 */
public final class CrowdHumanFiles {
    private CrowdHumanFiles() {}

    public static final String[] IDS = {"273271,c9db000d5146c15", "273271,1017c000ac1360b7", "284193,faa9000f2678b5e"};

    public static final String ODGT = String.join("\n",
            "{\"ID\": \"" + IDS[0] + "\", \"gtboxes\": ["
                    + "{\"tag\": \"person\", \"fbox\": [5, 10, 30, 60], \"hbox\": [12, 10, 10, 10], \"vbox\": [5, 10, 30, 50], \"extra\": {\"ignore\": 0}},"
                    + "{\"tag\": \"person\", \"fbox\": [50, 8, 30, 65], \"hbox\": [58, 8, 10, 10], \"vbox\": [50, 8, 30, 60]},"
                    + "{\"tag\": \"mask\", \"fbox\": [0, 0, 20, 20], \"hbox\": [0, 0, 5, 5], \"vbox\": [0, 0, 20, 20], \"extra\": {\"ignore\": 1}},"
                    + "{\"tag\": \"person\", \"fbox\": [70, 40, 30, 50], \"hbox\": [75, 40, 8, 8], \"vbox\": [70, 40, 20, 30], \"extra\": {\"ignore\": 1}}]}",
            "{\"ID\": \"" + IDS[1] + "\", \"gtboxes\": []}",
            "{\"ID\": \"" + IDS[2] + "\", \"gtboxes\": ["
                    + "{\"tag\": \"person\", \"fbox\": [20, 20, 40, 50], \"hbox\": [30, 20, 12, 12], \"vbox\": [20, 20, 40, 50], "
                    + "\"head_attr\": {\"ignore\": 1}}]}") + "\n";

    /** Writes the set under {@code root}; returns {@code root}. */
    public static Path write(Path root) throws IOException {
        Files.createDirectories(root);
        Files.writeString(root.resolve("annotation_train.odgt"), ODGT);
        Files.writeString(root.resolve("annotation_val.odgt"), ODGT);
        Path images = Files.createDirectories(root.resolve("Images"));
        for (int i = 0; i < IDS.length; i++) {
            BufferedImage im = new BufferedImage(96, 80, BufferedImage.TYPE_3BYTE_BGR);
            for (int y = 0; y < 80; y++) for (int x = 0; x < 96; x++) im.setRGB(x, y, (x * 2 + i * 40) << 16 | (y * 3) << 8 | 90);
            ImageIO.write(im, "jpg", images.resolve(IDS[i] + ".jpg").toFile());
        }
        return root;
    }
}
