package autoassign.backend;

import autoassign.backend.cpu.CpuBackend;
import autoassign.tensor.Device;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/** Finds the backend of a device. The CUDA backend registers itself when a usable GPU is found. */
public final class Backends {
    private static final Backend CPU = new CpuBackend();
    private static final Map<Device, Backend> OTHERS = new ConcurrentHashMap<>();
    private static volatile Function<Device, Backend> accelerator;

    private Backends() {}

    public static Backend cpu() { return CPU; }

    public static Backend of(Device device) {
        if (device.isCpu()) return CPU;
        return OTHERS.computeIfAbsent(device, d -> {
            Function<Device, Backend> f = accelerator;
            if (f == null) throw new IllegalStateException("no backend for " + d + ": the CUDA backend is not available");
            return f.apply(d);
        });
    }

    /**
     * Installs {@code backend} as the backend of one accelerator {@code device} (tests: a checked stand-in device
     * that runs the CPU math on fake device buffers); {@code backend} null removes it.
     */
    public static void register(Device device, Backend backend) {
        if (device.isCpu()) throw new IllegalArgumentException("the CPU backend cannot be replaced");
        if (backend == null) OTHERS.remove(device);
        else OTHERS.put(device, backend);
    }

    /** Installs the factory of accelerator backends (called by the CUDA probe). */
    public static void registerAccelerator(Function<Device, Backend> factory) { accelerator = factory; }
}
