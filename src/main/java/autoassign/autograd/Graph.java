package autoassign.autograd;

import autoassign.tensor.DeviceBuffer;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Reverse-mode tape, one per thread (so data-parallel workers in threads each keep their own).
 * Ops record a node when grad mode is on and an input requires a gradient; {@link #backward} walks the
 * nodes once in reverse, accumulates gradients into the inputs and drops each node (and the activations
 * its closure saved) as soon as it has run. Inside a {@link MemoryScope}, gradient buffers the backward allocated
 * are released as soon as no gradient slot holds them any more (see GradRefs), and the step's activations as soon
 * as no remaining node names them (see ActivationRefs); what is left is released when the scope closes.
 */
public final class Graph {
    private static final ThreadLocal<Graph> CURRENT = ThreadLocal.withInitial(Graph::new);

    private final List<Node> nodes = new ArrayList<>();
    private int noGradDepth;

    private record Node(Tensor[] inputs, Tensor[] outputs, Backward fn) {}

    private Graph() {}

    private static Graph current() { return CURRENT.get(); }

    public static boolean gradEnabled() { return current().noGradDepth == 0; }

    /** True when an op on these inputs must be recorded. */
    public static boolean needsGrad(Tensor... inputs) {
        if (!gradEnabled()) return false;
        for (Tensor t : inputs) if (t != null && t.requiresGrad()) return true;
        return false;
    }

    /**
     * Records an op whose outputs then require a gradient; a no-op when no input needs one. {@code fn} may read the
     * node's inputs and outputs, constants, and side results that no other node has as input or output: the
     * backward releases an activation once the last node naming it has run (see ActivationRefs).
     */
    public static void record(Tensor[] inputs, Tensor[] outputs, Backward fn) {
        if (!needsGrad(inputs)) return;
        for (Tensor o : outputs) {
            o.setRequiresGrad(true);
            o.markNonLeaf();
            o.markTaped();
        }
        for (Tensor in : inputs) if (in != null) in.markTaped(); // kept alive: MemoryScope.dispose leaves them
        current().nodes.add(new Node(inputs, outputs, fn));
    }

    public static void record(Tensor[] inputs, Tensor output, Backward fn) {
        record(inputs, new Tensor[] {output}, fn);
    }

    /** Number of nodes on this thread's tape (for tests and leak checks). */
    public static int size() { return current().nodes.size(); }

    /** Drops the tape without running it (e.g. after a failed step). */
    public static void clear() { current().nodes.clear(); }

    /** A scope that ends without checked exceptions. */
    public interface Scope extends AutoCloseable {
        @Override void close();
    }

    /**
     * Scope in which no op is recorded (inference): {@code try (var g = Graph.noGrad()) { ... }}. Scopes nest;
     * closing one twice has no further effect.
     */
    public static Scope noGrad() {
        Graph g = current();
        g.noGradDepth++;
        return new Scope() {
            private boolean closed;

            @Override public void close() {
                if (!closed) {
                    closed = true;
                    g.noGradDepth--;
                }
            }
        };
    }

    /**
     * Backpropagates from a one-element tensor (seed gradient 1): gradients are added to the {@code grad} of
     * every leaf that requires one, and the whole tape of this thread is consumed (empty afterwards, also when
     * a backward step throws).
     */
    public static void backward(Tensor loss) {
        backward(loss, null);
    }

    /**
     * Called during {@link #backward(Tensor, GradReadyListener)} as soon as a leaf's gradient is complete: the
     * node that last adds to it (the earliest recorded node reading it) has run. Data-parallel training starts
     * the all-reduce of a gradient bucket from here, overlapping communication with the rest of the backward.
     * The leaf's {@code grad()} may be null when no gradient reached it.
     */
    @FunctionalInterface
    public interface GradReadyListener {
        void ready(Tensor leaf);
    }

    /** {@link #backward(Tensor)} that reports each leaf whose gradient is complete to {@code listener}. */
    public static void backward(Tensor loss, GradReadyListener listener) {
        if (loss.numel() != 1) {
            clear();
            throw new IllegalArgumentException("backward: loss must have one element, got shape " + Shape.str(loss.shape()));
        }
        backward(new Tensor[] {loss}, new Tensor[] {loss.backend().fromHost(new float[] {1f}, loss.shape())}, listener, true);
    }

    /** Backpropagates from several roots with the given seed gradients. */
    public static void backward(Tensor[] roots, Tensor[] seeds) {
        backward(roots, seeds, null, false);
    }

    /** For each node index, the leaves (requiring a gradient) whose earliest reader is that node. */
    private static java.util.Map<Integer, List<Tensor>> lastWriters(List<Node> nodes) {
        java.util.Set<Tensor> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        java.util.Map<Integer, List<Tensor>> byNode = new java.util.HashMap<>();
        for (int i = 0; i < nodes.size(); i++)
            for (Tensor in : nodes.get(i).inputs)
                if (in != null && in.isLeaf() && in.requiresGrad() && seen.add(in))
                    byNode.computeIfAbsent(i, k -> new ArrayList<>()).add(in); // in input order: deterministic
        return byNode;
    }

    private static void backward(Tensor[] roots, Tensor[] seeds, GradReadyListener listener, boolean ownSeeds) {
        Graph g = current();
        if (roots.length != seeds.length) {
            g.nodes.clear();
            throw new IllegalArgumentException("backward: " + roots.length + " roots but " + seeds.length + " seeds");
        }
        for (int i = 0; i < roots.length; i++) {
            if (!java.util.Arrays.equals(roots[i].shape(), seeds[i].shape())) {
                g.nodes.clear();
                throw new IllegalArgumentException("backward: seed " + Shape.str(seeds[i].shape()) + " does not match root "
                        + Shape.str(roots[i].shape()));
            }
        }
        java.util.Map<Integer, List<Tensor>> done = listener == null ? null : lastWriters(g.nodes);
        try (Scope ignored = noGrad(); MemoryScope.Recorder born = MemoryScope.recordAllocations()) {
            GradRefs refs = new GradRefs(born);
            ActivationRefs activations = new ActivationRefs(g.nodes, roots);
            if (ownSeeds) for (Tensor s : seeds) born.adopt(s);
            List<Tensor> dead = new ArrayList<>();
            for (int i = 0; i < roots.length; i++) refs.accumulate(roots[i], seeds[i], dead);
            refs.releaseDead(dead);
            for (int i = g.nodes.size() - 1; i >= 0; i--) {
                if (done != null) notifyReady(done, i + 1, listener); // node i + 1 has just run
                Node node = g.nodes.remove(i);
                Tensor[] gradOut = new Tensor[node.outputs.length];
                boolean any = false;
                for (int j = 0; j < gradOut.length; j++) {
                    gradOut[j] = node.outputs[j].grad();
                    any |= gradOut[j] != null;
                    node.outputs[j].setGrad(null); // non-leaf gradients are not kept
                }
                if (!any) {
                    activations.done(i, refs);
                    continue;
                }
                Tensor[] gradIn = node.fn.apply(gradOut);
                for (int j = 0; j < node.inputs.length; j++) {
                    Tensor in = node.inputs[j];
                    if (in != null && in.requiresGrad() && j < gradIn.length && gradIn[j] != null) refs.accumulate(in, gradIn[j], dead);
                }
                // the output gradients have been consumed; they (and input gradients nobody took) are freed unless a
                // gradient slot still holds their buffer (pass-through ops, views) — after all inputs are served
                for (Tensor t : gradOut) if (t != null) { refs.drop(t); dead.add(t); }
                for (Tensor t : gradIn) if (t != null) dead.add(t);
                refs.releaseDead(dead);
                activations.done(i, refs);
            }
            if (done != null) notifyReady(done, 0, listener);
        } catch (RuntimeException | Error e) {
            g.nodes.clear();
            throw e;
        }
    }

    /**
     * Early release of gradient temporaries on a device (CPU arrays are left to the GC). Counts, per device buffer,
     * the gradient slots ({@code Tensor.grad}) set during this backward that hold it; a buffer is released when no
     * slot holds it any more and it was allocated during this backward (so no forward tensor, no closure's saved
     * state and no gradient from before the backward is ever released here).
     */
    private static final class GradRefs {
        private final MemoryScope.Recorder born;
        private final java.util.IdentityHashMap<DeviceBuffer, int[]> holders = new java.util.IdentityHashMap<>();

        GradRefs(MemoryScope.Recorder born) { this.born = born; }

        void accumulate(Tensor t, Tensor g, List<Tensor> dead) {
            if (!t.requiresGrad()) return;
            if (!java.util.Arrays.equals(t.shape(), g.shape()))
                throw new IllegalStateException("backward: gradient " + Shape.str(g.shape()) + " does not match tensor "
                        + Shape.str(t.shape()));
            Tensor prev = t.grad();
            if (prev == null) {
                t.setGrad(g);
                hold(g);
            } else {
                Tensor sum = prev.backend().add(prev, g);
                t.setGrad(sum);
                hold(sum);
                drop(prev);
                dead.add(prev);
                dead.add(g);
            }
        }

        /** True when a gradient slot set during this backward holds {@code b}. */
        boolean holds(DeviceBuffer b) { return holders.containsKey(b); }

        private void hold(Tensor t) {
            DeviceBuffer b = t.storageBuffer();
            if (b != null) holders.computeIfAbsent(b, k -> new int[1])[0]++;
        }

        /** A slot that held {@code t} no longer does (slots set before the backward were never counted). */
        void drop(Tensor t) {
            DeviceBuffer b = t.storageBuffer();
            if (b == null) return;
            int[] c = holders.get(b);
            if (c != null && --c[0] <= 0) holders.remove(b);
        }

        void releaseDead(List<Tensor> dead) {
            for (Tensor t : dead) {
                DeviceBuffer b = t.storageBuffer();
                if (b != null && !b.released() && !holders.containsKey(b) && born.recorded(b)) b.release();
            }
            dead.clear();
        }
    }

    /**
     * Early release of activations: counts, per buffer, the tape nodes that have it as an input or output; when the
     * last of them has run its backward, no closure can read it any more, and a buffer that an open
     * {@link MemoryScope} recorded (an intermediate of the current step) is released then instead of when the step
     * ends, as PyTorch frees saved tensors. Never released early: the roots (the caller may still read the loss),
     * leaves that require a gradient (their values and gradients are the caller's), and buffers a gradient slot holds.
     * Contract for closures ({@link #record}): they read only their node's inputs and outputs, constants, and side
     * results no other node references (GroupNorm's statistics, the loss's own state).
     */
    private static final class ActivationRefs {
        private final java.util.IdentityHashMap<DeviceBuffer, int[]> uses = new java.util.IdentityHashMap<>();
        private final java.util.Set<DeviceBuffer> pinned = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        /** Per node (tape order): the distinct buffers of its inputs and outputs. */
        private final List<List<DeviceBuffer>> perNode;

        ActivationRefs(List<Node> nodes, Tensor[] roots) {
            for (Tensor r : roots) if (r.storageBuffer() != null) pinned.add(r.storageBuffer());
            perNode = new ArrayList<>(nodes.size());
            for (Node n : nodes) {
                List<DeviceBuffer> bs = buffers(n);
                perNode.add(bs);
                for (DeviceBuffer b : bs) uses.computeIfAbsent(b, k -> new int[1])[0]++;
            }
        }

        /** The distinct buffers of a node's inputs and outputs; pins those of leaves that require a gradient. */
        private List<DeviceBuffer> buffers(Node n) {
            List<DeviceBuffer> out = new ArrayList<>(n.inputs.length + n.outputs.length);
            for (Tensor[] ts : new Tensor[][] {n.inputs, n.outputs})
                for (Tensor t : ts) {
                    DeviceBuffer b = t == null ? null : t.storageBuffer();
                    if (b == null) continue;
                    if (t.isLeaf() && t.requiresGrad()) pinned.add(b);
                    boolean seen = false;
                    for (DeviceBuffer o : out) seen |= o == b;
                    if (!seen) out.add(b);
                }
            return out;
        }

        /** Node {@code i}'s backward has run (or had nothing to do): its buffers lose one user. */
        void done(int i, GradRefs grads) {
            for (DeviceBuffer b : perNode.get(i)) {
                int[] c = uses.get(b);
                if (c == null || --c[0] > 0) continue;
                uses.remove(b);
                if (!pinned.contains(b) && !grads.holds(b) && !b.released()) MemoryScope.releaseIfOwned(b);
            }
        }
    }

    private static void notifyReady(java.util.Map<Integer, List<Tensor>> done, int node, GradReadyListener listener) {
        List<Tensor> leaves = done.remove(node);
        if (leaves != null) for (Tensor t : leaves) listener.ready(t);
    }
}
