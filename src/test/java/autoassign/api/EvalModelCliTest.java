package autoassign.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import autoassign.cli.CliRun;
import autoassign.cli.EvalCommand;
import autoassign.config.ConfigLoader;
import autoassign.data.SyntheticShapes;
import autoassign.eval.CocoDetections;
import autoassign.eval.CocoGroundTruth;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code eval --config CFG --checkpoint CKPT --data DIR} on a generated COCO-format folder. */
public class EvalModelCliTest {

    @TempDir
    Path tmp;

    static final String VAL = """
            val_dataloader:
              batch_size: 2
              num_workers: 0
              dataset:
                type: CocoDataset
                ann_file: annotations/instances_val.json
                data_prefix: {img: images/}
                test_mode: true
                metainfo: {classes: [red_circle, green_square, blue_triangle, yellow_diamond]}
                pipeline:
                  - {type: LoadImageFromFile}
                  - {type: Resize, scale: [256, 256], keep_ratio: true}
                  - {type: LoadAnnotations, with_bbox: true}
                  - {type: PackDetInputs}

            """;

    /** The tiny config with its val_dataloader replaced by {@link #VAL} (COCO-style files), then {@code extra}. */
    public static Path cocoStyleConfig(Path file, String extra) throws IOException {
        String tiny = Files.readString(DetectorTest.CONFIG);
        int a = tiny.indexOf("\nval_dataloader:");
        int b = tiny.indexOf("\nval_evaluator:");
        assertTrue(a > 0 && b > a, "tiny config layout changed");
        return Files.writeString(file, tiny.substring(0, a + 1) + VAL + extra + tiny.substring(b + 1));
    }

