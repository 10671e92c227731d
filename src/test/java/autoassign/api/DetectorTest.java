package autoassign.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import autoassign.cli.DetectCommand;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.io.ModelWeights;
import autoassign.io.RawTensor;
import autoassign.io.Safetensors;
import autoassign.model.AutoAssignDetector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Detector and detect command on the tiny synthetic config with random weights (class bias raised). */
class DetectorTest {

    static final Path CONFIG = Path.of("configs/autoassign_tiny_synthetic.yaml");

    @TempDir
    static Path tmp;

    static Path checkpoint;

    @BeforeAll
    static void weights() throws IOException {
        checkpoint = writeCheckpoint(tmp);
    }

    /** Random tiny-model weights with the class bias raised (so that there are detections), as safetensors. */
    static Path writeCheckpoint(Path dir) throws IOException {
        Config cfg = ConfigLoader.load(CONFIG);
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        Map<String, RawTensor> sd = ModelWeights.fromModule(model);
        // random heads predict probability 0.02 everywhere; raise the class bias so that there are detections
        RawTensor bias = sd.get("bbox_head.conv_cls.bias");
        float[] b = bias.toFloatArray();
        for (int i = 0; i < b.length; i++) {
            b[i] = 1f + 0.5f * i;
        }
        sd.put("bbox_head.conv_cls.bias", RawTensor.ofFloats(b, bias.shape()));
        Path file = dir.resolve("tiny.safetensors");
        Safetensors.write(file, sd, Map.of());
        return file;
    }

