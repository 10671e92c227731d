package autoassign.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code val_evaluator} as MMDetection configs write CocoMetric: metric as a string or a list, and its other keys. */
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

    @Test
    void vocMetricTakesItsMetricAsAStringOrAOneElementList() throws Exception {
        assertEquals("mAP", withEvaluator("{_delete_: true, type: VOCMetric, metric: mAP}").valEvaluator().metric());
        assertEquals("mAP", withEvaluator("{_delete_: true, type: VOCMetric, metric: [mAP]}").valEvaluator().metric());
        String e = error("{_delete_: true, type: VOCMetric, metric: [mAP, recall]}");
        assertTrue(e.contains("val_evaluator.metric: VOCMetric takes one metric"), e);
        e = error("{_delete_: true, type: VOCMetric, metric: [recall]}");
        assertTrue(e.contains("val_evaluator.metric: only mAP is supported"), e);
    }

    private static String error(String evaluator) {
        return assertThrows(ConfigException.class, () -> withEvaluator(evaluator)).getMessage();
    }

    @Test
    void withoutTheCocoevalKeysTheFormerParametersStay() throws Exception {
        EvaluatorConfig ev = withEvaluator("{type: CocoMetric, classwise: true, collect_device: gpu, prefix: coco, "
                + "sort_categories: true, file_client_args: null, backend_args: null}").valEvaluator();
        autoassign.eval.CocoEvalParams former = autoassign.eval.CocoEvalParams.standard();
        assertSame(former, ev.cocoParams(former));
        assertEquals(autoassign.eval.CocoEvalResult.METRIC_NAMES, ev.metricNames());
    }

    @Test
    void iouThrsProposalNumsAndMetricItemsMakeCocoMetricsParameters() throws Exception {
        EvaluatorConfig ev = withEvaluator("{iou_thrs: [0.5, 0.75], proposal_nums: [300, 10, 100, 1], "
                + "metric_items: [AR@300, mAP_l, AR@300]}").valEvaluator();
        var p = ev.cocoParams(autoassign.eval.CocoEvalParams.standard());
        assertArrayEquals(new double[] {0.5, 0.75}, p.iouThrs());
        assertTrue(p.listIouThrs(), "a config's list, as CocoMetric hands it to pycocotools");
        assertArrayEquals(new int[] {1, 10, 100, 300}, p.maxDets(), "sorted, as COCOeval.evaluate does");
        assertFalse(p.mpSummary());
        assertEquals(List.of("coco/bbox_AR@300", "coco/bbox_mAP_l"), ev.metricNames());
        assertArrayEquals(autoassign.eval.CocoEvalParams.MMDET_NAMES, p.statNames());

        // one key alone: CocoMetric's defaults for the others (proposal_nums 100, 300, 1000; IoU .50:.95 as an ndarray)
        p = withEvaluator("{metric_items: [mAP]}").valEvaluator().cocoParams(autoassign.eval.CocoEvalParams.standard());
        assertArrayEquals(new int[] {100, 300, 1000}, p.maxDets());
        assertArrayEquals(autoassign.eval.CocoEvalParams.mmdet().iouThrs(), p.iouThrs());
        assertFalse(p.listIouThrs());
        p = withEvaluator("{iou_thrs: [0.6]}").valEvaluator().cocoParams(autoassign.eval.CocoEvalParams.standard());
        assertArrayEquals(new double[] {0.6}, p.iouThrs());
        assertTrue(withEvaluator("{use_mp_eval: true}").valEvaluator().cocoParams(autoassign.eval.CocoEvalParams.standard())
                .mpSummary());
    }

    @Test
    void badValuesAreOneLineErrorsNamingTheKey() {
        String e = error("{metric_items: [mAP, AP50]}");
        assertTrue(e.contains("val_evaluator.metric_items: metric item \"AP50\" is not supported"), e);
        assertTrue(error("{metric_items: []}").contains("val_evaluator.metric_items: must name at least one item"));
        assertTrue(error("{metric_items: mAP}").contains("val_evaluator.metric_items: must be a list of names"));
        assertTrue(error("{iou_thrs: [0.5, 1.5]}").contains("val_evaluator.iou_thrs: must be in (0, 1], got 1.5"));
        assertTrue(error("{iou_thrs: []}").contains("val_evaluator.iou_thrs: must not be empty"));
        // what MMDetection itself fails on: a number (pycocotools takes its len), a class table without a 6th threshold
        assertTrue(error("{iou_thrs: 0.6}").contains("val_evaluator.iou_thrs: CocoMetric needs a list"));
        e = error("{classwise: true, iou_thrs: [0.5, 0.75]}");
        assertTrue(e.contains("val_evaluator.classwise: needs at least 6 iou_thrs"), e);
        e = error("{proposal_nums: [100, 300]}");
        assertTrue(e.contains("val_evaluator.proposal_nums: needs at least 3 values"), e);
        assertTrue(error("{proposal_nums: [0, 1, 2]}").contains("val_evaluator.proposal_nums: must be positive"));
        e = error("{use_mp_eval: true, proposal_nums: [1, 10, 100, 1000]}");
        assertTrue(e.contains("val_evaluator.proposal_nums: with use_mp_eval only 3 values"), e);
        assertTrue(error("{use_mp_eval: 1}").contains("val_evaluator.use_mp_eval: must be true or false"));
        assertTrue(error("{collect_device: tpu}").contains("val_evaluator.collect_device: must be one of cpu, gpu"));
        assertTrue(error("{prefix: val}").contains("val_evaluator.prefix: must be one of coco"));
        assertTrue(error("{sort_categories: yes please}").contains("val_evaluator.sort_categories"));
        assertTrue(error("{file_client_args: {backend: disk}}").contains("val_evaluator.file_client_args: only null"));
        assertTrue(error("{backend_args: {backend: petrel}}").contains("val_evaluator.backend_args: only null"));
        for (String e1 : List.of(error("{metric_items: [AP50]}"), error("{prefix: val}"))) assertFalse(e1.contains("\n"), e1);
    }

    @Test
    void saveBestAndEarlyStoppingFollowTheMetricItems() throws Exception {
        Config c = withEvaluator("{metric_items: [mAP_75, AR@1000]}");
        assertEquals(List.of("coco/bbox_mAP_75", "coco/bbox_AR@1000"), c.valEvaluator().metricNames());
        String text = Files.readString(Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml"));
        Config best = ConfigLoader.parse(text, "configs/x.yaml", List.of("val_evaluator={metric_items: [mAP_75, AR@1000]}",
                "default_hooks.checkpoint.save_best=coco/bbox_AR@1000"));
        assertEquals("coco/bbox_AR@1000", best.runtime().saveBest());
        String e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(text, "configs/x.yaml", List.of(
                "val_evaluator={metric_items: [mAP_75]}", "default_hooks.checkpoint.save_best=coco/bbox_mAP"))).getMessage();
        assertTrue(e.contains("save_best: must be auto or one of coco/bbox_mAP_75"), e);
    }

    /** save_best and early stopping: a rule MMEngine cannot infer from the name must be written; values compared rounded. */
    @Test
    void rulesAreInferredAsMmengineDoesAndMetricsComparedAsReported() throws Exception {
        String text = Files.readString(Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml"));
        String items = "val_evaluator={metric_items: [AR_s@1000, mAP]}";
        String e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(text, "configs/x.yaml",
                List.of(items, "default_hooks.checkpoint.save_best=coco/bbox_AR_s@1000"))).getMessage();
        assertTrue(e.contains("default_hooks.checkpoint.rule: cannot infer the rule for coco/bbox_AR_s@1000"), e);
        assertFalse(ConfigLoader.parse(text, "configs/x.yaml", List.of(items, "default_hooks.checkpoint.save_best=coco/bbox_AR_s@1000",
                "default_hooks.checkpoint.rule=less")).runtime().saveBestGreater());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(text, "configs/x.yaml",
                List.of(items, "default_hooks.checkpoint.save_best=auto"))).getMessage(); // auto: the first item
        assertTrue(e.contains("cannot infer the rule for coco/bbox_AR_s@1000"), e);
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(text, "configs/x.yaml",
                List.of(items, "custom_hooks=[{type: EarlyStoppingHook, monitor: coco/bbox_AR_s@1000}]"))).getMessage();
        assertTrue(e.contains("custom_hooks[0].rule: cannot infer the rule"), e);
        assertTrue(ConfigLoader.parse(text, "configs/x.yaml", List.of("custom_hooks=[{type: EarlyStoppingHook, monitor: coco/bbox_mAP_50}]"))
                .runtime().earlyStopping().greater(), "mAP in the name: greater");
        // Python's float(f'{round(v, 3)}'), values printed by python3
        double[][] py = {{0.6838489954811862, 0.684}, {0.1235, 0.123}, {0.0005, 0.001}, {0.0015, 0.002}, {0.4005, 0.401},
            {0.9995, 1.0}, {-1.0, -1.0}, {0.40449999999999997, 0.404}};
        for (double[] c : py) assertEquals(c[1], autoassign.eval.Evaluation.round3(c[0]), 0.0, "round(" + c[0] + ", 3)");
    }
}
