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
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.LvisFiles;
import autoassign.eval.CocoDetections;
import autoassign.eval.LvisEvalResult;
import autoassign.eval.LvisEvaluator;
import autoassign.eval.LvisGroundTruth;
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
 * LVIS configs: MMDetection's {@code _base_/datasets/lvis_v1_instance.py} (over lvis_v0.5_instance.py) read from Python
 * under an AutoAssign config, {@code eval --config --results} scored by LVISMetric, and a tiny model trained on an LVIS
 * file with LVISMetric validation.
 */
class LvisConfigTest {
    @TempDir Path tmp;

    static final Path LVIS_CONFIG = Path.of("src/test/resources/mmdet_configs/lvis/autoassign_r50-caffe_fpn_1x_lvis-v1.py");

    @Test
    void mmdetectionsLvisV1BaseReadsAndEvalScoresResultsWithLvisMetric() throws Exception {
        Path root = LvisFiles.write(tmp.resolve("lvis_v1"));
        Config cfg = ConfigLoader.load(LVIS_CONFIG);
        DatasetConfig train = cfg.trainDataloader().dataset();
        assertEquals("LVISV1Dataset", train.type());
        assertEquals(List.of(new DatasetConfig.Wrapper("ClassBalancedDataset", 1, 1e-3)), train.wrappers());
        assertEquals("annotations/lvis_v1_train.json", train.annFile());
        assertTrue(cfg.valEvaluator().lvis() && cfg.testEvaluator().lvis());
        assertEquals("data/lvis_v1/annotations/lvis_v1_val.json", cfg.valEvaluator().annFile());
        assertEquals(1203, cfg.model().bboxHead().numClasses());
        // the test set as MMDetection's LVISV1Dataset reads it (metainfo classes: the file's 4 here)
        Config small = ConfigLoader.load(LVIS_CONFIG, List.of("model.bbox_head.num_classes=4",
                "val_dataloader.dataset.metainfo={classes: [cat_c3, cat_r1, cat_f7, cat_f2]}",
                "test_dataloader.dataset.metainfo={classes: [cat_c3, cat_r1, cat_f7, cat_f2]}"));
        CocoDataset test = DataSources.loadTest(small.withDataRoot(root.toString()), null, new DataIssues("test"));
        assertEquals(3, test.size());

        // detections: a hit and a miss of cat_c3 on 11, a hit of cat_f2 on 5, an unmatched cat_f7 on 11 (not exhaustive:
        // ignored), a cat_r1 on 8 (neither present nor negative there: dropped), a cat_f7 on 8 (negative: a false positive)
        Path dets = Files.writeString(tmp.resolve("dets.json"), "[" + String.join(", ",
                det(11, 3, "10, 10, 40, 30", 0.9), det(11, 3, "60, 0, 20, 20", 0.8), det(5, 2, "40, 30, 50, 60", 0.7),
                det(11, 7, "0, 60, 20, 20", 0.95), det(8, 1, "5, 5, 20, 20", 0.99), det(8, 7, "0, 0, 30, 30", 0.6)) + "]");
        List<String> args = List.of("--config", LVIS_CONFIG.toString(), "--data", root.toString(), "--results", dets.toString(),
                "--json", tmp.resolve("out.json").toString(), "--cfg-options", "model.bbox_head.num_classes=4",
                "val_dataloader.dataset.metainfo={classes: [cat_c3, cat_r1, cat_f7, cat_f2]}",
                "test_dataloader.dataset.metainfo={classes: [cat_c3, cat_r1, cat_f7, cat_f2]}");
        CliRun run = CliRun.run(new EvalCommand(), args.toArray(String[]::new));
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=300 catIds=all] = "), run.out());

        // the same numbers as LvisEvaluator (checked against lvis-api by LvisEvalGoldenTest) on the files
        LvisGroundTruth gt = LvisGroundTruth.read(root.resolve("annotations/lvis_v1_val.json"));
        LvisEvalResult direct = LvisEvaluator.evaluate(gt, CocoDetections.read(dets, gt.coco()), false);
        var json = new ObjectMapper().readTree(tmp.resolve("out.json").toFile());
        for (String k : LvisEvalResult.NAMES) assertEquals(direct.results().get(k), json.get("results").get(k).asDouble(), 0, k);
        // by hand: cat_c3 AP 1 at every IoU (the miss scores lower), cat_f2 1, cat_r1 (GT on 5, no detection) 0, cat_f7 on
        // 11 not matched by a detection of its own (the 0.95 one is ignored), its 0.6 false positive on 8: AP 0
        assertEquals(0.5, json.get("results").get("AP").asDouble(), 1e-12);
        assertEquals(0.0, json.get("results").get("APr").asDouble(), 1e-12);
        assertEquals(1.0, json.get("results").get("APc").asDouble(), 1e-12);
        assertEquals(0.5, json.get("results").get("APf").asDouble(), 1e-12);

