package autoassign.onnx;

import autoassign.config.DataPreprocessorConfig;
import autoassign.io.AtomicFiles;
import autoassign.model.AutoAssignDetector;
import autoassign.postprocess.PostProcessConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/** Writes a detector as an {@code .onnx} file (temp file + rename): the graph of {@link DetectorGraph}. */
public final class OnnxExport {
    private OnnxExport() {}

    /** What was written: the graph (for the summary line). */
    public static OnnxGraph write(AutoAssignDetector model, InputShape shape, Path to, String producerVersion) throws IOException {
        return write(model, shape, null, to, producerVersion);
    }

    /** {@link #write(AutoAssignDetector, InputShape, Path, String)}, with the post-processing {@code post} when not null. */
    public static OnnxGraph write(AutoAssignDetector model, InputShape shape, PostProcessConfig post, Path to, String producerVersion) throws IOException {
        OnnxGraph graph = DetectorGraph.build(model, shape, post);
        String doc = inputDescription(model.config().dataPreprocessor(), shape)
                + (post == null ? RAW_OUTPUTS : postProcessDescription(post));
        AtomicFiles.write(to, out -> OnnxModelWriter.write(graph, producerVersion, doc, out));
        return graph;
    }

    /** What {@code dets} / {@code labels} hold, for the model's doc_string. */
    static String postProcessDescription(PostProcessConfig p) {
        int k = p.maxPerImg();
        return "Outputs, per image of the batch (each post-processed on its own): dets [N," + k + ",5] (x1, y1, x2, y2 in input pixels, "
                + "clipped to the input's HxW, not rescaled; score), labels [N," + k + "] int64 class indices; an image's detections "
                + "are its first rows in descending score order, the remaining rows are padding: dets 0,0,0,0,0 and label -1 "
                + "(count the labels >= 0). Per level sigmoid(cls) > " + p.scoreThr() + ", top "
                + (p.nmsPre() > 0 ? String.valueOf(p.nmsPre()) : "all") + ", score = prob*sigmoid(objectness), "
                + (p.minBboxSize() >= 0 ? "sides > " + p.minBboxSize() + ", " : "") + "class-aware NMS IoU > " + p.iouThr()
                + " suppresses, first " + k + ".";
    }

    /** The preprocessing a caller must apply, stored as the model's doc_string. */
    static String inputDescription(DataPreprocessorConfig pre, InputShape shape) {
        String dims = !shape.isDynamic() ? "[1,3," + shape.height() + "," + shape.width() + "]" : "[N,3,H,W]";
        return "AutoAssign detector exported by autoassign-native. Input 'image': float32 " + dims
                + (pre.bgrToRgb() ? ", channels in RGB order (the decoded BGR reversed, bgr_to_rgb=true)"
                        : ", channels in BGR order (as decoded, bgr_to_rgb=false)") + ", (pixel - mean) / std with mean=" + Arrays.toString(pre.meanArray())
                + " std=" + Arrays.toString(pre.stdArray()) + ", zero-padded at the bottom/right to a multiple of "
                + pre.padSizeDivisor() + ". ";
    }

    private static final String RAW_OUTPUTS = "Outputs per level l: cls_score_l [N,C,h,w] logits, bbox_pred_l [N,4,h,w] "
            + "(left, top, right, bottom distances in input pixels from the point (j*stride, i*stride)), objectness_l [N,1,h,w] logits; "
            + "score = sigmoid(cls)*sigmoid(objectness).";
}
