package autoassign.train.dist;

import autoassign.autograd.F;
import autoassign.autograd.Graph;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The hook the bucketed all-reduce relies on: each leaf reported once, when its gradient is final, early leaves late. */
class GradReadyListenerTest {
    @Test
    void eachLeafIsReportedOnceWithItsFinalGradient() {
        Tensor a = Tensor.of(new float[] {1, 2}, 2).setRequiresGrad(true);   // used by the first and the last op
        Tensor b = Tensor.of(new float[] {3, 4}, 2).setRequiresGrad(true);   // used by the last op only
        Tensor c = Tensor.of(new float[] {5, 6}, 2);                         // no gradient wanted
        Tensor h = F.mulScalar(F.add(a, c), 2f);          // node 0 reads a
        Tensor y = F.add(F.add(h, b), a);                 // nodes 2, 3 read b, a
        Tensor loss = F.sum(y);
        Map<Tensor, float[]> seen = new IdentityHashMap<>();
        List<Tensor> order = new ArrayList<>();
        Graph.backward(loss, t -> {
            if (seen.put(t, t.grad().toFloatArray()) != null) throw new AssertionError("reported twice");
            order.add(t);
        });
        assertEquals(2, seen.size());
        assertSame(b, order.get(0));   // b is complete before a (a still gets the gradient through h)
        assertSame(a, order.get(1));
        assertArrayEquals(new float[] {3, 3}, seen.get(a)); // d/da = 2 + 1, as reported = as final
        assertArrayEquals(a.grad().data(), seen.get(a));
        assertArrayEquals(new float[] {1, 1}, seen.get(b));
        assertEquals(0, Graph.size());
    }
}
