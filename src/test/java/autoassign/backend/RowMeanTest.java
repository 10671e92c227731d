package autoassign.backend;

import autoassign.autograd.Graph;
import autoassign.autograd.SpatialMean;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The spatial mean's ops: {@code rowMean} / {@code rowBroadcast} of the CPU backend equal, bit for bit, the composition
 * with a full-size constant that they replace (Backend's defaults: rowScaleBackward against a row of 1f / cols, rowScale
 * of a constant), and {@link SpatialMean}'s gradient (the mean is linear: each input's is its plane's weight / (H·W)).
 */
class RowMeanTest {
    private final Backend be = Backends.cpu();

    private static Tensor random(long seed, int... shape) {
        Random r = new Random(seed);
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextGaussian() * 3 + 1);
        return t;
    }

    @Test
    void equalTheCompositionTheyReplace() {
        Tensor x = random(1, 2, 3, 7, 9);
        Tensor viaOps = be.rowScaleBackward(x.view(x.numel()), be.broadcastScalar(Tensor.of(new float[] {1f / 63}, 1), 1f, x.numel()),
                Tensor.zeros(6));
        assertArrayEquals(viaOps.data(), be.rowMean(x, 6).data(), 0f);
        Tensor s = random(2, 6);
        Tensor spread = be.rowScale(be.broadcastScalar(Tensor.of(new float[] {1f / 63}, 1), 1f, 2, 3, 7, 9), s);
        assertArrayEquals(spread.data(), be.rowBroadcast(s, 1f / 63, 2, 3, 7, 9).data(), 0f);
        assertEquals(6, be.rowMean(x, 6).numel());
        assertThrows(IllegalArgumentException.class, () -> be.rowMean(x, 5));
        assertThrows(IllegalArgumentException.class, () -> be.rowBroadcast(s, 1f, 5, 7));
    }

    @Test
    void spatialMeanGradient() {
        Tensor x = random(3, 2, 2, 3, 5).setRequiresGrad(true);
        Tensor w = random(4, 4);
        Tensor y = SpatialMean.of(x);
        Tensor loss = autoassign.autograd.F.sum(autoassign.autograd.F.rowScale(y, w));
        Graph.backward(loss);
        float[] gx = x.grad().data();
        for (int i = 0; i < gx.length; i++) assertEquals(w.data()[i / 15] / 15.0, gx[i], 1e-6, "x[" + i + "]");
    }
}
