package autoassign.train;

import autoassign.cli.CliRun;
import autoassign.cli.EvalCommand;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.ImageRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code WIDERFaceDataset} (mmdet/datasets/wider_face.py): XMLs under {@code <data_prefix.img>/Annotations}, images in each
 * XML's {@code <folder>}, corners not shifted, the class 'face', and VOCMetric over it.
 */
class WiderFaceDatasetTest {
    @TempDir Path tmp;

    private static String face(int x1, int y1, int x2, int y2, int difficult) {
        return "<object><name>face</name><difficult>" + difficult + "</difficult><bndbox><xmin>" + x1 + "</xmin><ymin>" + y1
                + "</ymin><xmax>" + x2 + "</xmax><ymax>" + y2 + "</ymax></bndbox></object>";
    }

    /** WIDER_train/Annotations/ID.xml and WIDER_train/FOLDER/ID.jpg. */
    private void image(Path root, String folder, String id, int w, int h, String objects) throws Exception {
        Path ann = Files.createDirectories(root.resolve("Annotations")), img = Files.createDirectories(root.resolve(folder));
        Files.writeString(ann.resolve(id + ".xml"), "<annotation><folder>" + folder + "</folder><filename>" + id
                + ".jpg</filename><size><width>" + w + "</width><height>" + h + "</height><depth>3</depth></size>" + objects
                + "</annotation>");
        ImageIO.write(new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR), "jpg", img.resolve(id + ".jpg").toFile());
    }

    private Config config(String extra) throws Exception {
        Path root = tmp.resolve("WIDERFace");
        image(root.resolve("WIDER_train"), "0--Parade", "0_Parade_1", 96, 64, face(10, 12, 60, 56, 0) + face(70, 5, 80, 15, 0)
                + face(20, 30, 40, 60, 1) + "<object><name>Face</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax>"
                + "<ymax>9</ymax></bndbox></object>");
        image(root.resolve("WIDER_train"), "1--Handshaking", "1_Handshaking_2", 64, 48, face(3, 3, 40, 45, 0));
        Files.writeString(root.resolve("train.txt"), "0_Parade_1\n1_Handshaking_2\n");
        Path cfg = Files.writeString(tmp.resolve("wider.py"), String.join("\n",
                "_base_ = '" + Path.of("src/test/resources/mmdet_configs/autoassign/autoassign_r50-caffe_fpn_1x_coco.py").toAbsolutePath() + "'",
                "dataset_type = 'WIDERFaceDataset'",
                "data_root = '" + root + "/'",
                "model = dict(bbox_head=dict(num_classes=1))",
                "train_dataloader = dict(dataset=dict(_delete_=True, type=dataset_type, data_root=data_root, ann_file='train.txt',",
                "    data_prefix=dict(img='WIDER_train/'), filter_cfg=dict(filter_empty_gt=True, bbox_min_size=17, min_size=32),",
                "    pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),",
                "              dict(type='Resize', scale=(96, 96), keep_ratio=True), dict(type='PackDetInputs')]))",
                "val_dataloader = dict(dataset=dict(_delete_=True, type=dataset_type, data_root=data_root, ann_file='train.txt',",
                "    data_prefix=dict(img='WIDER_train/'), test_mode=True,",
                "    pipeline=[dict(type='LoadImageFromFile'), dict(type='Resize', scale=(96, 96), keep_ratio=True),",
                "              dict(type='LoadAnnotations', with_bbox=True), dict(type='PackDetInputs')]))",
                "test_dataloader = val_dataloader",
                "val_evaluator = dict(_delete_=True, type='VOCMetric', metric='mAP', eval_mode='11points')",
                "test_evaluator = val_evaluator", extra, ""));
        return ConfigLoader.load(cfg);
    }

    @Test
    void readsWiderFacesXmlsAsMmdetection() throws Exception {
        Config cfg = config("");
        CocoDataset d = DataSources.load(cfg, true, null, new DataIssues("train"));
        assertEquals(2, d.size());
        assertEquals(List.of("face"), d.categories().names());
        ImageRecord r = d.get(0);
        assertEquals("0--Parade/0_Parade_1.jpg", r.fileName(), "the XML's <folder>");
        assertEquals(tmp.resolve("WIDERFace/WIDER_train/0--Parade/0_Parade_1.jpg"), d.imagePath(r));
        assertArrayEquals(new float[] {10, 12, 60, 56}, r.boxes(), "corners as written (minus_one=False); 'Face' is no class");
        assertArrayEquals(new float[] {70, 5, 80, 15, 20, 30, 40, 60}, r.crowdBoxes(), "under bbox_min_size 17, and difficult");
        assertEquals("0_Parade_1", autoassign.data.XmlDataset.name(r, null), "img_id: the list's name");
        assertEquals(2, DataSources.imageIdsByName(cfg.testDataloader(), DataSources.loadTest(cfg, null, new DataIssues("t"))).size());
    }

    @Test
    void vocMetricScoresItAndAPickleNamesItsImages() throws Exception {
        Path cfgFile = tmp.resolve("wider.py");
        config("");
        // the first parade face and the handshake face found, one false positive (11-point AP by hand below)
        Path dets = Files.writeString(tmp.resolve("dets.json"), "[{\"image_id\": 0, \"category_id\": 0, \"bbox\": [10, 12, 50, 44], "
                + "\"score\": 0.9}, {\"image_id\": 1, \"category_id\": 0, \"bbox\": [3, 3, 37, 42], \"score\": 0.8}, "
                + "{\"image_id\": 1, \"category_id\": 0, \"bbox\": [50, 0, 10, 10], \"score\": 0.7}]");
        CliRun run = CliRun.run(new EvalCommand(), "--config", cfgFile.toString(), "--results", dets.toString(),
                "--json", tmp.resolve("a.json").toString());
        assertEquals(0, run.code(), run.err());
        // test set: 3 faces that count (10-12-60-56, 70-5-80-15 not difficult in test mode, 3-3-40-45) and a difficult one;
        // detections in score order: TP, TP, FP -> precision 1, 1, 2/3 at recall 1/3, 2/3, 2/3: 11-point AP = 7/11
        double map = new com.fasterxml.jackson.databind.ObjectMapper().readTree(tmp.resolve("a.json").toFile()).get("mAP").asDouble();
        assertEquals(7 / 11.0, map, 1e-6, run.out());

        // the config positionally, as tools/test.py CONFIG takes it (eval_metric.py's CONFIG RESULTS here)
        CliRun positional = CliRun.run(new EvalCommand(), cfgFile.toString(), "--results", dets.toString(), "--json",
                tmp.resolve("b.json").toString());
        assertEquals(0, positional.code(), positional.err());
        assertEquals(Files.readString(tmp.resolve("a.json")), Files.readString(tmp.resolve("b.json")));
        CliRun twice = CliRun.run(new EvalCommand(), cfgFile.toString(), "--config", cfgFile.toString(), "--results", dets.toString());
        assertEquals(1, twice.code());
        assertTrue(twice.err().contains("give the config and checkpoint once"), twice.err());
    }

    @Test
    void aWiderXmlWithoutFolderOrSizeIsAOneLineError() throws Exception {
        config("");
        Path xml = tmp.resolve("WIDERFace/WIDER_train/Annotations/1_Handshaking_2.xml");
        Files.writeString(xml, Files.readString(xml).replace("<folder>1--Handshaking</folder>", ""));
        Config cfg = ConfigLoader.load(tmp.resolve("wider.py"));
        String e = assertThrows(RuntimeException.class, () -> DataSources.load(cfg, true, null, new DataIssues("train"))).getMessage();
        assertTrue(e.endsWith("1_Handshaking_2.xml: has no <folder> (WIDERFaceDataset finds the image there)"), e);
        assertTrue(!e.contains("\n"), e);
    }
}
