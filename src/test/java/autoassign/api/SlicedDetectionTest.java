package autoassign.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import autoassign.cli.CliRun;
import autoassign.cli.DetectCommand;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SlicedDetection} and {@code detect --patch-size}: shifting, merging, and the tiny model on a generated image. */
class SlicedDetectionTest {

    @TempDir
    static Path tmp;

    static Path checkpoint;

    @BeforeAll
    static void weights() throws IOException {
        checkpoint = DetectorTest.writeCheckpoint(tmp);
    }

    private static Detection det(float x1, float y1, float x2, float y2, float score, int label) {
        return new Detection(x1, y1, x2, y2, score, label, "c" + label, label + 1);
    }

    @Test
    void shiftMovesBoxesByThePatchOffsetInFloat32() {
        List<Detection> out = SlicedDetection.shift(List.of(det(0.1f, 2.5f, 10.25f, 20f, 0.9f, 3)), 480, 160);
        Detection d = out.get(0);
        assertEquals(0.1f + 480f, d.x1());
        assertEquals(162.5f, d.y1());
        assertEquals(490.25f, d.x2());
        assertEquals(180f, d.y2());
        assertEquals(0.9f, d.score());
        assertEquals(3, d.label());
        assertEquals("c3", d.className());
    }

    @Test
    void mergeKeepsTheHigherScoreOfSameClassBoxesFromTwoPatches() {
        // the same object seen by two overlapping patches, shifted back into image pixels: IoU 0.8 > 0.25
        Detection left = det(600, 100, 700, 200, 0.6f, 0);
        Detection right = det(610, 100, 710, 200, 0.8f, 0);
        // the same place, another class: class-aware NMS keeps it
        Detection otherClass = det(605, 100, 705, 200, 0.5f, 1);
        // same class, IoU 1/3 (> 0.25): dropped; far away: kept
        Detection partly = det(660, 100, 760, 200, 0.4f, 0);
        Detection far = det(10, 10, 50, 50, 0.3f, 0);
        List<Detection> merged = SlicedDetection.merge(List.of(left, right, otherClass, partly, far), 0.25f);
        assertEquals(List.of(right, otherClass, far), merged, "best first");
        // at IoU exactly the threshold a box survives (MMCV: suppressed only when IoU > thr): 2 of 6 wide overlap
        Detection a = det(0, 0, 4, 10, 0.9f, 0), b = det(2, 0, 6, 10, 0.7f, 0); // IoU = 20 / 60 = 1/3
        assertEquals(List.of(a, b), SlicedDetection.merge(List.of(b, a), 1f / 3f));
        assertEquals(List.of(a), SlicedDetection.merge(List.of(b, a), 0.3f));
        assertEquals(List.of(), SlicedDetection.merge(List.of(), 0.25f));
    }

