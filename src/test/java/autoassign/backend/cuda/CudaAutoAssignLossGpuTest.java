package autoassign.backend.cuda;

import autoassign.autograd.F;
import autoassign.autograd.Graph;
import autoassign.backend.Backend;
import autoassign.backend.Backends;
import autoassign.loss.AutoAssignLoss;
import autoassign.loss.GroundTruth;
import autoassign.loss.LossReducer;
import autoassign.loss.PointGrid;
import autoassign.tensor.Device;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The AutoAssign loss on CUDA tensors runs the native loss kernels ({@link CudaAutoAssignLoss}) and gives the CPU
 * op's losses and gradients, with the gradients left on the GPU; skipped where no usable GPU is present. (The
 * realistic sizes are cases of {@link OpChecks}, run by CudaBackendGpuTest and CudaSelfCheck.)
 */
@Tag("gpu")
class CudaAutoAssignLossGpuTest {
    static CudaBackend cuda;
    static final int C = 80;

    @BeforeEach
    void gpu() {
        CudaStatus st = CudaProbe.status();
        assumeTrue(st.usable(), "skipped: no usable GPU (" + st.reason() + ")");
        if (cuda == null) {
            CudaBackend.register();
            cuda = (CudaBackend) Backends.of(Device.cuda(0));
        }
        assumeTrue(cuda.fusedAutoAssignLoss() != null, "skipped: native loss kernels not loaded (" + cuda.kernelDescription() + ")");
    }

    @AfterEach
    void clear() { Graph.clear(); }

    /** Sums over a fake second worker (adds fixed amounts). */
    static final LossReducer TWO_WORKERS = new LossReducer() {
        @Override public double[] sum(double... v) { return new double[] {v[0] + 4, v[1] + 120.0}; }
        @Override public int worldSize() { return 2; }
    };

    record Run(double[] losses, Tensor[] grads) {}

    static float[][] inputs(int batch, GroundTruth[] gts, PointGrid grid, long seed) {
        Random r = new Random(seed);
        int levels = grid.numLevels();
        float[][] in = new float[3 * levels + 2][];
        for (int l = 0; l < levels; l++) {
            int hw = grid.levelSize(l), st = grid.stride(l);
            in[l] = new float[batch * C * hw];
            in[levels + l] = new float[batch * 4 * hw];
            in[2 * levels + l] = new float[batch * hw];
            for (int i = 0; i < in[l].length; i++) in[l][i] = (float) (r.nextGaussian() * 1.5 - 4.6);
            for (int i = 0; i < in[levels + l].length; i++) in[levels + l][i] = st * (0.5f + 5 * r.nextFloat());
            for (int i = 0; i < in[2 * levels + l].length; i++) in[2 * levels + l][i] = (float) r.nextGaussian();
        }
        in[3 * levels] = new float[2 * C];
        in[3 * levels + 1] = new float[2 * C];
        for (int k = 0; k < 2 * C; k++) {
            in[3 * levels][k] = r.nextFloat() * 0.6f - 0.3f;
            in[3 * levels + 1][k] = 0.7f + 0.8f * r.nextFloat();
        }
        return in;
    }

    static Run run(Backend be, float[][] host, PointGrid grid, GroundTruth[] gts, LossReducer reducer) {
        int L = grid.numLevels(), batch = gts.length;
        Tensor[] t = new Tensor[host.length];
        for (int l = 0; l < L; l++) {
            int h = grid.height(l), w = grid.width(l);
            t[l] = be.fromHost(host[l], batch, C, h, w).setRequiresGrad(true);
            t[L + l] = be.fromHost(host[L + l], batch, 4, h, w).setRequiresGrad(true);
            t[2 * L + l] = be.fromHost(host[2 * L + l], batch, 1, h, w).setRequiresGrad(true);
        }
        t[3 * L] = be.fromHost(host[3 * L], C, 2).setRequiresGrad(true);
        t[3 * L + 1] = be.fromHost(host[3 * L + 1], C, 2).setRequiresGrad(true);
        AutoAssignLoss.Losses l = AutoAssignLoss.apply(java.util.Arrays.copyOfRange(t, 0, L), java.util.Arrays.copyOfRange(t, L, 2 * L),
                java.util.Arrays.copyOfRange(t, 2 * L, 3 * L), t[3 * L], t[3 * L + 1], gts, PointGrid.DEFAULT_STRIDES, reducer);
        assertEquals(be.device(), l.pos().device());
        Graph.backward(F.add(F.add(l.pos(), l.neg()), F.mulScalar(l.center(), 2f)));
        Tensor[] g = new Tensor[t.length];
        for (int i = 0; i < t.length; i++) g[i] = t[i].grad();
        return new Run(new double[] {l.pos().item(), l.neg().item(), l.center().item()}, g);
    }

