package autoassign.eval;

import autoassign.data.ImageMeta;
import autoassign.io.CheckpointException;
import autoassign.io.DType;
import autoassign.io.PthReader;
import autoassign.io.PthWriter;
import autoassign.io.RawTensor;
import autoassign.io.pickle.PyTuple;
import autoassign.io.pickle.Unpickler;
import autoassign.postprocess.Detections;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * MMDetection 3.x's detection results file, {@code tools/test.py --out results.pkl} ({@code DumpDetResults}): a
 * pickled list with one dict per test image, in dataset order, holding the image's meta information and
 * {@code pred_instances = {bboxes: float32 [N, 4] (x1, y1, x2, y2, original image pixels), scores: float32 [N],
 * labels: int64 [N]}} as CPU tensors. MMDetection's {@code eval_metric.py}, {@code confusion_matrix.py} and
 * {@code analyze_results.py} read it; so do this engine's {@code eval --results}, {@code confusion} and
 * {@code analyze-results}, and {@code eval --out} writes it.
 */
public final class DetResultsPickle {

    private DetResultsPickle() {
    }

    /**
     * One image's entry.
     *
     * @param imgPath  the image file as the dataset names it ({@code img_path})
     * @param padShape the image padded to the preprocessor's size divisor ({@code pad_shape}: height, width)
     * @param flip     test-time augmentation: whether the first variant was flipped (DetTTAModel keeps that variant's
     *                 metainfo, whose TTA {@code PackDetInputs} adds {@code flip} and {@code flip_direction}); null
     *                 without TTA (no such keys)
     */
    public record Entry(ImageMeta meta, String imgPath, int[] padShape, Detections detections, Object imgId, Boolean flip) {
        /** An entry whose {@code img_id} is the image's COCO id. */
        public Entry(ImageMeta meta, String imgPath, int[] padShape, Detections detections) {
            this(meta, imgPath, padShape, detections, meta.imageId(), null);
        }

        /** An entry without test-time augmentation. */
        public Entry(ImageMeta meta, String imgPath, int[] padShape, Detections detections, Object imgId) {
            this(meta, imgPath, padShape, detections, imgId, null);
        }
    }

