package autoassign.config;

import autoassign.data.FlipDirection;
import autoassign.data.PhotoMetricDistortion;
import autoassign.data.RandomCrop;
import autoassign.data.RandomFlip;
import autoassign.data.ResizeStep;
import autoassign.data.Transform;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RandomFlip directions, RandomCrop and PhotoMetricDistortion in configs: read in order, every wrong value one error. */
class AugmentationConfigTest {
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
        PipelineConfig shared = train("{type: Resize, scale: [1333, 800]}, {type: RandomFlip, prob: 0.6, direction: [vertical, diagonal]}");
        assertEquals(new RandomFlip(List.of(FlipDirection.VERTICAL, FlipDirection.DIAGONAL), List.of(0.3, 0.3)), shared.transforms().get(1));
        // the recipe: Resize then a horizontal flip of 0.5
        assertEquals(List.of(ResizeStep.INSTANCE, RandomFlip.horizontal(0.5)),
                ConfigLoader.load(ConfigLoaderTest.R50).trainDataloader().dataset().pipeline().transforms());
        PipelineConfig every = train("{type: Resize, scale: [1333, 800]}, {type: RandomCrop, crop_size: [0.5, 0.75],"
                + " crop_type: relative_range, recompute_bbox: true, bbox_clip_border: false},"
                + " {type: PhotoMetricDistortion, brightness_delta: 16, contrast_range: [0.8, 1.2], saturation_range: [0.7, 1.3], hue_delta: 9}");
        assertEquals(new RandomCrop(RandomCrop.Type.RELATIVE_RANGE, 0.5, 0.75, false, false), every.transforms().get(1));
        assertEquals(new PhotoMetricDistortion(16, 0.8, 1.2, 0.7, 1.3, 9), every.transforms().get(2));
        assertEquals(0.0, every.flipProb());
    }

    @Test
    void randomCropErrorsNameTheirKey() throws Exception {
        String resize = "{type: Resize, scale: [1333, 800]}, ";
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
        String resize = "{type: Resize, scale: [1333, 800]}, ";
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
}
