package autoassign.backend.cuda;

import autoassign.backend.AdamUpdate;
import autoassign.backend.Backends;
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
 * The Adam segment table of the one-launch update without a GPU: {@link CudaBackend#adamSegments} read back as the
 * C struct {@code AajAdamSeg} (backend_kernels.cu; its size is asserted there, its offsets by the host test), and
 * aaj_adam_multi's per-element contract run on host arrays at the table's addresses, equal to the CPU twin.
 */
class CudaAdamSegmentsTest {
    private record Seg(long p, long g, long m, long v, long start, long n, float decay, float l2, float step, float bc2) {}

    private static Seg[] decode(long[] table) {
        ByteBuffer bb = ByteBuffer.allocate(8 * table.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : table) bb.putLong(x);
        Seg[] s = new Seg[table.length / 8];
        for (int i = 0; i < s.length; i++) {
            int o = 64 * i;
            s[i] = new Seg(bb.getLong(o), bb.getLong(o + 8), bb.getLong(o + 16), bb.getLong(o + 24), bb.getLong(o + 32),
                    bb.getLong(o + 40), bb.getFloat(o + 48), bb.getFloat(o + 52), bb.getFloat(o + 56), bb.getFloat(o + 60));
        }
        return s;
    }

    @Test
    void theKernelsContractOverTheTableEqualsTheCpuTwin() {
        Random r = new Random(5);
        int[] sizes = {7, 1, 300, 2049};
        Map<Long, float[]> mem = new HashMap<>(); // fake device memory: base address -> array
        long[][] ptrs = new long[sizes.length][4];
        long[] n = new long[sizes.length];
        float[][] factors = new float[sizes.length][];
        List<AdamUpdate> ref = new ArrayList<>();
        long next = 1L << 40;
        for (int i = 0; i < sizes.length; i++) {
            Tensor[] t = new Tensor[4];
            for (int k = 0; k < 4; k++) {
                float[] a = new float[sizes[i]];
                for (int j = 0; j < a.length; j++) a[j] = k == 3 ? (float) Math.abs(r.nextGaussian()) : (float) r.nextGaussian();
                ptrs[i][k] = next;
                next += 1L << 32;
                mem.put(ptrs[i][k], a.clone());
                t[k] = Tensor.of(a, sizes[i]);
            }
            n[i] = sizes[i];
            factors[i] = new float[] {i % 2 == 0 ? 0.9995f : 1f, i % 2 == 1 ? 0.01f : 0f, 1e-3f * (i + 1), 0.05f * (i + 1)};
            ref.add(new AdamUpdate(t[0], t[1], t[2], t[3], factors[i][0], factors[i][1], factors[i][2], factors[i][3]));
        }
        Seg[] segs = decode(CudaBackend.adamSegments(ptrs, n, factors));
        assertEquals(sizes.length, segs.length);
        float omb1 = 0.1f, b2 = 0.999f, omb2 = (float) (1 - 0.999), eps = 1e-8f;
        long total = segs[segs.length - 1].start() + segs[segs.length - 1].n();
        assertEquals(7 + 1 + 300 + 2049, total);
        for (long e = 0; e < total; e++) {
            int k = 0;
            while (k + 1 < segs.length && segs[k + 1].start() <= e) k++; // last segment with start <= e
            Seg s = segs[k];
            int i = (int) (e - s.start());
            float[] p = mem.get(s.p()), g = mem.get(s.g()), m = mem.get(s.m()), v = mem.get(s.v());
            float pi = p[i] * s.decay(), gi = g[i] + s.l2() * pi;
            m[i] = m[i] + omb1 * (gi - m[i]);
            v[i] = v[i] * b2 + omb2 * (gi * gi);
            p[i] = pi - s.step() * m[i] / ((float) Math.sqrt(v[i]) / s.bc2() + eps);
        }
        Backends.cpu().adamStepAll(ref, omb1, b2, omb2, eps);
        for (int i = 0; i < sizes.length; i++) {
            assertArrayEquals(ref.get(i).param().toFloatArray(), mem.get(ptrs[i][0]), "param " + i);
            assertArrayEquals(ref.get(i).expAvg().toFloatArray(), mem.get(ptrs[i][2]), "exp_avg " + i);
            assertArrayEquals(ref.get(i).expAvgSq().toFloatArray(), mem.get(ptrs[i][3]), "exp_avg_sq " + i);
        }
    }
}
