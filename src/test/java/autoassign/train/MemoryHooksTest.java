package autoassign.train;

import autoassign.cli.CliRun;
import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.config.RuntimeConfig;
import autoassign.eval.DatasetEvaluation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MMDetection's MemoryProfilerHook (psutil's and memory_profiler's numbers from /proc, its line, its interval, after
 * training, val and test iterations) and MMEngine's EmptyCacheHook (its settings and the points of every loop where it
 * acts; on the CPU emptying the cache does nothing).
 */
class MemoryHooksTest {
    @TempDir Path tmp;

    @Test
    void lineHasPsutilsNumbers() {
        String meminfo = """
                MemTotal:       24576000 kB
                MemFree:         2048000 kB
                MemAvailable:   16384000 kB
                Buffers:          102400 kB
                Cached:          8192000 kB
                SwapCached:            0 kB
                SwapTotal:       2097152 kB
                SwapFree:        1048576 kB
                SReclaimable:     409600 kB
                """;
        String status = """
                Name:	java
                VmPeak:	 9000000 kB
                VmHWM:	  600000 kB
                VmRSS:	  512512 kB
                RssAnon:	  500000 kB
                """;
        // used = 24576000 − 2048000 − (8192000 + 409600) − 102400 = 13824000 kB = 13500 MB;
        // utilisation (24576000 − 16384000) / 24576000 = 33.333… → 33.3; swap 1024 MB used of 2048: 50.0;
        // memory_profiler's memory_usage()[0] is the RSS in MiB (psutil backend), 500.5, and round() gives the int 500
        assertEquals("Memory information available_memory: 16000 MB, used_memory: 13500 MB, memory_utilization: 33.3 %,"
                + " available_swap_memory: 1024 MB, used_swap_memory: 1024 MB, swap_memory_utilization: 50.0 %,"
                + " current_process_memory: 500 MB", MemoryProfiler.line(meminfo, status));
        assertTrue(MemoryProfiler.line(meminfo, status.replace("512512", "513536")).endsWith("current_process_memory: 502 MB"),
                "501.5 rounds half to even");
        String noSwap = meminfo.replace("SwapTotal:       2097152", "SwapTotal:             0").replace("SwapFree:        1048576",
                "SwapFree:              0");
        assertTrue(MemoryProfiler.line(noSwap, status).contains("used_swap_memory: 0 MB, swap_memory_utilization: 0.0 %"));
        assertTrue(MemoryProfiler.line().matches("Memory information available_memory: \\d+ MB, .* current_process_memory: \\d+ MB"),
                MemoryProfiler.line());
    }

    @Test
    void everyNInnerIterations() {
        MemoryProfiler p = new MemoryProfiler(3);
        assertFalse(p.due(0));
        assertFalse(p.due(1));
        assertTrue(p.due(2));
        assertTrue(p.due(5));
        assertThrows(IllegalArgumentException.class, () -> new MemoryProfiler(0));
    }

    @Test
    void hooksActAtTheirPointsOfEveryLoop() {
        List<String> lines = new ArrayList<>();
        int[] emptied = {0};
        MemoryHooks h = new MemoryHooks(2, new RuntimeConfig.EmptyCache(true, true, true), () -> emptied[0]++, () -> "line",
                lines::add);
        h.beforeEpoch();
        assertEquals(1, emptied[0]);
        DatasetEvaluation.Progress p = h.afterEachBatch(null);
        for (int b = 0; b < 5; b++) p.update(b + 1, 5); // a val / test loop of 5 batches: batch_idx 0..4
        assertEquals(List.of("line", "line"), lines, "after batch_idx 1 and 3");
        assertEquals(6, emptied[0], "after_iter after each batch");
        h.afterEpoch();
        assertEquals(7, emptied[0]);
        MemoryHooks defaults = new MemoryHooks(0, new RuntimeConfig.EmptyCache(false, true, false), () -> emptied[0]++,
                () -> "line", lines::add);
        defaults.beforeEpoch();
        defaults.afterIter(0);
        defaults.afterIter(49);
        assertEquals(7, emptied[0], "EmptyCacheHook's defaults: after the epoch only");
        defaults.afterEpoch();
        assertEquals(8, emptied[0]);
        assertEquals(2, lines.size(), "no MemoryProfilerHook: no line");
        MemoryHooks none = new MemoryHooks(0, null, () -> emptied[0]++, () -> "line", lines::add);
        assertTrue(none.none());
        DatasetEvaluation.Progress inner = (done, total) -> {};
        assertSame(inner, none.afterEachBatch(inner), "no hooks: the loop's own callback, untouched");
    }

