package autoassign.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import autoassign.cli.CliRun;
import autoassign.cli.EvalCommand;
import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.config.DatasetConfig;
import autoassign.data.CrowdHumanFiles;
import autoassign.eval.CrowdHumanMetric;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CrowdHuman configs: MMDetection's CrowdHumanDataset / CrowdHumanMetric lines read from a Python config, {@code eval
 * --config --results} scored by the metric, and a tiny model trained on an .odgt file with CrowdHumanMetric validation
 * and {@code save_best} on its names.
 */
class CrowdHumanConfigTest {
    @TempDir Path tmp;

    static final Path CONFIG = Path.of("src/test/resources/mmdet_configs/crowdhuman/autoassign_r50-caffe_fpn_1x_crowdhuman.py");

    @Test
    void mmdetectionStyleConfigReadsAndEvalScoresResultsWithCrowdHumanMetric() throws Exception {
        Path root = CrowdHumanFiles.write(tmp.resolve("ch"));
        Config cfg = ConfigLoader.load(CONFIG);
        DatasetConfig train = cfg.trainDataloader().dataset();
        assertEquals("CrowdHumanDataset", train.type());
        assertEquals("annotation_train.odgt", train.annFile());
        assertTrue(cfg.valEvaluator().crowd() && cfg.testEvaluator().crowd());
        assertEquals(List.of("crowd_human/mAP", "crowd_human/mMR", "crowd_human/JI"), cfg.valEvaluator().metricNames());

        // the two people of image 0 found, a detection on its mask region (ignored), the person of image 2 found
        Path dets = Files.writeString(tmp.resolve("dets.json"), "[" + String.join(", ", det(0, "5, 10, 30, 60", 0.9),
                det(0, "50, 8, 30, 65", 0.8), det(0, "1, 1, 18, 18", 0.7), det(2, "20, 20, 40, 50", 0.6)) + "]");
        CliRun run = CliRun.run(new EvalCommand(), "--config", CONFIG.toString(), "--data", root.toString(), "--results",
                dets.toString(), "--json", tmp.resolve("out.json").toString());
        assertEquals(0, run.code(), run.err());
        // AP: recall 1/3, 2/3, 1 at precision 1 (the trapezoids from the first point: 2/3); no false positive: MR 0;
        // JI: images 0 and 2 matched fully (image 1 has neither people nor detections, so it does not count)
        assertTrue(run.out().contains("crowd_human/mAP: 0.6667\ncrowd_human/mMR: 0.0\ncrowd_human/JI: 1.0"), run.out());
        var json = new ObjectMapper().readTree(tmp.resolve("out.json").toFile());
        assertEquals(2.0 / 3, json.get("raw").get("AP").asDouble(), 1e-15);

        // analyze-results over the .odgt test set (no COCO json there): each image's own mAP, pictures drawn
        CliRun analyze = CliRun.run(new autoassign.cli.AnalyzeResultsCommand(), "--config", CONFIG.toString(), "--data",
                root.toString(), "--results", dets.toString(), "--out", tmp.resolve("analyze").toString());
        assertEquals(0, analyze.code(), analyze.err());
        assertTrue(analyze.out().startsWith("3 images ranked by mAP"), analyze.out());

        // the metric pairs its file with the dataset in order: another file is a one-line error
        Path other = Files.writeString(root.resolve("other.odgt"), "{\"ID\": \"x\", \"gtboxes\": []}\n");
        CliRun bad = CliRun.run(new EvalCommand(), "--config", CONFIG.toString(), "--data", root.toString(), "--results",
                dets.toString(), "--cfg-options", "val_evaluator.ann_file=" + other);
        assertEquals(1, bad.code());
        assertTrue(bad.err().strip().startsWith("error: ") && bad.err().contains("pairs them in order")
                && bad.err().strip().lines().count() == 1, bad.err());
    }

    @Test
    void unsupportedSettingsAreRefused() {
        ConfigException voc = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(CONFIG, List.of("val_evaluator.compare_matching_method=VOC")));
        assertTrue(voc.getMessage().contains("compare_matching_method"), voc.getMessage());
        ConfigException metric = assertThrows(ConfigException.class, () -> ConfigLoader.load(CONFIG, List.of("val_evaluator.metric=[AP, F1]")));
        assertTrue(metric.getMessage().contains("must be AP, MR or JI"), metric.getMessage());
        // MMEngine infers no rule for mMR / JI
        ConfigException rule = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(CONFIG, List.of("default_hooks.checkpoint.save_best=crowd_human/mMR")));
        assertTrue(rule.getMessage().contains("cannot infer the rule"), rule.getMessage());
    }

    @Test
    void tinyModelTrainsOnAnOdgtFileAndValidatesWithCrowdHumanMetric() throws Exception {
        Path root = CrowdHumanFiles.write(tmp.resolve("ch"));
        String pipeline = "[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true}, "
                + "{type: Resize, scale: [96, 96], keep_ratio: true}, {type: RandomFlip, prob: 0.5}, {type: PackDetInputs}]";
        String testPipeline = "[{type: LoadImageFromFile}, {type: Resize, scale: [96, 96], keep_ratio: true}, "
                + "{type: LoadAnnotations, with_bbox: true}, {type: PackDetInputs}]";
        List<String> overrides = List.of("data_root=" + root, "train_cfg.max_epochs=1", "model.bbox_head.num_classes=1",
                "train_dataloader.dataset={_delete_: true, type: CrowdHumanDataset, ann_file: annotation_train.odgt, "
                        + "data_prefix: {img: Images/}, filter_cfg: {filter_empty_gt: true, min_size: 32}, pipeline: " + pipeline + "}",
                "val_dataloader.dataset={_delete_: true, type: CrowdHumanDataset, ann_file: annotation_val.odgt, "
                        + "data_prefix: {img: Images/}, test_mode: true, pipeline: " + testPipeline + "}",
                "val_evaluator={_delete_: true, type: CrowdHumanMetric, ann_file: annotation_val.odgt, metric: [AP, MR, JI]}",
                "default_hooks.checkpoint.save_best=crowd_human/mAP"); // 'mAP' in the name: MMEngine infers 'greater'
        Config cfg = ConfigLoader.parse(TinyTrainConfig.yaml(), "tiny_crowdhuman.yaml", overrides);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainOptions opt = TrainOptions.defaults().withWorkDir(tmp.resolve("work")).withDevice("cpu");
        Trainer.Result r = new Trainer(cfg, opt, new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        String text = log.toString(StandardCharsets.UTF_8);
        assertEquals(2, r.iterations(), "3 images (filter_cfg filters nothing, as MMDetection's CrowdHumanDataset) in batches of 2: " + text);
        assertTrue(r.lastEval() instanceof CrowdHumanMetric.Result, text);
        assertEquals(List.of("crowd_human/mAP", "crowd_human/mMR", "crowd_human/JI"), List.copyOf(r.lastEval().metrics().keySet()));
        assertTrue(text.contains("crowd_human/JI: "), text);
        assertTrue(Files.readString(tmp.resolve("work/metrics.jsonl")).contains("\"crowd_human/mAP\""));
    }

    private static String det(int image, String box, double score) {
        return "{\"image_id\": " + image + ", \"category_id\": 0, \"bbox\": [" + box + "], \"score\": " + score + "}";
    }
}
