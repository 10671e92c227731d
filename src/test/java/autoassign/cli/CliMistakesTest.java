package autoassign.cli;

import autoassign.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Realistic user mistakes across the commands: each gives one line naming the file or option and exit code 1, and
 * no input file is overwritten by an output option that names it.
 */
class CliMistakesTest {

    @TempDir Path tmp;

    /** Runs the CLI as {@code java -jar} does (Main's one-line error handler), capturing what it prints. */
    private static CliRun main(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.execute(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new CliRun(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    /** Exit code 1 and exactly {@code expected} as the only line on stderr. */
    private static void assertOneLine(CliRun r, String expected) {
        assertEquals(1, r.code(), r.out() + r.err());
        assertEquals(expected, r.err().strip());
        assertFalse(r.err().strip().contains("\n"), r.err());
    }

    private Path tinyConfig() throws IOException {
        return Files.writeString(tmp.resolve("tiny.yaml"), ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of()).text());
    }

    private Path gtAndResults() throws IOException {
        Files.writeString(tmp.resolve("gt.json"), "{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\", \"width\": 100, \"height\": 100}],"
                + " \"categories\": [{\"id\": 1, \"name\": \"x\"}], \"annotations\": [{\"id\": 1, \"image_id\": 1, \"category_id\": 1,"
                + " \"bbox\": [0, 0, 5, 5], \"area\": 25, \"iscrowd\": 0}, {\"id\": 2, \"image_id\": 7, \"category_id\": 1,"
                + " \"bbox\": [0, 0, 5, 5], \"area\": 25, \"iscrowd\": 0}, {\"id\": 3, \"image_id\": 1, \"category_id\": 9,"
                + " \"bbox\": [0, 0, 5, 5], \"area\": 25, \"iscrowd\": 0}]}");
        return Files.writeString(tmp.resolve("dets.json"), "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 5, 5], \"score\": 0.9}]");
    }

    @Test
    void evalOutputsNeverOverwriteItsInputs() throws IOException {
        Path dets = gtAndResults();
        byte[] before = Files.readAllBytes(dets);
        CliRun r = CliRun.run(new EvalCommand(), "--ann", tmp.resolve("gt.json").toString(), "--results", dets.toString(),
                "--json", dets.toString());
        assertOneLine(r, "error: " + dets + ": --json is the --results file itself; write it elsewhere");
        assertArrayEquals(before, Files.readAllBytes(dets), "the results file is kept");
        CliRun r2 = CliRun.run(new EvalCommand(), "--ann", tmp.resolve("gt.json").toString(), "--results", dets.toString(),
                "--json", tmp.resolve("gt.json").toString());
        assertOneLine(r2, "error: " + tmp.resolve("gt.json") + ": --json is the --ann file itself; write it elsewhere");
    }

    @Test
    void evalOfAResultsFileRefusesTheOptionsOfAModelRun() throws IOException {
        Path dets = gtAndResults();
        Path save = tmp.resolve("saved.json");
        CliRun r = CliRun.run(new EvalCommand(), "--ann", tmp.resolve("gt.json").toString(), "--results", dets.toString(),
                "--save-results", save.toString());
        assertOneLine(r, "error: --format-only, --save-results, --gpus and --cpu-workers need a model run (--config and --checkpoint);"
                + " --ann with --results scores the results file as it is");
        assertFalse(Files.exists(save));
    }

    @Test
    void evalCountsTheAnnotationsPycocotoolsLeavesOut() throws IOException {
        Path dets = gtAndResults();
        Path gt = tmp.resolve("gt.json");
        CliRun r = CliRun.run(new EvalCommand(), "--ann", gt.toString(), "--results", dets.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("warning: " + gt + ": 1 annotations skipped: their image_id is not in \"images\"",
                "warning: " + gt + ": 1 annotations skipped: their category_id is not in \"categories\""), r.err().strip().lines().toList());
    }

    @Test
    void fuseResultsDoesNotWriteOverAResultsFileItFuses() throws IOException {
        Path dets = gtAndResults();
        Path dir = Files.createDirectories(tmp.resolve("out"));
        Path fused = Files.copy(dets, dir.resolve("fusion_results.json"));
        byte[] before = Files.readAllBytes(fused);
        CliRun r = CliRun.run(new FuseResultsCommand(), fused.toString(), dets.toString(), "--ann", tmp.resolve("gt.json").toString(),
                "--save-fusion-results", "--out-dir", dir.toString());
        assertOneLine(r, "error: " + fused + ": is one of the results files being fused; give another --out-dir");
        assertArrayEquals(before, Files.readAllBytes(fused));
    }

    @Test
    void confusionAndCocoErrorsDoNotWriteOverTheResultsTheyRead() throws IOException {
        gtAndResults();
        Path dir = Files.createDirectories(tmp.resolve("cm"));
        Path dets = Files.copy(tmp.resolve("dets.json"), dir.resolve("confusion_matrix.json"));
        CliRun r = CliRun.run(new ConfusionCommand(), "--ann", tmp.resolve("gt.json").toString(), "--results", dets.toString(),
                "--out", dir.toString());
        assertOneLine(r, "error: " + dets + ": is an input file; give another --out folder");
        Path dets2 = Files.copy(tmp.resolve("dets.json"), Files.createDirectories(tmp.resolve("ce/bbox")).resolve("coco_error_analysis.json"));
        CliRun r2 = CliRun.run(new CocoErrorsCommand(), "--ann", tmp.resolve("gt.json").toString(), "--results", dets2.toString(),
                "--out", tmp.resolve("ce").toString());
        assertOneLine(r2, "error: " + dets2 + ": is an input file; give another --out folder");
        assertArrayEquals(Files.readAllBytes(tmp.resolve("dets.json")), Files.readAllBytes(dets));
        assertArrayEquals(Files.readAllBytes(tmp.resolve("dets.json")), Files.readAllBytes(dets2));
    }

    @Test
    void cocoErrorsAreasMustIncrease() throws IOException {
        Path dets = gtAndResults();
        for (List<String> areas : List.of(List.of("0", "0", "0"), List.of("100", "10", "1000000"))) {
            CliRun r = CliRun.run(new CocoErrorsCommand(), "--ann", tmp.resolve("gt.json").toString(), "--results", dets.toString(),
                    "--out", tmp.resolve("ce").toString(), "--areas", areas.get(0), areas.get(1), areas.get(2));
            assertOneLine(r, "error: --areas must be increasing positive areas (small/medium < medium/large < largest), got "
                    + areas);
        }
        assertFalse(Files.exists(tmp.resolve("ce")), "nothing written");
    }

    /** A COCO dataset of one PNG image: data/images/a.png, data/annotations/instances_{train,val}.json. */
    private Path pngDataset() throws IOException {
        Path data = tmp.resolve("data");
        Files.createDirectories(data.resolve("images"));
        Files.createDirectories(data.resolve("annotations"));
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(64, 48, java.awt.image.BufferedImage.TYPE_3BYTE_BGR), "png",
                data.resolve("images/a.png").toFile());
        String gt = "{\"images\": [{\"id\": 1, \"file_name\": \"a.png\", \"width\": 64, \"height\": 48}],"
                + " \"categories\": [{\"id\": 1, \"name\": \"person\"}], \"annotations\": [{\"id\": 1, \"image_id\": 1,"
                + " \"category_id\": 1, \"bbox\": [4, 4, 20, 20], \"area\": 400, \"iscrowd\": 0}]}";
        Files.writeString(data.resolve("annotations/instances_val.json"), gt);
        Files.writeString(data.resolve("annotations/instances_train.json"), gt);
        return data;
    }

    @Test
    void picturesAreNeverDrawnOverTheImagesTheyShow() throws IOException {
        Path data = pngDataset();
        Path image = data.resolve("images/a.png");
        byte[] before = Files.readAllBytes(image);
        CliRun r = CliRun.run(new BrowseCommand(), "--config", "autoassign_r18_coco128", "--data", data.toString(), "--split", "val",
                "--out", data.resolve("images").toString());
        assertOneLine(r, "error: " + image + ": is the input image itself; give an --out folder without the dataset's images");
        assertArrayEquals(before, Files.readAllBytes(image));
        // eval --show-dir and analyze-results draw through PictureWriter: it refuses the image itself, and stops
        var ds = autoassign.data.CocoDataset.load(data.resolve("annotations/instances_val.json"), data.resolve("images"));
        List<String> stopped = new java.util.ArrayList<>();
        var writer = new autoassign.viz.PictureWriter(ds, 0.3f, new autoassign.viz.PictureWriter.Problems() {
            @Override public void skipped(autoassign.data.BadImageException e) { stopped.add("skipped " + e.getMessage()); }

            @Override public void stopped(Path folder, IOException e) { stopped.add(folder + ": " + e.getMessage()); }
        });
        var none = new autoassign.postprocess.Detections(new float[0], new float[0], new int[0]);
        assertFalse(writer.write(0, none, image));
        assertEquals(List.of(data.resolve("images") + ": " + image + " is the input image itself; draw into a folder without the"
                + " dataset's images"), stopped);
        assertArrayEquals(before, Files.readAllBytes(image));
        assertEquals(1, writer.failed());
    }

    @Test
    void detectOutThatIsAFileIsNamedBeforeTheModelLoads() throws IOException {
        Path file = Files.writeString(tmp.resolve("img.jpg"), "not an image");
        CliRun r = CliRun.run(new DetectCommand(), "--config", "autoassign_tiny_synthetic", "--checkpoint",
                tmp.resolve("missing.safetensors").toString(), file.toString(), "--out", file.toString());
        assertOneLine(r, "error: " + file + ": --out exists and is not a folder");
    }

    @Test
    void anOutputFileThatIsAFolderIsNamedWithoutTempFileNames() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("out.safetensors"));
        CliRun r = CliRun.run(new ImportCommand(), "--from", "src/test/resources/goldens/pth/mmdet_like_zip.pth", "--to", dir.toString());
        assertOneLine(r, "error: " + dir + ": cannot write: " + dir + ": is a folder, not a file name");
        Path dets = gtAndResults();
        Path json = Files.createDirectories(tmp.resolve("stats.json"));
        CliRun r2 = CliRun.run(new EvalCommand(), "--ann", tmp.resolve("gt.json").toString(), "--results", dets.toString(),
                "--json", json.toString());
        assertEquals(1, r2.code());
        List<String> lines = r2.err().strip().lines().toList(); // after the two warnings about gt.json
        assertEquals("error: " + json + ": cannot write: " + json + ": is a folder, not a file name", lines.get(lines.size() - 1));
        try (var left = Files.list(tmp)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp file left");
        }
    }

    @Test
    void images2cocoNamesAnEmptyClassListAndAnImageFolderThatIsAFile() throws IOException {
        Path imgs = Files.createDirectories(tmp.resolve("imgs"));
        Path empty = Files.writeString(tmp.resolve("classes.txt"), "\n  \n");
        CliRun r = CliRun.run(new Images2CocoCommand(), imgs.toString(), empty.toString(), tmp.resolve("out.json").toString());
        assertOneLine(r, "error: " + empty + ": the class list is empty (one class name per line)");
        Path classes = Files.writeString(tmp.resolve("names.txt"), "a\nb\n");
        Path file = Files.writeString(tmp.resolve("img.jpg"), "x");
        CliRun r2 = CliRun.run(new Images2CocoCommand(), file.toString(), classes.toString(), "out.json");
        assertOneLine(r2, "error: " + file + ": not a folder");
    }

    @Test
    void scheduleDoesNotWriteOverItsConfig() throws IOException {
        Path cfg = tinyConfig();
        byte[] before = Files.readAllBytes(cfg);
        CliRun r = CliRun.run(new ScheduleCommand(), cfg.toString(), "--dataset-size", "8", "--csv", cfg.toString());
        assertOneLine(r, "error: " + cfg + ": is the config itself; write the --csv file elsewhere");
        assertArrayEquals(before, Files.readAllBytes(cfg));
        Path same = tmp.resolve("lr.csv");
        CliRun r2 = CliRun.run(new ScheduleCommand(), cfg.toString(), "--dataset-size", "8", "--csv", same.toString(), "--out", same.toString());
        assertOneLine(r2, "error: " + same + ": --csv and --out name the same file");
    }

    @Test
    void configSavePathDoesNotWriteOverTheConfig() throws IOException {
        Path cfg = tinyConfig();
        byte[] before = Files.readAllBytes(cfg);
        CliRun r = CliRun.run(new ConfigCommand(), cfg.toString(), "--save-path", cfg.toString());
        assertOneLine(r, "error: " + cfg + ": --save-path is the config itself; write the merged config elsewhere");
        assertEquals("", r.out());
        assertArrayEquals(before, Files.readAllBytes(cfg));
    }

    @Test
    void logsPlotDoesNotWriteOverALogItReads() throws IOException {
        Path log = Files.writeString(tmp.resolve("metrics.jsonl"), "{\"mode\": \"train\", \"epoch\": 1, \"iter\": 1, \"loss\": 1.0}\n"
                + "{\"mode\": \"train\", \"epoch\": 1, \"iter\": 2, \"loss\": 0.5}\n");
        byte[] before = Files.readAllBytes(log);
        CliRun r = CliRun.run(new LogsCommand(), "plot", log.toString(), "--keys", "loss", "--out", log.toString());
        assertOneLine(r, "error: " + log + ": --out is a log being read; write the chart elsewhere");
        assertArrayEquals(before, Files.readAllBytes(log));
    }

    @Test
    void benchChecksTheSizeAndTheJsonPathBeforeRunning() throws IOException {
        Path cfg = tinyConfig();
        assertOneLine(main("bench", "--config", cfg.toString(), "--mode", "infer", "--size", "0x64"),
                "error: --size: height and width must be >= 1, got 0x64");
        assertOneLine(main("bench", "--config", cfg.toString(), "--mode", "infer", "--size", "64x64x3"),
                "error: --size must be HxW, e.g. 800x1216, got 64x64x3");
        byte[] before = Files.readAllBytes(cfg);
        assertOneLine(main("bench", "--config", cfg.toString(), "--mode", "infer", "--size", "64x64", "--json", cfg.toString()),
                "error: " + cfg + ": --json is the config itself; write it elsewhere");
        assertArrayEquals(before, Files.readAllBytes(cfg));
    }

    @Test
    void exportDoesNotWriteOverItsConfig() throws IOException {
        Path cfg = tinyConfig();
        byte[] before = Files.readAllBytes(cfg);
        CliRun r = CliRun.run(new ExportCommand(), "--config", cfg.toString(), "--checkpoint", tmp.resolve("w.safetensors").toString(),
                "--to", cfg.toString());
        assertOneLine(r, "error: " + cfg + ": --to is the --config file itself; write the export elsewhere");
        assertArrayEquals(before, Files.readAllBytes(cfg));
    }

    @Test
    void trainRefusesABadLrAndContradictoryPretrainedOptionsAtOnce() throws IOException {
        Path wd = tmp.resolve("wd");
        assertOneLine(main("train", "--lr", "NaN", "--work-dir", wd.toString()), "error: --lr must be a positive number, got NaN");
        assertOneLine(main("train", "--lr", "-0.1", "--work-dir", wd.toString()), "error: --lr must be a positive number, got -0.1");
        assertOneLine(main("train", "--pretrained", "r18.pth", "--no-pretrained", "--work-dir", wd.toString()),
                "error: --pretrained r18.pth and --no-pretrained contradict each other: give one");
        assertOneLine(main("train", "--workers", "-3", "--work-dir", wd.toString()), "error: --workers must be >= 0, got -3");
        assertFalse(Files.exists(wd), "nothing written");
        assertTrue(Files.isDirectory(tmp));
    }
}
