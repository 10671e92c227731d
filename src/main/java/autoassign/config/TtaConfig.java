package autoassign.config;

import autoassign.eval.TestTimeAug;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code tta_model} and {@code tta_pipeline}: what {@code eval --tta} runs (MMDetection's {@code tools/test.py --tta}).
 * {@code tta_model: {type: DetTTAModel, tta_cfg: {nms: {type: nms, iou_threshold}, max_per_img}}} (or soft_nms);
 * {@code tta_pipeline: [LoadImageFromFile, {type: TestTimeAug, transforms: [[Resize, ...], [RandomFlip prob 1,
 * RandomFlip prob 0], [LoadAnnotations], [PackDetInputs]]}]}: every combination of one entry per list, in product
 * order. Without them, tools/test.py's defaults: NMS at 0.5, 100 per image, the test pipeline flipped and not.
 *
 * @param iouThr    NMS IoU of the merge (0.5)
 * @param maxPerImg detections kept per image (100)
 * @param scales    the Resize scales [w, h], in the config's order (empty: the test pipeline's)
 * @param flips     the flip choices, in order ([true, false]; [false] without RandomFlip)
 * @param softNms   {@code tta_cfg.nms} of type soft_nms (then {@code iouThr} is its threshold), or null
 * @param ownPipeline a {@code tta_pipeline} was given: its steps replace the test pipeline's
 * @param pad       the {@code tta_pipeline}'s {@code Pad} (YOLOX's, after the Resize and RandomFlip lists), or null
 * @param resize    how the {@code tta_pipeline}'s Resize variants resize ({@code keep_ratio}, {@code clip_object_border}:
 *                  the same for all of them), or null without Resize variants (the test pipeline's resize step)
 */
public record TtaConfig(double iouThr, int maxPerImg, List<List<Integer>> scales, List<Boolean> flips,
                        autoassign.postprocess.SoftNms softNms, boolean ownPipeline, autoassign.data.Pad pad,
                        autoassign.data.ResizeStep resize) {
    public TtaConfig {
        scales = List.copyOf(scales);
        flips = List.copyOf(flips);
    }

    /**
     * The pipeline the variants run: the test pipeline's ({@code testPipeline}) without a {@code tta_pipeline}; with
     * one, its steps: the resize (its Resize variants' kind, to each variant's scale; without Resize variants the test
     * pipeline's resize), then its Pad if it has one (a test-time flip comes between).
     */
    public autoassign.data.PipelineOptions pipeline(autoassign.data.PipelineOptions testPipeline) {
        if (!ownPipeline) return testPipeline;
        List<autoassign.data.Transform> steps = new ArrayList<>(List.of(resize != null ? resize : testPipeline.resizeStep()));
        if (pad != null) steps.add(pad);
        return testPipeline.withTransforms(steps);
    }

    /**
     * The variants to run, as {@link TestTimeAug}. A variant's two scale numbers are the Resize's [w, h] in the config's
     * order (evaluation hands them to {@link autoassign.data.PipelineOptions#withScale(int, int)}): a keep-ratio resize
     * takes them in either order, a stretched one needs this one.
     */
    public TestTimeAug testTimeAug() {
        List<TestTimeAug.Variant> v = new ArrayList<>();
        List<List<Integer>> s = scales.isEmpty() ? List.of(List.of(0, 0)) : scales;
        for (List<Integer> wh : s)
            for (boolean f : flips)
                v.add(new TestTimeAug.Variant(wh.get(0), wh.get(1), f));
        return new TestTimeAug(v, (float) iouThr, maxPerImg, softNms);
    }

    static TtaConfig from(ConfigNode root) {
        double iou = 0.5;
        int max = 100;
        autoassign.postprocess.SoftNms soft = null;
        if (root.has("tta_model")) {
            ConfigNode m = root.child("tta_model");
            m.fixed("type", "DetTTAModel");
            ConfigNode c = m.child("tta_cfg");
            TestConfig.Nms nms = TestConfig.Nms.from(c.child("nms"), 0.5);
            iou = nms.iouThreshold();
            soft = nms.soft();
            max = c.positive("max_per_img", c.integer("max_per_img", 100));
            c.finish();
            m.finish();
        } else root.raw("tta_model");
        List<List<Integer>> scales = new ArrayList<>();
        List<Boolean> flips = new ArrayList<>(List.of(true, false));
        List<ConfigNode> steps = root.childList("tta_pipeline");
        autoassign.data.Pad[] pad = new autoassign.data.Pad[1];
        autoassign.data.ResizeStep[] resize = new autoassign.data.ResizeStep[1];
        if (!steps.isEmpty()) {
            flips = new ArrayList<>(List.of(false));
            boolean seen = false;
            for (ConfigNode s : steps) {
                String type = s.choice("type", null, "LoadImageFromFile", "TestTimeAug");
                if ("LoadImageFromFile".equals(type)) {
                    s.localFilesOnly();
                } else if ("TestTimeAug".equals(type)) {
                    if (seen) throw s.error("type", "one TestTimeAug step");
                    seen = true;
                    flips = transforms(s, scales, pad, resize);
                } else throw s.error("type", "required key is missing");
                s.finish();
            }
            if (!seen) throw root.error("tta_pipeline", "needs a TestTimeAug step");
        }
        return new TtaConfig(iou, max, scales, flips, soft, !steps.isEmpty(), pad[0], resize[0]);
    }

    /**
     * Reads TestTimeAug's lists: Resize scales into {@code scales} and their kind into {@code resize[0]}, a Pad into
     * {@code pad[0]}; returns the flip choices.
     */
    private static List<Boolean> transforms(ConfigNode tta, List<List<Integer>> scales, autoassign.data.Pad[] pad,
                                            autoassign.data.ResizeStep[] resize) {
        List<List<ConfigNode>> lists = tta.childListOfLists("transforms");
        if (lists.isEmpty()) throw tta.error("transforms", "must be a non-empty list of lists of transforms");
        List<Boolean> flips = new ArrayList<>(List.of(false));
        for (int i = 0; i < lists.size(); i++) {
            List<ConfigNode> group = lists.get(i);
            if (group.isEmpty()) throw tta.error("transforms[" + i + "]", "must be a non-empty list of transforms");
            String kind = group.get(0).choice("type", null, "Resize", "RandomFlip", "Pad", "LoadAnnotations", "PackDetInputs");
            if (kind.equals("Pad") && group.size() > 1) throw tta.error("transforms[" + i + "]", "one Pad (several would be variants)");
            if ((kind.equals("Resize") || kind.equals("RandomFlip")) && pad[0] != null)
                throw tta.error("transforms[" + i + "]", "the Pad list comes after the Resize and RandomFlip lists (MMDetection's order)");
            List<Boolean> groupFlips = new ArrayList<>();
            for (ConfigNode t : group) {
                String type = t.choice("type", null, "Resize", "RandomFlip", "Pad", "LoadAnnotations", "PackDetInputs");
                if (!kind.equals(type)) throw t.error("type", "one kind of transform per list (this list is " + kind + ")");
                switch (type) {
                    case "Resize" -> {
                        ResizeConfig.Parsed r = ResizeConfig.resize(t);
                        if (r.step().byFactor())
                            throw t.error("scale_factor", "TestTimeAug's Resize variants need a scale [w, h] here (variants differ in scale)");
                        if (resize[0] != null && !resize[0].equals(r.step()))
                            throw t.error("keep_ratio", "every Resize variant of a TestTimeAug needs the same keep_ratio and"
                                    + " clip_object_border here (variants differ in scale only): " + resize[0].settings() + " and "
                                    + r.step().settings());
                        resize[0] = r.step();
                        scales.add(r.scale());
                    }
                    case "RandomFlip" -> {
                        double p = t.number("prob", 0.5);
                        if (p != 0 && p != 1) throw t.error("prob", "test-time flips are 1.0 (flipped) or 0.0 (not), got " + p);
                        t.choice("direction", "horizontal", "horizontal");
                        groupFlips.add(p == 1);
                    }
                    case "Pad" -> pad[0] = TransformConfig.pad(t);
                    case "LoadAnnotations" -> t.bool("with_bbox", true);
                    default -> t.raw("meta_keys");
                }
                t.finish();
            }
            if (kind.equals("RandomFlip")) flips = groupFlips;
        }
        return flips;
    }
}
