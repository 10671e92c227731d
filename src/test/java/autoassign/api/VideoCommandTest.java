package autoassign.api;

import autoassign.cli.VideoCommand;
import autoassign.data.ImageDecoder;
import autoassign.data.VideoReader;
import autoassign.viz.VideoFileWriter;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code video} command (video_demo.py) on a Motion-JPEG AVI made here, with the tiny config's random weights. */
class VideoCommandTest {

    @TempDir
    static Path tmp;

    static Path checkpoint, clip;

    static final int W = 160, H = 120, FRAMES = 4;

    @BeforeAll
    static void setUp() throws IOException {
        checkpoint = DetectorTest.writeCheckpoint(tmp);
        clip = tmp.resolve("clip.avi");
        try (VideoFileWriter w = VideoFileWriter.open(clip, 10, W, H)) {
            for (int i = 0; i < FRAMES; i++) {
                try (Mat m = bgr(frame(i))) {
                    w.write(m);
                }
            }
            w.commit();
        }
    }

    /** A grey picture with a red disc moving right and a blue square. */
    static BufferedImage frame(int i) {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(90, 100, 110));
        g.fillRect(0, 0, W, H);
        g.setColor(Color.RED);
        g.fillOval(20 + 15 * i, 20, 60, 60);
        g.setColor(Color.BLUE);
        g.fillRect(100, 70, 40, 35);
        g.dispose();
        return img;
    }

    static Mat bgr(BufferedImage img) {
        byte[] px = ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
        try (BytePointer p = new BytePointer(px); Mat view = new Mat(img.getHeight(), img.getWidth(), CV_8UC3, p)) {
            return view.clone();
        }
    }

    private int video(StringWriter so, StringWriter se, String... args) {
        CommandLine cl = new CommandLine(new VideoCommand());
        cl.setOut(new PrintWriter(so, true));
        cl.setErr(new PrintWriter(se, true));
        List<String> all = new ArrayList<>(List.of("--config", DetectorTest.CONFIG.toString(), "--checkpoint",
                checkpoint.toString(), "--device", "cpu"));
        all.addAll(List.of(args));
        return cl.execute(all.toArray(String[]::new));
    }

    @Test
    void writerAndReaderRoundTrip() throws IOException {
        try (VideoReader r = VideoReader.open(clip)) {
            assertEquals(W, r.width());
            assertEquals(H, r.height());
            assertEquals(10.0, r.fps());
            assertEquals(FRAMES, r.frameCount());
            for (int i = 0; i < FRAMES; i++) {
                try (Mat m = r.next()) {
                    byte[] got = ImageDecoder.pixels(m), want = ((java.awt.image.DataBufferByte) frame(i).getRaster()
                            .getDataBuffer()).getData();
                    double err = 0;
                    for (int k = 0; k < got.length; k++) err += Math.abs((got[k] & 255) - (want[k] & 255));
                    assertTrue(err / got.length < 3, "JPEG-compressed frame " + i + " mean error " + err / got.length);
                }
            }
            assertNull(r.next());
            assertEquals(FRAMES, r.framesRead());
        }
    }

    @Test
    void everyFrameDetectedDrawnAndListed() throws Exception {
        Path outVideo = tmp.resolve("res/out.avi"), outJson = tmp.resolve("res/out.json");
        StringWriter so = new StringWriter(), se = new StringWriter();
        float thr = 0.1f;
        assertEquals(0, video(so, se, clip.toString(), "--out", outVideo.toString(), "--json", outJson.toString(),
                "--score-thr", Float.toString(thr)), se.toString());
        JsonNode dets = new ObjectMapper().readTree(outJson.toFile());
        Detector det = Detector.load(DetectorTest.CONFIG, checkpoint, "cpu");
        int listed = 0, drawnFrames = 0;
        try (VideoReader in = VideoReader.open(clip); VideoReader drawn = VideoReader.open(outVideo)) {
            assertEquals(10.0, drawn.fps());
            assertEquals(FRAMES, drawn.frameCount());
            for (int i = 0; i < FRAMES; i++) {
                try (Mat f = in.next(); Mat d = drawn.next()) {
                    List<Detection> want = det.detect(f).stream().filter(x -> x.score() > thr).toList();
                    assertFalse(want.isEmpty(), "the raised class bias gives detections");
                    for (Detection x : want) {
                        JsonNode j = dets.get(listed++);
                        assertEquals(i, j.get("image_id").asInt());
                        assertEquals(x.categoryId(), j.get("category_id").asInt());
                        assertEquals(x.score(), (float) j.get("score").asDouble());
                        assertEquals(x.x1(), (float) j.get("bbox").get(0).asDouble());
                        assertEquals(x.className(), j.get("class_name").asText());
                    }
                    if (!Arrays.equals(ImageDecoder.pixels(f), ImageDecoder.pixels(d))) drawnFrames++;
                }
            }
        }
        assertEquals(listed, dets.size());
        assertEquals(FRAMES, drawnFrames, "boxes drawn on every frame");
        assertTrue(so.toString().contains(FRAMES + " frames, " + listed + " detections"), so.toString());
        try (var files = Files.list(outVideo.getParent())) {
            assertEquals(List.of("out.avi", "out.json"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary file left");
        }
    }

    @Test
    void badInputsGiveOneLineErrors() throws IOException {
        Path png = tmp.resolve("still.avi");
        ImageIO.write(frame(0), "png", png.toFile());
        Path cut = tmp.resolve("cut.avi");
        byte[] all = Files.readAllBytes(clip);
        Files.write(cut, Arrays.copyOf(all, all.length / 2));
        Path outJson = tmp.resolve("bad/out.json");
        String[][] cases = {
            {"nothing to write", clip.toString()},
            {"name the output *.avi", clip.toString(), "--out", tmp.resolve("o.mp4").toString()},
            {"video file not found", tmp.resolve("none.avi").toString(), "--json", outJson.toString()},
            {"not a Motion-JPEG AVI file", png.toString(), "--json", outJson.toString()},
            {"would overwrite the input video", clip.toString(), "--out", clip.toString()},
            {"--score-thr must be in [0, 1]", clip.toString(), "--json", outJson.toString(), "--score-thr", "2"},
        };
        for (String[] c : cases) {
            StringWriter se = new StringWriter();
            assertEquals(1, video(new StringWriter(), se, Arrays.copyOfRange(c, 1, c.length)), String.join(" ", c));
            assertTrue(se.toString().contains(c[0]), c[0] + " <- " + se);
            assertEquals(1, se.toString().strip().lines().count(), se.toString());
        }
        // a truncated video: an error naming it, nothing written, an earlier output kept
        Path outVideo = tmp.resolve("bad/keep.avi");
        Files.createDirectories(outVideo.getParent());
        Files.writeString(outVideo, "earlier");
        StringWriter se = new StringWriter();
        assertEquals(1, video(new StringWriter(), se, cut.toString(), "--out", outVideo.toString(), "--json", outJson.toString()));
        assertTrue(se.toString().contains(cut + ": OpenCV cannot open this AVI"), se.toString());
        assertEquals("earlier", Files.readString(outVideo));
        assertFalse(Files.exists(outJson));
        try (var files = Files.list(outVideo.getParent())) {
            assertEquals(List.of("keep.avi"), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void detectPointsAtTheVideoCommand() {
        CommandLine cl = new CommandLine(new autoassign.cli.DetectCommand());
        StringWriter se = new StringWriter();
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(se, true));
        assertEquals(1, cl.execute("--config", DetectorTest.CONFIG.toString(), "--checkpoint", checkpoint.toString(),
                "--device", "cpu", "--out", tmp.resolve("det").toString(), clip.toString()));
        assertTrue(se.toString().contains(clip + ": a video file; detect reads images (run: video "), se.toString());
    }

    @Test
    void abandonedWriterLeavesNothing() throws IOException {
        Path target = tmp.resolve("abandon/x.avi");
        try (VideoFileWriter w = VideoFileWriter.open(target, 5, 32, 24); Mat m = new Mat(24, 32, CV_8UC3)) {
            w.write(m);
        }
        try (var files = Files.list(target.getParent())) {
            assertEquals(0, files.count());
        }
    }
}
