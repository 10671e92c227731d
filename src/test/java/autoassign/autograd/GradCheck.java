package autoassign.autograd;

import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Finite-difference gradient checker. The engine's op runs in float through {@link F} and
 * {@link Graph#backward(Tensor[], Tensor[])} with a random seed gradient W (so the whole vector-Jacobian
 * product is tested, not only a sum); the truth is the central difference of L(x) = Σ W·ref(x) where
 * {@code ref} is a double-precision reference of the same function ({@link RefOps}). The forward output is
 * checked against the same reference.
 */
public final class GradCheck {
    private GradCheck() {}

    /** The op under test, built from {@link F} calls. */
    public interface EngineFn { Tensor apply(Tensor[] inputs); }

    /** The double-precision reference of the same function. */
    public interface RefFn { double[] apply(double[][] inputs); }

    /** Random values in [−1, 1). */
    public static float[] uniform(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }

    /** Random values with |v| ≥ gap (away from the kink of relu / clamp at 0). */
    public static float[] awayFromZero(Random rnd, int n, float gap) {
        float[] a = uniform(rnd, n);
        for (int i = 0; i < n; i++) a[i] = Math.copySign(gap + Math.abs(a[i]), a[i]);
        return a;
    }

    /** A random permutation of n values spaced 0.01 apart (no ties, so max-pool is differentiable). */
    public static float[] distinct(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (i - n / 2) * 0.01f;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            float t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    public static Tensor leaf(float[] data, int... shape) {
        return Tensor.of(data, shape).setRequiresGrad(true);
    }

    public static Tensor constant(float[] data, int... shape) {
        return Tensor.of(data, shape);
    }

    /** Checks the forward output against the reference and every requires-grad input's gradient by finite differences. */
    public static void check(String name, EngineFn engine, RefFn ref, Tensor... inputs) {
        check(name, engine, ref, 2e-4, inputs);
    }

    public static void check(String name, EngineFn engine, RefFn ref, double tol, Tensor... inputs) {
        Graph.clear();
        for (Tensor t : inputs) if (t != null) t.setGrad(null);
        double[][] xd = new double[inputs.length][];
        for (int i = 0; i < inputs.length; i++) xd[i] = inputs[i] == null ? null : RefOps.toDouble(inputs[i].data());

        Tensor y = engine.apply(inputs);
        double[] yRef = ref.apply(copy(xd));
        float[] yv = y.data();
        assertEquals(yRef.length, yv.length, name + ": output size");
        double yScale = maxAbs(yRef);
        for (int i = 0; i < yv.length; i++)
            if (Math.abs(yv[i] - yRef[i]) > 1e-4 * Math.max(1, yScale))
                throw new AssertionError(name + ": forward differs at " + i + ": engine " + yv[i] + " reference " + yRef[i]
                        + " (output " + Shape.str(y.shape()) + ")");

        Random rnd = new Random(name.hashCode());
        float[] seed = uniform(rnd, yv.length);
        boolean anyGrad = false;
        for (Tensor t : inputs) anyGrad |= t != null && t.requiresGrad();
        if (anyGrad) {
            assertNotNull(y.requiresGrad() ? y : null, name + ": output of an op on requires-grad inputs must require grad");
            Graph.backward(new Tensor[] {y}, new Tensor[] {Tensor.of(seed, y.shape())});
        }
        assertEquals(0, Graph.size(), name + ": tape must be empty after backward");
        double[] w = RefOps.toDouble(seed);

        for (int i = 0; i < inputs.length; i++) {
            Tensor in = inputs[i];
            if (in == null) continue;
            if (!in.requiresGrad()) {
                assertNull(in.grad(), name + ": input " + i + " does not require grad but got one");
                continue;
            }
            assertNotNull(in.grad(), name + ": input " + i + " got no gradient");
            assertArrayEquals(in.shape(), in.grad().shape(), name + ": gradient shape of input " + i);
            float[] analytic = in.grad().data();
            int[] idx = sample(rnd, xd[i].length, 160);
            double[] numeric = new double[idx.length];
            for (int s = 0; s < idx.length; s++) {
                int j = idx[s];
                double h = 1e-6 * Math.max(1, Math.abs(xd[i][j]));
                double[][] p = copy(xd), m = copy(xd);
                p[i][j] += h;
                m[i][j] -= h;
                numeric[s] = (dot(w, ref.apply(p)) - dot(w, ref.apply(m))) / (2 * h);
            }
            double scale = Math.max(1, maxAbs(numeric));
            for (int s = 0; s < idx.length; s++) {
                int j = idx[s];
                double err = Math.abs(analytic[j] - numeric[s]);
                if (err > tol * scale)
                    throw new AssertionError(name + ": gradient of input " + i + " " + Shape.str(in.shape()) + " at " + j
                            + ": analytic " + analytic[j] + " numeric " + numeric[s] + " (|err| " + err + " > " + tol * scale + ")");
            }
        }
    }

    private static int[] sample(Random rnd, int n, int max) {
        if (n <= max) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) all[i] = i;
            return all;
        }
        List<Integer> l = new ArrayList<>(List.of(0, n - 1));
        while (l.size() < max) l.add(rnd.nextInt(n));
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    private static double[][] copy(double[][] a) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) c[i] = a[i] == null ? null : Arrays.copyOf(a[i], a[i].length);
        return c;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) m = Math.max(m, Math.abs(v));
        return m;
    }
}
