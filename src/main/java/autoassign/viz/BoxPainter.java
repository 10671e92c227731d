package autoassign.viz;

import autoassign.io.AtomicFiles;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Draws detections on an image with Java2D: one colour per class, a box outline, and a label
 * {@code "name 0.87"} on a filled tag in the class colour with black or white text (whichever reads better).
 * Tags sit above the box when there is room, otherwise just inside its top edge, and are always kept inside
 * the image. Line width and font size scale with the image size.
 */
public final class BoxPainter {

    /** One box to draw, in pixel coordinates of the image (x1, y1, x2, y2). */
    public record Box(float x1, float y1, float x2, float y2, int label, String name, float score) {
    }

    private BoxPainter() {
    }

    /**
     * Colour of a class: hues spaced by the golden ratio (neighbouring labels get far-apart hues), with
     * alternating saturation / brightness so that labels 80 apart stay distinguishable too.
     */
    public static Color color(int label) {
        int l = Math.floorMod(label, 1 << 20);
        float hue = (float) ((l * 0.618033988749895 + 0.05) % 1.0);
        float sat = (l & 1) == 0 ? 0.85f : 0.65f;
        float bri = ((l >> 1) & 1) == 0 ? 0.95f : 0.8f;
        return Color.getHSBColor(hue, sat, bri);
    }

    /** Black or white, whichever contrasts more with {@code bg} (WCAG relative luminance). */
    public static Color textColor(Color bg) {
        double lum = 0.2126 * lin(bg.getRed()) + 0.7152 * lin(bg.getGreen()) + 0.0722 * lin(bg.getBlue());
        // contrast with white: 1.05 / (lum + 0.05); with black: (lum + 0.05) / 0.05
        return (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) ? Color.BLACK : Color.WHITE;
    }

    private static double lin(int c) {
        double s = c / 255.0;
        return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
    }

    /** Label text of a box: {@code "name 0.87"}, or the name alone for a box without a score (NaN: ground truth). */
    public static String labelText(Box b) {
        String name = b.name() == null || b.name().isEmpty() ? Integer.toString(b.label()) : b.name();
        return Float.isNaN(b.score()) ? name : name + " " + String.format(Locale.ROOT, "%.2f", b.score());
    }

    /** Outline width for an image of this size (1 px up to ~500 px, 2 px for COCO-sized images, ...). */
    public static int lineWidth(int width, int height) {
        return Math.max(1, Math.round(Math.max(width, height) / 400f));
    }

    /** Font size in pixels for an image of this size (at least 10). */
    public static int fontSize(int width, int height) {
        return Math.max(10, Math.round(Math.min(width, height) / 36f));
    }

