package autoassign.backend.cuda;

/**
 * Switches of the CUDA backend, read from system properties when a device's context is created:
 * <ul>
 *   <li>{@code autoassign.cuda.tf32} (default true): TF32 tensor cores for convolutions and GEMMs.
 *       Set false for exact float32 comparisons (the GPU tests do so where they need 1e-3).</li>
 *   <li>{@code autoassign.cudnn.find} (default false): benchmark cuDNN algorithms (cudnnFind*) once per shape
 *       instead of taking the heuristics' first choice (cudnnGet*_v7).</li>
 *   <li>{@code autoassign.cudnn.workspaceLimitMiB} (default 1024): largest workspace an algorithm may use.</li>
 *   <li>{@code autoassign.cuda.kernels} (default auto): a comma list; {@code nvrtc} forces run-time compilation
 *       of the backend's kernels; {@code backend} ignores the native/ kernels and runs the backend's own for
 *       every op (both checks of the GPU script use these).</li>
 *   <li>{@code autoassign.cuda.fusedLoss} (default true): the AutoAssign loss runs on the GPU with the native/
 *       loss kernels; false copies the head outputs to the host and runs the CPU op (the pre-kernel path, kept for
 *       comparison; also taken when the native fatbin is not loaded).</li>
 *   <li>{@code autoassign.cuda.fusedPostprocess} (default true): test-time post-processing (top-k, decode, NMS)
 *       runs on the GPU with the native/ kernels and only the detections are downloaded; false downloads the head
 *       outputs and runs the host post-processor (also taken for settings the kernels do not cover).</li>
 *   <li>{@code autoassign.cuda.softLimitFraction} (default 0.85): share of device memory reserved before the
 *       allocator collects unreachable tensors ahead of new cudaMalloc calls.</li>
 * </ul>
 */
public final class CudaOptions {
    private CudaOptions() {}

    public static boolean tf32() { return bool("autoassign.cuda.tf32", true); }

    public static void setTf32(boolean on) { System.setProperty("autoassign.cuda.tf32", Boolean.toString(on)); }

    public static boolean fusedLoss() { return bool("autoassign.cuda.fusedLoss", true); }

    public static void setFusedLoss(boolean on) { System.setProperty("autoassign.cuda.fusedLoss", Boolean.toString(on)); }

    public static boolean fusedPostprocess() { return bool("autoassign.cuda.fusedPostprocess", true); }

    public static void setFusedPostprocess(boolean on) {
        System.setProperty("autoassign.cuda.fusedPostprocess", Boolean.toString(on));
    }

    private static volatile boolean cudnnFindDefault;

    /** Whether cuDNN's algorithms are timed (cudnnFind*) rather than taken from its heuristics. */
    public static boolean cudnnFind() { return !deterministic && bool("autoassign.cudnn.find", cudnnFindDefault); }

    /** The config's {@code env_cfg.cudnn_benchmark}: used unless {@code -Dautoassign.cudnn.find} says otherwise. */
    public static void setCudnnFindDefault(boolean on) { cudnnFindDefault = on; }

    private static volatile boolean deterministic;

    /**
     * The config's {@code randomness.deterministic} (MMEngine: {@code cudnn.deterministic = True},
     * {@code cudnn.benchmark = False}): only cuDNN algorithms that report themselves deterministic are chosen, from
     * its heuristics (not timed).
     */
    public static boolean deterministic() { return deterministic; }

    public static void setDeterministic(boolean on) { deterministic = on; }

    /** A config's {@code env_cfg.cudnn_benchmark} and {@code randomness.deterministic}, for every command that runs a model. */
    public static void useConfig(boolean cudnnBenchmark, boolean deterministicAlgorithms) {
        setCudnnFindDefault(cudnnBenchmark);
        setDeterministic(deterministicAlgorithms);
    }

    static long workspaceLimitBytes() { return Long.getLong("autoassign.cudnn.workspaceLimitMiB", 1024L) << 20; }

    static String kernels() { return System.getProperty("autoassign.cuda.kernels", "auto"); }

    static double softLimitFraction() {
        return Double.parseDouble(System.getProperty("autoassign.cuda.softLimitFraction", "0.85"));
    }

    private static boolean bool(String key, boolean dflt) {
        String v = System.getProperty(key);
        return v == null ? dflt : Boolean.parseBoolean(v.trim());
    }
}
