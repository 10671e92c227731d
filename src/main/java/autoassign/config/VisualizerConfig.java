package autoassign.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * MMEngine's {@code visualizer}: where the logged scalars go. {@code LocalVisBackend} is the engine's
 * {@code metrics.jsonl} (always written); {@code TensorboardVisBackend} adds TensorBoard event files. The backends
 * that need a service or an extra library (WandB, MLflow, ClearML, ...) are config errors, not silently dropped.
 *
 * @param type     {@code DetLocalVisualizer} (MMDetection) or {@code Visualizer} (MMEngine)
 * @param name     the visualizer's name (kept for the config as run; it names nothing here)
 * @param saveDir  {@code visualizer.save_dir}: backends without their own {@code save_dir} write under
 *                 {@code <saveDir>/vis_data}; null means the work dir
 * @param backends {@code visualizer.vis_backends}, in the config's order
 */
public record VisualizerConfig(String type, String name, String saveDir, List<Backend> backends) {
    public static final String LOCAL = "LocalVisBackend";
    public static final String TENSORBOARD = "TensorboardVisBackend";

    /** What MMEngine's Runner builds when the config has no {@code visualizer}: local scalars only. */
    public static final VisualizerConfig DEFAULT = new VisualizerConfig("Visualizer", "visualizer", null,
            List.of(new Backend(LOCAL, null)));

    /**
     * One entry of {@code vis_backends}.
     *
     * @param type    {@code LocalVisBackend} or {@code TensorboardVisBackend}
     * @param saveDir the backend's own {@code save_dir} (TensorBoard only); null: the visualizer's {@code vis_data}
     */
    public record Backend(String type, String saveDir) {}

    public VisualizerConfig {
        backends = List.copyOf(backends);
    }

    /** Whether a {@code TensorboardVisBackend} is configured. */
    public boolean tensorboard() { return tensorboardBackend() != null; }

    /**
     * The folder of the TensorBoard event files for a run whose work dir is {@code workDir}, as MMEngine places them
     * (the backend's {@code save_dir}, else {@code <visualizer save_dir or work dir>/vis_data}); null when TensorBoard
     * is off.
     */
    public Path tensorboardDir(Path workDir) {
        Backend tb = tensorboardBackend();
        if (tb == null) return null;
        if (tb.saveDir() != null) return Path.of(tb.saveDir());
        return (saveDir != null ? Path.of(saveDir) : workDir).resolve("vis_data");
    }

    /** Whether {@link #tensorboardDir} is the work dir's own {@code vis_data} (no {@code save_dir} moved it). */
    public boolean tensorboardDirInWorkDir() {
        Backend tb = tensorboardBackend();
        return tb != null && tb.saveDir() == null && saveDir == null;
    }

    private Backend tensorboardBackend() {
        for (Backend b : backends) if (b.type().equals(TENSORBOARD)) return b;
        return null;
    }

    /**
     * Reads {@code visualizer} from the root mapping; absent gives {@link #DEFAULT}. The top-level
     * {@code vis_backends} is only the helper variable MMDetection's files build {@code visualizer} from: it is
     * accepted and has no effect of its own (as in MMEngine).
     */
    static VisualizerConfig from(ConfigNode root) {
        root.raw("vis_backends");
        if (!root.has("visualizer")) {
            root.raw("visualizer"); // an explicit null is read too, so finish() accepts it
            return DEFAULT;
        }
        ConfigNode v = root.child("visualizer");
        String type = v.choice("type", "DetLocalVisualizer", "DetLocalVisualizer", "Visualizer");
        String name = v.string("name", "visualizer");
        String saveDir = v.string("save_dir", null);
        List<Backend> backends = new ArrayList<>();
        for (ConfigNode b : backendNodes(v)) {
            String bt = b.string("type");
            Backend backend = switch (bt) {
                case LOCAL -> {
                    if (b.has("save_dir"))
                        throw b.error("save_dir", "not supported: the local scalars are always <work_dir>/metrics.jsonl");
                    yield new Backend(LOCAL, null);
                }
                case TENSORBOARD -> new Backend(TENSORBOARD, b.string("save_dir", null));
                default -> throw b.error("type", "only " + LOCAL + " (metrics.jsonl) and " + TENSORBOARD
                        + " are supported, got '" + bt + "'");
            };
            b.string("name", null); // MMEngine's key for telling two backends of one type apart
            b.finish();
            for (Backend seen : backends)
                if (seen.type().equals(bt)) throw b.error("type", bt + " is given twice; one is supported");
            backends.add(backend);
        }
        v.finish();
        return new VisualizerConfig(type, name, saveDir, backends);
    }

    /** {@code vis_backends} as MMEngine accepts it: a list of mappings or one mapping. */
    private static List<ConfigNode> backendNodes(ConfigNode v) {
        JsonNode raw = v.raw("vis_backends");
        if (raw != null && raw.isObject()) return List.of(v.child("vis_backends"));
        return v.childList("vis_backends");
    }
}
