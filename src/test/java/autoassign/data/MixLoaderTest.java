package autoassign.data;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loader with a MultiImageMixDataset (Mosaic, RandomAffine, MixUp): the same batches for 0, 1 and 3 workers. */
class MixLoaderTest {
    @TempDir static Path tmp;
    static SyntheticShapes.Layout layout;

    @BeforeAll
    static void generate() {
        layout = SyntheticShapes.ensure(tmp.resolve("syn"), SyntheticShapesTest.SMALL.withCounts(16, 4));
    }

    /** YOLOX's steps at 64 px: Mosaic (128 × 128), RandomAffine back to 64 × 64, MixUp, resize, flip. */
    static PipelineOptions yolox(List<Transform> inner) {
        List<Transform> steps = new java.util.ArrayList<>(inner);
        steps.addAll(List.of(new MultiImageMixDataset(15, List.of()), new Mosaic(64, 64, 0.5, 1.5, true, 114, 1),
                new RandomAffine(10, 0.1, 0.5, 1.5, 2, -32, -32, List.of(114.0, 114.0, 114.0), true, true, 2, 0.2, 20),
                new MixUp(64, 64, 0.8, 1.6, 0.5, 114, false, 15, true), ResizeStep.INSTANCE, RandomFlip.horizontal(0.5)));
        return DataLoaderTest.SMALL_PIPE.withScale(64, 64).withTransforms(steps);
    }

    private static List<Batch> epoch(CocoDataset ds, PipelineOptions p, long seed, int workers) {
        try (DataLoader l = new DataLoader(ds, p, LoaderOptions.train(2, seed, workers).withOpencvThreads(-1))) {
            return DataLoaderTest.epoch(l, 1);
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
                assertArrayEquals(a.get(i).targets().get(k).ignoredBoxes(), b.get(i).targets().get(k).ignoredBoxes());
            }
        }
    }

    @Test
    void sameBatchesForAnyNumberOfWorkers() {
        CocoDataset ds = layout.train(new DataIssues("syn", s -> { }, 5)).filterForTraining();
        for (List<Transform> inner : List.of(List.<Transform>of(), List.<Transform>of(new RandomCrop(RandomCrop.Type.ABSOLUTE, 40, 40, false, true)))) {
            PipelineOptions p = yolox(inner);
            List<Batch> serial = epoch(ds, p, 5, 0);
            assertSameBatches(serial, epoch(ds, p, 5, 1));
            assertSameBatches(serial, epoch(ds, p, 5, 3));
            assertFalse(Arrays.equals(serial.get(0).data(), epoch(ds, p, 6, 0).get(0).data()), "another seed mixes differently");
            int boxes = 0;
            for (Batch b : serial) {
                assertEquals(64, b.metas().get(0).imgH());
                for (int k = 0; k < b.size(); k++) boxes += b.targets().get(k).count();
            }
            assertTrue(boxes > serial.size(), "mixed images carry boxes of several images: " + boxes);
        }
    }
}
