package autoassign.backend;

/**
 * The element-wise torch.optim update rules of {@link Backend#foreachUpdate}, and their CPU twin: per element, the
 * float32 operations of torch's {@code _single_tensor_<rule>} (torch/optim/&lt;rule&gt;.py, torch 2.x) in their order
 * and rounding, as ATen's scalar CPU loops compute them ({@code addcmul_}: self + (value·t1)·t2, {@code addcdiv_}:
 * self + (value·t1)/t2, {@code add_(x, alpha)}: self + alpha·x, {@code lerp_}: ATen's two-sided formula); torch's
 * vectorised loops fuse some multiply-adds, so results agree with torch to an ulp or so. The same per-element code is
 * {@code aaj_opt_element} in backend_kernels.cu ({@link #code()} is its {@code rule} number).
 *
 * <p>Every rule starts from g = grad (negated with {@link #MAXIMIZE}), then with {@link #DECOUPLED} multiplies the
 * parameter by {@code c[1]} (1 − lr·wd), then when {@code c[0] ≠ 0} adds {@code c[0]}·p to g (L2 decay). The rule's own
 * scalars follow from {@code c[2]}; the state slots are s0, s1, s2 of {@link ForeachUpdate}.
 */
public enum OptimRule {
    /** c: 2 alpha, 3 1−alpha, 4 eps, 5 momentum, 6 −lr; s0 square_avg, s1 momentum_buffer ({@link #MOMENTUM}), s2 grad_avg ({@link #CENTERED}). */
    RMSPROP(0),
    /** c: 2 eps, 3 −clr (lr / (1 + (step−1)·lr_decay)); s0 sum. */
    ADAGRAD(1),
    /** c: 2 rho, 3 1−rho, 4 eps, 5 −lr; s0 square_avg, s1 acc_delta. */
    ADADELTA(2),
    /** c: 2 1−β₁, 3 β₂, 4 eps, 5 −lr/(1−β₁ᵗ); s0 exp_avg, s1 exp_inf. */
    ADAMAX(3),
    /**
     * c: 2 1−β₁, 3 β₂, 4 1−β₂, 5 1−β₂ᵗ, 6 eps, 7 −lr(1−μₜ)/(1−Πμ), 8 −lr·μₜ₊₁/(1−Πμ·μₜ₊₁); s0 exp_avg, s1 exp_avg_sq.
     */
    NADAM(4),
    /**
     * c: 2 1−β₁, 3 β₂, 4 1−β₂, 5 1−β₁ᵗ, 6 lr, 7 eps, 8 √(1−β₂ᵗ), 9 the rectification r (with {@link #RECTIFIED}: ρₜ &gt; 5);
     * s0 exp_avg, s1 exp_avg_sq.
     */
    RADAM(5),
    /**
     * Adam / AdamW with amsgrad: c: 2 1−β₁, 3 β₂, 4 1−β₂, 5 lr/(1−β₁ᵗ), 6 √(1−β₂ᵗ), 7 eps; s0 exp_avg, s1 exp_avg_sq,
     * s2 max_exp_avg_sq.
     */
    ADAM_AMSGRAD(6),
    /**
     * Rprop (no weight decay: c[0] = 0): c: 2 etaplus, 3 etaminus, 4 step_size_min, 5 step_size_max; s0 prev, s1
     * step_size (starting at the lr of the tensor's first step).
     */
    RPROP(7),
    /**
     * ASGD: c: 2 1 − λ·η, 3 −η, 4 μ (η and μ: the tensor's float32 {@code eta}, {@code mu} before this step); s0 ax
     * (ax ← p when μ = 1, as torch's {@code mu.item() != 1} test, else ax + (p − ax)·μ).
     */
    ASGD(8);

    /** Negate the gradient (torch's {@code maximize}). */
    public static final int MAXIMIZE = 1;
    /** RMSprop: centered (a grad_avg in s2). */
    public static final int CENTERED = 2;
    /** RMSprop: momentum &gt; 0 (a momentum_buffer in s1). */
    public static final int MOMENTUM = 4;
    /** Decoupled weight decay: p ← p·c[1] first. */
    public static final int DECOUPLED = 8;
    /** RAdam: the variance is tractable this step (ρₜ &gt; 5). */
    public static final int RECTIFIED = 16;
    /** Scalars per tensor (the size of the kernel record's array). */
    public static final int SCALARS = 16;

    private final int code;

    OptimRule(int code) { this.code = code; }

    /** The {@code rule} number of the kernel's record. */
    public int code() { return code; }

    /** ATen's scalar {@code lerp}: self + w·(end − self) for |w| &lt; 0.5, else end − (end − self)·(1 − w). */
    public static float lerp(float self, float end, float w) {
        return Math.abs(w) < 0.5f ? self + w * (end - self) : end - (end - self) * (1f - w);
    }

    private static float sqrt(float x) { return (float) Math.sqrt(x); }

    /** ATen's {@code sign} for float: (0 &lt; x) − (x &lt; 0), so 0 for ±0 and for NaN. */
    static float sign(float x) { return (0f < x ? 1f : 0f) - (x < 0f ? 1f : 0f); }

