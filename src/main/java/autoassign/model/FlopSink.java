package autoassign.model;

/** Receives one op's FLOPs for a module (Complexity's accumulator, fed by the per-backbone counters). */
interface FlopSink {
    void add(String module, String op, long flops);
}
