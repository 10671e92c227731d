package autoassign.backend.cuda;

import autoassign.backend.Backends;
import autoassign.backend.ForeachUpdate;
import autoassign.backend.OptimRule;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The segment table of the one-launch optimizer update without a GPU: {@link CudaBackend#optSegments} read back as
 * the C struct {@code AajOptSeg} (backend_kernels.cu; size asserted there, offsets by the host test), and
 * aaj_opt_multi's contract (element e belongs to the last segment whose start is at most e; {@link OptimRule#apply}
 * on it) run on host arrays at the table's addresses, equal to the CPU backend's {@code foreachUpdate}.
 */
class CudaOptSegmentsTest {
    private record Seg(long[] ptr, long start, long n, int rule, int flags, float[] c) {}

    private static Seg[] decode(long[] table) {
        ByteBuffer bb = ByteBuffer.allocate(8 * table.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : table) bb.putLong(x);
        Seg[] s = new Seg[table.length / 16];
        for (int i = 0; i < s.length; i++) {
            int o = 128 * i;
            long[] ptr = new long[5];
            for (int k = 0; k < 5; k++) ptr[k] = bb.getLong(o + 8 * k);
            float[] c = new float[16];
            for (int k = 0; k < 16; k++) c[k] = bb.getFloat(o + 64 + 4 * k);
            s[i] = new Seg(ptr, bb.getLong(o + 40), bb.getLong(o + 48), bb.getInt(o + 56), bb.getInt(o + 60), c);
        }
        return s;
    }

    @Test
    void theKernelsContractOverTheTableEqualsTheCpuTwin() {
        Random r = new Random(9);
        int[] sizes = {7, 1, 300, 2049};
        OptimRule[] rules = {OptimRule.RMSPROP, OptimRule.NADAM, OptimRule.ADAM_AMSGRAD, OptimRule.RADAM};
        int[] flags = {OptimRule.CENTERED | OptimRule.MOMENTUM, OptimRule.DECOUPLED | OptimRule.MAXIMIZE, 0, OptimRule.RECTIFIED};
        float[][] scalars = {{0.01f, 1, 0.9f, 0.1f, 1e-8f, 0.8f, -0.01f}, {0, 0.999f, 0.1f, 0.999f, 1e-3f, 0.01f, 1e-8f, -4e-3f, -0.02f},
                {0, 1, 0.1f, 0.999f, 1e-3f, 0.01f, 0.03f, 1e-8f}, {0.01f, 1, 0.1f, 0.9f, 0.1f, 0.2f, 1e-3f, 1e-8f, 0.6f, 0.4f}};
        Map<Long, float[]> mem = new HashMap<>(); // fake device memory: base address -> array
        long[][] ptrs = new long[sizes.length][5];
        long[] n = new long[sizes.length];
        int[][] ruleFlags = new int[sizes.length][];
        List<ForeachUpdate> ref = new ArrayList<>();
        long next = 1L << 40;
        for (int i = 0; i < sizes.length; i++) {
            Tensor[] t = new Tensor[5];
            for (int k = 0; k < 5; k++) {
                float[] a = new float[sizes[i]];
                for (int j = 0; j < a.length; j++) a[j] = k >= 2 ? (float) Math.abs(r.nextGaussian()) : (float) r.nextGaussian();
                ptrs[i][k] = next;
                next += 1L << 32;
                mem.put(ptrs[i][k], a.clone());
                t[k] = Tensor.of(a, sizes[i]);
            }
            n[i] = sizes[i];
            ruleFlags[i] = new int[] {rules[i].code(), flags[i]};
            ref.add(new ForeachUpdate(rules[i], t[0], t[1], t[2], t[3], t[4], flags[i], scalars[i]));
        }
        float[][] padded = ref.stream().map(ForeachUpdate::c).toArray(float[][]::new);
        Seg[] segs = decode(CudaBackend.optSegments(ptrs, n, ruleFlags, padded));
        assertEquals(sizes.length, segs.length);
        long total = segs[segs.length - 1].start() + segs[segs.length - 1].n();
        assertEquals(7 + 1 + 300 + 2049, total);
        for (long e = 0; e < total; e++) {
            int k = 0;
            while (k + 1 < segs.length && segs[k + 1].start() <= e) k++; // last segment with start <= e
            Seg s = segs[k];
            OptimRule rule = java.util.Arrays.stream(OptimRule.values()).filter(x -> x.code() == s.rule()).findFirst().orElseThrow();
            OptimRule.apply(rule, s.flags(), s.c(), mem.get(s.ptr()[0]), mem.get(s.ptr()[1]), mem.get(s.ptr()[2]),
                    mem.get(s.ptr()[3]), mem.get(s.ptr()[4]), (int) (e - s.start()));
        }
        Backends.cpu().foreachUpdate(ref);
        for (int i = 0; i < sizes.length; i++) {
            ForeachUpdate u = ref.get(i);
            Tensor[] want = {u.param(), u.grad(), u.s0(), u.s1(), u.s2()};
            for (int k = 0; k < 5; k++)
                assertArrayEquals(want[k].toFloatArray(), mem.get(ptrs[i][k]), 0f, rules[i] + " tensor " + i + " slot " + k);
        }
    }
}
