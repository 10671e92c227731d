package autoassign.nn;

import autoassign.tensor.Tensor;

import java.util.Arrays;
import java.util.Random;

/**
 * Seeded weight initialisers (MMEngine's {@code weight_init}). Values are drawn on the host in
 * element order from the given {@link Random} and copied into the tensor, so the same seed gives the
 * same weights on every device and JVM.
 */
public final class Init {
    private Init() {}

    /** {@code N(mean, std²)}. */
    public static void normal(Tensor t, double mean, double std, Random rng) {
        float[] v = new float[t.numel()];
        for (int i = 0; i < v.length; i++) v[i] = (float) (mean + std * rng.nextGaussian());
        t.copyFrom(Tensor.of(v, t.shape()));
    }

    /** {@code U(lo, hi)}. */
    public static void uniform(Tensor t, double lo, double hi, Random rng) {
        float[] v = new float[t.numel()];
        for (int i = 0; i < v.length; i++) v[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        t.copyFrom(Tensor.of(v, t.shape()));
    }

    public static void constant(Tensor t, float value) {
        float[] v = new float[t.numel()];
        Arrays.fill(v, value);
        t.copyFrom(Tensor.of(v, t.shape()));
    }

    /**
     * fan_in of a weight [out, in, kH, kW] (or [out, in]): in·kH·kW; PyTorch reads it off the shape, so a grouped
     * conv's [out, in/groups, kH, kW] weight has fan_in (in/groups)·kH·kW.
     */
    public static int fanIn(Tensor weight) {
        int[] s = weight.shape();
        if (s.length < 2) throw new IllegalArgumentException("fan_in needs a weight of rank >= 2, got " + weight);
        int f = s[1];
        for (int i = 2; i < s.length; i++) f *= s[i];
        return f;
    }

    /** fan_out of a weight [out, in, kH, kW]: out·kH·kW (not divided by groups, as in PyTorch). */
    public static int fanOut(Tensor weight) {
        int[] s = weight.shape();
        if (s.length < 2) throw new IllegalArgumentException("fan_out needs a weight of rank >= 2, got " + weight);
        int f = s[0];
        for (int i = 2; i < s.length; i++) f *= s[i];
        return f;
    }

    /** Caffe2Xavier bound {@code sqrt(3 / fan_in)} (kaiming-uniform, a = 1, fan_in, gain 1). */
    public static double caffe2XavierBound(Tensor weight) { return Math.sqrt(3.0 / fanIn(weight)); }

    /**
     * MMEngine {@code Caffe2XavierInit}: weight {@code U(-b, b)}, {@code b = sqrt(3/fan_in)}; bias 0.
     * @param bias nullable
     */
    public static void caffe2Xavier(Tensor weight, Tensor bias, Random rng) {
        double b = caffe2XavierBound(weight);
        uniform(weight, -b, b, rng);
        if (bias != null) constant(bias, 0f);
    }

    /**
     * MMEngine {@code KaimingInit} default for ResNet convs (mode fan_out, relu, normal distribution):
     * {@code N(0, 2/fan_out)}; bias 0.
     */
    public static void kaimingNormalFanOut(Tensor weight, Tensor bias, Random rng) {
        normal(weight, 0, Math.sqrt(2.0 / fanOut(weight)), rng);
        if (bias != null) constant(bias, 0f);
    }

    /** {@code N(0, std²)} weight and constant bias (MMEngine {@code normal_init}). */
    public static void normalInit(Conv2d conv, double std, float bias, Random rng) {
        normal(conv.weight, 0, std, rng);
        if (conv.bias != null) constant(conv.bias, bias);
    }

    /** Prior-probability bias {@code -ln((1-p)/p)} (MMEngine {@code bias_init_with_prob}). */
    public static float biasInitWithProb(double priorProb) {
        return (float) -Math.log((1 - priorProb) / priorProb);
    }
}
