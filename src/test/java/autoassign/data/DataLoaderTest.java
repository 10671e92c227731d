package autoassign.data;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The threaded loader on the synthetic dataset: determinism, batch layout, bad images mid-epoch. */
class DataLoaderTest {
    @TempDir static Path tmp;
    static SyntheticShapes.Layout layout;

    @BeforeAll
    static void generate() {
        layout = SyntheticShapes.ensure(tmp.resolve("syn"), SyntheticShapesTest.SMALL.withCounts(20, 4));
    }

    static final PipelineOptions SMALL_PIPE = PipelineOptions.cocoTrain().withScale(160, 128);

    static List<Batch> epoch(DataLoader loader, int e) {
        List<Batch> out = new ArrayList<>();
        try (DataLoader.Epoch it = loader.epoch(e)) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void batchesAreIdenticalForAnyNumberOfWorkers() {
        CocoDataset ds = layout.train(new DataIssues("syn", s -> { }, 5)).filterForTraining();
        List<List<Batch>> runs = new ArrayList<>();
        for (int workers : new int[] {0, 1, 3}) {
            try (DataLoader l = new DataLoader(ds, SMALL_PIPE, LoaderOptions.train(2, 123, workers).withOpencvThreads(-1))) {
                runs.add(epoch(l, 1));
            }
        }
        for (List<Batch> run : runs.subList(1, runs.size())) {
            assertEquals(runs.get(0).size(), run.size());
            for (int i = 0; i < run.size(); i++) {
                assertArrayEquals(runs.get(0).get(i).shape(), run.get(i).shape());
                assertArrayEquals(runs.get(0).get(i).data(), run.get(i).data());
                assertEquals(runs.get(0).get(i).metas(), run.get(i).metas());
                assertArrayEquals(runs.get(0).get(i).targets().get(0).boxes(), run.get(i).targets().get(0).boxes());
            }
        }
        List<Batch> first = runs.get(0);
        assertEquals(10, first.size());
        int flipped = 0;
        for (Batch b : first) {
            assertEquals(3, b.shape()[1]);
            assertEquals(0, b.height() % 32);
            assertEquals(0, b.width() % 32);
            for (ImageMeta m : b.metas()) {
                assertEquals(b.height(), m.padH());
                assertTrue(m.imgW() <= 160 && m.imgH() <= 160);
                if (m.flipped()) flipped++;
            }
        }
        assertTrue(flipped > 0 && flipped < 20, "flipped " + flipped);
        try (DataLoader l = new DataLoader(ds, SMALL_PIPE, LoaderOptions.train(2, 123, 2))) {
            List<Batch> other = epoch(l, 2);
            assertNotEquals(Arrays.toString(first.get(0).metas().stream().mapToLong(ImageMeta::imageId).toArray())
                    + first.get(1).metas(), Arrays.toString(other.get(0).metas().stream().mapToLong(ImageMeta::imageId).toArray())
                    + other.get(1).metas(), "epochs must be shuffled differently");
        }
    }

    @Test
    void multiScaleTrainingDrawsAScalePerImageTheSameForAnyWorkers() {
        CocoDataset ds = layout.train(new DataIssues("syn", s -> { }, 5)).filterForTraining();
        ScaleSampler choice = new ScaleSampler(List.of(new int[] {160, 96}, new int[] {160, 128}), false);
        PipelineOptions ms = SMALL_PIPE.withMultiScale(choice);
        List<List<Batch>> runs = new ArrayList<>();
        for (int workers : new int[] {0, 3}) {
            try (DataLoader l = new DataLoader(ds, ms, LoaderOptions.train(2, 123, workers).withOpencvThreads(-1))) {
                runs.add(epoch(l, 1));
            }
        }
        java.util.Set<Integer> shortSides = new java.util.TreeSet<>();
        for (int i = 0; i < runs.get(0).size(); i++) {
            assertEquals(runs.get(0).get(i).metas(), runs.get(1).get(i).metas());
            for (ImageMeta m : runs.get(0).get(i).metas()) {
                ImageRecord r = ds.images().stream().filter(x -> x.id() == m.imageId()).findFirst().orElseThrow();
                // each image got one of the two scales: its keep-ratio size under (160, 96) or (160, 128)
                ResizeGeometry a = ResizeGeometry.keepRatio(r.height(), r.width(), 160, 96),
                        b = ResizeGeometry.keepRatio(r.height(), r.width(), 160, 128);
                boolean isA = m.imgH() == a.newH() && m.imgW() == a.newW(), isB = m.imgH() == b.newH() && m.imgW() == b.newW();
                assertTrue(isA || isB, m + " is neither scale");
                shortSides.add(isA && !isB ? 96 : isB && !isA ? 128 : 0);
            }
        }
        assertTrue(shortSides.contains(96) && shortSides.contains(128), "both scales drawn: " + shortSides);
    }

    @Test
    void testModeKeepsOrderAndDoesNotFlip() {
        CocoDataset ds = layout.val(new DataIssues("syn", s -> { }, 5));
        try (DataLoader l = new DataLoader(ds, SMALL_PIPE.withFlipProb(0), LoaderOptions.test(1, 2))) {
            List<Batch> b = epoch(l, 0);
            assertEquals(4, b.size());
            for (int i = 0; i < 4; i++) {
                assertEquals(ds.get(i).id(), b.get(i).metas().get(0).imageId());
                assertTrue(!b.get(i).metas().get(0).flipped());
            }
        }
    }

    @Test
    void badImagesAreSkippedMidEpochWithOneWarningEachAndASummary() throws Exception {
        // a copy of the synthetic train split where some files are missing, truncated or garbage
        Path root = tmp.resolve("bad");
        Path images = Files.createDirectories(root.resolve("images"));
        CocoDataset src = layout.train(new DataIssues("x", s -> { }, 5));
        for (ImageRecord r : src.images()) Files.copy(src.imagePath(r), images.resolve(r.fileName()));
        Files.delete(images.resolve(src.get(3).fileName()));
        byte[] png = Files.readAllBytes(images.resolve(src.get(5).fileName()));
        Files.write(images.resolve(src.get(5).fileName()), Arrays.copyOf(png, png.length / 2));
        Files.writeString(images.resolve(src.get(8).fileName()), "garbage");
        // both images of some batch broken: make the json list two consecutive bad files with the same orientation
        List<String> log = new ArrayList<>();
        DataIssues issues = new DataIssues("bad", log::add, 10);
        CocoDataset ds = CocoDataset.fromJson(CocoJson.read(layout.trainJson(), issues), images, null, issues);
        for (int workers : new int[] {0, 2}) {
            try (DataLoader l = new DataLoader(ds, SMALL_PIPE, new LoaderOptions(2, false, 0, 0, 1, false, false, workers, 2, -1))) {
                int images1 = 0;
                for (int e = 0; e < 2; e++) for (Batch b : epoch(l, e)) images1 += b.size();
                assertEquals(2 * 17, images1);
            }
        }
        assertEquals(2, issues.count(DataIssue.IMAGE_MISSING)); // once per loader, not once per epoch
        assertEquals(2, issues.count(DataIssue.IMAGE_TRUNCATED));
        assertEquals(2, issues.count(DataIssue.IMAGE_CORRUPT));
        assertTrue(log.stream().anyMatch(s -> s.contains(src.get(3).fileName()) && s.contains("not found") && s.contains("image skipped")),
                () -> String.join("\n", log));
        assertTrue(log.stream().anyMatch(s -> s.contains(src.get(5).fileName()) && s.contains("truncated PNG")), () -> String.join("\n", log));
        long summaries = log.stream().filter(s -> s.startsWith("WARN data: bad: ")).count();
        assertEquals(2, summaries, () -> String.join("\n", log)); // first epoch of each loader; quiet afterwards
    }

    @Test
    void aBatchWhoseImagesAllFailIsLeftOut() throws Exception {
        Path images = Files.createDirectories(tmp.resolve("allbad/images"));
        CocoDataset src = layout.val(new DataIssues("x", s -> { }, 5));
        for (int i = 2; i < src.size(); i++) Files.copy(src.imagePath(src.get(i)), images.resolve(src.get(i).fileName()));
        CocoDataset ds = src.subset(src.images());
        CocoDataset moved = CocoDataset.fromJson(CocoJson.read(layout.valJson(), new DataIssues("x", s -> { }, 5)), images, null,
                new DataIssues("allbad", s -> { }, 5));
        try (DataLoader l = new DataLoader(moved, SMALL_PIPE, LoaderOptions.test(2, 1))) {
            List<Batch> b = epoch(l, 0);
            assertEquals(1, b.size());
            assertEquals(src.get(2).id(), b.get(0).metas().get(0).imageId());
            assertEquals(2, moved.issues().count(DataIssue.IMAGE_MISSING));
        }
        assertEquals(4, ds.size());
    }
}
