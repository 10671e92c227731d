package autoassign.train;

import autoassign.cli.CliErrors.UserError;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.config.DatasetConfig;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MMEngine's dataset {@code indices}: a cut of the images after filtering, for both splits, on real coco128. */
class DatasetIndicesTest {
    static final Path OVERFIT = Path.of("configs/autoassign_r18_coco128_overfit.yaml");

    private static Path coco128() {
        Path d = Path.of(System.getProperty("shared.dir", "../shared"), "data", "coco128");
        Assumptions.assumeTrue(Files.isRegularFile(d.resolve("annotations/instances_train.json")),
                "coco128 not found at " + d.toAbsolutePath() + " (set -Dshared.dir): test skipped");
        return d;
    }

    @Test
    void selectKeepsTheFirstNOrTheListedPositions() {
        assertEquals(List.of(0, 1, 2), new DatasetConfig.Indices(3, null).select(10));
        assertEquals(List.of(0, 1), new DatasetConfig.Indices(16, null).select(2), "fewer images than N: all of them");
        assertEquals(List.of(4, 0, 4), new DatasetConfig.Indices(null, List.of(4, 0, 4)).select(5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DatasetConfig.Indices(null, List.of(1, 9)).select(5));
        assertEquals("indices: position 9 is out of range for 5 images", e.getMessage());
    }

    @Test
    void theOverfitConfigTrainsAndEvaluatesOnTheSame16Images() {
        Path root = coco128();
        Config cfg = ConfigLoader.load(OVERFIT);
        CocoDataset train = DataSources.load(cfg, true, root.toString(), new DataIssues("train"));
        CocoDataset val = DataSources.load(cfg, false, root.toString(), new DataIssues("val"));
        assertEquals(16, train.size());
        assertArrayEquals(train.imageIds(), val.imageIds());
        CocoDataset all = DataSources.load(ConfigLoader.load(Path.of("configs/autoassign_r18_coco128.yaml")), true,
                root.toString(), new DataIssues("all"));
        assertArrayEquals(Arrays.copyOf(all.imageIds(), 16), train.imageIds(), "the first 16 after filtering");
    }

    @Test
    void listedPositionsAndAClearErrorOutOfRange() {
        Path root = coco128();
        Config cfg = ConfigLoader.load(OVERFIT, List.of("train_dataloader.dataset.indices=[5, 2]"));
        CocoDataset all = DataSources.load(ConfigLoader.load(Path.of("configs/autoassign_r18_coco128.yaml")), true,
                root.toString(), new DataIssues("all"));
        CocoDataset two = DataSources.load(cfg, true, root.toString(), new DataIssues("train"));
        assertArrayEquals(new long[] {all.imageIds()[5], all.imageIds()[2]}, two.imageIds());
        Config bad = ConfigLoader.load(OVERFIT, List.of("train_dataloader.dataset.indices=[0, 500]"));
        UserError e = assertThrows(UserError.class, () -> DataSources.load(bad, true, root.toString(), new DataIssues("train")));
        assertTrue(e.getMessage().endsWith("train_dataloader.dataset.indices: position 500 is out of range for 101 images"), e.getMessage());
    }

    @Test
    void metainfoClassesPickTheCategoriesInTheFilesOrder() {
        Path root = coco128();
        Config cfg = ConfigLoader.load(Path.of("configs/autoassign_r18_coco128.yaml"), List.of(
                "model.bbox_head.num_classes=2",
                "train_dataloader.dataset.metainfo={classes: [dog, person]}",
                "val_dataloader.dataset.metainfo={classes: [dog, person]}"));
        CocoDataset train = DataSources.load(cfg, true, root.toString(), new DataIssues("train"));
        assertEquals(List.of("person", "dog"), train.categories().names(), "the file's category order, as MMDetection");
        assertTrue(train.images().stream().allMatch(r -> r.numBoxes() + r.numCrowd() > 0), "images without those classes are filtered");
        assertEquals(List.of("person", "dog"), autoassign.api.Detector.classNames(cfg.withDataRoot(root.toString())));
        autoassign.config.ConfigException mismatch = assertThrows(autoassign.config.ConfigException.class,
                () -> ConfigLoader.load(Path.of("configs/autoassign_r18_coco128.yaml"), List.of("train_dataloader.dataset.metainfo={classes: [dog]}")));
        assertEquals("train_dataloader.dataset.metainfo.classes", mismatch.key());
        Config bad = ConfigLoader.load(Path.of("configs/autoassign_r18_coco128.yaml"), List.of("model.bbox_head.num_classes=2",
                "train_dataloader.dataset.metainfo={classes: [dog, unicorn]}"));
        assertThrows(RuntimeException.class, () -> DataSources.load(bad, true, root.toString(), new DataIssues("train")));
    }
}
