package autoassign.postprocess;

import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.config.TestConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MMCV's soft_nms: its docstring example, decays worked by hand, class awareness, and the config keys. */
class SoftNmsTest {
    private static final SoftNms LINEAR = new SoftNms(0.3f, 0.5f, 1e-3f, SoftNms.Method.LINEAR);

    @Test
    void mmcvDocstringExample() {
        // mmcv.ops.soft_nms's example: degenerate boxes (IoU NaN: no decay) and a zero score below min_score
        float[] boxes = {4, 3, 5, 3, 4, 3, 5, 4, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1};
        float[] scores = {0.9f, 0.9f, 0.5f, 0.5f, 0.4f, 0.0f};
        SoftNms.Kept k = new SoftNms(0.6f, 0.5f, 1e-3f, SoftNms.Method.LINEAR).apply(boxes, scores);
        assertEquals(5, k.indices().length);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, k.indices());
        assertArrayEquals(new float[] {0.9f, 0.9f, 0.5f, 0.5f, 0.4f}, k.scores());
    }

    @Test
    void decaysWorkedByHand() {
        // IoU of the two: 50 / (100 + 100 - 50) = 1/3
        float[] boxes = {0, 0, 10, 10, 5, 0, 15, 10, 100, 100, 110, 110};
        float[] scores = {0.9f, 0.8f, 0.7f};
        float ovr = 50f / (100f + 100f - 50f);
        SoftNms.Kept lin = LINEAR.apply(boxes, scores);
        assertArrayEquals(new int[] {0, 2, 1}, lin.indices()); // 0.8·(1 − 1/3) = 0.533 now ranks below 0.7
        assertArrayEquals(new float[] {0.9f, 0.7f, 0.8f * (1f - ovr)}, lin.scores());
        SoftNms.Kept gauss = new SoftNms(0.3f, 0.5f, 1e-3f, SoftNms.Method.GAUSSIAN).apply(boxes, scores);
        assertArrayEquals(new int[] {0, 2, 1}, gauss.indices()); // 0.8·exp(−(1/9)/0.5) = 0.641, below 0.7
        assertEquals(0.8f * (float) Math.exp(-(ovr * ovr) / 0.5f), gauss.scores()[2]);
        SoftNms.Kept naive = new SoftNms(0.3f, 0.5f, 1e-3f, SoftNms.Method.NAIVE).apply(boxes, scores);
        assertArrayEquals(new int[] {0, 2}, naive.indices()); // zeroed, then below min_score: gone
        SoftNms.Kept loose = new SoftNms(0.4f, 0.5f, 1e-3f, SoftNms.Method.LINEAR).apply(boxes, scores);
        assertArrayEquals(new float[] {0.9f, 0.8f, 0.7f}, loose.scores()); // IoU 1/3 < 0.4: untouched
    }

    @Test
    void classAwareKeepsOtherClassesAndCapsAfterSelection() {
        float[] boxes = {0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 10, 10};
        float[] scores = {0.9f, 0.8f, 0.7f};
        SoftNms.Kept k = LINEAR.batched(boxes, scores, new int[] {0, 1, 0});
        // the same box of another class keeps its score; of the same class, IoU 1 decays it to 0, below min_score
        assertArrayEquals(new int[] {0, 1}, k.indices());
        assertArrayEquals(new float[] {0.9f, 0.8f}, k.scores());
        assertArrayEquals(new int[] {0}, k.first(1).indices());
    }

    @Test
    void postProcessorRunsSoftNmsOnItsCandidatesAndKeepsTheDecayedScores() {
        // every candidate: a hard NMS that suppresses nothing (IoU > 1 never holds), no cap
        Detections all = PostProcessor.process(PostProcessorTest.syntheticLevels(0f), PostProcessorTest.META,
                new PostProcessConfig(1000, 0.05f, 1f, 100_000, 0f));
        PostProcessConfig cfg = new PostProcessConfig(1000, 0.05f, 0.6f, 100, 0f, LINEAR);
        Detections got = PostProcessor.process(PostProcessorTest.syntheticLevels(0f), PostProcessorTest.META, cfg);
        SoftNms.Kept want = LINEAR.batched(all.boxes(), all.scores(), all.labels()).first(100);
        assertEquals(100, got.size());
        assertTrue(all.size() > 100, "candidates " + all.size());
        assertArrayEquals(want.scores(), got.scores());
        assertArrayEquals(all.select(want.indices()).boxes(), got.boxes());
        assertArrayEquals(all.select(want.indices()).labels(), got.labels());
        assertEquals(LINEAR, cfg.withScoreThr(0.3f).softNms());
    }

    @Test
    void testTimeAugmentationMergesWithSoftNms() throws Exception {
        String text = Files.readString(Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml"));
        autoassign.eval.TestTimeAug tta = ConfigLoader.parse(text, "configs/x.yaml", List.of(
                "tta_model={type: DetTTAModel, tta_cfg: {nms: {type: soft_nms, iou_threshold: 0.5, method: gaussian}, max_per_img: 100}}"))
                .tta().testTimeAug();
        assertEquals(new SoftNms(0.5f, 0.5f, 1e-3f, SoftNms.Method.GAUSSIAN), tta.softNms());
        // the same box from the two variants: the second decays by exp(−1/0.5) instead of disappearing
        Detections a = new Detections(new float[] {0, 0, 10, 10}, new float[] {0.9f}, new int[] {3});
        Detections b = new Detections(new float[] {0, 0, 10, 10}, new float[] {0.8f}, new int[] {3});
        Detections merged = tta.merge(List.of(a, b));
        assertArrayEquals(new float[] {0.9f, 0.8f * (float) Math.exp(-1f / 0.5f)}, merged.scores());
        assertEquals(1, new autoassign.eval.TestTimeAug(tta.variants(), 0.5f, 100).merge(List.of(a, b)).size()); // nms
    }

    private static TestConfig testCfg(String nms) throws Exception {
        String text = Files.readString(Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml"));
        return ConfigLoader.parse(text, "configs/x.yaml", List.of("model.test_cfg.nms=" + nms)).model().testCfg();
    }

    @Test
    void keysLeftOutTakeMmdetsDefaults() throws Exception {
        String text = Files.readString(Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml"));
        TestConfig t = ConfigLoader.parse(text, "configs/x.yaml", List.of(
                "model.test_cfg={_delete_: true, nms: {type: nms, iou_threshold: 0.5}, max_per_img: 50}")).model().testCfg();
        assertEquals(new TestConfig(-1, -1, 0, 0.5, 50), t); // cfg.get('nms_pre', -1), ('min_bbox_size', -1), ('score_thr', 0)
    }

    @Test
    void configKeys() throws Exception {
        TestConfig t = testCfg("{_delete_: true, type: soft_nms, iou_threshold: 0.5, method: gaussian, sigma: 0.4}");
        assertEquals(new SoftNms(0.5f, 0.4f, 1e-3f, SoftNms.Method.GAUSSIAN), t.softNms());
        assertEquals(new SoftNms(0.3f, 0.5f, 1e-3f, SoftNms.Method.LINEAR), testCfg("{_delete_: true, type: soft_nms}").softNms());
        assertNull(testCfg("{type: nms, iou_threshold: 0.5}").softNms());
        String e = assertThrows(ConfigException.class, () -> testCfg("{_delete_: true, type: soft_nms, method: cubic}")).getMessage();
        assertTrue(e.contains("method: must be one of linear, gaussian, naive"), e);
        e = assertThrows(ConfigException.class, () -> testCfg("{_delete_: true, type: soft_nms, offset: 1}")).getMessage();
        assertTrue(e.contains("offset"), e);
        e = assertThrows(ConfigException.class, () -> testCfg("{type: nms, sigma: 0.5}")).getMessage();
        assertTrue(e.contains("sigma"), e);
    }
}
