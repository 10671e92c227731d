package autoassign.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/**
 * The pictures of MMDetection's {@code coco_error_analysis.py}, drawn with Java2D at matplotlib's default figure
 * size (640 × 480, axes at its default subplot margins): the stacked precision-recall areas of {@code makeplot},
 * the grouped bars of {@code makebarplot}, and the two {@code --extraplots} statistics (GT count per area group,
 * histogram of the square-root GT areas). Filled areas between curves are not a JFreeChart chart type, hence
 * Java2D, as {@link ConfusionMatrixPlot}.
 */
public final class CocoErrorPlots {

    private CocoErrorPlots() {
    }

    private static final int W = 640;
    private static final int H = 480;

    /** The script's {@code cs}: C75 and C50 white, then Loc blue, Sim red, Oth green, BG purple, FN orange. */
    private static final Color[] AREA_COLORS = {Color.WHITE, Color.WHITE, rgb(0.31, 0.51, 0.74), rgb(0.75, 0.31, 0.30),
        rgb(0.36, 0.90, 0.38), rgb(0.50, 0.39, 0.64), rgb(1, 0.6, 0)};

    /** matplotlib's default colour cycle ({@code tab10}), which the bar plots use. */
    private static final Color[] TAB10 = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
        new Color(0xbcbd22), new Color(0x17becf)};

    private static Color rgb(double r, double g, double b) {
        return new Color((float) r, (float) g, (float) b);
    }

    /**
     * {@code makeplot}: curve {@code k} filled down to curve {@code k - 1} (the first down to 0) in the script's
     * colours, each curve a thin black line, recall and precision in [0, 1], legend ({@code [0.583]C75}, ...) where
     * the curves leave room.
     */
    public static BufferedImage prPlot(String title, double[] recall, double[][] curves, List<String> legend) {
        Canvas c = new Canvas(title, "recall", "precision", 0, 1, 0, 1);
        Graphics2D g = c.g;
        double[] lower = new double[recall.length];
        for (int k = 0; k < curves.length; k++) { // fills first (matplotlib draws lines above collections)
            Path2D.Double p = new Path2D.Double();
            for (int i = 0; i < recall.length; i++) {
                if (i == 0) {
                    p.moveTo(c.px(recall[i]), c.py(curves[k][i]));
                } else {
                    p.lineTo(c.px(recall[i]), c.py(curves[k][i]));
                }
            }
            for (int i = recall.length - 1; i >= 0; i--) {
                p.lineTo(c.px(recall[i]), c.py(lower[i]));
            }
            p.closePath();
            g.setColor(AREA_COLORS[k % AREA_COLORS.length]);
            g.fill(p);
            g.draw(p); // the script's colour= sets the edge too: closes hairline gaps between neighbours
            lower = curves[k];
        }
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(0.7f));
        for (double[] curve : curves) {
            Path2D.Double p = new Path2D.Double();
            for (int i = 0; i < recall.length; i++) {
                c.vertices.add(new double[] {c.px(recall[i]), c.py(curve[i])});
                if (i == 0) {
                    p.moveTo(c.px(recall[i]), c.py(curve[i]));
                } else {
                    p.lineTo(c.px(recall[i]), c.py(curve[i]));
                }
            }
            g.draw(p);
        }
        Color[] colors = new Color[curves.length];
        for (int k = 0; k < curves.length; k++) {
            colors[k] = AREA_COLORS[k % AREA_COLORS.length];
        }
        c.frame(ticks(0, 1), ticks(0, 1));
        c.legend(legend, colors);
        return c.done();
    }

    /**
     * {@code makebarplot}: for each area ({@code aps[type][area]}), one bar per type side by side (width
     * {@code 0.6 / 7}, the script leaves the seventh slot, FN, empty), each labelled with its value in percent.
     */
    public static BufferedImage apBarPlot(String title, double[][] aps, List<String> types, List<String> areas) {
        int nt = aps.length;
        double width = 0.6;
        double slot = width / (nt + 1);
        double lo = -width / 2 + slot - slot / 2;
        double hi = areas.size() - 1 - width / 2 + nt * slot + slot / 2;
        double top = 0;
        for (double[] a : aps) {
            for (double v : a) {
                top = Math.max(top, v);
            }
        }
        double[] x = margins(lo, hi);
        Canvas c = new Canvas(title, null, "Mean Average Precision (mAP)", x[0], x[1], 0, top > 0 ? top * 1.05 : 1);
        Color[] colors = new Color[nt];
        for (int i = 0; i < nt; i++) {
            colors[i] = TAB10[i % TAB10.length];
            for (int a = 0; a < areas.size(); a++) {
                double center = a - width / 2 + (i + 1) * slot;
                c.bar(center - slot / 2, center + slot / 2, aps[i][a], colors[i]);
            }
        }
        for (int i = 0; i < nt; i++) {
            for (int a = 0; a < areas.size(); a++) {
                c.barLabel(a - width / 2 + (i + 1) * slot, aps[i][a]);
            }
        }
        c.frame(categoryTicks(areas), ticks(0, c.y1));
        c.legend(types.subList(0, nt), colors);
        return c.done();
    }

    /** {@code make_gt_area_group_numbers_plot}: one bar per COCOeval area label, its count above it. */
    public static BufferedImage countPlot(String title, List<String> labels, long[] counts) {
        long top = 0;
        for (long n : counts) {
            top = Math.max(top, n);
        }
        double[] x = margins(-0.3, labels.size() - 1 + 0.3);
        Canvas c = new Canvas(title, null, "Number of annotations", x[0], x[1], 0, top > 0 ? top * 1.05 : 1);
        for (int i = 0; i < counts.length; i++) {
            c.bar(i - 0.3, i + 0.3, counts[i], TAB10[0]);
        }
        for (int i = 0; i < counts.length; i++) {
            c.barLabel(i, counts[i]);
        }
        c.frame(categoryTicks(labels), ticks(0, c.y1));
        return c.done();
    }

    /** {@code make_gt_area_histogram_plot}: the bins of {@code edges} with their {@code counts}. */
    public static BufferedImage histogramPlot(String title, String xLabel, double[] edges, long[] counts) {
        long top = 0;
        for (long n : counts) {
            top = Math.max(top, n);
        }
        double[] x = margins(edges[0], edges[edges.length - 1]);
        Canvas c = new Canvas(title, xLabel, "Number of annotations", x[0], x[1], 0, top > 0 ? top * 1.05 : 1);
        for (int i = 0; i < counts.length; i++) {
            c.bar(edges[i], edges[i + 1], counts[i], TAB10[0]);
        }
        c.frame(ticks(x[0], x[1]), ticks(0, c.y1));
        return c.done();
    }

    /** The script's {@code autolabel} text: a value in (0, 1] as a percentage, else the value, {@code '{:2.0f}'}. */
    public static String barText(double v) {
        double shown = v > 0 && v <= 1 ? v * 100 : v;
        String s = Double.isFinite(shown) ? new BigDecimal(shown).setScale(0, RoundingMode.HALF_EVEN).toPlainString()
                : String.valueOf(shown);
        return s.length() < 2 ? " " + s : s;
    }

    /** matplotlib's default 5 % data margins. */
    private static double[] margins(double lo, double hi) {
        double m = (hi - lo) * 0.05;
        return m > 0 ? new double[] {lo - m, hi + m} : new double[] {lo - 0.5, hi + 0.5};
    }

    private record Tick(double at, String label) {
    }

    private static List<Tick> categoryTicks(List<String> labels) {
        java.util.ArrayList<Tick> t = new java.util.ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            t.add(new Tick(i, labels.get(i)));
        }
        return t;
    }

    /** Round ticks over [lo, hi]: steps 1, 2, 2.5 or 5 × 10^n, at most 8 intervals (0.0, 0.2, ..., 1.0 for [0, 1]). */
    static List<Tick> ticks(double lo, double hi) {
        java.util.ArrayList<Tick> t = new java.util.ArrayList<>();
        double span = hi - lo;
        if (!(span > 0)) {
            return t;
        }
        double base = Math.pow(10, Math.floor(Math.log10(span / 8)));
        double step = base * 10;
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (span / (base * m) <= 8) {
                step = base * m;
                break;
            }
        }
        int decimals = (int) Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
        if (Math.abs(step / Math.pow(10, -decimals) - Math.rint(step / Math.pow(10, -decimals))) > 1e-6) {
            decimals++; // 0.25 and the like
        }
        if (decimals == 0 && step < 1) {
            decimals = 1;
        }
        for (long i = (long) Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) {
            double v = i * step;
            String label = decimals == 0 && Math.abs(v) < 1e15 ? Long.toString(Math.round(v))
                    : String.format(java.util.Locale.ROOT, "%." + decimals + "f", v);
            t.add(new Tick(v, label));
        }
        return t;
    }

    /** A figure with one axes: data-to-pixel mapping, frame, ticks, labels and legend. */
    private static final class Canvas {
        final BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = img.createGraphics();
        // matplotlib's subplot parameters: left .125, right .9, bottom .11, top .88
        final double left = 0.125 * W;
        final double right = 0.9 * W;
        final double top = (1 - 0.88) * H;
        final double bottom = (1 - 0.11) * H;
        final double x0;
        final double x1;
        final double y0;
        final double y1;
        final String title;
        final String xLabel;
        final String yLabel;
        final Font tickFont = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        final Font titleFont = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
        final Font smallFont = new Font(Font.SANS_SERIF, Font.PLAIN, 9);
        final boolean text;
        /** What a legend should not cover: line vertices and bars, in pixels (matplotlib's loc='best'). */
        final List<double[]> vertices = new java.util.ArrayList<>();
        final List<Rectangle2D> bars = new java.util.ArrayList<>();

        Canvas(String title, String xLabel, String yLabel, double x0, double x1, double y0, double y1) {
            this.title = title;
            this.xLabel = xLabel;
            this.yLabel = yLabel;
            this.x0 = x0;
            this.x1 = x1;
            this.y0 = y0;
            this.y1 = y1;
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, W, H);
            g.clip(new Rectangle2D.Double(left, top, right - left, bottom - top));
            this.text = fontsWork(g);
        }

        /** False where the JVM has no fonts at all: then the pictures are drawn without text. */
        private static boolean fontsWork(Graphics2D g) {
            try {
                return g.getFontMetrics(new Font(Font.SANS_SERIF, Font.PLAIN, 12)).stringWidth("0") > 0;
            } catch (RuntimeException | LinkageError noFonts) {
                System.err.println("warning: no fonts available (" + noFonts.getMessage() + "): plots drawn without text");
                return false;
            }
        }

        double px(double x) {
            return left + (x - x0) / (x1 - x0) * (right - left);
        }

        double py(double y) {
            return bottom - (y - y0) / (y1 - y0) * (bottom - top);
        }

        void bar(double from, double to, double height, Color color) {
            g.setColor(color);
            double a = px(from);
            double b = px(to);
            double yTop = Math.min(py(height), py(0));
            Rectangle2D r = new Rectangle2D.Double(a, yTop, b - a, Math.abs(py(0) - py(height)));
            g.fill(r);
            bars.add(r);
        }

        void barLabel(double center, double height) {
            if (!text) {
                return;
            }
            Graphics2D t = (Graphics2D) g.create();
            t.setClip(null);
            t.setFont(smallFont);
            t.setColor(Color.BLACK);
            String s = barText(height).strip();
            FontMetrics fm = t.getFontMetrics();
            t.drawString(s, (float) (px(center) - fm.stringWidth(s) / 2.0), (float) (py(height) - 3 - fm.getDescent()));
            t.dispose();
        }

        /** Axes frame, ticks with labels, axis labels and title (drawn unclipped, over the data). */
        void frame(List<Tick> xTicks, List<Tick> yTicks) {
            g.setClip(null);
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(0.8f));
            g.draw(new Rectangle2D.Double(left, top, right - left, bottom - top));
            FontMetrics fm = text ? g.getFontMetrics(tickFont) : null;
            g.setFont(tickFont);
            for (Tick t : xTicks) {
                double x = px(t.at());
                if (x < left - 0.5 || x > right + 0.5) {
                    continue;
                }
                g.draw(new java.awt.geom.Line2D.Double(x, bottom, x, bottom + 3.5));
                if (text) {
                    g.drawString(t.label(), (float) (x - fm.stringWidth(t.label()) / 2.0), (float) (bottom + 5 + fm.getAscent()));
                }
            }
            int yLabelW = 0;
            for (Tick t : yTicks) {
                double y = py(t.at());
                if (y < top - 0.5 || y > bottom + 0.5) {
                    continue;
                }
                g.draw(new java.awt.geom.Line2D.Double(left - 3.5, y, left, y));
                if (text) {
                    int w = fm.stringWidth(t.label());
                    yLabelW = Math.max(yLabelW, w);
                    g.drawString(t.label(), (float) (left - 6 - w), (float) (y + fm.getAscent() / 2.0 - 2));
                }
            }
            if (!text) {
                return;
            }
            if (xLabel != null) {
                g.drawString(xLabel, (float) ((left + right) / 2 - fm.stringWidth(xLabel) / 2.0),
                        (float) (bottom + 8 + fm.getHeight() + fm.getAscent()));
            }
            if (yLabel != null) {
                AffineTransform base = g.getTransform();
                g.translate(left - 10 - yLabelW - fm.getDescent(), (top + bottom) / 2 + fm.stringWidth(yLabel) / 2.0);
                g.rotate(-Math.PI / 2);
                g.drawString(yLabel, 0, 0);
                g.setTransform(base);
            }
            g.setFont(titleFont);
            FontMetrics tm = g.getFontMetrics();
            g.drawString(title, (float) ((left + right) / 2 - tm.stringWidth(title) / 2.0), (float) (top - 7));
        }

        /**
         * A legend box (colour patch and text per entry) where it covers the fewest line vertices and bars, trying
         * matplotlib's {@code loc='best'} candidates in its order: upper right, upper left, lower left, lower right,
         * right, center left, center right, lower center, upper center, center.
         */
        void legend(List<String> labels, Color[] colors) {
            if (!text || labels.isEmpty()) {
                return;
            }
            Font f = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
            FontMetrics fm = g.getFontMetrics(f);
            int textW = 0;
            for (String l : labels) {
                textW = Math.max(textW, fm.stringWidth(l));
            }
            int row = fm.getHeight() + 2;
            int patchW = 22;
            int boxW = 8 + patchW + 6 + textW + 8;
            int boxH = 6 + row * labels.size() + 4;
            double pad = 8;
            double[] xs = {right - pad - boxW, left + pad, (left + right - boxW) / 2};
            double[] ys = {top + pad, bottom - pad - boxH, (top + bottom - boxH) / 2};
            int[][] order = {{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 2}, {1, 2}, {0, 2}, {2, 1}, {2, 0}, {2, 2}};
            double bx = xs[0];
            double by = ys[0];
            long best = Long.MAX_VALUE;
            for (int[] o : order) {
                Rectangle2D box = new Rectangle2D.Double(xs[o[0]], ys[o[1]], boxW, boxH);
                long bad = 0;
                for (double[] v : vertices) {
                    if (box.contains(v[0], v[1])) {
                        bad++;
                    }
                }
                for (Rectangle2D r : bars) {
                    if (box.intersects(r)) {
                        bad++;
                    }
                }
                if (bad < best) {
                    best = bad;
                    bx = box.getX();
                    by = box.getY();
                }
            }
            g.setColor(new Color(255, 255, 255, 204)); // framealpha 0.8
            g.fill(new Rectangle2D.Double(bx, by, boxW, boxH));
            g.setColor(new Color(0xcc, 0xcc, 0xcc));
            g.setStroke(new BasicStroke(1f));
            g.draw(new Rectangle2D.Double(bx, by, boxW, boxH));
            g.setFont(f);
            for (int i = 0; i < labels.size(); i++) {
                double ry = by + 6 + i * row;
                Rectangle2D patch = new Rectangle2D.Double(bx + 8, ry + (row - 9) / 2.0, patchW, 9);
                g.setColor(colors[i]);
                g.fill(patch);
                if (colors[i].equals(Color.WHITE)) { // white patches (C75, C50) would vanish: outline them
                    g.setColor(Color.GRAY);
                    g.draw(patch);
                }
                g.setColor(Color.BLACK);
                g.drawString(labels.get(i), (float) (bx + 8 + patchW + 6), (float) (ry + fm.getAscent()));
            }
        }

        BufferedImage done() {
            g.dispose();
            return img;
        }
    }
}
