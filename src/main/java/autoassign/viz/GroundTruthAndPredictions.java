package autoassign.viz;

import autoassign.data.BadImageException;
import autoassign.data.CategoryMap;
import autoassign.data.CocoDataset;
import autoassign.data.GroundTruth;
import autoassign.data.ImageDecoder;
import autoassign.data.ImageRecord;
import autoassign.postprocess.Detections;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * MMDetection's DetLocalVisualizer picture of one evaluated image: the original image with its ground truth (left;
 * crowd / ignored regions marked {@code (crowd)}) next to the same image with the predictions whose score is above the
 * threshold (right; {@code scores > thr}, as the visualizer filters). What {@code eval --show-dir} and a training's
 * {@code DetVisualizationHook(draw=True)} write.
 */
public final class GroundTruthAndPredictions {
    private GroundTruthAndPredictions() {}

    /** Image {@code index} of {@code dataset} decoded and drawn with its ground truth | {@code dets} above {@code scoreThr}. */
    public static BufferedImage draw(CocoDataset dataset, int index, Detections dets, float scoreThr) throws BadImageException {
        return draw(dataset, index, dets, scoreThr, true);
    }

    /**
     * With {@code drawGt} false only the predictions, on the original image (DetLocalVisualizer's
     * {@code add_datasample(..., draw_gt=False)}, what analyze_results.py draws): the picture is the image's size.
     */
    public static BufferedImage draw(CocoDataset dataset, int index, Detections dets, float scoreThr, boolean drawGt)
            throws BadImageException {
        ImageRecord r = dataset.get(index);
        BufferedImage original;
        try (Mat m = ImageDecoder.decode(dataset.imagePath(r))) {
            original = toImage(m);
        }
        List<BoxPainter.Box> gt = boxes(new GroundTruth(r.boxes(), r.labels(), r.crowdBoxes(), r.crowdLabels()), dataset.categories());
        List<BoxPainter.Box> pred = new ArrayList<>();
        for (int i = 0; i < dets.size(); i++)
            if (dets.score(i) > scoreThr)
                pred.add(new BoxPainter.Box(dets.x1(i), dets.y1(i), dets.x2(i), dets.y2(i), dets.label(i),
                        dataset.categories().name(dets.label(i)), dets.score(i)));
        if (!drawGt) return BoxPainter.draw(original, pred);
        return BoxPainter.sideBySide(BoxPainter.draw(original, gt), BoxPainter.draw(original, pred));
    }

    /** Ground-truth boxes with their class names (no score); ignored regions named {@code <class> (crowd)}. */
    public static List<BoxPainter.Box> boxes(GroundTruth gt, CategoryMap categories) {
        List<BoxPainter.Box> out = new ArrayList<>();
        float[] b = gt.boxes();
        for (int k = 0; k < gt.count(); k++)
            out.add(new BoxPainter.Box(b[4 * k], b[4 * k + 1], b[4 * k + 2], b[4 * k + 3], gt.labels()[k],
                    categories.name(gt.labels()[k]), Float.NaN));
        float[] c = gt.ignoredBoxes();
        for (int k = 0; k < gt.ignoredCount(); k++)
            out.add(new BoxPainter.Box(c[4 * k], c[4 * k + 1], c[4 * k + 2], c[4 * k + 3], gt.ignoredLabels()[k],
                    categories.name(gt.ignoredLabels()[k]) + " (crowd)", Float.NaN));
        return out;
    }

    /** An 8-bit BGR OpenCV image as a {@code TYPE_3BYTE_BGR} image (a copy). */
    public static BufferedImage toImage(Mat bgr) {
        if (bgr.type() != opencv_core.CV_8UC3) throw new IllegalArgumentException("expected an 8-bit 3-channel BGR image");
        BufferedImage img = new BufferedImage(bgr.cols(), bgr.rows(), BufferedImage.TYPE_3BYTE_BGR);
        byte[] dst = ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
        System.arraycopy(ImageDecoder.pixels(bgr), 0, dst, 0, dst.length);
        return img;
    }
}
