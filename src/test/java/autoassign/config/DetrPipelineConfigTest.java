package autoassign.config;

import autoassign.data.OwnScaleResize;
import autoassign.data.PipelineOptions;
import autoassign.data.RandomCrop;
import autoassign.data.RandomFlip;
import autoassign.data.ResizeStep;
import autoassign.data.ScaleSampler;
import autoassign.data.Transform;
import autoassign.data.TransformWrapper;
import autoassign.train.DataSources;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resize steps inside MMCV's wrappers and several resizes in a training pipeline, as DETR-family configs write them
 * (MMDetection 3.3's {@code configs/detr/detr_r50_8xb2-150e_coco.py} train_pipeline, also deformable_detr / dino): read
 * from YAML and from MMDetection's Python text; each inner resize its own scale list and draw place; the refusals that
 * stay (a test pipeline's second resize, no resize at all).
 */
class DetrPipelineConfigTest {
    static final Path DETR_PY = Path.of("src/test/resources/mmdet_configs/detr/autoassign_detr-pipeline_coco.py");

    private static final String PIPE = "train_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true}, ";
    private static final String BIG = "[[480, 1333], [512, 1333], [544, 1333], [576, 1333], [608, 1333], [640, 1333], [672, 1333],"
            + " [704, 1333], [736, 1333], [768, 1333], [800, 1333]]";
    /** DETR's train_pipeline in YAML, as the .py writes it. */
    static final String DETR_YAML = PIPE + "{type: RandomFlip, prob: 0.5}, {type: RandomChoice, transforms: ["
            + "[{type: RandomChoiceResize, scales: " + BIG + ", keep_ratio: true}],"
            + " [{type: RandomChoiceResize, scales: [[400, 1333], [500, 1333], [600, 1333]], keep_ratio: true},"
            + " {type: RandomCrop, crop_type: absolute_range, crop_size: [384, 600], allow_negative_crop: true},"
            + " {type: RandomChoiceResize, scales: " + BIG + ", keep_ratio: true}]]}, {type: PackDetInputs}]";

    private static ScaleSampler choice(int... wh) {
        List<int[]> s = new ArrayList<>();
        for (int i = 0; i < wh.length; i += 2) s.add(new int[] {wh[i], wh[i + 1]});
        return new ScaleSampler(s, false);
    }

    private static final ScaleSampler BIG_SCALES = choice(480, 1333, 512, 1333, 544, 1333, 576, 1333, 608, 1333, 640, 1333,
            672, 1333, 704, 1333, 736, 1333, 768, 1333, 800, 1333);

    /** What the DETR pipeline must read as, whichever form it is written in. */
    private static void assertDetr(Config c) {
        PipelineConfig p = c.trainDataloader().dataset().pipeline();
        List<Transform> t = p.transforms();
        assertEquals(2, t.size(), t.toString());
        assertEquals(RandomFlip.horizontal(0.5), t.get(0));
        TransformWrapper w = (TransformWrapper) t.get(1);
        assertEquals(TransformWrapper.Kind.RANDOM_CHOICE, w.kind());
        assertEquals(1, w.site(), "the wrapper's place keys its choice");
        assertEquals(List.of(new OwnScaleResize(ResizeStep.keepRatio(true), 480, 1333, BIG_SCALES, 0)), w.branches().get(0));
        List<Transform> chain = w.branches().get(1);
        assertEquals(new OwnScaleResize(ResizeStep.keepRatio(true), 400, 1333, choice(400, 1333, 500, 1333, 600, 1333), 0), chain.get(0));
        assertEquals(new RandomCrop(RandomCrop.Type.ABSOLUTE_RANGE, 384, 600, true, true), chain.get(1));
        // the same step as the first branch's but at place 2: its own draw
        assertEquals(new OwnScaleResize(ResizeStep.keepRatio(true), 480, 1333, BIG_SCALES, 2), chain.get(2));
        assertEquals(3, chain.size());
        // no top-level resize: the pipeline's scale is the bound of the inner ones, no sampler, no ResizeStep
        assertNull(p.resizeStep());
        assertNull(p.multiScale());
        assertEquals(List.of(800, 1333), p.scale());
        PipelineOptions o = DataSources.trainPipeline(c);
        assertFalse(o.hasResizeStep());
        assertEquals(3, o.ownResizes().size());
        assertEquals(1333, o.scaleLong());
        assertEquals(800, o.scaleShort());
        assertTrue(o.resizeDescription().startsWith("RandomChoiceResize[480x1333, "), o.resizeDescription());
        assertTrue(o.resizeDescription().contains("then RandomChoiceResize[400x1333, 500x1333, 600x1333] by Resize(keep_ratio=True"),
                o.resizeDescription());
    }

    @Test
    void detrPipelineReadsFromYaml() {
        assertDetr(ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of(DETR_YAML)));
    }

    @Test
    void detrPipelineReadsFromMmdetectionsPython() {
        Config py = ConfigLoader.load(DETR_PY);
        assertDetr(py);
        // the rest of the recipe is its base's; the test pipeline keeps its one resize
        assertEquals(ConfigLoader.load(PythonConfigTest.MMDET).valDataloader(), py.valDataloader());
        assertEquals(ResizeStep.keepRatio(true), py.valDataloader().dataset().pipeline().resizeStep());
    }

    @Test
    void trainingPipelinesMayResizeSeveralTimes() {
        Config c = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of(PIPE + "{type: Resize, scale: [96, 64], keep_ratio: true},"
                + " {type: RandomCrop, crop_size: [40, 40]}, {type: RandomResize, scale: [[80, 48], [96, 64]], keep_ratio: false},"
                + " {type: RandomApply, transforms: [{type: FixShapeResize, width: 64, height: 64, keep_ratio: true, pad_val: 7}]},"
                + " {type: Compose, transforms: {type: Resize, scale_factor: 0.5, keep_ratio: true}},"
                + " {type: Resize, scale: 72, keep_ratio: false}, {type: PackDetInputs}]"));
        PipelineConfig p = c.trainDataloader().dataset().pipeline();
        List<Transform> t = p.transforms();
        // the first top-level resize takes the pipeline's scale (evaluation-style replacement still works on it)
        assertEquals(ResizeStep.keepRatio(true), t.get(0));
        assertEquals(List.of(96, 64), p.scale());
        assertNull(p.multiScale());
        assertEquals(new OwnScaleResize(ResizeStep.stretch(true), 80, 48, new ScaleSampler(List.of(new int[] {80, 48}, new int[] {96, 64}), true), 2),
                t.get(2));
        assertEquals(new OwnScaleResize(ResizeStep.fixShape(true, true, List.of(7.0, 7.0, 7.0)), 64, 64, null, 0),
                ((TransformWrapper) t.get(3)).branches().get(0).get(0));
        assertEquals(new OwnScaleResize(ResizeStep.byFactor(true, true, 0.5, 0.5), 0, 0, null, 0),
                ((TransformWrapper) t.get(4)).branches().get(0).get(0));
        assertEquals(new OwnScaleResize(ResizeStep.stretch(true), 72, 72, null, 5), t.get(5));
        PipelineOptions o = DataSources.trainPipeline(c);
        assertTrue(o.hasResizeStep());
        assertEquals(4, o.ownResizes().size());
        assertEquals(96, o.scaleW());
        // a multi-scale step inside a wrapper with a ratio range: its bound is the scale times the top ratio
        Config r = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of(PIPE + "{type: RandomApply, prob: 1.0, transforms:"
                + " [{type: RandomResize, scale: [100, 60], ratio_range: [0.5, 1.5], keep_ratio: true}]}, {type: PackDetInputs}]"));
        assertEquals(List.of(150, 90), r.trainDataloader().dataset().pipeline().scale());
    }

    @Test
    void whatStaysRefusedSaysSoInOneLine() {
        // a test pipeline has one resize, whose scale evaluation sets
        ConfigException twice = assertThrows(ConfigException.class, () -> ConfigLoader.loadNamed("autoassign_tiny_synthetic",
                List.of("val_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: Resize, scale: [64, 64], keep_ratio: true},"
                        + " {type: Resize, scale: [32, 32], keep_ratio: true}, {type: PackDetInputs}]")));
        assertEquals("val_dataloader.dataset.pipeline[2].type", twice.key());
        assertTrue(twice.getMessage().contains("one resize step per test pipeline"), twice.getMessage());
        assertEquals(1, twice.getMessage().lines().count());
        // and no wrapper (so no resize inside one)
        ConfigException wrapped = assertThrows(ConfigException.class, () -> ConfigLoader.loadNamed("autoassign_tiny_synthetic",
                List.of("val_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: Resize, scale: [64, 64], keep_ratio: true},"
                        + " {type: RandomApply, transforms: [{type: Resize, scale: [32, 32]}]}, {type: PackDetInputs}]")));
        assertTrue(wrapped.getMessage().contains("only belongs in a training pipeline"), wrapped.getMessage());
        // a training pipeline needs a resize somewhere
        ConfigException none = assertThrows(ConfigException.class, () -> ConfigLoader.loadNamed("autoassign_tiny_synthetic",
                List.of(PIPE + "{type: RandomApply, transforms: [{type: RandomFlip}]}, {type: PackDetInputs}]")));
        assertEquals("train_dataloader.dataset.pipeline", none.key());
        assertTrue(none.getMessage().contains("needs a Resize step"), none.getMessage());
        // an inner resize's keys are checked as the top-level one's
        ConfigException key = assertThrows(ConfigException.class, () -> ConfigLoader.loadNamed("autoassign_tiny_synthetic",
                List.of(PIPE + "{type: RandomChoice, transforms: [[{type: RandomChoiceResize, scales: [[0, 10]]}], []]}, {type: PackDetInputs}]")));
        assertEquals("train_dataloader.dataset.pipeline[2].transforms[0][0].scales", key.key());
        assertEquals(1, key.getMessage().lines().count());
        ConfigException interp = assertThrows(ConfigException.class, () -> ConfigLoader.loadNamed("autoassign_tiny_synthetic",
                List.of(PIPE + "{type: Resize, scale: [64, 64]}, {type: Compose, transforms: [{type: Resize, scale: [32, 32],"
                        + " interpolation: nearest}]}, {type: PackDetInputs}]")));
        assertEquals("train_dataloader.dataset.pipeline[3].transforms[0].interpolation", interp.key());
    }
}
