package autoassign.autograd;

import autoassign.backend.ConvParams;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tape: recording rules, frozen parameters, no-grad mode, accumulation, and freeing as backward runs. */
class GraphTest {
    @AfterEach
    void clearTape() { Graph.clear(); }

    private static Tensor param(float... v) { return Tensor.of(v, v.length).setRequiresGrad(true); }

    @Test
    void tapeIsEmptyAfterBackward() {
        Tensor x = param(1, -2, 3);
        Tensor loss = F.sum(F.mulScalar(F.relu(x), 2f));
        assertEquals(3, Graph.size());
        Graph.backward(loss);
        assertEquals(0, Graph.size());
        assertArrayEquals(new float[] {2, 0, 2}, x.grad().data());
        assertTrue(x.isLeaf());
        assertFalse(loss.isLeaf());
        assertNull(loss.grad(), "non-leaf gradients are not kept");
    }

    @Test
    void nothingRecordedWithoutRequiresGrad() {
        Tensor x = Tensor.of(new float[] {1, 2}, 2);
        Tensor y = F.sigmoid(F.add(x, x));
        assertEquals(0, Graph.size());
        assertFalse(y.requiresGrad());
    }

    @Test
    void noGradRecordsNothingAndNests() {
        Tensor x = param(1, 2);
        try (Graph.Scope outer = Graph.noGrad()) {
            assertFalse(Graph.gradEnabled());
            Tensor y = F.mulScalar(x, 3f);
            try (Graph.Scope inner = Graph.noGrad()) {
                F.sum(y);
            }
            assertFalse(Graph.gradEnabled(), "closing an inner scope keeps the outer one");
            assertEquals(0, Graph.size());
            assertFalse(y.requiresGrad());
            outer.close();
            outer.close(); // idempotent
        }
        assertTrue(Graph.gradEnabled());
        F.sum(x);
        assertEquals(1, Graph.size());
    }

    @Test
    void frozenParametersGetNoGradient() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
        Tensor frozenW = Tensor.full(0.5f, 1, 1, 3, 3);            // frozen stem: requiresGrad false
        Tensor frozenB = Tensor.full(0.1f, 1);
        Tensor h = F.conv2d(x, frozenW, frozenB, ConvParams.of(1, 1));
        assertEquals(0, Graph.size(), "an op with only frozen inputs is not recorded");
        Tensor w = Tensor.full(0.25f, 1, 1, 3, 3).setRequiresGrad(true);
        Tensor loss = F.sum(F.conv2d(F.relu(h), w, null, ConvParams.of(1, 1)));
        assertEquals(2, Graph.size(), "only the trainable conv and the sum are recorded (relu on the frozen branch is not)");
        Graph.backward(loss);
        assertNull(frozenW.grad());
        assertNull(frozenB.grad());
        assertNull(x.grad());
        assertArrayEquals(new int[] {1, 1, 3, 3}, w.grad().shape());
    }

    @Test
    void gradientsAccumulateOverBackwardCallsAndUses() {
        Tensor x = param(1, 2);
        Graph.backward(F.sum(F.add(F.mulScalar(x, 2f), F.mulScalar(x, 3f))));  // x used twice
        assertArrayEquals(new float[] {5, 5}, x.grad().data());
        Graph.backward(F.sum(x));
        assertArrayEquals(new float[] {6, 6}, x.grad().data());
    }

    @Test
    void leavesNeverShareAGradTensor() {
        Tensor a = param(1, 2), b = param(3, 4);
        Graph.backward(F.sum(F.add(a, b)));
        assertNotSame(a.grad(), b.grad());
        assertNotSame(a.grad().data(), b.grad().data());
        assertArrayEquals(new float[] {1, 1}, b.grad().data());
    }

    @Test
    void backwardFreesNodesAsItGoes() {
        Tensor x = param(1, 2, 3);
        List<Integer> sizesSeen = new ArrayList<>();
        Tensor y = x;
        for (int i = 0; i < 4; i++) {
            Tensor in = y, out = F.mulScalar(in, 1f);
            Tensor probe = out.view(out.shape());
            // a custom node whose backward records how many nodes are still on the tape when it runs
            Graph.record(new Tensor[] {out}, probe, g -> {
                sizesSeen.add(Graph.size());
                return new Tensor[] {g[0]};
            });
            y = probe;
        }
        Graph.backward(F.sum(y));
        assertEquals(List.of(7, 5, 3, 1), sizesSeen, "each node is dropped before the earlier ones run");
    }

    @Test
    void savedActivationsBecomeCollectableAfterBackward() throws Exception {
        Tensor x = param(new float[1 << 16]);
        WeakReference<Tensor> hidden = hiddenActivation(x);
        Graph.backward(lastLoss);
        lastLoss = null;
        for (int i = 0; i < 20 && hidden.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(hidden.get(), "the tape must not keep the intermediate alive after backward");
    }

    private Tensor lastLoss;

    private WeakReference<Tensor> hiddenActivation(Tensor x) {
        Tensor h = F.sigmoid(x);      // saved by sigmoid's backward and by the next op
        lastLoss = F.sum(F.mulScalar(h, 2f));
        return new WeakReference<>(h);
    }

    @Test
    void failingNodeRunsAndClears() {
        Tensor x = param(1, 2);
        AtomicInteger calls = new AtomicInteger();
        Tensor y = F.mulScalar(x, 2f);
        Tensor probe = y.view(2);
        Graph.record(new Tensor[] {y}, probe, g -> {
            calls.incrementAndGet();
            throw new IllegalStateException("boom");
        });
        Tensor loss = F.sum(probe);
        assertThrows(IllegalStateException.class, () -> Graph.backward(loss));
        assertEquals(1, calls.get());
        assertEquals(0, Graph.size(), "the tape is cleared after a failure");
        assertTrue(Graph.gradEnabled(), "grad mode is restored after a failure");
    }

    @Test
    void backwardRejectsNonScalarLossNamingTheShape() {
        Tensor x = param(1, 2);
        Tensor y = F.mulScalar(x, 2f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Graph.backward(y));
        assertTrue(e.getMessage().contains("backward") && e.getMessage().contains("[2]"), e.getMessage());
        assertEquals(0, Graph.size());
        Tensor y2 = F.mulScalar(x, 2f);
        e = assertThrows(IllegalArgumentException.class, () -> Graph.backward(new Tensor[] {y2}, new Tensor[] {Tensor.scalar(1f)}));
        assertTrue(e.getMessage().contains("[1]") && e.getMessage().contains("[2]"), e.getMessage());
    }

    @Test
    void tapeIsPerThread() throws Exception {
        Tensor x = param(1, 2);
        F.sum(x);
        int[] otherSize = new int[1];
        Thread t = new Thread(() -> {
            Tensor y = F.mulScalar(x, 2f);
            otherSize[0] = Graph.size();
            Graph.backward(F.sum(y));
        });
        t.start();
        t.join();
        assertEquals(1, otherSize[0]);
        assertEquals(1, Graph.size());
    }
}
