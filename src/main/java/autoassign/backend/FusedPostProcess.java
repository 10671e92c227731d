package autoassign.backend;

import autoassign.tensor.Tensor;

/**
 * Test-time post-processing (spec AA_4) as one device op: per image, per level the top {@code nmsPre} class
 * probabilities above the threshold, decode + clip + rescale, {@code score = prob · sigmoid(obj)}, boxes of zero
 * width or height dropped, class-aware NMS, the first {@code maxPerImg} kept. Only the final detections cross to
 * the host (one download per batch), instead of every head output.
 *
 * <p>A backend without it returns null from {@link Backend#fusedPostProcess()}; inference then downloads the head
 * outputs and runs {@code autoassign.postprocess.PostProcessor}, the twin this op is checked against
 * (CudaSelfCheck, "postprocess (fused)"). The op covers the AutoAssign test config ({@code min_bbox_size} 0); the
 * caller takes the host path for what {@link #supports} refuses.
 *
 * <p>Inputs on the backend's device, float32, contiguous, per FPN level {@code l}: {@code cls [B,C,h_l,w_l]}
 * logits, {@code dist [B,4,h_l,w_l]} decoded distances l,t,r,b in pixels, {@code obj [B,1,h_l,w_l]} logits. On the
 * host: {@code points [P,3]} = (x, y, stride) of every point, levels concatenated, each row-major (the PointGrid
 * layout); per image {@code {width, height, 1/scaleW, 1/scaleH}} of the resized, unpadded image (floats, the
 * reciprocals rounded to float as the host twin does).
 */
public interface FusedPostProcess {

    /** Detections of one image in descending score order: boxes {@code n·4} (x1 y1 x2 y2), scores, 0-based labels. */
    record Result(float[] boxes, float[] scores, int[] labels) {}

    /** Whether the op implements these settings for this many levels (else the caller post-processes on the host). */
    boolean supports(int levels, int nmsPre, float minBboxSize);

    /**
     * Post-processes every image of the batch.
     *
     * @param geometry per image {@code {imgW, imgH, invScaleW, invScaleH}}
     */
    Result[] run(Tensor[] cls, Tensor[] dist, Tensor[] obj, float[] points, float[][] geometry, int nmsPre,
                 float scoreThr, float iouThr, int maxPerImg);
}
