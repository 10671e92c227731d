package autoassign.config;

import java.util.ArrayList;
import java.util.List;

/**
 * A dataset's {@code pipeline}, written as MMDetection's list of transforms and reduced to its settings.
 * Accepted steps: {@code LoadImageFromFile}, {@code LoadAnnotations} ({@code with_bbox: true}),
 * {@code Resize} ({@code scale: [w, h]}, {@code keep_ratio}), {@code RandomFlip} ({@code prob},
 * horizontal), {@code PackDetInputs}.
 *
 * @param steps     the step types in order
 * @param scale     Resize {@code scale} as MMDetection writes it, (w, h) = (1333, 800); with keep_ratio it is
 *                  (long edge, short edge) limits
 * @param keepRatio Resize {@code keep_ratio}
 * @param flipProb  RandomFlip {@code prob} (0 when there is no RandomFlip)
 */
public record PipelineConfig(List<String> steps, List<Integer> scale, boolean keepRatio, double flipProb) {
    public PipelineConfig {
        steps = List.copyOf(steps);
        scale = List.copyOf(scale);
    }

    public int scaleLong() { return Math.max(scale.get(0), scale.get(1)); }

    public int scaleShort() { return Math.min(scale.get(0), scale.get(1)); }

    static PipelineConfig from(ConfigNode parent, String key, boolean train) {
        List<ConfigNode> list = parent.childList(key);
        if (list.isEmpty()) throw parent.error(key, "required: a list of transforms with at least a Resize step");
        List<String> steps = new ArrayList<>();
        List<Integer> scale = null;
        boolean keep = true;
        double flip = 0;
        for (ConfigNode s : list) {
            String type = s.choice("type", null, "LoadImageFromFile", "LoadAnnotations", "Resize", "RandomFlip", "PackDetInputs");
            if (type == null) throw s.error("type", "required key is missing");
            if (steps.contains(type)) throw s.error("type", "step " + type + " appears twice");
            switch (type) {
                case "LoadAnnotations" -> {
                    if (!s.bool("with_bbox", true)) throw s.error("with_bbox", "must be true");
                }
                case "Resize" -> {
                    scale = s.intList("scale", null);
                    if (scale == null) throw s.error("scale", "required key is missing");
                    if (scale.size() != 2 || scale.get(0) <= 0 || scale.get(1) <= 0)
                        throw s.error("scale", "must be two positive sizes [w, h], got " + scale);
                    keep = s.bool("keep_ratio", true);
                }
                case "RandomFlip" -> {
                    if (!train) throw s.error("type", "RandomFlip only belongs in a training pipeline");
                    flip = s.inRange("prob", s.number("prob", 0.5), 0, 1);
                    s.choice("direction", "horizontal", "horizontal");
                }
                case "PackDetInputs" -> s.raw("meta_keys"); // accepted, informational
                default -> { }
            }
            s.finish();
            steps.add(type);
        }
        if (scale == null) throw parent.error(key, "needs a Resize step");
        return new PipelineConfig(steps, scale, keep, flip);
    }
}
