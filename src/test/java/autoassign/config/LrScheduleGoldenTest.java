package autoassign.config;

import autoassign.train.LrSchedule;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every case of {@code <goldens>/lr_schedule}: a {@code param_scheduler} list, the run's size, and the learning rate
 * of each iteration as torch.optim.lr_scheduler computes it (scripts/goldens/lr_schedules.py; MMEngine's schedulers
 * use the same chainable formulas). The folder defaults to {@code src/test/resources/goldens};
 * {@code -Dgoldens.dir=DIR} points at another folder laid out like it.
 */
class LrScheduleGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.jsonCases("lr_schedule");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void ratesMatchTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        ObjectNode root = JSON.createObjectNode();
        root.set("param_scheduler", c.get("param_scheduler"));
        SchedulerConfig cfg = SchedulerConfig.from(new ConfigNode(name, "", root), "param_scheduler");
        int epochs = c.get("max_epochs").asInt(), length = c.get("epoch_length").asInt();
        // optional: several param groups (lr multipliers) and each one's rates
        double[] mults = c.has("lr_mults") ? JSON.convertValue(c.get("lr_mults"), double[].class) : new double[] {1.0};
        JsonNode groups = c.has("group_lr") ? c.get("group_lr") : JSON.createArrayNode().add(c.get("lr"));
        LrSchedule s = new LrSchedule(c.get("base_lr").asDouble(), mults, cfg, epochs, (long) epochs * length, length);
        assertEquals(epochs * length, c.get("lr").size());
        for (int e = 0, i = 0; e < epochs; e++) {
            for (int k = 0; k < length; k++, i++) {
                for (int g = 0; g < mults.length; g++) {
                    double want = groups.get(g).get(i).asDouble();
                    assertEquals(want, s.lr(mults[g]), 1e-12 * Math.abs(want), name + ": group " + g + ", iteration " + i);
                }
                assertEquals(c.get("lr").get(i).asDouble(), s.lr(), 1e-12 * Math.abs(s.lr()), name + ": iteration " + i);
                s.afterIter();
            }
            s.afterEpoch();
        }
    }
}