    static void compare(Run ref, Run got) {
        for (int k = 0; k < 3; k++)
            assertEquals(ref.losses[k], got.losses[k], 1e-4 * Math.max(1e-3, Math.abs(ref.losses[k])), "loss " + k);
        for (int i = 0; i < ref.grads.length; i++) {
            assertNotNull(got.grads[i], "gradient " + i);
            assertEquals(Device.cuda(0), got.grads[i].device(), "gradient " + i + " stays on the GPU");
            assertArrayEquals(ref.grads[i].shape(), got.grads[i].shape());
            double err = OpChecks.relError(got.grads[i].toFloatArray(), ref.grads[i].toFloatArray());
            assertTrue(err <= 1e-3, "gradient " + i + ": rel error " + err);
        }
    }

    static GroundTruth[] gts() {
        return new GroundTruth[] {
                new GroundTruth(new float[] {10, 12, 90, 70, 40, 30, 150, 120, 30, 20, 100, 80, 60, 60, 61, 61},
                        new int[] {1, 3, 1, 2}),
                GroundTruth.empty(),
                new GroundTruth(new float[] {0, 0, 180, 128, 5, 5, 60, 50}, new int[] {79, 0}, new boolean[] {false, true}),
        };
    }

    @Test
    void kernelsMatchTheCpuOpWithAReducer() {
        PointGrid grid = PointGrid.forPaddedImage(128, 192, PointGrid.DEFAULT_STRIDES);
        GroundTruth[] g = gts();
        float[][] host = inputs(g.length, g, grid, 11);
        Run ref = run(Backends.cpu(), host, grid, g, TWO_WORKERS);
        Run got = run(cuda, host, grid, g, TWO_WORKERS);
        compare(ref, got);
        assertTrue(cuda.implementations().containsKey(CudaAutoAssignLoss.OP), "the native kernels ran: " + cuda.implementations());
    }

    @Test
    void batchWithoutGroundTruth() {
        PointGrid grid = PointGrid.forPaddedImage(96, 128, PointGrid.DEFAULT_STRIDES);
        GroundTruth[] g = {GroundTruth.empty(), GroundTruth.empty()};
        float[][] host = inputs(2, g, grid, 12);
        Run ref = run(Backends.cpu(), host, grid, g, LossReducer.IDENTITY);
        Run got = run(cuda, host, grid, g, LossReducer.IDENTITY);
        compare(ref, got);
        assertEquals(0.0, got.losses[0]);
        assertEquals(0.0, got.losses[2]);
    }

    @Test
    void nonFiniteInputIsNamedAsOnTheCpu() {
        PointGrid grid = PointGrid.forPaddedImage(96, 128, PointGrid.DEFAULT_STRIDES);
        GroundTruth[] g = gts();
        float[][] host = inputs(g.length, g, grid, 13);
        host[grid.numLevels() + 1][7] = Float.POSITIVE_INFINITY;   // a distance of level 1
        var cpu = assertThrows(IllegalArgumentException.class, () -> run(Backends.cpu(), host, grid, g, LossReducer.IDENTITY));
        Graph.clear();
        var gpu = assertThrows(IllegalArgumentException.class, () -> run(cuda, host, grid, g, LossReducer.IDENTITY));
        assertEquals(cpu.getMessage(), gpu.getMessage());
    }

    @Test
    void noTapeLeavesNoDeviceState() {
        PointGrid grid = PointGrid.forPaddedImage(96, 128, PointGrid.DEFAULT_STRIDES);
        GroundTruth[] g = gts();
        float[][] host = inputs(g.length, g, grid, 14);
        Tensor[] t = new Tensor[host.length];
        int L = grid.numLevels();
        for (int l = 0; l < L; l++) {
            int h = grid.height(l), w = grid.width(l);
            t[l] = cuda.fromHost(host[l], g.length, C, h, w);
            t[L + l] = cuda.fromHost(host[L + l], g.length, 4, h, w);
            t[2 * L + l] = cuda.fromHost(host[2 * L + l], g.length, 1, h, w);
        }
        t[3 * L] = cuda.fromHost(host[3 * L], C, 2);
        t[3 * L + 1] = cuda.fromHost(host[3 * L + 1], C, 2);
        cuda.synchronize();
        int live = cuda.liveBuffers();
        AutoAssignLoss.Losses l = AutoAssignLoss.apply(java.util.Arrays.copyOfRange(t, 0, L), java.util.Arrays.copyOfRange(t, L, 2 * L),
                java.util.Arrays.copyOfRange(t, 2 * L, 3 * L), t[3 * L], t[3 * L + 1], g, PointGrid.DEFAULT_STRIDES);
        assertEquals(0, Graph.size());
        assertTrue(cuda.liveBuffers() <= live + 3, "only the three loss scalars remain: " + cuda.liveBuffers() + " vs " + live);
        assertTrue(Double.isFinite(l.neg().item()));
    }
}
