package autoassign.train;

import autoassign.cli.CliRun;
import autoassign.cli.EvalCommand;
import autoassign.cli.Voc2CocoCommand;
import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.config.DatasetConfig;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.VocDevkit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code VOCDataset} configs: MMDetection's {@code _base_/datasets/voc0712.py} (RepeatDataset × 3 of VOC2007 + VOC2012
 * trainval, VOC2007 test with VOCMetric) read from the Python config, scored as its converted COCO json is, and a tiny
 * model trained on VOC files.
 */
class VocDatasetTest {
    @TempDir Path tmp;

    static final Path VOC_CONFIG = Path.of("src/test/resources/mmdet_configs/pascal_voc/autoassign_r50-caffe_fpn_1x_voc0712.py");

    @Test
    void mmdetectionsVoc0712ConfigLoadsBothYearsAndItsTestSet() throws Exception {
        Path devkit = VocDevkit.write(tmp.resolve("VOCdevkit"));
        Config cfg = ConfigLoader.load(VOC_CONFIG);
        DatasetConfig train = cfg.trainDataloader().dataset();
        assertEquals(List.of(new DatasetConfig.Wrapper("RepeatDataset", 3, 0)), train.wrappers());
        assertEquals(2, train.datasets().size());
        assertEquals(new DatasetConfig.Xml("VOC2012/", "JPEGImages", "Annotations", 32), train.datasets().get(1).xml());
        CocoDataset d = DataSources.load(cfg, true, devkit.toString(), new DataIssues("train"));
        // VOC2007: 000003 (no object of a class) and 000005 (20 px high) filtered out; then VOC2012's image
        assertEquals(List.of("000001", "000002", "000004", "2008_000001"),
                d.images().stream().map(r -> Path.of(r.fileName()).getFileName().toString().replace(".jpg", "")).toList());
        assertEquals(devkit.resolve("VOC2012/JPEGImages/2008_000001.jpg"), d.imagePath(d.get(3)));
        assertEquals(12, train.entries(d).length, "repeated 3 times");
        assertArrayEquals(new float[] {19, 4, 49, 59, 4, 4, 14, 19}, d.get(0).crowdBoxes(), "difficult person, and the cat under bbox_min_size 32");
        assertEquals(20, d.numClasses());
        CocoDataset test = DataSources.loadTest(cfg, devkit.toString(), new DataIssues("test"));
        assertEquals(3, test.size());
        assertTrue(cfg.testEvaluator().voc());
        assertEquals(20, cfg.model().bboxHead().numClasses());
    }

    @Test
    void evalMetricOnTheVocTestSetEqualsItsConvertedJson() throws Exception {
        Path devkit = VocDevkit.write(tmp.resolve("VOCdevkit"));
        // category ids are the labels (voc2coco numbers the 20 classes from 0 as well): dog 11, person 14, car 6
        Path dets = Files.writeString(tmp.resolve("dets.json"), "["
                + det(1, 11, "5, 4, 44, 46", 0.9) + ", " + det(1, 14, "40, 30, 48, 62", 0.8) + ", " + det(1, 6, "0, 59, 29, 30", 0.7)
                + ", " + det(1, 11, "60, 60, 20, 20", 0.6) + ", " + det(2, 14, "9, 3, 30, 56", 0.5) + ", "
                + det(2, 14, "0, 0, 10, 10", 0.95) + ", " + det(0, 11, "2, 2, 57, 42", 0.4) + "]");
        CliRun fromConfig = CliRun.run(new EvalCommand(), "--config", VOC_CONFIG.toString(), "--data", devkit.toString(),
                "--results", dets.toString(), "--json", tmp.resolve("a.json").toString());
        assertEquals(0, fromConfig.code(), fromConfig.err());
        Files.delete(devkit.resolve("VOC2007/ImageSets/Main/trainval.txt")); // its unicorn stops MMDetection's converter
        CliRun convert = CliRun.run(new Voc2CocoCommand(), devkit.toString(), "--out", tmp.resolve("coco").toString());
        assertEquals(0, convert.code(), convert.err());
        CliRun fromJson = CliRun.run(new EvalCommand(), "--ann", tmp.resolve("coco/voc07_test.json").toString(), "--results",
                dets.toString(), "--metric", "voc", "--eval-mode", "11points", "--json", tmp.resolve("b.json").toString());
        assertEquals(0, fromJson.code(), fromJson.err());
        String a = Files.readString(tmp.resolve("a.json")), b = Files.readString(tmp.resolve("b.json"));
        // by hand, 11-point AP: dog 6/11 (TP 0.9, FP 0.6, the 0.4 on a difficult dog ignored), person 2/3 (FP, TP, TP)
        assertEquals((6 / 11.0 + 2 / 3.0) / 2, new com.fasterxml.jackson.databind.ObjectMapper().readTree(a).get("mAP").asDouble(), 1e-6, a);
        assertEquals(b, a);
    }

