package autoassign.api;

import autoassign.backend.DeviceSelector;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.config.DataPreprocessorConfig;
import autoassign.config.DatasetConfig;
import autoassign.config.PipelineConfig;
import autoassign.data.BadImageException;
import autoassign.data.Batch;
import autoassign.data.ImageDecoder;
import autoassign.data.ImageRecord;
import autoassign.data.Pipeline;
import autoassign.data.PipelineOptions;
import autoassign.data.PreparedImage;
import autoassign.data.SyntheticShapes;
import autoassign.eval.CocoClasses;
import autoassign.eval.CocoFormatException;
import autoassign.eval.CocoGroundTruth;
import autoassign.eval.Inference;
import autoassign.io.CheckpointException;
import autoassign.io.ModelWeights;
import autoassign.model.AutoAssignDetector;
import autoassign.postprocess.Detections;
import autoassign.postprocess.PostProcessConfig;
import autoassign.tensor.Device;
import autoassign.viz.BoxPainter;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * The library API: a trained AutoAssign model that finds objects in images.
 *
 * <pre>
 *   Detector det = Detector.load(Path.of("configs/x.yaml"), Path.of("work_dirs/x/epoch_12.safetensors"));
 *   for (Detection d : det.detect(Path.of("street.jpg"))) System.out.println(d);
 * </pre>
 *
 * Images go through the config's test pipeline (keep-ratio resize, normalisation, padding), the model runs
 * without the autograd tape, and the output is post-processed as MMDetection does (AA_4); boxes are in the
 * original image's pixels, best first. Not thread-safe: use one instance per thread.
 */
public final class Detector {

    private final AutoAssignDetector model;
    private final Pipeline pipeline;
    private final PostProcessConfig post;
    private final List<String> classNames;
    private final long[] categoryIds;

    /**
     * @param model       the detector, weights loaded, on its device
     * @param pipeline    test-time resize / normalisation / padding
     * @param post        post-processing settings
     * @param classNames  name of each label
     * @param categoryIds dataset category id of each label
     */
    public Detector(AutoAssignDetector model, PipelineOptions pipeline, PostProcessConfig post,
                    List<String> classNames, long[] categoryIds) {
        int c = model.config().bboxHead().numClasses();
        if (classNames.size() != c || categoryIds.length != c) {
            throw new IllegalArgumentException("the model has " + c + " classes, got " + classNames.size()
                    + " names and " + categoryIds.length + " category ids");
        }
        this.model = model;
        this.pipeline = new Pipeline(pipeline.withFlipProb(0));
        this.post = post;
        this.classNames = List.copyOf(classNames);
        this.categoryIds = categoryIds.clone();
    }

    /** Loads a config and a checkpoint on the default device (CUDA when a usable GPU is found, else CPU). */
    public static Detector load(Path config, Path checkpoint) throws CheckpointException {
        return load(config, checkpoint, null);
    }

    /**
     * Loads a config (YAML) and a checkpoint ({@code .safetensors} or MMDetection {@code .pth}, loaded strictly).
     *
     * @param device "cpu", "cuda", "cuda:N", or null / "auto" for the default
     */
    public static Detector load(Path config, Path checkpoint, String device) throws CheckpointException {
        Config cfg = ConfigLoader.loadNamed(config.toString(), java.util.List.of()); // a file, or a config built into the jar
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        ModelWeights.Checkpoint ckpt = ModelWeights.read(checkpoint); // once: weights and class names
        ModelWeights.load(ckpt, model, true);
        autoassign.backend.cuda.CudaOptions.useConfig(cfg.runtime().cudnnBenchmark(), cfg.runtime().deterministic());
        Device dev = DeviceSelector.select(device);
        if (!dev.isCpu()) {
            model.to(dev);
        }
        Classes classes = classes(cfg, ckpt.metadata());
        return new Detector(model, testPipeline(cfg), Inference.postProcessConfig(cfg.model().testCfg()),
                classes.names(), classes.ids());
    }

    /** The test pipeline of a config: its test dataset's (else val dataset's) Resize scale and the model's data preprocessor. */
    public static PipelineOptions testPipeline(Config cfg) {
        return testPipeline(cfg, cfg.testDataloader());
    }

