package autoassign.backend;

import autoassign.tensor.Tensor;

/**
 * The fused AutoAssign loss (spec AA_3) as a device op, split where the batch normalisers are formed:
 * {@link #forward} gives per-image partial sums, the caller reduces them over the batch (and the
 * data-parallel workers, AA_3 §7) into the normalisers, and {@link #backward} takes the resulting
 * derivatives of the total loss with respect to the per-image sums. Only a few scalars per image cross to
 * the host; the head outputs and their gradients stay on the device.
 *
 * <p>A backend that has no such op returns null from {@link Backend#fusedAutoAssignLoss()}; the loss then
 * runs the CPU reference op ({@code autoassign.loss.AutoAssignLossOp}) on host copies. That op is the twin
 * this one is checked against (CudaSelfCheck, "autoAssignLoss fwd+bwd").
 *
 * <p>Inputs (all on the backend's device, float32, contiguous): per FPN level {@code l} the head outputs
 * {@code cls [B,C,h_l,w_l]} logits, {@code dist [B,4,h_l,w_l]} distances l,t,r,b in pixels (already
 * {@code max(raw·scale,0)·stride}), {@code obj [B,1,h_l,w_l]} logits; {@code mean}, {@code sigma [C,2]}.
 * On the host: {@code points [P,3]} = (x, y, stride) of every point, levels concatenated in order, each
 * level row-major (the PointGrid layout); per image the target boxes {@code [G_i·4]} (x1,y1,x2,y2, crowd
 * boxes already dropped) and labels {@code [G_i]} in {@code 0..C-1}.
 */
public interface FusedAutoAssignLoss {

    /** Index of each partial sum in {@link Forward#stats(int)}. */
    int LPOS = 0, LNEG = 1, SUM_CENTER_PRIOR = 2, NUM_GT = 3, INSIDE_PAIRS = 4, Z = 5;

    /** Result of a forward: host partial sums plus the device state the backward reads. */
    interface Forward {
        int images();

        /**
         * The partial sums of image {@code i}: {@code [LPOS]} = 0.25·Σ_g BCE(R_g,1), {@code [LNEG]} =
         * 0.75·Σ q²·BCE(q,0) (unnormalised), {@code [SUM_CENTER_PRIOR]} = Σ over inside pairs of the center
         * prior (detached), {@code [NUM_GT]} = G_i, {@code [INSIDE_PAIRS]}, {@code [Z]} = G_i / max(ΣC, EPS) when
         * the image has an inside pair, else 0.
         */
        double[] stats(int image);

        /**
         * False when a value of cls, dist, obj, mean or sigma is not finite or a sigma is 0: the loss is then
         * undefined and the caller runs the reference op, which names the offending value.
         */
        boolean inputsFinite();

        /** Frees the device state now (idempotent; {@link #backward} does it, unreachable state is collected). */
        void release();
    }

    /** Largest number of classes the op supports (a larger C goes to the reference op). */
    int maxClasses();

    Forward forward(Tensor[] cls, Tensor[] dist, Tensor[] obj, Tensor mean, Tensor sigma, float[] points,
                    float[][] gtBoxes, int[][] gtLabels);

    /**
     * Gradients of {@code Σ_i (wpos·Lpos_i + wneg·Lneg_i + wctr·z_i)} over the images of {@code f}, with
     * {@code Lpos_i}, {@code Lneg_i}, {@code z_i} the partial sums of {@link Forward#stats}: per level
     * {@code dcls}, then per level {@code ddist}, then per level {@code dobj} (shapes of the inputs, on the
     * device), then {@code dmean}, {@code dsigma}; an entry is null where {@code wanted} is false. Releases
     * {@code f}.
     */
    Tensor[] backward(Forward f, float wpos, float wneg, float wctr, boolean[] wanted);
}
