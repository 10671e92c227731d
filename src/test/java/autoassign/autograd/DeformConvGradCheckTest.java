package autoassign.autograd;

import autoassign.backend.ConvParams;
import autoassign.backend.DeformConvParams;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static autoassign.autograd.GradCheck.check;
import static autoassign.autograd.GradCheck.leaf;
import static autoassign.autograd.GradCheck.uniform;

/**
 * Finite-difference checks (in double, {@link GradCheck}) of the deformable convolutions' gradients — input, offset,
 * mask, weight, bias — against a brute-force double reference of MMCV's function (bilinear, zero outside: a sample
 * counts where −1 &lt; h &lt; H and −1 &lt; w &lt; W, each corner only inside). Offsets put every sample at a fractional
 * part in [0.2, 0.8] in both axes: bilinear sampling has kinks at integer positions, where the difference quotient
 * and the (one-sided) analytic gradient disagree. Some samples land off the image, where all gradients are 0.
 */
class DeformConvGradCheckTest {

    /** Offsets of integer part in [−span, span] and a fractional part in [0.2, 0.8] (sign included). */
    static float[] awayFromIntegers(Random rnd, int n, int span) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextInt(2 * span + 1) - span + 0.2f + 0.6f * rnd.nextFloat();
        return a;
    }

    static double bilinear(double[] x, int base, int h, int w, double py, double px) {
        if (!(py > -1 && px > -1 && py < h && px < w)) return 0;
        int y0 = (int) Math.floor(py), x0 = (int) Math.floor(px);
        double ly = py - y0, lx = px - x0, s = 0;
        for (int dy = 0; dy <= 1; dy++)
            for (int dx = 0; dx <= 1; dx++) {
                int yy = y0 + dy, xx = x0 + dx;
                if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                s += (dy == 0 ? 1 - ly : ly) * (dx == 0 ? 1 - lx : lx) * x[base + yy * w + xx];
            }
        return s;
    }

    /** y[n,o,oy,ox] = b[o] + Σ_{c ∈ group(o), i, j} w[o,c,i,j] · mask · bilinear(x[n,c], tap (i, j) + offset). */
    static double[] reference(double[] x, int[] xs, double[] off, double[] mask, double[] w, int[] ws, double[] b, DeformConvParams p) {
        ConvParams c = p.conv();
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3], cout = ws[0], cg = ws[1], kh = ws[2], kw = ws[3];
        int ho = p.outH(h, kh), wo = p.outW(wd, kw), og = cout / c.groups(), cpd = cin / p.deformGroups(), kk = kh * kw, hw = ho * wo;
        double[] y = new double[n * cout * hw];
        for (int in = 0; in < n; in++)
            for (int o = 0; o < cout; o++)
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++) {
                        double s = b == null ? 0 : b[o];
                        for (int ic = 0; ic < cg; ic++) {
                            int ch = (o / og) * cg + ic, dg = ch / cpd;
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    int k = i * kw + j, pos = oy * wo + ox;
                                    int ob = (in * p.deformGroups() + dg) * 2 * kk * hw;
                                    double py = oy * c.strideH() - c.padH() + i * c.dilationH() + off[ob + 2 * k * hw + pos];
                                    double px = ox * c.strideW() - c.padW() + j * c.dilationW() + off[ob + (2 * k + 1) * hw + pos];
                                    double m = mask == null ? 1 : mask[(in * p.deformGroups() + dg) * kk * hw + k * hw + pos];
                                    s += w[((o * cg + ic) * kh + i) * kw + j] * m * bilinear(x, (in * cin + ch) * h * wd, h, wd, py, px);
                                }
                        }
                        y[(in * cout + o) * hw + oy * wo + ox] = s;
                    }
        return y;
    }

    private static void run(String name, int n, int cin, int cout, int h, int w, int k, ConvParams conv, int dg, boolean modulated,
                            boolean bias, int span, long seed) {
        Random rnd = new Random(seed);
        DeformConvParams p = new DeformConvParams(conv, dg);
        int ho = p.outH(h, k), wo = p.outW(w, k);
        int[] xs = {n, cin, h, w}, os = {n, dg * 2 * k * k, ho, wo}, ms = {n, dg * k * k, ho, wo}, ws = {cout, cin / conv.groups(), k, k};
        Tensor x = leaf(uniform(rnd, n * cin * h * w), xs);
        Tensor off = leaf(awayFromIntegers(rnd, os[0] * os[1] * ho * wo, span), os);
        float[] mv = new float[ms[0] * ms[1] * ho * wo];
        for (int i = 0; i < mv.length; i++) mv[i] = 0.1f + 0.8f * rnd.nextFloat();
        Tensor mask = modulated ? leaf(mv, ms) : null;
        Tensor wt = leaf(uniform(rnd, cout * ws[1] * k * k), ws);
        Tensor b = bias ? leaf(uniform(rnd, cout), cout) : null;
        check(name, in -> DeformConvOps.deformConv2d(in[0], in[1], in[2], in[3], in[4], p),
                d -> reference(d[0], xs, d[1], d[2], d[3], ws, d[4], p), x, off, mask, wt, b);
    }

    @Test
    void dcnInputOffsetWeight() {
        run("dcn 3x3", 2, 3, 4, 6, 5, 3, ConvParams.of(1, 1), 1, false, false, 1, 1);
    }

    @Test
    void dcnv2InputOffsetMaskWeightBias() {
        run("dcnv2 3x3 bias", 2, 3, 4, 5, 6, 3, ConvParams.of(1, 1), 1, true, true, 1, 2);
    }

    @Test
    void stridedDilatedGroupedDeformGroups() {
        run("dcnv2 s2 d2 g2 dg2", 1, 4, 6, 9, 8, 3, ConvParams.of(2, 2, 2).withGroups(2), 2, true, false, 1, 3);
        run("dcn s2 g2 dg2", 2, 4, 2, 7, 7, 3, ConvParams.of(2, 1).withGroups(2), 2, false, false, 1, 4);
    }

    @Test
    void samplesOffTheImage() {
        run("dcnv2 large offsets", 1, 2, 3, 5, 5, 3, ConvParams.of(1, 1), 1, true, false, 5, 5);
    }

    /**
     * DCNv2 as the layer runs it: conv_offset → split → sigmoid(mask logits) → deformable conv; the conv_offset
     * weight and bias get gradients through both the offsets and the mask.
     */
    @Test
    void modulatedPackChainThroughConvOffset() {
        Random rnd = new Random(6);
        int n = 2, cin = 2, cout = 3, h = 5, w = 5, k = 3;
        DeformConvParams p = new DeformConvParams(ConvParams.of(1, 1), 1);
        int[] xs = {n, cin, h, w}, ows = {3 * k * k, cin, k, k}, ws = {cout, cin, k, k};
        Tensor x = leaf(uniform(rnd, n * cin * h * w), xs);
        float[] owv = uniform(rnd, 3 * k * k * cin * k * k);
        for (int i = 0; i < owv.length; i++) owv[i] *= 0.4f;
        Tensor ow = leaf(owv, ows), ob = leaf(uniform(rnd, 3 * k * k), 3 * k * k), wt = leaf(uniform(rnd, cout * cin * k * k), ws);
        check("dcnv2 pack", in -> {
            Tensor raw = F.conv2d(in[0], in[1], in[2], p.conv());
            Tensor[] parts = ChannelSlices.split(raw, 2 * k * k, raw.dim(1) - 2 * k * k);
            return DeformConvOps.deformConv2d(in[0], parts[0], F.sigmoid(parts[1]), in[3], null, p);
        }, d -> {
            double[] raw = RefOps.conv2d(d[0], xs, d[1], ows, d[2], 1, 1, 1, 1, 1, 1);
            int hw = h * w, kk = k * k;
            double[] off = new double[n * 2 * kk * hw], logits = new double[n * kk * hw];
            for (int i = 0; i < n; i++) { // per image: channels [0, 2kk) are the offsets, [2kk, 3kk) the mask logits
                System.arraycopy(raw, i * 3 * kk * hw, off, i * 2 * kk * hw, 2 * kk * hw);
                System.arraycopy(raw, (i * 3 + 2) * kk * hw, logits, i * kk * hw, kk * hw);
            }
            double[] mask = RefOps.sigmoid(logits);
            return reference(d[0], xs, off, mask, d[3], ws, null, p);
        }, 5e-4, x, ow, ob, wt);
    }
}
