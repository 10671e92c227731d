package autoassign.backend;

import autoassign.backend.cuda.CudaBackend;
import autoassign.backend.cuda.CudaProbe;
import autoassign.backend.cuda.CudaStatus;
import autoassign.tensor.Device;

import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Chooses the device from {@code --device cpu|cuda|cuda:N} (or nothing / {@code auto}: CUDA when a usable GPU
 * exists, else the CPU), probing CUDA once, and says which and why in one log line:
 * <pre>
 * device: cuda:0 (NVIDIA H100 80GB HBM3, 79.2 GiB, sm_90; CUDA 13.0, cuDNN 9.19.0)
 * device: cpu (no CUDA driver found: libcuda.so.1: cannot open shared object file: No such file or directory)
 * </pre>
 * An explicit CUDA request that cannot be met is a {@link DeviceUnavailableException} with a one-line message
 * (the CLI prints it as {@code error: ...}); the automatic choice never fails.
 */
public final class DeviceSelector {
    private DeviceSelector() {}

    /** The chosen device and the log line that explains it. */
    public record Choice(Device device, String logLine) {}

    /** An explicit {@code --device cuda[:N]} that this machine cannot honour. */
    public static final class DeviceUnavailableException extends IllegalArgumentException {
        public DeviceUnavailableException(String message) { super(message); }
    }

    /** Selects, registers the CUDA backend when chosen, and prints the log line to {@code log}. */
    public static Device select(String requested, Consumer<String> log) {
        Choice c = choose(requested, CudaProbe::status, CudaBackend::register);
        log.accept(c.logLine());
        return c.device();
    }

    /** {@link #select(String, Consumer)} logging to standard error. */
    public static Device select(String requested) { return select(requested, System.err::println); }

    /**
     * The decision itself, with the probe and the registration passed in (so tests can fake a GPU).
     *
     * @param requested null, blank or "auto" for the default; else cpu, cuda or cuda:N
     */
    public static Choice choose(String requested, Supplier<CudaStatus> probe, Runnable registerCuda) {
        String r = requested == null ? "auto" : requested.trim().toLowerCase(Locale.ROOT);
        if (r.isEmpty() || r.equals("auto")) {
            CudaStatus st = probe.get();
            if (!st.usable()) return new Choice(Device.CPU, "device: cpu (" + st.reason() + ")");
            registerCuda.run();
            return new Choice(Device.cuda(0), "device: cuda:0 (" + describe(st, 0) + "; default: a usable GPU was found)");
        }
        Device d;
        try {
            d = Device.parse(r);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--device: " + e.getMessage());
        }
        if (d.isCpu()) return new Choice(Device.CPU, "device: cpu (requested)");
        CudaStatus st = probe.get();
        if (!st.usable())
            throw new DeviceUnavailableException("--device " + requested.trim() + ": CUDA is not available: " + st.reason()
                    + " (use --device cpu)");
        if (d.index() >= st.deviceCount())
            throw new DeviceUnavailableException("--device " + requested.trim() + ": only " + st.deviceCount()
                    + " CUDA device(s) found (cuda:0.." + "cuda:" + (st.deviceCount() - 1) + ")");
        registerCuda.run();
        return new Choice(d, "device: " + d + " (" + describe(st, d.index()) + ")");
    }

    private static String describe(CudaStatus st, int index) {
        return st.gpus().get(index).describe() + "; CUDA " + CudaStatus.version(st.runtimeVersion()) + ", cuDNN "
                + st.cudnn() + (st.cublas() ? "" : ", no cuBLAS") + ", kernels: " + st.kernels();
    }
}
