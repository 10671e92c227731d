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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every case of {@code <goldens>/param_schedule}: a {@code param_scheduler} list with momentum, OneCycle and
 * ReduceOnPlateau schedulers, the optimizer (SGD's momentum or Adam's betas[0]), the run's size, the metrics of each
 * validation, and the lr of each group and the momentum of every iteration as MMEngine's schedulers give them
 * (scripts/goldens/lr_schedules.py transcribes them; OneCycle and ReduceOnPlateau cross-checked against torch). Halfway
 * through, the schedule is replaced by one resumed from its {@link LrSchedule#state()} (restored, then fast-forwarded),
 * which must go on identically.
 */
class ParamScheduleGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.jsonCases("param_schedule");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void valuesMatchMmengine(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        ObjectNode root = JSON.createObjectNode();
        root.set("param_scheduler", c.get("param_scheduler"));
        SchedulerConfig cfg = SchedulerConfig.from(new ConfigNode(name, "", root), "param_scheduler");
        int epochs = c.get("max_epochs").asInt(), length = c.get("epoch_length").asInt();
        double[] mults = c.has("lr_mults") ? JSON.convertValue(c.get("lr_mults"), double[].class) : new double[] {1.0};
        JsonNode groups = c.has("group_lr") ? c.get("group_lr") : JSON.createArrayNode().add(c.get("lr"));
        double baseLr = c.get("base_lr").asDouble(), baseMomentum = c.get("base_momentum").asDouble();
        LrSchedule s = new LrSchedule(baseLr, mults, baseMomentum, cfg, epochs, (long) epochs * length, length);
        int valInterval = c.has("val_interval") ? c.get("val_interval").asInt() : 1, validations = 0;
        assertEquals(epochs * length, c.get("lr").size());
        for (int e = 0, i = 0; e < epochs; e++) {
            for (int k = 0; k < length; k++, i++) {
                for (int g = 0; g < mults.length; g++) {
                    double want = groups.get(g).get(i).asDouble();
                    assertEquals(want, s.lr(mults[g]), 1e-12 * Math.abs(want), name + ": lr of group " + g + ", iteration " + i);
                }
                double m = c.get("momentum").get(i).asDouble();
                assertEquals(m, s.momentum(), 1e-12 * Math.abs(m), name + ": momentum, iteration " + i);
                s.afterIter();
            }
            s.afterEpoch();
            if (c.has("metrics") && ((e + 1) % valInterval == 0 || e + 1 == epochs)) {
                Map<String, Double> metrics = new LinkedHashMap<>();
                c.get("metrics").get(validations++).fields().forEachRemaining(f -> metrics.put(f.getKey(), f.getValue().asDouble()));
                s.afterValidation(metrics);
            }
            if (e + 1 == epochs / 2) { // a run resumed from this epoch's checkpoint goes on the same
                String state = s.state();
                s = new LrSchedule(baseLr, mults, baseMomentum, cfg, epochs, (long) epochs * length, length);
                if (state != null) s.restore(state);
                s.fastForward(e + 1, length, 0);
            }
        }
    }
}
