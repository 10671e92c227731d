package autoassign.nn;

import autoassign.autograd.Graph;
import autoassign.backend.CheckedDeviceBackend;
import autoassign.tensor.Device;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static autoassign.GoldenFiles.floats;
import static autoassign.GoldenFiles.ints;

/**
 * Every case of {@code <goldens>/batchnorm_training} (scripts/goldens/batchnorm_training.py): torch.nn.BatchNorm2d in
 * train mode, step by step — output, gradients of x / weight / bias, running statistics and num_batches_tracked after
 * each step — then the eval-mode output with the statistics it gathered, replayed through {@link BatchNorm2d} with
 * batch statistics on the CPU and on the checked stand-in device (the CPU math behind device buffers). The folder
 * defaults to {@code src/test/resources/goldens}; {@code -Dgoldens.dir=DIR} points at another laid out like it.
 */
class BatchNormTrainingGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** float32 against torch's float32 (its CPU kernel accumulates in double too): a few ulps of each array's scale. */
    private static final double RTOL = 2e-5;

    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.jsonCases("batchnorm_training");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void trainModeMatchesTorchOnTheCpu(String name, Path file) throws IOException {
        replay(JSON.readTree(file.toFile()), Device.CPU);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void trainModeMatchesTorchOnADevice(String name, Path file) throws IOException {
        try (CheckedDeviceBackend dev = CheckedDeviceBackend.install(95)) {
            replay(JSON.readTree(file.toFile()), dev.device());
            assertTrue(dev.violations().isEmpty(), dev.violations().toString());
        }
    }

    private static void replay(JsonNode c, Device device) {
        int[] shape = ints(c.get("shape"));
        boolean affineGrad = c.get("affine_grad").asBoolean();
        BatchNorm2d bn = new BatchNorm2d(shape[1], affineGrad, c.get("momentum").asDouble(), (float) c.get("eps").asDouble());
        JsonNode init = c.get("init");
        bn.weight.copyFrom(Tensor.of(floats(init.get("weight")), shape[1]));
        bn.bias.copyFrom(Tensor.of(floats(init.get("bias")), shape[1]));
        bn.runningMean.copyFrom(Tensor.of(floats(init.get("running_mean")), shape[1]));
        bn.runningVar.copyFrom(Tensor.of(floats(init.get("running_var")), shape[1]));
        bn.to(device);
        bn.useBatchStatistics(true);
        Tensor x = null;
        int k = 0;
        for (JsonNode s : c.get("steps")) {
            String at = c.get("name").asText() + " step " + k++ + " on " + device;
            bn.train(true);
            bn.weight.setGrad(null);
            bn.bias.setGrad(null);
            try (MemoryScope ignored = MemoryScope.open()) {
                x = Tensor.of(floats(s.get("x")), shape).to(device).setRequiresGrad(true);
                Tensor y = bn.forward(x);
                close(s.get("y"), y.toFloatArray(), "y, " + at);
                Graph.backward(new Tensor[] {y}, new Tensor[] {Tensor.of(floats(s.get("g")), shape).to(device)});
                // dx = k·(g − mean(g) − x̂·mean(g·x̂)) cancels its terms (nearly to 0 with two values per channel):
                // compared at the scale of the largest term k·g, k = w/√(σ²+ε)
                close(s.get("dx"), x.grad().toFloatArray(), largestTerm(floats(s.get("x")), floats(s.get("g")),
                        bn.weight.toFloatArray(), shape), "dx, " + at);
                if (affineGrad) {
                    close(s.get("dweight"), bn.weight.grad().toFloatArray(), "dweight, " + at);
                    close(s.get("dbias"), bn.bias.grad().toFloatArray(), "dbias, " + at);
                } else {
                    assertNull(bn.weight.grad(), "frozen weight, " + at);
                }
            }
            close(s.get("running_mean"), bn.runningMean.toFloatArray(), "running_mean, " + at);
            close(s.get("running_var"), bn.runningVar.toFloatArray(), "running_var, " + at);
            assertEquals(s.get("num_batches_tracked").asInt(), bn.numBatchesTracked.toFloatArray()[0], "num_batches_tracked, " + at);
        }
        bn.train(false); // eval mode: the running statistics, through the cached per-channel affine
        try (MemoryScope ignored = MemoryScope.open(); Graph.Scope g = Graph.noGrad()) {
            Tensor xe = Tensor.of(floats(c.get("steps").get(c.get("steps").size() - 1).get("x")), shape).to(device);
            close(c.get("eval_y"), bn.forward(xe).toFloatArray(), "eval output on " + device);
        }
    }

    private static void close(JsonNode want, float[] got, String what) {
        close(want, got, 1e-3, what);
    }

    /** Equal within {@link #RTOL} of the larger of the array's largest value and {@code floor}. */
    private static void close(JsonNode want, float[] got, double floor, String what) {
        assertEquals(want.size(), got.length, what);
        double scale = floor;
        for (JsonNode w : want) scale = Math.max(scale, Math.abs(w.asDouble()));
        for (int i = 0; i < got.length; i++)
            assertEquals(want.get(i).asDouble(), got[i], RTOL * scale, what + "[" + i + "]");
    }

    /** max |w_c·g / √(σ²_c + ε)| over the batch, σ² the biased batch variance of channel c. */
    private static double largestTerm(float[] x, float[] g, float[] w, int[] shape) {
        int n = shape[0], c = shape[1], hw = shape[2] * shape[3];
        double out = 0;
        for (int ch = 0; ch < c; ch++) {
            double mean = 0, var = 0, gmax = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++) mean += x[(i * c + ch) * hw + j];
            mean /= n * hw;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < hw; j++) {
                    int k = (i * c + ch) * hw + j;
                    var += (x[k] - mean) * (x[k] - mean);
                    gmax = Math.max(gmax, Math.abs(g[k]));
                }
            out = Math.max(out, Math.abs(w[ch]) * gmax / Math.sqrt(var / (n * hw) + BatchNorm2d.EPS));
        }
        return out;
    }
}
