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
import autoassign.data.OpenImagesFiles;
import autoassign.eval.OpenImagesMetric;
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
 * Open Images configs: MMDetection's OpenImagesDataset / OpenImagesChallengeDataset / OpenImagesMetric lines read from
 * Python configs, {@code eval --config --results} scored by the metric (hierarchy, group-of box, image-level labels), and
 * a tiny model trained on the V6 files with OpenImagesMetric validation and {@code save_best} on its mAP.
 */
class OpenImagesConfigTest {
    @TempDir Path tmp;

    static final Path CONFIG = Path.of("src/test/resources/mmdet_configs/openimages/autoassign_r50-caffe_fpn_32xb2-1x_openimages.py");
    static final Path CHALLENGE = Path.of(
            "src/test/resources/mmdet_configs/openimages/autoassign_r50-caffe_fpn_32xb2-1x_openimages-challenge.py");

    @Test
    void mmdetectionStyleConfigReadsAndEvalScoresResultsWithOpenImagesMetric() throws Exception {
        Path root = OpenImagesFiles.write(tmp.resolve("oi"));
        Config cfg = ConfigLoader.load(CONFIG);
        DatasetConfig train = cfg.trainDataloader().dataset(), val = cfg.valDataloader().dataset();
        assertEquals("OpenImagesDataset", train.type());
        assertEquals("annotations/oidv6-train-annotations-bbox.csv", train.annFile());
        assertEquals(new DatasetConfig.OpenImages("annotations/class-descriptions-boxable.csv", "annotations/train-image-metas.pkl",
                "annotations/bbox_labels_600_hierarchy.json", null), train.openImages());
        assertEquals("annotations/validation-annotations-human-imagelabels-boxable.csv", val.openImages().imageLevelAnnFile());
        assertEquals("OpenImages/validation/", val.imgPrefix());
        assertTrue(cfg.valEvaluator().openImagesMetric() && cfg.testEvaluator().openImagesMetric());
        assertEquals(OpenImagesMetric.Params.defaults(), cfg.valEvaluator().openImages());
        assertEquals(List.of("openimages/AP50", "openimages/mAP"), cfg.valEvaluator().metricNames());
        assertEquals("openimages/mAP", cfg.runtime().saveBest());

        // Dog and Car found in img1 / img2 / img3 (each Dog also an Animal), a Car in img3 (allowed there by its image-level
        // label) scored first, a Dog in img2: dropped by filter_labels (no Dog there), but its Animal copy stays (img2's
        // image-level Animal, verified absent, still allows it) as the first Animal; img1's group-of Animals unfound
        Path dets = Files.writeString(tmp.resolve("dets.json"), "[" + String.join(", ", det(0, 1, "12, 20, 36, 40", 0.9),
                det(1, 2, "24, 10, 48, 40", 0.8), det(2, 1, "0, 0, 48, 40", 0.7), det(2, 2, "50, 40, 40, 40", 0.95),
                det(1, 1, "0, 0, 30, 30", 0.99)) + "]");
        CliRun run = CliRun.run(new EvalCommand(), "--config", CONFIG.toString(), "--data", root.toString(), "--results",
                dets.toString(), "--json", tmp.resolve("out.json").toString());
        assertEquals(0, run.code(), run.err());
        // Animal: 4 boxes (img1's group and the copy of its Dog, img3's two Dog copies), an FP then 2 found (and the unfound
        // group box, an FP of score 0): 0.5 * 2/3; Dog 2 of 3: 0.667; Car: an FP then a TP: 0.5
        String out = run.out();
        assertTrue(out.contains("---------------iou_thr, ioa_thr: 0.5, 0.5---------------"), out);
        assertTrue(out.contains("| Animal | 4   | 4    | 0.500  | 0.333 |"), out);
        assertTrue(out.contains("| Dog    | 3   | 2    | 0.667  | 0.667 |"), out);
        assertTrue(out.contains("| Car    | 1   | 2    | 1.000  | 0.500 |"), out);
        assertTrue(out.contains("openimages/AP50: 0.5000  openimages/mAP: 0.5000"), out);
        var json = new ObjectMapper().readTree(tmp.resolve("out.json").toFile());
        assertEquals(0.5, json.get("AP50").asDouble(), 0);
        assertEquals(0.3333333432674408, json.get("thresholds").get(0).get("classes").get(0).get("ap").asDouble(), 0);

        // the same detections as MMDetection's test.py --out pickle, img_id the ImageID: the same numbers
        java.util.List<Object> entries = new java.util.ArrayList<>();
        float[][] scores = {{0.9f}, {0.99f, 0.8f}, {0.7f, 0.95f}};
        long[][] labels = {{1}, {1, 2}, {1, 2}};
        float[][] boxesByImage = {{12, 20, 48, 60}, {0, 0, 30, 30, 24, 10, 72, 50}, {0, 0, 48, 40, 50, 40, 90, 80}};
        for (int i = 0; i < 3; i++) {
            java.util.Map<String, Object> pred = new java.util.LinkedHashMap<>();
            pred.put("bboxes", autoassign.io.RawTensor.ofFloats(boxesByImage[i], scores[i].length, 4));
            pred.put("scores", autoassign.io.RawTensor.ofFloats(scores[i], scores[i].length));
            pred.put("labels", autoassign.io.RawTensor.ofLongs(labels[i], labels[i].length));
            java.util.Map<String, Object> d = new java.util.LinkedHashMap<>();
            d.put("img_id", OpenImagesFiles.IDS[i]);
            d.put("pred_instances", pred);
            entries.add(d);
        }
        Path pkl = tmp.resolve("results.pkl");
        autoassign.io.PthWriter.writePickle(pkl, entries);
        CliRun fromPickle = CliRun.run(new EvalCommand(), "--config", CONFIG.toString(), "--data", root.toString(), "--results",
                pkl.toString());
        assertEquals(0, fromPickle.code(), fromPickle.err());
        assertTrue(fromPickle.out().contains("| Animal | 4   | 4    | 0.500  | 0.333 |")
                && fromPickle.out().contains("openimages/AP50: 0.5000  openimages/mAP: 0.5000"), fromPickle.out());

        // a missing meta file is a one-line error naming it
        CliRun bad = CliRun.run(new EvalCommand(), "--config", CONFIG.toString(), "--data", root.toString(), "--results",
                dets.toString(), "--cfg-options", "test_dataloader.dataset.meta_file=annotations/nope.pkl");
        assertEquals(1, bad.code());
        assertTrue(bad.err().strip().startsWith("error: ") && bad.err().contains("nope.pkl: no such file")
                && bad.err().strip().lines().count() == 1, bad.err());
    }

