package autoassign.viz;

import autoassign.eval.ConfusionMatrix;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The picture of MMDetection's {@code plot_confusion_matrix}, drawn with Java2D (a heat map with text in every
 * cell is not a chart type that fits JFreeChart): row-normalised percentages in the {@code plasma} colour map
 * (0 to 100 %), the truncated percentage written in each cell ({@code int(v)}), ground-truth classes down the
 * left, predicted classes along the top at 45 degrees, background last, a colour bar on the right. Rows without
 * any count (a class with neither GTs nor detections) stay white and empty. Cell text is black or white,
 * whichever reads better on its colour (the script always writes white).
 */
public final class ConfusionMatrixPlot {

    private ConfusionMatrixPlot() {
    }

    /** matplotlib's {@code plasma} at 0, 0.1, ..., 1 (interpolated linearly in between). */
    private static final int[] PLASMA = {0x0d0887, 0x41049d, 0x6a00a8, 0x8f0da4, 0xb12a90, 0xcc4778, 0xe16462,
        0xf2844b, 0xfca636, 0xfcce25, 0xf0f921};

    /** The plasma colour of {@code t} in [0, 1] (clamped). */
    public static Color plasma(double t) {
        double x = Math.max(0, Math.min(1, t)) * (PLASMA.length - 1);
        int i = Math.min((int) x, PLASMA.length - 2);
        double f = x - i;
        int a = PLASMA[i], b = PLASMA[i + 1];
        return new Color(mix(a >> 16, b >> 16, f), mix(a >> 8, b >> 8, f), mix(a, b, f));
    }

    private static int mix(int a, int b, double f) {
        return (int) Math.round((a & 0xff) * (1 - f) + (b & 0xff) * f);
    }

    /** Cell edge in pixels: large for a few classes, small enough for COCO's 81 rows to stay readable. */
    static int cellSize(int n) {
        return n <= 8 ? 64 : n <= 24 ? 44 : 32;
    }

    /** Renders the matrix. */
    public static BufferedImage render(ConfusionMatrix m) {
        List<String> labels = m.labels();
        double[][] pct = m.rowPercentages();
        int n = labels.size();
        int cs = cellSize(n);
        Font tick = new Font(Font.SANS_SERIF, Font.PLAIN, n <= 24 ? 13 : 11);
        Font cellFont = new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(9, cs / 4));
        Font title = new Font(Font.SANS_SERIF, Font.BOLD, 16);
        Font axis = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
        Metrics fm = Metrics.of(tick, cellFont, title, axis);