    /**
     * Element {@code i} of one update, on host arrays (the CPU backend's tensors, or copies of a device's); arrays of
     * absent state slots may be null.
     */
    public static void apply(OptimRule rule, int flags, float[] c, float[] p, float[] gr, float[] s0, float[] s1, float[] s2, int i) {
        float g = (flags & MAXIMIZE) != 0 ? -gr[i] : gr[i];
        float pi = p[i];
        if ((flags & DECOUPLED) != 0) pi = pi * c[1];
        if (c[0] != 0) g = g + c[0] * pi;
        switch (rule) {
            case RMSPROP -> {
                float sq = s0[i] * c[2] + c[3] * g * g;
                s0[i] = sq;
                float avg;
                if ((flags & CENTERED) != 0) {
                    float ga = lerp(s2[i], g, c[3]);
                    s2[i] = ga;
                    avg = sqrt(sq + -1f * ga * ga);
                } else avg = sqrt(sq);
                avg = avg + c[4];
                if ((flags & MOMENTUM) != 0) {
                    float buf = s1[i] * c[5] + 1f * g / avg;
                    s1[i] = buf;
                    pi = pi + c[6] * buf;
                } else pi = pi + c[6] * g / avg;
            }
            case ADAGRAD -> {
                float sum = s0[i] + 1f * g * g;
                s0[i] = sum;
                float std = sqrt(sum) + c[2];
                pi = pi + c[3] * g / std;
            }
            case ADADELTA -> {
                float sq = s0[i] * c[2] + c[3] * g * g;
                s0[i] = sq;
                float std = sqrt(sq + c[4]);
                float delta = sqrt(s1[i] + c[4]) / std * g;
                s1[i] = s1[i] * c[2] + c[3] * delta * delta;
                pi = pi + c[5] * delta;
            }
            case ADAMAX -> {
                float m = lerp(s0[i], g, c[2]);
                s0[i] = m;
                float a = s1[i] * c[3], b = Math.abs(g) + c[4];
                float u = a != a || b != b ? Float.NaN : Math.max(a, b); // torch.amax / maximum propagate NaN
                s1[i] = u;
                pi = pi + c[5] * m / u;
            }
            case NADAM -> {
                float m = lerp(s0[i], g, c[2]);
                float v = s1[i] * c[3] + c[4] * g * g;
                s0[i] = m;
                s1[i] = v;
                float denom = sqrt(v / c[5]) + c[6];
                pi = pi + c[7] * g / denom;
                pi = pi + c[8] * m / denom;
            }
            case RADAM -> {
                float m = lerp(s0[i], g, c[2]);
                float v = s1[i] * c[3] + c[4] * g * g;
                s0[i] = m;
                s1[i] = v;
                float corrected = m / c[5];
                if ((flags & RECTIFIED) != 0) {
                    float adaptiveLr = 1f / (sqrt(v) + c[7]) * c[8]; // scalar / tensor is reciprocal() * scalar in torch
                    pi = pi - corrected * c[6] * adaptiveLr * c[9];
                } else pi = pi - corrected * c[6];
            }
            case ADAM_AMSGRAD -> {
                float m = lerp(s0[i], g, c[2]);
                float v = s1[i] * c[3] + c[4] * g * g;
                float vmax = s2[i];
                vmax = vmax != vmax || v != v ? Float.NaN : Math.max(vmax, v); // torch.maximum propagates NaN
                s0[i] = m;
                s1[i] = v;
                s2[i] = vmax;
                float denom = sqrt(vmax) / c[6] + c[7];
                pi = pi + -c[5] * m / denom;
            }
            case RPROP -> {
                // sign = grad.mul(prev).sign(); sign[sign.gt(0)] = etaplus; sign[sign.lt(0)] = etaminus; sign[sign.eq(0)] = 1
                float s = sign(g * s0[i]);
                if (s > 0) s = c[2];
                if (s < 0) s = c[3];
                if (s == 0) s = 1f;
                float step = s1[i] * s; // step_size.mul_(sign).clamp_(min, max): min(max(x, lo), hi), NaN stays NaN
                step = step < c[4] ? c[4] : step;
                step = step > c[5] ? c[5] : step;
                s1[i] = step;
                if (s == c[3]) g = 0f; // grad[sign.eq(etaminus)] = 0: the replaced sign against etaminus
                pi = pi + -1f * sign(g) * step; // addcmul_(grad.sign(), step_size, value=-1)
                s0[i] = g; // prev.copy_(grad)
            }
            case ASGD -> {
                pi = pi * c[2]; // param.mul_(1 - lambd * eta)
                pi = pi + c[3] * g; // param.add_(grad, alpha=-eta)
                s0[i] = c[4] != 1f ? s0[i] + (pi - s0[i]) * c[4] : pi; // ax.add_(param.sub(ax).mul(mu)) or ax.copy_(param)
            }
        }
        p[i] = pi;
    }

    /** {@link #apply} over every element of one update whose tensors are host arrays. */
    public static void apply(ForeachUpdate u, float[] p, float[] g, float[] s0, float[] s1, float[] s2) {
        for (int i = 0; i < p.length; i++) apply(u.rule(), u.flags(), u.c(), p, g, s0, s1, s2, i);
    }
}
