package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.config.RuntimeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MMDetection's MemoryProfilerHook (psutil's numbers from /proc, its line, its interval, in a training run) and
 * MMEngine's EmptyCacheHook (its settings; on the CPU emptying the cache does nothing).
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
        String smaps = """
                00400000-7ffd0000 ---p 00000000 00:00 0                                  [rollup]
                Rss:              900000 kB
                Private_Clean:      1024 kB
                Private_Dirty:    511488 kB
                Private_Hugetlb:       0 kB
                """;
        // used = 24576000 − 2048000 − (8192000 + 409600) − 102400 = 13824000 kB = 13500 MB;
        // utilisation (24576000 − 16384000) / 24576000 = 33.333… → 33.3; swap 1024 MB used of 2048: 50.0
        assertEquals("Memory information available_memory: 16000 MB, used_memory: 13500 MB, memory_utilization: 33.3 %,"
                + " available_swap_memory: 1024 MB, used_swap_memory: 1024 MB, swap_memory_utilization: 50.0 %,"
                + " current_process_memory: 500.5 MB", MemoryProfiler.line(meminfo, smaps));
        String noSwap = meminfo.replace("SwapTotal:       2097152", "SwapTotal:             0").replace("SwapFree:        1048576",
                "SwapFree:              0");
        assertTrue(MemoryProfiler.line(noSwap, smaps).contains("used_swap_memory: 0 MB, swap_memory_utilization: 0.0 %"));
        assertTrue(MemoryProfiler.line().startsWith("Memory information available_memory: "), MemoryProfiler.line());
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
    void trainingLogsEveryIntervalIterations() throws Exception {
        TinyTrainConfig.write(tmp);
        Path file = tmp.resolve("tiny_test.yaml");
        Config cfg = ConfigLoader.load(file, List.of("custom_hooks=[{type: MemoryProfilerHook, interval: 2},"
                + " {type: EmptyCacheHook, after_iter: true}]"));
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
        long lines = log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("Memory information available_memory")).count();
        assertEquals(2, lines, "4 iterations, every 2nd: " + log.toString(StandardCharsets.UTF_8));
    }
}