        int labelW = 0;
        for (String l : labels) {
            labelW = Math.max(labelW, fm.width(tick, l));
        }
        int diag = (int) Math.ceil(labelW * Math.sqrt(0.5)) + fm.height(tick);
        int gx = 16 + fm.height(axis) + 12 + labelW + 8;
        int gy = 16 + fm.height(title) + 12 + diag + 6;
        int grid = n * cs;
        int barX = gx + grid + 24;
        int barW = 18;
        int right = Math.max(barW + 24 + 8 + fm.width(tick, "100%") + 16, diag - cs / 2 + 16);
        int width = gx + grid + right;
        int height = gy + grid + 12 + fm.height(axis) + 16;

        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double v = pct[i][j];
                    Color c = Double.isNaN(v) ? Color.WHITE : plasma(v / 100);
                    g.setColor(c);
                    g.fillRect(gx + j * cs, gy + i * cs, cs, cs);
                    if (!Double.isNaN(v) && fm.ok()) {
                        String text = (int) v + "%";
                        g.setFont(cellFont);
                        g.setColor(BoxPainter.textColor(c));
                        g.drawString(text, gx + j * cs + (cs - fm.width(cellFont, text)) / 2,
                                gy + i * cs + (cs + fm.ascent(cellFont) - fm.descent(cellFont)) / 2);
                    }
                }
            }
            g.setColor(new Color(0xb0b0b0));
            g.setStroke(new BasicStroke(1));
            for (int k = 0; k <= n; k++) {
                g.drawLine(gx + k * cs, gy, gx + k * cs, gy + grid);
                g.drawLine(gx, gy + k * cs, gx + grid, gy + k * cs);
            }
            g.setColor(Color.BLACK);
            g.drawRect(gx, gy, grid, grid);
            for (int k = 0; k <= 100; k += 1) { // colour bar, 0 % at the bottom
                g.setColor(plasma(k / 100.0));
                int y0 = gy + (int) Math.round(grid * (1 - (k + 1) / 101.0));
                int y1 = gy + (int) Math.round(grid * (1 - k / 101.0));
                g.fillRect(barX, y0, barW, Math.max(1, y1 - y0));
            }
            g.setColor(Color.BLACK);
            g.drawRect(barX, gy, barW, grid);
            if (fm.ok()) {
                g.setFont(tick);
                for (int k = 0; k <= 100; k += 20) {
                    int y = gy + (int) Math.round(grid * (1 - k / 100.0));
                    g.drawLine(barX + barW, y, barX + barW + 4, y);
                    g.drawString(k + "%", barX + barW + 8, y + fm.ascent(tick) / 2 - 1);
                }
                for (int i = 0; i < n; i++) { // ground-truth classes, right-aligned left of the rows
                    String l = labels.get(i);
                    g.drawString(l, gx - 8 - fm.width(tick, l), gy + i * cs + (cs + fm.ascent(tick) - fm.descent(tick)) / 2);
                }
                AffineTransform base = g.getTransform();
                for (int j = 0; j < n; j++) { // predicted classes above the columns, rising at 45 degrees
                    g.translate(gx + j * cs + cs / 2.0, gy - 6);
                    g.rotate(-Math.PI / 4);
                    g.drawString(labels.get(j), 0, 0);
                    g.setTransform(base);
                }
                g.setFont(title);
                String t = "Normalized Confusion Matrix";
                g.drawString(t, gx + (grid - fm.width(title, t)) / 2, 16 + fm.ascent(title));
                g.setFont(axis);
                String x = "Prediction Label";
                g.drawString(x, gx + (grid - fm.width(axis, x)) / 2, gy + grid + 12 + fm.ascent(axis));
                String y = "Ground Truth Label";
                g.translate(16 + fm.ascent(axis), gy + (grid + fm.width(axis, y)) / 2.0);
                g.rotate(-Math.PI / 2);
                g.drawString(y, 0, 0);
                g.setTransform(base);
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Renders the matrix and writes it as PNG (temp file + rename). */
    public static void write(ConfusionMatrix m, Path png) throws IOException {
        BoxPainter.write(render(m), png);
    }

    /** Font measurements, or none where the JVM has no fonts at all (then only the colours are drawn). */
    private record Metrics(java.util.Map<Font, FontMetrics> byFont) {

        static Metrics of(Font... fonts) {
            java.util.Map<Font, FontMetrics> map = new java.util.HashMap<>();
            BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = scratch.createGraphics();
            try {
                for (Font f : fonts) {
                    map.put(f, g.getFontMetrics(f));
                }
            } catch (RuntimeException | LinkageError noFonts) {
                System.err.println("warning: no fonts available (" + noFonts.getMessage()
                        + "): confusion matrix drawn without text");
                map.clear();
            } finally {
                g.dispose();
            }
            return new Metrics(map);
        }

        boolean ok() {
            return !byFont.isEmpty();
        }

        int width(Font f, String s) {
            return ok() ? byFont.get(f).stringWidth(s) : 0;
        }

        int height(Font f) {
            return ok() ? byFont.get(f).getHeight() : 0;
        }

        int ascent(Font f) {
            return ok() ? byFont.get(f).getAscent() : 0;
        }

        int descent(Font f) {
            return ok() ? byFont.get(f).getDescent() : 0;
        }
    }
}
