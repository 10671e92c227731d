package autoassign.cli;

import autoassign.io.AtomicFiles;

import autoassign.api.Detection;
import autoassign.api.Detector;
import autoassign.api.SlicedDetection;
import autoassign.config.ConfigException;
import autoassign.data.BadImageException;
import autoassign.data.ImageDecoder;
import autoassign.data.VideoReader;
import autoassign.eval.PyFloat;
import autoassign.io.CheckpointException;
import autoassign.viz.BoxPainter;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.bytedeco.opencv.opencv_core.Mat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code detect --config CFG --checkpoint CKPT IMAGE|FOLDER... [--out DIR] [--score-thr 0.3]}: runs the detector on
 * image files (a folder stands for its image files, by name, not recursive, as MMDetection's {@code image_demo.py}
 * takes one) and writes, per image, {@code <name>.json} (COCO-style results list) and {@code <name>.jpg|png} with
 * the boxes, class names and scores drawn. With {@code --patch-size N}, large images are detected patch by patch
 * and merged ({@link SlicedDetection}: MMDetection's {@code demo/large_image_demo.py}).
 */
@Command(name = "detect", mixinStandardHelpOptions = true,
        description = {"Detect objects in images: writes <name>.json (COCO-style detections) and <name>.png/.jpg "
            + "(boxes drawn) per image.", "--patch-size N: sliced inference for large images, as MMDetection's "
            + "large_image_demo.py (overlapping patches, boxes shifted back, merged by class-aware NMS).",
            "A bad image gives a one-line error (the others are still processed) and "
            + "exit code 1."})
public final class DetectCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model = new ModelOptions();

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "image files, or folders of images (not recursive)")
    List<Path> images;

    @Option(names = {"--out", "--out-dir"}, paramLabel = "DIR", defaultValue = "work_dirs/detect",
            description = "output folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = {"--score-thr", "--pred-score-thr"}, paramLabel = "T", defaultValue = "0.3",
            description = "keep detections with score > T in the outputs (default: ${DEFAULT-VALUE}; strictly greater, "
                    + "as MMDetection's visualizer draws them); with --mmdet-layout in the pictures only")
    float scoreThr;

    @Option(names = "--mmdet-layout",
            description = "write as MMDetection's DetInferencer (demo/image_demo.py): DIR/preds/<name>.json = {labels, scores, "
                    + "bboxes} of every detection, DIR/vis/<name>.jpg|png with those of score > T")
    boolean mmdetLayout;

    @Option(names = "--no-save-vis", description = "write no pictures (image_demo.py's option)")
    boolean noSaveVis;

    @Option(names = "--no-save-pred", description = "write no json files (image_demo.py's option)")
    boolean noSavePred;

    @Option(names = "--print-result",
            description = "print each image's predictions as image_demo.py does: {'predictions': [{'labels': [...], 'scores': [...], "
                    + "'bboxes': [...]}]} of every detection (Python's dict repr)")
    boolean printResult;

    @Option(names = "--patch-size", paramLabel = "N",
            description = "detect in overlapping N×N patches and merge them (large_image_demo.py's default: "
                    + SlicedDetection.DEFAULT_PATCH_SIZE + "); off by default")
    Integer patchSize;

    @Option(names = "--patch-overlap-ratio", paramLabel = "R",
            description = "with --patch-size: fraction of a patch shared with its neighbour, 0 <= R < 1 (default: "
                    + SlicedDetection.DEFAULT_OVERLAP_RATIO + ")")
    Double patchOverlapRatio;

    @Option(names = "--merge-iou-thr", paramLabel = "T",
            description = "with --patch-size: IoU of the NMS that merges the patches' boxes (default: "
                    + SlicedDetection.DEFAULT_MERGE_IOU_THR + ")")
    Float mergeIouThr;

    @Option(names = "--batch-size", paramLabel = "B",
            description = "with --patch-size: patches per call, >= 1 (default: 1); accepted as large_image_demo.py's, "
                    + "whose inference_detector runs a batch's patches one by one, as detect does: B changes nothing")
    Integer batchSize;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter outW = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String bad = slicingError();
        if (bad == null && !(scoreThr >= 0 && scoreThr <= 1)) bad = "--score-thr must be in [0, 1], got " + scoreThr;
        if (bad == null && Files.exists(out) && !Files.isDirectory(out)) bad = out + ": --out exists and is not a folder";
        if (bad != null) return CliErrors.print(err, bad);
        double overlap = patchOverlapRatio != null ? patchOverlapRatio : SlicedDetection.DEFAULT_OVERLAP_RATIO;
        float mergeIou = mergeIouThr != null ? mergeIouThr : SlicedDetection.DEFAULT_MERGE_IOU_THR;
        Detector det;
        try {
            det = model.load();
        } catch (CheckpointException | ConfigException e) {
            return CliErrors.print(err, CliErrors.message(e));
        }
        int failed = 0;
        List<Path> files = new ArrayList<>();
        for (Path p : images) {
            if (!Files.isDirectory(p)) {
                files.add(p);
                continue;
            }
            List<Path> inFolder = imagesIn(p);
            if (inFolder.isEmpty()) {
                CliErrors.print(err, p + ": folder without images (" + String.join(" ", ImageDecoder.IMAGE_EXTENSIONS) + ")");
                failed++;
            }
            files.addAll(inFolder);
        }
        String clash = outputClash(files);
        if (clash != null) return CliErrors.print(err, clash);
        for (int i = 0; i < files.size(); i++) {
            Path img = files.get(i);
            if (VideoReader.isVideoName(img)) {
                CliErrors.print(err, img + ": a video file; detect reads images (run: video " + img + " --config ... --out OUT.avi)");
                failed++;
                continue;
            }
            try {
                BufferedImage drawn;
                List<Detection> kept = new ArrayList<>();
                List<Detection> all;
                BufferedImage original;
                String patches = "";
                try (Mat m = ImageDecoder.decode(img)) {
                    if (patchSize == null) {
                        all = det.detect(m);
                    } else {
                        SlicedDetection.Result r = SlicedDetection.detect(det, m, patchSize, overlap, mergeIou);
                        all = r.detections();
                        patches = String.format(Locale.ROOT, ", %d patches of %d", r.patches().size(), patchSize);
                    }
                    for (Detection d : all) {
                        if (d.score() > scoreThr) { // DetLocalVisualizer: scores > pred_score_thr (float32)
                            kept.add(d);
                        }
                    }
                    original = Detector.toImage(m);
                }
                drawn = noSaveVis ? null : Detector.draw(original, kept);
                String stem = PictureNames.stem(img.toString());
                Path json = jsonOf(img), pic = pictureOf(img);
                List<Path> written = new ArrayList<>();
                if (!noSaveVis) {
                    BoxPainter.write(drawn, pic);
                    written.add(pic);
                }
                if (printResult) outW.println(inferencerRepr(all));
                if (!noSavePred) {
                    if (mmdetLayout) writeInferencerJson(json, all);
                    else DetectionsJson.write(json, List.of(new DetectionsJson.Image(imageId(stem, i + 1), kept)));
                    written.add(json);
                }
                outW.printf(Locale.ROOT, "%s: %d detections (score > %.2f%s)%s%s%n", img, kept.size(), scoreThr, patches,
                        written.isEmpty() ? "" : " -> " + String.join(", ", written.stream().map(Path::toString).toList()),
                        mmdetLayout && !noSavePred ? " (all " + all.size() + ")" : "");
                outW.flush();
            } catch (BadImageException e) {
                CliErrors.print(err, e.getMessage());
                failed++;
            } catch (IOException e) {
                CliErrors.print(err, out + ": cannot write: " + CliErrors.message(e));
                failed++;
            }
        }
        if (files.size() > 1) {
            outW.printf("%d images, %d errors%n", files.size(), failed);
            outW.flush();
        }
        return failed == 0 ? 0 : 1;
    }

    /** The json written for an image. */
    private Path jsonOf(Path img) {
        String stem = PictureNames.stem(img.toString());
        return out.resolve(mmdetLayout ? "preds/" + stem + ".json" : stem + ".json");
    }

    /** The picture written for an image (DetInferencer keeps its name in vis/; other formats than JPEG / PNG as .png). */
    private Path pictureOf(Path img) {
        String stem = PictureNames.stem(img.toString());
        return out.resolve(mmdetLayout ? "vis/" + stem + PictureNames.ownOrPng(img.toString())
                : stem + PictureNames.jpgOrPng(img.toString()));
    }

    /**
     * Why the outputs cannot be written as named, or null: an output would replace an input image, or two images
     * (a.png and a.jpg, or the same name in two folders) would write the same files.
     */
    private String outputClash(List<Path> files) {
        java.util.Map<Path, Path> inputs = new java.util.HashMap<>(); // by the file each names (one look-up per path)
        for (Path in : files) inputs.putIfAbsent(SameFile.key(in), in);
        java.util.Map<Path, Path> writer = new java.util.HashMap<>();
        for (Path img : files) {
            for (Path o : List.of(jsonOf(img), pictureOf(img))) {
                Path in = inputs.get(SameFile.key(o));
                if (in != null) return o + ": would overwrite the input image " + in + " (choose another --out folder)";
                Path key = o.toAbsolutePath().normalize();
                Path other = writer.putIfAbsent(key, img);
                if (other != null && !other.equals(img))
                    return other + " and " + img + " would both write " + o + ": detect them into separate --out folders";
            }
        }
        return null;
    }

    /** What is wrong with the slicing options, or null. */
    private String slicingError() {
        if (patchSize == null) {
            if (patchOverlapRatio != null) return "--patch-overlap-ratio needs --patch-size";
            if (mergeIouThr != null) return "--merge-iou-thr needs --patch-size";
            if (batchSize != null) return "--batch-size needs --patch-size";
            return null;
        }
        if (patchSize < 32) return "--patch-size must be >= 32 (a patch is one network input), got " + patchSize;
        if (patchOverlapRatio != null && !(patchOverlapRatio >= 0 && patchOverlapRatio < 1))
            return "--patch-overlap-ratio must be in [0, 1), got " + patchOverlapRatio;
        if (mergeIouThr != null && !(mergeIouThr >= 0 && mergeIouThr <= 1))
            return "--merge-iou-thr must be in [0, 1], got " + mergeIouThr;
        if (batchSize != null && batchSize < 1) return "--batch-size must be >= 1, got " + batchSize;
        return null;
    }

    /** The image files directly in a folder, sorted by name (empty when it cannot be listed). */
    static List<Path> imagesIn(Path folder) {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(Files::isRegularFile)
                    .filter(ImageDecoder::isImageFile)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The numeric file stem (COCO names such as 000000397133.jpg), else the image's position on the line. */
    static long imageId(String stem, int position) {
        if (!stem.isEmpty() && stem.length() < 18 && stem.chars().allMatch(Character::isDigit)) {
            return Long.parseLong(stem);
        }
        return position;
    }

    /**
     * DetInferencer's {@code pred2dict} for boxes: {@code {"labels": [...], "scores": [...], "bboxes": [[x1, y1, x2, y2],
     * ...]}} of every detection, float32 values widened to double as {@code tolist()} does.
     */
    private static void writeInferencerJson(Path json, List<Detection> dets) throws IOException {
        AtomicFiles.write(json, os -> {
            try (JsonGenerator g = new JsonFactory().createGenerator(os, JsonEncoding.UTF8)) {
                g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
                g.writeStartObject();
                g.writeArrayFieldStart("labels");
                for (Detection d : dets) g.writeNumber(d.label());
                g.writeEndArray();
                g.writeArrayFieldStart("scores");
                for (Detection d : dets) g.writeNumber((double) d.score());
                g.writeEndArray();
                g.writeArrayFieldStart("bboxes");
                for (Detection d : dets) {
                    g.writeStartArray();
                    for (float v : new float[] {d.x1(), d.y1(), d.x2(), d.y2()}) g.writeNumber((double) v);
                    g.writeEndArray();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
        });
    }

    /**
     * What DetInferencer's {@code postprocess} prints with {@code print_result} for one image (a batch of one):
     * {@code print({'predictions': [pred2dict(pred)]})}, float32 values widened to double as {@code tolist()} does.
     */
    static String inferencerRepr(List<Detection> dets) {
        StringJoiner labels = new StringJoiner(", ", "[", "]"), scores = new StringJoiner(", ", "[", "]"),
                boxes = new StringJoiner(", ", "[", "]");
        for (Detection d : dets) {
            labels.add(Integer.toString(d.label()));
            scores.add(PyFloat.repr(d.score()));
            StringJoiner b = new StringJoiner(", ", "[", "]");
            for (float v : new float[] {d.x1(), d.y1(), d.x2(), d.y2()}) b.add(PyFloat.repr(v));
            boxes.add(b.toString());
        }
        return "{'predictions': [{'labels': " + labels + ", 'scores': " + scores + ", 'bboxes': " + boxes + "}]}";
    }
}