    static BufferedImage picture(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(90, 100, 110));
        g.fillRect(0, 0, w, h);
        g.setColor(Color.RED);
        g.fillOval(30, 20, 60, 60);
        g.dispose();
        return img;
    }

    @Test
    void detectsInOriginalPixelsBestFirst() throws Exception {
        Detector det = Detector.load(CONFIG, checkpoint, "cpu");
        int classes = ConfigLoader.load(CONFIG).model().bboxHead().numClasses();
        assertEquals(autoassign.data.SyntheticShapes.CLASS_NAMES.subList(0, classes), det.classNames());
        BufferedImage img = picture(200, 150);
        List<Detection> out = det.detect(img);
        assertFalse(out.isEmpty());
        assertTrue(out.size() <= 100);
        for (int i = 0; i < out.size(); i++) {
            Detection d = out.get(i);
            assertTrue(d.x1() >= 0 && d.y1() >= 0 && d.x2() <= 200 && d.y2() <= 150, d.toString());
            assertTrue(d.width() > 0 && d.height() > 0, d.toString());
            assertEquals(det.classNames().get(d.label()), d.className());
            assertEquals(d.label() + 1, d.categoryId());
            if (i > 0) {
                assertTrue(out.get(i - 1).score() >= d.score());
            }
        }
        // the file path and the BufferedImage give the same result (PNG is lossless)
        Path png = tmp.resolve("pic.png");
        ImageIO.write(img, "png", png.toFile());
        assertEquals(out, det.detect(png));
    }

    /** Runs {@code detect} with this test's config and checkpoint on the CPU, then {@code args}. */
    private int detect(StringWriter so, StringWriter se, String... args) {
        CommandLine cl = new CommandLine(new DetectCommand());
        cl.setOut(new PrintWriter(so, true));
        cl.setErr(new PrintWriter(se, true));
        List<String> all = new java.util.ArrayList<>(List.of("--config", CONFIG.toString(), "--checkpoint", checkpoint.toString(), "--device", "cpu"));
        all.addAll(List.of(args));
        return cl.execute(all.toArray(String[]::new));
    }

    @Test
    void detectCommandWritesJsonAndPicture() throws IOException {
        Path png = tmp.resolve("000000000042.png");
        ImageIO.write(picture(160, 120), "png", png.toFile());
        Path outDir = tmp.resolve("out");
        StringWriter so = new StringWriter();
        StringWriter se = new StringWriter();
        int code = detect(so, se, "--out", outDir.toString(), "--score-thr", "0.0", png.toString(), tmp.resolve("missing.jpg").toString());
        assertEquals(1, code, "one image is missing: " + se);
        assertTrue(se.toString().contains("missing.jpg"), se.toString());
        JsonNode dets = new ObjectMapper().readTree(outDir.resolve("000000000042.json").toFile());
        assertTrue(dets.isArray() && dets.size() > 0);
        JsonNode d0 = dets.get(0);
        assertEquals(42, d0.get("image_id").asLong());
        assertEquals(4, d0.get("bbox").size());
        assertTrue(d0.get("class_name").asText().length() > 0);
        BufferedImage drawn = ImageIO.read(outDir.resolve("000000000042.png").toFile());
        assertEquals(160, drawn.getWidth());
        assertTrue(Files.exists(outDir.resolve("000000000042.png")));

        // image_demo.py's --weights names the checkpoint too: the same detections
        CommandLine cl = new CommandLine(new DetectCommand());
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        Path outDir2 = tmp.resolve("out2");
        assertEquals(0, cl.execute("--config", CONFIG.toString(), "--weights", checkpoint.toString(), "--device", "cpu",
                "--out", outDir2.toString(), "--score-thr", "0.0", png.toString()));
        assertEquals(Files.readString(outDir.resolve("000000000042.json")), Files.readString(outDir2.resolve("000000000042.json")));
    }

    @Test
    void detectCommandWritesDetInferencersLayout() throws Exception {
        Path png = tmp.resolve("street.PNG");
        ImageIO.write(picture(160, 120), "png", png.toFile());
        Path outDir = tmp.resolve("mm");
        StringWriter so = new StringWriter(), se = new StringWriter();
        // image_demo.py's option names: --out-dir, --pred-score-thr
        assertEquals(0, detect(so, se, "--out-dir", outDir.toString(), "--pred-score-thr", "0.5", "--mmdet-layout", png.toString()), se.toString());
        JsonNode preds = new ObjectMapper().readTree(outDir.resolve("preds/street.json").toFile());
        List<String> keys = new java.util.ArrayList<>();
        preds.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("labels", "scores", "bboxes"), keys);
        List<Detection> all = Detector.load(CONFIG, checkpoint, "cpu").detect(png);
        assertTrue(all.size() > 0, "a random model keeps some detections below 0.5 too");
        assertEquals(all.size(), preds.get("labels").size(), "every detection, no threshold (pred2dict)");
        for (int i = 0; i < all.size(); i++) {
            Detection d = all.get(i);
            assertEquals(d.label(), preds.get("labels").get(i).asInt());
            assertEquals((double) d.score(), preds.get("scores").get(i).asDouble());
            assertEquals((double) d.x2(), preds.get("bboxes").get(i).get(2).asDouble());
        }
        assertTrue(Files.exists(outDir.resolve("vis/street.PNG")), "the image's own name, as DetInferencer");
        long shown = all.stream().filter(d -> d.score() > 0.5f).count();
        assertTrue(so.toString().startsWith(png + ": " + shown + " detections (score > 0.50) -> "), so.toString());

        // --no-save-vis / --no-save-pred: nothing of that kind written
        Path none = tmp.resolve("none");
        StringWriter so2 = new StringWriter(), se2 = new StringWriter();
        assertEquals(0, detect(so2, se2, "--out", none.toString(), "--no-save-vis", "--no-save-pred", png.toString()), se2.toString());
        assertTrue(!Files.exists(none), "no folder written");
        assertTrue(so2.toString().startsWith(png + ": ") && !so2.toString().contains("->"), so2.toString());

        // --print-result: image_demo.py's print of {'predictions': [pred2dict]} (Python's repr: single quotes), every
        // detection, the same numbers as the json; printed even when nothing is saved
        StringWriter so3 = new StringWriter();
        assertEquals(0, detect(so3, new StringWriter(), "--out", none.toString(), "--no-save-vis", "--no-save-pred",
                "--print-result", png.toString()));
        String printed = so3.toString().lines().findFirst().orElseThrow();
        assertTrue(printed.startsWith("{'predictions': [{'labels': [") && printed.endsWith("]]}]}"), printed);
        JsonNode parsed = new ObjectMapper().readTree(printed.replace('\'', '"'));
        assertEquals(preds, parsed.get("predictions").get(0), "the printed dict holds the json's values");
        assertTrue(printed.contains("[" + autoassign.eval.PyFloat.repr(all.get(0).x1()) + ", "), "floats as Python's repr");
        assertEquals(0, detect(so2, se2, "--out", none.toString(), "--no-save-vis", png.toString()), se2.toString());
        try (var files = Files.list(none)) {
            assertEquals(List.of("street.json"), files.map(f -> f.getFileName().toString()).toList());
        }
    }

    /**
     * The pictures hold the detections with score strictly above --pred-score-thr, as DetLocalVisualizer filters
     * ({@code pred_instances.scores > pred_score_thr}): one whose score equals the threshold is not drawn.
     */
    @Test
    void detectDrawsScoresStrictlyAboveTheThreshold() throws Exception {
        Path png = tmp.resolve("equal.png");
        ImageIO.write(picture(160, 120), "png", png.toFile());
        List<Detection> all = Detector.load(CONFIG, checkpoint, "cpu").detect(png);
        assertTrue(all.size() >= 2, "some detections: " + all.size());
        float thr = all.get(1).score(); // a detection's own score, exactly (float32)
        long above = all.stream().filter(d -> d.score() > thr).count();
        StringWriter so = new StringWriter(), se = new StringWriter();
        assertEquals(0, detect(so, se, "--out-dir", tmp.resolve("eq").toString(), "--pred-score-thr", Float.toString(thr),
                "--mmdet-layout", png.toString()), se.toString());
        assertTrue(so.toString().startsWith(png + ": " + above + " detections (score > "), so.toString());
    }

    @Test
    void detectCommandTakesFoldersOfImages() throws IOException {
        Path folder = Files.createDirectories(tmp.resolve("pictures"));
        ImageIO.write(picture(96, 64), "png", folder.resolve("b.png").toFile());
        ImageIO.write(picture(64, 96), "jpg", folder.resolve("a.JPG").toFile());
        Files.writeString(folder.resolve("notes.txt"), "not an image");
        Files.createDirectories(folder.resolve("sub"));
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Path outDir = tmp.resolve("out-folder");
        StringWriter so = new StringWriter();
        StringWriter se = new StringWriter();
        int code = detect(so, se, "--out", outDir.toString(), folder.toString(), empty.toString());
        assertEquals(1, code, "the empty folder is an error: " + se);
        assertEquals("error: " + empty + ": folder without images (.jpg .jpeg .png .ppm .bmp .pgm .tif .tiff .webp)", se.toString().strip());
        List<String> lines = so.toString().strip().lines().toList();
        assertEquals(3, lines.size(), so.toString());
        assertTrue(lines.get(0).startsWith(folder.resolve("a.JPG") + ": "), "sorted by name: " + lines);
        assertTrue(lines.get(1).startsWith(folder.resolve("b.png") + ": "), lines.toString());
        assertEquals("2 images, 1 errors", lines.get(2));
        assertTrue(Files.exists(outDir.resolve("a.json")) && Files.exists(outDir.resolve("a.jpg")));
        assertTrue(Files.exists(outDir.resolve("b.json")) && Files.exists(outDir.resolve("b.png")));

        // outputs that would replace an input image, or two images writing the same files: refused before any detection
        byte[] b = Files.readAllBytes(folder.resolve("b.png"));
        StringWriter e1 = new StringWriter();
        assertEquals(1, detect(new StringWriter(), e1, "--out", folder.toString(), folder.resolve("b.png").toString()));
        assertEquals("error: " + folder.resolve("b.png") + ": would overwrite the input image " + folder.resolve("b.png")
                + " (choose another --out folder)", e1.toString().strip());
        assertArrayEquals(b, Files.readAllBytes(folder.resolve("b.png")));
        ImageIO.write(picture(64, 64), "png", folder.resolve("a.png").toFile());
        StringWriter e2 = new StringWriter();
        Path clash = tmp.resolve("clash");
        assertEquals(1, detect(new StringWriter(), e2, "--out", clash.toString(), folder.resolve("a.JPG").toString(),
                folder.resolve("a.png").toString()));
        assertEquals("error: " + folder.resolve("a.JPG") + " and " + folder.resolve("a.png") + " would both write " + clash.resolve("a.json")
                + ": detect them into separate --out folders", e2.toString().strip());
        assertFalse(Files.exists(clash), "nothing written");
        StringWriter e3 = new StringWriter();
        assertEquals(1, detect(new StringWriter(), e3, "--score-thr", "1.5", folder.resolve("b.png").toString()));
        assertEquals("error: --score-thr must be in [0, 1], got 1.5", e3.toString().strip());
    }
}
