package autoassign.config;

import autoassign.data.PhotoMetricDistortion;
import autoassign.data.RandomCenterCropPad;
import autoassign.data.RandomFlip;
import autoassign.data.ResizeStep;
import autoassign.data.ToFloat32;
import autoassign.data.Transform;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RandomCenterCropPad in configs: CenterNet's training pipeline from MMDetection's Python text and from YAML, LoadImageFromFile's
 * {@code to_float32}, and every value MMDetection asserts on (or the engine refuses: test mode, an 8-bit image) one error
 * naming its key.
 */
class RandomCenterCropPadConfigTest {
    static final Path CENTERNET_PY = Path.of("src/test/resources/mmdet_configs/centernet/autoassign_centernet-pipeline_coco.py");
    private static final String PIPE = "train_dataloader.dataset.pipeline=[{type: LoadImageFromFile, to_float32: true},"
            + " {type: LoadAnnotations, with_bbox: true}, ";
    private static final String MEAN = "mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], to_rgb: true";
    private static final List<Double> CENTERNET_RATIOS = List.of(0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3);

    private static PipelineConfig train(String steps) throws Exception {
        return ConfigLoader.parse(ConfigLoaderTest.r50Text(), "configs/x.yaml", List.of(PIPE + steps + ", {type: PackDetInputs}]"))
                .trainDataloader().dataset().pipeline();
    }

