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

    /**
     * The overrides, in command-line order. A word without {@code KEY=} is an error naming it: the option takes every
     * word up to the next option (argparse's nargs='+'), so a config or checkpoint given after it lands here.
     */
    public List<String> values() {
        for (String v : values)
            if (v.indexOf('=') <= 0)
                throw new CliErrors.UserError("--cfg-options: '" + v + "' is not KEY=VALUE (the option takes every word up to the "
                        + "next option: give a positional CFG / CKPT before --cfg-options)");
        return values;
    }
}
