package autoassign.backend.cuda;

import org.bytedeco.javacpp.Pointer;

/** A JavaCPP pointer to a raw address (device memory), without a deallocator. */
final class DevPtr extends Pointer {
    DevPtr(long address) { this.address = address; }

    /** The address a JavaCPP output parameter ({@code void**}) received. */
    static long addressOf(Pointer p) { return p.address(); }
}