    /** True when {@code file} starts like a pickle (protocol ≥ 2) rather than a JSON text. */
    public static boolean isPickle(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == 0x80;
        } catch (IOException e) {
            return false; // the JSON reader reports the problem
        }
    }

    /**
     * Writes the entries (temp file + rename) with the keys and order of MMDetection's dump: PackDetInputs' meta keys
     * ({@code img_id, img_path, ori_shape, img_shape, scale_factor}, with TTA also {@code flip, flip_direction}), the data preprocessor's
     * ({@code batch_input_shape, pad_shape}), then {@code pred_instances}. Labels are the model's class indices.
     */
    public static void write(Path file, List<Entry> entries) throws IOException {
        List<Object> out = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            ImageMeta m = e.meta();
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("img_id", e.imgId());
            d.put("img_path", e.imgPath());
            d.put("ori_shape", PyTuple.of((long) m.oriH(), (long) m.oriW()));
            d.put("img_shape", PyTuple.of((long) m.imgH(), (long) m.imgW()));
            d.put("scale_factor", PyTuple.of(m.scaleW(), m.scaleH()));
            if (e.flip() != null) { // mmcv RandomFlip: flip_direction None when not flipped
                d.put("flip", e.flip());
                d.put("flip_direction", e.flip() ? "horizontal" : null);
            }
            d.put("batch_input_shape", PyTuple.of((long) m.padH(), (long) m.padW()));
            d.put("pad_shape", PyTuple.of((long) e.padShape()[0], (long) e.padShape()[1]));
            Detections det = e.detections();
            long[] labels = new long[det.size()];
            for (int i = 0; i < labels.length; i++) labels[i] = det.label(i);
            Map<String, Object> pred = new LinkedHashMap<>();
            pred.put("bboxes", RawTensor.ofFloats(det.boxes(), det.size(), 4));
            pred.put("scores", RawTensor.ofFloats(det.scores(), det.size()));
            pred.put("labels", RawTensor.ofLongs(labels, det.size()));
            d.put("pred_instances", pred);
            out.add(d);
        }
        PthWriter.writePickle(file, out);
    }

    /**
     * Reads a results pickle as COCO results (MMDetection's {@code CocoMetric.results2json}: {@code [x1, y1, x2 - x1,
     * y2 - y1]} of the float32 values widened to double, {@code category_id = labelCategories[label]}), checked
     * against {@code gt} as a results json is.
     *
     * @param labelCategories the category id of each class index (the dataset's classes)
     * @param idsByName       the image id of each textual {@code img_id} (a VOC dataset's image names); empty: none
     */
    public static CocoDetections read(Path file, CocoGroundTruth gt, long[] labelCategories, Map<String, Long> idsByName) {
        Object root;
        try {
            root = PthReader.readPickle(file);
        } catch (CheckpointException e) {
            throw new CocoFormatException(file, e.problem(), e);
        }
        if (!(root instanceof List<?> images)) {
            throw new CocoFormatException(file, "not an MMDetection results file: the pickle holds a "
                    + Unpickler.typeName(root) + ", not a list of per-image results");
        }
        CocoResults results = new CocoResults();
        for (int i = 0; i < images.size(); i++) {
            String what = "results[" + i + "]";
            if (!(images.get(i) instanceof Map<?, ?> d) || !(d.get("pred_instances") instanceof Map<?, ?> pred)) {
                throw new CocoFormatException(file, what + " is not an MMDetection 3.x result (a dict with pred_instances);"
                        + " MMDetection 2.x's per-class arrays are not read: convert them with --format-only to a COCO json");
            }
            long imageId;
            if (d.get("img_id") instanceof Long id) {
                imageId = id;
            } else if (d.get("img_id") instanceof String name && idsByName.containsKey(name)) {
                imageId = idsByName.get(name);
            } else if (d.get("img_id") instanceof String name) {
                throw new CocoFormatException(file, what + ": img_id '" + name + "' is " + (idsByName.isEmpty()
                        ? "not an integer (a name is read with a VOC config's test set)" : "not an image of the test set"));
            } else {
                throw new CocoFormatException(file, what + " has no integer img_id");
            }
            Detections dets = detections(file, what + ".pred_instances", pred);
            for (int k = 0; k < dets.size(); k++) {
                if (dets.label(k) < 0 || dets.label(k) >= labelCategories.length) {
                    throw new CocoFormatException(file, what + ": label " + dets.label(k) + " is not a class index (the "
                            + "dataset has " + labelCategories.length + " classes)");
                }
            }
            results.add(imageId, dets, labelCategories);
        }
        return CocoDetections.of(file, results.detections(), gt);
    }

    private static Detections detections(Path file, String what, Map<?, ?> pred) {
        RawTensor boxes = tensor(file, what, pred, "bboxes"), scores = tensor(file, what, pred, "scores"),
                labels = tensor(file, what, pred, "labels");
        long n = scores.numel();
        if (boxes.rank() != 2 || boxes.dim(0) != n || boxes.dim(1) != 4 || scores.rank() != 1 || labels.rank() != 1
                || labels.numel() != n) {
            throw new CocoFormatException(file, what + ": shapes bboxes " + java.util.Arrays.toString(boxes.shape())
                    + ", scores " + java.util.Arrays.toString(scores.shape()) + ", labels "
                    + java.util.Arrays.toString(labels.shape()) + " (expected [N, 4], [N], [N])");
        }
        if (labels.dtype().isFloatingPoint()) {
            throw new CocoFormatException(file, what + ".labels are " + labels.dtype().torchName() + ", not integers");
        }
        long[] l = labels.toLongArray();
        int[] ints = new int[l.length];
        for (int i = 0; i < l.length; i++) ints[i] = (int) Math.max(-1, Math.min(Integer.MAX_VALUE, l[i]));
        return new Detections(boxes.toFloatArray(), scores.toFloatArray(), ints);
    }

    private static RawTensor tensor(Path file, String what, Map<?, ?> pred, String key) {
        Object v = pred.get(key);
        if (v instanceof RawTensor t && t.dtype() != DType.BOOL) return t;
        throw new CocoFormatException(file, what + "." + key + (v == null ? " is missing" : " is not a numeric tensor"));
    }
}