    @Test
    void evaluatesTheModelOnTheValSet() throws IOException {
        Path cfg = cocoStyleConfig(tmp.resolve("coco_style.yaml"), "");
        int classes = ConfigLoader.load(cfg).model().bboxHead().numClasses();

        Path data = tmp.resolve("data");
        SyntheticShapes.writeTo(data, SyntheticShapes.Params.defaults().withCounts(0, 3).withClasses(classes)
                .withSides(64, 96).withObjects(1, 2, 16, 40));
        Path ckpt = DetectorTest.writeCheckpoint(Files.createDirectories(tmp.resolve("ckpt")));
        Path json = tmp.resolve("out/metrics.json");
        Path dets = tmp.resolve("out/dets.json");

        StringWriter so = new StringWriter();
        StringWriter se = new StringWriter();
        CommandLine cl = new CommandLine(new EvalCommand());
        cl.setOut(new PrintWriter(so, true));
        cl.setErr(new PrintWriter(se, true));
        int code = cl.execute("--config", cfg.toString(), "--checkpoint", ckpt.toString(), "--data", data.toString(),
                "--device", "cpu", "--json", json.toString(), "--save-results", dets.toString(), "--mmdet",
                "--out", tmp.resolve("out/results.pkl").toString());
        assertEquals(0, code, se.toString());
        assertTrue(so.toString().contains("3 images' results -> " + tmp.resolve("out/results.pkl")), so.toString());
        assertEquals(12, so.toString().lines().filter(l -> l.startsWith(" Average")).count(), so.toString());
        assertEquals(12, new ObjectMapper().readTree(json.toFile()).get("stats").size());
        CocoGroundTruth gt = CocoGroundTruth.read(data.resolve("annotations/instances_val.json"));
        CocoDetections saved = CocoDetections.read(dets, gt);
        assertTrue(saved.size() > 0);

        // the saved results evaluate to the same numbers through the file mode
        StringWriter so2 = new StringWriter();
        CommandLine cl2 = new CommandLine(new EvalCommand());
        cl2.setOut(new PrintWriter(so2, true));
        assertEquals(0, cl2.execute("--ann", data.resolve("annotations/instances_val.json").toString(), "--results",
                dets.toString(), "--mmdet"));
        String table = so.toString().lines().filter(l -> !l.contains("results.pkl")).map(l -> l + "\n")
                .collect(java.util.stream.Collectors.joining());
        assertEquals(table, so2.toString());
        // so does MMDetection's test.py --out pickle that --out wrote (labels -> the categories in id order)
        CliRun fromPickle = CliRun.run(new EvalCommand(), "--ann", data.resolve("annotations/instances_val.json").toString(),
                "--results", tmp.resolve("out/results.pkl").toString(), "--mmdet");
        assertEquals(0, fromPickle.code(), fromPickle.err());
        assertEquals(table, fromPickle.out());
        assertEquals(saved.detections(), CocoDetections.read(tmp.resolve("out/results.pkl"), gt).detections());
        // eval_metric.py: --config with --results scores the file over the config's test set (the pickle or the json)
        // (with val_evaluator, as the script: a format-only test_evaluator changes nothing)
        for (Path f : new Path[] {tmp.resolve("out/results.pkl"), dets}) {
            CliRun metric = CliRun.run(new EvalCommand(), "--config", cfg.toString(), "--data", data.toString(), "--results",
                    f.toString(), "--mmdet", "--cfg-options", "test_evaluator={type: CocoMetric, format_only: true, outfile_prefix: "
                            + tmp.resolve("never") + "}");
            assertEquals(0, metric.code(), metric.err());
            assertEquals(table, metric.out());
        }
        CliRun metricSave = CliRun.run(new EvalCommand(), "--config", cfg.toString(), "--data", data.toString(), "--results",
                dets.toString(), "--save-results", tmp.resolve("x.json").toString());
        assertEquals(1, metricSave.code());
        assertTrue(metricSave.err().contains("need a model run (--checkpoint)"), metricSave.err());
        CliRun notPkl = CliRun.run(new EvalCommand(), "--config", cfg.toString(), "--checkpoint", ckpt.toString(), "--data",
                data.toString(), "--out", tmp.resolve("out/results.json").toString());
        assertEquals(1, notPkl.code());
        assertTrue(notPkl.err().contains("the dump file must be a .pkl or .pickle file"), notPkl.err());
        Path blocker = Files.writeString(tmp.resolve("a_file"), "x"); // a file where the folder would go: refused before the run
        CliRun noFolder = CliRun.run(new EvalCommand(), "--config", cfg.toString(), "--checkpoint", ckpt.toString(), "--data",
                data.toString(), "--out", blocker.resolve("r.pkl").toString());
        assertEquals(1, noFolder.code());
        assertTrue(noFolder.err().startsWith("error: --out " + blocker.resolve("r.pkl") + ": cannot create its folder"), noFolder.err());
        assertTrue(noFolder.out().isEmpty(), "nothing run: " + noFolder.out());

        // dist_test: the test set sharded over 2 workers (3 images: the last one repeated to fill the shards) gives
        // the same detections as one worker at batch size 1 (with larger batches the padding of a batch differs)
        // (--out and --show-dir too: rank 0 writes and draws once it has every image)
        Path one = tmp.resolve("out/one.json"), dets2 = tmp.resolve("out/dets2.json");
        Path onePkl = tmp.resolve("out/one.pkl"), twoPkl = tmp.resolve("out/two.pkl");
        CliRun single = CliRun.run(new EvalCommand(), "--config", cfg.toString(), "--checkpoint",
                ckpt.toString(), "--data", data.toString(), "--save-results", one.toString(), "--out", onePkl.toString(),
                "--cfg-options", "val_dataloader.batch_size=1");
        CliRun two = CliRun.run(new EvalCommand(), "--config", cfg.toString(), "--checkpoint",
                ckpt.toString(), "--data", data.toString(), "--cpu-workers", "2", "--save-results", dets2.toString(),
                "--out", twoPkl.toString(), "--show-dir", tmp.resolve("pics2").toString(), "--cfg-options", "val_dataloader.batch_size=1");
        assertEquals(0, single.code(), single.err());
        assertEquals(0, two.code(), two.err());
        assertEquals(single.out().replace(onePkl.toString(), twoPkl.toString()),
                two.out().lines().filter(l -> !l.contains("pictures")).map(l -> l + "\n").collect(java.util.stream.Collectors.joining()));
        assertEquals(Files.readString(one), Files.readString(dets2));
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(onePkl), Files.readAllBytes(twoPkl)), "--out: the same pickle");
        assertTrue(two.out().contains("3 pictures"), two.out());
        String singleTable = single.out().lines().filter(l -> !l.contains(onePkl.toString())).map(l -> l + "\n")
                .collect(java.util.stream.Collectors.joining());
        // --tta with one variant (not flipped) merged at the test NMS threshold is the plain run again (NMS of an NMS output);
        // the default flip TTA runs too
        Path ttaDets = tmp.resolve("out/tta1.json");
        CliRun tta1 = CliRun.run(new EvalCommand(), "--config", cfg.toString(), "--checkpoint",
                ckpt.toString(), "--data", data.toString(), "--tta", "--save-results", ttaDets.toString(), "--cfg-options",
                "val_dataloader.batch_size=1", "tta_model={type: DetTTAModel, tta_cfg: {nms: {type: nms, iou_threshold: 0.6}, "
                        + "max_per_img: 100}}", "tta_pipeline=[{type: LoadImageFromFile}, {type: TestTimeAug, transforms: "
                        + "[[{type: RandomFlip, prob: 0.0}], [{type: PackDetInputs}]]}]");
        assertEquals(0, tta1.code(), tta1.err());
        assertEquals(singleTable, tta1.out());
        assertEquals(Files.readString(one), Files.readString(ttaDets));
        CliRun flips = CliRun.run(new EvalCommand(), "--config", cfg.toString(), "--checkpoint",
                ckpt.toString(), "--data", data.toString(), "--tta", "--cfg-options", "val_dataloader.batch_size=1");
        assertEquals(0, flips.code(), flips.err());
        assertEquals(12, flips.out().lines().filter(l -> l.startsWith(" Average")).count(), flips.out());
        // and sharded over two workers, the same numbers (each shard runs the same TTA)
        CliRun flips2 = CliRun.run(new EvalCommand(), "--config", cfg.toString(), "--checkpoint",
                ckpt.toString(), "--data", data.toString(), "--tta", "--cpu-workers", "2", "--cfg-options", "val_dataloader.batch_size=1");
        assertEquals(0, flips2.code(), flips2.err());
        assertEquals(flips.out(), flips2.out());
        // its results pickle carries the first variant's meta, as DetTTAModel keeps data_samples[0]: the default TTA's
        // first variant is the flipped one, whose TTA PackDetInputs adds flip / flip_direction after scale_factor
        Path ttaPkl = tmp.resolve("out/tta.pkl");
        CliRun dumped = CliRun.run(new EvalCommand(), "--config", cfg.toString(), "--checkpoint", ckpt.toString(), "--data",
                data.toString(), "--tta", "--out", ttaPkl.toString(), "--cfg-options", "val_dataloader.batch_size=1");
        assertEquals(0, dumped.code(), dumped.err());
        var entry = (java.util.Map<?, ?>) ((List<?>) autoassign.io.PthReader.readPickle(ttaPkl)).get(0);
        assertEquals(List.of("img_id", "img_path", "ori_shape", "img_shape", "scale_factor", "flip", "flip_direction",
                "batch_input_shape", "pad_shape", "pred_instances"), List.copyOf(entry.keySet().stream().map(Object::toString).toList()));
        assertEquals(Boolean.TRUE, entry.get("flip"));
        assertEquals("horizontal", entry.get("flip_direction"));
        var plain = (java.util.Map<?, ?>) ((List<?>) autoassign.io.PthReader.readPickle(tmp.resolve("out/results.pkl"))).get(0);
        assertFalse(plain.containsKey("flip"), "no flip keys without TTA (the test pipeline has no RandomFlip)");

    }

    @Test
    void formatOnlyWritesTheDetectionsOfATestSetWithoutAnnotations() throws IOException {
        Path out = tmp.resolve("out");
        // MMDetection's test-dev setup: a test_dataloader over an image-info file, a format-only test_evaluator
        String test = VAL.replace("val_dataloader:", "test_dataloader:").replace("instances_val.json", "image_info_test.json")
                + "test_evaluator: {type: CocoMetric, format_only: true, outfile_prefix: " + out.resolve("test") + "}\n\n";
        Path cfg = cocoStyleConfig(tmp.resolve("test_dev_style.yaml"), test);
        int classes = ConfigLoader.load(cfg).model().bboxHead().numClasses();
        Path data = tmp.resolve("data");
        SyntheticShapes.writeTo(data, SyntheticShapes.Params.defaults().withCounts(0, 3).withClasses(classes)
                .withSides(64, 96).withObjects(1, 2, 16, 40));
        com.fasterxml.jackson.databind.node.ObjectNode info = (com.fasterxml.jackson.databind.node.ObjectNode)
                new ObjectMapper().readTree(data.resolve("annotations/instances_val.json").toFile());
        info.remove("annotations");
        new ObjectMapper().writeValue(data.resolve("annotations/image_info_test.json").toFile(), info);
        Path ckpt = DetectorTest.writeCheckpoint(Files.createDirectories(tmp.resolve("ckpt")));

        CliRun formatOnly = CliRun.run(new EvalCommand(), "--config", cfg.toString(), "--checkpoint", ckpt.toString(), "--data",
                data.toString(), "--device", "cpu");
        assertEquals(0, formatOnly.code(), formatOnly.err());
        Path written = out.resolve("test.bbox.json");
        assertTrue(formatOnly.out().strip().endsWith("detections on 3 images -> " + written + " (format only: not evaluated)"),
                formatOnly.out());
        assertTrue(formatOnly.out().lines().noneMatch(l -> l.startsWith(" Average")), "not evaluated");

        // the same detections as a normal evaluation of the val set (same images), switched by --cfg-options
        Path dets = tmp.resolve("val_dets.json");
        CliRun evaluated = CliRun.run(new EvalCommand(), "--config", cfg.toString(), "--checkpoint", ckpt.toString(), "--data",
                data.toString(), "--device", "cpu", "--save-results", dets.toString(),
                "--cfg-options", "test_dataloader.dataset.ann_file=annotations/instances_val.json,test_evaluator.format_only=false");
        assertEquals(0, evaluated.code(), evaluated.err());
        assertEquals(12, evaluated.out().lines().filter(l -> l.startsWith(" Average")).count(), evaluated.out());
        assertEquals(new ObjectMapper().readTree(dets.toFile()), new ObjectMapper().readTree(written.toFile()));

        // format only with nowhere to write: a one-line error
        CliRun nowhere = CliRun.run(new EvalCommand(), "--config", cfg.toString(), "--checkpoint", ckpt.toString(), "--data",
                data.toString(), "--device", "cpu", "--format-only", "--cfg-options", "test_evaluator.outfile_prefix=None");
        assertEquals(1, nowhere.code());
        assertTrue(nowhere.err().startsWith("error: format-only: nowhere to write the detections"), nowhere.err());
    }

    @Test
    void modesAreExclusive() {
        CommandLine cl = new CommandLine(new EvalCommand());
        cl.setErr(new PrintWriter(new StringWriter(), true));
        assertEquals(2, cl.execute("--ann", "a.json", "--config", "c.yaml", "--checkpoint", "x"));
        assertEquals(2, cl.execute("--ann", "a.json"));
    }
}