    /** A copy of {@code src} (RGB) with the boxes drawn; {@code src} is not modified. */
    public static BufferedImage draw(BufferedImage src, List<Box> boxes) {
        BufferedImage out = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.drawImage(src, 0, 0, null);
        } finally {
            g.dispose();
        }
        drawInPlace(out, boxes);
        return out;
    }

    /**
     * {@code left} and {@code right} next to each other in one RGB picture (as MMDetection's visualizer puts the
     * ground truth left of the predictions); the shorter one is padded with black at the bottom.
     */
    public static BufferedImage sideBySide(BufferedImage left, BufferedImage right) {
        BufferedImage out = new BufferedImage(left.getWidth() + right.getWidth(),
                Math.max(left.getHeight(), right.getHeight()), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.drawImage(left, 0, 0, null);
            g.drawImage(right, left.getWidth(), 0, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    /**
     * Draws the boxes onto {@code img}; lower scores first, so the best detections end on top.
     *
     * @return the label tag rectangles, in drawing order (for tests and callers that lay out more text)
     */
    public static List<Rectangle> drawInPlace(BufferedImage img, List<Box> boxes) {
        int w = img.getWidth();
        int h = img.getHeight();
        List<Box> sorted = new ArrayList<>(boxes);
        sorted.sort(Comparator.comparingDouble(Box::score));
        Graphics2D g = img.createGraphics();
        List<Rectangle> tags = new ArrayList<>();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            int lw = lineWidth(w, h);
            g.setStroke(new BasicStroke(lw, BasicStroke.CAP_SQUARE, BasicStroke.JOIN_MITER));
            for (Box b : sorted) {
                g.setColor(color(b.label()));
                Rectangle r = boxRect(b, w, h, lw);
                g.drawRect(r.x, r.y, r.width, r.height);
            }
            FontMetrics fm = fontMetrics(g, fontSize(w, h));
            if (fm == null) return tags; // a machine without fonts: boxes only (the json has the labels)
            for (Box b : sorted) {
                Color c = color(b.label());
                String text = labelText(b);
                Rectangle tag = tagRect(b, w, h, fm.stringWidth(text), fm.getAscent() + fm.getDescent());
                g.setColor(c);
                g.fillRect(tag.x, tag.y, tag.width, tag.height);
                g.setColor(textColor(c));
                g.drawString(text, tag.x + 2, tag.y + 1 + fm.getAscent());
                tags.add(tag);
            }
        } finally {
            g.dispose();
        }
        return tags;
    }

    private static volatile boolean warnedNoFonts;

    /** The label font's metrics, or null (warned once) where the JVM finds no font at all, e.g. a bare server. */
    private static FontMetrics fontMetrics(Graphics2D g, int size) {
        try {
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, size));
            return g.getFontMetrics();
        } catch (RuntimeException | LinkageError noFonts) {
            if (!warnedNoFonts) {
                warnedNoFonts = true;
                System.err.println("warning: no fonts available (" + noFonts.getMessage() + "): boxes are drawn without labels");
            }
            return null;
        }
    }

    /** The outline rectangle (clipped to the image; the stroke is centred on it). */
    static Rectangle boxRect(Box b, int w, int h, int lw) {
        int half = lw / 2;
        int x1 = clamp(Math.round(Math.min(b.x1(), b.x2())), half, w - 1 - half);
        int y1 = clamp(Math.round(Math.min(b.y1(), b.y2())), half, h - 1 - half);
        int x2 = clamp(Math.round(Math.max(b.x1(), b.x2())), half, w - 1 - half);
        int y2 = clamp(Math.round(Math.max(b.y1(), b.y2())), half, h - 1 - half);
        return new Rectangle(x1, y1, Math.max(0, x2 - x1), Math.max(0, y2 - y1));
    }

    /**
     * Where the label tag of a box goes: above the box's top-left corner if it fits, else inside the box at its
     * top; then shifted so that it lies inside the image (as far as the image is large enough).
     */
    static Rectangle tagRect(Box b, int w, int h, int textWidth, int textHeight) {
        int tw = Math.min(textWidth + 4, w);
        int th = Math.min(textHeight + 2, h);
        int bx = Math.round(Math.min(b.x1(), b.x2()));
        int by = Math.round(Math.min(b.y1(), b.y2()));
        int y = by - th >= 0 ? by - th : by;
        int x = clamp(bx, 0, w - tw);
        y = clamp(y, 0, h - th);
        return new Rectangle(x, y, tw, th);
    }

    private static int clamp(int v, int lo, int hi) {
        return v < lo ? lo : Math.min(v, Math.max(lo, hi));
    }

    /**
     * Writes an image as PNG or JPEG (chosen by the extension: .png, .jpg, .jpeg; anything else is PNG) to a temp
     * file next to {@code out}, then renames it over {@code out}.
     */
    public static void write(BufferedImage img, Path out) throws IOException {
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        String format = name.endsWith(".jpg") || name.endsWith(".jpeg") ? "jpg" : "png";
        BufferedImage rgb = img;
        if ("jpg".equals(format) && img.getType() != BufferedImage.TYPE_INT_RGB) {
            rgb = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
            Graphics2D g = rgb.createGraphics();
            try {
                g.drawImage(img, 0, 0, null);
            } finally {
                g.dispose();
            }
        }
        BufferedImage image = rgb;
        AtomicFiles.write(out, os -> {
            if (!ImageIO.write(image, format, os)) throw new IOException("no image writer for " + format);
        });
    }
}
