package autoassign.backend.cuda;

import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The CUDA kernels of one device, loaded with the driver API (cuModuleLoadData, cuModuleGetFunction) and
 * launched with cuLaunchKernel on the device's stream. Two modules:
 * <ul>
 *   <li>{@code /native/aa_kernels.fatbin}: the project's kernels from {@code native/} (names {@code aa_*},
 *       contract in native/README.md), built by nvcc during {@code mvn package};</li>
 *   <li>the backend's own kernels ({@code aaj_*}) from {@code backend_kernels.cu}: the fatbin
 *       {@code /native/backend_kernels.fatbin} built beside it, or, when the jar has none, compiled at run time
 *       by NVRTC from the source resource.</li>
 * </ul>
 */
final class Kernels {
    static final String NATIVE_FATBIN = "/native/aa_kernels.fatbin";
    static final String BACKEND_FATBIN = "/native/backend_kernels.fatbin";
    static final String BACKEND_SOURCE = "/autoassign/backend/cuda/backend_kernels.cu";

    private final List<CUmod_st> modules = new ArrayList<>();
    private final Map<String, CUfunc_st> functions = new ConcurrentHashMap<>();
    private final Map<String, Boolean> missing = new ConcurrentHashMap<>();
    private final String description;
    private final boolean nativeLoaded;

    /** Loads the modules into the current context of device {@code major.minor}. */
    Kernels(int major, int minor) {
        String mode = CudaOptions.kernels();
        List<String> parts = new ArrayList<>();
        boolean nat = false;
        byte[] nativeImage = mode.contains("backend") ? null : resource(NATIVE_FATBIN);
        if (nativeImage != null) {
            try {
                modules.add(load(nativeImage, "native/aa_kernels.fatbin"));
                nat = true;
                parts.add("native fatbin");
            } catch (CudaException e) {
                // e.g. no code for this GPU in the fatbin: the backend's kernels cover every op
                parts.add("native fatbin unusable (" + e.getMessage() + ")");
            }
        }
        nativeLoaded = nat;
        byte[] backendImage = mode.contains("nvrtc") ? null : resource(BACKEND_FATBIN);
        if (backendImage != null) {
            modules.add(load(backendImage, "native/backend_kernels.fatbin"));
            parts.add("backend fatbin");
        } else {
            modules.add(load(compileWithNvrtc(major, minor), "NVRTC cubin of backend_kernels.cu"));
            parts.add("backend kernels compiled by NVRTC for sm_" + major + minor);
        }
        description = String.join(" + ", parts);
    }

    /** Which kernels this jar can provide, without a CUDA context (for the probe); throws when there are none. */
    static String availability() {
        String mode = CudaOptions.kernels();
        boolean nat = !mode.contains("backend") && Kernels.class.getResource(NATIVE_FATBIN) != null;
        boolean backend = !mode.contains("nvrtc") && Kernels.class.getResource(BACKEND_FATBIN) != null;
        if (backend) return nat ? "fatbin (native + backend)" : "fatbin (backend" + (mode.contains("backend") ? " only, by request)" : "; native/ kernels missing)");
        if (nvrtcAvailable()) return "NVRTC" + (nat ? " + native fatbin" : "") + (mode.contains("nvrtc") ? " (by request)" : " (jar built without nvcc)");
        throw new CudaException("this jar has no CUDA kernels (it was built without nvcc) and NVRTC could not be loaded"
                + " to compile them; rebuild with nvcc on the PATH or use --device cpu");
    }

