package autoassign.cli;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.Pipeline;
import autoassign.data.PreparedImage;
import autoassign.train.DataSources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code browse} of a training pipeline with CenterNet's RandomCenterCropPad: the loader's crops, drawn with their boxes. */
class RandomCenterCropPadBrowseTest {
    @TempDir Path tmp;

    @Test
    void browseDrawsTheLoadersCentreCrops() throws Exception {
        Path data = tmp.resolve("data"), out = tmp.resolve("out");
        String pipeline = "train_dataloader.dataset.pipeline=[{type: LoadImageFromFile, to_float32: true},"
                + " {type: LoadAnnotations, with_bbox: true},"
                + " {type: RandomCenterCropPad, crop_size: [160, 160], ratios: [0.6, 0.8, 1.0, 1.3], mean: [0, 0, 0], std: [1, 1, 1],"
                + " to_rgb: true, test_pad_mode: null}, {type: RandomFlip, prob: 0.5},"
                + " {type: Resize, scale: [256, 256], keep_ratio: true}, {type: PackDetInputs}]";
        CliRun r = CliRun.run(new BrowseCommand(), "--config", BrowseCommandTest.CONFIG, "--data", data.toString(), "--split", "train",
                "--max", "4", "--out", out.toString(), "--cfg-options", pipeline);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("train split: 4 images"), r.out());
        Config cfg = ConfigLoader.loadNamed(BrowseCommandTest.CONFIG, List.of(pipeline));
        CocoDataset train = DataSources.load(cfg, true, data.toString(), new DataIssues("train"));
        Pipeline p = new Pipeline(DataSources.trainPipeline(cfg));
        for (int i = 0; i < 4; i++) {
            PreparedImage want = p.prepare(train, i, autoassign.data.SampleDraws.of(0, 0, i));
            BufferedImage drawn = ImageIO.read(out.resolve(want.meta().fileName().replaceAll("\\.[a-z]+$", "") + ".png").toFile());
            assertEquals(want.meta().imgW(), drawn.getWidth());
            assertEquals(want.meta().imgH(), drawn.getHeight());
            assertEquals(256, Math.max(drawn.getWidth(), drawn.getHeight())); // square crops, resized to 256
            assertTrue(want.gt().count() > 0, "a crop keeps a box centre");
        }
    }
}