    private static String det(int image, int category, String box, double score) {
        return "{\"image_id\": " + image + ", \"category_id\": " + category + ", \"bbox\": [" + box + "], \"score\": " + score + "}";
    }

    @Test
    void tinyModelTrainsAndValidatesOnVocFiles() throws Exception {
        Path devkit = VocDevkit.write(tmp.resolve("VOCdevkit"));
        String classes = "metainfo: {classes: [dog, person, car, cat]}, ";
        String pipeline = "[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true}, "
                + "{type: Resize, scale: [96, 96], keep_ratio: true}, {type: RandomFlip, prob: 0.5}, {type: PackDetInputs}]";
        String testPipeline = "[{type: LoadImageFromFile}, {type: Resize, scale: [96, 96], keep_ratio: true}, "
                + "{type: LoadAnnotations, with_bbox: true}, {type: PackDetInputs}]";
        List<String> overrides = List.of("data_root=" + devkit, "train_cfg.max_epochs=1",
                "train_dataloader.dataset={_delete_: true, type: VOCDataset, ann_file: VOC2007/ImageSets/Main/trainval.txt, "
                        + "data_prefix: {sub_data_root: VOC2007/}, filter_cfg: {filter_empty_gt: true}, " + classes
                        + "pipeline: " + pipeline + "}",
                "val_dataloader.dataset={_delete_: true, type: VOCDataset, ann_file: VOC2007/ImageSets/Main/test.txt, "
                        + "data_prefix: {sub_data_root: VOC2007/}, test_mode: true, " + classes + "pipeline: " + testPipeline + "}",
                "val_evaluator={_delete_: true, type: VOCMetric, metric: mAP, eval_mode: 11points}");
        Config cfg = ConfigLoader.parse(TinyTrainConfig.yaml(), "tiny_voc.yaml", overrides);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainOptions opt = TrainOptions.defaults().withWorkDir(tmp.resolve("work")).withDevice("cpu");
        Trainer.Result r = new Trainer(cfg, opt, new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        String text = log.toString(StandardCharsets.UTF_8);
        assertEquals(2, r.iterations(), "000001, 000002, 000004 and 000005 in batches of 2: " + text);
        assertTrue(Double.isFinite(r.lastLoss()), text);
        assertTrue(r.lastEval() instanceof autoassign.eval.VocMap.Result, text);
        assertTrue(text.contains("| dog    |     2 |"), "VOC's table over the 3 test images, difficult dog not counted: " + text);

        ConfigException noClasses = assertThrows(ConfigException.class, () -> ConfigLoader.parse(TinyTrainConfig.yaml(), "t.yaml",
                List.of("train_dataloader.dataset={_delete_: true, type: XMLDataset, ann_file: a.txt, pipeline: " + pipeline + "}")));
        assertTrue(noClasses.getMessage().contains("an XMLDataset needs metainfo.classes"), noClasses.getMessage());
        ConfigException testMode = assertThrows(ConfigException.class, () -> ConfigLoader.parse(TinyTrainConfig.yaml(), "t.yaml",
                List.of("val_dataloader.dataset={_delete_: true, type: VOCDataset, ann_file: a.txt, test_mode: true, "
                        + "filter_cfg: {bbox_min_size: 32}, pipeline: " + testPipeline + "}")));
        assertTrue(testMode.getMessage().contains("bbox_min_size: marks small objects ignored in training"), testMode.getMessage());
    }
}
