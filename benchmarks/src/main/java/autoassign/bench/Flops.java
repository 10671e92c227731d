package autoassign.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** A JMH auxiliary counter: in throughput mode (per second) the column "gflop" reads directly as GFLOP/s. */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Flops {
    public double gflop;

    @Setup(Level.Iteration)
    public void reset() { gflop = 0; }
}
