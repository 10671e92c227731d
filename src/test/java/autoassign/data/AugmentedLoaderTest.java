package autoassign.data;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loader with augmentations: the same batches for any number of workers, re-sampling rejected crops. */
class AugmentedLoaderTest {
    @TempDir static Path tmp;
    static SyntheticShapes.Layout layout;

    @BeforeAll
    static void generate() {
        layout = SyntheticShapes.ensure(tmp.resolve("syn"), SyntheticShapesTest.SMALL.withCounts(20, 4));
    }

    /** Crop (a small absolute one, so some crops miss every box), photometric distortion, multi-scale, three flips. */
    static PipelineOptions augmented(RandomCrop crop) {
        return DataLoaderTest.SMALL_PIPE.withMultiScale(new ScaleSampler(List.of(new int[] {160, 96}, new int[] {160, 128}), false))
                .withTransforms(List.of(crop, PhotoMetricDistortion.defaults(), ResizeStep.INSTANCE,
                        new RandomFlip(List.of(FlipDirection.HORIZONTAL, FlipDirection.VERTICAL, FlipDirection.DIAGONAL),
                                List.of(0.25, 0.25, 0.25))));
    }

    static final RandomCrop SMALL_CROP = new RandomCrop(RandomCrop.Type.ABSOLUTE, 40, 40, false, true);

    private static List<Batch> epoch(CocoDataset ds, PipelineOptions p, long seed, int workers, int e) {
        try (DataLoader l = new DataLoader(ds, p, LoaderOptions.train(2, seed, workers).withOpencvThreads(-1))) {
            return DataLoaderTest.epoch(l, e);
        }
    }

