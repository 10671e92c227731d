package autoassign.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import autoassign.config.DatasetConfig;

import static org.junit.jupiter.api.Assertions.*;

class ConfigLoaderTest {
    static final Path R50 = Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml");
    static final Path TINY = Path.of("configs/autoassign_tiny_synthetic.yaml");
    static final Path COCO128 = Path.of("configs/autoassign_r18_coco128.yaml");

    static String r50Text() throws Exception { return Files.readString(R50); }

    /** The R50 file with overrides, under a fixed source name. */
    static ConfigException fails(String... overrides) throws Exception {
        return assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(r50Text(), "configs/x.yaml", List.of(overrides)));
    }

    @Test
    void everyShippedConfigLoads() throws Exception {
        try (var files = Files.list(Path.of("configs"))) {
            List<Path> all = files.filter(p -> p.toString().endsWith(".yaml")).toList();
            assertTrue(all.size() >= 3, "configs: " + all);
            for (Path p : all) assertNotNull(ConfigLoader.load(p), p.toString());
        }
    }

    @Test
    void r50ConfigHoldsTheSpecConstants() {
        Config c = ConfigLoader.load(R50);
        ModelConfig m = c.model();
        assertEquals(List.of(102.9801, 115.9465, 122.7717), m.dataPreprocessor().mean());
        assertEquals(List.of(1.0, 1.0, 1.0), m.dataPreprocessor().std());
        assertFalse(m.dataPreprocessor().bgrToRgb());
        assertEquals(32, m.dataPreprocessor().padSizeDivisor());
        assertEquals(0.0, m.dataPreprocessor().padValue());

        BackboneConfig b = m.backbone();
        assertEquals(50, b.depth());
        assertEquals("caffe", b.style());
        assertEquals(1, b.frozenStages());
        assertEquals(List.of(0, 1, 2, 3), b.outIndices());
        assertEquals(List.of(256, 512, 1024, 2048), b.outChannels());
        assertEquals(new NormConfig("BN", 0, false, 1e-5), b.normCfg());
        assertEquals("open-mmlab://detectron2/resnet50_caffe", b.pretrained());

        NeckConfig n = m.neck();
        assertEquals(List.of(256, 512, 1024, 2048), n.inChannels());
        assertEquals(256, n.outChannels());
        assertEquals(1, n.startLevel());
        assertEquals("on_input", n.addExtraConvs());
        assertEquals(5, n.numOuts());
        assertTrue(n.reluBeforeExtraConvs());
        assertEquals("Caffe2Xavier", n.init());
        assertEquals(2, n.extraLevels());

        HeadConfig h = m.bboxHead();
        assertEquals(80, h.numClasses());
        assertEquals(256, h.featChannels());
        assertEquals(4, h.stackedConvs());
        assertEquals(List.of(8, 16, 32, 64, 128), h.strides());
        assertEquals(32, h.normCfg().numGroups());
        assertTrue(h.convBias());
        assertEquals(0.25, h.posLossWeight());
        assertEquals(0.75, h.negLossWeight());
        assertEquals(0.75, h.centerLossWeight());
        assertEquals(5.0, h.giouLossWeight());
        assertEquals(1e-6, h.giouEps());
        assertFalse(h.forceTopk());
        assertEquals(9, h.topk());

        assertEquals(new TestConfig(1000, 0, 0.05, 0.6, 100), m.testCfg());

        DataLoaderConfig tr = c.trainDataloader();
        assertEquals(2, tr.batchSize());
        assertTrue(tr.shuffle());
        assertTrue(tr.aspectRatioGrouping());
        assertEquals("annotations/instances_train2017.json", tr.dataset().annFile());
        assertEquals("train2017/", tr.dataset().imgPrefix());
        assertTrue(tr.dataset().filterEmptyGt());
        assertEquals(32, tr.dataset().minSize());
        assertEquals(List.of(1333, 800), tr.dataset().pipeline().scale());
        assertEquals(1333, tr.dataset().pipeline().scaleLong());
        assertEquals(800, tr.dataset().pipeline().scaleShort());
        assertTrue(tr.dataset().pipeline().keepRatio());
        assertEquals(0.5, tr.dataset().pipeline().flipProb());
        DataLoaderConfig va = c.valDataloader();
        assertEquals(1, va.batchSize());
        assertEquals(0.0, va.dataset().pipeline().flipProb());
        assertTrue(va.dataset().testMode());
        assertEquals("annotations/instances_val2017.json", c.valEvaluator().annFile());

        OptimConfig o = c.optimWrapper();
        assertEquals(new OptimConfig(0.01, 0.9, 1e-4, false, 0.0, 0), o);
        SchedulerConfig s = c.paramScheduler();
        assertEquals(new SchedulerConfig(List.of(
                new SchedulerConfig.Entry(new SchedulerConfig.Rule.Linear(0.001, 1.0), 0, 1000, false, false),
                new SchedulerConfig.Entry(new SchedulerConfig.Rule.MultiStep(List.of(8, 11), 0.1), 0, 12, true, false))), s);
        RuntimeConfig r = c.runtime();
        assertEquals(12, r.maxEpochs());
        assertEquals(1, r.valInterval());
        assertEquals(50, r.logInterval());
        assertEquals(-1, r.maxKeepCkpts());
        assertFalse(c.autoScaleLr());
        assertEquals(16, c.baseBatchSize());
        assertEquals(Path.of("data/coco/annotations/instances_val2017.json"), c.resolve(c.valEvaluator().annFile()));
        assertEquals(Path.of("/d/x.json"), c.withDataRoot("/d").resolve("x.json"));
    }

    @Test
    void tinyAndCoco128Configs() {
        Config t = ConfigLoader.load(TINY);
        assertTrue(t.trainDataloader().dataset().isSynthetic());
        SyntheticConfig s = t.trainDataloader().dataset().synthetic();
        assertEquals(4, s.numClasses());
        assertEquals(4, t.model().bboxHead().numClasses());
        assertTrue(s.sameGenerator(t.valDataloader().dataset().synthetic()));
        assertEquals(List.of(160, 256), s.imgSize());
        assertEquals("png", s.format());
        assertTrue(t.model().backbone().normCfg().isGroupNorm());
        Config c = ConfigLoader.load(COCO128);
        assertEquals(Path.of("../shared/data/coco128/annotations/instances_train.json"),
                c.resolve(c.trainDataloader().dataset().annFile()));
        assertEquals(80, c.model().bboxHead().numClasses());
    }

    @Test
    void badDepthNamesFileKeyAndChoices() throws Exception {
        assertEquals("configs/x.yaml: model.backbone.depth: must be one of 18, 34, 50, 101, 152, got 51",
                fails("model.backbone.depth=51").getMessage());
    }

    @Test
    void envCfgAsMmdetection() throws Exception {
        assertFalse(ConfigLoader.load(R50).runtime().cudnnBenchmark());
        assertTrue(ConfigLoader.load(R50, List.of("env_cfg.cudnn_benchmark=true")).runtime().cudnnBenchmark());
        assertEquals("env_cfg.dist_cfg.backend", fails("env_cfg.dist_cfg.backend=mpi").key());
        assertEquals("env_cfg.cudnn_bench", fails("env_cfg.cudnn_bench=true").key());
    }

    @Test
    void unknownKeysAreErrors() throws Exception {
        ConfigException e = fails("model.backbone.dpeth=50");
        assertEquals("model.backbone.dpeth", e.key());
        assertTrue(e.getMessage().startsWith("configs/x.yaml: model.backbone.dpeth: unknown key"), e.getMessage());
        assertEquals("unicorn", fails("unicorn=1").key());
        assertEquals("model.bbox_head.loss_bbox.weight", fails("model.bbox_head.loss_bbox.weight=2").key());
        assertEquals("train_dataloader.dataset.pipeline[0].scales", fails(
                "train_dataloader.dataset.pipeline=[{type: Resize, scale: [1, 2], scales: [1, 2], keep_ratio: true}]").key());
    }

    @Test
    void typeErrorsNameTheKey() throws Exception {
        assertEquals("configs/x.yaml: model.neck.out_channels: must be an integer, got 'wide'",
                fails("model.neck.out_channels=wide").getMessage());
        assertEquals("configs/x.yaml: model.backbone: must be a mapping, got 50",
                fails("model.backbone=50").getMessage());
        assertEquals("optim_wrapper.optimizer.lr", fails("optim_wrapper.optimizer.lr=-1").key());
        // AmpOptimWrapper: GradScaler's settings (AmpTrainingTest trains with them)
        assertEquals(autoassign.config.AmpConfig.dynamicDefaults(), ConfigLoader.parse(r50Text(), "configs/x.yaml",
                List.of("optim_wrapper.type=AmpOptimWrapper", "optim_wrapper.loss_scale=dynamic")).optimWrapper().amp());
        assertNull(ConfigLoader.parse(r50Text(), "configs/x.yaml", List.of()).optimWrapper().amp());
        assertEquals("optim_wrapper.type", fails("optim_wrapper.type=ApexOptimWrapper").key());
        assertEquals("model.bbox_head.num_classes", fails("model.bbox_head.num_classes=").key());
        assertEquals("model.backbone.style", fails("model.backbone.style=tf").key());
        assertEquals("model.backbone.frozen_stages", fails("model.backbone.frozen_stages=5").key());
        assertEquals("model.backbone.out_indices", fails("model.backbone.out_indices=[0, 2, 1, 3]").key());
        assertEquals("model.neck.add_extra_convs", fails("model.neck.add_extra_convs=on_top").key());
        assertEquals("model.test_cfg.score_thr", fails("model.test_cfg.score_thr=1.5").key());
        assertEquals("param_scheduler[0].milestones", fails(
                "param_scheduler=[{type: MultiStepLR, milestones: [11, -8]}]").key());
        assertEquals("param_scheduler[0].end", fails("param_scheduler=[{type: QuadraticWarmupLR, end: 1000000000}]").key());
        // CosineRestartLR: MMEngine's asserts (exactly one of eta_min / eta_min_ratio, a weight per period)
        assertEquals("param_scheduler[0].eta_min", fails("param_scheduler=[{type: CosineRestartLR, periods: [2]}]").key());
        assertEquals("param_scheduler[0].eta_min", fails("param_scheduler=[{type: CosineRestartLR, periods: [2], eta_min: 0, eta_min_ratio: 0.1}]").key());
        assertEquals("param_scheduler[0].restart_weights", fails("param_scheduler=[{type: CosineRestartLR, periods: [2, 3], eta_min: 0}]").key());
        assertEquals("param_scheduler[0].periods", fails("param_scheduler=[{type: CosineRestartLR, periods: [0], eta_min: 0}]").key());
        // MMEngine's registries take a scope before the name; a repeated milestone is counted, as MMEngine's Counter
        var sched = ConfigLoader.parse(r50Text(), "configs/x.yaml", List.of(
                "param_scheduler=[{type: mmdet.QuadraticWarmupLR, end: 5}, {type: mmengine.MultiStepLR, milestones: [8, 8]}]"))
                .paramScheduler().entries();
        assertEquals("QuadraticWarmupLR", sched.get(0).rule().typeName());
        assertEquals(List.of(8, 8), ((SchedulerConfig.Rule.MultiStep) sched.get(1).rule()).milestones());
    }

    /** norm_eval false (batch statistics in training), BN momentum, SyncBN read as BN; what BatchNorm refuses. */
    @Test
    void batchNormOptions() throws Exception {
        BackboneConfig b = ConfigLoader.parse(r50Text(), "configs/x.yaml", List.of("model.backbone.norm_eval=false",
                "model.backbone.norm_cfg={type: SyncBN, requires_grad: true, momentum: 0.03}")).model().backbone();
        assertFalse(b.normEval());
        assertTrue(b.normCfg().isSyncBatchNorm());
        assertEquals(0.03, b.normCfg().momentum());
        assertEquals(0.1, ConfigLoader.parse(r50Text(), "configs/x.yaml", List.of()).model().backbone().normCfg().momentum());
        assertEquals("model.backbone.norm_cfg.momentum", fails("model.backbone.norm_cfg.momentum=1.5").key());
        assertEquals("model.backbone.norm_cfg.momentum", fails("model.backbone.norm_cfg.momentum=None").key());
        assertEquals("model.backbone.norm_cfg.momentum", fails("model.backbone.norm_cfg={type: GN, num_groups: 32, momentum: 0.1}").key());
        assertEquals("model.backbone.norm_cfg.track_running_stats", fails("model.backbone.norm_cfg.track_running_stats=false").key());
        assertEquals("model.backbone.norm_cfg.affine", fails("model.backbone.norm_cfg.affine=false").key());
    }

    @Test
    void crossSectionChecks() throws Exception {
        ConfigException e = fails("model.neck.in_channels=[256, 512, 1024, 1024]");
        assertEquals("model.neck.in_channels", e.key());
        assertTrue(e.getMessage().contains("[256, 512, 1024, 2048]"), e.getMessage());
        assertEquals("model.bbox_head.in_channels", fails("model.neck.out_channels=128").key());
        assertEquals("model.bbox_head.norm_cfg.num_groups", fails("model.bbox_head.norm_cfg.num_groups=24").key());
        e = fails("model.bbox_head.strides=[8, 16, 32, 64]");
        assertEquals("model.bbox_head.strides", e.key());
        assertTrue(e.getMessage().contains("[8, 16, 32, 64, 128]"), e.getMessage());
        assertEquals("model.bbox_head.strides", fails("model.neck.start_level=0",
                "model.neck.in_channels=[256, 512, 1024, 2048]").key());
        ConfigException syn = assertThrows(ConfigException.class, () -> ConfigLoader.load(TINY,
                List.of("model.bbox_head.num_classes=5")));
        assertEquals("train_dataloader.dataset.num_classes", syn.key());
        assertTrue(syn.getMessage().startsWith("configs/autoassign_tiny_synthetic.yaml: train_dataloader.dataset.num_classes:"));
        syn = assertThrows(ConfigException.class, () -> ConfigLoader.load(TINY, List.of("val_dataloader.dataset.seed=3")));
        assertEquals("val_dataloader.dataset", syn.key());
        syn = assertThrows(ConfigException.class, () -> ConfigLoader.load(TINY,
                List.of("train_dataloader.dataset.objects_per_image=[0, 3]")));
        assertEquals("train_dataloader.dataset.objects_per_image", syn.key());
    }

    @Test
    void fileAndYamlErrors() throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(Path.of("configs/nope.yaml")));
        assertEquals("configs/nope.yaml: file not found", e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("model: [1, 2\n", "bad.yaml"));
        assertTrue(e.getMessage().startsWith("bad.yaml: invalid YAML"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("a: 1\na: 2\n", "dup.yaml"));
        assertTrue(e.getMessage().contains("dup.yaml: invalid YAML"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("", "empty.yaml"));
        assertEquals("empty.yaml: the file is empty", e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("data_root: x\n", "m.yaml"));
        assertEquals("m.yaml: model: required key is missing", e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(r50Text(), "o.yaml", List.of("noequals")));
        assertTrue(e.getMessage().contains("key.path=value"), e.getMessage());
    }

    @Test
    void overridesApplyBeforeValidation() throws Exception {
        Config c = ConfigLoader.parse(r50Text(), "x", List.of("model.bbox_head.num_classes=3",
                "param_scheduler=[{type: MultiStepLR, milestones: [2, 4]}]", "randomness.seed=17",
                "optim_wrapper.optimizer.lr=0.02"));
        assertEquals(3, c.model().bboxHead().numClasses());
        assertEquals(List.of(new SchedulerConfig.Entry(new SchedulerConfig.Rule.MultiStep(List.of(2, 4), 0.1), 0, null, true,
                false)), c.paramScheduler().entries(), "the override's one scheduler, end left to the runner");
        assertEquals(17, c.runtime().seed());
        assertEquals(0.02, c.optimWrapper().lr());
    }

    @Test
    void datasetIndicesAsMmengine() throws Exception {
        assertEquals(new DatasetConfig.Indices(16, null), ConfigLoader.load(R50, List.of("train_dataloader.dataset.indices=16"))
                .trainDataloader().dataset().indices());
        assertEquals(new DatasetConfig.Indices(null, List.of(3, 0, 5)), ConfigLoader.load(R50,
                List.of("val_dataloader.dataset.indices=[3, 0, 5]")).valDataloader().dataset().indices());
        assertEquals(null, ConfigLoader.load(R50).trainDataloader().dataset().indices());
        assertEquals("configs/x.yaml: train_dataloader.dataset.indices: must be >= 0, got -1",
                fails("train_dataloader.dataset.indices=-1").getMessage());
        assertEquals("train_dataloader.dataset.indices", fails("train_dataloader.dataset.indices=[1, -2]").key());
        assertEquals("train_dataloader.dataset.indices", fails("train_dataloader.dataset.indices=some").key());
        Config o = ConfigLoader.load(Path.of("configs/autoassign_r18_coco128_overfit.yaml"));
        assertEquals(new DatasetConfig.Indices(16, null), o.valDataloader().dataset().indices());
        assertEquals("annotations/instances_train.json", o.valDataloader().dataset().annFile());
        assertEquals(100, o.runtime().maxEpochs());
    }

    @Test
    void testSectionsDefaultToValAsInMmdetection() throws Exception {
        Config c = ConfigLoader.load(R50);
        assertSame(c.valDataloader(), c.testDataloader());
        assertSame(c.valEvaluator(), c.testEvaluator());
        assertFalse(c.testEvaluator().formatOnly());
        Config t = ConfigLoader.load(R50, List.of(
                "test_dataloader={batch_size: 1, dataset: {type: CocoDataset, ann_file: annotations/image_info_test-dev2017.json,"
                        + " data_prefix: {img: test2017/}, test_mode: true, pipeline: [{type: Resize, scale: [1333, 800], keep_ratio: true}]}}",
                "test_evaluator={type: CocoMetric, format_only: true, outfile_prefix: work_dirs/test_dev}",
                "test_cfg={type: TestLoop}"));
        assertEquals("annotations/image_info_test-dev2017.json", t.testDataloader().dataset().annFile());
        assertEquals("annotations/instances_val2017.json", t.valDataloader().dataset().annFile());
        assertTrue(t.testEvaluator().formatOnly());
        assertEquals(Path.of("work_dirs/test_dev.bbox.json"), t.testEvaluator().resultsFile());
        assertEquals("test_cfg.type", fails("test_cfg={type: ValLoop}").key());
        assertEquals("test_evaluator.outfile", fails("test_evaluator={type: CocoMetric, outfile: x}").key());
    }

    @Test
    void mmdetection30FileClientArgsForLocalFiles() throws Exception {
        String pipe = "val_dataloader.dataset.pipeline=[{type: LoadImageFromFile, file_client_args: {backend: %s}},"
                + " {type: Resize, scale: [1333, 800], keep_ratio: true}]";
        ConfigLoader.load(R50, List.of(String.format(pipe, "disk")));
        assertEquals("val_dataloader.dataset.pipeline[0].file_client_args.backend", fails(String.format(pipe, "petrel")).key());
    }

    @Test
    void multiScaleTrainingPipelines() throws Exception {
        String pipe = "train_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true}, ";
        Config c = ConfigLoader.load(R50, List.of(pipe + "{type: RandomChoiceResize, scales: [[1333, 640], [1333, 800]], keep_ratio: true},"
                + " {type: RandomFlip, prob: 0.5}, {type: PackDetInputs}]"));
        assertEquals(new autoassign.data.ScaleSampler(List.of(new int[] {1333, 640}, new int[] {1333, 800}), false),
                c.trainDataloader().dataset().pipeline().multiScale());
        assertEquals(List.of(1333, 640), c.trainDataloader().dataset().pipeline().scale());
        Config r = ConfigLoader.load(R50, List.of(pipe + "{type: RandomResize, scale: [[1333, 640], [1333, 800]], keep_ratio: true}]"));
        assertTrue(r.trainDataloader().dataset().pipeline().multiScale().range());
        assertEquals(null, ConfigLoader.load(R50).trainDataloader().dataset().pipeline().multiScale());
        assertEquals("train_dataloader.dataset.pipeline[2].scale",
                fails(pipe + "{type: RandomResize, scale: [[1333, 640], [1333, 800], [1, 1]], keep_ratio: true}]").key());
        assertEquals("train_dataloader.dataset.pipeline[2].scale", // a ratio range scales one scale, as MMCV's
                fails(pipe + "{type: RandomResize, scale: [[1333, 640], [1333, 800]], ratio_range: [0.1, 2.0], keep_ratio: true}]").key());
        assertEquals("train_dataloader.dataset.pipeline[2].ratio_range",
                fails(pipe + "{type: RandomResize, scale: [1333, 800], ratio_range: [2.0, 0.1], keep_ratio: true}]").key());
        assertEquals("train_dataloader.dataset.pipeline[2].scales", fails(pipe + "{type: RandomChoiceResize, scales: [[1333, x]], keep_ratio: true}]").key());
        // a training pipeline's second resize carries its own scale (DetrPipelineConfigTest); a test pipeline's is refused
        Config two = ConfigLoader.load(R50, List.of(pipe + "{type: RandomChoiceResize, scales: [[1333, 640]], keep_ratio: true},"
                + " {type: Resize, scale: [1333, 800], keep_ratio: true}]"));
        assertEquals(new autoassign.data.OwnScaleResize(autoassign.data.ResizeStep.keepRatio(true), 1333, 800, null, 1),
                two.trainDataloader().dataset().pipeline().transforms().get(1));
        assertEquals(List.of(1333, 640), two.trainDataloader().dataset().pipeline().scale());
        assertEquals("val_dataloader.dataset.pipeline[2].type", fails("val_dataloader.dataset.pipeline=[{type: LoadImageFromFile},"
                + " {type: Resize, scale: [1333, 800], keep_ratio: true}, {type: Resize, scale: [1333, 800], keep_ratio: true}]").key());
        assertEquals("val_dataloader.dataset.pipeline[1].type", fails("val_dataloader.dataset.pipeline=[{type: LoadImageFromFile},"
                + " {type: RandomChoiceResize, scales: [[1333, 640]], keep_ratio: true}]").key());
    }

    @Test
    void customHooksWhoseChecksTheEngineMakes() throws Exception {
        ConfigLoader.load(R50, List.of("custom_hooks=[{type: NumClassCheckHook}, {type: CheckInvalidLossHook, interval: 50}]"));
        // PipelineSwitchHook is supported (RtmdetRecipeTest); without its switch_pipeline it is an error
        assertEquals("custom_hooks[0].switch_pipeline", fails("custom_hooks=[{type: PipelineSwitchHook, switch_epoch: 280}]").key());
        assertEquals("custom_hooks[0].type", fails("custom_hooks=[{type: PipelineSwitchingHook, switch_epoch: 280}]").key());
    }

    @Test
    void aResizeWithoutKeepRatioStretchesAsMmcvDoes() throws Exception {
        String[] dataset = {"test_dataloader.dataset.type=CocoDataset", "test_dataloader.dataset.ann_file=a.json",
                "test_dataloader.dataset.data_prefix={img: x/}", "test_dataloader.batch_size=1"};
        List<String> o = new java.util.ArrayList<>(List.of("test_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, "
                + "{type: Resize, scale: [1333, 800], keep_ratio: false}, {type: PackDetInputs}]"));
        o.addAll(List.of(dataset));
        PipelineConfig p = ConfigLoader.load(R50, o).testDataloader().dataset().pipeline();
        assertEquals(autoassign.data.ResizeStep.stretch(true), p.resizeStep());
        assertFalse(p.keepRatio());
        assertEquals(List.of(1333, 800), p.scale());
        // absent means mmcv's default, false: stretched too, not read as true
        o.set(0, "test_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: Resize, scale: [800, 1333]}, {type: PackDetInputs}]");
        PipelineConfig absent = ConfigLoader.load(R50, o).testDataloader().dataset().pipeline();
        assertFalse(absent.keepRatio());
        assertEquals(800, absent.scaleW());
        assertEquals(1333, absent.scaleH());
        // what is still not supported says so in one line
        List<String> bad = new java.util.ArrayList<>(List.of("test_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, "
                + "{type: Resize, scale: [1333, 800], keep_ratio: true, interpolation: nearest}, {type: PackDetInputs}]"));
        bad.addAll(List.of(dataset));
        ConfigException e = fails(bad.toArray(new String[0]));
        assertEquals("test_dataloader.dataset.pipeline[1].interpolation", e.key(), e.getMessage());
    }

    @Test
    void lossSettingsOtherThanTheRecipesAreRefusedNotIgnored() throws Exception {
        assertTrue(fails("model.bbox_head.pos_loss_weight=0.5").getMessage()
                .contains("model.bbox_head.pos_loss_weight: only 0.25 (MMDetection's AutoAssign value) is supported, got 0.5"));
        assertTrue(fails("model.bbox_head.loss_bbox.loss_weight=2.0").getMessage().contains("model.bbox_head.loss_bbox.loss_weight"));
        assertTrue(fails("model.bbox_head.force_topk=true").getMessage().contains("force_topk: only false"));
        ConfigLoader.parse(r50Text(), "configs/x.yaml", List.of("model.bbox_head.center_loss_weight=0.75")); // the recipe's: fine
    }

    @Test
    void preprocessorSettingsTheEngineCannotHonourAreRefused() throws Exception {
        // bgr_to_rgb (or MMEngine's rgb_to_bgr: the same swap of decoded BGR) is read; both at once is MMEngine's assert
        assertTrue(ConfigLoader.parse(r50Text(), "configs/x.yaml", List.of("model.data_preprocessor.bgr_to_rgb=true"))
                .model().dataPreprocessor().bgrToRgb());
        assertTrue(ConfigLoader.parse(r50Text(), "configs/x.yaml", List.of("model.data_preprocessor.rgb_to_bgr=true"))
                .model().dataPreprocessor().bgrToRgb());
        assertEquals("model.data_preprocessor.rgb_to_bgr",
                fails("model.data_preprocessor.bgr_to_rgb=true", "model.data_preprocessor.rgb_to_bgr=true").key());
        assertTrue(fails("model.data_preprocessor.pad_value=114").getMessage().contains("pad_value: only 0"));
        // MMDetection's defaults: no normalisation without mean (and std), no padding without pad_size_divisor
        var d = ConfigLoader.parse(r50Text(), "configs/x.yaml", List.of("model.data_preprocessor={_delete_: true, type: DetDataPreprocessor}"))
                .model().dataPreprocessor();
        assertEquals(List.of(0.0, 0.0, 0.0), d.mean());
        assertEquals(List.of(1.0, 1.0, 1.0), d.std());
        assertEquals(1, d.padSizeDivisor());
        assertEquals("model.data_preprocessor.std", fails("model.data_preprocessor={_delete_: true, mean: [1, 2, 3]}").key());
        assertEquals("model.data_preprocessor.mean", fails("model.data_preprocessor={_delete_: true, std: [1, 2, 3]}").key());
        // YOLOX's batch_augments; RTMDet's None
        var r = ConfigLoader.parse(r50Text(), "configs/x.yaml", List.of("model.data_preprocessor.batch_augments=[{type: "
                + "BatchSyncRandomResize, random_size_range: [480, 800], size_divisor: 32, interval: 10}]")).model().dataPreprocessor();
        assertEquals(new DataPreprocessorConfig.SyncRandomResize(480, 800, 10, 32), r.batchResize());
        assertEquals(null, ConfigLoader.parse(r50Text(), "configs/x.yaml", List.of("model.data_preprocessor.batch_augments=None"))
                .model().dataPreprocessor().batchResize());
        assertEquals("model.data_preprocessor.batch_augments[0].type",
                fails("model.data_preprocessor.batch_augments=[{type: BatchFixedSizePad, size: [640, 640]}]").key());
        assertEquals("model.data_preprocessor.batch_augments[0].random_size_range",
                fails("model.data_preprocessor.batch_augments=[{type: BatchSyncRandomResize, random_size_range: [800, 480]}]").key());
    }
}
