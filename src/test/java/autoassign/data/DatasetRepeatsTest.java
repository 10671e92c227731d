package autoassign.data;

import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.config.DatasetConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RepeatDataset and ClassBalancedDataset as entry lists, worked by hand, and their config. */
class DatasetRepeatsTest {
    @TempDir Path tmp;

    /** Four images: a, b with category 1; c with 1 and a crowd region of 2; d with nothing. */
    private CocoDataset dataset() throws Exception {
        Path json = tmp.resolve("ann.json");
        Files.writeString(json, """
                {"images": [{"id": 1, "file_name": "a.png", "width": 20, "height": 10},
                            {"id": 2, "file_name": "b.png", "width": 10, "height": 20},
                            {"id": 3, "file_name": "c.png", "width": 20, "height": 10},
                            {"id": 4, "file_name": "d.png", "width": 20, "height": 10}],
                 "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5], "area": 25, "iscrowd": 0},
                                 {"id": 2, "image_id": 2, "category_id": 1, "bbox": [1, 1, 5, 5], "area": 25, "iscrowd": 0},
                                 {"id": 3, "image_id": 3, "category_id": 1, "bbox": [1, 1, 5, 5], "area": 25, "iscrowd": 0},
                                 {"id": 4, "image_id": 3, "category_id": 2, "bbox": [2, 2, 5, 5], "area": 25, "iscrowd": 1}],
                 "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}""");
        return CocoDataset.load(json, tmp);
    }

    @Test
    void repeatAndClassBalanceByHand() throws Exception {
        CocoDataset ds = dataset();
        assertArrayEquals(new int[] {0, 1, 2, 3, 0, 1, 2, 3}, DatasetRepeats.repeat(DatasetRepeats.identity(4), 2));
        // f(cat) = 3/4, f(dog) = 1/4 (the crowd region counts); thr 0.5: r(cat) = max(1, √(0.5/0.75)) = 1,
        // r(dog) = √2; r(c) = √2 → ⌈√2⌉ = 2 copies; d has no category: 1
        double[] r = DatasetRepeats.repeatFactors(ds, DatasetRepeats.identity(4), 0.5);
        assertArrayEquals(new double[] {1, 1, Math.sqrt(2), 1}, r, 1e-15);
        assertArrayEquals(new int[] {0, 1, 2, 2, 3}, DatasetRepeats.classBalanced(ds, DatasetRepeats.identity(4), 0.5));
        // thr 1.0: r(cat) = √(4/3), r(dog) = 2: every image with a category twice
        assertArrayEquals(new int[] {0, 0, 1, 1, 2, 2, 3}, DatasetRepeats.classBalanced(ds, DatasetRepeats.identity(4), 1.0));
    }

    @Test
    void nestedWrappersFromTheConfig() throws Exception {
        String text = Files.readString(Path.of("configs/autoassign_tiny_synthetic.yaml"));
        var cfg = ConfigLoader.parse(text, "configs/x.yaml", List.of(
                "train_dataloader.dataset={_delete_: true, type: RepeatDataset, times: 3, dataset: {type: ClassBalancedDataset, oversample_thr: 0.5,"
                        + " dataset: {type: CocoDataset, ann_file: ann.json, data_prefix: {img: ''},"
                        + " pipeline: [{type: LoadImageFromFile}, {type: Resize, scale: [64, 64], keep_ratio: true}]}}}"));
        DatasetConfig d = cfg.trainDataloader().dataset();
        assertEquals("CocoDataset", d.type());
        assertEquals(List.of(new DatasetConfig.Wrapper("RepeatDataset", 3, 0), new DatasetConfig.Wrapper("ClassBalancedDataset", 1, 0.5)),
                d.wrappers());
        int[] e = d.entries(dataset()); // class balance first (inner), then three times over
        assertArrayEquals(new int[] {0, 1, 2, 2, 3, 0, 1, 2, 2, 3, 0, 1, 2, 2, 3}, e);
        // a loader over the entries: 15 samples an epoch, batches of entries mapped to images
        String err = assertThrows(ConfigException.class, () -> ConfigLoader.parse(text, "configs/x.yaml", List.of(
                "val_dataloader.dataset={type: RepeatDataset, times: 2, dataset: {type: CocoDataset}}"))).getMessage();
        assertTrue(err.contains("RepeatDataset only belongs in a training dataloader"), err);
        err = assertThrows(ConfigException.class, () -> ConfigLoader.parse(text, "configs/x.yaml", List.of(
                "train_dataloader.dataset={type: RepeatDataset, times: 0, dataset: {type: CocoDataset}}"))).getMessage();
        assertTrue(err.contains("times"), err);
    }

    @Test
    void theSamplerBatchesEntries() throws Exception {
        CocoDataset ds = dataset();
        int[] entries = DatasetRepeats.repeat(DatasetRepeats.identity(4), 3);
        BatchSampler s = BatchSampler.forDataset(ds, entries, 2, true, 7, 0, 1, true, false);
        int total = 0, mixed = 0;
        int[] seen = new int[4];
        for (int[] b : s.batches(0)) {
            total += b.length;
            for (int i : b) seen[entries[i]]++;
            // aspect grouping looks at the image behind each entry (b.png is the only tall one): only the leftovers mix
            if (b.length == 2 && (entries[b[0]] == 1) != (entries[b[1]] == 1)) mixed++;
        }
        assertTrue(mixed <= 1, "batches mixing tall and wide images: " + mixed);
        assertEquals(12, total);
        assertArrayEquals(new int[] {3, 3, 3, 3}, seen);
    }
}
