package autoassign.train;

import autoassign.io.CheckpointException;
import autoassign.io.ModelWeights;
import autoassign.io.Safetensors;
import autoassign.nn.Module;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * MMEngine's {@code CheckpointHook(save_best=..., rule=...)}: after each evaluation, when the followed metric beats
 * the best so far, the model is written as {@code best_<metric>_epoch_N.safetensors} ({@code /} → {@code _};
 * {@code _iter_N} when the loop or the checkpoint hook counts iterations) and
 * the previous best file is removed. The best score is kept in the file's metadata, so a resumed run goes on from
 * it (a fresh run in the same folder starts over and replaces the old file at its first evaluation). Ties keep the
 * earlier file (a strict comparison, as MMEngine's).
 */
final class BestCheckpoint {
    private final Path dir;
    private final String metric;
    private final String prefix;
    private final String unit;
    private final boolean greater;
    private Path file;
    private long bestCount; // the epochs or iterations of the best file written by this run
    private double best;
    private final Map<String, String> datasetMeta;

    BestCheckpoint(Path dir, String metric, boolean greater, boolean resumed) {
        this(dir, metric, greater, resumed, Map.of(), "epoch");
    }

    /**
     * @param datasetMeta also written into the best file's metadata ({@link CheckpointStore#datasetMeta})
     * @param unit        {@code epoch} or {@code iter}: what the number in the file name counts
     */
    BestCheckpoint(Path dir, String metric, boolean greater, boolean resumed, Map<String, String> datasetMeta, String unit) {
        this.datasetMeta = Map.copyOf(datasetMeta);
        this.dir = dir;
        this.metric = metric;
        this.unit = unit;
        this.prefix = "best_" + metric.replace('/', '_') + "_" + unit + "_";
        this.greater = greater;
        this.best = greater ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        if (resumed) for (Path p : existing()) { // the best file of the earlier part
            try {
                String v = Safetensors.readHeader(p).metadata().get("best_score");
                if (v != null && better(Double.parseDouble(v))) {
                    best = Double.parseDouble(v);
                    file = p;
                }
            } catch (CheckpointException | NumberFormatException e) {
                // not one of ours: left alone
            }
        }
    }

    private boolean better(double score) {
        return greater ? score > best : score < best;
    }

    /**
     * Offers an evaluation's metrics ({@link autoassign.eval.Evaluation#metrics}) made after {@code epoch} epochs and
     * {@code globalIter} iterations; writes and returns the new best file (named after the unit's count) when the
     * metric improved, else null.
     */
    Path offer(Map<String, Double> metrics, int epoch, long globalIter, Module model) {
        long count = unit.equals("epoch") ? epoch : globalIter;
        double score = autoassign.eval.Evaluation.metric(metrics, metric);
        if (Double.isNaN(score) || !better(score)) return null;
        Path next = dir.resolve(prefix + count + ".safetensors");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("epoch", Integer.toString(epoch));
        meta.put("global_iter", Long.toString(globalIter));
        meta.put("best_metric", metric);
        meta.put("best_score", Double.toString(score));
        meta.putAll(datasetMeta);
        try {
            ModelWeights.save(next, model, meta);
            for (Path old : existing()) if (!old.equals(next)) Files.deleteIfExists(old);
        } catch (IOException e) {
            throw new UncheckedIOException(next + ": cannot write the best checkpoint: " + e.getMessage(), e);
        }
        best = score;
        file = next;
        bestCount = count;
        return next;
    }

    /**
     * Goes on from the best score of a resumed MMEngine run ({@code message_hub.runtime_info.best_score}, as MMEngine's
     * {@code CheckpointHook} does), when it beats the one found here: a later evaluation must beat it to write a
     * best file. That run's own best {@code .pth} is left where it is.
     */
    void resumeBest(double score) {
        if (!Double.isNaN(score) && better(score)) best = score;
    }

    /** The best score so far (±infinity before the first evaluation). */
    double best() { return best; }

    /** A log line for a new best. */
    String describe() {
        return String.format(Locale.ROOT, "best %s %.4f at %s %d: %s", metric, best, unit, bestCount, file);
    }

    private List<Path> existing() {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix) && p.getFileName().toString().endsWith(".safetensors"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }
}