    static boolean nvrtcAvailable() {
        try {
            Loader.load(nvrtc.class);
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    String description() { return description; }

    boolean nativeLoaded() { return nativeLoaded; }

    /** Whether a kernel of that name is loaded (native kernels can be switched off with -Dautoassign.cuda.kernels=backend). */
    boolean has(String name) {
        if (functions.containsKey(name)) return true;
        if (missing.containsKey(name)) return false;
        return find(name) != null;
    }

    CUfunc_st get(String name) {
        CUfunc_st f = functions.get(name);
        if (f == null) {
            f = find(name);
            if (f == null) throw new CudaException("CUDA kernel " + name + " is not in the loaded modules (" + description + ")");
        }
        return f;
    }

    private synchronized CUfunc_st find(String name) {
        CUfunc_st f = functions.get(name);
        if (f != null) return f;
        for (CUmod_st m : modules) {
            CUfunc_st fn = new CUfunc_st();
            if (cudart.cuModuleGetFunction(fn, m, name) == 0) {
                functions.put(name, fn);
                return fn;
            }
        }
        missing.put(name, Boolean.TRUE);
        return null;
    }

    private static CUmod_st load(byte[] image, String what) {
        CUmod_st m = new CUmod_st();
        try (BytePointer p = new BytePointer(image.length + 1L)) {
            p.put(image, 0, image.length).put(image.length, (byte) 0);
            Cuda.checkDriver(cudart.cuModuleLoadData(m, p), "cuModuleLoadData(" + what + ")");
        }
        return m;
    }

    static byte[] resource(String path) {
        try (InputStream in = Kernels.class.getResourceAsStream(path)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new CudaException("cannot read resource " + path + ": " + e.getMessage(), e);
        }
    }

    static byte[] compileWithNvrtc(int major, int minor) {
        if (!nvrtcAvailable())
            throw new CudaException("this jar has no CUDA kernels (built without nvcc) and NVRTC could not be loaded");
        byte[] src = resource(BACKEND_SOURCE);
        if (src == null) throw new CudaException("resource " + BACKEND_SOURCE + " is missing from the jar");
        _nvrtcProgram prog = new _nvrtcProgram();
        checkNvrtc(nvrtc.nvrtcCreateProgram(prog, new BytePointer(new String(src, StandardCharsets.UTF_8)),
                new BytePointer("backend_kernels.cu"), 0, (PointerPointer<?>) null, (PointerPointer<?>) null), "nvrtcCreateProgram");
        try {
            String[] opts = {"--gpu-architecture=sm_" + major + minor, "--std=c++17"};
            int res = nvrtc.nvrtcCompileProgram(prog, opts.length, new PointerPointer<>(opts));
            if (res != 0) {
                SizeTPointer n = new SizeTPointer(1);
                nvrtc.nvrtcGetProgramLogSize(prog, n);
                BytePointer log = new BytePointer(n.get() + 1);
                nvrtc.nvrtcGetProgramLog(prog, log);
                throw new CudaException("NVRTC failed to compile backend_kernels.cu: " + log.getString());
            }
            SizeTPointer n = new SizeTPointer(1);
            checkNvrtc(nvrtc.nvrtcGetCUBINSize(prog, n), "nvrtcGetCUBINSize");
            byte[] cubin = new byte[(int) n.get()];
            checkNvrtc(nvrtc.nvrtcGetCUBIN(prog, cubin), "nvrtcGetCUBIN");
            return cubin;
        } finally {
            nvrtc.nvrtcDestroyProgram(prog);
        }
    }

    private static void checkNvrtc(int res, String what) {
        if (res != 0) throw new CudaException(what + " failed: " + nvrtc.nvrtcGetErrorString(res).getString());
    }

    // ------------------------------------------------------------------ launching

    static final int BLOCK = 256;

    /** Grid size of a grid-stride 1-D kernel over n elements. */
    static int grid1d(long n) { return (int) Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, 1 << 16)); }

    /** Builds one launch: arguments in kernel order, then {@link #launch}. Not thread-safe: one per thread. */
    static final class Call {
        private static final int MAX = 32;
        private final BytePointer slots = new BytePointer(8L * MAX);
        private final BytePointer params = new BytePointer(8L * MAX);
        // cuLaunchKernel's Pointer overload is @ByPtrPtr (it would pass &params): use the PointerPointer one,
        // which passes this address itself as the void** kernelParams
        private final PointerPointer<?> paramArray = new PointerPointer<>(params);
        private final ByteBuffer slotBuf = slots.asByteBuffer().order(ByteOrder.nativeOrder());
        private CUfunc_st fn;
        private String name;
        private int count;

        Call() {
            ByteBuffer pb = params.asByteBuffer().order(ByteOrder.nativeOrder());
            for (int i = 0; i < MAX; i++) pb.putLong(8 * i, slots.address() + 8L * i);
        }

        Call start(CUfunc_st f, String kernel) {
            fn = f;
            name = kernel;
            count = 0;
            return this;
        }

        private int slot() {
            if (count == MAX) throw new IllegalStateException("too many kernel arguments for " + name);
            return 8 * count++;
        }

        Call ptr(long address) { slotBuf.putLong(slot(), address); return this; }

        Call i32(int v) { slotBuf.putInt(slot(), v); return this; }

        Call i64(long v) { slotBuf.putLong(slot(), v); return this; }

        Call f32(float v) { slotBuf.putFloat(slot(), v); return this; }

        void launch(CUstream_st stream, int gx, int gy, int bx, int by) {
            int res = cudart.cuLaunchKernel(fn, gx, gy, 1, bx, by, 1, 0, stream, paramArray, (PointerPointer<?>) null);
            // the message only on failure: this is per launch
            if (res != 0) Cuda.checkDriver(res, "cuLaunchKernel(" + name + ", grid " + gx + "x" + gy + ", block " + bx + "x" + by + ")");
        }

        /** A launch with a third grid dimension (gz ≤ 65535: a batch index in blockIdx.z). */
        void launch3(CUstream_st stream, int gx, int gy, int gz, int bx, int by) {
            int res = cudart.cuLaunchKernel(fn, gx, gy, gz, bx, by, 1, 0, stream, paramArray, (PointerPointer<?>) null);
            if (res != 0)
                Cuda.checkDriver(res, "cuLaunchKernel(" + name + ", grid " + gx + "x" + gy + "x" + gz + ", block " + bx + "x" + by + ")");
        }
    }
}
