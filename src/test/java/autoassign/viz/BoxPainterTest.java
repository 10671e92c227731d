package autoassign.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BoxPainterTest {

    @TempDir
    Path tmp;

    static BufferedImage gray(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, 0x808080);
            }
        }
        return img;
    }

    @Test
    void eightyDistinctColoursWithReadableText() {
        Set<Integer> seen = new HashSet<>();
        for (int k = 0; k < 80; k++) {
            Color c = BoxPainter.color(k);
            assertTrue(seen.add(c.getRGB()), "duplicate colour for label " + k);
            // neighbouring labels differ clearly
            Color n = BoxPainter.color(k + 1);
            int d = Math.abs(c.getRed() - n.getRed()) + Math.abs(c.getGreen() - n.getGreen())
                    + Math.abs(c.getBlue() - n.getBlue());
            assertTrue(d > 60, "labels " + k + ", " + (k + 1) + " too similar: " + d);
        }
        assertEquals(Color.BLACK, BoxPainter.textColor(Color.YELLOW));
        assertEquals(Color.WHITE, BoxPainter.textColor(new Color(0, 0, 128)));
    }

    @Test
    void drawsOutlineInClassColourAndLeavesSourceAlone() {
        BufferedImage src = gray(200, 100);
        BoxPainter.Box b = new BoxPainter.Box(50, 40, 150, 90, 3, "motorcycle", 0.87f);
        BufferedImage out = BoxPainter.draw(src, List.of(b));
        int c = BoxPainter.color(3).getRGB() & 0xffffff;
        assertEquals(c, out.getRGB(100, 90) & 0xffffff, "bottom edge");
        assertEquals(c, out.getRGB(150, 70) & 0xffffff, "right edge");
        assertEquals(0x808080, out.getRGB(100, 70) & 0xffffff, "inside untouched");
        assertEquals(0x808080, src.getRGB(100, 90) & 0xffffff, "source untouched");
        assertEquals("motorcycle 0.87", BoxPainter.labelText(b));
    }

    @Test
    void labelsStayInsideTheImage() {
        BufferedImage img = gray(120, 80);
        List<BoxPainter.Box> boxes = List.of(
                new BoxPainter.Box(0, 0, 30, 30, 0, "person", 0.9f), // top edge: tag goes inside the box
                new BoxPainter.Box(110, 50, 119, 79, 1, "bicycle", 0.5f), // right edge: tag shifted left
                new BoxPainter.Box(-20, -20, 300, 300, 2, "a very long class name", 0.4f)); // larger than image
        List<Rectangle> tags = BoxPainter.drawInPlace(img, boxes);
        assertEquals(3, tags.size());
        Rectangle bounds = new Rectangle(0, 0, 120, 80);
        for (Rectangle t : tags) {
            assertTrue(bounds.contains(t), "tag " + t + " outside the image");
        }
        // the best box (drawn last) has its tag at the top inside the box
        Rectangle top = tags.get(2);
        assertEquals(0, top.y);
        assertEquals(0, top.x);
        Rectangle right = tags.get(1);
        assertEquals(120, right.x + right.width, "shifted to the right border");
        // text pixels differ from the tag colour
        Color c = BoxPainter.color(0);
        boolean text = false;
        for (int y = top.y; y < top.y + top.height; y++) {
            for (int x = top.x; x < top.x + top.width; x++) {
                text |= (img.getRGB(x, y) & 0xffffff) != (c.getRGB() & 0xffffff);
            }
        }
        assertTrue(text, "label text drawn");
    }

    @Test
    void writesPngAndJpeg() throws IOException {
        BufferedImage img = BoxPainter.draw(gray(64, 48),
                List.of(new BoxPainter.Box(5, 5, 40, 40, 7, "truck", 0.3f)));
        Path png = tmp.resolve("out/a.png");
        Path jpg = tmp.resolve("out/a.jpg");
        BoxPainter.write(img, png);
        BoxPainter.write(img, jpg);
        BufferedImage back = ImageIO.read(png.toFile());
        assertEquals(img.getRGB(20, 40), back.getRGB(20, 40));
        BufferedImage backJ = ImageIO.read(jpg.toFile());
        assertEquals(64, backJ.getWidth());
        assertNotEquals(0, java.nio.file.Files.size(jpg));
        try (var s = java.nio.file.Files.list(tmp.resolve("out"))) {
            assertEquals(2, s.count(), "no temp files left");
        }
    }
}