    @Test
    void trainingValidationAndTestLoopsLogEveryIntervalBatches() throws Exception {
        TinyTrainConfig.write(tmp);
        Path file = tmp.resolve("tiny_test.yaml");
        String hooks = "custom_hooks=[{type: MemoryProfilerHook, interval: 2}, {type: EmptyCacheHook, after_iter: true}]";
        Config cfg = ConfigLoader.load(file, List.of(hooks));
        assertEquals(2, cfg.runtime().memoryProfilerInterval());
        assertEquals(new RuntimeConfig.EmptyCache(false, true, true), cfg.runtime().emptyCache());
        assertEquals(new RuntimeConfig.EmptyCache(false, true, false),
                ConfigLoader.load(file, List.of("custom_hooks=[{type: EmptyCacheHook}]")).runtime().emptyCache());
        assertEquals(null, ConfigLoader.load(file).runtime().emptyCache());
        assertEquals(0, ConfigLoader.load(file).runtime().memoryProfilerInterval());
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(file, List.of("custom_hooks=[{type: MemoryProfilerHook, interval: 0}]")));
        assertEquals("custom_hooks[0].interval", e.key());
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new Trainer(cfg, TrainOptions.defaults().withWorkDir(tmp.resolve("wd")).withDevice("cpu").withEpochs(1)
                .withDataRoot(tmp.resolve("data").toString()), new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        String text = log.toString(StandardCharsets.UTF_8);
        int val = text.indexOf("evaluating on 4 val images");
        assertTrue(val > 0, text);
        // 4 training iterations (batch_idx 1 and 3), then the validation's 4 batches of 1 (after_val_iter: 1 and 3 again)
        assertEquals(2, memoryLines(text.substring(0, val)), text);
        assertEquals(2, memoryLines(text.substring(val)), "MemoryProfilerHook.after_val_iter: " + text);

        // eval --config: the test loop's after_test_iter, its batches counted from 0
        CliRun run = CliRun.run(new autoassign.cli.EvalCommand(), "--config", file.toString(), "--checkpoint",
                tmp.resolve("wd/epoch_1.safetensors").toString(), "--device", "cpu", "--data", tmp.resolve("data").toString(),
                "--cfg-options", hooks.replace("interval: 2", "interval: 3"));
        assertEquals(0, run.code(), run.err());
        assertEquals(1, memoryLines(run.out()), "4 test batches, every 3rd: " + run.out());
        // sharded over 2 workers (dist_test): each runs its hooks over its 2 batches, rank 0's lines are logged
        CliRun sharded = CliRun.run(new autoassign.cli.EvalCommand(), "--config", file.toString(), "--checkpoint",
                tmp.resolve("wd/epoch_1.safetensors").toString(), "--cpu-workers", "2", "--data", tmp.resolve("data").toString(),
                "--cfg-options", hooks.replace("interval: 2", "interval: 1"));
        assertEquals(0, sharded.code(), sharded.err());
        assertEquals(2, memoryLines(sharded.out()), "rank 0's 2 test batches: " + sharded.out());
    }

    private static long memoryLines(String text) {
        return text.lines().filter(l -> l.startsWith("Memory information available_memory")).count();
    }
}
