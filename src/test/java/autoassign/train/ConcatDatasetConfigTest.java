package autoassign.train;

import autoassign.cli.CliErrors.UserError;
import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.config.DatasetConfig;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.ImageRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ConcatDataset} in a training dataloader: each dataset loaded from its own data root and filtered by its own
 * filter_cfg / indices, joined in MMEngine's order, inside and around RepeatDataset, and the one-line refusals.
 */
class ConcatDatasetConfigTest {
    @TempDir Path tmp;

    static final String PIPELINE = "[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true}, "
            + "{type: Resize, scale: [64, 64], keep_ratio: true}, {type: PackDetInputs}]";

    /**
     * Folder a: cat = id 1, dog = id 2; images 1 (cat), 2 (no annotation), 3 (20 px high, dog), 4 (dog + crowd cat).
     * Folder b lists dog = id 1 before cat = id 2 (so its own labels are the other way round); images 1 (dog, cat), 2 (cat), 3 (dog).
     */
    private void data() throws Exception {
        write("a", "[{\"id\": 1, \"name\": \"cat\"}, {\"id\": 2, \"name\": \"dog\"}]", 4, "[" + box(1, 1, 1, 0) + ", "
                + box(2, 3, 2, 0) + ", " + box(3, 4, 2, 0) + ", " + box(4, 4, 1, 1) + "]");
        write("b", "[{\"id\": 1, \"name\": \"dog\"}, {\"id\": 2, \"name\": \"cat\"}]", 3, "[" + box(1, 1, 1, 0) + ", "
                + box(2, 1, 2, 0) + ", " + box(3, 2, 2, 0) + ", " + box(4, 3, 1, 0) + "]");
    }

    private void write(String name, String categories, int images, String annotations) throws Exception {
        Path root = Files.createDirectories(tmp.resolve(name));
        Files.createDirectories(root.resolve("imgs_" + name));
        StringBuilder ims = new StringBuilder();
        for (int i = 1; i <= images; i++)
            ims.append(i > 1 ? ", " : "").append("{\"id\": ").append(i).append(", \"file_name\": \"").append(i)
                    .append(".png\", \"width\": 64, \"height\": ").append(i == 3 ? 20 : 64).append("}");
        Files.writeString(root.resolve(name + ".json"), "{\"images\": [" + ims + "], \"categories\": " + categories
                + ", \"annotations\": " + annotations + "}");
    }

    private static String box(int id, int image, int category, int crowd) {
        return "{\"id\": " + id + ", \"image_id\": " + image + ", \"category_id\": " + category
                + ", \"bbox\": [1, 1, 10, 10], \"area\": 100, \"iscrowd\": " + crowd + "}";
    }

    /** A CocoDataset of folder {@code name} with its own data_root, and {@code extra} keys. */
    private String part(String name, String extra) {
        return "{type: CocoDataset, data_root: " + tmp.resolve(name) + "/, ann_file: " + name + ".json, data_prefix: {img: imgs_"
                + name + "/}, " + extra + "pipeline: " + PIPELINE + "}";
    }

    private String concat(String extra, String... parts) {
        return "{type: ConcatDataset, " + extra + "datasets: [" + String.join(", ", parts) + "]}";
    }

    private static Config config(String trainDataset, String... more) {
        List<String> o = new ArrayList<>(List.of("train_dataloader.dataset={_delete_: true, " + trainDataset.substring(1)));
        o.addAll(List.of(more));
        return ConfigLoader.loadNamed("autoassign_tiny_synthetic", o);
    }

    private static CocoDataset train(Config cfg) {
        return DataSources.load(cfg, true, null, new DataIssues("train", s -> { }, 5));
    }

    /** Each image as "folder/id labels crowd-labels", in dataset order. */
    private static List<String> images(CocoDataset d) {
        List<String> out = new ArrayList<>();
        for (ImageRecord r : d.images())
            out.add(Path.of(r.fileName()).getParent().getParent().getFileName() + "/" + r.id() + " " + Arrays.toString(r.labels())
                    + Arrays.toString(r.crowdLabels()));
        return out;
    }

