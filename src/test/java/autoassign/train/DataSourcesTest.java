package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.cli.CliErrors;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** filter_cfg and test_mode as MMDetection's CocoDataset.filter_data, and a dataset's own data_root. */
class DataSourcesTest {
    @TempDir Path tmp;

    /** Image 1: no annotation; image 2: 20 px high, annotated; image 3: 64 × 64, annotated. */
    private Path data() throws Exception {
        Path root = tmp.resolve("coco");
        Files.createDirectories(root.resolve("images"));
        Files.createDirectories(root.resolve("annotations"));
        Files.writeString(root.resolve("annotations/instances.json"), """
                {"images": [{"id": 1, "file_name": "1.png", "width": 64, "height": 64},
                            {"id": 2, "file_name": "2.png", "width": 64, "height": 20},
                            {"id": 3, "file_name": "3.png", "width": 64, "height": 64}],
                 "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}, {"id": 4, "name": "d"}],
                 "annotations": [{"id": 1, "image_id": 2, "category_id": 1, "bbox": [1, 1, 10, 10], "area": 100, "iscrowd": 0},
                                 {"id": 2, "image_id": 3, "category_id": 2, "bbox": [1, 1, 10, 10], "area": 100, "iscrowd": 0}]}
                """);
        return root;
    }

    private static String dataset(String split, String extra) {
        return split + "_dataloader.dataset={_delete_: true, type: CocoDataset, ann_file: annotations/instances.json, "
                + "data_prefix: {img: images/}, metainfo: {classes: [a, b, c, d]}, " + extra + "pipeline: [{type: LoadImageFromFile}, {type: LoadAnnotations, "
                + "with_bbox: true}, {type: Resize, scale: [64, 64], keep_ratio: true}, {type: PackDetInputs}]}";
    }

