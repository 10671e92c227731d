package autoassign.autograd;

import autoassign.backend.CheckedDeviceBackend;
import autoassign.backend.ConvParams;
import autoassign.tensor.Device;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Deterministic device-memory release, checked on the CPU through {@link CheckedDeviceBackend} (fake device
 * buffers that fail on use after release and on double release): the backward frees gradient temporaries and
 * activations as it goes, never one still held (pass-through ops, views, shared gradients, a closure still to run),
 * and {@link MemoryScope} frees the rest.
 */
class BackwardMemoryTest {
    private CheckedDeviceBackend dev;
    private Device d;

    @BeforeEach
    void install() {
        dev = CheckedDeviceBackend.install(93);
        d = dev.device();
    }

    @AfterEach
    void uninstall() {
        Graph.clear();
        dev.close();
    }

    private static Tensor param(Random r, Device dev, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat() - 0.5f;
        Tensor t = Tensor.of(v, shape);
        if (!dev.isCpu()) t.moveTo(dev);
        return t.setRequiresGrad(true);
    }

    @Test
    void aChainOfOpsKeepsOnlyTheLeafGradientAfterBackward() {
        Tensor w = param(new Random(1), d, 1000);
        try (MemoryScope s = MemoryScope.open()) {
            Tensor y = w;
            for (int k = 0; k < 20; k++) y = F.relu(F.mulScalar(y, 1.01f));
            Tensor loss = F.sum(y);
            assertEquals(1 + 40 + 1, dev.liveBuffers(), "w, 40 activations, the loss");
            Graph.backward(loss);
            // the 41 output gradients and the seed were freed as soon as consumed, the 40 activations as soon as the
            // last node naming them had run: w, its gradient and the loss (a root: the caller may read it) are left
            assertEquals(3, dev.liveBuffers());
            assertTrue(w.grad() != null && !w.grad().storageBuffer().released());
            assertTrue(Float.isFinite(loss.item()));
            assertTrue(y.storageBuffer().released(), "an activation is gone after the backward");
        }
        assertEquals(1, dev.liveBuffers(), "only w itself is left after the scope");
        assertTrue(dev.violations().isEmpty(), dev.violations().toString());
    }

    /** A graph with pass-through gradients (add), views (reshape), a leaf sharing a non-leaf's gradient, reuse. */
    private static Tensor[] tangled(Device dev) {
        Random r = new Random(7);
        Tensor x = param(r, dev, 2, 3, 6, 5), w = param(r, dev, 4, 3, 3, 3), b = param(r, dev, 4);
        Tensor leafA = param(r, dev, 2, 4, 6, 5), leafB = param(r, dev, 240), sc = param(r, dev, 1);
        Tensor[] leaves = {x, w, b, leafA, leafB, sc};
        Tensor c = F.conv2d(x, w, b, new ConvParams(1, 1, 1, 1, 1, 1));       // [2,4,6,5]
        Tensor v = F.reshape(leafB, 2, 4, 6, 5);                               // view of a leaf
        Tensor s1 = F.add(leafA, v);                                           // leaf a + non-leaf b: shared gradient
        Tensor s2 = F.add(c, s1);
        Tensor s3 = F.add(s2, s2);                                             // same tensor twice
        Tensor p = F.maxPool2d(F.relu(s3), 2, 2, 0);
        Tensor u = F.upsampleNearest(p, 6, 4);
        Tensor z = F.add(F.sigmoid(u), F.reshape(F.mulScalar(F.reshape(u, 192), 0.5f), 2, 4, 6, 4));
        Tensor loss = F.add(F.mean(z), F.sum(F.scale(c, sc)));
        Graph.backward(loss);
        Tensor[] grads = new Tensor[leaves.length];
        for (int i = 0; i < leaves.length; i++) grads[i] = leaves[i].grad();
        return grads;
    }

    @Test
    void gradientsEqualTheCpuAndNoBufferIsUsedAfterRelease() {
        Tensor[] ref = tangled(Device.CPU);
        long before = dev.liveBuffers();
        try (MemoryScope s = MemoryScope.open()) {
            Tensor[] got = tangled(d);
            for (int i = 0; i < ref.length; i++) {
                float[] want = ref[i].toFloatArray(), have = got[i].toFloatArray();
                assertEquals(want.length, have.length);
                for (int k = 0; k < want.length; k++)
                    assertEquals(want[k], have[k], 1e-6f + 1e-5f * Math.abs(want[k]), "gradient of leaf " + i + " [" + k + "]");
            }
            assertTrue(dev.releases() > 0, "the backward released gradient temporaries");
        }
        assertTrue(dev.violations().isEmpty(), dev.violations().toString());
        assertEquals(before + 6, dev.liveBuffers(), "only the six leaves (made persistent by moveTo) are left");
    }

    @Test
    void keptTensorsSurviveTheScopeAndReleasedOnesAreSkipped() {
        Tensor kept;
        Tensor gone;
        try (MemoryScope outer = MemoryScope.open()) {
            try (MemoryScope inner = MemoryScope.open()) {
                Tensor a = dev.zeros(10);
                Tensor view = a.view(2, 5);
                dev.add(view, view);
                a.releaseStorage();                     // released early: the scope skips it
                kept = dev.zeros(3).keep();
                gone = dev.zeros(4);
                assertEquals(3, inner.size());          // add's result, kept excluded, a (already released) still listed
            }
            assertTrue(gone.storageBuffer().released());
            assertTrue(!kept.storageBuffer().released());
            assertEquals(0, outer.size());
        }
        assertEquals(1, dev.liveBuffers());
        assertArrayEquals(new float[3], kept.toFloatArray());
        assertThrows(IllegalStateException.class, gone::toFloatArray);
        assertEquals(1, dev.violations().size()); // exactly the use above
    }

    @Test
    void theCpuIsUntouched() {
        try (MemoryScope s = MemoryScope.open()) {
            Tensor w = param(new Random(3), Device.CPU, 8);
            Graph.backward(F.sum(F.mulScalar(w, 2f)));
            assertEquals(0, s.size());
            assertArrayEquals(new float[] {2, 2, 2, 2, 2, 2, 2, 2}, w.grad().data(), 0f);
        }
    }
}
