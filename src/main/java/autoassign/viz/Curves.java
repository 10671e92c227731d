package autoassign.viz;

import autoassign.io.AtomicFiles;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Training curves as one PNG: loss terms over iterations (left) and COCO AP / AP50 over epochs (right); and the
 * learning-rate schedule of a config.
 */
public final class Curves {
    private Curves() {}

    /**
     * Draws the records of a metrics log: iteration records carry {@code iter} and loss keys, evaluation
     * records carry {@code epoch} and {@code bbox_mAP} / {@code bbox_mAP_50}; {@code valOverIterations}: AP against
     * the iteration instead (an iteration-based loop).
     */
    public static void write(List<Map<String, Object>> records, Path png, boolean valOverIterations) throws IOException {
        String valX = valOverIterations ? "iter" : "epoch";
        XYSeriesCollection losses = new XYSeriesCollection();
        XYSeriesCollection maps = new XYSeriesCollection();
        XYSeries ap = new XYSeries("AP"), ap50 = new XYSeries("AP50");
        Map<String, XYSeries> lossSeries = new java.util.LinkedHashMap<>();
        for (Map<String, Object> r : records) {
            if (r.get("iter") instanceof Number it && "train".equals(r.get("mode"))) {
                for (var e : r.entrySet()) {
                    if (e.getKey().startsWith("loss") && e.getValue() instanceof Number v && Double.isFinite(v.doubleValue()))
                        lossSeries.computeIfAbsent(e.getKey(), XYSeries::new).add(it.doubleValue(), v.doubleValue());
                }
            }
            if ("val".equals(r.get("mode")) && r.get(valX) instanceof Number ep) {
                // COCO's names, VOCMetric's (pascal_voc/mAP over its thresholds, pascal_voc/AP50), LVISMetric's or CrowdHumanMetric's
                if ((r.containsKey("bbox_mAP") ? r.get("bbox_mAP") : r.containsKey("pascal_voc/mAP") ? r.get("pascal_voc/mAP")
                        : r.containsKey("lvis/bbox_AP") ? r.get("lvis/bbox_AP") : r.get("crowd_human/mAP")) instanceof Number v)
                    ap.add(ep.doubleValue(), v.doubleValue());
                if ((r.containsKey("bbox_mAP_50") ? r.get("bbox_mAP_50") : r.containsKey("pascal_voc/AP50") ? r.get("pascal_voc/AP50")
                        : r.get("lvis/bbox_AP50")) instanceof Number v)
                    ap50.add(ep.doubleValue(), v.doubleValue());
            }
        }
        lossSeries.values().forEach(losses::addSeries);
        maps.addSeries(ap);
        maps.addSeries(ap50);
        JFreeChart left = ChartFactory.createXYLineChart("Training loss", "iteration", "loss", losses,
                PlotOrientation.VERTICAL, true, false, false);
        JFreeChart right = ChartFactory.createXYLineChart("Validation (bbox)", valOverIterations ? "iteration" : "epoch", "AP", maps,
                PlotOrientation.VERTICAL, true, false, false);
        BufferedImage img = new BufferedImage(1400, 500, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        left.draw(g, new java.awt.geom.Rectangle2D.Double(0, 0, 700, 500));
        right.draw(g, new java.awt.geom.Rectangle2D.Double(700, 0, 700, 500));
        g.dispose();
        writePng(img, png);
    }

    /** Named curves ({@code name → [x, y] points}) in one chart, e.g. the same key of several runs. */
    public static void writeSeries(java.util.Map<String, List<double[]>> curves, String xLabel, String title, Path png)
            throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (var e : curves.entrySet()) {
            XYSeries series = new XYSeries(e.getKey());
            for (double[] p : e.getValue()) if (Double.isFinite(p[1])) series.add(p[0], p[1]);
            data.addSeries(series);
        }
        writeChart(ChartFactory.createXYLineChart(title, xLabel, null, data, PlotOrientation.VERTICAL, true, false, false), png);
    }

    private static void writePng(BufferedImage img, Path png) throws IOException {
        // no ImageIO disk cache: it registers a shutdown hook, which fails while a signal stops the JVM
        javax.imageio.ImageIO.setUseCache(false);
        AtomicFiles.write(png, os -> ChartUtils.writeBufferedImageAsPNG(os, img));
    }

    /** The learning rate of every iteration ({@code lr[i]}: iteration i + 1), with the epochs as a second axis label. */
    public static void writeSchedule(double[] lr, int epochLength, Path png, String title) throws IOException {
        XYSeries series = new XYSeries("lr");
        int step = Math.max(1, lr.length / 4000); // a few thousand points draw a smooth curve
        for (int i = 0; i < lr.length; i++) {
            boolean jump = i > 0 && Math.abs(lr[i] - lr[i - 1]) > 0.01 * Math.abs(lr[i - 1]); // a step decay, a warm-up
            if (jump) series.add(i, lr[i - 1]);
            if (jump || i % step == 0 || i == lr.length - 1) series.add(i + 1, lr[i]);
        }
        writeChart(ChartFactory.createXYLineChart("Learning rate: " + title, "iteration (" + epochLength + " an epoch)", "lr",
                new XYSeriesCollection(series), PlotOrientation.VERTICAL, false, false, false), png);
    }

    /** One chart as a 900 × 500 PNG. */
    private static void writeChart(JFreeChart chart, Path png) throws IOException {
        BufferedImage img = new BufferedImage(900, 500, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        chart.draw(g, new java.awt.geom.Rectangle2D.Double(0, 0, 900, 500));
        g.dispose();
        writePng(img, png);
    }
}
