package autoassign.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import autoassign.data.DataIssues;
import autoassign.data.OpenImagesDataset;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MMDetection 3.3's OpenImagesDataset / OpenImagesChallengeDataset and OpenImagesMetric against every case of
 * {@code <goldens>/openimages_eval}, written by scripts/goldens/openimages_eval.py (a numpy 1.24 transcription of
 * openimages.py, openimages_metric.py, mean_ap.py and bbox_overlaps.py): each case's files (csv / txt, json or .npy
 * hierarchy, Python's pickle of the image metas) are written out and loaded, the loaded images (denormalized boxes,
 * labels, group-of flags, image-level labels) and relation matrix compared, then the detections evaluated: the metrics,
 * each threshold pair's mAP, each class's gts / dets / recall / AP and the logged lines, bit for bit.
 * {@code -Dgoldens.dir=DIR} points at another folder.
 */
class OpenImagesEvalGoldenTest {
    @TempDir Path tmp;

    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.jsonCases("openimages_eval");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void equalsMmdetection(String name, Path file) throws IOException {
        JsonNode c = new ObjectMapper().readTree(file.toFile());
        JsonNode files = c.get("files"), exp = c.get("expected");
        boolean v6 = c.get("kind").asText().equals("v6");
        Path label = Files.writeString(tmp.resolve(v6 ? "class-descriptions-boxable.csv" : "cls-label-description.csv"),
                files.get("label_file").asText());
        Path ann = Files.writeString(tmp.resolve(v6 ? "validation-annotations-bbox.csv" : "challenge-2019-validation-detection-bbox.txt"),
                files.get("ann_file").asText());
        Path levels = files.get("image_level_ann_file").isNull() ? null
                : Files.writeString(tmp.resolve("image-labels.csv"), files.get("image_level_ann_file").asText());
        Path hierarchy = v6 ? Files.writeString(tmp.resolve("bbox_labels_600_hierarchy.json"), files.get("hierarchy").toString())
                : Files.write(tmp.resolve("class_label_tree.np"), Base64.getDecoder().decode(files.get("hierarchy_npy").asText()));
        Path meta = Files.write(tmp.resolve("metas.pkl"), Base64.getDecoder().decode(files.get("meta_file").asText()));
        OpenImagesDataset.Data data = OpenImagesDataset.load(v6 ? OpenImagesDataset.Kind.V6 : OpenImagesDataset.Kind.CHALLENGE,
                new OpenImagesDataset.Files(ann, label, meta, hierarchy, levels, tmp.resolve("images")), new DataIssues(name));

        // the dataset as load_data_list leaves it
        List<String> classes = new ArrayList<>();
        exp.get("classes").forEach(n -> classes.add(n.asText()));
        assertEquals(classes, data.classes(), name);
        JsonNode rel = exp.get("relation");
        for (int i = 0; i < classes.size(); i++)
            for (int j = 0; j < classes.size(); j++)
                assertEquals(rel.get(i).get(j).asInt() == 1, data.relation()[i][j], name + " relation " + i + "," + j);
        JsonNode list = exp.get("data_list");
        assertEquals(list.size(), data.images().size(), name);
        assertEquals(list.size(), data.dataset().size(), name);
        for (int i = 0; i < list.size(); i++) {
            JsonNode e = list.get(i);
            OpenImagesDataset.Image img = data.images().get(i);
            String where = name + " image " + i;
            assertEquals(e.get("img_id").asText(), img.imgId(), where);
            assertEquals(e.get("img_path").asText(), img.fileName(), where);
            assertEquals(e.get("height").asInt(), img.height(), where);
            assertEquals(e.get("width").asInt(), img.width(), where);
            assertEquals(e.get("width").asInt(), data.dataset().get(i).width(), where);
            JsonNode inst = e.get("instances");
            assertEquals(inst.size(), img.instances().size(), where);
            assertEquals(inst.size(), data.dataset().get(i).numBoxes(), where);
            for (int k = 0; k < inst.size(); k++) {
                JsonNode b = inst.get(k).get("bbox");
                OpenImagesDataset.Instance in = img.instances().get(k);
                assertArrayEquals(new float[] {(float) b.get(0).asDouble(), (float) b.get(1).asDouble(), (float) b.get(2).asDouble(),
                        (float) b.get(3).asDouble()}, new float[] {in.x1(), in.y1(), in.x2(), in.y2()}, where + " box " + k);
                assertArrayEquals(new float[] {in.x1(), in.y1(), in.x2(), in.y2()},
                        java.util.Arrays.copyOfRange(data.dataset().get(i).boxes(), 4 * k, 4 * k + 4), where + " record box " + k);
                assertEquals(inst.get(k).get("bbox_label").asInt(), in.label(), where + " label " + k);
                assertEquals(inst.get(k).get("is_group_of").asBoolean(), in.groupOf(), where + " group " + k);
            }
            if (e.get("image_level_labels").isNull()) {
                assertNull(img.imageLevelLabels(), where);
            } else {
                int[] want = new int[e.get("image_level_labels").size()];
                for (int k = 0; k < want.length; k++) want[k] = e.get("image_level_labels").get(k).asInt();
                assertArrayEquals(want, img.imageLevelLabels(), where + " image-level labels");
            }
        }

        // the detections, as the model's results of each image (category ids = labels)
        List<CocoDetections.Detection> dets = new ArrayList<>();
        JsonNode preds = c.get("predictions");
        for (int i = 0; i < preds.size(); i++) {
            JsonNode p = preds.get(i);
            for (int k = 0; k < p.get("scores").size(); k++) {
                JsonNode b = p.get("bboxes").get(k);
                double x1 = b.get(0).asDouble(), y1 = b.get(1).asDouble(), x2 = b.get(2).asDouble(), y2 = b.get(3).asDouble();
                dets.add(new CocoDetections.Detection(dets.size() + 1, i, p.get("labels").get(k).asInt(), x1, y1, x2 - x1, y2 - y1,
                        p.get("scores").get(k).asDouble()));
            }
        }
        JsonNode params = c.get("params");
        List<Double> iou = new ArrayList<>(), ioa = new ArrayList<>();
        params.get("iou_thrs").forEach(v -> iou.add(v.asDouble()));
        params.get("ioa_thrs").forEach(v -> ioa.add(v.asDouble()));
        OpenImagesMetric.Result r = OpenImagesMetric.evaluate(data, data.dataset(), dets, new OpenImagesMetric.Params(iou, ioa,
                params.get("get_supercategory").asBoolean(), params.get("filter_labels").asBoolean()));

        List<String> keys = new ArrayList<>();
        exp.get("metrics").fields().forEachRemaining(m -> {
            keys.add(OpenImagesMetric.PREFIX + m.getKey());
            assertEquals(m.getValue().asDouble(), r.metrics().get(OpenImagesMetric.PREFIX + m.getKey()), 0, name + ": " + m.getKey());
        });
        assertEquals(keys, new ArrayList<>(r.metrics().keySet()), name + ": the metrics in MMDetection's order");
        for (int t = 0; t < iou.size(); t++) {
            String at = name + " @" + iou.get(t) + "/" + ioa.get(t);
            assertEquals(exp.get("mean_aps").get(t).asDouble(), r.meanAps().get(t), 0, at + " mean_ap");
            JsonNode rows = exp.get("classes_table").get(t);
            List<OpenImagesMetric.ClassResult> mine = r.classes().get(t);
            assertEquals(rows.size(), mine.size(), at);
            for (int k = 0; k < rows.size(); k++) {
                JsonNode e = rows.get(k);
                OpenImagesMetric.ClassResult m = mine.get(k);
                String where = at + " " + e.get("name").asText();
                assertEquals(e.get("name").asText(), m.name(), where);
                assertEquals(e.get("gts").asInt(), m.gts(), where + " gts");
                assertEquals(e.get("dets").asInt(), m.dets(), where + " dets");
                assertEquals(e.get("recall").asDouble(), m.recall(), 0, where + " recall");
                assertEquals(e.get("ap").asDouble(), m.ap(), 0, where + " ap");
            }
        }
        List<String> printed = new ArrayList<>();
        exp.get("printed").forEach(l -> printed.add(l.asText()));
        assertEquals(String.join("\n", printed), String.join("\n", r.printed()), name);
    }
}
