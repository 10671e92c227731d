package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.config.RuntimeConfig;
import autoassign.data.PipelineOptions;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The train pipeline of each epoch: the config's, and with a {@code YOLOXModeSwitchHook} from its first epoch on the
 * same pipeline with the MultiImageMixDataset's {@code skip_type_keys} replaced by the hook's (MMDetection's
 * {@code update_skip_type_keys}; e.g. no Mosaic / RandomAffine / MixUp in YOLOX's last epochs). The switched pipeline
 * is the config read again with that one key changed, so every check of the config applies to it too.
 */
final class PipelineSchedule {
    private final PipelineOptions first, last;
    private final int switchEpoch;

    private PipelineSchedule(PipelineOptions first, PipelineOptions last, int switchEpoch) {
        this.first = first;
        this.last = last;
        this.switchEpoch = switchEpoch;
    }

    static PipelineSchedule of(Config cfg) {
        PipelineOptions base = DataSources.trainPipeline(cfg);
        RuntimeConfig.ModeSwitch sw = cfg.runtime().modeSwitch();
        if (sw == null) return new PipelineSchedule(base, base, Integer.MAX_VALUE);
        String keys = sw.skipTypeKeys().stream().map(k -> "'" + k.replace("'", "''") + "'").collect(Collectors.joining(", ", "[", "]"));
        Config switched = ConfigLoader.parse(cfg.text(), cfg.source(), List.of("train_dataloader.dataset.skip_type_keys=" + keys))
                .withDataRoot(cfg.dataRoot());
        return new PipelineSchedule(base, DataSources.trainPipeline(switched), sw.firstEpoch(cfg.runtime().maxEpochs()));
    }

    /** The pipeline of 0-based {@code epoch}. */
    PipelineOptions forEpoch(int epoch) { return epoch >= switchEpoch ? last : first; }

    /** The first epoch of the switched pipeline (Integer.MAX_VALUE without the hook). */
    int switchEpoch() { return switchEpoch; }
}
