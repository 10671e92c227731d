package autoassign.cli;

import autoassign.config.BackboneConfig;
import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import autoassign.model.Complexity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shipped RegNetX-3.2GF config through the CLI: {@code config} prints and validates it, {@code flops} builds it. */
class RegNetCliTest {
    static final String NAME = "autoassign_regnetx-3.2GF_fpn_1x_coco";

    @TempDir Path tmp;

    @Test
    void configPrintsTheMergedRegNetBackboneAndSavesALoadableCopy() {
        Path saved = tmp.resolve("merged.yaml");
        CliRun r = CliRun.run(new ConfigCommand(), NAME, "--save-path", saved.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("type: RegNet"), r.out());
        assertTrue(r.out().contains("arch: regnetx_3.2gf"), r.out());
        assertTrue(r.out().contains("open-mmlab://regnetx_3.2gf"), r.out());
        assertFalse(r.out().contains("depth: 50"), "_delete_ dropped ResNet-50's keys: " + r.out());
        assertFalse(r.out().contains("_delete_"), r.out());
        BackboneConfig b = ConfigLoader.load(saved).model().backbone();
        assertEquals(ConfigLoader.loadNamed(NAME, List.of()).model().backbone(), b, "the saved copy loads to the same backbone");
        assertEquals(List.of(96, 192, 432, 1008), b.outChannels());
    }

    @Test
    void anUnknownArchIsAOneLineError() {
        CliRun r = CliRun.run(new ConfigCommand(), NAME, "--cfg-options", "model.backbone.arch=regnetx_3.2GF");
        assertEquals(1, r.code(), r.out());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), err);
        assertTrue(err.contains("model.backbone.arch") && err.contains("'regnetx_3.2GF' is not one of the arch_settings"), err);
        r = CliRun.run(new ConfigCommand(), NAME, "--cfg-options", "model.backbone.arch=regnetx_400mf");
        assertEquals(1, r.code(), "the neck is still on 3.2GF's channels");
        assertTrue(r.err().contains("model.neck.in_channels") && r.err().contains("[32, 64, 160, 384]"), r.err());
    }

    @Test
    void flopsBuildsTheShippedRegNetDetector() {
        CliRun r = CliRun.run(new FlopsCommand(), "--config", NAME, "--shape", "224");
        assertEquals(0, r.code(), r.err());
        AutoAssignDetector m = new AutoAssignDetector(ConfigLoader.loadNamed(NAME, List.of()).model(), 0);
        assertTrue(r.out().contains("Input shape: (224, 224)\nFlops: "
                + ComplexityTable.formatSize(Complexity.flops(m, 224, 224).total()) + "\n"), r.out());
        assertTrue(r.out().contains("Params: " + ComplexityTable.formatSize(m.parameterCount())), r.out());
        assertTrue(r.out().contains("batch_norm "), "the RegNet's BN layers are counted: " + r.out());
    }
}
