package autoassign.backend.cpu;

/**
 * torch's {@code nn.Hardsigmoid} (what MMDetection 3.3.0's {@code ChannelAttention} uses; not MMCV's {@code HSigmoid},
 * whose {@code ((x + 3) / 6).clamp(0, 1)} gives the same values on 10^6 random floats but passes the gradient 1/6 at
 * exactly ±3, where torch's gives 0), element by element as
 * torch 1.13's CPU kernels compute it: forward {@code min(max(x + 3, 0), 6) / 6} (bit-equal to {@code F.hardsigmoid} on
 * 10^6 random floats), backward {@code −3 < x < 3 ? g · (float) (1/6) : 0} (bit-equal to {@code hardsigmoid_backward};
 * {@code g / 6} differs in a third of the values). A NaN input gives NaN forward and 0 backward, as torch. The CUDA
 * kernels {@code aaj_hardsigmoid} / {@code _backward} compute the same expressions.
 */
final class HardSigmoid {
    private HardSigmoid() {}

    private static final float ONE_SIXTH = 1.0f / 6.0f;

    static float value(float x) {
        float t = x + 3f;
        t = t < 0f ? 0f : t; // comparisons, not Math.max: -0 and NaN as torch's std::max / std::min (NaN stays NaN)
        t = t > 6f ? 6f : t;
        return t / 6f;
    }

    static float grad(float g, float x) { return x > -3f && x < 3f ? g * ONE_SIXTH : 0f; }
}