    private static void assertError(String key, String text, String override) throws Exception {
        ConfigException e = ConfigLoaderTest.fails(override);
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.getMessage().contains(text), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    /** The error of a training pipeline whose step 2 is {@code RandomCenterCropPad} with these keys. */
    private static void assertStepError(String key, String text, String keys) throws Exception {
        assertError("train_dataloader.dataset.pipeline[2]." + key, text, PIPE + "{type: RandomCenterCropPad, " + keys + "},"
                + " {type: Resize, scale: [512, 512], keep_ratio: true}, {type: PackDetInputs}]");
    }

    @Test
    void centernetsTrainPipelineFromMmdetectionsPython() {
        Config c = ConfigLoader.load(CENTERNET_PY);
        List<Transform> t = c.trainDataloader().dataset().pipeline().transforms();
        assertEquals(List.of(new PhotoMetricDistortion(32, 0.5, 1.5, 0.5, 1.5, 18),
                RandomCenterCropPad.training(512, 512, CENTERNET_RATIOS, 128, List.of(0.0, 0.0, 0.0), true, true),
                ResizeStep.keepRatio(true), RandomFlip.horizontal(0.5)), t);
        assertEquals(List.of(512, 512), c.trainDataloader().dataset().pipeline().scale());
        // the rest is the base's, its test pipeline included
        assertEquals(ConfigLoader.load(PythonConfigTest.MMDET).valDataloader(), c.valDataloader());
    }

    @Test
    void yamlWithToFloat32AndEveryKey() throws Exception {
        PipelineConfig p = train("{type: RandomCenterCropPad, crop_size: [511, 383], ratios: [0.5, 1.25], border: 64, " + MEAN
                + ", test_mode: false, test_pad_mode: null, test_pad_add_pix: 0, bbox_clip_border: false},"
                + " {type: Resize, scale: [512, 512], keep_ratio: true}");
        assertEquals(List.of(new ToFloat32(), RandomCenterCropPad.training(511, 383, List.of(0.5, 1.25), 64,
                List.of(123.675, 116.28, 103.53), true, false), ResizeStep.keepRatio(true)), p.transforms());
        // MMDetection's default ratios (0.9, 1.0, 1.1) and border 128
        PipelineConfig d = train("{type: RandomCenterCropPad, crop_size: [64, 64], " + MEAN + ", test_pad_mode: null},"
                + " {type: Resize, scale: [512, 512], keep_ratio: true}");
        assertEquals(RandomCenterCropPad.training(64, 64, List.of(0.9, 1.0, 1.1), 128, List.of(123.675, 116.28, 103.53), true, true),
                d.transforms().get(1));
    }

    @Test
    void mmdetectionsAssertsAreOneLineErrorsNamingTheKey() throws Exception {
        String ok = "crop_size: [512, 512], " + MEAN + ", test_pad_mode: null";
        assertStepError("crop_size", "required with test_mode: false", MEAN + ", test_pad_mode: null");
        assertStepError("crop_size", "two numbers (w, h) > 0", "crop_size: [0, 512], " + MEAN + ", test_pad_mode: null");
        assertStepError("crop_size", "two numbers (w, h) > 0", "crop_size: [512], " + MEAN + ", test_pad_mode: null");
        assertStepError("ratios", "got null", ok + ", ratios: null");
        assertStepError("ratios", "must not be empty", ok + ", ratios: []");
        assertStepError("ratios", "at least 1 pixel", ok + ", ratios: [0.6, 0.001]");
        assertStepError("ratios", "at least 1 pixel", ok + ", ratios: [-1]");
        assertStepError("border", ">= 1", ok + ", border: 0");
        assertStepError("border", "got null", ok + ", border: null");
        assertStepError("test_pad_mode", "must be given as null with test_mode: false", "crop_size: [512, 512], " + MEAN);
        assertStepError("test_pad_mode", "must be given as null", ok.replace("test_pad_mode: null", "test_pad_mode: [logical_or, 127]"));
        assertStepError("mean", "required key is missing", "crop_size: [512, 512], std: [1, 1, 1], to_rgb: true, test_pad_mode: null");
        assertStepError("std", "required key is missing", "crop_size: [512, 512], mean: [0, 0, 0], to_rgb: true, test_pad_mode: null");
        assertStepError("to_rgb", "required key is missing", "crop_size: [512, 512], mean: [0, 0, 0], std: [1, 1, 1], test_pad_mode: null");
        assertStepError("mean", "must be 3 numbers", "crop_size: [512, 512], mean: [0, 0], std: [1, 1, 1], to_rgb: true, test_pad_mode: null");
        assertStepError("bbox_clip_bordr", "unknown key", ok + ", bbox_clip_bordr: true");
    }

    @Test
    void testModeIsCheckedThenRefusedSayingWhy() throws Exception {
        String test = MEAN + ", test_mode: true";
        assertStepError("ratios", "must be given as null with test_mode: true", "crop_size: null, border: null, " + test);
        assertStepError("ratios", "must be given as null", "ratios: [1.0], border: null, " + test);
        assertStepError("border", "its default is not null", "ratios: null, " + test);
        assertStepError("crop_size", "must be given as null", "crop_size: [512, 512], ratios: null, border: null, " + test);
        assertStepError("test_pad_mode", "[logical_or | size_divisor, an integer]", "ratios: null, border: null, " + test
                + ", test_pad_mode: [reflect, 32]");
        assertStepError("test_pad_mode", "[logical_or | size_divisor, an integer]", "ratios: null, border: null, " + test
                + ", test_pad_mode: null");
        assertStepError("test_pad_mode", "size_divisor needs a value >= 1", "ratios: null, border: null, " + test
                + ", test_pad_mode: [size_divisor, 0]");
        // CenterNet's test step, valid for MMDetection: refused, naming the head logic AutoAssign lacks
        String centernet = "ratios: null, border: null, mean: [0, 0, 0], std: [1, 1, 1], to_rgb: true, test_mode: true,"
                + " test_pad_mode: [logical_or, 31], test_pad_add_pix: 1";
        assertStepError("test_mode", "AutoAssign's head does not", centernet);
        assertError("val_dataloader.dataset.pipeline[1].test_mode", "only MMDetection's CenterNet / CornerNet heads subtract",
                "val_dataloader.dataset.pipeline=[{type: LoadImageFromFile, to_float32: true}, {type: RandomCenterCropPad, "
                        + centernet + "}, {type: Resize, scale: [1333, 800], keep_ratio: true}, {type: PackDetInputs}]");
        // a training-mode step in a test pipeline crops at random
        assertError("val_dataloader.dataset.pipeline[1].type", "only belongs in a training pipeline",
                "val_dataloader.dataset.pipeline=[{type: LoadImageFromFile, to_float32: true}, {type: RandomCenterCropPad,"
                        + " crop_size: [512, 512], " + MEAN + ", test_pad_mode: null}, {type: Resize, scale: [1333, 800], keep_ratio: true},"
                        + " {type: PackDetInputs}]");
    }

    @Test
    void anImageThatIsStill8BitIsRefused() throws Exception {
        String step = "{type: RandomCenterCropPad, crop_size: [512, 512], " + MEAN + ", test_pad_mode: null}";
        assertError("train_dataloader.dataset.pipeline[2].type", "needs a float32 image",
                "train_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true}, " + step
                        + ", {type: Resize, scale: [512, 512], keep_ratio: true}, {type: PackDetInputs}]");
        assertError("train_dataloader.dataset.pipeline[2].type", "needs a float32 image",
                "train_dataloader.dataset.pipeline=[{type: LoadImageFromFile, to_float32: false}, {type: LoadAnnotations, with_bbox: true}, "
                        + step + ", {type: Resize, scale: [512, 512], keep_ratio: true}, {type: PackDetInputs}]");
        // after to_float32, the 8-bit-only AutoAugment transforms are refused as after PhotoMetricDistortion
        assertError("train_dataloader.dataset.pipeline[2].type", "LoadImageFromFile(to_float32) makes it float",
                PIPE + "{type: Posterize}, {type: Resize, scale: [512, 512], keep_ratio: true}, {type: PackDetInputs}]");
        // not inside MMCV's wrappers
        assertError("train_dataloader.dataset.pipeline[2].transforms[0].type", "not supported inside a wrapper",
                PIPE + "{type: RandomApply, transforms: [" + step + "]}, {type: Resize, scale: [512, 512], keep_ratio: true},"
                        + " {type: PackDetInputs}]");
    }
}
