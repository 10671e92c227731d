package autoassign.train.dist;

import autoassign.loss.*;
import autoassign.model.AutoAssignDetector;
import org.junit.jupiter.api.Test;
import java.util.*;

class DebugTmpTest {
    @Test
    void debug() throws Exception {
        DataParallelEquivalenceTest.tmp = java.nio.file.Files.createTempDirectory("dbg"); DataParallelEquivalenceTest.data();
        var cfg = DataParallelEquivalenceTest.cfg;
        var m = new AutoAssignDetector(cfg.model(), 0);
        LossReducer fixed = new LossReducer() {
            public double[] sum(double... v) { System.out.println("reduce " + Arrays.toString(v)); return new double[] {6, 57.302427406888455}; }
            public int worldSize() { return 2; }
        };
        var ref = DataParallelEquivalenceTest.gradients(m, DataParallelEquivalenceTest.pairs.get(0), LossReducer.IDENTITY, null);
        var a = DataParallelEquivalenceTest.gradients(m, DataParallelEquivalenceTest.singles.get(0)[0], fixed, null);
        var b = DataParallelEquivalenceTest.gradients(m, DataParallelEquivalenceTest.singles.get(0)[1], fixed, null);
        for (String k : ref.keySet()) {
            float[] r = ref.get(k), x = a.get(k), y = b.get(k);
            double d = 0, s = 1e-3;
            for (int i = 0; i < r.length; i++) { s = Math.max(s, Math.abs(r[i])); d = Math.max(d, Math.abs(r[i] - (x[i] + y[i]) / 2)); }
            System.out.printf("%-50s fixed %.3g%n", k, d / s);
        }
    }
}
