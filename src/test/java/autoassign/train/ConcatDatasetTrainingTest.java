package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.SyntheticShapes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiny config trained one epoch on a ConcatDataset of two generated folders, each with its own data root (their
 * image ids collide: both count from 1), with two loader workers.
 */
class ConcatDatasetTrainingTest {
    @TempDir Path tmp;

    @Test
    void trainsOnTwoFoldersJoined() throws Exception {
        SyntheticShapes.Params small = SyntheticShapes.Params.defaults().withSides(64, 96).withObjects(1, 3, 12, 40);
        Path a = SyntheticShapes.ensure(tmp.resolve("a"), small.withCounts(4, 2).withSeed(1)).root();
        Path b = SyntheticShapes.ensure(tmp.resolve("b"), small.withCounts(3, 0).withSeed(2)).root();
        String pipeline = "[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true}, "
                + "{type: Resize, scale: [96, 96], keep_ratio: true}, {type: RandomFlip, prob: 0.5}, {type: PackDetInputs}]";
        String classes = "metainfo: {classes: " + SyntheticShapes.CLASS_NAMES.subList(0, 4) + "}, ";
        String part = "{type: CocoDataset, data_root: %s, ann_file: annotations/instances_train.json, data_prefix: {img: images/}, "
                + classes + "pipeline: " + pipeline + "}";
        List<String> overrides = List.of(
                "train_dataloader.num_workers=2",
                "train_dataloader.dataset={_delete_: true, type: ConcatDataset, datasets: [" + part.formatted(a) + ", "
                        + part.formatted(b) + "]}",
                "val_dataloader.dataset={_delete_: true, type: CocoDataset, data_root: " + a + ", ann_file: "
                        + "annotations/instances_val.json, data_prefix: {img: images/}, " + classes + "pipeline: [{type: LoadImageFromFile}, "
                        + "{type: Resize, scale: [96, 96], keep_ratio: true}, {type: PackDetInputs}]}");
        Config cfg = ConfigLoader.parse(TinyTrainConfig.yaml(), "tiny_concat.yaml", overrides);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainOptions opt = TrainOptions.defaults().withWorkDir(tmp.resolve("work")).withDevice("cpu").withEpochs(1);
        Trainer.Result r = new Trainer(cfg, opt, new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        String text = log.toString(StandardCharsets.UTF_8);
        assertEquals(4, r.iterations(), "7 images in batches of 2: " + text);
        assertTrue(Double.isFinite(r.lastLoss()), text);
        assertTrue(text.contains("data: 7 train images (" + a.resolve("annotations/instances_train.json") + " + "
                + b.resolve("annotations/instances_train.json") + "), 2 val images"), text);

        // browse: both parts' pictures, though their files have the same names (the second part's are prefixed)
        Path yaml = java.nio.file.Files.writeString(tmp.resolve("tiny_concat.yaml"), TinyTrainConfig.yaml());
        List<String> args = new java.util.ArrayList<>(List.of("--config", yaml.toString(), "--out", tmp.resolve("browse").toString(),
                "--cfg-options"));
        args.addAll(overrides);
        autoassign.cli.CliRun run = autoassign.cli.CliRun.run(new autoassign.cli.BrowseCommand(), args.toArray(String[]::new));
        assertEquals(0, run.code(), run.err());
        try (var files = java.nio.file.Files.list(tmp.resolve("browse"))) {
            assertEquals(7, files.count(), "one picture per image of both parts");
        }
    }
}