    @Test
    void challengeConfigReadsAndScores() throws Exception {
        Path root = OpenImagesFiles.write(tmp.resolve("oi"));
        Config cfg = ConfigLoader.load(CHALLENGE);
        assertEquals("OpenImagesChallengeDataset", cfg.trainDataloader().dataset().type());
        assertEquals("challenge2019/class_label_tree.np", cfg.valDataloader().dataset().openImages().hierarchyFile());
        assertEquals("OpenImages/", cfg.valDataloader().dataset().imgPrefix());
        assertEquals(500, cfg.model().bboxHead().numClasses());
        // every box found once; img4 (no boxes) has a Car allowed by its image-level label: a false positive, scored last
        Path dets = Files.writeString(tmp.resolve("dets.json"), "[" + String.join(", ", det(0, 1, "12, 20, 36, 40", 0.9),
                det(0, 0, "60, 10, 20, 20", 0.85), det(1, 2, "24, 10, 48, 40", 0.8), det(2, 1, "0, 0, 48, 40", 0.7),
                det(2, 1, "48, 40, 48, 40", 0.6), det(3, 2, "10, 10, 20, 20", 0.5)) + "]");
        CliRun run = CliRun.run(new EvalCommand(), "--config", CHALLENGE.toString(), "--data", root.toString(), "--results",
                dets.toString(), "--cfg-options", "model.bbox_head.num_classes=3");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("| Animal | 4   | 4    | 1.000  | 1.000 |"), run.out()); // the group box, 3 Dog copies
        assertTrue(run.out().contains("| Car    | 1   | 2    | 1.000  | 1.000 |"), run.out());
        assertTrue(run.out().contains("openimages/AP50: 1.0000  openimages/mAP: 1.0000"), run.out());
    }

    @Test
    void unsupportedSettingsAreRefused() {
        ConfigException group = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(CONFIG, List.of("val_evaluator.use_group_of=False")));
        assertTrue(group.getMessage().contains("use_group_of"), group.getMessage());
        ConfigException scale = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(CONFIG, List.of("val_evaluator.scale_ranges=[[0, 32]]")));
        assertTrue(scale.getMessage().contains("scale_ranges"), scale.getMessage());
        ConfigException count = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(CONFIG, List.of("val_evaluator.iou_thrs=[0.5, 0.75]")));
        assertTrue(count.getMessage().contains("as many as iou_thrs"), count.getMessage());
        ConfigException txt = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(CHALLENGE, List.of("val_dataloader.dataset.ann_file=boxes.csv")));
        assertTrue(txt.getMessage().contains("must be a txt file"), txt.getMessage());
        // two pairs: AP50 and AP75, then their mean
        Config two = ConfigLoader.load(CONFIG, List.of("val_evaluator.iou_thrs=[0.5, 0.75]", "val_evaluator.ioa_thrs=[0.5, 0.5]"));
        assertEquals(List.of("openimages/AP50", "openimages/AP75", "openimages/mAP"), two.valEvaluator().metricNames());
    }

    @Test
    void tinyModelTrainsOnOpenImagesAndValidatesWithOpenImagesMetric() throws Exception {
        Path root = OpenImagesFiles.write(tmp.resolve("oi"));
        String pipeline = "[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true}, "
                + "{type: Resize, scale: [96, 96], keep_ratio: true}, {type: RandomFlip, prob: 0.5}, {type: PackDetInputs}]";
        String testPipeline = "[{type: LoadImageFromFile}, {type: Resize, scale: [96, 96], keep_ratio: true}, "
                + "{type: LoadAnnotations, with_bbox: true}, {type: PackDetInputs, meta_keys: [img_id, img_path, ori_shape, "
                + "img_shape, scale_factor, instances, image_level_labels]}]";
        List<String> overrides = List.of("data_root=" + root, "train_cfg.max_epochs=1", "model.bbox_head.num_classes=3",
                "train_dataloader.dataset={_delete_: true, type: OpenImagesDataset, ann_file: annotations/oidv6-train-annotations-bbox.csv, "
                        + "data_prefix: {img: OpenImages/train/}, label_file: annotations/class-descriptions-boxable.csv, "
                        + "hierarchy_file: annotations/bbox_labels_600_hierarchy.json, meta_file: annotations/train-image-metas.pkl, "
                        + "pipeline: " + pipeline + "}",
                "val_dataloader.dataset={_delete_: true, type: OpenImagesDataset, ann_file: annotations/validation-annotations-bbox.csv, "
                        + "data_prefix: {img: OpenImages/validation/}, label_file: annotations/class-descriptions-boxable.csv, "
                        + "hierarchy_file: annotations/bbox_labels_600_hierarchy.json, meta_file: annotations/validation-image-metas.pkl, "
                        + "image_level_ann_file: annotations/validation-annotations-human-imagelabels-boxable.csv, "
                        + "pipeline: " + testPipeline + "}",
                "val_evaluator={_delete_: true, type: OpenImagesMetric, iou_thrs: 0.5, ioa_thrs: 0.5, use_group_of: true, "
                        + "get_supercategory: true}",
                "default_hooks.checkpoint.save_best=openimages/mAP"); // 'map' in the name: MMEngine infers 'greater'
        Config cfg = ConfigLoader.parse(TinyTrainConfig.yaml(), "tiny_openimages.yaml", overrides);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainOptions opt = TrainOptions.defaults().withWorkDir(tmp.resolve("work")).withDevice("cpu");
        Trainer.Result r = new Trainer(cfg, opt, new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        String text = log.toString(StandardCharsets.UTF_8);
        assertEquals(2, r.iterations(), "3 images in batches of 2: " + text);
        assertTrue(r.lastEval() instanceof OpenImagesMetric.Result, text);
        assertEquals(List.of("openimages/AP50", "openimages/mAP"), List.copyOf(r.lastEval().metrics().keySet()));
        assertTrue(text.contains("iou_thr, ioa_thr: 0.5, 0.5") && text.contains("| Animal "), text);
        assertTrue(text.contains("openimages/mAP: "), text);
        assertTrue(Files.readString(tmp.resolve("work/metrics.jsonl")).contains("\"openimages/mAP\""));
    }

    private static String det(int image, int label, String box, double score) {
        return "{\"image_id\": " + image + ", \"category_id\": " + label + ", \"bbox\": [" + box + "], \"score\": " + score + "}";
    }

    /**
     * {@code image-metas CFG} (MMDetection's tools/misc/get_image_metas.py) writes the meta_file the dataset reads: the
     * V6 csv's images in order (runs of one ImageID), the challenge txt's (name, a line, the count, the boxes), each
     * decoded for its (h, w, 3); the datasets then load from them. Bad input: one line naming the file.
     */
    @Test
    void imageMetasWritesTheMetaFileTheDatasetReads() throws Exception {
        Path root = OpenImagesFiles.write(tmp.resolve("metas"));
        Path v6 = root.resolve("annotations/validation-image-metas.pkl"), ch = root.resolve("challenge2019/challenge-2019-validation-metas.pkl");
        Files.delete(v6);
        Files.delete(ch);
        CliRun run = CliRun.run(new autoassign.cli.ImageMetasCommand(), CONFIG.toString(), "--data-root", root.toString());
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("Processing 3 images...") && run.out().contains("Image meta file save to: " + v6), run.out());
        var metas = (List<?>) autoassign.io.PthReader.readPickle(v6);
        assertEquals(3, metas.size());
        var first = (java.util.Map<?, ?>) metas.get(0);
        assertEquals(List.of("filename", "ori_shape"), first.keySet().stream().map(Object::toString).toList());
        assertEquals(root.resolve("OpenImages/validation/img1.jpg").toString(), first.get("filename"));
        assertEquals(List.of((long) OpenImagesFiles.H, (long) OpenImagesFiles.W, 3L), first.get("ori_shape"));
        Config cfg = ConfigLoader.load(CONFIG).withDataRoot(root.toString());
        assertEquals(3, DataSources.load(cfg, false, null, new autoassign.data.DataIssues("val")).size(), "the dataset loads from it");

        CliRun chRun = CliRun.run(new autoassign.cli.ImageMetasCommand(), CHALLENGE.toString(), "--data-root", root.toString(),
                "--out", "challenge-2019-validation-metas.pkl", "--nproc", "2");
        assertEquals(0, chRun.code(), chRun.err());
        assertEquals(4, ((List<?>) autoassign.io.PthReader.readPickle(ch)).size(), "img4 has no boxes and is listed too");
        Config chCfg = ConfigLoader.load(CHALLENGE).withDataRoot(root.toString());
        assertEquals(4, DataSources.load(chCfg, false, null, new autoassign.data.DataIssues("val")).size());

        CliRun badOut = CliRun.run(new autoassign.cli.ImageMetasCommand(), CONFIG.toString(), "--out", "metas.json");
        assertEquals(1, badOut.code());
        assertEquals("error: --out metas.json: the output file name must have a pkl suffix", badOut.err().strip());
        Files.delete(root.resolve("OpenImages/validation/img2.jpg"));
        CliRun missing = CliRun.run(new autoassign.cli.ImageMetasCommand(), CONFIG.toString(), "--data-root", root.toString());
        assertEquals(1, missing.code());
        assertEquals("error: " + root.resolve("OpenImages/validation/img2.jpg") + ": image file not found", missing.err().strip());
    }
}
