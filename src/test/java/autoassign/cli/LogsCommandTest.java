package autoassign.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code logs}: analyze_logs.py's plot_curve and cal_train_time over metrics.jsonl files and MMEngine's json logs. */
class LogsCommandTest {
    @TempDir Path tmp;

    private int logs(StringWriter out, StringWriter err, String... args) {
        CliRun r = CliRun.run(new LogsCommand(), args);
        out.write(r.out());
        err.write(r.err());
        return r.code();
    }

    /** Two epochs of 3 logged windows each (times in seconds), a validation after each. */
    private Path log(String name, double... times) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < times.length; i++) {
            int epoch = i / 3 + 1;
            b.append(String.format(java.util.Locale.ROOT, "{\"mode\":\"train\",\"epoch\":%d,\"iter\":%d,\"lr\":0.01,\"time\":%s,"
                    + "\"loss\":%s,\"loss_pos\":1.0}%n", epoch, (i + 1) * 10, times[i], 2.0 - 0.1 * i));
            if (i % 3 == 2) b.append(String.format(java.util.Locale.ROOT, "{\"mode\":\"val\",\"epoch\":%d,\"iter\":%d,\"bbox_mAP\":%s}%n",
                    epoch, (i + 1) * 10, 0.1 * epoch));
        }
        b.append("{\"mode\":\"train\",\"epo"); // a line cut by a crash
        Path f = tmp.resolve(name);
        Files.writeString(f, b.toString());
        return f;
    }

    @Test
    void timeIsCalTrainTimeWithoutEachEpochsFirstWindow() throws Exception {
        Path a = log("a.jsonl", 9.0, 1.0, 1.2, 5.0, 2.0, 2.2);
        StringWriter out = new StringWriter(), err = new StringWriter();
        assertEquals(0, logs(out, err, "time", a.toString()), err.toString());
        String text = out.toString();
        assertTrue(text.contains("slowest epoch 2, average time is 2.1000 s/iter"), text);
        assertTrue(text.contains("fastest epoch 1, average time is 1.1000 s/iter"), text);
        assertTrue(text.contains("time std over epochs is 0.5000"), text);
        assertTrue(text.contains("average iter time: 1.6000 s/iter"), text);
        StringWriter all = new StringWriter();
        assertEquals(0, logs(all, new StringWriter(), "time", a.toString(), "--include-outliers"));
        assertTrue(all.toString().contains("slowest epoch 1, average time is 3.7333 s/iter"), all.toString());
    }

    @Test
    void averageIterTimeIsTheMeanOfTheEpochMeans() throws Exception {
        // analyze_logs.py cal_train_time prints np.mean(epoch_ave_time): with epochs of unequal length (a shorter last
        // epoch, a resumed run) that is not the mean over all windows
        StringBuilder b = new StringBuilder();
        double[][] epochs = {{9.0, 1.0, 1.2, 1.4, 1.6}, {5.0, 2.0}};
        int iter = 0;
        for (int e = 0; e < epochs.length; e++)
            for (double t : epochs[e])
                b.append(String.format(java.util.Locale.ROOT, "{\"mode\":\"train\",\"epoch\":%d,\"iter\":%d,\"lr\":0.01,"
                        + "\"time\":%s,\"loss\":1.0}%n", e + 1, iter += 10, t));
        Path f = Files.writeString(tmp.resolve("uneven.jsonl"), b.toString());
        StringWriter out = new StringWriter(), err = new StringWriter();
        assertEquals(0, logs(out, err, "time", f.toString()), err.toString());
        assertTrue(out.toString().contains("fastest epoch 1, average time is 1.3000 s/iter"), out.toString());
        assertTrue(out.toString().contains("average iter time: 1.6500 s/iter"), out.toString()); // (1.3 + 2.0) / 2, not 1.44
    }

    /** The same run as {@link #log}, as MMEngine's LocalVisBackend writes it: {@code <dir>/<timestamp>/vis_data/scalars.json}. */
    private Path mmengineRun(String dir, double... times) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < times.length; i++) {
            int epoch = i / 3 + 1;
            b.append(String.format(java.util.Locale.ROOT, "{\"lr\": 0.01, \"data_time\": 0.05, \"loss\": %s, \"loss_pos\": 1.0, "
                    + "\"time\": %s, \"epoch\": %d, \"iter\": %d, \"memory\": 3000, \"step\": %d}%n", 2.0 - 0.1 * i, times[i], epoch,
                    (i + 1) * 10, (i + 1) * 10));
            if (i % 3 == 2) b.append(String.format(java.util.Locale.ROOT, "{\"coco/bbox_mAP\": %s, \"coco/bbox_mAP_50\": 0.5, "
                    + "\"data_time\": 0.3, \"time\": 0.7, \"step\": %d}%n", 0.1 * epoch, epoch));
        }
        Path old = Files.createDirectories(tmp.resolve(dir + "/20240101_110000/vis_data"));
        Files.writeString(old.resolve("scalars.json"), "{\"lr\": 0.5, \"loss\": 9.0, \"time\": 99.0, \"epoch\": 1, \"iter\": 1, \"step\": 1}\n");
        Path vis = Files.createDirectories(tmp.resolve(dir + "/20240101_120000/vis_data"));
        Files.writeString(vis.resolve("scalars.json"), b.toString());
        return tmp.resolve(dir);
    }

    @Test
    void mmenginesJsonLogsReadAsMetricsLogs() throws Exception {
        Path ours = log("a.jsonl", 9.0, 1.0, 1.2, 5.0, 2.0, 2.2), mmdet = mmengineRun("mmdet_run", 9.0, 1.0, 1.2, 5.0, 2.0, 2.2);
        StringWriter a = new StringWriter(), b = new StringWriter(), err = new StringWriter();
        assertEquals(0, logs(a, err, "time", ours.toString()), err.toString());
        assertEquals(0, logs(b, err, "time", mmdet.toString()), err.toString()); // a work dir: its newest run's scalars.json
        assertTrue(b.toString().startsWith("note: " + mmdet + " holds 1 earlier run(s); reading the newest, "), b.toString());
        assertTrue(b.toString().contains("20240101_120000/vis_data/scalars.json"), b.toString());
        assertEquals(a.toString().lines().skip(1).toList(), b.toString().lines().skip(2).toList(), "the same numbers");
        java.util.List<java.util.Map<String, Object>> records = LogsCommand.read(LogsCommand.logOf(mmdet));
        assertEquals(java.util.Map.of("mode", "val", "epoch", 1, "iter", 30, "bbox_mAP", 0.1, "bbox_mAP_50", 0.5), records.get(3));
        assertEquals(3000, records.get(0).get("memory_mb"));
        Path png = tmp.resolve("both.png");
        assertEquals(0, logs(new StringWriter(), err, "plot", ours.toString(), mmdet.toString(), "--keys", "bbox_mAP", "--out",
                png.toString()), err.toString());
        assertNotNull(ImageIO.read(png.toFile()));

        // an iteration-based MMEngine log: no epoch in the train lines, validations at step = iteration
        Path iters = Files.writeString(tmp.resolve("iter_scalars.json"), "{\"lr\": 0.01, \"loss\": 2.0, \"time\": 1.0, \"iter\": 50, "
                + "\"step\": 50}\n{\"coco/bbox_mAP\": 0.2, \"data_time\": 0.1, \"time\": 0.2, \"step\": 50}\n");
        java.util.List<java.util.Map<String, Object>> it = LogsCommand.read(iters);
        assertEquals(java.util.Map.of("mode", "val", "iter", 50, "bbox_mAP", 0.2), it.get(1));
        assertEquals(0, logs(new StringWriter(), err, "plot", iters.toString(), "--keys", "bbox_mAP", "--out",
                tmp.resolve("it.png").toString()), err.toString());
    }

    /** An MMDetection run with classwise=True: its validation lines hold Python's bare NaN (a class without ground truth). */
    @Test
    void mmengineValidationLinesWithNaNAreRead() throws Exception {
        Path f = Files.writeString(tmp.resolve("nan_scalars.json"), "{\"lr\": 0.01, \"loss\": 2.0, \"time\": 1.0, \"epoch\": 1, "
                + "\"iter\": 10, \"memory\": 100, \"step\": 10}\n{\"coco/person_precision\": 0.5, \"coco/bicycle_precision\": NaN, "
                + "\"coco/bbox_mAP\": 0.25, \"data_time\": 0.1, \"time\": 0.2, \"step\": 1}\n");
        StringWriter err = new StringWriter();
        assertEquals(0, logs(new StringWriter(), err, "plot", f.toString(), "--keys", "bbox_mAP", "--out",
                tmp.resolve("nan.png").toString()), err.toString());
        assertEquals(0.25, LogsCommand.read(f).get(1).get("bbox_mAP"));
    }

    @Test
    void plotDrawsKeysOfSeveralRuns() throws Exception {
        Path a = log("a.jsonl", 1, 1, 1, 1, 1, 1), b = log("b.jsonl", 1, 1, 1, 1, 1, 1);
        Path png = tmp.resolve("loss.png"), map = tmp.resolve("map.png");
        StringWriter out = new StringWriter(), err = new StringWriter();
        assertEquals(0, logs(out, err, "plot", a.toString(), b.toString(), "--keys", "loss", "loss_pos", "--legend", "a", "a_pos",
                "b", "b_pos", "--out", png.toString()), err.toString());
        assertNotNull(ImageIO.read(png.toFile()));
        assertEquals(0, logs(new StringWriter(), err, "plot", a.toString(), "--keys", "bbox_mAP", "--out", map.toString()), err.toString());
        assertNotNull(ImageIO.read(map.toFile()));
        StringWriter e1 = new StringWriter();
        assertNotEquals(0, logs(new StringWriter(), e1, "plot", a.toString(), "--keys", "loss", "bbox_mAP"));
        assertTrue(e1.toString().contains("plot them separately"), e1.toString());
        StringWriter e2 = new StringWriter();
        assertNotEquals(0, logs(new StringWriter(), e2, "plot", a.toString(), "--keys", "grad_norm"));
        assertTrue(e2.toString().contains("a.jsonl: no record has 'grad_norm'"), e2.toString());
        StringWriter e3 = new StringWriter();
        assertNotEquals(0, logs(new StringWriter(), e3, "time", tmp.resolve("missing.jsonl").toString()));
        assertTrue(e3.toString().contains("missing.jsonl: no such log"), e3.toString());
    }

    /** analyze_logs.py's sub-command names and plot options are accepted; each time block ends with a blank line. */
    @Test
    void acceptsAnalyzeLogsCommandLines() throws Exception {
        Path a = log("mm.jsonl", 9.0, 1.0, 1.2, 5.0, 2.0, 2.2);
        StringWriter out = new StringWriter(), err = new StringWriter();
        assertEquals(0, logs(out, err, "cal_train_time", a.toString()), err.toString());
        assertTrue(out.toString().contains("average iter time: 1.6000 s/iter" + System.lineSeparator() + System.lineSeparator()),
                out.toString());
        Path png = tmp.resolve("map.png");
        StringWriter out2 = new StringWriter(), err2 = new StringWriter();
        assertEquals(0, logs(out2, err2, "plot_curve", a.toString(), "--keys", "bbox_mAP", "--start-epoch", "1",
                "--eval-interval", "1", "--out", png.toString()), err2.toString());
        assertTrue(Files.isRegularFile(png));
    }
}
