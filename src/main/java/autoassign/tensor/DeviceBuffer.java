package autoassign.tensor;

/** Storage of a tensor on an accelerator; implemented by a device backend. */
public interface DeviceBuffer {
    Device device();

    long numel();

    /** Copies the whole buffer into a new host array. */
    float[] toHost();

    /** Overwrites the buffer from a host array of the same length. */
    void fromHost(float[] data);

    /**
     * Returns memory to the backend's allocator; the buffer must not be used afterwards. Idempotent: a second
     * call has no effect (a {@link MemoryScope} may release a buffer that was already released early).
     */
    void release();

    /** True once {@link #release()} has run. */
    boolean released();
}
