package autoassign.cli;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.Pipeline;
import autoassign.data.PreparedImage;
import autoassign.train.DataSources;
import autoassign.viz.BoxPainter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code browse}: the ground truth drawn on the transformed images of a split. */
class BrowseCommandTest {
    static final String CONFIG = "autoassign_tiny_synthetic";

    @TempDir Path tmp;

    private static CliRun browse(String... args) {
        return CliRun.run(new BrowseCommand(), args);
    }

    @Test
    void drawsEachImageAsTheModelSeesItWithItsBoxes() throws Exception {
        Path data = tmp.resolve("data"), out = tmp.resolve("out");
        CliRun r = browse("--config", CONFIG, "--data", data.toString(), "--split", "val", "--max", "3", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Config cfg = ConfigLoader.loadNamed(CONFIG, List.of());
        CocoDataset val = DataSources.load(cfg, false, data.toString(), new DataIssues("val"));
        Pipeline pipeline = new Pipeline(autoassign.api.Detector.testPipeline(cfg, cfg.valDataloader()));
        int boxes = 0;
        for (int i = 0; i < 3; i++) {
            PreparedImage p = pipeline.prepare(val, i, false);
            boxes += p.gt().count();
            String name = p.meta().fileName().replaceAll("\\.[a-z]+$", "") + ".png";
            BufferedImage drawn = ImageIO.read(out.resolve(name).toFile());
            assertEquals(p.meta().imgW(), drawn.getWidth(), name);
            assertEquals(p.meta().imgH(), drawn.getHeight(), name);
            int colour = BoxPainter.color(p.gt().labels()[0]).getRGB() & 0xffffff, hits = 0;
            for (int y = 0; y < drawn.getHeight(); y++)
                for (int x = 0; x < drawn.getWidth(); x++) if ((drawn.getRGB(x, y) & 0xffffff) == colour) hits++;
            float[] b = p.gt().boxes();
            assertTrue(hits >= (b[2] - b[0]) + (b[3] - b[1]), name + ": the first box's outline in its class colour, " + hits + " pixels");
        }
        assertEquals("val split: 3 images, " + boxes + " boxes drawn -> " + out + " (resize to 256x256)", r.out().strip());
        try (var files = Files.list(out)) {
            assertEquals(3, files.count());
        }
    }

    @Test
    void theTrainSplitShowsTheLoadersDrawsOfCropAndColour() throws Exception {
        Path data = tmp.resolve("data"), out = tmp.resolve("out");
        String pipeline = "train_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true},"
                + " {type: Resize, scale: [256, 256], keep_ratio: true},"
                + " {type: RandomCrop, crop_size: [96, 64], allow_negative_crop: true}, {type: PhotoMetricDistortion}, {type: PackDetInputs}]";
        CliRun r = browse("--config", CONFIG, "--data", data.toString(), "--split", "train", "--max", "4", "--out", out.toString(),
                "--cfg-options", pipeline);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("train split: 4 images"), r.out());
        Config cfg = ConfigLoader.loadNamed(CONFIG, List.of(pipeline));
        CocoDataset train = DataSources.load(cfg, true, data.toString(), new DataIssues("train"));
        Pipeline p = new Pipeline(DataSources.trainPipeline(cfg));
        for (int i = 0; i < 4; i++) {
            PreparedImage want = p.prepare(train, i, autoassign.data.SampleDraws.of(0, 0, i));
            BufferedImage drawn = ImageIO.read(out.resolve(want.meta().fileName().replaceAll("\\.[a-z]+$", "") + ".png").toFile());
            assertEquals(96, drawn.getWidth()); // crop_size is (w, h), as mmdet reads it for 'absolute'
            assertEquals(64, drawn.getHeight());
            assertEquals(want.gt().count(), want.gt().labels().length);
        }
    }

    @Test
    void aPipelineResizingInsideWrappersSaysWhatItResizesTo() throws Exception {
        // DETR's RandomChoice between resize chains: no top-level resize, each inner one with its own scales
        Path data = tmp.resolve("data"), out = tmp.resolve("out");
        String pipeline = "train_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true},"
                + " {type: RandomChoice, transforms: [[{type: RandomChoiceResize, scales: [[96, 160], [128, 160]], keep_ratio: true}],"
                + " [{type: RandomChoiceResize, scales: [[80, 160]], keep_ratio: true},"
                + " {type: RandomCrop, crop_type: absolute_range, crop_size: [60, 90], allow_negative_crop: true},"
                + " {type: Resize, scale: [100, 70], keep_ratio: false}]]}, {type: PackDetInputs}]";
        CliRun r = browse("--config", CONFIG, "--data", data.toString(), "--split", "train", "--max", "4", "--out", out.toString(),
                "--cfg-options", pipeline);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(resize to RandomChoiceResize[96x160, 128x160] by Resize(keep_ratio=True, clip_object_border=True),"
                + " then RandomChoiceResize[80x160] by Resize(keep_ratio=True, clip_object_border=True),"
                + " then 100x70 by Resize(keep_ratio=False, clip_object_border=True))"), r.out());
        Config cfg = ConfigLoader.loadNamed(CONFIG, List.of(pipeline));
        CocoDataset train = DataSources.load(cfg, true, data.toString(), new DataIssues("train"));
        Pipeline p = new Pipeline(DataSources.trainPipeline(cfg));
        for (int i = 0; i < 4; i++) { // the drawn images are the loader's, whichever chain each took
            PreparedImage want = p.prepare(train, i, autoassign.data.SampleDraws.of(0, 0, i));
            BufferedImage drawn = ImageIO.read(out.resolve(want.meta().fileName().replaceAll("\\.[a-z]+$", "") + ".png").toFile());
            assertEquals(want.meta().imgW(), drawn.getWidth());
            assertEquals(want.meta().imgH(), drawn.getHeight());
        }
    }

    @Test
    void badInputIsOneLineAndTheOtherImagesAreStillDrawn() throws Exception {
        Path data = tmp.resolve("data"), out = tmp.resolve("out");
        CliRun badSplit = browse("--config", CONFIG, "--split", "holdout");
        assertEquals(1, badSplit.code());
        assertEquals("error: --split must be train, val or test, got holdout", badSplit.err().strip());

        assertEquals(0, browse("--config", CONFIG, "--data", data.toString(),
                "--split", "val", "--max", "0", "--out", out.toString()).code()); // generates the data
        CocoDataset val = DataSources.load(ConfigLoader.loadNamed(CONFIG, List.of()), false, data.toString(), new DataIssues("val"));
        Files.writeString(val.imagePath(val.get(1)), "not an image");
        CliRun r = browse("--config", CONFIG, "--data", data.toString(), "--split", "val", "--max", "3", "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().strip().startsWith("error: " + val.imagePath(val.get(1))), r.err());
        assertTrue(r.out().contains("val split: 2 images"), r.out());
        try (var files = Files.list(out)) {
            assertEquals(2, files.count());
        }
    }

    /** browse_dataset.py names each picture {@code osp.basename(img_path)}: the image's own name, extension kept. */
    @Test
    void picturesAreNamedAsTheirImages() {
        assertEquals("a.jpeg", BrowseCommand.pictureName("train/a.jpeg", 0));
        assertEquals("B.JPG", BrowseCommand.pictureName("B.JPG", 0));
        assertEquals("c.png", BrowseCommand.pictureName("c.png", 0));
        assertEquals("d.png", BrowseCommand.pictureName("d.bmp", 0)); // written as PNG
        assertEquals("part1_a.jpeg", BrowseCommand.pictureName("a.jpeg", 1));
    }
}
