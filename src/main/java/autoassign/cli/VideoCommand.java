package autoassign.cli;

import autoassign.api.Detection;
import autoassign.api.Detector;
import autoassign.config.ConfigException;
import autoassign.data.VideoReader;
import autoassign.io.CheckpointException;
import autoassign.viz.VideoFileWriter;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.bytedeco.opencv.opencv_core.Mat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code video VIDEO --config CFG --checkpoint CKPT [--out OUT.avi] [--json OUT.json] [--score-thr 0.3]}:
 * MMDetection's {@code demo/video_demo.py}: every frame detected as an image, the boxes of score &gt; T drawn on it,
 * the frames written as a video of the input's size and frame rate. {@code --json} also writes the kept detections,
 * COCO-style, with the frame index (from 0) as {@code image_id}. Motion-JPEG AVI in and out (the bundled OpenCV has
 * no FFmpeg).
 */
@Command(name = "video", mixinStandardHelpOptions = true,
        description = {"Detect objects in every frame of a video, as MMDetection's demo/video_demo.py: --out writes the "
            + "video with the boxes of score > T drawn, --json the detections per frame (image_id = frame index from 0).",
            "Reads and writes Motion-JPEG .avi only (this build's OpenCV has no FFmpeg; convert with "
            + "ffmpeg -i IN -c:v mjpeg -q:v 2 OUT.avi). A frame that cannot be decoded stops the run: "
            + "nothing is written (exit code 1)."})
public final class VideoCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "VIDEO", description = "input video (Motion-JPEG .avi)")
    Path video;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--out", paramLabel = "OUT.avi", description = "output video with the detections drawn")
    Path out;

    @Option(names = "--json", paramLabel = "FILE", description = "output COCO-style detections of every frame")
    Path json;

    @Option(names = {"--score-thr", "--pred-score-thr"}, paramLabel = "T", defaultValue = "0.3",
            description = "draw and write detections with score > T (default: ${DEFAULT-VALUE}; strictly greater, "
                    + "as MMDetection's visualizer)")
    float scoreThr;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter outW = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String bad = optionsError();
        if (bad != null) return CliErrors.print(err, bad);
        Detector det;
        try {
            det = model.load();
        } catch (CheckpointException | ConfigException e) {
            return CliErrors.print(err, CliErrors.message(e));
        }
        List<DetectionsJson.Image> frames = new ArrayList<>();
        long kept = 0;
        try (VideoReader reader = VideoReader.open(video);
             VideoFileWriter writer = out == null ? null
                     : VideoFileWriter.open(out, reader.fps() > 0 ? reader.fps() : DEFAULT_FPS, reader.width(), reader.height());
             ProgressBar bar = ProgressBars.of("video", reader.frameCount(), "frames")) {
            for (Mat frame; (frame = reader.next()) != null; ) {
                try (Mat f = frame) {
                    List<Detection> shown = new ArrayList<>();
                    for (Detection d : det.detect(f)) if (d.score() > scoreThr) shown.add(d);
                    kept += shown.size();
                    if (json != null) frames.add(new DetectionsJson.Image(reader.framesRead() - 1, shown));
                    if (writer != null) writer.write(drawn(f, shown));
                }
                bar.step();
            }
            if (reader.framesRead() == 0) return CliErrors.print(err, video + ": the video has no frames");
            if (json != null) DetectionsJson.write(json, frames);
            if (writer != null) writer.commit();
            List<String> written = new ArrayList<>();
            if (out != null) written.add(out.toString());
            if (json != null) written.add(json.toString());
            outW.printf(Locale.ROOT, "%s: %d frames, %d detections (score > %.2f) -> %s%n", video, reader.framesRead(), kept,
                    scoreThr, String.join(", ", written));
            outW.flush();
            return 0;
        } catch (IOException e) {
            return CliErrors.print(err, CliErrors.message(e));
        }
    }

    /** The frame rate of the output when the input declares none (an AVI needs one). */
    static final double DEFAULT_FPS = 30;

    /** What is wrong with the options, or null. */
    private String optionsError() {
        if (out == null && json == null)
            return "nothing to write: give --out OUT.avi (the video with the detections drawn) and/or --json FILE";
        if (!(scoreThr >= 0 && scoreThr <= 1)) return "--score-thr must be in [0, 1], got " + scoreThr;
        if (out != null && !VideoFileWriter.isAviName(out))
            return out + ": videos are written as Motion-JPEG .avi files (no FFmpeg in this build's OpenCV); name the output *.avi";
        for (Path o : new Path[] {out, json}) {
            if (o == null) continue;
            if (Files.isDirectory(o)) return o + ": is a folder, not a file name";
            if (SameFile.key(o).equals(SameFile.key(video))) return o + ": would overwrite the input video";
        }
        if (out != null && json != null && SameFile.key(out).equals(SameFile.key(json)))
            return out + ": --out and --json name the same file";
        return null;
    }

    /** The frame with the detections drawn, as 8-bit BGR (the frame itself is overwritten and returned). */
    private static Mat drawn(Mat frame, List<Detection> shown) {
        if (shown.isEmpty()) return frame;
        BufferedImage img = Detector.toImage(frame); // TYPE_3BYTE_BGR: its bytes are the frame's layout
        Detector.drawInPlace(img, shown);
        frame.data().put(((DataBufferByte) img.getRaster().getDataBuffer()).getData());
        return frame;
    }
}
