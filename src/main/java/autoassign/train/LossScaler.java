package autoassign.train;

import autoassign.config.AmpConfig;
import autoassign.tensor.Tensor;

import java.util.List;
import java.util.Locale;

/**
 * torch's {@code GradScaler} as MMEngine's {@code AmpOptimWrapper} drives it: the loss is multiplied by {@link #scale()}
 * before the backward; before clipping and the update the gradients are multiplied by {@code (float) (1 / scale)}
 * (powers of two: exact) and checked (any infinite or NaN element skips the update); then the scale is updated:
 * × {@code backoff_factor} after a skipped update, × {@code growth_factor} after {@code growth_interval} finite ones in a
 * row (kept when that would overflow), in float32 as {@code torch._amp_update_scale_}. With a numeric
 * {@code loss_scale} MMEngine passes that value to every update, so the scale stays.
 */
public final class LossScaler {
    private final AmpConfig cfg;
    private float scale;
    private int growthTracker;
    private boolean nonFiniteLoss; // a loss of the current window was not finite: its gradients would have been

    public LossScaler(AmpConfig cfg) {
        this.cfg = cfg;
        this.scale = (float) cfg.initScale();
    }

    public float scale() { return scale; }

    /** Finite updates in a row since the last growth or back-off ({@code _growth_tracker}). */
    public int growthTracker() { return growthTracker; }

    /**
     * A loss the trainer skipped as non-finite (no backward ran): in MMEngine its backward would have filled the
     * gradients with non-finite values, so the window's update is skipped and the scale backs off.
     */
    void markNonFiniteLoss() { nonFiniteLoss = true; }

    /**
     * {@code GradScaler.unscale_}: every gradient multiplied by {@code (float) (1.0 / scale)} in place of the old one;
     * true when some element of some gradient is infinite or NaN, or a loss of the window was. Also true for a window
     * without gradients only when a loss was non-finite; false otherwise.
     */
    boolean unscale(List<Optimizer.Group> groups) {
        float inv = (float) (1.0 / scale);
        Tensor check = null; // Σ over tensors of Σ (grad · 0): 0 when all finite, NaN otherwise; one read at the end
        for (Optimizer.Group g : groups) {
            Tensor grad = g.param().grad();
            if (grad == null) continue;
            Tensor unscaled = grad.backend().mulScalar(grad, inv);
            g.param().setGrad(unscaled);
            Tensor zeros = unscaled.backend().mulScalar(unscaled, 0f);
            Tensor s = zeros.backend().sum(zeros);
            check = check == null ? s : s.backend().add(check, s);
        }
        boolean found = nonFiniteLoss || check != null && !(check.item() == 0);
        nonFiniteLoss = false;
        return found;
    }

    /** {@code GradScaler.update} after an update ({@code foundInf}: skipped). */
    void update(boolean foundInf) {
        if (!cfg.dynamic()) return; // update(new_scale=loss_scale) refills the same value
        if (foundInf) {
            scale = (float) (scale * cfg.backoffFactor());
            growthTracker = 0;
        } else if (++growthTracker == cfg.growthInterval()) {
            float grown = (float) (scale * cfg.growthFactor());
            if (Float.isFinite(grown)) scale = grown;
            growthTracker = 0;
        }
    }

    /** The state a checkpoint keeps ({@code scale} and {@code _growth_tracker} of GradScaler's state dict). */
    String state() {
        return String.format(Locale.ROOT, "%s,%d", Float.toString(scale), growthTracker);
    }

    /** Restores {@link #state()}'s text. */
    void restore(String state) {
        String[] p = state.split(",");
        if (p.length != 2) throw new IllegalArgumentException("loss_scaler state '" + state + "' is not 'scale,growth_tracker'");
        restore(Float.parseFloat(p[0]), Integer.parseInt(p[1]));
    }

    /** Restores a scale and growth tracker (GradScaler.load_state_dict; an MMEngine checkpoint's {@code loss_scaler}). */
    void restore(float scale, int growthTracker) {
        if (!(scale > 0) || !Float.isFinite(scale) || growthTracker < 0)
            throw new IllegalArgumentException("loss_scaler: scale " + scale + " / growth tracker " + growthTracker + " out of range");
        this.scale = scale;
        this.growthTracker = growthTracker;
    }
}
