package autoassign.eval;

import autoassign.GoldenFiles;
import autoassign.data.ImageMeta;
import autoassign.postprocess.Detections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MMDetection's {@code test.py --out} pickles ({@code <goldens>/mmdet_results}, made with torch by
 * scripts/goldens/mmdet_results.py): every {@code <case>.pkl} reads as the COCO results that CocoMetric.results2json
 * makes of it ({@code <case>.expected.json}), exactly; and what {@code eval --out} writes is byte for byte
 * {@code java_written.pkl}, which that script's {@code --check} loads with torch into the expected results.
 * {@code -Dgoldens.dir=DIR} points at another folder laid out like it.
 */
class DetResultsPickleGoldenTest {
    @TempDir Path tmp;

    static Stream<Arguments> cases() {
        return GoldenFiles.cases("mmdet_results", p -> p.toString().endsWith(".pkl") && !p.endsWith("java_written.pkl"));
    }

    private static CocoGroundTruth gt() {
        return CocoGroundTruth.read(GoldenFiles.folder("mmdet_results").resolve("gt.json"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void readsAsCocoMetricConvertsIt(String name, Path file) {
        CocoGroundTruth gt = gt();
        CocoDetections got = CocoDetections.read(file, gt); // labels: the categories in id order
        CocoDetections want = CocoDetections.read(file.resolveSibling(name.replace(".pkl", ".expected.json")), gt);
        assertEquals(want.size(), got.size());
        assertEquals(want.detections(), got.detections());
    }

    /** The entries of JAVA_WRITTEN in scripts/goldens/mmdet_results.py. */
    static List<DetResultsPickle.Entry> written() {
        ImageMeta a = new ImageMeta(5, "a.jpg", 0, 60, 80, 800, 1067, 1067 / 80.0, 800 / 60.0, false, 800, 1088);
        ImageMeta c = new ImageMeta(42, "c.jpg", 2, 30, 30, 800, 800, 800 / 30.0, 800 / 30.0, false, 800, 1088);
        return List.of(
                new DetResultsPickle.Entry(a, "data/images/a.jpg", new int[] {800, 1088},
                        new Detections(new float[] {1f, 2.5f, 30.25f, 40f, 0f, 0f, 80f, 60f}, new float[] {0.875f, 0.0625f}, new int[] {2, 0})),
                new DetResultsPickle.Entry(c, "data/images/c.jpg", new int[] {800, 800}, Detections.EMPTY));
    }

    @Test
    void writesWhatTorchLoads() throws IOException {
        Path golden = GoldenFiles.folder("mmdet_results").resolve("java_written.pkl");
        Path out = Boolean.getBoolean("mmdet_results.regenerate") ? golden : tmp.resolve("written.pkl");
        DetResultsPickle.write(out, written());
        assertArrayEquals(Files.readAllBytes(golden), Files.readAllBytes(out),
                "eval --out's bytes changed: check them with `python3 scripts/goldens/mmdet_results.py --check` "
                        + "after -Dmmdet_results.regenerate=true");
        // and read back: the same detections
        CocoDetections back = CocoDetections.read(out, gt());
        assertEquals(2, back.size());
        CocoDetections.Detection d = back.detections().get(0);
        assertEquals(new CocoDetections.Detection(1, 5, 7, 1.0, 2.5, 29.25, 37.5, 0.875), d);
        assertEquals(1, back.detections().get(1).categoryId());
    }

    @Test
    void labelsIndexTheCategoriesInTheFilesOrder() throws IOException {
        // MMDetection's CocoDataset / CocoMetric: cat_ids = get_cat_ids(...), the file's list (pycocotools: [7, 3] here)
        Path gt = Files.writeString(tmp.resolve("gt.json"), "{\"images\": [{\"id\": 5, \"file_name\": \"a.jpg\","
                + " \"height\": 60, \"width\": 80}], \"categories\": [{\"id\": 7, \"name\": \"bird\"}, {\"id\": 3,"
                + " \"name\": \"dog\"}], \"annotations\": []}");
        Path pkl = tmp.resolve("r.pkl");
        DetResultsPickle.write(pkl, List.of(new DetResultsPickle.Entry(written().get(0).meta(), "a.jpg", new int[] {800, 1088},
                new Detections(new float[] {0, 0, 1, 1, 2, 2, 3, 3}, new float[] {0.5f, 0.25f}, new int[] {0, 1}))));
        List<CocoDetections.Detection> d = CocoDetections.read(pkl, CocoGroundTruth.read(gt)).detections();
        assertEquals(7, d.get(0).categoryId());
        assertEquals(3, d.get(1).categoryId());
        assertArrayEquals(new long[] {3, 7}, CocoGroundTruth.read(gt).categoryIds(), "COCOeval's catIds stay sorted");
    }

    @Test
    void badInputIsOneLineNamingTheFile() throws IOException {
        CocoGroundTruth gt = gt();
        Path notList = tmp.resolve("dict.pkl");
        autoassign.io.PthWriter.writePickle(notList, java.util.Map.of("a", 1L));
        CocoFormatException e = assertThrows(CocoFormatException.class, () -> CocoDetections.read(notList, gt));
        assertTrue(e.oneLine().startsWith(notList + ": not an MMDetection results file"), e.oneLine());

        Path v2 = tmp.resolve("v2.pkl"); // MMDetection 2.x: per image a list of per-class arrays
        autoassign.io.PthWriter.writePickle(v2, List.of(List.of(autoassign.io.RawTensor.ofFloats(new float[5], 1, 5))));
        e = assertThrows(CocoFormatException.class, () -> CocoDetections.read(v2, gt));
        assertTrue(e.getMessage().contains("MMDetection 2.x"), e.getMessage());

        Path badLabel = tmp.resolve("label.pkl");
        DetResultsPickle.write(badLabel, List.of(new DetResultsPickle.Entry(written().get(0).meta(), "a.jpg", new int[] {800, 1088},
                new Detections(new float[] {0, 0, 1, 1}, new float[] {0.5f}, new int[] {3}))));
        e = assertThrows(CocoFormatException.class, () -> CocoDetections.read(badLabel, gt));
        assertTrue(e.getMessage().contains("label 3 is not a class index (the dataset has 3 classes)"), e.getMessage());

        Path unknownImage = tmp.resolve("image.pkl");
        ImageMeta m = new ImageMeta(6, "x.jpg", 0, 60, 80, 800, 1067, 1, 1, false, 800, 1088);
        DetResultsPickle.write(unknownImage, List.of(new DetResultsPickle.Entry(m, "x.jpg", new int[] {800, 1088},
                new Detections(new float[] {0, 0, 1, 1}, new float[] {0.5f}, new int[] {0}))));
        e = assertThrows(CocoFormatException.class, () -> CocoDetections.read(unknownImage, gt));
        assertTrue(e.oneLine().contains("image_id 6 is not an image of the ground truth"), e.oneLine());

        Path truncated = tmp.resolve("truncated.pkl");
        byte[] full = Files.readAllBytes(GoldenFiles.folder("mmdet_results").resolve("dump_protocol2.pkl"));
        Files.write(truncated, java.util.Arrays.copyOf(full, full.length / 2));
        e = assertThrows(CocoFormatException.class, () -> CocoDetections.read(truncated, gt));
        assertTrue(e.oneLine().startsWith(truncated + ": "), e.oneLine());
    }
}
