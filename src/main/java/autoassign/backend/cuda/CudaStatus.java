package autoassign.backend.cuda;

import java.util.List;

/**
 * What the one-time probe found: whether the CUDA backend can run, and if not, why (one line).
 *
 * @param usable   true when a driver, at least one GPU, cuDNN 9 and the backend's kernels are all available
 * @param reason   when not usable: why, in words fit for the log line "device: cpu (reason)"
 * @param gpus     the GPUs found (empty without a driver)
 * @param cudnn    cuDNN version as "9.x.y", or null when cuDNN could not be loaded
 * @param cublas   whether cuBLAS loaded (otherwise gemm runs on the backend's own kernel)
 * @param kernels  where the kernels come from, e.g. "fatbin (native + backend)" or "NVRTC"
 */
public record CudaStatus(boolean usable, String reason, List<Gpu> gpus, int driverVersion, int runtimeVersion,
                         String cudnn, boolean cublas, String kernels) {

    /** One GPU as the runtime reports it. */
    public record Gpu(int index, String name, long totalMemory, int major, int minor, int multiProcessors) {
        public String describe() {
            return name + ", " + CachingAllocator.human(totalMemory) + ", sm_" + major + minor;
        }
    }

    public static CudaStatus unavailable(String reason) {
        return new CudaStatus(false, reason, List.of(), 0, 0, null, false, null);
    }

    public static CudaStatus unavailable(String reason, List<Gpu> gpus, int driver, int runtime, String cudnn) {
        return new CudaStatus(false, reason, gpus, driver, runtime, cudnn, false, null);
    }

    public int deviceCount() { return gpus.size(); }

    /** "CUDA 13.0" from the encoded 13000. */
    public static String version(int v) { return v <= 0 ? "?" : (v / 1000) + "." + (v % 1000) / 10; }
}
