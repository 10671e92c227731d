package autoassign.backend.cuda;

import autoassign.backend.Backend;
import autoassign.backend.Backends;
import autoassign.backend.DeviceSelector;
import autoassign.tensor.Device;
import autoassign.tensor.Tensor;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs every Backend op on the CPU reference and on CUDA and prints one row per case: relative error,
 * tolerance, CPU time, CUDA time (mean of timed repetitions after a warm-up, stream synchronised), and the
 * kernel or library that ran it. Exit code 0 when every case is within tolerance, 1 when one is not,
 * 2 when CUDA is not usable here (the reason is printed).
 *
 * <pre>java -cp autoassign-native.jar autoassign.backend.cuda.CudaSelfCheck [--device cuda:N] [--reps N] [--filter text]</pre>
 */
public final class CudaSelfCheck {
    private CudaSelfCheck() {}

    public static void main(String[] args) { System.exit(run(args, System.out)); }

    public static int run(String[] args, PrintStream out) {
        String device = "cuda";
        int reps = 5;
        String filter = null;
        boolean cpuOnly = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--cpu-only" -> cpuOnly = true;
                case "--device" -> device = args[++i];
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--filter" -> filter = args[++i];
                default -> {
                    out.println("usage: CudaSelfCheck [--device cuda:N] [--reps N] [--filter text] [--cpu-only]");
                    return 2;
                }
            }
        }
        if (cpuOnly) return cpuOnly(filter, out);
        CudaStatus st = CudaProbe.status();
        Device dev;
        try {
            dev = DeviceSelector.select(device, out::println);
        } catch (IllegalArgumentException e) {
            out.println("error: " + e.getMessage());
            return 2;
        }
        if (!dev.isCuda()) {
            out.println("CUDA self-check needs a CUDA device");
            return 2;
        }
        out.printf(Locale.ROOT, "driver CUDA %s, runtime %s, cuDNN %s, cuBLAS %s, kernels: %s%n",
                CudaStatus.version(st.driverVersion()), CudaStatus.version(st.runtimeVersion()), st.cudnn(),
                st.cublas() ? "yes" : "no", st.kernels());
        CudaBackend cuda = (CudaBackend) Backends.of(dev);
        out.println("loaded kernels: " + cuda.kernelDescription());
        Backend cpu = Backends.cpu();
        List<OpChecks.Case> cases = OpChecks.all();
        Map<String, float[][]> cpuCache = new HashMap<>();
        Map<String, Double> cpuMs = new HashMap<>();
        int failed = 0, ran = 0;
        boolean tf32Before = CudaOptions.tf32();
        out.printf(Locale.ROOT, "%-30s %-58s %10s %7s %9s %9s  %s  %s%n", "op", "case", "rel.err", "tol", "cpu ms", "cuda ms", "ok", "implementation");
        for (OpChecks.Case c : cases) {
            if (filter != null && !(c.label() + " " + c.detail()).contains(filter)) continue;
            ran++;
            String key = c.op() + "|" + c.detail();
            double err;
            double cudaMs;
            String impl;
            String error = null;
            try {
                float[][] ref = cpuCache.get(key);
                if (ref == null) {
                    long t0 = System.nanoTime();
                    ref = hostOf(c.fn().run(cpu, c.upload(cpu)));
                    cpuMs.put(key, (System.nanoTime() - t0) / 1e6);
                    cpuCache.put(key, ref);
                }
                CudaOptions.setTf32(c.tf32() == null ? tf32Before : c.tf32());
                Tensor[] in = c.upload(cuda);
                float[][] got = hostOf(c.fn().run(cuda, in)); // warm-up, algorithm choice, and the compared result
                err = 0;
                if (got.length != ref.length) err = Double.POSITIVE_INFINITY;
                else {
                    double[] each = new double[got.length];
                    for (int i = 0; i < got.length; i++) err = Math.max(err, each[i] = OpChecks.relError(got[i], ref[i]));
                    if (!(err <= c.tol()) && got.length > 1) {
                        StringBuilder sb = new StringBuilder("per output:");
                        for (int i = 0; i < each.length; i++) sb.append(String.format(Locale.ROOT, " %d:%.2e", i, each[i]));
                        error = sb.toString();
                    }
                }
                cuda.synchronize();
                long t0 = System.nanoTime();
                for (int r = 0; r < reps; r++) release(c.fn().run(cuda, in), in);
                cuda.synchronize();
                cudaMs = (System.nanoTime() - t0) / 1e6 / reps;
                release(in, new Tensor[0]);
                impl = implOf(cuda, c.op());
            } catch (RuntimeException e) {
                err = Double.POSITIVE_INFINITY;
                cudaMs = Double.NaN;
                impl = "";
                error = e.getClass().getSimpleName() + ": " + e.getMessage();
            } finally {
                CudaOptions.setTf32(tf32Before);
            }
            boolean ok = err <= c.tol();
            if (!ok) failed++;
            out.printf(Locale.ROOT, "%-30s %-58s %10.2e %7.0e %9.2f %9.3f  %s  %s%n", c.label(), trim(c.detail(), 58), err,
                    c.tol(), cpuMs.getOrDefault(key, Double.NaN), cudaMs, ok ? "OK  " : "FAIL", impl);
            if (error != null) out.println("    " + error);
        }
        if (filter == null) failed += extras(cuda, out);
        out.println("memory: " + cuda.memoryStats() + ", pinned staging " + CachingAllocator.human(cuda.pinnedBytes())
                + ", live buffers " + cuda.liveBuffers());
        out.println(failed == 0 ? "ALL " + ran + " CASES OK" : failed + " OF " + ran + " CASES FAILED");
        return failed == 0 ? 0 : 1;
    }

    private interface Check {
        String run(); // null when fine, else what went wrong
    }

    private static int extras(CudaBackend cuda, PrintStream out) {
        int failed = 0;
        Map<String, Check> checks = new java.util.LinkedHashMap<>();
        checks.put("round trip, views, to(cpu), copyFrom, item", () -> {
            float[] v = {1, -2, 3.5f, 4, 5, 6};
            Tensor t = cuda.fromHost(v, 2, 3);
            if (!java.util.Arrays.equals(v, t.toFloatArray())) return "fromHost/toFloatArray differ";
            if (!java.util.Arrays.equals(v, t.view(3, 2).toFloatArray())) return "view differs";
            if (!java.util.Arrays.equals(v, t.to(Device.CPU).data())) return "to(cpu) differs";
            t.copyFrom(Tensor.of(new float[] {0, 0, 0, 0, 0, 7}, 6));
            if (t.toFloatArray()[5] != 7f) return "copyFrom failed";
            return cuda.zeros(1).item() == 0f ? null : "zeros(1).item() != 0";
        });
        checks.put("large upload/download (> one 32 MiB staging chunk)", () -> {
            float[] v = new float[20_000_000];
            for (int i = 0; i < v.length; i++) v[i] = i * 0.5f;
            Tensor t = cuda.fromHost(v, v.length);
            float[] back = t.toFloatArray();
            t.releaseStorage();
            return java.util.Arrays.equals(v, back) ? null : "values differ";
        });
        checks.put("steady state: no cudaMalloc per op", () -> {
            Tensor x = cuda.fromHost(new float[1 << 20], 1 << 20);
            for (int i = 0; i < 5; i++) {
                // release both results (a result left to the GC holds its block: the first steady iteration would
                // then find one block fewer in the cache and call cudaMalloc once)
                Tensor s = cuda.sigmoid(x);
                cuda.add(s, x).releaseStorage();
                s.releaseStorage();
            }
            long m = cuda.memoryStats().rawMallocs();
            for (int i = 0; i < 100; i++) {
                Tensor s = cuda.sigmoid(x);
                cuda.add(s, x).releaseStorage();
                s.releaseStorage();
            }
            long d = cuda.memoryStats().rawMallocs() - m;
            return d == 0 ? null : d + " cudaMalloc calls in 100 steady iterations";
        });
        checks.put("memory scope releases what it recorded, keeps what is kept", () -> {
            long before = cuda.memoryStats().allocatedBytes();
            Tensor kept;
            try (autoassign.tensor.MemoryScope s = autoassign.tensor.MemoryScope.open()) {
                Tensor a = cuda.zeros(1 << 20);
                Tensor v = a.view(1024, 1024);
                cuda.add(v, v);
                a.releaseStorage(); // released early: the scope must skip it
                kept = cuda.zeros(1 << 10).keep();
            }
            long after = cuda.memoryStats().allocatedBytes();
            // the cache may serve the kept 4 KiB from a larger free block (up to maxReuse), counted at its size
            long keptBytes = CachingAllocator.maxReuse(CachingAllocator.roundSize(4L << 10));
            // (<=: the GC may return unrelated unreachable buffers meanwhile)
            String err = after <= before + keptBytes ? null
                    : "allocated " + CachingAllocator.human(after - before) + " after the scope, expected " + CachingAllocator.human(keptBytes);
            if (err == null && kept.toFloatArray()[0] != 0f) err = "kept tensor unreadable";
            kept.releaseStorage();
            return err;
        });
        checks.put("unreachable tensors are reclaimed (GC + phantom refs)", () -> {
            long before = cuda.memoryStats().allocatedBytes();
            for (int i = 0; i < 20; i++) cuda.zeros(1 << 22);
            // zeros read the addresses, and RecentlyAddressed keeps the last 256 addressed buffers reachable on purpose
            for (int i = 0; i < RecentlyAddressed.CAPACITY; i++) RecentlyAddressed.hold(null);
            for (int i = 0; i < 50 && cuda.memoryStats().allocatedBytes() > before; i++) {
                System.gc();
                cuda.zeros(1).releaseStorage();
            }
            long after = cuda.memoryStats().allocatedBytes();
            return after <= before + 512 ? null : "still allocated: " + CachingAllocator.human(after - before);
        });
        checks.put("CPU input is a clear error", () -> {
            try {
                cuda.add(cuda.zeros(4), Tensor.zeros(4));
                return "no error";
            } catch (IllegalArgumentException e) {
                return e.getMessage().contains("is on cpu, expected cuda:") ? null : "message: " + e.getMessage();
            }
        });
        for (Map.Entry<String, Check> e : checks.entrySet()) {
            String err;
            try {
                err = e.getValue().run();
            } catch (RuntimeException ex) {
                err = ex.getClass().getSimpleName() + ": " + ex.getMessage();
            }
            if (err != null) failed++;
            out.printf(Locale.ROOT, "%-89s %s%s%n", "check: " + e.getKey(), err == null ? "OK" : "FAIL  ", err == null ? "" : err);
        }
        return failed;
    }

    /** Runs the CPU side of every case (checks the harness and the CPU twin where no GPU is present). */
    private static int cpuOnly(String filter, PrintStream out) {
        Backend cpu = Backends.cpu();
        int ran = 0;
        for (OpChecks.Case c : OpChecks.all()) {
            if (filter != null && !(c.label() + " " + c.detail()).contains(filter)) continue;
            long t0 = System.nanoTime();
            float[][] a = hostOf(c.fn().run(cpu, c.upload(cpu)));
            double ms = (System.nanoTime() - t0) / 1e6;
            float[][] b = hostOf(c.fn().run(cpu, c.upload(cpu)));
            double err = 0;
            for (int i = 0; i < a.length; i++) err = Math.max(err, OpChecks.relError(a[i], b[i]));
            out.printf(Locale.ROOT, "%-30s %-58s %10.2e %9.2f%n", c.label(), trim(c.detail(), 58), err, ms);
            ran++;
        }
        out.println("CPU ONLY: " + ran + " cases ran");
        return 0;
    }

    private static String implOf(CudaBackend cuda, String op) {
        Map<String, String> m = cuda.implementations();
        if (op.startsWith("autograd")) return "(several)";
        if (op.equals("zeros+fromHost")) return "cudaMemsetAsync + pinned cudaMemcpyAsync";
        if (op.startsWith(OpChecks.LOSS_OP))
            return op.contains("host") || !m.containsKey(OpChecks.LOSS_OP) ? "copy to host + AutoAssignLossOp (CPU)"
                    : m.get(OpChecks.LOSS_OP);
        if (op.equals(OpChecks.POSTPROCESS_OP))
            return m.getOrDefault(op, "host PostProcessor (no fused post-processing)");
        String s = m.getOrDefault(op, "?");
        if (op.equals("conv2d") && m.containsKey("conv2d bias")) s += " + " + m.get("conv2d bias");
        return s;
    }

    private static float[][] hostOf(Tensor[] ts) {
        float[][] r = new float[ts.length][];
        for (int i = 0; i < ts.length; i++) r[i] = ts[i] == null ? new float[0] : ts[i].toFloatArray();
        return r;
    }

    /** Frees outputs that are not inputs (in-place ops return their inputs). */
    private static void release(Tensor[] outs, Tensor[] keep) {
        outer:
        for (Tensor t : outs) {
            if (t == null || t.isCpu()) continue;
            for (Tensor k : keep) if (k == t) continue outer;
            t.releaseStorage();
        }
    }

    private static String trim(String s, int n) { return s.length() <= n ? s : s.substring(0, n - 1) + "…"; }
}
