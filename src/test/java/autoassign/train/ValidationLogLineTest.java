package autoassign.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** MMEngine's line after a validation (LogProcessor.get_log_after_epoch, mmengine 0.10), as Validation prints it. */
class ValidationLogLineTest {

    @Test
    void epochAndIterationForms() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("coco/person_precision", 0.512);
        m.put("coco/bbox_mAP", 0.404);
        m.put("coco/bbox_mAP_50", -1.0);
        assertEquals("Epoch(val) [12][5000/5000]    coco/person_precision: 0.5120  coco/bbox_mAP: 0.4040  "
                + "coco/bbox_mAP_50: -1.0000  time: 0.0613", Validation.valLine(true, 12, 5000, m, 0.06125000001));
        assertEquals("Iter(val) [625/625]    coco/person_precision: 0.5120  coco/bbox_mAP: 0.4040  coco/bbox_mAP_50: -1.0000"
                + "  time: 1.2346", Validation.valLine(false, 3, 625, m, 1.23456));
        assertEquals("0.1235", autoassign.eval.PyFloat.fixed(0.12345, 4)); // 0.12345 is 0.123450000000000004..., Python gives 0.1235
        assertEquals("0.0000", autoassign.eval.PyFloat.fixed(0.00004999, 4));
        assertEquals("nan", autoassign.eval.PyFloat.fixed(Double.NaN, 4));
    }
}
