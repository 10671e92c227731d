package autoassign.onnx;

import autoassign.config.DataPreprocessorConfig;
import autoassign.io.AtomicFiles;
import autoassign.model.AutoAssignDetector;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/** Writes a detector as an {@code .onnx} file (temp file + rename): the graph of {@link DetectorGraph}. */
public final class OnnxExport {
    private OnnxExport() {}

    /** What was written: the graph (for the summary line). */
    public static OnnxGraph write(AutoAssignDetector model, InputShape shape, Path to, String producerVersion) throws IOException {
        OnnxGraph graph = DetectorGraph.build(model, shape);
        String doc = inputDescription(model.config().dataPreprocessor());
        AtomicFiles.write(to, out -> OnnxModelWriter.write(graph, producerVersion, doc, out));
        return graph;
    }

    /** The preprocessing a caller must apply, stored as the model's doc_string. */
    static String inputDescription(DataPreprocessorConfig pre) {
        return "AutoAssign detector exported by autoassign-native. Input 'image': float32 [N,3,H,W], channels in BGR order "
                + "(as decoded, bgr_to_rgb=false), (pixel - mean) / std with mean=" + Arrays.toString(pre.meanArray())
                + " std=" + Arrays.toString(pre.stdArray()) + ", zero-padded at the bottom/right to a multiple of "
                + pre.padSizeDivisor() + ". Outputs per level l: cls_score_l [N,C,h,w] logits, bbox_pred_l [N,4,h,w] "
                + "(left, top, right, bottom distances in input pixels from the point (j*stride, i*stride)), objectness_l [N,1,h,w] logits; "
                + "score = sigmoid(cls)*sigmoid(objectness).";
    }
}
