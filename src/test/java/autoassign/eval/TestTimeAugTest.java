package autoassign.eval;

import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.postprocess.Detections;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DetTTAModel's merge, bbox_flip, and the tta_model / tta_pipeline config. */
class TestTimeAugTest {
    @Test
    void mergeIsClassAwareNmsOverTheVariantsInOrder() {
        Detections flipped = new Detections(new float[] {0, 0, 10, 10, 50, 50, 60, 60}, new float[] {0.9f, 0.3f}, new int[] {0, 2});
        Detections plain = new Detections(new float[] {1, 0, 10, 10, 0, 0, 10, 10}, new float[] {0.8f, 0.7f}, new int[] {0, 1});
        TestTimeAug tta = TestTimeAug.flips(0.5f, 100);
        Detections m = tta.merge(List.of(flipped, plain));
        // [1,0,10,10] overlaps the 0.9 box of its class (IoU 0.9): gone; the class-1 copy stays
        assertArrayEquals(new float[] {0.9f, 0.7f, 0.3f}, m.scores());
        assertArrayEquals(new int[] {0, 1, 2}, m.labels());
        assertEquals(1, new TestTimeAug(tta.variants(), 0.5f, 1).merge(List.of(flipped, plain)).size(), "max_per_img");
        assertEquals(0, tta.merge(List.of(Detections.EMPTY, Detections.EMPTY)).size());
    }

    @Test
    void bboxFlipMirrorsInTheOriginalWidth() {
        Detections d = new Detections(new float[] {10, 5, 30, 25}, new float[] {0.5f}, new int[] {3});
        assertArrayEquals(new float[] {70, 5, 90, 25}, d.flipped(100).boxes());
        assertArrayEquals(d.boxes(), d.flipped(100).flipped(100).boxes());
    }

    private static Config tiny(String... overrides) {
        return ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of(overrides));
    }

    @Test
    void configDefaultsAndAMultiScalePipeline() {
        TestTimeAug def = tiny().tta().testTimeAug();
        assertEquals(List.of(new TestTimeAug.Variant(0, 0, true), new TestTimeAug.Variant(0, 0, false)), def.variants());
        assertEquals(0.5f, def.iouThr());
        assertEquals(100, def.maxPerImg());
        TestTimeAug ms = tiny("tta_model={type: DetTTAModel, tta_cfg: {nms: {type: nms, iou_threshold: 0.6}, max_per_img: 50}}",
                "tta_pipeline=[{type: LoadImageFromFile, backend_args: null}, {type: TestTimeAug, transforms: ["
                        + "[{type: Resize, scale: [256, 256], keep_ratio: true}, {type: Resize, scale: [320, 192], keep_ratio: true}],"
                        + "[{type: RandomFlip, prob: 1.0}, {type: RandomFlip, prob: 0.0}], [{type: LoadAnnotations, with_bbox: true}],"
                        + "[{type: PackDetInputs, meta_keys: [img_id, flip]}]]}]").tta().testTimeAug();
        assertEquals(List.of(new TestTimeAug.Variant(256, 256, true), new TestTimeAug.Variant(256, 256, false),
                new TestTimeAug.Variant(320, 192, true), new TestTimeAug.Variant(320, 192, false)), ms.variants(), "product order");
        assertEquals(0.6f, ms.iouThr());
        assertEquals(50, ms.maxPerImg());
        ConfigException e = assertThrows(ConfigException.class, () -> tiny("tta_pipeline=[{type: TestTimeAug, transforms: "
                + "[[{type: RandomFlip, prob: 0.5}]]}]"));
        assertTrue(e.getMessage().contains("tta_pipeline[0].transforms[0][0].prob: test-time flips are 1.0 (flipped) or 0.0"),
                e.getMessage());
    }

    /** YOLOX's tta_pipeline pads after the flips; a tta_pipeline's steps replace the test pipeline's (its Pad too). */
    @Test
    void aTtaPipelinesPadAndItsOwnSteps() {
        String resizeFlip = "[{type: Resize, scale: [256, 256], keep_ratio: true}], [{type: RandomFlip, prob: 1.0}, {type: RandomFlip, prob: 0.0}]";
        String pad = "[{type: Pad, pad_to_square: true, pad_val: {img: [114.0, 114.0, 114.0]}}]";
        Config yolox = tiny("tta_pipeline=[{type: LoadImageFromFile}, {type: TestTimeAug, transforms: [" + resizeFlip + ", " + pad
                + ", [{type: PackDetInputs}]]}]");
        var test = autoassign.api.Detector.testPipeline(yolox);
        assertEquals(List.of("ResizeStep", "Pad"), names(yolox.tta().pipeline(test)));
        assertEquals(List.of("ResizeStep"), names(test), "the test pipeline itself has no Pad");
        // the test pipeline's Pad does not run under a tta_pipeline without one; without a tta_pipeline it does
        String testPad = "val_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: Resize, scale: [256, 256], keep_ratio: true},"
                + " {type: Pad, pad_to_square: true}, {type: LoadAnnotations, with_bbox: true}, {type: PackDetInputs}]";
        Config own = tiny(testPad, "tta_pipeline=[{type: TestTimeAug, transforms: [" + resizeFlip + "]}]");
        assertEquals(List.of("ResizeStep"), names(own.tta().pipeline(autoassign.api.Detector.testPipeline(own, own.valDataloader()))));
        Config none = tiny(testPad);
        assertEquals(List.of("ResizeStep", "Pad"), names(none.tta().pipeline(autoassign.api.Detector.testPipeline(none, none.valDataloader()))));
        ConfigException e = assertThrows(ConfigException.class, () -> tiny("tta_pipeline=[{type: TestTimeAug, transforms: [" + pad
                + ", " + resizeFlip + "]}]"));
        assertTrue(e.getMessage().contains("the Pad list comes after the Resize and RandomFlip lists"), e.getMessage());
    }

    private static List<String> names(autoassign.data.PipelineOptions p) {
        return p.transforms().stream().map(t -> t.getClass().getSimpleName()).toList();
    }
}
