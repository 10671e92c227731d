package autoassign.loss;

/**
 * Per-element math of the AutoAssign loss (spec AA_3), as small pure functions.
 *
 * <p>These are the functions the CUDA kernel mirrors one to one ({@code __host__ __device__} in
 * {@code native/}): everything is float32 like the reference (MMDetection runs the loss in float32
 * during training); only the reductions over points (done by the callers) use double accumulators.
 * Nothing here allocates; multi-valued results go into a caller-provided {@code float[]}.
 */
public final class LossKernels {
    private LossKernels() {}

    /** {@code EPS} of AutoAssignHead (normalising sums, {@code 1/(1-iou)} clamp). */
    public static final float EPS = 1e-12f;
    /** eps of {@code bbox_overlaps} for IoU and GIoU. */
    public static final float IOU_EPS = 1e-6f;
    /** GIoULoss loss_weight. */
    public static final float GIOU_WEIGHT = 5.0f;
    public static final float POS_WEIGHT = 0.25f;
    public static final float NEG_WEIGHT = 0.75f;
    public static final float CENTER_WEIGHT = 0.75f;
    /** PyTorch BCE clamps its logs at -100. */
    public static final float BCE_LOG_CLAMP = -100f;
    /** PyTorch BCE backward: {@code (x - y) / max(x (1 - x), 1e-12)}. */
    public static final float BCE_GRAD_EPS = 1e-12f;

    // ---------------------------------------------------------------- scalar helpers

    public static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    /** {@code log(x)} clamped at -100 like {@code F.binary_cross_entropy}. */
    static float clampedLog(float x) {
        return Math.max((float) Math.log(x), BCE_LOG_CLAMP);
    }

    /** {@code BCE(x, 1) = -max(ln x, -100)}. */
    public static float bceOne(float x) {
        return -clampedLog(x);
    }

    /** {@code dBCE(x, 1)/dx = (x - 1) / max(x (1 - x), 1e-12)}. */
    public static float bceOneGrad(float x) {
        return (x - 1f) / Math.max(x * (1f - x), BCE_GRAD_EPS);
    }

    /** {@code BCE(x, 0) = -max(ln(1 - x), -100)}, {@code 1 - x} rounded to float first (PyTorch 1.x). */
    public static float bceZero(float x) {
        return -clampedLog(1f - x);
    }

    /** {@code dBCE(x, 0)/dx = x / max(x (1 - x), 1e-12)}. */
    public static float bceZeroGrad(float x) {
        return x / Math.max(x * (1f - x), BCE_GRAD_EPS);
    }

    // ---------------------------------------------------------------- per (point, class): negative cell

    /** Negative-loss term of one cell before the 0.75 weight: {@code f(q) = q² · BCE(q, 0)}. */
    public static float negCell(float q) {
        return q * q * bceZero(q);
    }

    /** Below this {@code q}, {@link #bceZeroFast} uses the series of {@code -ln(1-q)} instead of a log. */
    static final float SERIES_LIMIT = 0.0625f;

    /**
     * {@code BCE(q, 0)} for {@code q ∈ [0,1]}, with {@code -ln(1-q) = q + q²/2 + … + q⁷/7} below 1/16
     * (truncation error {@code < q⁷/7 ≤ 4e-9} relative, below float rounding; it also avoids the
     * cancellation of {@code 1 - q} in float) and the clamped log above. Most cells of the negative
     * loss are in the series range.
     */
    public static float bceZeroFast(float q) {
        if (q < SERIES_LIMIT)
            return q * (1f + q * (1f / 2 + q * (1f / 3 + q * (1f / 4 + q * (1f / 5 + q * (1f / 6 + q * (1f / 7)))))));
        return bceZero(q);
    }

    /** {@code df/dq} given {@code bce = BCE(q,0)}: {@code 2q·bce + q²·q/max(q(1-q), 1e-12)}. */
    public static float negCellGrad(float q, float bce) {
        return 2f * q * bce + q * q * (q / Math.max(q * (1f - q), BCE_GRAD_EPS));
    }

