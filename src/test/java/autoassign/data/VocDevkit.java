package autoassign.data;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * A small PASCAL VOC devkit for tests, with the cases MMDetection's XMLDataset treats specially. VOC2007:
 * <ul>
 *   <li>000001 (96×64): dog (10,12)-(60,56), a difficult person, a small cat (5,5)-(15,20), a 'unicorn';</li>
 *   <li>000002 (80×80, no {@code <size>}): a car at ("30.7", 2)-(79, 70);</li>
 *   <li>000003 (64×64): only a 'unicorn';</li>
 *   <li>000004 (64×48): only a difficult dog;</li>
 *   <li>000005 (100×20): a cat;</li>
 *   <li>000006 (96×96) and 000007 (72×64): dogs, persons and a difficult car, for evaluation.</li>
 * </ul>
 * {@code trainval.txt} lists 000001–000005, {@code test.txt} 000004, 000006, 000007 (no unknown class, no fractional
 * corner, every {@code <size>}: MMDetection's converter reads those too). VOC2012: 2008_000001 (64×64, a tvmonitor),
 * listed in its {@code trainval.txt}.
 */
public final class VocDevkit {
    private VocDevkit() {}

    /** Writes the devkit under {@code dir}; returns {@code dir} (the folder holding VOC2007 and VOC2012). */
    public static Path write(Path dir) throws IOException {
        image(dir, "2007", "000001", 96, 64, true, object("dog", 0, "10", 12, 60, 56) + object("person", 1, "20", 5, 50, 60)
                + object("cat", 0, "5", 5, 15, 20) + object("unicorn", 0, "1", 1, 9, 9));
        image(dir, "2007", "000002", 80, 80, false, object("car", 0, "30.7", 2, 79, 70));
        image(dir, "2007", "000003", 64, 64, true, object("unicorn", 0, "2", 2, 40, 40));
        image(dir, "2007", "000004", 64, 48, true, object("dog", 1, "3", 3, 60, 45));
        image(dir, "2007", "000005", 100, 20, true, object("cat", 0, "1", 1, 50, 20));
        image(dir, "2007", "000006", 96, 96, true, object("dog", 0, "5", 5, 50, 50) + object("person", 0, "40", 30, 90, 95)
                + object("car", 1, "1", 60, 30, 90));
        image(dir, "2007", "000007", 72, 64, true, object("person", 0, "10", 4, 40, 60) + object("dog", 0, "45", 30, 70, 60));
        image(dir, "2012", "2008_000001", 64, 64, true, object("tvmonitor", 0, "8", 8, 56, 50));
        list(dir, "2007", "trainval", "000001\n000002\n000003\n000004\n000005\n");
        list(dir, "2007", "test", "000004\n000006\n000007\n");
        list(dir, "2012", "trainval", "2008_000001\n");
        return dir;
    }

    static String object(String name, int difficult, String xmin, int ymin, int xmax, int ymax) {
        return "<object><name>" + name + "</name><pose>Left</pose><truncated>0</truncated><difficult>" + difficult
                + "</difficult><bndbox><xmin>" + xmin + "</xmin><ymin>" + ymin + "</ymin><xmax>" + xmax + "</xmax><ymax>" + ymax
                + "</ymax></bndbox></object>";
    }

    private static void image(Path dir, String year, String id, int w, int h, boolean size, String objects) throws IOException {
        Path voc = dir.resolve("VOC" + year);
        Files.createDirectories(voc.resolve("Annotations"));
        Files.createDirectories(voc.resolve("JPEGImages"));
        Files.writeString(voc.resolve("Annotations/" + id + ".xml"), "<annotation><folder>VOC" + year + "</folder><filename>" + id
                + ".jpg</filename>" + (size ? "<size><width>" + w + "</width><height>" + h + "</height><depth>3</depth></size>" : "")
                + "<segmented>0</segmented>" + objects + "</annotation>");
        BufferedImage im = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = im.createGraphics();
        Random r = new Random(id.hashCode());
        g.setColor(new Color(r.nextInt(0xffffff)));
        g.fillRect(0, 0, w, h);
        g.setColor(new Color(r.nextInt(0xffffff)));
        g.fillRect(w / 4, h / 4, w / 2, h / 2);
        g.dispose();
        ImageIO.write(im, "jpg", voc.resolve("JPEGImages/" + id + ".jpg").toFile());
    }

    private static void list(Path dir, String year, String split, String ids) throws IOException {
        Path main = Files.createDirectories(dir.resolve("VOC" + year + "/ImageSets/Main"));
        Files.writeString(main.resolve(split + ".txt"), ids);
    }
}
