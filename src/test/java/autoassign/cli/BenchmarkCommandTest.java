package autoassign.cli;

import autoassign.config.ConfigLoader;
import autoassign.io.ModelWeights;
import autoassign.model.AutoAssignDetector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code benchmark} prints what MMDetection's benchmark.py prints for its three tasks on the synthetic data set
 * (generated on first use), with its arithmetic: a run's time per item is 1000 / its rounded fps, and several runs
 * are averaged.
 */
class BenchmarkCommandTest {
    static final String CONFIG = "autoassign_tiny_synthetic";
    @TempDir Path tmp;

    @Test
    void inferenceLogsEveryIntervalAndTheOverallFps() throws Exception {
        Path ck = tmp.resolve("tiny.safetensors");
        ModelWeights.save(ck, new AutoAssignDetector(ConfigLoader.loadNamed(CONFIG, java.util.List.of()).model(), 0), Map.of());
        CliRun r = CliRun.run(new BenchmarkCommand(), "--config", CONFIG, "--checkpoint", ck.toString(), "--task", "inference",
                "--max-iter", "8", "--log-interval", "4", "--num-warmup", "2", "--device", "cpu", "--data-root", tmp.resolve("data").toString());
        assertEquals(0, r.code(), r.err() + r.out());
        String out = r.out();
        assertTrue(out.startsWith("before build: \n(GB) mem_used: "), out);
        assertTrue(out.contains("\nDone image [4  /8], fps: "), out);
        assertTrue(out.contains("\nDone image [8  /8], fps: "), out);
        assertTrue(out.contains("============== Done =================="), out);
        Matcher m = Pattern.compile("Overall fps: ([0-9.]+) img/s, times per image: ([0-9.]+) ms/img").matcher(out);
        assertTrue(m.find(), out);
        double fps = Double.parseDouble(m.group(1)), per = Double.parseDouble(m.group(2));
        assertEquals(Math.round(1000 / fps * 10) / 10.0, per, 1e-9, out);
    }

    @Test
    void dataloaderRunsAreAveraged() {
        CliRun r = CliRun.run(new BenchmarkCommand(), "--config", CONFIG, "--dataset-type", "val", "--max-iter", "6",
                "--log-interval", "3", "--num-warmup", "1", "--repeat-num", "2", "--data-root", tmp.resolve("data").toString());
        assertEquals(0, r.code(), r.err() + r.out());
        Matcher m = Pattern.compile("Overall fps: \\[([0-9.]+), ([0-9.]+)\\]\\[([0-9.]+)\\] img/s, times per batch: "
                + "\\[([0-9.]+), ([0-9.]+)\\]\\[([0-9.]+)\\] ms/batch, batch size: (\\d+), num_workers: (\\d+)").matcher(r.out());
        assertTrue(m.find(), r.out());
        double a = Double.parseDouble(m.group(1)), b = Double.parseDouble(m.group(2));
        assertEquals(String.format(java.util.Locale.ROOT, "%.1f", (a + b) / 2), m.group(3), r.out());
        assertTrue(r.out().contains("Done batch [3  /6], fps: "), r.out());
    }

    @Test
    void datasetTimesTheRecordAndThePipelineAndSaysWhenTheDataEnds() {
        CliRun r = CliRun.run(new BenchmarkCommand(), "--config", CONFIG, "--task", "dataset", "--max-iter", "1000",
                "--log-interval", "25", "--data-root", tmp.resolve("data").toString());
        assertEquals(0, r.code(), r.err() + r.out());
        String out = r.out();
        assertTrue(out.contains("\nget_data_info - ") && out.contains("\nPipeline - "), out);
        assertTrue(out.contains("\nDone img [25 /1000], fps: "), out);
        assertTrue(!out.contains("(GB) mem_used") && !out.contains("before build"), "the dataset task logs no memory: " + out);
        assertTrue(out.matches("(?s).*the data ended after \\d+ of --max-iter 1000 iterations: fps over the \\d+ timed ones.*"), out);
        assertTrue(out.contains("Overall fps: ") && out.contains(" img/s, times per img: "), out);
    }

    @Test
    void badArgumentsAreOneLineErrors() {
        assertError("--task must be inference, dataloader or dataset, got speed", "--config", CONFIG, "--task", "speed");
        assertError("--task inference needs --checkpoint", "--config", CONFIG, "--task", "inference");
        assertError("dataset_type only supports train, val and test, but got all", "--config", CONFIG, "--dataset-type", "all");
        assertError("nothing was timed", "--config", CONFIG, "--task", "dataset", "--num-warmup", "5000",
                "--data-root", tmp.resolve("data").toString());
    }

    private static void assertError(String message, String... args) {
        CliRun r = CliRun.run(new BenchmarkCommand(), args);
        assertNotEquals(0, r.code(), r.out());
        assertTrue(r.err().contains(message), r.err());
    }
}
