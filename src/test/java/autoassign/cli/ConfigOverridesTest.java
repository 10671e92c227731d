package autoassign.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How {@code --cfg-options} splits a command line into {@code KEY=VALUE} strings (as MMEngine's DictAction). */
class ConfigOverridesTest {
    @Command(name = "t")
    static final class T implements Runnable {
        @Mixin ConfigOverrides overrides = new ConfigOverrides();
        @Parameters(arity = "0..1") String positional;

        @Override public void run() {}
    }

    private static List<String> parse(String... args) {
        T t = new T();
        new CommandLine(t).parseArgs(args);
        return t.overrides.values();
    }

    @Test
    void severalValuesPerOptionAndSeveralOptions() {
        assertEquals(List.of("train_cfg.max_epochs=24", "optim_wrapper.optimizer.lr=0.02", "randomness.seed=0"),
                parse("--cfg-options", "train_cfg.max_epochs=24", "optim_wrapper.optimizer.lr=0.02", "--cfg-options", "randomness.seed=0"));
        // a comma inside a value stays (a list, as MMEngine reads it); one before the next key=... separates overrides
        assertEquals(List.of("img_scale=1333,800", "train_dataloader.dataset.metainfo.classes=a,b"),
                parse("--cfg-options", "img_scale=1333,800", "train_dataloader.dataset.metainfo.classes=a,b"));
        assertEquals(List.of("a=[1,2]", "b.c=(3,4)"), parse("--cfg-options", "a=[1,2],b.c=(3,4)"));
        assertEquals(List.of("model.backbone.init_cfg=None"), parse("--cfg-options", "model.backbone.init_cfg=None"));
    }

    /**
     * {@code train --cfg-options K=V CFG}: the option takes CFG as one of its values (as argparse's nargs='+'); the
     * error says so, instead of blaming the default config or asking for a config that was given.
     */
    @Test
    void aConfigAfterCfgOptionsIsNamedInTheError() {
        CliRun t = CliRun.run(new TrainCommand(), "--cfg-options", "train_cfg.max_epochs=1", "configs/my_config.yaml");
        assertEquals(1, t.code());
        org.junit.jupiter.api.Assertions.assertTrue(t.err().contains("--cfg-options: 'configs/my_config.yaml' is not KEY=VALUE")
                && t.err().contains("before --cfg-options") && !t.err().contains("autoassign_tiny_synthetic"), t.err());
        CliRun e = CliRun.run(new EvalCommand(), "--cfg-options", "model.test_cfg.score_thr=0.1", "my_config.yaml", "epoch_1.safetensors");
        assertEquals(1, e.code());
        org.junit.jupiter.api.Assertions.assertTrue(e.err().contains("--cfg-options: 'my_config.yaml' is not KEY=VALUE"), e.err());
    }
}
