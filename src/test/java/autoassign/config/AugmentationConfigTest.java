package autoassign.config;

import autoassign.data.AugmentMagnitude;
import autoassign.data.AutoAugment;
import autoassign.data.ColorAugment;
import autoassign.data.CutOut;
import autoassign.data.Expand;
import autoassign.data.FilterAnnotations;
import autoassign.data.FlipDirection;
import autoassign.data.GeometricAugment;
import autoassign.data.Pad;
import autoassign.data.MinIoURandomCrop;
import autoassign.data.PhotoMetricDistortion;
import autoassign.data.RandAugment;
import autoassign.data.RandomAffine;
import autoassign.data.RandomCrop;
import autoassign.data.RandomFlip;
import autoassign.data.RandomShift;
import autoassign.data.YoloxHsvRandomAug;
import autoassign.data.ResizeStep;
import autoassign.data.Transform;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RandomFlip directions, RandomCrop, PhotoMetricDistortion, Expand, MinIoURandomCrop, RandomShift, CutOut, RandomAffine,
 * YOLOXHSVRandomAug and the AutoAugment family in configs: read in order with MMDetection's defaults, every wrong value one error.
 */
public class AugmentationConfigTest {
    private static final String PIPE = "train_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true}, ";

    private static PipelineConfig train(String steps) throws Exception {
        return ConfigLoader.parse(ConfigLoaderTest.r50Text(), "configs/x.yaml", List.of(PIPE + steps + ", {type: PackDetInputs}]"))
                .trainDataloader().dataset().pipeline();
    }

    /** The key and message of the error a training pipeline with these steps gives. */
    private static ConfigException fails(String steps) throws Exception {
        return ConfigLoaderTest.fails(PIPE + steps + ", {type: PackDetInputs}]");
    }