    /** The synthetic val split has 4 classes: a config with 2 validates on folder a. */
    private String twoClassVal() { return "val_dataloader.dataset={_delete_: true, " + part("a", "").substring(1); }

    @Test
    void thePartsFollowOneAnotherEachFilteredByItsOwnRules() throws Exception {
        data();
        Config cfg = config(concat("", part("a", "filter_cfg: {filter_empty_gt: true, min_size: 32}, "),
                part("b", "indices: [2, 0], ")));
        DatasetConfig ds = cfg.trainDataloader().dataset();
        assertEquals("ConcatDataset", ds.type());
        assertEquals(2, ds.datasets().size());
        CocoDataset d = train(cfg);
        // a: 2 (no annotation) and 3 (20 px) filtered; b: positions 2 and 0; labels by name, cat 0 and dog 1 in both
        assertEquals(List.of("a/1 [0][]", "a/4 [1][0]", "b/3 [1][]", "b/1 [1, 0][]"), images(d));
        assertEquals(List.of("cat", "dog"), d.categories().names());
        assertArrayEquals(new int[] {0, 1, 2, 3}, ds.entries(d));
        assertEquals(tmp.resolve("b/imgs_b/3.png"), d.imagePath(d.get(2)));
    }

    @Test
    void mmdetectionsPythonConfigStyle() throws Exception {
        data();
        Path base = Path.of("src/test/resources/mmdet_configs/autoassign/autoassign_r50-caffe_fpn_1x_coco.py").toAbsolutePath();
        Path py = Files.writeString(tmp.resolve("concat.py"), """
                _base_ = '%s'
                train_pipeline = [
                    dict(type='LoadImageFromFile', backend_args=None),
                    dict(type='LoadAnnotations', with_bbox=True),
                    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
                    dict(type='RandomFlip', prob=0.5),
                    dict(type='PackDetInputs')]
                train_dataloader = dict(dataset=dict(_delete_=True, type='ConcatDataset', ignore_keys=['palette'], datasets=[
                    dict(type='CocoDataset', data_root='%s/', ann_file='a.json', data_prefix=dict(img='imgs_a/'),
                         filter_cfg=dict(filter_empty_gt=True, min_size=32), pipeline=train_pipeline, backend_args=None),
                    dict(type='CocoDataset', data_root='%s/', ann_file='b.json', data_prefix=dict(img='imgs_b/'),
                         pipeline=train_pipeline, backend_args=None)]))
                """.formatted(base, tmp.resolve("a"), tmp.resolve("b")));
        Config cfg = ConfigLoader.load(py);
        assertEquals(List.of("a/1 [0][]", "a/4 [1][0]", "b/1 [1, 0][]", "b/2 [0][]", "b/3 [1][]"), images(train(cfg)));
        assertEquals(List.of(1333, 800), cfg.trainDataloader().dataset().pipeline().scale());
    }

    @Test
    void repeatDatasetAroundAndInsideAConcatDataset() throws Exception {
        data();
        Config around = config("{type: RepeatDataset, times: 3, dataset: " + concat("", part("a", ""), part("b", "")) + "}");
        DatasetConfig ds = around.trainDataloader().dataset();
        assertEquals(List.of(new DatasetConfig.Wrapper("RepeatDataset", 3, 0)), ds.wrappers());
        CocoDataset d = train(around);
        assertEquals(7, d.size());
        int[] once = {0, 1, 2, 3, 4, 5, 6};
        int[] thrice = new int[21];
        for (int t = 0; t < 3; t++) System.arraycopy(once, 0, thrice, 7 * t, 7);
        assertArrayEquals(thrice, ds.entries(d), "the joined images three times over");

        Config inside = config(concat("", "{type: RepeatDataset, times: 2, dataset: " + part("b", "") + "}", part("a", "indices: 1, ")));
        CocoDataset e = train(inside);
        assertEquals(List.of("b/1 [0, 1][]", "b/2 [1][]", "b/3 [0][]", "a/1 [1][]"), images(e), "b first: its labels, dog 0 and cat 1");
        assertArrayEquals(new int[] {0, 1, 2, 0, 1, 2, 3}, inside.trainDataloader().dataset().entries(e), "b twice, then a");

        // MMEngine's ClassBalancedDataset reads get_cat_ids, which its ConcatDataset and RepeatDataset lack
        for (String inner : List.of(concat("", part("a", ""), part("b", "")), "{type: RepeatDataset, times: 2, dataset: " + part("a", "") + "}")) {
            String e2 = assertThrows(ConfigException.class,
                    () -> config("{type: ClassBalancedDataset, oversample_thr: 0.5, dataset: " + inner + "}")).getMessage();
            assertTrue(e2.contains("train_dataloader.dataset.dataset: a ClassBalancedDataset needs a dataset with per-image categories"), e2);
        }
    }

