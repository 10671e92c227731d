package autoassign.api;

import autoassign.postprocess.Nms;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;

/**
 * Sliced inference on a large image, as MMDetection's {@code demo/large_image_demo.py}: the image is cut into
 * overlapping patches ({@link PatchGrid}), the detector runs on each patch as on any image (test pipeline, so a 640 px
 * patch is resized to the config's scale; post-processing with the config's {@code test_cfg}: score > 0.05, NMS,
 * 100 per patch), each patch's boxes are shifted by its offset, and all of them are merged by one class-aware NMS
 * ({@code mmdet.utils.large_image.merge_results_by_nms}: MMCV's {@code batched_nms} with {@code type='nms'}, no cap on
 * the number kept).
 */
public final class SlicedDetection {
    private SlicedDetection() {}

    /** large_image_demo.py's defaults: {@code --patch-size 640 --patch-overlap-ratio 0.25 --merge-iou-thr 0.25}. */
    public static final int DEFAULT_PATCH_SIZE = 640;
    public static final double DEFAULT_OVERLAP_RATIO = 0.25;
    public static final float DEFAULT_MERGE_IOU_THR = 0.25f;

    /**
     * @param detections merged detections in original-image pixels, best first
     * @param patches    the patches the image was cut into
     */
    public record Result(List<Detection> detections, List<PatchGrid.Patch> patches) {}

    /**
     * Detects objects in a (large) 8-bit BGR image patch by patch.
     *
     * @param overlapRatio fraction of a patch shared with its neighbour, {@code 0 <= r < 1}
     * @param mergeIouThr  IoU above which the merge NMS drops the lower-scored of two same-class boxes
     */
    public static Result detect(Detector detector, Mat bgr, int patchSize, double overlapRatio, float mergeIouThr) {
        List<PatchGrid.Patch> grid = PatchGrid.patches(bgr.rows(), bgr.cols(), patchSize, overlapRatio);
        List<Detection> all = new ArrayList<>();
        for (PatchGrid.Patch p : grid) {
            // a copy, as sahi hands the model a numpy copy of the slice (and the pipeline wants continuous pixels)
            try (Rect r = new Rect(p.x1(), p.y1(), p.width(), p.height()); Mat view = new Mat(bgr, r); Mat patch = view.clone()) {
                all.addAll(shift(detector.detect(patch), p.x1(), p.y1()));
            }
        }
        return new Result(merge(all, mergeIouThr), grid);
    }

    /** Boxes moved by a patch's offset, in float32 as {@code shift_bboxes} adds the offset tensor. */
    public static List<Detection> shift(List<Detection> dets, int dx, int dy) {
        List<Detection> out = new ArrayList<>(dets.size());
        float fx = dx, fy = dy;
        for (Detection d : dets) {
            out.add(new Detection(d.x1() + fx, d.y1() + fy, d.x2() + fx, d.y2() + fy, d.score(), d.label(),
                    d.className(), d.categoryId()));
        }
        return out;
    }

    /**
     * The patches' detections merged by class-aware NMS ({@link Nms#batchedNms}): every one kept, best first. MMCV
     * runs per-class NMS instead of the coordinate offset above 10,000 boxes, on the same offset boxes, which keeps
     * the same set (classes never overlap after the offset).
     */
    public static List<Detection> merge(List<Detection> dets, float iouThr) {
        int n = dets.size();
        float[] boxes = new float[4 * n];
        float[] scores = new float[n];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            Detection d = dets.get(i);
            boxes[4 * i] = d.x1();
            boxes[4 * i + 1] = d.y1();
            boxes[4 * i + 2] = d.x2();
            boxes[4 * i + 3] = d.y2();
            scores[i] = d.score();
            labels[i] = d.label();
        }
        List<Detection> out = new ArrayList<>();
        for (int i : Nms.batchedNms(boxes, scores, labels, iouThr)) out.add(dets.get(i));
        return out;
    }
}
