package autoassign.cli;

import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --cfg-options KEY=VALUE ...}, MMDetection's option, for every command that reads a config (a picocli
 * mixin). Several overrides go space-separated as in MMDetection, or comma-separated; a comma splits only before
 * the next {@code key=}, so list values keep theirs ({@code param_scheduler=[...]}, {@code scale=[1333,800]}).
 * Values are read as MMEngine's {@code DictAction} reads them ({@link autoassign.config.CfgOptions}).
 */
public final class ConfigOverrides {
    @Option(names = "--cfg-options", arity = "1..*", split = ",(?=[A-Za-z_][A-Za-z0-9_.]*=)", splitSynopsisLabel = ",", paramLabel = "KEY=VALUE",
            description = "override config keys, as MMDetection's --cfg-options (values as MMEngine's DictAction: "
                    + "train_cfg.max_epochs=24 optim_wrapper.optimizer.lr=0.02 model.backbone.init_cfg=None "
                    + "train_dataloader.dataset.pipeline.2.scale=(512,512); a mapping in YAML: {_delete_: true, type: X})")
    List<String> values = List.of();

    /** The overrides, in command-line order. */
    public List<String> values() { return values; }
}