    /** {@code df/dq = 2q · BCE(q,0) + q² · dBCE(q,0)/dq}. */
    public static float negCellGrad(float q) {
        return 2f * q * bceZero(q) + q * q * bceZeroGrad(q);
    }

    // ---------------------------------------------------------------- per (point, GT): inside test

    /** Strict inside test of AA_3 §1: {@code min(px-X1, py-Y1, X2-px, Y2-py) > 0}. */
    public static boolean inside(float px, float py, float x1, float y1, float x2, float y2) {
        float l = px - x1, t = py - y1, r = x2 - px, b = y2 - py;
        return Math.min(Math.min(l, t), Math.min(r, b)) > 0f;
    }

    /**
     * Regression targets are encoded then decoded ({@code x1 = px - (px - X1)}, {@code x2 = px + (X2 - px)}),
     * which equals the GT corner up to float rounding; the loss uses the decoded value.
     */
    public static float decodeLow(float p, float lo) {
        return p - (p - lo);
    }

    /** See {@link #decodeLow}. */
    public static float decodeHigh(float p, float hi) {
        return p + (hi - p);
    }

    // ---------------------------------------------------------------- per (point, GT): center prior

    /**
     * Category-specific Gaussian center prior (AA_3 §2) of a point w.r.t. a GT center, before the
     * inside masking: {@code exp(-(δx-μx)²/(2σx²)) · exp(-(δy-μy)²/(2σy²))}, {@code δ = (pt - ctr)/stride}.
     */
    public static float centerPrior(float px, float py, float stride, float cx, float cy,
                                    float mux, float muy, float sx, float sy) {
        float ax = (px - cx) / stride - mux;
        float ay = (py - cy) / stride - muy;
        float ex = (float) Math.exp(-(ax * ax) / (2f * sx * sx));
        float ey = (float) Math.exp(-(ay * ay) / (2f * sy * sy));
        return ex * ey;
    }

    /**
     * Backward of {@link #centerPrior}: given {@code dC} and the forward value {@code c}, accumulates
     * {@code dμ = dC·C·(δ-μ)/σ²} and {@code dσ = dC·C·(δ-μ)²/σ³} into {@code out[0..3]} =
     * (dμx, dμy, dσx, dσy) (overwritten).
     */
    public static void centerPriorBackward(float px, float py, float stride, float cx, float cy,
                                           float mux, float muy, float sx, float sy,
                                           float c, float dC, float[] out) {
        float ax = (px - cx) / stride - mux;
        float ay = (py - cy) / stride - muy;
        float g = dC * c;
        out[0] = g * ax / (sx * sx);
        out[1] = g * ay / (sy * sy);
        out[2] = g * ax * ax / (sx * sx * sx);
        out[3] = g * ay * ay / (sy * sy * sy);
    }

    // ---------------------------------------------------------------- per (point, GT): IoU / GIoU

    /** Aligned IoU of {@code bbox_overlaps(mode='iou', eps=1e-6)}. */
    public static float iou(float x1, float y1, float x2, float y2,
                            float tx1, float ty1, float tx2, float ty2) {
        float a = (x2 - x1) * (y2 - y1);
        float bt = (tx2 - tx1) * (ty2 - ty1);
        float iw = Math.max(Math.min(x2, tx2) - Math.max(x1, tx1), 0f);
        float ih = Math.max(Math.min(y2, ty2) - Math.max(y1, ty1), 0f);
        float inter = iw * ih;
        float u = Math.max(a + bt - inter, IOU_EPS);
        return inter / u;
    }

    /** Aligned GIoU of {@code bbox_overlaps(mode='giou', eps=1e-6)}. */
    public static float giou(float x1, float y1, float x2, float y2,
                             float tx1, float ty1, float tx2, float ty2) {
        float a = (x2 - x1) * (y2 - y1);
        float bt = (tx2 - tx1) * (ty2 - ty1);
        float iw = Math.max(Math.min(x2, tx2) - Math.max(x1, tx1), 0f);
        float ih = Math.max(Math.min(y2, ty2) - Math.max(y1, ty1), 0f);
        float inter = iw * ih;
        float u = Math.max(a + bt - inter, IOU_EPS);
        float iou = inter / u;
        float ew = Math.max(Math.max(x2, tx2) - Math.min(x1, tx1), 0f);
        float eh = Math.max(Math.max(y2, ty2) - Math.min(y1, ty1), 0f);
        float e = Math.max(ew * eh, IOU_EPS);
        return iou - (e - u) / e;
    }

