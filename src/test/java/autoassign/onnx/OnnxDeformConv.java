package autoassign.onnx;

import java.util.Map;

/**
 * ONNX {@code DeformConv} (opset 19), written from the operator specification and its reference implementation
 * (onnx/reference/ops/op_deform_conv.py), independently of the engine's DCN kernels: inputs X [N, C, H, W],
 * W [oC, C/group, kH, kW], offset [N, offset_group·kH·kW·2, oH, oW] (per offset group, per kernel tap (i, j): the
 * y then the x displacement), optional B [oC] and mask [N, offset_group·kH·kW, oH, oW]. Tap (i, j) of output (oh, ow)
 * samples X at (oh·sH − padTop + i·dH + dy, ow·sW − padLeft + j·dW + dx) bilinearly, zero outside the input (a corner
 * outside counts zero, a point at or beyond −1 / H is zero altogether). Sums in double.
 */
final class OnnxDeformConv {
    private OnnxDeformConv() {}

    static OnnxInterpreter.Val apply(OnnxInterpreter.Val[] in, Map<String, Object> a) {
        int[] xs = in[0].shape(), ws = in[1].shape();
        float[] x = in[0].f(), w = in[1].f(), off = in[2].f();
        float[] bias = in.length > 3 && in[3] != null ? in[3].f() : null;
        float[] mask = in.length > 4 && in[4] != null ? in[4].f() : null;
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], oc = ws[0], kh = ws[2], kw = ws[3];
        long[] strides = longs(a, "strides", 1, 1), pads = longs(a, "pads", 0, 0, 0, 0), dil = longs(a, "dilations", 1, 1);
        int group = (int) (long) (Long) a.getOrDefault("group", 1L), offGroup = (int) (long) (Long) a.getOrDefault("offset_group", 1L);
        int oh = (int) ((h + pads[0] + pads[2] - dil[0] * (kh - 1) - 1) / strides[0] + 1);
        int ow = (int) ((wd + pads[1] + pads[3] - dil[1] * (kw - 1) - 1) / strides[1] + 1);
        int[] offShape = in[2].shape();
        if (offShape[1] != offGroup * kh * kw * 2 || offShape[2] != oh || offShape[3] != ow)
            throw new IllegalArgumentException("DeformConv: offset shape " + java.util.Arrays.toString(offShape));
        int cPerGroup = c / group, ocPerGroup = oc / group, cPerOffGroup = c / offGroup;
        float[] out = new float[n * oc * oh * ow];
        for (int b = 0; b < n; b++)
            for (int o = 0; o < oc; o++) {
                int gi = o / ocPerGroup;
                for (int y = 0; y < oh; y++)
                    for (int xo = 0; xo < ow; xo++) {
                        double acc = bias == null ? 0 : bias[o];
                        for (int ci = 0; ci < cPerGroup; ci++) {
                            int ch = gi * cPerGroup + ci, og = ch / cPerOffGroup;
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    int tap = (og * kh + i) * kw + j;
                                    double dy = off[((b * offGroup * kh * kw * 2 + 2 * tap) * oh + y) * ow + xo];
                                    double dx = off[((b * offGroup * kh * kw * 2 + 2 * tap + 1) * oh + y) * ow + xo];
                                    double m = mask == null ? 1 : mask[((b * offGroup * kh * kw + tap) * oh + y) * ow + xo];
                                    double py = y * strides[0] - pads[0] + i * dil[0] + dy;
                                    double px = xo * strides[1] - pads[1] + j * dil[1] + dx;
                                    double v = bilinear(x, ((b * c) + ch) * h * wd, h, wd, py, px);
                                    acc += w[((o * cPerGroup + ci) * kh + i) * kw + j] * m * v;
                                }
                        }
                        out[((b * oc + o) * oh + y) * ow + xo] = (float) acc;
                    }
            }
        return OnnxInterpreter.Val.ofFloats(out, n, oc, oh, ow);
    }

    private static double bilinear(float[] x, int base, int h, int w, double py, double px) {
        if (py <= -1 || py >= h || px <= -1 || px >= w) return 0;
        int y0 = (int) Math.floor(py), x0 = (int) Math.floor(px), y1 = y0 + 1, x1 = x0 + 1;
        double ly = py - y0, lx = px - x0, hy = 1 - ly, hx = 1 - lx;
        double v00 = y0 >= 0 && x0 >= 0 ? x[base + y0 * w + x0] : 0;
        double v01 = y0 >= 0 && x1 < w ? x[base + y0 * w + x1] : 0;
        double v10 = y1 < h && x0 >= 0 ? x[base + y1 * w + x0] : 0;
        double v11 = y1 < h && x1 < w ? x[base + y1 * w + x1] : 0;
        return hy * hx * v00 + hy * lx * v01 + ly * hx * v10 + ly * lx * v11;
    }

    private static long[] longs(Map<String, Object> a, String key, long... dflt) {
        Object v = a.get(key);
        return v == null ? dflt : (long[]) v;
    }
}
