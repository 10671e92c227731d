package autoassign.tensor;

import autoassign.backend.Backend;
import autoassign.backend.Backends;

import java.util.Arrays;

/**
 * A float32 tensor (NCHW for images) on one device, plus the autograd fields the tape uses.
 * Storage is a host array on the CPU or a {@link DeviceBuffer} on a GPU; it is mutable so that
 * parameters can be updated and moved in place while modules keep their references.
 */
public final class Tensor {
    private final int[] shape;
    private Device device;
    private float[] host;          // storage when device is CPU
    private DeviceBuffer buffer;   // storage when device is an accelerator; on the CPU a recycled array's HostStorage
    private volatile int version;  // bumped by in-place writes through this object (copyFrom, moveTo, bumpVersion)

    // autograd state, owned by autoassign.autograd
    private boolean requiresGrad;
    private boolean leaf = true;
    private boolean taped;         // an input or output of a recorded tape node (a closure may hold it)
    private Tensor grad;

    private Tensor(int[] shape, float[] host) {
        this.shape = shape.clone();
        this.device = Device.CPU;
        this.host = host;
    }

    private Tensor(int[] shape, DeviceBuffer buffer) {
        this.shape = shape.clone();
        this.device = buffer.device();
        this.buffer = buffer;
        if (buffer instanceof HostStorage hs) this.host = hs.array();
    }

    /** Wraps a host array (no copy) as a CPU tensor. */
    public static Tensor of(float[] data, int... shape) {
        if (data.length != Shape.numel("Tensor.of", shape))
            throw new IllegalArgumentException("Tensor.of: " + data.length + " values do not fill shape " + Shape.str(shape));
        return new Tensor(shape, data);
    }

    /** Wraps a device buffer, or a recycled host array ({@link HostStorage}: a CPU tensor), without a copy. */
    public static Tensor ofBuffer(DeviceBuffer buffer, int... shape) {
        if (buffer.numel() != Shape.numel(shape))
            throw new IllegalArgumentException("Tensor.ofBuffer: buffer of " + buffer.numel() + " does not fill " + Shape.str(shape));
        return new Tensor(shape, buffer);
    }

    public static Tensor zeros(int... shape) { return new Tensor(shape, new float[Math.toIntExact(Shape.numel("Tensor.zeros", shape))]); }

    public static Tensor zeros(Device device, int... shape) { return Backends.of(device).zeros(shape); }

    public static Tensor scalar(float v) { return of(new float[] {v}, 1); }

    public static Tensor full(float v, int... shape) {
        float[] d = new float[Math.toIntExact(Shape.numel("Tensor.full", shape))];
        Arrays.fill(d, v);
        return of(d, shape);
    }

    public int[] shape() { return shape.clone(); }

    public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }

    public int rank() { return shape.length; }

    public int numel() { return Math.toIntExact(Shape.numel(shape)); }

    public Device device() { return device; }

    public Backend backend() { return Backends.of(device); }

    public boolean isCpu() { return device.isCpu(); }

    /** The host storage array of a CPU tensor (no copy). */
    public float[] data() {
        if (host == null) throw new IllegalStateException("tensor " + Shape.str(shape) + " lives on " + device + ", not the CPU");
        if (buffer != null && buffer.released())
            throw new IllegalStateException("tensor " + Shape.str(shape) + " was released: its memory scope closed or the"
                    + " backward freed it, and its array may already hold another tensor");
        return host;
    }

    /** The device storage of an accelerator tensor. */
    public DeviceBuffer buffer() {
        if (buffer == null || host != null) throw new IllegalStateException("tensor " + Shape.str(shape) + " lives on the CPU");
        return buffer;
    }

    /**
     * The releasable storage: a device buffer, a CPU tensor's recycled array ({@link HostStorage}), or null for a
     * plain CPU array (left to the GC) and after {@link #releaseStorage()} on a device (never throws).
     */
    public DeviceBuffer storageBuffer() { return buffer; }

    /**
     * Makes this tensor's device storage outlive the {@link MemoryScope}s open on this thread (persistent state
     * created inside a step: optimizer momentum, caches). No-op on the CPU. Returns this.
     */
    public Tensor keep() { return MemoryScope.keep(this); }

    /**
     * A counter bumped by in-place changes made through this object ({@link #copyFrom}, {@link #moveTo},
     * {@link #bumpVersion}); caches derived from a tensor's values compare it. Writes through {@link #data()} or
     * the buffer do not bump it: callers that write so and need caches refreshed call {@link #bumpVersion}.
     */
    public int version() { return version; }

    /** Marks the values as changed (see {@link #version}). */
    public void bumpVersion() { version++; }

    /** A host copy of the values, from any device. */
    public float[] toFloatArray() { return host != null ? data().clone() : buffer.toHost(); }

    public float item() {
        if (numel() != 1) throw new IllegalStateException("item() on a tensor of shape " + Shape.str(shape));
        return host != null ? data()[0] : buffer.toHost()[0];
    }

    /** A copy on {@code target} (the same object when it is already there). */
    public Tensor to(Device target) {
        if (target.equals(device)) return this;
        return Backends.of(target).fromHost(toFloatArray(), shape);
    }

    /** Moves the storage of this tensor to {@code target} in place (for parameters and buffers). */
    public void moveTo(Device target) {
        if (target.equals(device)) return;
        Tensor moved = to(target);
        MemoryScope.keep(moved); // parameters and buffers are persistent
        releaseStorage();
        host = moved.host;
        buffer = moved.buffer;
        device = target;
        version++;
        if (grad != null) grad = grad.to(target);
    }

    /** Overwrites the values from {@code src} (same number of elements, any device). */
    public void copyFrom(Tensor src) {
        if (src.numel() != numel())
            throw new IllegalArgumentException("copyFrom: " + Shape.str(src.shape) + " into " + Shape.str(shape));
        if (host != null && src.host != null) System.arraycopy(src.data(), 0, data(), 0, host.length);
        else if (host != null) System.arraycopy(src.toFloatArray(), 0, data(), 0, host.length);
        else buffer.fromHost(src.toFloatArray());
        version++;
    }

    /** A tensor of another shape sharing this storage. */
    public Tensor view(int... newShape) {
        if (Shape.numel("view", newShape) != numel())
            throw new IllegalArgumentException("view: cannot view " + Shape.str(shape) + " as " + Shape.str(newShape));
        if (host == null || buffer == null) return host != null ? new Tensor(newShape, host) : new Tensor(newShape, buffer);
        data(); // a released recycled array is not viewed
        return new Tensor(newShape, buffer); // shares the HostStorage: released together
    }

    /**
     * Frees device memory (or hands a recycled CPU array back to its pool) early; a no-op for plain CPU arrays,
     * which the GC reclaims.
     */
    public void releaseStorage() {
        if (buffer != null) buffer.release();
        if (host == null) buffer = null; // a CPU tensor keeps its HostStorage, so that data() reports the release
    }

    // ---- autograd fields (used by autoassign.autograd and the optimizer) ----

    public boolean requiresGrad() { return requiresGrad; }

    public Tensor setRequiresGrad(boolean value) { this.requiresGrad = value; return this; }

    public boolean isLeaf() { return leaf; }

    public void markNonLeaf() { leaf = false; }

    /** True once an op recorded on the tape has this tensor as input or output (its closure may read it). */
    public boolean taped() { return taped; }

    public void markTaped() { taped = true; }

    public Tensor grad() { return grad; }

    public void setGrad(Tensor g) { grad = g; }

    @Override public String toString() { return "Tensor" + Shape.str(shape) + "@" + device; }
}
