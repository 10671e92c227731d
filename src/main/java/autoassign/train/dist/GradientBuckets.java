package autoassign.train.dist;

import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gradient averaging over the workers in buckets, overlapped with the backward pass, as PyTorch's DDP reducer:
 * the trainable tensors are packed, in reverse registration order (the order in which the backward completes
 * their gradients), into flat buckets of at most {@code bucketBytes}; {@link #onGradReady} (hooked into
 * {@link autoassign.autograd.Graph#backward(Tensor, autoassign.autograd.Graph.GradReadyListener)}) copies each
 * gradient into its bucket as soon as it is complete, and a bucket whose gradients are all in starts its
 * asynchronous all-reduce at once — while the backward goes on computing the gradients of earlier layers.
 * Buckets are started strictly in bucket order, so every worker issues the same collectives in the same order.
 * {@link #finish} starts what is left, waits, and replaces every gradient by the sum over workers divided by
 * the world size (DDP's average).
 *
 * <p>A trainable tensor without a gradient on this worker contributes zeros. {@link #finish} then sums, over the
 * workers, which tensors had a gradient (one small collective, as DDP's {@code find_unused_parameters=True} does with
 * its {@code local_used_map}): a tensor used by some worker receives the average, one used by none keeps no gradient,
 * so the optimizer skips it as a single process would (DDP leaves a globally unused parameter's grad untouched) —
 * instead of stepping it with a zero gradient, which weight decay and momentum would move. AutoAssign's own head
 * reaches every tensor (AA_3 §8 keeps the graph connected even without ground truth); a backbone output that the
 * neck never reads (e.g. HRNet's first branch under an FPN with {@code start_level: 1}) does not.
 */
public final class GradientBuckets {
    /** PyTorch DDP's default bucket cap. */
    public static final long DEFAULT_BUCKET_BYTES = 25L << 20;

    private static final class Bucket {
        final List<Tensor> params = new ArrayList<>();
        final List<Long> offsets = new ArrayList<>();
        long size;
        Tensor flat;
        boolean[] in;
        boolean[] used;
        int pending;
        Communicator.Pending op;
    }

    private record Slot(Bucket bucket, int index) {}

    private final Communicator comm;
    private final Bucket[] buckets;
    private final Map<Tensor, Slot> slots = new IdentityHashMap<>();
    private int nextLaunch;
    private boolean inStep;

    /** @param params the trainable tensors, in registration order, already on the communicator's device */
    public GradientBuckets(Communicator comm, List<Tensor> params, long bucketBytes) {
        if (bucketBytes < 4) throw new IllegalArgumentException("bucket size must be >= 4 bytes, got " + bucketBytes);
        this.comm = comm;
        List<Bucket> list = new ArrayList<>();
        Bucket cur = null;
        for (int i = params.size() - 1; i >= 0; i--) {
            Tensor p = params.get(i);
            if (slots.containsKey(p)) throw new IllegalArgumentException("tensor listed twice: " + p);
            if (!p.device().equals(comm.device()))
                throw new IllegalArgumentException("parameter on " + p.device() + ", communicator on " + comm.device());
            long bytes = 4L * p.numel();
            if (cur == null || (cur.size > 0 && 4L * cur.size + bytes > bucketBytes)) {
                cur = new Bucket();
                list.add(cur);
            }
            slots.put(p, new Slot(cur, cur.params.size()));
            cur.params.add(p);
            cur.offsets.add(cur.size);
            cur.size += p.numel();
        }
        this.buckets = list.toArray(new Bucket[0]);
        for (Bucket b : buckets) {
            if (b.size > Integer.MAX_VALUE) throw new IllegalArgumentException("bucket of " + b.size + " floats is too large");
            b.flat = comm.device().isCpu() ? Tensor.zeros((int) b.size) : Tensor.zeros(comm.device(), (int) b.size);
            b.flat.keep(); // persistent: survives the memory scope of a step (and of whatever creates the buckets)
            b.in = new boolean[b.params.size()];
            b.used = new boolean[b.params.size()];
        }
    }

    /** Number of buckets. */
    public int bucketCount() { return buckets.length; }

    /** Floats in each bucket (bucket 0 is all-reduced first). */
    public long[] bucketSizes() {
        long[] s = new long[buckets.length];
        for (int i = 0; i < s.length; i++) s[i] = buckets[i].size;
        return s;
    }

    /** Call before the backward of a step. */
    public void beginStep() {
        for (Bucket b : buckets) {
            java.util.Arrays.fill(b.in, false);
            java.util.Arrays.fill(b.used, false);
            b.pending = b.params.size();
            b.op = null;
        }
        nextLaunch = 0;
        inStep = true;
    }

    /** The gradient of {@code leaf} is complete (the graph's listener); tensors not managed here are ignored. */
    public void onGradReady(Tensor leaf) {
        if (!inStep) return;
        Slot s = slots.get(leaf);
        if (s == null || s.bucket.in[s.index]) return;
        put(s.bucket, s.index);
        launchReady();
    }

    private void put(Bucket b, int i) {
        Tensor p = b.params.get(i);
        Tensor g = p.grad();
        long off = b.offsets.get(i);
        int n = p.numel();
        if (g != null && g.numel() != n) throw new IllegalStateException("gradient " + g + " does not match " + p);
        if (b.flat.isCpu()) {
            if (g == null) java.util.Arrays.fill(b.flat.data(), (int) off, (int) off + n, 0f);
            else System.arraycopy(g.isCpu() ? g.data() : g.toFloatArray(), 0, b.flat.data(), (int) off, n);
        } else {
            if (g == null) b.flat.backend().zeroRange(b.flat, off, n);
            else b.flat.backend().copyRange(b.flat, off, g, 0, n);
        }
        b.in[i] = true;
        b.used[i] = g != null;
        b.pending--;
    }

    private void launchReady() {
        while (nextLaunch < buckets.length && buckets[nextLaunch].pending == 0) {
            Bucket b = buckets[nextLaunch++];
            b.op = comm.allReduceSumAsync(b.flat);
        }
    }

    /**
     * Starts the buckets not started yet (gradients that never became ready count as zeros), waits for every
     * bucket and sets each tensor's gradient to the average over the workers; a tensor no worker had a gradient
     * for keeps none.
     */
    public void finish() {
        if (!inStep) throw new IllegalStateException("finish() without beginStep()");
        for (Bucket b : buckets)
            for (int i = 0; i < b.in.length; i++)
                if (!b.in[i]) put(b, i);
        launchReady();
        float scale = 1f / comm.worldSize();
        for (Bucket b : buckets) {
            b.op.await();
            if (b.flat.isCpu()) {
                float[] sum = b.flat.data();
                for (int i = 0; i < b.params.size(); i++) {
                    Tensor p = b.params.get(i);
                    int off = (int) (long) b.offsets.get(i), n = p.numel();
                    float[] g = new float[n];
                    for (int k = 0; k < n; k++) g[k] = sum[off + k] * scale;
                    p.setGrad(Tensor.of(g, p.shape()));
                }
            } else {
                Tensor avg = b.flat.backend().mulScalar(b.flat, scale);
                for (int i = 0; i < b.params.size(); i++) {
                    Tensor p = b.params.get(i);
                    Tensor g = p.backend().zeros(p.shape());
                    g.backend().copyRange(g, 0, avg, b.offsets.get(i), p.numel());
                    p.setGrad(g);
                }
                avg.releaseStorage();
            }
        }
        // after the averages are queued (the host blocks here until the buckets' all-reduces are done, the device
        // has the copies to run meanwhile): a tensor no worker had a gradient for keeps none
        boolean[][] usedAnywhere = usedByAnyWorker();
        for (int bi = 0; bi < buckets.length; bi++)
            for (int i = 0; i < usedAnywhere[bi].length; i++)
                if (!usedAnywhere[bi][i]) buckets[bi].params.get(i).setGrad(null);
        inStep = false;
    }

    /** Per bucket and tensor: whether any worker had a gradient for it this step (one host collective). */
    private boolean[][] usedByAnyWorker() {
        int n = 0;
        for (Bucket b : buckets) n += b.used.length;
        double[] local = new double[n];
        int k = 0;
        for (Bucket b : buckets) for (boolean u : b.used) local[k++] = u ? 1 : 0;
        double[] any = comm.allReduceSum(local);
        boolean[][] out = new boolean[buckets.length][];
        k = 0;
        for (int bi = 0; bi < buckets.length; bi++) {
            out[bi] = new boolean[buckets[bi].used.length];
            for (int i = 0; i < out[bi].length; i++) out[bi][i] = any[k++] > 0;
        }
        return out;
    }
}
