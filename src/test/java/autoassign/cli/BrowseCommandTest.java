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
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code browse}: the ground truth drawn on the transformed images of a split. */
class BrowseCommandTest {
    static final String CONFIG = "autoassign_tiny_synthetic";

    @TempDir Path tmp;

    private int browse(StringWriter so, StringWriter se, String... args) {
        CommandLine cl = new CommandLine(new BrowseCommand());
        cl.setOut(new PrintWriter(so, true));
        cl.setErr(new PrintWriter(se, true));
        return cl.execute(args);
    }

    @Test
    void drawsEachImageAsTheModelSeesItWithItsBoxes() throws Exception {
        Path data = tmp.resolve("data"), out = tmp.resolve("out");
        StringWriter so = new StringWriter(), se = new StringWriter();
        assertEquals(0, browse(so, se, "--config", CONFIG, "--data", data.toString(), "--split", "val", "--max", "3",
                "--out", out.toString()), se.toString());
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
        assertEquals("val split: 3 images, " + boxes + " boxes drawn -> " + out + " (resize to 256x256)", so.toString().strip());
        try (var files = Files.list(out)) {
            assertEquals(3, files.count());
        }
    }

    @Test
    void badInputIsOneLineAndTheOtherImagesAreStillDrawn() throws Exception {
        Path data = tmp.resolve("data"), out = tmp.resolve("out");
        StringWriter so = new StringWriter(), se = new StringWriter();
        assertEquals(1, browse(so, se, "--config", CONFIG, "--split", "holdout"));
        assertEquals("error: --split must be train, val or test, got holdout", se.toString().strip());

        assertEquals(0, browse(new StringWriter(), new StringWriter(), "--config", CONFIG, "--data", data.toString(),
                "--split", "val", "--max", "0", "--out", out.toString())); // generates the data
        CocoDataset val = DataSources.load(ConfigLoader.loadNamed(CONFIG, List.of()), false, data.toString(), new DataIssues("val"));
        Files.writeString(val.imagePath(val.get(1)), "not an image");
        StringWriter so2 = new StringWriter(), se2 = new StringWriter();
        assertEquals(1, browse(so2, se2, "--config", CONFIG, "--data", data.toString(), "--split", "val", "--max", "3",
                "--out", out.toString()));
        assertTrue(se2.toString().strip().startsWith("error: " + val.imagePath(val.get(1))), se2.toString());
        assertTrue(so2.toString().contains("val split: 2 images"), so2.toString());
        try (var files = Files.list(out)) {
            assertEquals(2, files.count());
        }
    }
}
