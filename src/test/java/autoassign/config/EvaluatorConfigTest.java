package autoassign.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code val_evaluator} as MMDetection configs write CocoMetric: metric as a string or a list. */
class EvaluatorConfigTest {
    private static Config withEvaluator(String evaluator) throws Exception {
        String text = Files.readString(Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml"));
        return ConfigLoader.parse(text, "configs/x.yaml", List.of("val_evaluator=" + evaluator));
    }

    @Test
    void metricAsAStringOrAList() throws Exception {
        assertEquals("bbox", withEvaluator("{metric: bbox}").valEvaluator().metric());
        assertEquals("bbox", withEvaluator("{metric: [bbox]}").valEvaluator().metric());
        String e = assertThrows(ConfigException.class, () -> withEvaluator("{metric: [bbox, segm]}")).getMessage();
        assertTrue(e.contains("val_evaluator.metric: only bbox is supported"), e);
        e = assertThrows(ConfigException.class, () -> withEvaluator("{metric: []}")).getMessage();
        assertTrue(e.contains("val_evaluator.metric: must name a metric"), e);
    }
}