    /** The test-time pipeline of one dataloader of a config (validation during training uses the val one). */
    public static PipelineOptions testPipeline(Config cfg, autoassign.config.DataLoaderConfig dl) {
        DataPreprocessorConfig dp = cfg.model().dataPreprocessor(); // pad_value: checked by the config
        PipelineConfig pc = dl.dataset().pipeline();
        // its resize step (keep-ratio, stretched, FixShapeResize, by scale_factor) and YOLOX's Pad (to a square of 114)
        return new PipelineOptions(pc.scaleW(), pc.scaleH(), dp.meanArray(), dp.stdArray(), dp.padSizeDivisor(), null, pc.transforms())
                .withBgrToRgb(dp.bgrToRgb());
    }

    private record Classes(List<String> names, long[] ids) {
    }

    /** The class names of a config's model, label order (see {@link #classes}). */
    public static List<String> classNames(Config cfg) {
        return classes(cfg, Map.of()).names();
    }

    /** The class names of a config's model with these weights, label order (see {@link #classes}). */
    public static List<String> classNames(Config cfg, Path checkpoint) throws CheckpointException {
        return classNames(cfg, ModelWeights.read(checkpoint).metadata());
    }

    /** The class names of a config's model with a checkpoint of this metadata, label order (see {@link #classes}). */
    public static List<String> classNames(Config cfg, Map<String, String> checkpointMetadata) {
        return classes(cfg, checkpointMetadata).names();
    }

    /**
     * The class names a checkpoint's metadata keeps, or null: {@code classes} (+ {@code category_ids}) of the
     * engine's checkpoints, or {@code meta.dataset_meta.classes} of an MMDetection {@code .pth} (also after
     * {@code import}).
     */
    private static Classes checkpointClasses(Map<String, String> meta, int count) {
        String names = meta.getOrDefault("classes", meta.get("meta.dataset_meta.classes"));
        if (names == null) return null;
        try {
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            List<String> list = List.of(json.readValue(names, String[].class));
            if (list.size() != count) return null;
            long[] ids = meta.containsKey("category_ids") ? json.readValue(meta.get("category_ids"), long[].class) : null;
            if (ids == null || ids.length != count) {
                ids = list.equals(CocoClasses.NAMES) ? CocoClasses.ids() : java.util.stream.LongStream.rangeClosed(1, count).toArray();
            }
            return new Classes(list, ids);
        } catch (java.io.IOException | RuntimeException e) {
            return null; // names are a convenience: the defaults apply
        }
    }

    /**
     * Class names and category ids of a config and checkpoint: the categories of its test (else val) annotation
     * file (cut to {@code metainfo.classes}) when that file is at hand and has the model's number of classes, else
     * the names the checkpoint keeps, else {@code metainfo.classes} (a VOCDataset without it: the 20 VOC classes),
     * else the built-in synthetic classes for a SyntheticShapes config, else COCO's 80 classes for an 80-class model,
     * else {@code class_0, class_1, ...}.
     */
    private static Classes classes(Config cfg, Map<String, String> checkpointMetadata) {
        int c = cfg.model().bboxHead().numClasses();
        DatasetConfig ds = cfg.testDataloader().dataset();
        if (!ds.isSynthetic() && !ds.isXml() && ds.annFile() != null) {
            Path ann = cfg.resolve(ds.annFile());
            if (Files.isRegularFile(ann)) {
                try {
                    Map<Long, String> cats = new java.util.LinkedHashMap<>(CocoGroundTruth.read(ann).categories());
                    if (ds.classes() != null) cats.values().retainAll(ds.classes()); // metainfo.classes: the file's order
                    if (cats.size() == c) {
                        return new Classes(new ArrayList<>(cats.values()),
                                cats.keySet().stream().mapToLong(Long::longValue).toArray());
                    }
                } catch (CocoFormatException e) {
                    // fall through to the defaults
                }
            }
        }
        Classes kept = checkpointClasses(checkpointMetadata, c);
        if (kept != null) return kept;
        long[] ids = new long[c];
        List<String> names = new ArrayList<>();
        List<String> xmlClasses = ds.classes() != null ? ds.classes() : autoassign.data.XmlDataset.VOC_CLASSES;
        if (ds.isXml() && xmlClasses.size() == c) // the loaded dataset's category ids: the labels
            return new Classes(xmlClasses, java.util.stream.LongStream.range(0, c).toArray());
        if (ds.classes() != null && ds.classes().size() == c) {
            return new Classes(ds.classes(), java.util.stream.LongStream.rangeClosed(1, c).toArray());
        }
        if (ds.isSynthetic() && c <= SyntheticShapes.CLASS_NAMES.size()) {
            for (int k = 0; k < c; k++) {
                ids[k] = k + 1;
                names.add(SyntheticShapes.CLASS_NAMES.get(k));
            }
            return new Classes(names, ids);
        }
        if (c == CocoClasses.NAMES.size()) {
            return new Classes(CocoClasses.NAMES, CocoClasses.ids());
        }
        for (int k = 0; k < c; k++) {
            ids[k] = k + 1;
            names.add("class_" + k);
        }
        return new Classes(names, ids);
    }

