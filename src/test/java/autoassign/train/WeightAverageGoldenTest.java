package autoassign.train;

import autoassign.config.ConfigLoader;
import autoassign.config.RuntimeConfig;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every case of {@code <goldens>/ema} (scripts/goldens/ema.py: MMEngine 0.10's {@code ExponentialMovingAverage} and
 * MMDetection 3.3's {@code ExpMomentumEMA} transcribed, run by torch 1.13 on the CPU): the source values of each
 * update written into a tensor of the model, {@link WeightAverage#afterIteration}, and the average bit for bit equal
 * to torch's {@code lerp_} (both of its roundings: weights below 0.5 and from 0.5 on), the first update a copy,
 * {@code interval} honoured.
 */
class WeightAverageGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String W = "bbox_head.conv_cls.weight";

    @TempDir Path tmp;

    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.jsonCases("ema");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void averagesMatchTorch(String name, Path file) throws Exception {
        JsonNode c = JSON.readTree(file.toFile());
        TinyTrainConfig.write(tmp);
        AutoAssignDetector model = new AutoAssignDetector(ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of()).model(), 0);
        boolean exp = c.get("ema_type").asText().equals("ExpMomentumEMA");
        WeightAverage ema = new WeightAverage(model, new RuntimeConfig.Ema(exp, c.get("momentum").asDouble(),
                c.get("gamma").asDouble(), c.get("interval").asInt(), 0, 0));
        Tensor w = model.namedParameters().get(W);
        JsonNode sources = c.get("sources"), averages = c.get("averages");
        int n = sources.get(0).size();
        assertTrue(w.numel() >= n, W + " holds the case's values");
        for (int t = 0; t < sources.size(); t++) {
            float[] data = w.data();
            for (int i = 0; i < n; i++) data[i] = (float) sources.get(t).get(i).asDouble();
            w.bumpVersion();
            ema.afterIteration(t, 0);
            float[] avg = ema.tensors().get(W).data();
            for (int i = 0; i < n; i++) {
                float want = (float) averages.get(t).get(i).asDouble();
                if (Float.floatToIntBits(want) != Float.floatToIntBits(avg[i]))
                    throw new AssertionError(name + ": after iteration " + t + " value " + i + " is " + avg[i]
                            + ", torch's lerp_ gives " + want);
            }
        }
        assertEquals(sources.size(), ema.steps());
    }
}
