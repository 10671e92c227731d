package autoassign.config;

import autoassign.data.PipelineOptions;
import autoassign.data.ResizeStep;
import autoassign.eval.TestTimeAug;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The resize steps' keys: {@code Resize} with and without {@code keep_ratio}, {@code RandomResize} /
 * {@code RandomChoiceResize} passing {@code keep_ratio} on, mmdet's {@code FixShapeResize}, and TestTimeAug's Resize
 * variants; the scale stays (w, h) all the way to the pipeline the engine runs.
 */
class ResizeConfigTest {
    private static Config tiny(String... overrides) { return ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of(overrides)); }

    private static String train(String resize) {
        return "train_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true}, " + resize
                + ", {type: RandomFlip, prob: 0.5}, {type: PackDetInputs}]";
    }

    private static String val(String resize) {
        return "val_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, " + resize
                + ", {type: LoadAnnotations, with_bbox: true}, {type: PackDetInputs}]";
    }

    private static ConfigException fails(String... overrides) { return assertThrows(ConfigException.class, () -> tiny(overrides)); }

    @Test
    void resizeWithoutKeepRatioIsAStretchToWidthHeight() {
        Config c = tiny(val("{type: Resize, scale: [320, 192], keep_ratio: false}"));
        PipelineConfig p = c.valDataloader().dataset().pipeline();
        assertEquals(ResizeStep.stretch(true), p.resizeStep());
        assertFalse(p.keepRatio());
        assertEquals(320, p.scaleW());
        assertEquals(192, p.scaleH());
        PipelineOptions o = autoassign.api.Detector.testPipeline(c, c.valDataloader());
        assertEquals(320, o.scaleW(), "the test pipeline keeps the width first");
        assertEquals(192, o.scaleH());
        assertEquals(List.of(ResizeStep.stretch(true)), o.transforms());
        // the portrait scale stays portrait
        PipelineOptions portrait = autoassign.api.Detector.testPipeline(tiny(val("{type: Resize, scale: [192, 320]}")),
                tiny(val("{type: Resize, scale: [192, 320]}")).valDataloader());
        assertEquals(192, portrait.scaleW());
        assertEquals(320, portrait.scaleH());
        // keep_ratio: the recipe's step, and an int scale is (s, s) as MMCV's Resize.__init__ makes it
        PipelineConfig k = tiny(val("{type: Resize, scale: 200, keep_ratio: true, clip_object_border: false, interpolation: bilinear,"
                + " backend: cv2}")).valDataloader().dataset().pipeline();
        assertEquals(ResizeStep.keepRatio(false), k.resizeStep());
        assertEquals(List.of(200, 200), k.scale());
        assertEquals(ResizeStep.INSTANCE, tiny().valDataloader().dataset().pipeline().resizeStep());
    }

    @Test
    void whatIsStillNotSupportedSaysSoInOneLine() {
        ConfigException f = fails(val("{type: Resize, scale_factor: 2}"));
        assertEquals("val_dataloader.dataset.pipeline[1].scale_factor", f.key());
        assertTrue(f.getMessage().contains("MMCV raises TypeError for an int"), f.getMessage());
        assertEquals("val_dataloader.dataset.pipeline[1].scale", fails(val("{type: Resize, keep_ratio: true}")).key());
        ConfigException tta = fails("tta_pipeline=[{type: TestTimeAug, transforms: [[{type: Resize, scale_factor: 0.5}]]}]");
        assertEquals("tta_pipeline[0].transforms[0][0].scale_factor", tta.key(), tta.getMessage());
        assertEquals("val_dataloader.dataset.pipeline[1].interpolation", fails(val("{type: Resize, scale: [64, 64], interpolation: nearest}")).key());
        assertEquals("val_dataloader.dataset.pipeline[1].backend", fails(val("{type: Resize, scale: [64, 64], backend: pillow}")).key());
        assertEquals("train_dataloader.dataset.pipeline[2].resize_type", fails(train("{type: RandomResize, scale: [[64, 64], [96, 96]],"
                + " resize_type: FixShapeResize}")).key());
        ConfigException twice = fails(val("{type: Resize, scale: [64, 64]}, {type: FixShapeResize, width: 64, height: 64}"));
        assertTrue(twice.getMessage().contains("one resize step per test pipeline"), twice.getMessage());
        ConfigException inWrapper = fails(val("{type: Resize, scale: [64, 64]}, {type: RandomApply, transforms: [{type: Resize, scale: [32, 32]}]}"));
        assertTrue(inWrapper.getMessage().contains("only belongs in a training pipeline"), inWrapper.getMessage());
    }

    @Test
    void scaleFactorWithoutScaleResizesEachImageByIt() {
        Config c = tiny(val("{type: Resize, scale_factor: [1.5, 0.5]}"));
        PipelineConfig p = c.valDataloader().dataset().pipeline();
        assertEquals(ResizeStep.byFactor(false, true, 1.5, 0.5), p.resizeStep());
        assertEquals(List.of(), p.scale(), "no scale of its own");
        PipelineOptions o = autoassign.api.Detector.testPipeline(c, c.valDataloader());
        assertEquals(0, o.scaleW());
        assertEquals(List.of(ResizeStep.byFactor(false, true, 1.5, 0.5)), o.transforms());
        assertEquals(60, o.geometry(20, 40).newW(), "_scale_size((40, 20), (1.5, 0.5)) = (60, 10)");
        assertEquals(10, o.geometry(20, 40).newH());
        PipelineConfig k = tiny(val("{type: Resize, scale_factor: 0.5, keep_ratio: true}")).valDataloader().dataset().pipeline();
        assertEquals(ResizeStep.byFactor(true, true, 0.5, 0.5), k.resizeStep());
        // with a scale the factor is checked and ignored (mmcv: if self.scale)
        PipelineConfig both = tiny(val("{type: Resize, scale: [64, 32], scale_factor: 3.0}")).valDataloader().dataset().pipeline();
        assertEquals(ResizeStep.stretch(true), both.resizeStep());
        assertEquals(List.of(64, 32), both.scale());
    }

    @Test
    void multiScaleStepsPassKeepRatioToTheirResize() {
        PipelineConfig r = tiny(train("{type: RandomResize, scale: [[64, 96], [96, 128]], keep_ratio: false}")).trainDataloader().dataset().pipeline();
        assertEquals(ResizeStep.stretch(true), r.resizeStep());
        assertTrue(r.multiScale().range());
        assertEquals(List.of(64, 96), r.scale());
        PipelineConfig c = tiny(train("{type: RandomChoiceResize, scales: [[64, 96], [96, 64]], clip_object_border: false}"))
                .trainDataloader().dataset().pipeline();
        assertEquals(ResizeStep.stretch(false), c.resizeStep(), "keep_ratio defaults to False, as mmcv's Resize");
        assertFalse(c.multiScale().range());
        PipelineConfig k = tiny(train("{type: RandomResize, scale: [64, 96], ratio_range: [0.5, 1.5], keep_ratio: true}"))
                .trainDataloader().dataset().pipeline();
        assertEquals(ResizeStep.INSTANCE, k.resizeStep());
        // the train pipeline the trainer builds keeps the step and the (w, h) scale
        Config cfg = tiny(train("{type: RandomChoiceResize, scales: [[64, 96]], keep_ratio: false}"));
        PipelineOptions o = autoassign.train.DataSources.trainPipeline(cfg);
        assertEquals(ResizeStep.stretch(true), o.resizeStep());
        assertEquals(64, o.scaleW());
        assertEquals(96, o.scaleH());
        assertEquals(64, o.scaleAt(0, 0, 5)[0]);
        assertEquals(96, o.scaleAt(0, 0, 5)[1]);
    }

    @Test
    void fixShapeResize() {
        PipelineConfig s = tiny(val("{type: FixShapeResize, width: 96, height: 64}")).valDataloader().dataset().pipeline();
        assertEquals(ResizeStep.fixShape(false, true, List.of(0.0, 0.0, 0.0)), s.resizeStep());
        assertEquals(List.of(96, 64), s.scale());
        assertFalse(s.resizeStep().padsToScale());
        PipelineConfig k = tiny(train("{type: FixShapeResize, width: 96, height: 64, keep_ratio: true, pad_val: 114}"))
                .trainDataloader().dataset().pipeline();
        assertEquals(ResizeStep.fixShape(true, true, List.of(114.0, 114.0, 114.0)), k.resizeStep());
        assertTrue(k.resizeStep().padsToScale());
        PipelineConfig d = tiny(val("{type: FixShapeResize, width: 96, height: 64, keep_ratio: true, pad_val: {img: [1, 2, 3], seg: 255},"
                + " clip_object_border: false}")).valDataloader().dataset().pipeline();
        assertEquals(ResizeStep.fixShape(true, false, List.of(1.0, 2.0, 3.0)), d.resizeStep());
        assertEquals("val_dataloader.dataset.pipeline[1].height", fails(val("{type: FixShapeResize, width: 96}")).key());
        assertEquals("val_dataloader.dataset.pipeline[1].pad_val", fails(val("{type: FixShapeResize, width: 9, height: 9, pad_val: 1.5}")).key());
    }

    @Test
    void ttaVariantsWithoutKeepRatioKeepTheirOrder() {
        Config c = tiny("tta_pipeline=[{type: LoadImageFromFile}, {type: TestTimeAug, transforms: ["
                + "[{type: Resize, scale: [320, 192], keep_ratio: false}, {type: Resize, scale: [192, 320], keep_ratio: false}],"
                + " [{type: RandomFlip, prob: 1.0}, {type: RandomFlip, prob: 0.0}], [{type: PackDetInputs}]]}]");
        assertEquals(ResizeStep.stretch(true), c.tta().resize());
        assertEquals(List.of(new TestTimeAug.Variant(320, 192, true), new TestTimeAug.Variant(320, 192, false),
                new TestTimeAug.Variant(192, 320, true), new TestTimeAug.Variant(192, 320, false)), c.tta().testTimeAug().variants());
        PipelineOptions run = c.tta().pipeline(autoassign.api.Detector.testPipeline(c, c.valDataloader()));
        assertEquals(List.of(ResizeStep.stretch(true)), run.transforms(), "the variants' resize, not the test pipeline's keep-ratio one");
        PipelineOptions v = run.withScale(320, 192); // what evaluation does with a variant
        assertEquals(320, v.scaleW());
        assertEquals(192, v.scaleH());
        // without Resize variants the test pipeline's resize runs
        Config flipsOnly = tiny(val("{type: Resize, scale: [96, 64]}"), "tta_pipeline=[{type: TestTimeAug, transforms: ["
                + "[{type: RandomFlip, prob: 1.0}, {type: RandomFlip, prob: 0.0}]]}]");
        assertNull(flipsOnly.tta().resize());
        assertEquals(List.of(ResizeStep.stretch(true)),
                flipsOnly.tta().pipeline(autoassign.api.Detector.testPipeline(flipsOnly, flipsOnly.valDataloader())).transforms());
        ConfigException mixed = fails("tta_pipeline=[{type: TestTimeAug, transforms: [[{type: Resize, scale: [64, 64], keep_ratio: true},"
                + " {type: Resize, scale: [96, 96], keep_ratio: false}]]}]");
        assertEquals("tta_pipeline[0].transforms[0][1].keep_ratio", mixed.key(), mixed.getMessage());
        assertTrue(mixed.getMessage().contains("the same keep_ratio and clip_object_border"), mixed.getMessage());
    }
}