    /** {@code reg = 5 (1 - GIoU)} of a predicted box against its (decoded) target. */
    public static float giouLoss(float x1, float y1, float x2, float y2,
                                 float tx1, float ty1, float tx2, float ty2) {
        return GIOU_WEIGHT * (1f - giou(x1, y1, x2, y2, tx1, ty1, tx2, ty2));
    }

    /** Gradient share of {@code maximum(a, b)} w.r.t. {@code a} (PyTorch: 1, 0.5 on ties, 0). */
    static float maxShare(float a, float b) {
        return a > b ? 1f : (a == b ? 0.5f : 0f);
    }

    /** Gradient share of {@code minimum(a, b)} w.r.t. {@code a}. */
    static float minShare(float a, float b) {
        return a < b ? 1f : (a == b ? 0.5f : 0f);
    }

    /** {@code clamp(v, min=0)} passes the gradient when {@code v >= 0} (inclusive). */
    static float clampPass(float v) {
        return v >= 0f ? 1f : 0f;
    }

    /**
     * Backward of {@link #giou} w.r.t. the predicted corners, PyTorch semantics (ties split 0.5/0.5,
     * inclusive clamps). {@code out[0..3]} = d/d(x1, y1, x2, y2) (overwritten).
     */
    public static void giouBackward(float x1, float y1, float x2, float y2,
                                    float tx1, float ty1, float tx2, float ty2,
                                    float gGiou, float[] out) {
        // forward recomputation
        float pw = x2 - x1, ph = y2 - y1;
        float a = pw * ph;
        float bt = (tx2 - tx1) * (ty2 - ty1);
        float ltx = Math.max(x1, tx1), lty = Math.max(y1, ty1);
        float rbx = Math.min(x2, tx2), rby = Math.min(y2, ty2);
        float iwr = rbx - ltx, ihr = rby - lty;
        float iw = Math.max(iwr, 0f), ih = Math.max(ihr, 0f);
        float inter = iw * ih;
        float ur = a + bt - inter;
        float u = Math.max(ur, IOU_EPS);
        float iou = inter / u;
        float elx = Math.min(x1, tx1), ely = Math.min(y1, ty1);
        float erx = Math.max(x2, tx2), ery = Math.max(y2, ty2);
        float ewr = erx - elx, ehr = ery - ely;
        float ew = Math.max(ewr, 0f), eh = Math.max(ehr, 0f);
        float er = ew * eh;
        float e = Math.max(er, IOU_EPS);
        float t = (e - u) / e;
        // giou = iou - t ; t = n / e with n = e - u
        float gT = -gGiou;
        float gN = gT / e;
        float dE = gN - gT * t / e;
        float dU = -gN;
        float dI = gGiou / u;
        dU += -gGiou * iou / u;
        // u = maximum(ur, eps); e = maximum(er, eps)
        float dUr = dU * maxShare(ur, IOU_EPS);
        float dEr = dE * maxShare(er, IOU_EPS);
        // ur = a + bt - inter
        float dA = dUr;
        dI -= dUr;
        // enclosing box
        float dewr = dEr * eh * clampPass(ewr);
        float dehr = dEr * ew * clampPass(ehr);
        // intersection
        float diwr = dI * ih * clampPass(iwr);
        float dihr = dI * iw * clampPass(ihr);
        float dx1 = -dewr * minShare(x1, tx1) - diwr * maxShare(x1, tx1) - dA * ph;
        float dx2 = dewr * maxShare(x2, tx2) + diwr * minShare(x2, tx2) + dA * ph;
        float dy1 = -dehr * minShare(y1, ty1) - dihr * maxShare(y1, ty1) - dA * pw;
        float dy2 = dehr * maxShare(y2, ty2) + dihr * minShare(y2, ty2) + dA * pw;
        out[0] = dx1;
        out[1] = dy1;
        out[2] = dx2;
        out[3] = dy2;
    }
}
