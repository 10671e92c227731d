package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.config.RuntimeConfig;
import autoassign.data.PipelineOptions;
import autoassign.data.WorkerLayout;

import java.util.List;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

/**
 * The train pipeline of each epoch: the config's, and from a pipeline-switching hook's first epoch on another one.
 * {@code YOLOXModeSwitchHook}: the same pipeline with the MultiImageMixDataset's {@code skip_type_keys} replaced by the
 * hook's (MMDetection's {@code update_skip_type_keys}; e.g. no Mosaic / RandomAffine / MixUp in YOLOX's last epochs), the
 * config read again with that one key changed, so every check of the config applies to it too.
 * {@code PipelineSwitchHook}: the hook's {@code switch_pipeline} (RTMDet's stage 2), with the same data preprocessor.
 *
 * <p>Every pipeline carries the config's {@code train_dataloader.num_workers} as its {@link WorkerLayout}: the cached
 * steps (CachedMosaic, CachedMixUp) keep one cache per MMDetection worker, whatever the loader's real thread count.
 * The caches live across epochs with {@code persistent_workers: true} (RTMDet's setting) or {@code num_workers: 0} (the
 * main process), else each epoch starts with empty ones, as new worker processes do.
 */
final class PipelineSchedule {
    private final PipelineOptions first, last;
    private final int switchEpoch;
    private final IntFunction<String> switchLine; // 1-based epoch → the hook's log line

    private PipelineSchedule(PipelineOptions first, PipelineOptions last, int switchEpoch, IntFunction<String> switchLine) {
        this.first = first;
        this.last = last;
        this.switchEpoch = switchEpoch;
        this.switchLine = switchLine;
    }

    static PipelineSchedule of(Config cfg) {
        var dl = cfg.trainDataloader(); // the main process (num_workers 0) keeps its caches; worker processes only when persistent
        WorkerLayout workers = new WorkerLayout(dl.numWorkers(), dl.numWorkers() == 0 || dl.persistentWorkers());
        PipelineOptions base = DataSources.trainPipeline(cfg).withWorkerLayout(workers);
        RuntimeConfig.PipelineSwitch ps = cfg.runtime().pipelineSwitch();
        if (ps != null)
            return new PipelineSchedule(base, DataSources.trainPipeline(cfg, ps.pipeline()).withWorkerLayout(workers), ps.switchEpoch(),
                    e -> "PipelineSwitchHook: Switch pipeline now! From epoch " + e + " the train dataset runs switch_pipeline "
                            + ps.pipeline().steps());
        RuntimeConfig.ModeSwitch sw = cfg.runtime().modeSwitch();
        if (sw == null) return new PipelineSchedule(base, base, Integer.MAX_VALUE, null);
        String keys = sw.skipTypeKeys().stream().map(k -> "'" + k.replace("'", "''") + "'").collect(Collectors.joining(", ", "[", "]"));
        Config switched = ConfigLoader.parse(cfg.text(), cfg.source(), List.of("train_dataloader.dataset.skip_type_keys=" + keys))
                .withDataRoot(cfg.dataRoot());
        return new PipelineSchedule(base, DataSources.trainPipeline(switched).withWorkerLayout(workers),
                sw.firstEpoch(cfg.runtime().maxEpochs()),
                e -> "YOLOXModeSwitchHook: from epoch " + e + " the MultiImageMixDataset skips " + sw.skipTypeKeys());
    }

    /** The pipeline of 0-based {@code epoch}. */
    PipelineOptions forEpoch(int epoch) { return epoch >= switchEpoch ? last : first; }

    /** The first epoch of the switched pipeline (Integer.MAX_VALUE without a hook). */
    int switchEpoch() { return switchEpoch; }

    /** The log line of the switch before 0-based {@code epoch} (MMDetection's hooks log when they switch). */
    String switchLine(int epoch) { return switchLine == null ? "" : switchLine.apply(epoch + 1); }
}
