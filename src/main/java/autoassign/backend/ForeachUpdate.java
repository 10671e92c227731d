package autoassign.backend;

import autoassign.tensor.Tensor;

/**
 * One tensor's part of a {@link Backend#foreachUpdate} step: the update rule, the parameter, its gradient, up to
 * three state tensors of the parameter's shape and device (null where the rule or its options keep none), the
 * rule's option bits ({@link OptimRule#MAXIMIZE} and the others) and its per-tensor scalars, worked out on the host
 * in double precision as torch.optim does and rounded to float32 as torch's kernels receive them; the layout of
 * {@code c} per rule is documented on {@link OptimRule}.
 */
public record ForeachUpdate(OptimRule rule, Tensor param, Tensor grad, Tensor s0, Tensor s1, Tensor s2, int flags, float[] c) {
    public ForeachUpdate {
        if (c.length > OptimRule.SCALARS)
            throw new IllegalArgumentException(rule + ": at most " + OptimRule.SCALARS + " scalars, got " + c.length);
        c = java.util.Arrays.copyOf(c, OptimRule.SCALARS);
    }

    /** The state tensors by slot (0, 1, 2). */
    public Tensor state(int slot) {
        return switch (slot) {
            case 0 -> s0;
            case 1 -> s1;
            case 2 -> s2;
            default -> throw new IndexOutOfBoundsException(slot);
        };
    }
}
