package autoassign.backend.cuda;

import autoassign.backend.Backends;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The SGD segment table of the one-launch update without a GPU: {@link CudaBackend#sgdSegments} read back as the
 * C struct {@code AaSgdSeg} (native/include/aa_kernels.h; aa_sgd.cu asserts the same offsets), and the update
 * aa_sgd_multi is specified to make (every element of the dense numbering, through the segment holding it) run on
 * host arrays at the table's addresses, equal to {@code sgdStep} per tensor on the CPU.
 */
class CudaSgdSegmentsTest {

    private record Seg(long p, long g, long buf, long start, long n, float wd, int first) {}

    private static Seg[] decode(long[] table) {
        ByteBuffer bb = ByteBuffer.allocate(8 * table.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : table) bb.putLong(v);
        Seg[] s = new Seg[table.length / 6];
        for (int i = 0; i < s.length; i++) {
            int o = 48 * i;
            s[i] = new Seg(bb.getLong(o), bb.getLong(o + 8), bb.getLong(o + 16), bb.getLong(o + 24), bb.getLong(o + 32),
                    bb.getFloat(o + 40), bb.getInt(o + 44));
        }
        return s;
    }

    @Test
    void tableIsTheStructLayoutWithDenseStarts() {
        long[] p = {0x7fc1_2345_6000L, 0x7f00_0000_1000L}, g = {0x7fff_ffff_fff0L, 16}, b = {32, 0xffff_0000_0000L};
        long[] n = {5, 3_000_000_000L};
        float[] wd = {1e-4f, 0f};
        boolean[] first = {true, false};
        Seg[] s = decode(CudaBackend.sgdSegments(p, g, b, n, wd, first));
        assertEquals(2, s.length);
        for (int i = 0; i < 2; i++) {
            assertEquals(p[i], s[i].p());
            assertEquals(g[i], s[i].g());
            assertEquals(b[i], s[i].buf());
            assertEquals(n[i], s[i].n());
            assertEquals(wd[i], s[i].wd());
            assertEquals(first[i] ? 1 : 0, s[i].first());
        }
        assertEquals(0, s[0].start());
        assertEquals(5, s[1].start());
    }

    @Test
    void theKernelsContractOverTheTableEqualsSgdStepPerTensor() {
        Random r = new Random(3);
        int[] sizes = {7, 1, 300, 2048, 2049, 33};
        float lr = 0.02f, momentum = 0.9f;
        Map<Long, float[]> mem = new HashMap<>(); // fake device memory: base address -> array
        long[] p = new long[sizes.length], g = new long[sizes.length], b = new long[sizes.length], n = new long[sizes.length];
        float[] wd = new float[sizes.length];
        boolean[] first = new boolean[sizes.length];
        Tensor[][] ref = new Tensor[sizes.length][3];
        long next = 1L << 40;
        for (int i = 0; i < sizes.length; i++) {
            float[][] v = new float[3][sizes[i]];
            for (float[] a : v) for (int k = 0; k < a.length; k++) a[k] = (float) r.nextGaussian();
            long[] addr = new long[3];
            for (int k = 0; k < 3; k++) {
                addr[k] = next;
                next += 1L << 32;
                mem.put(addr[k], v[k].clone());
                ref[i][k] = Tensor.of(v[k].clone(), sizes[i]);
            }
            p[i] = addr[0];
            g[i] = addr[1];
            b[i] = addr[2];
            n[i] = sizes[i];
            wd[i] = i % 2 == 0 ? 1e-4f : 0f;
            first[i] = i % 3 == 0;
        }
        Seg[] segs = decode(CudaBackend.sgdSegments(p, g, b, n, wd, first));
        long total = segs[segs.length - 1].start() + segs[segs.length - 1].n();
        for (long e = 0; e < total; e++) {
            int k = 0;
            while (k + 1 < segs.length && segs[k + 1].start() <= e) k++; // last segment with start <= e
            Seg s = segs[k];
            int i = (int) (e - s.start());
            float[] pp = mem.get(s.p()), gg = mem.get(s.g()), bb = mem.get(s.buf());
            float gd = gg[i] + s.wd() * pp[i];
            bb[i] = s.first() != 0 ? gd : momentum * bb[i] + gd;
            pp[i] -= lr * bb[i];
        }
        for (int i = 0; i < sizes.length; i++) {
            Backends.cpu().sgdStep(ref[i][0], ref[i][1], ref[i][2], lr, momentum, wd[i], first[i]);
            assertArrayEquals(ref[i][0].toFloatArray(), mem.get(p[i]), "param " + i);
            assertArrayEquals(ref[i][2].toFloatArray(), mem.get(b[i]), "momentum " + i);
        }
    }
}