        // a detection on an image the ground truth lacks stops LVISResults: one line
        Path bad = Files.writeString(tmp.resolve("bad.json"), "[" + det(99, 3, "1, 1, 5, 5", 0.5) + "]");
        CliRun badRun = CliRun.run(new EvalCommand(), "--ann", root.resolve("annotations/lvis_v1_val.json").toString(),
                "--results", bad.toString(), "--metric", "lvis");
        assertEquals(1, badRun.code());
        assertTrue(badRun.err().strip().startsWith("error: ") && badRun.err().strip().lines().count() == 1, badRun.err());
        // eval --ann --results --metric lvis gives the same numbers
        CliRun files = CliRun.run(new EvalCommand(), "--ann", root.resolve("annotations/lvis_v1_val.json").toString(),
                "--results", dets.toString(), "--metric", "lvis");
        assertEquals(0, files.code(), files.err());
        assertEquals(run.out().lines().filter(l -> l.contains("@[")).toList(), files.out().lines().filter(l -> l.contains("@[")).toList());
    }

    @Test
    void masksAndSegmMetricsAreRefused() {
        ConfigException mask = assertThrows(ConfigException.class, () -> ConfigLoader.load(LVIS_CONFIG,
                List.of("train_dataloader.dataset.dataset.pipeline=[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true, "
                        + "with_mask: true}, {type: PackDetInputs}]")));
        assertTrue(mask.getMessage().contains("with_mask: instance masks are not supported"), mask.getMessage());
        ConfigException segm = assertThrows(ConfigException.class, () -> ConfigLoader.load(LVIS_CONFIG,
                List.of("val_evaluator.metric=[bbox, segm]")));
        assertTrue(segm.getMessage().contains("only bbox is supported"), segm.getMessage());
        ConfigException item = assertThrows(ConfigException.class, () -> ConfigLoader.load(LVIS_CONFIG,
                List.of("val_evaluator.metric_items=[AP, mAP]")));
        assertTrue(item.getMessage().contains("unknown item"), item.getMessage());
    }

    @Test
    void tinyModelTrainsOnAnLvisFileAndValidatesWithLvisMetric() throws Exception {
        Path root = LvisFiles.write(tmp.resolve("lvis_v1"));
        String classes = "metainfo: {classes: [cat_c3, cat_r1, cat_f7, cat_f2]}, ";
        String pipeline = "[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true}, "
                + "{type: Resize, scale: [96, 96], keep_ratio: true}, {type: RandomFlip, prob: 0.5}, {type: PackDetInputs}]";
        String testPipeline = "[{type: LoadImageFromFile}, {type: Resize, scale: [96, 96], keep_ratio: true}, "
                + "{type: LoadAnnotations, with_bbox: true}, {type: PackDetInputs}]";
        List<String> overrides = List.of("data_root=" + root, "train_cfg.max_epochs=1",
                "train_dataloader.dataset={_delete_: true, type: ClassBalancedDataset, oversample_thr: 0.001, dataset: {"
                        + "type: LVISV1Dataset, ann_file: annotations/lvis_v1_val.json, data_prefix: {img: ''}, "
                        + "filter_cfg: {filter_empty_gt: true, min_size: 32}, " + classes + "pipeline: " + pipeline + "}}",
                "val_dataloader.dataset={_delete_: true, type: LVISV1Dataset, ann_file: annotations/lvis_v1_val.json, "
                        + "data_prefix: {img: ''}, test_mode: true, " + classes + "pipeline: " + testPipeline + "}",
                "val_evaluator={_delete_: true, type: LVISMetric, ann_file: annotations/lvis_v1_val.json, metric: bbox, classwise: true}",
                "default_hooks.checkpoint.save_best=lvis/bbox_AP", "default_hooks.checkpoint.rule=greater"); // MMEngine infers none for it
        Config cfg = ConfigLoader.parse(TinyTrainConfig.yaml(), "tiny_lvis.yaml", overrides);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainOptions opt = TrainOptions.defaults().withWorkDir(tmp.resolve("work")).withDevice("cpu");
        Trainer.Result r = new Trainer(cfg, opt, new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        String text = log.toString(StandardCharsets.UTF_8);
        assertEquals(1, r.iterations(), "images 11 and 5 (8 has no box) in one batch of 2: " + text);
        assertTrue(r.lastEval() instanceof LvisEvalResult, text);
        assertTrue(r.lastEval().reportedMetrics().containsKey("lvis/cat_c3_precision"), r.lastEval().reportedMetrics().toString());
        assertTrue(text.contains(" Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=300 catIds=all] = "), text);
        assertTrue(text.contains("| category | AP"), "the classwise table: " + text);
    }

    /**
     * From a bad-input pass: a --json that cannot be written (LVIS, VOC: one helper) says why (it gave a bare path), after
     * the printed numbers, with exit code 1.
     */
    @Test
    void aJsonUnderAFileSaysWhyItCannotBeWritten() throws Exception {
        Path root = LvisFiles.write(tmp.resolve("lvis_v1"));
        Path ann = root.resolve("annotations/lvis_v1_val.json");
        Path dets = Files.writeString(tmp.resolve("dets.json"), "[" + det(11, 3, "10, 10, 40, 30", 0.9) + "]");
        Path file = Files.writeString(tmp.resolve("file"), "");
        Path json = file.resolve("out.json");
        for (String metric : List.of("lvis", "voc")) {
            CliRun r = CliRun.run(new EvalCommand(), "--ann", ann.toString(), "--results", dets.toString(), "--metric", metric,
                    "--json", json.toString());
            assertEquals(1, r.code(), r.err());
            assertEquals("error: " + json + ": cannot write: " + file.toAbsolutePath() + ": exists and is not a folder", r.err().strip());
            assertTrue(r.out().contains("AP"), r.out());
        }
    }

    private static String det(int image, int category, String box, double score) {
        return "{\"image_id\": " + image + ", \"category_id\": " + category + ", \"bbox\": [" + box + "], \"score\": " + score + "}";
    }
}