    private static void assertSameBatches(List<Batch> a, List<Batch> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).shape(), b.get(i).shape());
            assertArrayEquals(a.get(i).data(), b.get(i).data(), "batch " + i);
            assertEquals(a.get(i).metas(), b.get(i).metas());
            for (int k = 0; k < a.get(i).size(); k++) {
                assertArrayEquals(a.get(i).targets().get(k).boxes(), b.get(i).targets().get(k).boxes());
                assertArrayEquals(a.get(i).targets().get(k).labels(), b.get(i).targets().get(k).labels());
            }
        }
    }

    @Test
    void sameSeedSameBatchesForAnyWorkersAndResampledCrops() {
        CocoDataset ds = layout.train(new DataIssues("syn", s -> { }, 5)).filterForTraining();
        PipelineOptions p = augmented(SMALL_CROP);
        List<Batch> serial = epoch(ds, p, 9, 0, 1);
        assertSameBatches(serial, epoch(ds, p, 9, 3, 1));
        assertSameBatches(serial, epoch(ds, p, 9, 1, 1));
        assertFalse(Arrays.equals(serial.get(0).data(), epoch(ds, p, 10, 0, 1).get(0).data()), "another seed draws differently");
        // every image of the epoch keeps a box, crops are 40x40 at most before the resize, and some positions were
        // re-sampled: the epoch then holds an image the sampler did not plan
        int[] planned = BatchSampler.forDataset(ds, 2, true, 9, 0, 1, true, false).indices(1);
        List<Integer> got = new ArrayList<>();
        for (Batch b : serial)
            for (int k = 0; k < b.size(); k++) {
                assertTrue(b.targets().get(k).count() + b.targets().get(k).ignoredCount() > 0, "a crop without boxes was kept");
                got.add(b.metas().get(k).datasetIndex());
            }
        assertEquals(planned.length, got.size(), "every position is filled");
        int[] sortedPlanned = planned.clone(), sortedGot = got.stream().mapToInt(Integer::intValue).toArray();
        Arrays.sort(sortedPlanned);
        Arrays.sort(sortedGot);
        assertFalse(Arrays.equals(sortedPlanned, sortedGot), "some rejected crops were replaced by other images");
    }

    /** Every SSD / YOLOX step of this engine before the resize, on 8-bit images, then the recipe's flip. */
    static PipelineOptions ssdYolox() {
        return DataLoaderTest.SMALL_PIPE.withTransforms(List.of(new Expand(List.of(123.675, 116.28, 103.53), true, 1, 2, 0.5),
                MinIoURandomCrop.defaults(), RandomAffine.defaults(), YoloxHsvRandomAug.defaults(), RandomShift.defaults(),
                new CutOut(1, 3, List.of(new CutOut.Size(0.1, 0.1), new CutOut.Size(0.2, 0.05)), true, List.of(0.0, 0.0, 0.0)),
                ResizeStep.INSTANCE, RandomFlip.horizontal(0.5)));
    }

    @Test
    void ssdAndYoloxStepsGiveTheSameBatchesForAnyWorkers() {
        CocoDataset ds = layout.train(new DataIssues("syn", s -> { }, 5)).filterForTraining();
        PipelineOptions p = ssdYolox();
        List<Batch> serial = epoch(ds, p, 21, 0, 1);
        assertSameBatches(serial, epoch(ds, p, 21, 3, 1));
        assertSameBatches(serial, epoch(ds, p, 21, 1, 1));
        assertFalse(Arrays.equals(serial.get(0).data(), epoch(ds, p, 22, 0, 1).get(0).data()), "another seed draws differently");
        int images = 0;
        for (Batch b : serial)
            for (int k = 0; k < b.size(); k++) {
                GroundTruth gt = b.targets().get(k);
                assertEquals(gt.boxes().length, 4 * gt.labels().length, "labels in step with boxes");
                assertEquals(gt.ignoredBoxes().length, 4 * gt.ignoredLabels().length);
                ImageMeta m = b.metas().get(k);
                for (int i = 0; i < gt.boxes().length; i += 4)
                    assertTrue(gt.boxes()[i] >= 0 && gt.boxes()[i + 2] <= m.imgW() && gt.boxes()[i + 3] <= m.imgH(), "clipped boxes");
                images++;
            }
        assertEquals(BatchSampler.forDataset(ds, 2, true, 21, 0, 1, true, false).indices(1).length, images, "nothing re-sampled or lost");
        // the same steps on float images (after PhotoMetricDistortion)
        List<Transform> withFloat = new ArrayList<>(p.transforms());
        withFloat.add(0, PhotoMetricDistortion.defaults());
        PipelineOptions f = p.withTransforms(withFloat);
        assertSameBatches(epoch(ds, f, 21, 0, 1), epoch(ds, f, 21, 3, 1));
    }

    @Test
    void withoutRandomStepsTheDrawsAreTheLoadersOld() {
        // the recipe's steps: the flip decision is still BatchSampler.flipDecision of (seed, epoch, position)
        CocoDataset ds = layout.train(new DataIssues("syn", s -> { }, 5)).filterForTraining();
        List<Batch> b = epoch(ds, DataLoaderTest.SMALL_PIPE, 123, 0, 2);
        int position = 0;
        for (Batch batch : b)
            for (ImageMeta m : batch.metas())
                assertEquals(BatchSampler.flipDecision(123, 2, position++, 0.5), m.flipped(), "position " + (position - 1));
    }

    @Test
    void givesUpAfterMmengineMaxRefetchWithAOneLineError() {
        // no image has a box: every crop is rejected, as MMDetection's dataset would after max_refetch tries
        CocoDataset full = layout.train(new DataIssues("syn", s -> { }, 5));
        List<ImageRecord> empty = new ArrayList<>();
        for (ImageRecord r : full.images())
            empty.add(new ImageRecord(r.id(), r.fileName(), r.width(), r.height(), new float[0], new int[0], new float[0], new int[0], true));
        CocoDataset ds = full.subset(empty.subList(0, 2));
        PipelineOptions p = DataLoaderTest.SMALL_PIPE.withTransforms(List.of(ResizeStep.INSTANCE, SMALL_CROP));
        try (DataLoader l = new DataLoader(ds, p, LoaderOptions.train(1, 0, 0))) {
            DataException e = assertThrows(DataException.class, () -> DataLoaderTest.epoch(l, 0));
            assertTrue(e.getMessage().contains("1000 others") && e.getMessage().contains("allow_negative_crop"), e.getMessage());
        }
        // allowed, the same images load with no boxes
        PipelineOptions lenient = DataLoaderTest.SMALL_PIPE.withTransforms(List.of(ResizeStep.INSTANCE,
                new RandomCrop(RandomCrop.Type.ABSOLUTE, 40, 40, true, true)));
        try (DataLoader l = new DataLoader(ds, lenient, LoaderOptions.train(1, 0, 2))) {
            List<Batch> b = DataLoaderTest.epoch(l, 0);
            assertEquals(2, b.size());
            assertEquals(40, b.get(0).metas().get(0).imgW());
        }
    }
}