    @Test
    void mismatchedClassesAndPipelinesAreOneLineErrors() throws Exception {
        data();
        String classes = assertThrows(ConfigException.class, () -> config(concat("",
                part("a", "metainfo: {classes: [cat, dog]}, "), part("b", "metainfo: {classes: [dog, cat]}, ")),
                "model.bbox_head.num_classes=2", twoClassVal())).getMessage();
        assertTrue(classes.endsWith("train_dataloader.dataset.datasets[1]: metainfo.classes [dog, cat] differ from datasets[0]'s "
                + "[cat, dog] (every part is labelled by datasets[0]'s class names here; list 'classes' in ignore_keys when"
                + " the names agree in another order)"), classes);
        // ignore_keys lifts MMEngine's check; the names are the same, so the labels still agree by name
        Config ignored = config(concat("ignore_keys: [classes], ", part("a", "metainfo: {classes: [cat, dog]}, "),
                part("b", "metainfo: {classes: [dog, cat]}, ")), "model.bbox_head.num_classes=2", twoClassVal());
        assertEquals("b/1 [1, 0][]", images(train(ignored)).get(4));

        write("c", "[{\"id\": 1, \"name\": \"cat\"}, {\"id\": 2, \"name\": \"bird\"}]", 1, "[" + box(1, 1, 1, 0) + "]");
        String names = assertThrows(UserError.class, () -> train(config(concat("", part("a", ""), part("c", ""))))).getMessage();
        assertTrue(names.contains("train_dataloader.dataset.datasets: " + tmp.resolve("c/c.json") + " has the classes [cat, bird]"),
                names);

        String pipeline = assertThrows(ConfigException.class, () -> config(concat("", part("a", ""),
                part("b", "").replace("scale: [64, 64]", "scale: [96, 96]")))).getMessage();
        assertTrue(pipeline.endsWith("train_dataloader.dataset.datasets[1]: its pipeline differs from datasets[0]'s: here every "
                + "image of a ConcatDataset runs one pipeline"), pipeline);

        String val = assertThrows(ConfigException.class, () -> config(concat("", part("a", "")),
                "val_dataloader.dataset={_delete_: true, " + concat("", part("a", "")).substring(1))).getMessage();
        assertTrue(val.endsWith("val_dataloader.dataset.type: ConcatDataset only belongs in a training dataloader: CocoMetric "
                + "evaluates one annotation file"), val);

        String synthetic = assertThrows(ConfigException.class, () -> config(concat("", part("a", ""),
                "{type: SyntheticShapes, num_images: 8, num_classes: 4, pipeline: " + PIPELINE + "}"))).getMessage();
        assertTrue(synthetic.endsWith("datasets[1]: a ConcatDataset joins datasets read from files (CocoDataset, VOCDataset, XMLDataset), got SyntheticShapes"), synthetic);

        String missing = assertThrows(UserError.class, () -> train(config(concat("", part("a", ""),
                part("b", "").replace("b.json", "absent.json"))))).getMessage();
        assertEquals(tmp.resolve("b/absent.json") + ": no such file (train_dataloader.dataset (ConcatDataset part 1).ann_file)",
                missing);
        for (String m : List.of(classes, names, pipeline, val, synthetic, missing)) assertFalse(m.contains("\n"), m);
    }
}
