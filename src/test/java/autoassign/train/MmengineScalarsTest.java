package autoassign.train;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** MMEngine's json log lines ({@code vis_data/scalars.json}) from metrics.jsonl records and back, key for key. */
class MmengineScalarsTest {
    private static Map<String, Object> rec(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    @Test
    void aTrainingLineHasMessageHubsKeyOrderWithGradNormBeforeTheLosses() {
        // MMEngine: train/lr (RuntimeInfoHook.before_train_iter), train/data_time (IterTimerHook), train/grad_norm (OptimWrapper,
        // inside train_step), the losses (RuntimeInfoHook.after_train_iter), train/time; then epoch, iter, memory; then step
        Map<String, Object> r = rec("mode", "train", "epoch", 1, "iter", 50, "lr", 0.01, "time", 0.5, "data_time", 0.1,
                "memory_mb", 3000L, "grad_norm", 4.0, "loss", 2.0, "loss_pos", 0.5, "loss_neg", 1.0, "loss_center", 0.5);
        assertEquals(List.of("lr", "data_time", "grad_norm", "loss", "loss_pos", "loss_neg", "loss_center", "time", "epoch", "iter",
                "memory", "step"), new ArrayList<>(MmengineScalars.line(r, true).keySet()));
    }

    @Test
    void aValidationLinesTimesStayUnprefixedAfterTheMetrics() {
        // LogProcessor.get_log_after_epoch: the metrics, then the val loop's data_time and time; LocalVisBackend adds step
        Map<String, Object> r = rec("mode", "val", "epoch", 2, "iter", 100, "bbox_mAP", 0.3, "bbox_mAP_50", 0.5,
                "data_time", 0.01, "time", 0.2, "stats", List.of(0.3));
        Map<String, Object> line = MmengineScalars.line(r, true);
        assertEquals(List.of("coco/bbox_mAP", "coco/bbox_mAP_50", "data_time", "time", "step"), new ArrayList<>(line.keySet()));
        assertEquals(2, line.get("step"));
        // and back: the validation's times are not training times
        List<Map<String, Object>> back = MmengineScalars.records(List.of(
                rec("lr", 0.01, "loss", 2.0, "time", 0.5, "epoch", 2, "iter", 100, "step", 100), line));
        assertEquals(Map.of("mode", "val", "epoch", 2, "iter", 100, "bbox_mAP", 0.3, "bbox_mAP_50", 0.5), back.get(1));
    }

    @Test
    void anIterationBasedMmdetectionRunsValidationsAtStepZeroFollowTheLastTrainingLine() {
        // IterBasedTrainLoop never advances runner.epoch, and LoggerHook's default log_metric_by_epoch logs the metrics
        // at step = runner.epoch: an MMDetection iteration-based run's validations are all at step 0
        List<Map<String, Object>> back = MmengineScalars.records(List.of(
                rec("lr", 0.01, "loss", 2.0, "time", 0.5, "iter", 50, "step", 50),
                rec("coco/bbox_mAP", 0.2, "data_time", 0.1, "time", 0.2, "step", 0),
                rec("lr", 0.01, "loss", 1.5, "time", 0.5, "iter", 100, "step", 100),
                rec("coco/bbox_mAP", 0.3, "data_time", 0.1, "time", 0.2, "step", 0)));
        assertEquals(Map.of("mode", "val", "iter", 50, "bbox_mAP", 0.2), back.get(1));
        assertEquals(Map.of("mode", "val", "iter", 100, "bbox_mAP", 0.3), back.get(3));
    }
}
