package autoassign.train;

import autoassign.config.AmpConfig;
import autoassign.eval.PyFloat;
import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.List;

/**
 * torch's {@code GradScaler} as MMEngine's {@code AmpOptimWrapper} drives it: the loss is multiplied by {@link #scale()}
 * before the backward; before clipping and the update the gradients are checked (any infinite or NaN element skips the
 * update) and multiplied by {@code (float) (1 / scale)} (powers of two: exact), as
 * {@code _amp_foreach_non_finite_check_and_unscale_}, which checks each element before multiplying it; then the scale is
 * updated: × {@code backoff_factor} after a skipped update, × {@code growth_factor} after {@code growth_interval}
 * finite ones in a row (kept when that would overflow), in float32 as {@code torch._amp_update_scale_}. With a numeric
 * {@code loss_scale} MMEngine passes that value to every update ({@code update(new_scale)}), which refills the scale
 * with it and leaves the growth tracker alone. The state is GradScaler's {@code state_dict()}: the scale, the growth
 * settings and the growth tracker; loading it replaces all five, as {@code GradScaler.load_state_dict} does, so a
 * resumed run keeps the growth settings of the run that saved it, whatever its config says.
 */
public final class LossScaler {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final AmpConfig cfg;
    private float scale;
    private int growthTracker;
    private double growthFactor, backoffFactor;
    private int growthInterval;
    private boolean nonFiniteLoss; // a loss of the current window was not finite: its gradients would have been

    public LossScaler(AmpConfig cfg) {
        this.cfg = cfg;
        this.scale = (float) cfg.initScale();
        this.growthFactor = cfg.growthFactor();
        this.backoffFactor = cfg.backoffFactor();
        this.growthInterval = cfg.growthInterval();
    }

    public float scale() { return scale; }

    /** Finite updates in a row since the last growth or back-off ({@code _growth_tracker}). */
    public int growthTracker() { return growthTracker; }

    /** {@code growth_factor} now: the config's, or the one a resumed state brought. */
    public double growthFactor() { return growthFactor; }

    /** {@code backoff_factor} now: the config's, or the one a resumed state brought. */
    public double backoffFactor() { return backoffFactor; }

    /** {@code growth_interval} now: the config's, or the one a resumed state brought. */
    public int growthInterval() { return growthInterval; }

    /**
     * A loss the trainer skipped as non-finite (no backward ran): in MMEngine its backward would have filled the
     * gradients with non-finite values, so the window's update is skipped and the scale backs off.
     */
    void markNonFiniteLoss() { nonFiniteLoss = true; }

    /**
     * {@code GradScaler.unscale_}: every gradient multiplied by {@code (float) (1.0 / scale)} in place of the old one;
     * true when some element of some gradient was infinite or NaN before that multiplication (torch checks the scaled
     * values: a finite one that the multiplication takes past float32's range with a scale below 1 is not flagged), or
     * a loss of the window was. Also true for a window without gradients only when a loss was non-finite.
     */
    boolean unscale(List<Optimizer.Group> groups) {
        float inv = (float) (1.0 / scale);
        Tensor check = null; // Σ over tensors of Σ (grad · 0): 0 when all finite, NaN otherwise; one read at the end
        for (Optimizer.Group g : groups) {
            Tensor grad = g.param().grad();
            if (grad == null) continue;
            Tensor zeros = grad.backend().mulScalar(grad, 0f);
            Tensor s = zeros.backend().sum(zeros);
            check = check == null ? s : s.backend().add(check, s);
            g.param().setGrad(grad.backend().mulScalar(grad, inv));
        }
        boolean found = nonFiniteLoss || check != null && !(check.item() == 0);
        nonFiniteLoss = false;
        return found;
    }

    /**
     * {@code GradScaler.update} after an update ({@code foundInf}: skipped); with a numeric {@code loss_scale},
     * MMEngine's {@code update(new_scale=loss_scale)}: the scale is refilled with it, the tracker is left alone.
     */
    void update(boolean foundInf) {
        if (!cfg.dynamic()) {
            scale = (float) cfg.initScale();
            return;
        }
        if (foundInf) {
            scale = (float) (scale * backoffFactor);
            growthTracker = 0;
        } else if (++growthTracker == growthInterval) {
            float grown = (float) (scale * growthFactor);
            if (Float.isFinite(grown)) scale = grown;
            growthTracker = 0;
        }
    }

    /**
     * The state a checkpoint keeps: GradScaler's {@code state_dict()} as JSON, its keys in its order
     * ({@code scale}, {@code growth_factor}, {@code backoff_factor}, {@code growth_interval}, {@code _growth_tracker}).
     */
    String state() {
        return "{\"scale\": " + PyFloat.repr(scale) + ", \"growth_factor\": " + PyFloat.repr(growthFactor)
                + ", \"backoff_factor\": " + PyFloat.repr(backoffFactor) + ", \"growth_interval\": " + growthInterval
                + ", \"_growth_tracker\": " + growthTracker + "}";
    }

    /**
     * Restores {@link #state()}'s text; the older {@code scale,growth_tracker} text (checkpoints of earlier versions)
     * restores those two and keeps the config's growth settings.
     */
    void restore(String state) {
        String t = state.trim();
        if (!t.startsWith("{")) {
            String[] p = t.split(",");
            if (p.length != 2) throw new IllegalArgumentException("loss_scaler state '" + state + "' is not GradScaler's state");
            try {
                restore(Float.parseFloat(p[0]), Integer.parseInt(p[1]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("loss_scaler state '" + state + "' is not GradScaler's state");
            }
            return;
        }
        JsonNode n;
        try {
            n = JSON.readTree(t);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("loss_scaler state '" + state + "' is not GradScaler's state");
        }
        for (String k : new String[] {"scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker"})
            if (n == null || !n.path(k).isNumber())
                throw new IllegalArgumentException("loss_scaler state '" + state + "' has no numeric " + k);
        restore((float) n.get("scale").asDouble(), n.get("growth_factor").asDouble(), n.get("backoff_factor").asDouble(),
                n.get("growth_interval").asLong(), n.get("_growth_tracker").asLong());
    }

    /** Restores a scale and growth tracker only (the growth settings stay). */
    void restore(float scale, int growthTracker) {
        restore(scale, growthFactor, backoffFactor, growthInterval, growthTracker);
    }

    /**
     * {@code GradScaler.load_state_dict}: all five values (an MMEngine checkpoint's {@code optimizer.loss_scaler}, or
     * this engine's state). torch takes any values; those that would make the scaler meaningless are refused.
     */
    void restore(float scale, double growthFactor, double backoffFactor, long growthInterval, long growthTracker) {
        if (!(scale > 0) || !Float.isFinite(scale) || growthTracker < 0 || growthTracker > Integer.MAX_VALUE)
            throw new IllegalArgumentException("loss_scaler: scale " + scale + " / growth tracker " + growthTracker + " out of range");
        if (!(growthFactor > 0) || !(backoffFactor > 0) || !Double.isFinite(growthFactor) || growthInterval < 1
                || growthInterval > Integer.MAX_VALUE)
            throw new IllegalArgumentException("loss_scaler: growth_factor " + growthFactor + " / backoff_factor " + backoffFactor
                    + " / growth_interval " + growthInterval + " out of range");
        this.scale = scale;
        this.growthFactor = growthFactor;
        this.backoffFactor = backoffFactor;
        this.growthInterval = (int) growthInterval;
        this.growthTracker = (int) growthTracker;
    }
}