    public List<String> classNames() {
        return classNames;
    }

    public long[] categoryIds() {
        return categoryIds.clone();
    }

    public Device device() {
        return model.device();
    }

    /** Detects objects in an image file (any format OpenCV decodes). */
    public List<Detection> detect(Path image) throws BadImageException {
        try (Mat m = ImageDecoder.decode(image)) {
            return detect(m, image.getFileName().toString());
        }
    }

    /** Detects objects in an 8-bit BGR (3-channel) OpenCV image; the Mat is not modified. */
    public List<Detection> detect(Mat bgr) {
        return detect(bgr, "image");
    }

    /** Detects objects in a Java image (converted to 8-bit BGR first). */
    public List<Detection> detect(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] bgr = new byte[w * h * 3];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                int o = (y * w + x) * 3;
                bgr[o] = (byte) p;
                bgr[o + 1] = (byte) (p >> 8);
                bgr[o + 2] = (byte) (p >> 16);
            }
        }
        try (BytePointer data = new BytePointer(bgr); Mat m = new Mat(h, w, opencv_core.CV_8UC3, data)) {
            return detect(m, "image");
        }
    }

    private List<Detection> detect(Mat bgr, String name) {
        if (bgr.type() != opencv_core.CV_8UC3) {
            throw new IllegalArgumentException(name + ": expected an 8-bit 3-channel BGR image");
        }
        ImageRecord rec = new ImageRecord(0, name, bgr.cols(), bgr.rows(), new float[0], new int[0], new float[0],
                new int[0], false);
        PreparedImage p = pipeline.prepare(bgr, rec, 0, false);
        Batch batch = pipeline.collate(List.of(p));
        Detections d = Inference.predict(model, batch, post).get(0);
        List<Detection> out = new ArrayList<>(d.size());
        for (int i = 0; i < d.size(); i++) {
            int l = d.label(i);
            out.add(new Detection(d.x1(i), d.y1(i), d.x2(i), d.y2(i), d.score(i), l, classNames.get(l),
                    categoryIds[l]));
        }
        return out;
    }

    /** An 8-bit BGR Mat as a {@link BufferedImage} ({@code TYPE_3BYTE_BGR}, pixels copied). */
    public static BufferedImage toImage(Mat bgr) {
        return autoassign.viz.GroundTruthAndPredictions.toImage(bgr);
    }

    /** A copy of {@code image} with the detections drawn (class colour, name and score). */
    public static BufferedImage draw(BufferedImage image, List<Detection> detections) {
        return BoxPainter.draw(image, boxes(detections));
    }

    /** Draws the detections onto {@code image} itself (class colour, name and score). */
    public static void drawInPlace(BufferedImage image, List<Detection> detections) {
        BoxPainter.drawInPlace(image, boxes(detections));
    }

    private static List<BoxPainter.Box> boxes(List<Detection> detections) {
        List<BoxPainter.Box> boxes = new ArrayList<>(detections.size());
        for (Detection d : detections) {
            boxes.add(new BoxPainter.Box(d.x1(), d.y1(), d.x2(), d.y2(), d.label(), d.className(), d.score()));
        }
        return boxes;
    }
}
