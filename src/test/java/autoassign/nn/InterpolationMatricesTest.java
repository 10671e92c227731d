package autoassign.nn;

import autoassign.GoldenFiles;
import autoassign.autograd.Graph;
import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Random;

import static autoassign.GoldenFiles.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link InterpolationMatrices} against torch 1.13's {@code F.interpolate(mode='bilinear', align_corners=False)}
 * ({@code <goldens>/bilinear_weights}, written by scripts/goldens/pvt.py: the weight matrices read off one-hot inputs,
 * for up-, down- and same-size pairs, 1 → n and n → 1; and a random [1, 3, 5, 7] map resized to 8 × 4), and the
 * resize's gradient against finite differences in double precision.
 */
class InterpolationMatricesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode golden() throws IOException {
        return JSON.readTree(GoldenFiles.folder("bilinear_weights").resolve("bilinear_weights.json").toFile());
    }

    @Test
    void weightsAreTorchs() throws IOException {
        JsonNode g = golden();
        assertEquals(12, g.get("cases").size());
        for (JsonNode c : g.get("cases")) {
            int in = c.get("in").asInt(), out = c.get("out").asInt();
            float[] want = floats(c.get("weights")), got = InterpolationMatrices.bilinear(in, out);
            assertEquals(want.length, got.length);
            for (int i = 0; i < got.length; i++)
                assertEquals(want[i], got[i], 0f, in + " -> " + out + " entry " + i);
        }
    }

    @Test
    void resizedMapIsTorchs() throws IOException {
        JsonNode m = golden().get("map");
        int c = 3, h0 = 5, w0 = 7, h = 8, w = 4;
        float[] nchw = floats(m.get("values")), want = floats(m.get("out"));
        float[] tokens = new float[h0 * w0 * c];
        for (int ch = 0; ch < c; ch++) for (int p = 0; p < h0 * w0; p++) tokens[p * c + ch] = nchw[ch * h0 * w0 + p];
        float[] got;
        try (Graph.Scope s = Graph.noGrad()) {
            got = InterpolationMatrices.resizeTokens(Tensor.of(tokens, h0 * w0, c), h0, w0, h, w).toFloatArray();
        }
        for (int ch = 0; ch < c; ch++)
            for (int p = 0; p < h * w; p++)
                assertEquals(want[ch * h * w + p], got[p * c + ch], 1e-6, "channel " + ch + " pixel " + p);
    }

    /** d(Σ resize(x)·g)/dx against central differences of the same function in double precision. */
    @Test
    void gradientMatchesFiniteDifferences() {
        int c = 2, h0 = 3, w0 = 4, h = 5, w = 2;
        Random rng = new Random(3);
        float[] x = new float[h0 * w0 * c], g = new float[h * w * c];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        for (int i = 0; i < g.length; i++) g[i] = (float) rng.nextGaussian();
        Tensor xt = Tensor.of(x.clone(), h0 * w0, c).setRequiresGrad(true);
        Tensor y = InterpolationMatrices.resizeTokens(xt, h0, w0, h, w);
        Graph.backward(new Tensor[] {y}, new Tensor[] {Tensor.of(g, h * w, c)});
        float[] grad = xt.grad().toFloatArray();
        double[] ry = toDouble(InterpolationMatrices.bilinear(h0, h)), rx = toDouble(InterpolationMatrices.bilinear(w0, w));
        double eps = 1e-4;
        for (int i = 0; i < x.length; i++) {
            double[] xp = toDouble(x), xm = toDouble(x);
            xp[i] += eps;
            xm[i] -= eps;
            double fd = (dot(resize(xp, ry, rx, c, h0, w0, h, w), g) - dot(resize(xm, ry, rx, c, h0, w0, h, w), g)) / (2 * eps);
            assertEquals(fd, grad[i], 1e-5, "grad " + i);
        }
    }

    @Test
    void refusesBadSizes() {
        assertThrows(IllegalArgumentException.class, () -> InterpolationMatrices.bilinear(0, 3));
        assertThrows(IllegalArgumentException.class, () -> InterpolationMatrices.resizeTokens(Tensor.zeros(5, 2), 2, 3, 4, 4));
    }

    private static double[] resize(double[] x, double[] ry, double[] rx, int c, int h0, int w0, int h, int w) {
        double[] out = new double[h * w * c];
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
                for (int a = 0; a < h0; a++)
                    for (int b = 0; b < w0; b++)
                        for (int ch = 0; ch < c; ch++)
                            out[(i * w + j) * c + ch] += ry[i * h0 + a] * rx[j * w0 + b] * x[(a * w0 + b) * c + ch];
        return out;
    }

    private static double dot(double[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }
}
