package autoassign.config;

import autoassign.data.CutOut;
import autoassign.data.PhotoMetricDistortion;
import autoassign.data.RandomCrop;
import autoassign.data.RandomErasing;
import autoassign.data.RandomFlip;
import autoassign.data.ResizeStep;
import autoassign.data.Transform;
import autoassign.data.TransformWrapper;
import autoassign.data.YoloxHsvRandomAug;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MMCV's {@code Compose}, {@code RandomApply}, {@code RandomChoice} and MMDetection's {@code RandomErasing} in configs: keys,
 * MMCV's / MMDetection's defaults and asserts, each wrong value a one-line error naming its key (resizes inside a wrapper:
 * {@link DetrPipelineConfigTest}).
 */
class WrapperConfigTest {
    private static final String PIPE = "train_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true}, ";
    private static final String RESIZE = "{type: Resize, scale: [1333, 800], keep_ratio: true}";

    private static List<Transform> train(String steps) throws Exception {
        return ConfigLoader.parse(ConfigLoaderTest.r50Text(), "configs/x.yaml", List.of(PIPE + steps + ", {type: PackDetInputs}]"))
                .trainDataloader().dataset().pipeline().transforms();
    }

    private static void assertError(String key, String text, String steps) throws Exception {
        ConfigException e = ConfigLoaderTest.fails(PIPE + steps + ", {type: PackDetInputs}]");
        assertEquals("train_dataloader.dataset.pipeline[" + key, e.key(), e.getMessage());
        assertTrue(e.getMessage().contains(text), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void wrappersReadMmcvsKeysAndDefaults() throws Exception {
        List<Transform> t = train(RESIZE + ", {type: RandomApply, transforms: {type: PhotoMetricDistortion}},"
                + " {type: RandomApply, prob: 0.3, transforms: [{type: YOLOXHSVRandomAug}, {type: RandomFlip, prob: 1.0}]},"
                + " {type: RandomChoice, transforms: [[{type: RandomCrop, crop_size: [20, 20]}], {type: CutOut, n_holes: 2,"
                + " cutout_shape: [4, 4]}, []]},"
                + " {type: RandomChoice, prob: [0.25, 0.75], transforms: [[{type: Compose, transforms: [{type: YOLOXHSVRandomAug}]}],"
                + " [{type: RandomApply, transforms: [{type: RandomFlip, prob: 0.5}], prob: 0.9}]]}");
        assertEquals(5, t.size());
        assertEquals(ResizeStep.INSTANCE, t.get(0));
        // a lone mapping is one step (MMCV's Compose(dict)); prob 0.5 by default; the wrapper's place keys its draws
        assertEquals(TransformWrapper.randomApply(List.of(PhotoMetricDistortion.defaults()), 0.5, 1), t.get(1));
        assertEquals(TransformWrapper.randomApply(List.of(YoloxHsvRandomAug.defaults(), RandomFlip.horizontal(1.0)), 0.3, 2), t.get(2));
        TransformWrapper choice = (TransformWrapper) t.get(3);
        assertEquals(TransformWrapper.Kind.RANDOM_CHOICE, choice.kind());
        assertEquals(3, choice.branches().size());
        assertEquals(new RandomCrop(RandomCrop.Type.ABSOLUTE, 20, 20, false, true), choice.branches().get(0).get(0));
        assertTrue(choice.branches().get(1).get(0) instanceof CutOut, "a candidate may be one transform");
        assertEquals(List.of(), choice.branches().get(2), "an empty candidate changes nothing");
        assertEquals(List.of(), choice.prob(), "uniform");
        assertTrue(choice.mayReject(), "a RandomCrop inside may reject the image");
        TransformWrapper nested = (TransformWrapper) t.get(4);
        assertEquals(List.of(0.25, 0.75), nested.prob());
        assertEquals(TransformWrapper.compose(List.of(YoloxHsvRandomAug.defaults()), 0), nested.branches().get(0).get(0));
        assertEquals(TransformWrapper.randomApply(List.of(RandomFlip.horizontal(0.5)), 0.9, 0), nested.branches().get(1).get(0));
        assertTrue(nested.contains(x -> x instanceof RandomFlip));
        assertTrue(!nested.mayReject());
    }

    @Test
    void mmdetPythonConfigsRead() throws Exception {
        String py = "train_pipeline = [\n"
                + "    dict(type='LoadImageFromFile', backend_args=None),\n"
                + "    dict(type='LoadAnnotations', with_bbox=True),\n"
                + "    dict(type='RandomApply', transforms=[dict(type='PhotoMetricDistortion')], prob=0.8),\n"
                + "    dict(type='RandomChoice', transforms=[[dict(type='RandomCrop', crop_size=(0.8, 0.8), crop_type='relative_range')],"
                + " [dict(type='Expand', ratio_range=(1, 2))]], prob=[0.5, 0.5]),\n"
                + "    dict(type='Resize', scale=(1333, 800), keep_ratio=True),\n"
                + "    dict(type='RandomErasing', n_patches=(1, 5), ratio=(0, 0.2)),\n"
                + "    dict(type='RandomFlip', prob=0.5),\n"
                + "    dict(type='PackDetInputs')\n"
                + "]\n";
        String override = "train_dataloader.dataset.pipeline=" + PythonConfig.parse("x.py", py).get("train_pipeline");
        List<Transform> t = ConfigLoader.parse(ConfigLoaderTest.r50Text(), "configs/x.yaml", List.of(override))
                .trainDataloader().dataset().pipeline().transforms();
        assertEquals(5, t.size());
        assertEquals(0.8, ((TransformWrapper) t.get(0)).applyProb());
        assertEquals(List.of(0.5, 0.5), ((TransformWrapper) t.get(1)).prob());
        assertEquals(new RandomErasing(1, 5, 0, 0.2, true, 0.9, List.of(128.0, 128.0, 128.0)), t.get(3));
    }

    @Test
    void wrapperErrorsNameTheirKey() throws Exception {
        // a resize inside is read with its keys (DetrPipelineConfigTest); its errors name their key
        assertError("3].transforms[1][0].scales", "two positive sizes", RESIZE + ", {type: RandomChoice, transforms:"
                + " [[{type: RandomFlip}], [{type: RandomChoiceResize, scales: [[400, 0], [500, 1333]], keep_ratio: true},"
                + " {type: RandomCrop, crop_size: [384, 600], crop_type: absolute_range}]]}");
        assertError("3].transforms.type", "belongs at the top level", RESIZE + ", {type: Compose, transforms: {type: LoadAnnotations}}");
        assertError("3].transforms[0].type", "mixes several images", RESIZE + ", {type: RandomApply, transforms: [{type: Mosaic}]}");
        assertError("3].transforms[0].type", "not supported inside a wrapper", RESIZE + ", {type: RandomApply, transforms: [{type: Albu}]}");
        assertError("3].transforms[0].probb", "unknown key", RESIZE + ", {type: RandomApply, transforms: [{type: RandomFlip, probb: 0.5}]}");
        assertError("3].transforms[0].prob", "must be in [0", RESIZE + ", {type: RandomApply, transforms: [{type: RandomFlip, prob: 2}]}");
        assertError("3].transforms", "required", RESIZE + ", {type: RandomApply, prob: 0.5}");
        assertError("3].transforms", "non-empty list of candidates", RESIZE + ", {type: RandomChoice, transforms: []}");
        assertError("3].transforms[0]", "must be a transform", RESIZE + ", {type: RandomApply, transforms: [[{type: RandomFlip}]]}");
        assertError("3].prob", "must be a float", RESIZE + ", {type: RandomChoice, transforms: [[], []], prob: [1, 0]}");
        assertError("3].prob", "add up to exactly 1", RESIZE + ", {type: RandomChoice, transforms: [[], []], prob: [0.5, 0.6]}");
        assertError("3].prob", "one probability per candidate", RESIZE + ", {type: RandomChoice, transforms: [[], []], prob: [1.0]}");
        assertError("3].prob", ">= 0", RESIZE + ", {type: RandomChoice, transforms: [[], []], prob: [1.5, -0.5]}");
        assertError("3].prob", "finite", RESIZE + ", {type: RandomApply, transforms: [], prob: 1e400}");
        assertError("3].foo", "unknown key", RESIZE + ", {type: RandomApply, transforms: [], foo: 1}");
        // a float image from a wrapped PhotoMetricDistortion cannot reach Posterize (MMDetection fails there)
        assertError("4].type", "8-bit", RESIZE + ", {type: RandomApply, transforms: [{type: PhotoMetricDistortion}]},"
                + " {type: Posterize}");
        assertError("3].transforms[1].type", "8-bit", RESIZE + ", {type: Compose, transforms: [{type: PhotoMetricDistortion},"
                + " {type: AutoAugment}]}");
        // wrappers are training steps
        ConfigException e = ConfigLoaderTest.fails("val_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, " + RESIZE
                + ", {type: Compose, transforms: []}, {type: PackDetInputs}]");
        assertTrue(e.getMessage().contains("only belongs in a training pipeline"), e.getMessage());
    }

    @Test
    void randomErasingReadsMmdetsKeysAndDefaults() throws Exception {
        List<Transform> t = train(RESIZE + ", {type: RandomErasing, n_patches: 3, ratio: 0.25}");
        assertEquals(new RandomErasing(3, 3, 0.25, 0.25, true, 0.9, List.of(128.0, 128.0, 128.0)), t.get(1));
        t = train(RESIZE + ", {type: RandomErasing, n_patches: [1, 4], ratio: [0.1, 1], squared: false, bbox_erased_thr: 0.5,"
                + " img_border_value: [0, 114.5, 255], mask_border_value: 0, seg_ignore_label: 255}");
        assertEquals(new RandomErasing(1, 4, 0.1, 1, false, 0.5, List.of(0.0, 114.5, 255.0)), t.get(1));
        assertError("3].n_patches", "required", RESIZE + ", {type: RandomErasing, ratio: 0.2}");
        assertError("3].ratio", "required", RESIZE + ", {type: RandomErasing, n_patches: 1}");
        assertError("3].n_patches", "IndexError", RESIZE + ", {type: RandomErasing, n_patches: [0, 2], ratio: 0.2}");
        assertError("3].n_patches", "IndexError", RESIZE + ", {type: RandomErasing, n_patches: 0, ratio: 0.2}");
        assertError("3].n_patches", "0 <= lo < hi", RESIZE + ", {type: RandomErasing, n_patches: [2, 2], ratio: 0.2}");
        assertError("3].ratio", "0 <= lo < hi <= 1", RESIZE + ", {type: RandomErasing, n_patches: 1, ratio: [0.3, 0.3]}");
        assertError("3].ratio", "0 <= lo < hi <= 1", RESIZE + ", {type: RandomErasing, n_patches: 1, ratio: [0.1, 1.5]}");
        assertError("3].ratio", "[0, 1)", RESIZE + ", {type: RandomErasing, n_patches: 1, ratio: 1}");
        assertError("3].img_border_value", "[0, 255]", RESIZE + ", {type: RandomErasing, n_patches: 1, ratio: 0.1, img_border_value: 300}");
        assertError("3].img_border_value", "3 numbers", RESIZE + ", {type: RandomErasing, n_patches: 1, ratio: 0.1, img_border_value: [1, 2]}");
        assertError("3].bbox_erased_thr", "finite", RESIZE + ", {type: RandomErasing, n_patches: 1, ratio: 0.1, bbox_erased_thr: 1e400}");
        assertError("3].mask_border_value", "integer", RESIZE + ", {type: RandomErasing, n_patches: 1, ratio: 0.1, mask_border_value: x}");
        assertError("3].prob", "unknown key", RESIZE + ", {type: RandomErasing, n_patches: 1, ratio: 0.1, prob: 0.5}");
        assertError("4].type", "appears twice", RESIZE + ", {type: RandomErasing, n_patches: 1, ratio: 0.1},"
                + " {type: RandomErasing, n_patches: 1, ratio: 0.1}");
        ConfigException e = ConfigLoaderTest.fails("val_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, " + RESIZE
                + ", {type: RandomErasing, n_patches: 1, ratio: 0.1}, {type: PackDetInputs}]");
        assertTrue(e.getMessage().contains("only belongs in a training pipeline"), e.getMessage());
    }
}
