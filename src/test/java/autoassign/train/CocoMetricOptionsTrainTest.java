package autoassign.train;

import autoassign.cli.CliRun;
import autoassign.cli.EvalCommand;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.eval.CocoEvalResult;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CocoMetric's iou_thrs / proposal_nums / metric_items through training validation (val records, save_best) and
 * {@code eval --config} (one worker and sharded over two): the tiny config, one epoch.
 */
class CocoMetricOptionsTrainTest {
    @TempDir Path tmp;

    private static final List<String> OPTIONS = List.of("train_cfg.max_epochs=1", "default_hooks.checkpoint.save_best=auto",
            "val_evaluator.iou_thrs=[0.5, 0.75]", "val_evaluator.proposal_nums=[1, 10, 100]",
            "val_evaluator.metric_items=[AR@100, mAP, mAP_50]");

    @Test
    void validationAndEvalFollowTheConfigsCocoMetric() throws Exception {
        TinyTrainConfig.write(tmp);
        Config cfg = ConfigLoader.load(tmp.resolve("tiny_test.yaml"), OPTIONS);
        assertEquals(List.of("coco/bbox_AR@100", "coco/bbox_mAP", "coco/bbox_mAP_50"), cfg.valEvaluator().metricNames());
        assertEquals("coco/bbox_AR@100", cfg.runtime().saveBest(), "auto: the first metric item");
        Path wd = tmp.resolve("wd");
        Trainer.Result r = new Trainer(cfg, TrainOptions.defaults().withWorkDir(wd).withDevice("cpu"),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
        CocoEvalResult coco = (CocoEvalResult) r.lastEval();
        double[] s = coco.stats();
        assertEquals(-1.0, s[1], "a config's iou_thrs reach pycocotools as a list: no IoU=.50 number");
        assertEquals(List.of("coco/bbox_AR@100", "coco/bbox_mAP", "coco/bbox_mAP_50"), List.copyOf(coco.metrics().keySet()));
        assertEquals(s[6], coco.metrics().get("coco/bbox_AR@100"), 0.0);
        assertTrue(coco.summaryLines().get(0).contains("IoU=0.50:0.75 | area=   all | maxDets=100 ]"), coco.summaryLines().get(0));
        assertTrue(coco.summaryLines().get(6).contains("maxDets=  1 ]"), coco.summaryLines().get(6));

        JsonNode val = null;
        for (String line : Files.readAllLines(wd.resolve("metrics.jsonl"))) {
            JsonNode n = new ObjectMapper().readTree(line);
            if (n.get("mode").asText().equals("val")) val = n;
        }
        assertTrue(val != null && val.has("bbox_AR@100") && val.has("bbox_mAP_50") && !val.has("bbox_mAP_75"), String.valueOf(val));
        assertEquals(s[6], val.get("bbox_AR@100").doubleValue(), 0.0);
        try (var files = Files.list(wd)) {
            assertEquals(1, files.filter(p -> p.getFileName().toString().equals("best_coco_bbox_AR@100_epoch_1.safetensors")).count());
        }

        // eval --config uses the test evaluator (here the val one): the same summary, one worker or two
        String[] eval = {"--config", tmp.resolve("tiny_test.yaml").toString(), "--checkpoint",
            wd.resolve("epoch_1.safetensors").toString(), "--device", "cpu", "--cfg-options", OPTIONS.get(2), OPTIONS.get(3),
            OPTIONS.get(4), "val_dataloader.batch_size=1"};
        CliRun one = CliRun.run(new EvalCommand(), eval);
        assertEquals(0, one.code(), one.err());
        assertTrue(one.out().contains(" Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = -1.000"), one.out());
        assertTrue(one.out().contains(" Average Recall     (AR) @[ IoU=0.50:0.75 | area=   all | maxDets= 10 ]"), one.out());
        String[] sharded = java.util.Arrays.copyOf(eval, eval.length + 2);
        sharded[eval.length] = "--cpu-workers";
        sharded[eval.length + 1] = "2";
        CliRun two = CliRun.run(new EvalCommand(), sharded);
        assertEquals(0, two.code(), two.err());
        assertEquals(one.out(), two.out());
        // without the keys: the former output (pycocotools' maxDets 1, 10, 100 and IoU .50:.95)
        CliRun plain = CliRun.run(new EvalCommand(), "--config", tmp.resolve("tiny_test.yaml").toString(), "--checkpoint",
                wd.resolve("epoch_1.safetensors").toString(), "--device", "cpu");
        assertEquals(0, plain.code(), plain.err());
        assertTrue(plain.out().contains("IoU=0.50:0.95 | area=   all | maxDets=  1 ]"), plain.out());
        assertFalse(plain.out().contains("0.50:0.75"), plain.out());
    }
}
