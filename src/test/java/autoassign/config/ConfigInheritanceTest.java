package autoassign.config;

import autoassign.cli.CliRun;
import autoassign.cli.ConfigCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code _base_} inheritance as MMEngine's Config: merge rules, {@code _delete_}, several bases, errors. */
class ConfigInheritanceTest {
    @TempDir Path tmp;

    private Path write(String name, String yaml) throws Exception {
        return Files.writeString(tmp.resolve(name), yaml);
    }

    @Test
    void aCustomDatasetVariantOfTheShippedRecipe() throws Exception {
        // the usual MMDetection move: the R50 recipe with another class count, data and schedule length
        Path mine = write("mine.yaml", """
                _base_: autoassign_r50-caffe_fpn_1x_coco
                data_root: /data/mine
                model:
                  bbox_head: {num_classes: 3}
                train_cfg: {max_epochs: 24}
                """);
        Config c = ConfigLoader.load(mine);
        Config r50 = ConfigLoader.loadNamed("autoassign_r50-caffe_fpn_1x_coco", List.of());
        assertEquals(3, c.model().bboxHead().numClasses());
        assertEquals(r50.model().bboxHead().featChannels(), c.model().bboxHead().featChannels(), "the rest of bbox_head from the base");
        assertEquals(r50.model().backbone(), c.model().backbone());
        assertEquals(24, c.runtime().maxEpochs());
        assertEquals(r50.runtime().valInterval(), c.runtime().valInterval(), "train_cfg merged key by key");
        assertEquals("/data/mine", c.dataRoot());
        assertEquals(mine.toString(), c.source());
    }

    @Test
    void listsReplaceAndDeleteReplacesAMapping() throws Exception {
        write("base.yaml", Files.readString(Path.of("configs/autoassign_tiny_synthetic.yaml")));
        Path child = write("child.yaml", """
                _base_: base.yaml
                param_scheduler:
                  - {type: MultiStepLR, by_epoch: true, begin: 0, end: 12, milestones: [5]}
                optim_wrapper:
                  _delete_: true
                  type: OptimWrapper
                  optimizer: {type: SGD, lr: 0.5}
                """);
        Config c = ConfigLoader.load(child);
        assertEquals(List.of(new SchedulerConfig.Entry(new SchedulerConfig.Rule.MultiStep(List.of(5), 0.1), 0, 12, true, false)),
                c.paramScheduler().entries(), "the list replaced the base's two schedulers");
        assertEquals(0.5, c.optimWrapper().lr());
        assertEquals(0.0, c.optimWrapper().weightDecay(), "_delete_: the base's weight decay is gone (default 0)");
        assertTrue(Double.isNaN(c.optimWrapper().normDecayMult()), "_delete_: and its paramwise_cfg (absent: MMEngine's None)");
        String merged = ConfigLoader.loadNamed(child.toString(), List.of("optim_wrapper.optimizer.lr=0.25")).text();
        assertTrue(merged.contains("lr: 0.25") && !merged.contains("_base_") && !merged.contains("_delete_"), merged);
    }

    @Test
    void severalBasesAndTheirErrors() throws Exception {
        String tiny = Files.readString(Path.of("configs/autoassign_tiny_synthetic.yaml"));
        int cut = tiny.indexOf("\noptim_wrapper:");
        write("data_and_model.yaml", tiny.substring(0, cut + 1));
        write("schedule.yaml", tiny.substring(cut + 1));
        Path both = write("both.yaml", "_base_: [data_and_model.yaml, schedule.yaml]\n");
        assertEquals(ConfigLoader.load(Path.of("configs/autoassign_tiny_synthetic.yaml")).optimWrapper(), ConfigLoader.load(both).optimWrapper());

        write("dup.yaml", "optim_wrapper: {type: OptimWrapper, optimizer: {type: SGD, lr: 1}}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(write("twice.yaml",
                "_base_: [schedule.yaml, dup.yaml]\n")));
        assertEquals("_base_", e.key());
        assertTrue(e.getMessage().contains("key 'optim_wrapper' is defined by more than one base"), e.getMessage());

        write("a.yaml", "_base_: b.yaml\n");
        write("b.yaml", "_base_: a.yaml\n");
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(tmp.resolve("a.yaml")));
        assertTrue(e.getMessage().contains("inheritance cycle"), e.getMessage());

        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(write("lost.yaml", "_base_: nowhere.yaml\n")));
        assertEquals(tmp.resolve("lost.yaml") + ": _base_: nowhere.yaml: file not found (nor a built-in config of that name)", e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(write("num.yaml", "_base_: 3\n")));
        assertEquals("_base_", e.key());
    }

    @Test
    void configCommandPrintsTheMergedConfigOrOneLineError() throws Exception {
        Path mine = write("mine.yaml", "_base_: autoassign_tiny_synthetic\nmodel:\n  bbox_head: {stacked_convs: 3}\n");
        CliRun shown = CliRun.run(new ConfigCommand(), mine.toString(), "--cfg-options", "randomness.seed=5",
                "model.bbox_head.strides=[8,16,32,64,128],train_cfg.max_epochs=3");
        assertEquals(0, shown.code(), shown.err());
        Config printed = ConfigLoader.parse(shown.out(), tmp.resolve("printed.yaml").toString());
        assertEquals(3, printed.model().bboxHead().stackedConvs());
        assertEquals(5, printed.runtime().seed());
        assertEquals(3, printed.runtime().maxEpochs(), "space- and comma-separated overrides; a list keeps its commas");
        assertEquals(List.of(8, 16, 32, 64, 128), printed.model().bboxHead().strides());
        assertEquals(ConfigLoader.load(Path.of("configs/autoassign_tiny_synthetic.yaml")).model().backbone(), printed.model().backbone());
        CliRun typo = CliRun.run(new ConfigCommand(), mine.toString(), "--cfg-options", "model.bbox_head.stacked_convz=3");
        assertEquals(1, typo.code());
        assertEquals("error: " + mine + ": model.bbox_head.stacked_convz: unknown key", typo.err().strip().replaceAll("; known keys.*", ""));
        // --save-path keeps the merged config as a file that trains as it is
        Path saved = tmp.resolve("saved.yaml");
        CliRun r = CliRun.run(new ConfigCommand(), mine.toString(), "--save-path", saved.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(3, ConfigLoader.load(saved).model().bboxHead().stackedConvs());
        assertEquals(1, CliRun.run(new ConfigCommand(), mine.toString(), "--save-path",
                tmp.resolve("saved.py").toString()).code());
    }
}