    static BufferedImage scene(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(90, 100, 110));
        g.fillRect(0, 0, w, h);
        g.setColor(Color.RED);
        g.fillOval(30, 20, 60, 60);
        g.setColor(Color.BLUE);
        g.fillRect(170, 90, 70, 50);
        g.dispose();
        return img;
    }

    @Test
    void oneImageSmallerThanAPatchIsTheWholeImageMerged() throws Exception {
        Detector detector = Detector.load(DetectorTest.CONFIG, checkpoint, "cpu");
        Path png = tmp.resolve("small.png");
        ImageIO.write(scene(200, 150), "png", png.toFile());
        try (Mat m = autoassign.data.ImageDecoder.decode(png)) {
            SlicedDetection.Result r = SlicedDetection.detect(detector, m, 640, 0.25, 0.25f);
            assertEquals(1, r.patches().size());
            List<Detection> plain = detector.detect(m);
            assertFalse(plain.isEmpty());
            assertEquals(SlicedDetection.merge(plain, 0.25f), r.detections());
        }
    }

    @Test
    void everyMergedBoxIsAPatchBoxShiftedBack() throws Exception {
        Detector detector = Detector.load(DetectorTest.CONFIG, checkpoint, "cpu");
        Path png = tmp.resolve("large.png");
        ImageIO.write(scene(300, 200), "png", png.toFile());
        try (Mat m = autoassign.data.ImageDecoder.decode(png)) {
            SlicedDetection.Result r = SlicedDetection.detect(detector, m, 128, 0.25, 0.25f);
            assertEquals(PatchGrid.patches(200, 300, 128, 0.25), r.patches());
            assertEquals(6, r.patches().size(), "x 0, 96, 172; y 0, 72");
            List<List<Detection>> perPatch = new ArrayList<>();
            List<Detection> all = new ArrayList<>();
            for (PatchGrid.Patch p : r.patches()) {
                try (Rect rect = new Rect(p.x1(), p.y1(), p.width(), p.height()); Mat view = new Mat(m, rect);
                     Mat copy = view.clone()) {
                    List<Detection> own = detector.detect(copy);
                    perPatch.add(own);
                    all.addAll(SlicedDetection.shift(own, p.x1(), p.y1()));
                }
            }
            assertFalse(r.detections().isEmpty());
            assertTrue(r.detections().size() < all.size(), "the merge removes duplicates across patches");
            for (int i = 0; i < r.detections().size(); i++) {
                Detection d = r.detections().get(i);
                assertTrue(all.contains(d), d.toString());
                assertTrue(d.x1() >= 0 && d.y1() >= 0 && d.x2() <= 300 && d.y2() <= 200, d.toString());
                if (i > 0) assertTrue(r.detections().get(i - 1).score() >= d.score());
            }
        }
    }

    @Test
    void detectCommandSlicesLargeImages() throws IOException {
        Path png = tmp.resolve("000000000007.png");
        ImageIO.write(scene(300, 200), "png", png.toFile());
        Path out = tmp.resolve("out-sliced");
        CliRun r = CliRun.run(new DetectCommand(), "--config", DetectorTest.CONFIG.toString(), "--checkpoint",
                checkpoint.toString(), "--device", "cpu", "--out", out.toString(), "--score-thr", "0.05",
                "--patch-size", "128", "--patch-overlap-ratio", "0.25", "--merge-iou-thr", "0.25", "--batch-size", "4",
                png.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith(png + ": "), r.out());
        assertTrue(r.out().contains("(score > 0.05, 6 patches of 128) -> "), r.out());
        JsonNode dets = new ObjectMapper().readTree(out.resolve("000000000007.json").toFile());
        assertTrue(dets.isArray() && dets.size() > 0);
        assertEquals(7, dets.get(0).get("image_id").asLong());
        BufferedImage drawn = ImageIO.read(out.resolve("000000000007.png").toFile());
        assertEquals(300, drawn.getWidth());
        assertEquals(200, drawn.getHeight());
    }

    @Test
    void badSlicingOptionsAreOneLineErrors() {
        String[][] cases = {
            {"--patch-size", "0"}, {"--patch-size", "64", "--patch-overlap-ratio", "1"},
            {"--patch-size", "64", "--merge-iou-thr", "1.5"}, {"--patch-size", "64", "--batch-size", "0"},
            {"--patch-overlap-ratio", "0.2"}};
        String[] expected = {
            "error: --patch-size must be >= 32 (a patch is one network input), got 0", "error: --patch-overlap-ratio must be in [0, 1), got 1.0",
            "error: --merge-iou-thr must be in [0, 1], got 1.5", "error: --batch-size must be >= 1, got 0",
            "error: --patch-overlap-ratio needs --patch-size"};
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new ArrayList<>(List.of("--config", DetectorTest.CONFIG.toString(), "--checkpoint",
                    checkpoint.toString(), "--device", "cpu", "--out", tmp.resolve("bad").toString()));
            args.addAll(List.of(cases[i]));
            args.add(tmp.resolve("any.png").toString());
            CliRun r = CliRun.run(new DetectCommand(), args.toArray(String[]::new));
            assertEquals(1, r.code(), String.join(" ", cases[i]));
            assertEquals(expected[i], r.err().strip());
        }
    }
}
