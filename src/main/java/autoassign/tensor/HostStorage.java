package autoassign.tensor;

import java.util.function.Consumer;

/**
 * A CPU tensor's array when it came from a recycling pool (the CPU backend's large op outputs inside a
 * {@link MemoryScope}): releasing it hands the array back to the pool, exactly as a device buffer goes back to
 * its caching allocator. The tensors and views that share it fail loudly afterwards ({@link Tensor#data()}),
 * instead of reading an array that a later op already reuses.
 */
public final class HostStorage implements DeviceBuffer {
    private float[] array;
    private final Consumer<float[]> recycler;

    public HostStorage(float[] array, Consumer<float[]> recycler) {
        this.array = array;
        this.recycler = recycler;
    }

    /** The array (throws once released). */
    public float[] array() {
        float[] a = array;
        if (a == null) throw new IllegalStateException("CPU tensor storage was already released (its memory scope closed"
                + " or the backward freed it) and may be reused by another tensor");
        return a;
    }

    @Override public Device device() { return Device.CPU; }

    @Override public long numel() { return array().length; }

    @Override public float[] toHost() { return array().clone(); }

    @Override public void fromHost(float[] data) { System.arraycopy(data, 0, array(), 0, array().length); }

    @Override
    public void release() {
        float[] a = array;
        if (a == null) return;
        array = null;
        recycler.accept(a);
    }

    @Override public boolean released() { return array == null; }
}
