package autoassign.model;

import autoassign.GoldenFiles;
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
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static autoassign.GoldenFiles.floats;
import static autoassign.GoldenFiles.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Swin's dropout in train mode against torch (every case of {@code <goldens>/swin_dropout}, scripts/goldens/swin_dropout.py):
 * upstream's nn.Dropout modules, at upstream's places in the transcription, draw the engine's counter-based masks with
 * one seed per call from {@code java.util.Random(train_seed)} in forward order, so the outputs and every gradient must
 * agree — which pins where dropout acts (after the position embedding, on the attention weights, after proj, twice in
 * the FFN), in what order, its 1/(1 − p) scale and its backward. On the CPU and on the checked stand-in device (scoped
 * memory, {@code CheckedDeviceBackend.dropout}).
 */
class SwinDropoutGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("swin_dropout"); }

    /** Counts the dropout seeds (nextLong); drop path, at rate 0 here, draws nothing. */
    static final class Counting extends Random {
        int longs;

        Counting(long seed) { super(seed); }

        @Override public long nextLong() {
            longs++;
            return super.nextLong();
        }
    }

    private static void check(String name, JsonNode c, Device device) {
        SwinTransformer m = SwinTransformerGoldenTest.load(c);
        assertTrue(m.config().dropRate() > 0, name);
        m.to(device);
        m.train(true);
        Counting rng = new Counting(c.get("train_seed").asLong());
        m.setTrainingRandom(rng);
        Tensor x = Tensor.of(floats(c.get("input")), ints(c.get("input_shape"))).to(device).setRequiresGrad(true);
        List<Tensor> outs = m.forward(x);
        assertEquals(c.get("dropout_calls").asInt(), rng.longs, name + ": dropout calls");
        JsonNode want = c.get("outputs");
        Tensor[] seeds = new Tensor[outs.size()];
        for (int i = 0; i < outs.size(); i++) {
            assertArrayEquals(ints(want.get(i).get("shape")), outs.get(i).shape(), name + " output " + i);
            GoldenFiles.assertCloseToTorch(name + " output " + i, floats(want.get(i).get("values")), outs.get(i).toFloatArray(), 1e-4);
            seeds[i] = Tensor.of(floats(c.get("loss_weights").get(i)), outs.get(i).shape()).to(device);
        }
        Graph.backward(outs.toArray(new Tensor[0]), seeds);
        GoldenFiles.assertCloseToTorch(name + " input grad", floats(c.get("input_grad")), x.grad().toFloatArray(), 2e-4);
        Map<String, Tensor> params = m.namedParameters();
        for (JsonNode g : c.get("grads")) {
            String k = g.get("name").asText();
            assertNotNull(params.get(k).grad(), name + ": " + k + " has no gradient");
            GoldenFiles.assertCloseToTorch(name + " grad " + k, floats(g.get("values")), params.get(k).grad().toFloatArray(), 2e-4);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void trainModeForwardAndGradientsMatchTorch(String name, Path file) throws IOException {
        check(name, JSON.readTree(file.toFile()), Device.CPU);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void onADeviceWithScopedMemory(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        try (CheckedDeviceBackend dev = CheckedDeviceBackend.install(96); MemoryScope ignored = MemoryScope.open()) {
            check(name + " (device)", c, Device.cuda(96));
            assertTrue(dev.violations().isEmpty(), dev.violations().toString());
        }
    }
}