    private static void assertError(String key, String text, String steps) throws Exception {
        ConfigException e = fails(steps);
        assertEquals("train_dataloader.dataset.pipeline[" + key, e.key(), e.getMessage());
        assertTrue(e.getMessage().contains(text), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void stepsKeepTheirOrderAndMmdetsDefaults() throws Exception {
        PipelineConfig p = train("{type: RandomCrop, crop_size: [384, 600], crop_type: absolute_range, allow_negative_crop: true},"
                + " {type: Resize, scale: [1333, 800], keep_ratio: true}, {type: PhotoMetricDistortion},"
                + " {type: RandomFlip, prob: [0.3, 0.5], direction: [horizontal, vertical]}");
        List<Transform> t = p.transforms();
        assertEquals(4, t.size());
        assertEquals(new RandomCrop(RandomCrop.Type.ABSOLUTE_RANGE, 384, 600, true, true), t.get(0));
        assertEquals(ResizeStep.INSTANCE, t.get(1));
        assertEquals(PhotoMetricDistortion.defaults(), t.get(2));
        assertEquals(new RandomFlip(List.of(FlipDirection.HORIZONTAL, FlipDirection.VERTICAL), List.of(0.3, 0.5)), t.get(3));
        assertEquals(0.8, p.flipProb(), 1e-12);
        // one prob for a list of directions: shared out equally (MMCV)
        PipelineConfig shared = train("{type: Resize, scale: [1333, 800], keep_ratio: true}, {type: RandomFlip, prob: 0.6, direction: [vertical, diagonal]}");
        assertEquals(new RandomFlip(List.of(FlipDirection.VERTICAL, FlipDirection.DIAGONAL), List.of(0.3, 0.3)), shared.transforms().get(1));
        // the recipe: Resize then a horizontal flip of 0.5
        assertEquals(List.of(ResizeStep.INSTANCE, RandomFlip.horizontal(0.5)),
                ConfigLoader.load(ConfigLoaderTest.R50).trainDataloader().dataset().pipeline().transforms());
        PipelineConfig every = train("{type: Resize, scale: [1333, 800], keep_ratio: true}, {type: RandomCrop, crop_size: [0.5, 0.75],"
                + " crop_type: relative_range, recompute_bbox: true, bbox_clip_border: false},"
                + " {type: PhotoMetricDistortion, brightness_delta: 16, contrast_range: [0.8, 1.2], saturation_range: [0.7, 1.3], hue_delta: 9}");
        assertEquals(new RandomCrop(RandomCrop.Type.RELATIVE_RANGE, 0.5, 0.75, false, false), every.transforms().get(1));
        assertEquals(new PhotoMetricDistortion(16, 0.8, 1.2, 0.7, 1.3, 9), every.transforms().get(2));
        assertEquals(0.0, every.flipProb());
    }

    @Test
    void randomCropErrorsNameTheirKey() throws Exception {
        String resize = "{type: Resize, scale: [1333, 800], keep_ratio: true}, ";
        assertError("3].crop_size", "required key is missing", resize + "{type: RandomCrop}");
        assertError("3].crop_size", "must be two numbers", resize + "{type: RandomCrop, crop_size: [1, 2, 3]}");
        assertError("3].crop_size", "two positive integers", resize + "{type: RandomCrop, crop_size: [384.5, 600]}");
        assertError("3].crop_size", "two positive integers", resize + "{type: RandomCrop, crop_size: [0, 600]}");
        assertError("3].crop_size", "min <= max", resize + "{type: RandomCrop, crop_size: [600, 384], crop_type: absolute_range}");
        assertError("3].crop_size", "fractions in (0, 1]", resize + "{type: RandomCrop, crop_size: [0.5, 1.5], crop_type: relative}");
        assertError("3].crop_type", "must be one of", resize + "{type: RandomCrop, crop_size: [1, 1], crop_type: random}");
        assertError("3].crop_sise", "unknown key", resize + "{type: RandomCrop, crop_size: [1, 1], crop_sise: [1, 1]}");
        assertError("3].allow_negative_crop", "true or false", resize + "{type: RandomCrop, crop_size: [1, 1], allow_negative_crop: 1}");
    }

    @Test
    void randomFlipAndPhotometricErrorsNameTheirKey() throws Exception {
        String resize = "{type: Resize, scale: [1333, 800], keep_ratio: true}, ";
        assertError("3].direction", "must be one of horizontal, vertical, diagonal", resize + "{type: RandomFlip, direction: sideways}");
        assertError("3].direction", "every direction", resize + "{type: RandomFlip, direction: [horizontal, up]}");
        assertError("3].prob", "direction as a list of the same length", resize + "{type: RandomFlip, prob: [0.5]}");
        assertError("3].prob", "direction as a list of the same length", resize + "{type: RandomFlip, prob: [0.5], direction: [horizontal, vertical]}");
        assertError("3].prob", "add up to at most 1", resize + "{type: RandomFlip, prob: [0.6, 0.6], direction: [horizontal, vertical]}");
        assertError("3].prob", "must be in [0.0, 1.0]", resize + "{type: RandomFlip, prob: 1.5}");
        assertError("3].contrast_range", "0 <= lo <= hi", resize + "{type: PhotoMetricDistortion, contrast_range: [1.5, 0.5]}");
        assertError("3].saturation_range", "0 <= lo <= hi", resize + "{type: PhotoMetricDistortion, saturation_range: [0.5]}");
        assertError("3].hue_delta", ">= 0", resize + "{type: PhotoMetricDistortion, hue_delta: -1}");
        assertError("3].brightness", "unknown key", resize + "{type: PhotoMetricDistortion, brightness: 3}");
        assertError("4].type", "appears twice", resize + "{type: PhotoMetricDistortion}, {type: PhotoMetricDistortion}");
        // a val / test pipeline refuses the random steps, as it always refused RandomFlip
        for (String random : List.of("{type: PhotoMetricDistortion}", "{type: RandomFlip, prob: 0.5}", "{type: RandomCrop, crop_size: [8, 8]}")) {
            ConfigException e = ConfigLoaderTest.fails("val_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, " + resize + random + "]");
            assertEquals("val_dataloader.dataset.pipeline[2].type", e.key(), e.getMessage());
            assertTrue(e.getMessage().contains("only belongs in a training pipeline"), e.getMessage());
        }
    }

    @Test
    void ssdAndYoloxStepsReadMmdetsDefaultsInOrder() throws Exception {
        PipelineConfig p = train("{type: Expand}, {type: MinIoURandomCrop}, {type: Resize, scale: [1333, 800], keep_ratio: true},"
                + " {type: RandomShift}, {type: CutOut, n_holes: 2, cutout_shape: [8, 4]}, {type: RandomAffine},"
                + " {type: YOLOXHSVRandomAug}");
        List<Transform> t = p.transforms();
        assertEquals(List.of(Expand.defaults(), MinIoURandomCrop.defaults(), ResizeStep.INSTANCE, RandomShift.defaults(),
                new CutOut(2, 2, List.of(new CutOut.Size(8, 4)), false, List.of(0.0, 0.0, 0.0)), RandomAffine.defaults(),
                YoloxHsvRandomAug.defaults()), t);
        PipelineConfig every = train("{type: Resize, scale: [1333, 800], keep_ratio: true},"
                + " {type: Expand, mean: [123.675, 116.28, 103.53], to_rgb: false, ratio_range: [1, 3], prob: 0.25, seg_ignore_label: null},"
                + " {type: MinIoURandomCrop, min_ious: [0.5, 0.7], min_crop_size: 0.5, bbox_clip_border: false},"
                + " {type: RandomShift, prob: 0.3, max_shift_px: 16, filter_thr_px: 2.7},"
                + " {type: CutOut, n_holes: [1, 4], cutout_ratio: [[0.1, 0.2], [0.3, 0.05]], fill_in: [114, 114, 114]},"
                + " {type: RandomAffine, max_rotate_degree: 5, max_translate_ratio: 0.2, scaling_ratio_range: [0.8, 1.2],"
                + " max_shear_degree: 1, border: [-8, 4], border_val: [0, 0, 0], bbox_clip_border: false, skip_filter: false,"
                + " min_bbox_size: 3, min_area_ratio: 0.1, max_aspect_ratio: 10},"
                + " {type: YOLOXHSVRandomAug, hue_delta: 3, saturation_delta: 20, value_delta: 10}");
        List<Transform> e = every.transforms();
        assertEquals(new Expand(List.of(123.675, 116.28, 103.53), false, 1, 3, 0.25), e.get(1));
        assertEquals(new MinIoURandomCrop(List.of(0.5, 0.7), 0.5, false), e.get(2));
        assertEquals(new RandomShift(0.3, 16, 2), e.get(3), "filter_thr_px is int()-ed as MMDetection does");
        assertEquals(new CutOut(1, 4, List.of(new CutOut.Size(0.1, 0.2), new CutOut.Size(0.3, 0.05)), true, List.of(114.0, 114.0, 114.0)), e.get(4));
        assertEquals(new RandomAffine(5, 0.2, 0.8, 1.2, 1, -8, 4, List.of(0.0, 0.0, 0.0), false, false, 3, 0.1, 10), e.get(5));
        assertEquals(new YoloxHsvRandomAug(3, 20, 10), e.get(6));
    }

    @Test
    void ssdAndYoloxStepErrorsNameTheirKey() throws Exception {
        String resize = "{type: Resize, scale: [1333, 800], keep_ratio: true}, ";
        assertError("3].mean", "must be 3 numbers", resize + "{type: Expand, mean: [1, 2]}");
        assertError("3].mean", "[0, 255]", resize + "{type: Expand, mean: [1, 2, 300]}");
        assertError("3].ratio_range", "1 <= lo <= hi", resize + "{type: Expand, ratio_range: [0.5, 2]}");
        assertError("3].seg_ignore_label", "segmentation maps are not loaded", resize + "{type: Expand, seg_ignore_label: 255}");
        assertError("3].prob", "must be in [0.0, 1.0]", resize + "{type: Expand, prob: 2}");
        assertError("3].min_ious", "[0, 1]", resize + "{type: MinIoURandomCrop, min_ious: [0.5, 1.5]}");
        assertError("3].min_crop_size", "(0, 1]", resize + "{type: MinIoURandomCrop, min_crop_size: 0}");
        assertError("3].max_shift_px", ">= 1", resize + "{type: RandomShift, max_shift_px: 0}");
        assertError("3].n_holes", "required key is missing", resize + "{type: CutOut, cutout_shape: [4, 4]}");
        assertError("3].n_holes", "0 <= lo < hi", resize + "{type: CutOut, n_holes: [3, 3], cutout_shape: [4, 4]}");
        assertError("3].cutout_shape", "exactly one of", resize + "{type: CutOut, n_holes: 1}");
        assertError("3].cutout_ratio", "exactly one of", resize + "{type: CutOut, n_holes: 1, cutout_shape: [4, 4], cutout_ratio: [0.1, 0.1]}");
        assertError("3].cutout_shape", "two integers", resize + "{type: CutOut, n_holes: 1, cutout_shape: [4.5, 4]}");
        assertError("3].cutout_shape", "two numbers [w, h]", resize + "{type: CutOut, n_holes: 1, cutout_shape: [[4, 4], [1]]}");
        assertError("3].fill_in", "[0, 255]", resize + "{type: CutOut, n_holes: 1, cutout_shape: [4, 4], fill_in: [0, 0, -1]}");
        assertError("3].cut_shape", "unknown key", resize + "{type: CutOut, n_holes: 1, cutout_shape: [4, 4], cut_shape: [4, 4]}");
        assertError("3].scaling_ratio_range", "0 < lo <= hi", resize + "{type: RandomAffine, scaling_ratio_range: [1.5, 0.5]}");
        assertError("3].max_translate_ratio", "must be in [0.0, 1.0]", resize + "{type: RandomAffine, max_translate_ratio: 1.5}");
        assertError("3].border", "two integers", resize + "{type: RandomAffine, border: [1, 2, 3]}");
        assertError("3].min_bbox_size", "only applies with skip_filter: false", resize + "{type: RandomAffine, min_bbox_size: 4}");
        assertError("3].hue_delta", ">= 0", resize + "{type: YOLOXHSVRandomAug, hue_delta: -1}");
        assertError("3].value_delta", "at most 255", resize + "{type: YOLOXHSVRandomAug, value_delta: 300}");
        assertError("4].type", "appears twice", resize + "{type: RandomAffine}, {type: RandomAffine}");
        for (String random : List.of("{type: Expand}", "{type: MinIoURandomCrop}", "{type: RandomShift}",
                "{type: CutOut, n_holes: 1, cutout_shape: [4, 4]}", "{type: RandomAffine}", "{type: YOLOXHSVRandomAug}")) {
            ConfigException e = ConfigLoaderTest.fails("val_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, " + resize + random + "]");
            assertEquals("val_dataloader.dataset.pipeline[2].type", e.key(), e.getMessage());
            assertTrue(e.getMessage().contains("only belongs in a training pipeline"), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ AutoAugment, RandAugment and their transforms

    @Test
    void autoAugmentFamilyReadsMmdetsKeysAndDefaults() throws Exception {
        String resize = "{type: Resize, scale: [1333, 800], keep_ratio: true}";
        List<Transform> t = train("{type: AutoAugment}, {type: RandAugment}, {type: ShearX}, {type: Color, prob: 0.6, level: 4}, "
                + resize).transforms();
        assertEquals(AutoAugment.defaults(), t.get(0));
        assertEquals(RandAugment.defaults(), t.get(1));
        assertEquals(GeometricAugment.defaults(GeometricAugment.Kind.SHEAR_X, 1.0, null), t.get(2));
        assertEquals(new GeometricAugment(GeometricAugment.Kind.SHEAR_X, new AugmentMagnitude(1.0, null, 0, 30), 0.5,
                List.of(128.0, 128.0, 128.0), "bilinear"), t.get(2));
        assertEquals(new ColorAugment(ColorAugment.Kind.COLOR, new AugmentMagnitude(0.6, 4, 0.1, 1.9)), t.get(3));
        // every key of a geometric and a colour transform; level null is a drawn level; a number border for all channels
        t = train(resize + ", {type: Rotate, prob: 0.7, level: 3, min_mag: 5.0, max_mag: 45.0, reversal_prob: 0.2,"
                + " img_border_value: [1, 2, 3.5], mask_border_value: 0, seg_ignore_label: 255, interpolation: bicubic},"
                + " {type: TranslateY, img_border_value: 7}, {type: Solarize, prob: 0.5, level: null, min_mag: 10, max_mag: 200},"
                + " {type: Posterize}, {type: Equalize, min_mag: 3.0, max_mag: 5.0}").transforms();
        assertEquals(new GeometricAugment(GeometricAugment.Kind.ROTATE, new AugmentMagnitude(0.7, 3, 5, 45), 0.2,
                List.of(1.0, 2.0, 3.5), "bicubic"), t.get(1));
        assertEquals(new GeometricAugment(GeometricAugment.Kind.TRANSLATE_Y, new AugmentMagnitude(1, null, 0, 0.1), 0.5,
                List.of(7.0, 7.0, 7.0), "bilinear"), t.get(2));
        assertEquals(new ColorAugment(ColorAugment.Kind.SOLARIZE, new AugmentMagnitude(0.5, null, 10, 200)), t.get(3));
        assertEquals(new ColorAugment(ColorAugment.Kind.POSTERIZE, new AugmentMagnitude(1, null, 0, 4)), t.get(4));
        assertEquals(new ColorAugment(ColorAugment.Kind.EQUALIZE, new AugmentMagnitude(1, null, 3, 5)), t.get(5));
        // MMDetection's docstring example policies, with a per-policy prob
        AutoAugment custom = (AutoAugment) train(resize + ", {type: AutoAugment, policies: [[{type: Sharpness, prob: 0.0, level: 8},"
                + " {type: ShearX, prob: 0.4, level: 0}], [{type: Rotate, prob: 0.6, level: 10}, {type: Color, prob: 1.0, level: 6}]],"
                + " prob: [0.25, 0.75]}").transforms().get(1);
        assertEquals(new AutoAugment(List.of(
                List.of(AutoAugment.transform("Sharpness", 0.0, 8), AutoAugment.transform("ShearX", 0.4, 0)),
                List.of(AutoAugment.transform("Rotate", 0.6, 10), AutoAugment.transform("Color", 1.0, 6))), List.of(0.25, 0.75)), custom);
        RandAugment rand = (RandAugment) train(resize + ", {type: RandAugment, aug_space: [[{type: Sharpness}], [{type: ShearX, level: 2}],"
                + " [{type: Color}]], aug_num: 1, prob: [0.5, 0.25, 0.25]}").transforms().get(1);
        assertEquals(new RandAugment(List.of(AutoAugment.transform("Sharpness", 1.0, null), AutoAugment.transform("ShearX", 1.0, 2),
                AutoAugment.transform("Color", 1.0, null)), 1, List.of(0.5, 0.25, 0.25)), rand);
        // an 8-bit-only transform before PhotoMetricDistortion is fine
        assertEquals(3, train("{type: AutoAugment}, {type: PhotoMetricDistortion}, " + resize).transforms().size());
    }

    @Test
    void autoAugmentFamilyErrorsNameTheirKey() throws Exception {
        String resize = "{type: Resize, scale: [1333, 800], keep_ratio: true}, ";
        assertError("3].level", "must be an integer in [0, 10]", resize + "{type: Rotate, level: 11}");
        assertError("3].level", "must be an integer", resize + "{type: Rotate, level: 2.5}");
        assertError("3].max_mag", "must be in [0, 90.0] for ShearX", resize + "{type: ShearX, max_mag: 100.0}");
        assertError("3].min_mag", "must be in [0, 2.0] for Color", resize + "{type: Color, min_mag: -0.5}");
        assertError("3].max_mag", "must be >= min_mag", resize + "{type: Contrast, min_mag: 1.5, max_mag: 1.0}");
        assertError("3].max_mag", "must be >= min_mag", resize + "{type: Invert, min_mag: 3.0}");
        assertError("3].prob", "must be in [0.0, 1.0]", resize + "{type: Invert, prob: 1.5}");
        assertError("3].reversal_prob", "must be in [0.0, 1.0]", resize + "{type: TranslateX, reversal_prob: -0.1}");
        assertError("3].interpolation", "must be one of nearest, bilinear, bicubic, area, lanczos", resize + "{type: Rotate, interpolation: cubic}");
        assertError("3].img_border_value", "every value must be in [0, 255]", resize + "{type: ShearY, img_border_value: 300}");
        assertError("3].img_border_value", "must be 3 numbers", resize + "{type: ShearY, img_border_value: [1, 2]}");
        assertError("3].reversal_prob", "unknown key", resize + "{type: Color, reversal_prob: 0.5}");
        assertError("3].policies[1][0].type", "take only ShearX, ShearY", resize + "{type: AutoAugment, policies: [[{type: Rotate}],"
                + " [{type: Resize, scale: [1, 1], keep_ratio: true}]]}");
        assertError("3].policies[0][0].level", "in [0, 10]", resize + "{type: AutoAugment, policies: [[{type: Rotate, level: 12}]]}");
        assertError("3].policies[0][1].type", "required key is missing", resize + "{type: AutoAugment, policies: [[{type: Rotate}, {prob: 1.0}]]}");
        assertError("3].policies[0][0].angle", "unknown key", resize + "{type: AutoAugment, policies: [[{type: Rotate, angle: 3}]]}");
        assertError("3].policies", "non-empty list", resize + "{type: AutoAugment, policies: []}");
        assertError("3].policies[0]", "non-empty list", resize + "{type: AutoAugment, policies: [[]]}");
        assertError("3].policies[0]", "must be a list", resize + "{type: AutoAugment, policies: [{type: Rotate}]}");
        assertError("3].prob", "one probability per policy (2)", resize + "{type: AutoAugment, policies: [[{type: Rotate}],"
                + " [{type: Invert}]], prob: [1.0]}");
        assertError("3].prob", "exactly 1", resize + "{type: AutoAugment, policies: [[{type: Rotate}], [{type: Invert}]], prob: [0.5, 0.4]}");
        assertError("3].prob", ">= 0", resize + "{type: AutoAugment, policies: [[{type: Rotate}], [{type: Invert}]], prob: [1.5, -0.5]}");
        assertError("3].aug_space[0]", "exactly one transform", resize + "{type: RandAugment, aug_space: [[{type: Rotate}, {type: Color}]]}");
        assertError("3].aug_space[1][0].type", "take only", resize + "{type: RandAugment, aug_space: [[{type: Rotate}], [{type: CutOut}]]}");
        assertError("3].aug_num", "must be in [0, 15]", resize + "{type: RandAugment, aug_num: 16}");
        assertError("3].aug_num", "of non-zero probability", resize + "{type: RandAugment, aug_space: [[{type: Rotate}], [{type: Color}]],"
                + " prob: [1.0, 0.0], aug_num: 2}");
        assertError("4].type", "appears twice", resize + "{type: AutoAugment}, {type: AutoAugment}");
        assertError("4].type", "PhotoMetricDistortion makes it float", resize + "{type: PhotoMetricDistortion}, {type: AutoAugment}");
        assertError("4].type", "PhotoMetricDistortion makes it float", resize + "{type: PhotoMetricDistortion}, {type: Equalize}");
        assertEquals(4, train(resize + "{type: PhotoMetricDistortion}, {type: Invert}, {type: AutoAugment, policies: [[{type: Rotate}]]}")
                .transforms().size(), "float-safe transforms may follow it");
        for (String random : List.of("{type: AutoAugment}", "{type: RandAugment}", "{type: Rotate}", "{type: Sharpness}")) {
            ConfigException e = ConfigLoaderTest.fails("val_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, " + resize + random + "]");
            assertEquals("val_dataloader.dataset.pipeline[2].type", e.key(), e.getMessage());
            assertTrue(e.getMessage().contains("only belongs in a training pipeline"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ Mosaic / MixUp in a MultiImageMixDataset

    private static final String INNER = "dataset: {type: CocoDataset, ann_file: annotations/instances_train2017.json,"
            + " data_prefix: {img: train2017/}, pipeline: [{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true}]}";

    /** The train dataset as a MultiImageMixDataset with these wrapper keys (pipeline included). */
    private static String mix(String keys) {
        return "train_dataloader.dataset={_delete_: true, type: MultiImageMixDataset, " + INNER + ", " + keys + "}";
    }

    private static final String YOLOX = "pipeline: [{type: Mosaic, img_scale: [640, 640], pad_val: 114.0},"
            + " {type: RandomAffine, scaling_ratio_range: [0.1, 2], border: [-320, -320]},"
            + " {type: MixUp, img_scale: [640, 640], ratio_range: [0.8, 1.6], pad_val: 114.0}, {type: YOLOXHSVRandomAug},"
            + " {type: RandomFlip, prob: 0.5}, {type: Resize, scale: [640, 640], keep_ratio: true}, {type: PackDetInputs}]";

    @Test
    void multiImageMixDatasetReadsAsOneStepListWithMmdetsDefaults() throws Exception {
        Config c = ConfigLoader.parse(ConfigLoaderTest.r50Text(), "configs/x.yaml", List.of(mix(YOLOX)));
        DatasetConfig ds = c.trainDataloader().dataset();
        assertEquals("CocoDataset", ds.type());
        assertEquals("annotations/instances_train2017.json", ds.annFile());
        assertTrue(ds.wrappers().isEmpty());
        List<Transform> t = ds.pipeline().transforms();
        assertEquals(7, t.size(), t.toString());
        assertEquals(new autoassign.data.MultiImageMixDataset(15, List.of()), t.get(0));
        assertEquals(autoassign.data.Mosaic.defaults(), t.get(1));
        assertEquals(new autoassign.data.MixUp(640, 640, 0.8, 1.6, 0.5, 114.0, false, 15, true), t.get(3));
        assertEquals(ResizeStep.INSTANCE, t.get(6));
        assertEquals(640, ds.pipeline().scaleLong());
        assertEquals(0.5, ds.pipeline().flipProb(), 0);
        // skip_type_keys (a fixed list here): the steps are checked and left out; max_refetch; an integer pad_val
        Config skipped = ConfigLoader.parse(ConfigLoaderTest.r50Text(), "configs/x.yaml", List.of(mix("skip_type_keys: [Mosaic, MixUp],"
                + " max_refetch: 3, pipeline: [{type: Mosaic}, {type: MixUp, pad_val: 114}, {type: Resize, scale: [640, 640], keep_ratio: true}]")));
        List<Transform> k = skipped.trainDataloader().dataset().pipeline().transforms();
        assertEquals(List.of(new autoassign.data.MultiImageMixDataset(3, List.of("Mosaic", "MixUp")), ResizeStep.INSTANCE), k);
        Config intPad = ConfigLoader.parse(ConfigLoaderTest.r50Text(), "configs/x.yaml",
                List.of(mix("pipeline: [{type: MixUp, pad_val: 114}, {type: Resize, scale: [640, 640], keep_ratio: true}]")));
        assertTrue(((autoassign.data.MixUp) intPad.trainDataloader().dataset().pipeline().transforms().get(1)).padIsInt());
        // RepeatDataset around it
        Config rep = ConfigLoader.parse(ConfigLoaderTest.r50Text(), "configs/x.yaml", List.of("train_dataloader.dataset={_delete_: true,"
                + " type: RepeatDataset, times: 2, dataset: {type: MultiImageMixDataset, " + INNER + ", " + YOLOX + "}}"));
        assertEquals(1, rep.trainDataloader().dataset().wrappers().size());
        assertEquals(7, rep.trainDataloader().dataset().pipeline().transforms().size());
    }

    private static void assertMixError(String key, String text, String... overrides) throws Exception {
        ConfigException e = ConfigLoaderTest.fails(overrides);
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.getMessage().contains(text), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void multiImageStepsRefuseWhatMmdetWouldNotRun() throws Exception {
        assertError("2].type", "MultiImageMixDataset", "{type: Mosaic}, {type: Resize, scale: [640, 640], keep_ratio: true}");
        // RTMDet's cached steps belong in a dataset's own pipeline (docs/data.md "Cached steps"), not in the wrapper's
        assertEquals(List.of(autoassign.data.CachedMosaic.defaults(), ResizeStep.INSTANCE, autoassign.data.CachedMixUp.defaults()),
                train("{type: CachedMosaic}, {type: Resize, scale: [640, 640], keep_ratio: true}, {type: CachedMixUp}").transforms());
        String resize = "{type: Resize, scale: [640, 640], keep_ratio: true}]";
        assertMixError("train_dataloader.dataset.pipeline[0].type", "not in a MultiImageMixDataset",
                mix("pipeline: [{type: CachedMixUp}, " + resize));
        assertMixError("train_dataloader.dataset.pipeline[0].foo", "", mix("pipeline: [{type: Mosaic, foo: 1}, " + resize));
        assertMixError("train_dataloader.dataset.pipeline[0].center_ratio_range", "<= 2",
                mix("pipeline: [{type: Mosaic, center_ratio_range: [0.5, 2.5]}, " + resize));
        assertMixError("train_dataloader.dataset.pipeline[0].img_scale", "two positive", mix("pipeline: [{type: MixUp, img_scale: [640]}, " + resize));
        assertMixError("train_dataloader.dataset.pipeline[0].ratio_range", "0 < lo", mix("pipeline: [{type: MixUp, ratio_range: [0, 1]}, " + resize));
        assertMixError("train_dataloader.dataset.pipeline[0].pad_val", "", mix("pipeline: [{type: MixUp, pad_val: 300}, " + resize));
        assertMixError("train_dataloader.dataset.pipeline[0].type", "wraps", mix("pipeline: [{type: LoadImageFromFile}, " + resize));
        assertMixError("train_dataloader.dataset.pipeline", "needs a Resize", mix("pipeline: [{type: Mosaic}]"));
        // both parts resize: the wrapped dataset's takes the pipeline's scale, the wrapper's (on the mixed image) carries its own
        List<autoassign.data.Transform> both = ConfigLoader.parse(ConfigLoaderTest.r50Text(), "configs/x.yaml", List.of(mix("pipeline:"
                + " [{type: Mosaic}, " + resize).replace("{type: LoadAnnotations, with_bbox: true}]",
                "{type: LoadAnnotations, with_bbox: true}, {type: Resize, scale: [9, 9], keep_ratio: true}]")))
                .trainDataloader().dataset().pipeline().transforms();
        assertEquals(ResizeStep.INSTANCE, both.get(0));
        assertEquals(new autoassign.data.OwnScaleResize(ResizeStep.INSTANCE, 640, 640, null, 3), both.get(3));
        assertEquals(List.of(9, 9), ConfigLoader.parse(ConfigLoaderTest.r50Text(), "configs/x.yaml", List.of(mix("pipeline:"
                + " [{type: Mosaic}, " + resize).replace("{type: LoadAnnotations, with_bbox: true}]",
                "{type: LoadAnnotations, with_bbox: true}, {type: Resize, scale: [9, 9], keep_ratio: true}]")))
                .trainDataloader().dataset().pipeline().scale());
        assertMixError("train_dataloader.dataset.skip_type_keys", "list", mix("skip_type_keys: Mosaic, pipeline: [" + resize));
        assertMixError("train_dataloader.dataset.max_refetch", "", mix("max_refetch: 0, pipeline: [" + resize));
        assertMixError("train_dataloader.dataset.dataset.type", "wraps a dataset read from files", "train_dataloader.dataset={_delete_: true,"
                + " type: MultiImageMixDataset, dataset: {type: RepeatDataset, times: 2, dataset: {type: CocoDataset}}, pipeline: [" + resize + "}");
        assertMixError("val_dataloader.dataset.type", "training", "val_dataloader.dataset={_delete_: true, type: MultiImageMixDataset, "
                + INNER + ", pipeline: [" + resize + "}");
    }

    // ------------------------------------------------------------------ Pad and FilterAnnotations

    /** MMDetection 3.3's YOLOX stage-2 training pipeline (configs/yolox, after the mosaic epochs), in Python. */
    static final String YOLOX_STAGE2 = "train_pipeline_stage2 = [\n"
            + "    dict(type='LoadImageFromFile', backend_args=None),\n"
            + "    dict(type='LoadAnnotations', with_bbox=True),\n"
            + "    dict(type='Resize', scale=(640, 640), keep_ratio=True),\n"
            + "    dict(type='YOLOXHSVRandomAug'),\n"
            + "    dict(type='RandomFlip', prob=0.5),\n"
            + "    dict(type='Pad', pad_to_square=True, pad_val=dict(img=(114.0, 114.0, 114.0))),\n"
            + "    dict(type='FilterAnnotations', min_gt_bbox_wh=(1, 1), keep_empty=False),\n"
            + "    dict(type='PackDetInputs')\n"
            + "]\n";

    /** The YOLOX stage-2 list as a pipeline override (Python's tuples become lists). */
    public static String yoloxStage2Override() {
        return "train_dataloader.dataset.pipeline=" + PythonConfig.parse("x.py", YOLOX_STAGE2).get("train_pipeline_stage2");
    }

    @Test
    void padAndFilterAnnotationsReadMmdetsArguments() throws Exception {
        PipelineConfig y = ConfigLoader.parse(ConfigLoaderTest.r50Text(), "configs/x.yaml", List.of(yoloxStage2Override()))
                .trainDataloader().dataset().pipeline();
        assertEquals(List.of(ResizeStep.INSTANCE, YoloxHsvRandomAug.defaults(), RandomFlip.horizontal(0.5),
                new Pad(0, 0, 0, true, List.of(114.0, 114.0, 114.0)), new FilterAnnotations(1, 1, false)), y.transforms());
        String resize = "{type: Resize, scale: [1333, 800], keep_ratio: true}, ";
        // MMCV's defaults: dict(img=0, seg=255); an integer pad_val is that value in every channel (MMCV 2.x's tuple)
        assertEquals(new Pad(0, 0, 32, false, List.of(0.0, 0.0, 0.0)), train(resize + "{type: Pad, size_divisor: 32}").transforms().get(1));
        assertEquals(new Pad(0, 0, 32, true, List.of(114.0, 114.0, 114.0)),
                train(resize + "{type: Pad, size_divisor: 32, pad_to_square: true, pad_val: 114}").transforms().get(1));
        assertEquals(new Pad(640, 480, 0, false, List.of(1.0, 2.0, 3.0)), train(resize
                + "{type: Pad, size: [640, 480], pad_val: {img: [1, 2, 3], seg: 255, masks: 0}, padding_mode: constant}").transforms().get(1));
        // a single float under img reaches cv2.copyMakeBorder as one number: OpenCV's binding fills the first channel only
        assertEquals(new Pad(0, 0, 0, true, List.of(114.5, 0.0, 0.0)),
                train(resize + "{type: Pad, pad_to_square: true, pad_val: {img: 114.5}}").transforms().get(1));
        assertEquals(new Pad(0, 0, 0, true, List.of(7.0, 7.0, 7.0)),
                train(resize + "{type: Pad, pad_to_square: true, pad_val: {img: 7}}").transforms().get(1));
        assertEquals(FilterAnnotations.defaults(), train(resize + "{type: FilterAnnotations}").transforms().get(1));
        assertEquals(new FilterAnnotations(2, 0.5, true), train(resize
                + "{type: FilterAnnotations, min_gt_bbox_wh: [2, 0.5], min_gt_mask_area: 4, by_box: true, by_mask: false}").transforms().get(1));
        // before the Resize too, in the listed order
        assertEquals(List.of(FilterAnnotations.defaults(), ResizeStep.INSTANCE),
                train("{type: FilterAnnotations}, " + resize.substring(0, resize.length() - 2)).transforms());
    }

    @Test
    void padAndFilterAnnotationsErrorsNameTheirKey() throws Exception {
        String resize = "{type: Resize, scale: [1333, 800], keep_ratio: true}, ";
        assertError("3].size", "one of size and size_divisor", resize + "{type: Pad}");
        assertError("3].size", "unset with pad_to_square", resize + "{type: Pad, pad_to_square: true, size: [64, 64]}");
        assertError("3].size_divisor", "only one of size and size_divisor", resize + "{type: Pad, size: [64, 64], size_divisor: 32}");
        assertError("3].size", "two positive sizes", resize + "{type: Pad, size: [64, 0]}");
        assertError("3].size", "two positive sizes", resize + "{type: Pad, size: [64]}");
        assertError("3].size_divisor", "must be", resize + "{type: Pad, size_divisor: 0}");
        assertError("3].padding_mode", "only 'constant'", resize + "{type: Pad, size_divisor: 32, padding_mode: reflect}");
        assertError("3].pad_val", "must be an integer", resize + "{type: Pad, size_divisor: 32, pad_val: 114.0}");
        assertError("3].pad_val", "must be an integer or a mapping", resize + "{type: Pad, size_divisor: 32, pad_val: [1, 2, 3]}");
        assertError("3].pad_val.seg", "segmentation maps are not loaded", resize + "{type: Pad, size_divisor: 32, pad_val: {img: 0, seg: 0}}");
        assertError("3].pad_val.img", "one value per channel", resize + "{type: Pad, size_divisor: 32, pad_val: {img: [1, 2]}}");
        assertError("3].pad_val.imgs", "", resize + "{type: Pad, size_divisor: 32, pad_val: {imgs: 0}}");
        assertError("3].pad_size", "", resize + "{type: Pad, size_divisor: 32, pad_size: 3}");
        assertError("3].min_gt_bbox_wh", "2 numbers", resize + "{type: FilterAnnotations, min_gt_bbox_wh: [1]}");
        assertError("3].by_mask", "masks are not loaded", resize + "{type: FilterAnnotations, by_mask: true}");
        assertError("3].by_box", "must be true", resize + "{type: FilterAnnotations, by_box: false}");
        assertError("3].keep_empty", "true or false", resize + "{type: FilterAnnotations, keep_empty: 1}");
        assertError("3].min_gt_mask_area", "integer", resize + "{type: FilterAnnotations, min_gt_mask_area: 0.5}");
        assertError("3].min_area", "", resize + "{type: FilterAnnotations, min_area: 1}");
        assertError("4].type", "appears twice", resize + "{type: FilterAnnotations}, {type: FilterAnnotations}");
        // FilterAnnotations in val / test pipelines: checked, then skipped (the metrics read the annotation file);
        // YOLOX's test Pad after the Resize
        ConfigException e = ConfigLoaderTest.fails("val_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, " + resize
                + "{type: FilterAnnotations, by_box: false}]");
        assertEquals("val_dataloader.dataset.pipeline[2].by_box", e.key(), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        Config filtered = ConfigLoader.parse(ConfigLoaderTest.r50Text(), "configs/x.yaml", List.of("val_dataloader.dataset.pipeline="
                + "[{type: LoadImageFromFile}, " + resize + "{type: LoadAnnotations}, {type: FilterAnnotations, min_gt_bbox_wh: [1, 1]}, "
                + "{type: PackDetInputs}]"));
        assertEquals(List.of("ResizeStep"), autoassign.api.Detector.testPipeline(filtered, filtered.valDataloader()).transforms()
                .stream().map(t -> t.getClass().getSimpleName()).toList());
        e = ConfigLoaderTest.fails("val_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: Pad, pad_to_square: true}, "
                + resize.substring(0, resize.length() - 2) + "]");
        assertTrue(e.getMessage().contains("Pad belongs after the Resize in a test pipeline"), e.getMessage());
        Config padded = ConfigLoader.parse(ConfigLoaderTest.r50Text(), "configs/x.yaml", List.of("val_dataloader.dataset.pipeline="
                + "[{type: LoadImageFromFile}, " + resize + "{type: Pad, pad_to_square: true, pad_val: {img: [114.0, 114.0, 114.0]}}, "
                + "{type: PackDetInputs}]"));
        var types = autoassign.api.Detector.testPipeline(padded, padded.valDataloader()).transforms().stream().map(t -> t.getClass().getSimpleName()).toList();
        assertEquals(List.of("ResizeStep", "Pad"), types);
        assertEquals(List.of("ResizeStep"), autoassign.api.Detector.testPipeline(ConfigLoader.parse(ConfigLoaderTest.r50Text(),
                "configs/x.yaml", List.of())).transforms().stream().map(t -> t.getClass().getSimpleName()).toList());
    }
}
