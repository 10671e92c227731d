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
        assertEquals(new DatasetConfig.Xml("VOC2012/", "JPEGImages", "Annotations", 32.0, false), train.datasets().get(1).xml());
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

        // the same detections as MMDetection's test.py --out pickle of a VOC test set: img_id is the image's name
        List<autoassign.eval.DetResultsPickle.Entry> entries = List.of(
                entry("000006", new float[] {5, 4, 49, 50, 40, 30, 88, 92, 0, 59, 29, 89, 60, 60, 80, 80},
                        new float[] {0.9f, 0.8f, 0.7f, 0.6f}, new int[] {11, 14, 6, 11}),
                entry("000007", new float[] {9, 3, 39, 59, 0, 0, 10, 10}, new float[] {0.5f, 0.95f}, new int[] {14, 14}),
                entry("000004", new float[] {2, 2, 59, 44}, new float[] {0.4f}, new int[] {11}));
        autoassign.eval.DetResultsPickle.write(tmp.resolve("dets.pkl"), entries);
        CliRun fromPickle = CliRun.run(new EvalCommand(), "--config", VOC_CONFIG.toString(), "--data", devkit.toString(),
                "--results", tmp.resolve("dets.pkl").toString(), "--json", tmp.resolve("c.json").toString());
        assertEquals(0, fromPickle.code(), fromPickle.err());
        assertEquals(a, Files.readString(tmp.resolve("c.json")));
        autoassign.eval.DetResultsPickle.write(tmp.resolve("bad.pkl"), List.of(entry("000099", new float[0], new float[0], new int[0])));
        CliRun bad = CliRun.run(new EvalCommand(), "--config", VOC_CONFIG.toString(), "--data", devkit.toString(),
                "--results", tmp.resolve("bad.pkl").toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().strip().endsWith("results[0]: img_id '000099' is not an image of the test set"), bad.err());
    }

    private static autoassign.eval.DetResultsPickle.Entry entry(String name, float[] boxes, float[] scores, int[] labels) {
        autoassign.data.ImageMeta meta = new autoassign.data.ImageMeta(-1, name, 0, 96, 96, 96, 96, 1, 1, false, 96, 96);
        return new autoassign.eval.DetResultsPickle.Entry(meta, name + ".jpg", new int[] {96, 96},
                new autoassign.postprocess.Detections(boxes, scores, labels), name);
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
        assertTrue(text.contains("| dog    | 2   |"), "VOC's table over the 3 test images, difficult dog not counted: " + text);

        // eval --out names the images as MMDetection's VOCDataset (img_id '000004', ...), and such a pickle reads back
        Path yaml = Files.writeString(tmp.resolve("tiny_voc.yaml"), TinyTrainConfig.yaml());
        List<String> args = new java.util.ArrayList<>(List.of("--config", yaml.toString(), "--checkpoint",
                tmp.resolve("work/epoch_1.safetensors").toString(), "--device", "cpu", "--out", tmp.resolve("r.pkl").toString(),
                "--json", tmp.resolve("run.json").toString(), "--cfg-options"));
        args.addAll(overrides);
        CliRun eval = CliRun.run(new EvalCommand(), args.toArray(String[]::new));
        assertEquals(0, eval.code(), eval.err());
        List<?> images = (List<?>) autoassign.io.PthReader.readPickle(tmp.resolve("r.pkl"));
        assertEquals(List.of("000004", "000006", "000007"), images.stream().map(d -> ((java.util.Map<?, ?>) d).get("img_id")).toList());
        List<String> again = new java.util.ArrayList<>(List.of("--config", yaml.toString(), "--results", tmp.resolve("r.pkl").toString(),
                "--json", tmp.resolve("again.json").toString(), "--cfg-options"));
        again.addAll(overrides);
        CliRun reread = CliRun.run(new EvalCommand(), again.toArray(String[]::new));
        assertEquals(0, reread.code(), reread.err());
        assertEquals(Files.readString(tmp.resolve("run.json")), Files.readString(tmp.resolve("again.json")));

        ConfigException noClasses = assertThrows(ConfigException.class, () -> ConfigLoader.parse(TinyTrainConfig.yaml(), "t.yaml",
                List.of("train_dataloader.dataset={_delete_: true, type: XMLDataset, ann_file: a.txt, pipeline: " + pipeline + "}")));
        assertTrue(noClasses.getMessage().contains("an XMLDataset needs metainfo.classes"), noClasses.getMessage());
        ConfigException testMode = assertThrows(ConfigException.class, () -> ConfigLoader.parse(TinyTrainConfig.yaml(), "t.yaml",
                List.of("val_dataloader.dataset={_delete_: true, type: VOCDataset, ann_file: a.txt, test_mode: true, "
                        + "filter_cfg: {bbox_min_size: 32}, pipeline: " + testPipeline + "}")));
        assertTrue(testMode.getMessage().contains("bbox_min_size: marks small objects ignored in training"), testMode.getMessage());
    }
}
