package autoassign.train;

import autoassign.config.SchedulerConfig;
import autoassign.config.SchedulerConfig.Entry;
import autoassign.config.SchedulerConfig.Rule;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@link MmengineResume#schedulerState}: an MMEngine checkpoint's ReduceOnPlateau state (its {@code param_schedulers}
 * state dicts, unpickled as maps) and the values in its optimizer's param groups, as the schedule takes them.
 */
class MmengineSchedulerStateTest {
    private static Optimizer sgd() {
        return new Sgd(List.of(new Optimizer.Group("a.weight", Tensor.of(new float[] {0}, 1), 1e-4f),
                new Optimizer.Group("a.bias", Tensor.of(new float[] {0}, 1), 0f, 2.0)), 0.9f);
    }

    @Test
    void plateauCountersAndGroupValues() {
        Map<String, Object> top = Map.of(
                "param_schedulers", List.of(
                        Map.of("start_factor", 0.1, "last_step", 99L, "_global_step", 100L),
                        Map.of("best", 0.25, "num_bad_epochs", 1L, "cooldown_counter", 2L, "last_step", 3L, "_global_step", 4L,
                                "monitor", "coco/bbox_mAP")),
                "optimizer", Map.of(
                        "param_groups", List.of(Map.of("params", List.of(0L), "lr", 0.005, "momentum", 0.85),
                                Map.of("params", List.of(1L), "lr", 0.01, "momentum", 0.85)),
                        "base_param_settings", Map.of("lr", 0.005)));
        String json = MmengineResume.schedulerState(top, sgd(), List.of("a.weight", "a.bias"));
        var cfg = new SchedulerConfig(List.of(new Entry(new Rule.Linear(0.1, 1.0), 0, 100, false, false),
                new Entry(new Rule.ReduceOnPlateau("coco/bbox_mAP", true, 0.5, 1, 0, true, 2, 0, 1e-8), 0, null, true, false)));
        LrSchedule s = new LrSchedule(0.02, new double[] {2.0}, 0.9, cfg, 12, 1200, 100);
        s.restore(json);
        s.fastForward(4, 100, 0);
        assertEquals(0.005, s.lr(), 0);
        assertEquals(0.01, s.lr(2.0), 0);
        // cooldown 2 left: two validations without improvement are not counted; the third reduces (patience 1, 1 bad so far)
        for (int v = 0; v < 2; v++) {
            s.afterEpoch();
            s.afterValidation(Map.of("coco/bbox_mAP", 0.1));
            assertEquals(0.005, s.lr(), 0);
        }
        s.afterEpoch();
        s.afterValidation(Map.of("coco/bbox_mAP", 0.1));
        s.afterEpoch();
        s.afterValidation(Map.of("coco/bbox_mAP", 0.1));
        assertEquals(0.0025, s.lr(), 0);
        assertNull(MmengineResume.schedulerState(Map.of("param_schedulers", List.of(Map.of("last_step", 3L))), sgd(),
                List.of("a.weight", "a.bias")), "no ReduceOnPlateau: nothing to take");
    }
}