    private static List<Long> ids(CocoDataset d) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < d.size(); i++) out.add(d.get(i).id());
        return out;
    }

    @Test
    void minSizeFiltersWithoutFilterEmptyGtAndTestModeFiltersNothing() throws Exception {
        Path root = data();
        Config cfg = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of("data_root=" + root,
                dataset("train", "filter_cfg: {filter_empty_gt: false, min_size: 32}, "),
                dataset("val", "test_mode: false, filter_cfg: {filter_empty_gt: true, min_size: 0}, ")));
        assertEquals(List.of(1L, 3L), ids(DataSources.load(cfg, true, null, new DataIssues("train"))), "min_size alone");
        assertEquals(List.of(2L, 3L), ids(DataSources.load(cfg, false, null, new DataIssues("val"))), "val outside test mode");
        Config testMode = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of("data_root=" + root,
                dataset("train", "test_mode: true, filter_cfg: {filter_empty_gt: true, min_size: 32}, ")));
        assertEquals(List.of(1L, 2L, 3L), ids(DataSources.load(testMode, true, null, new DataIssues("train"))));
    }

    @Test
    void withoutMetainfoClassesTheCocoNamesAreAssumedAsMmdetectionDoes() throws Exception {
        // MMDetection's CocoDataset then takes COCO's 80 names and leaves this file's a, b, c, d out: refused in one line
        Path root = data();
        Config cfg = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of("data_root=" + root,
                dataset("val", "").replace("metainfo: {classes: [a, b, c, d]}, ", "")));
        CliErrors.UserError e = assertThrows(CliErrors.UserError.class, () -> DataSources.load(cfg, false, null, new DataIssues("val")));
        assertTrue(e.getMessage().contains("val_dataloader.dataset.metainfo.classes is not set, so MMDetection's CocoDataset takes"
                + " COCO's 80 class names, and categories [a, b, c, d] of this file are not among them"), e.getMessage());
    }

    @Test
    void aDatasetsOwnDataRootServesWhenThereIsNoTopLevelOneAndIsReportedOtherwise() throws Exception {
        Path root = data();
        Config own = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of("data_root=None",
                dataset("train", "data_root: " + root + ", ")));
        assertEquals(3, DataSources.load(own, true, null, new DataIssues("train")).size());
        List<String> said = new ArrayList<>();
        Config both = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of("data_root=" + root,
                dataset("train", "data_root: /elsewhere, ")));
        assertEquals(3, DataSources.load(both, true, null, new DataIssues("train", said::add, 5)).size());
        assertTrue(said.stream().anyMatch(s -> s.contains("train_dataloader.dataset.data_root '/elsewhere' is not used")), said.toString());
    }

    @Test
    void theTrainLoaderFollowsTheSamplerAndBatchSampler() {
        Config grouped = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of());
        var lo = Trainer.trainLoader(grouped, 4, 0, 0);
        assertTrue(lo.shuffle() && lo.groupByAspect());
        Config plain = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of("train_dataloader.sampler.shuffle=false",
                "train_dataloader.batch_sampler=None"));
        var lp = Trainer.trainLoader(plain, 4, 0, 0);
        assertTrue(!lp.shuffle() && !lp.groupByAspect(), "no shuffle, plain batches in sampler order");
    }

    @Test
    void aCocoMetricWithoutAnnFileScoresTheDatasetsOwnInstancesOnItsImages() throws Exception {
        // CocoMetric: with ann_file, every image of the file (get_img_ids()); without, gt_to_coco_json of the images run
        Path root = data();
        Config noFile = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of("data_root=" + root,
                dataset("val", "indices: [2], "), "val_evaluator={_delete_: true, type: CocoMetric}"));
        CocoDataset val = DataSources.load(noFile, false, null, new DataIssues("val"));
        autoassign.eval.CocoGroundTruth own = DataSources.groundTruth(noFile, noFile.valDataloader(), noFile.valEvaluator(), null, val);
        assertEquals(List.of(3L), java.util.Arrays.stream(own.imageIds()).boxed().toList());
        assertEquals(1, own.annotations().size());
        var a = own.annotations().get(0);
        assertEquals(List.of(2L, 1.0, 1.0, 10.0, 10.0, 100.0), List.of(a.categoryId(), a.x(), a.y(), a.w(), a.h(), a.area()));
        Config withFile = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of("data_root=" + root,
                dataset("val", "indices: [2], "), "val_evaluator={_delete_: true, type: CocoMetric, ann_file: annotations/instances.json}"));
        autoassign.eval.CocoGroundTruth file = DataSources.groundTruth(withFile, withFile.valDataloader(), withFile.valEvaluator(), null, val);
        assertEquals(List.of(1L, 2L, 3L), java.util.Arrays.stream(autoassign.eval.DatasetEvaluation.scope(file, val).imageIds())
                .boxed().toList(), "every image of the file");
    }

    @Test
    void theEvaluatorsAnnFileIsWhatIsScoredWhenItExists() throws Exception {
        Path root = data();
        Files.copy(root.resolve("annotations/instances.json"), root.resolve("annotations/other.json"));
        Config cfg = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of("data_root=" + root, dataset("val", ""),
                "val_evaluator={_delete_: true, type: CocoMetric, ann_file: annotations/other.json}"));
        List<String> said = new ArrayList<>();
        CocoDataset val = DataSources.load(cfg, false, null, new DataIssues("val", said::add, 5));
        assertEquals(root.resolve("annotations/other.json"),
                DataSources.groundTruthFile(cfg, cfg.valDataloader(), cfg.valEvaluator(), null, val));
        Config missing = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of("data_root=" + root, dataset("val", ""),
                "val_evaluator={_delete_: true, type: CocoMetric, ann_file: annotations/absent.json}"));
        assertTrue(said.isEmpty(), said.toString());
        assertEquals(val.annotationFile(), DataSources.groundTruthFile(missing, missing.valDataloader(), missing.valEvaluator(), null, val),
                "a missing evaluator file falls back to the dataset's, with a warning");
        assertEquals(1, said.size(), said.toString());
        assertTrue(said.get(0).startsWith("warning: the evaluator's ann_file annotations/absent.json is not found"), said.get(0));
        // MMDetection's Python configs write the evaluator's file as data_root + 'annotations/...': a path as written
        Config written = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of("data_root=" + root, dataset("val", ""),
                "val_evaluator={_delete_: true, type: CocoMetric, ann_file: " + root.resolve("annotations/other.json") + "}"));
        assertEquals(root.resolve("annotations/other.json"),
                DataSources.groundTruthFile(written, written.valDataloader(), written.valEvaluator(), null, val));
        // a configured dataset file that is missing: the layout found under the data root, said
        List<String> found = new ArrayList<>();
        Files.copy(root.resolve("annotations/instances.json"), root.resolve("annotations/instances_val.json"));
        Config moved = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of("data_root=" + root,
                dataset("val", "").replace("annotations/instances.json", "annotations/gone.json")));
        assertEquals(root.resolve("annotations/instances_val.json"),
                DataSources.load(moved, false, null, new DataIssues("val", found::add, 5)).annotationFile());
        assertTrue(found.stream().anyMatch(l -> l.startsWith("warning: val_dataloader.dataset.ann_file annotations/gone.json")
                && l.endsWith(root.resolve("annotations/instances_val.json").toString())), found.toString());
        // only the dataset names a data root: the evaluator's file resolves against it too, as the dataset's files do
        Config own = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of("data_root=None",
                dataset("val", "data_root: " + root + ", "),
                "val_evaluator={_delete_: true, type: CocoMetric, ann_file: annotations/other.json}"));
        CocoDataset ownVal = DataSources.load(own, false, null, new DataIssues("val"));
        assertEquals(root.resolve("annotations/other.json"),
                DataSources.groundTruthFile(own, own.valDataloader(), own.valEvaluator(), null, ownVal));
    }
}
