package autoassign.io;

import autoassign.cli.CliRun;
import autoassign.cli.ExportCommand;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.io.pickle.PyTuple;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The {@code export} command end to end: an engine checkpoint out as an MMDetection checkpoint, and back. */
class ExportCliTest {
    static final String CONFIG = "autoassign_tiny_synthetic";

    @TempDir Path tmp;
    Path checkpoint;
    AutoAssignDetector model;

    @BeforeEach
    void engineCheckpoint() throws IOException {
        Config cfg = ConfigLoader.loadNamed(CONFIG, List.of());
        model = new AutoAssignDetector(cfg.model(), 11);
        checkpoint = tmp.resolve("epoch_3.safetensors");
        ModelWeights.save(checkpoint, model, Map.of("epoch", "3", "global_iter", "240", "seed", "11"));
    }

    private Path export() {
        Path out = tmp.resolve("mmdet.pth");
        CliRun r = CliRun.run(new ExportCommand(), "--config", CONFIG, "--checkpoint", checkpoint.toString(), "--to", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().startsWith(checkpoint + " -> " + out + ": " + model.stateDict().size() + " tensors"), r.out());
        return out;
    }

    @Test
    void publishNamesTheFileAfterItsHash() throws Exception {
        Path out = tmp.resolve("autoassign_tiny.pth");
        CliRun r = CliRun.run(new ExportCommand(), "--config", CONFIG, "--checkpoint", checkpoint.toString(), "--to",
                out.toString(), "--publish");
        assertEquals(0, r.code(), r.err());
        java.util.List<Path> files;
        try (var s = java.nio.file.Files.list(tmp)) {
            files = s.filter(p -> p.getFileName().toString().startsWith("autoassign_tiny-")).toList();
        }
        assertEquals(1, files.size(), "OUT-<hash>.pth, and OUT.pth renamed away");
        assertTrue(!java.nio.file.Files.exists(out));
        byte[] sha = java.security.MessageDigest.getInstance("SHA-256").digest(java.nio.file.Files.readAllBytes(files.get(0)));
        assertEquals("autoassign_tiny-" + java.util.HexFormat.of().formatHex(sha).substring(0, 8) + ".pth", files.get(0).getFileName().toString());
        assertTrue(r.out().contains(" -> " + files.get(0) + ": "), r.out());
        // publish_model.py: torch.save(..., _use_new_zipfile_serialization=False), a legacy file, not a zip
        byte[] head = java.util.Arrays.copyOf(java.nio.file.Files.readAllBytes(files.get(0)), 2);
        assertFalse(head[0] == 'P' && head[1] == 'K', "a legacy torch.save file, not a zip archive");
        Map<?, ?> root = (Map<?, ?>) PthReader.read(files.get(0)).root();
        assertEquals(List.of("meta", "state_dict"), List.copyOf(root.keySet()));
        assertEquals(ModelWeights.checkpointTensors(model), StateDicts.find(root), "every tensor bit-exact");
    }

    /** export --to m.pth, then export --to m.pth --publish: the first file stays, only m-<hash>.pth is added. */
    @Test
    void publishLeavesAnEarlierExportOfThatNameAlone() throws Exception {
        Path out = tmp.resolve("m.pth");
        assertEquals(0, CliRun.run(new ExportCommand(), "--config", CONFIG, "--checkpoint", checkpoint.toString(), "--to",
                out.toString()).code());
        byte[] before = java.nio.file.Files.readAllBytes(out);
        CliRun r = CliRun.run(new ExportCommand(), "--config", CONFIG, "--checkpoint", checkpoint.toString(), "--to",
                out.toString(), "--publish");
        assertEquals(0, r.code(), r.err());
        assertTrue(java.nio.file.Files.exists(out), "the earlier export is not overwritten and renamed away");
        assertArrayEquals(before, java.nio.file.Files.readAllBytes(out));
        try (var s = java.nio.file.Files.list(tmp)) {
            List<String> names = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("m") || n.startsWith(".m")).sorted().toList();
            assertEquals(2, names.size(), names.toString()); // m.pth and m-<hash>.pth, no temp file left
            assertTrue(names.get(0).matches("m-[0-9a-f]{8}\\.pth"), names.toString());
        }
    }

    @Test
    void exportWritesTheMmdetLayoutAndLoadsBackBitExact() throws IOException {
        Path out = export();
        PthFile pth = PthReader.read(out);
        Map<?, ?> root = (Map<?, ?>) pth.root();
        assertEquals(List.of("meta", "state_dict"), List.copyOf(root.keySet()));
        Map<?, ?> meta = (Map<?, ?>) root.get("meta");
        assertEquals(3L, meta.get("epoch"));
        assertEquals(240L, meta.get("iter"));
        assertEquals(11L, meta.get("seed"));
        assertEquals(PyTuple.of("red_circle", "green_square", "blue_triangle", "yellow_diamond"),
                ((Map<?, ?>) meta.get("dataset_meta")).get("classes"));
        Map<String, RawTensor> sd = StateDicts.find(root);
        assertEquals(ModelWeights.checkpointTensors(model), sd, "every tensor bit-exact, counters as int64");
        assertTrue(sd.keySet().stream().anyMatch(k -> k.startsWith("bbox_head.")));

        AutoAssignDetector fresh = new AutoAssignDetector(ConfigLoader.loadNamed(CONFIG, List.of()).model(), 99);
        ModelWeights.load(out, fresh, true);
        Map<String, Tensor> a = model.stateDict(), b = fresh.stateDict();
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), k);
    }

    @Test
    void anExportNeverReplacesItsCheckpointOrTakesASafetensorsName() throws IOException {
        Path copy = Files.copy(checkpoint, tmp.resolve("copy.safetensors"));
        byte[] before = Files.readAllBytes(copy);
        CliRun same = CliRun.run(new ExportCommand(), "--config", CONFIG, "--checkpoint", copy.toString(), "--to", copy.toString());
        assertEquals(1, same.code());
        assertTrue(same.err().strip().equals("error: " + copy + ": export writes a torch.save .pth or an .onnx file, not safetensors"
                + " (import --from X.pth --to Y.safetensors converts the other way)"), same.err());
        Path pthCopy = tmp.resolve("ck.pth");
        assertEquals(0, CliRun.run(new ExportCommand(), "--config", CONFIG, "--checkpoint", copy.toString(), "--to", pthCopy.toString()).code());
        byte[] pthBefore = Files.readAllBytes(pthCopy);
        CliRun self = CliRun.run(new ExportCommand(), "--config", CONFIG, "--checkpoint", pthCopy.toString(), "--to", pthCopy.toString());
        assertEquals("error: " + pthCopy + ": --to is the --checkpoint file itself; write the export elsewhere", self.err().strip());
        assertArrayEquals(before, Files.readAllBytes(copy));
        assertArrayEquals(pthBefore, Files.readAllBytes(pthCopy));
        CliRun imp = CliRun.run(new autoassign.cli.ImportCommand(), "--from", pthCopy.toString(), "--to", pthCopy.toString());
        assertEquals("error: " + pthCopy + ": --to is the --from file itself; write the import elsewhere", imp.err().strip());
        assertArrayEquals(pthBefore, Files.readAllBytes(pthCopy));
    }

    @Test
    void aCheckpointOfAnotherModelFailsInOneLineAndWritesNothing() throws IOException {
        Path other = tmp.resolve("r18.safetensors");
        ModelWeights.save(other, new AutoAssignDetector(ConfigLoader.loadNamed("autoassign_r18_coco128", List.of()).model(), 1), Map.of());
        Path dir = Files.createDirectories(tmp.resolve("out"));
        for (String[] c : new String[][] {{CONFIG, other.toString()}, {CONFIG, tmp.resolve("missing.safetensors").toString()},
                {"no_such_config", checkpoint.toString()}}) {
            CliRun r = CliRun.run(new ExportCommand(), "--config", c[0], "--checkpoint", c[1], "--to", dir.resolve("x.pth").toString());
            assertEquals(1, r.code(), String.join(" ", c));
            String err = r.err().strip();
            assertTrue(err.startsWith("error: "), err);
            assertFalse(err.contains("\n"), "one line: " + err);
            assertFalse(err.contains("Exception"), err);
            assertTrue(err.length() < 400, "short enough to read: " + err);
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(0, s.count(), "nothing written for " + String.join(" ", c));
            }
        }
    }

    @Test
    void classNamesTravelWithTheCheckpoint() throws IOException {
        Path named = tmp.resolve("named.safetensors");
        ModelWeights.save(named, model, Map.of("classes", "[\"cat\",\"dog\",\"cow\",\"owl\"]", "category_ids", "[3,5,7,9]"));
        Config cfg = ConfigLoader.loadNamed(CONFIG, List.of());
        assertEquals(List.of("cat", "dog", "cow", "owl"), autoassign.api.Detector.classNames(cfg, named), "the checkpoint's names win over defaults");
        assertEquals(List.of("red_circle", "green_square", "blue_triangle", "yellow_diamond"), autoassign.api.Detector.classNames(cfg, checkpoint));
        Path out = tmp.resolve("named.pth");
        assertEquals(0, CliRun.run(new ExportCommand(), "--config", CONFIG, "--checkpoint", named.toString(), "--to", out.toString()).code());
        Map<?, ?> meta = (Map<?, ?>) ((Map<?, ?>) PthReader.read(out).root()).get("meta");
        assertEquals(PyTuple.of("cat", "dog", "cow", "owl"), ((Map<?, ?>) meta.get("dataset_meta")).get("classes"));
        assertEquals(List.of("cat", "dog", "cow", "owl"), autoassign.api.Detector.classNames(cfg, out), "and MMDetection's meta.dataset_meta.classes");
    }

    /** A python that can import torch, or null (CI has none: then the check is skipped). */
    private static String pythonWithTorch() {
        for (String py : List.of("python3", "/usr/bin/python3")) {
            try {
                Process p = new ProcessBuilder(py, "-c", "import torch").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) return py;
            } catch (IOException e) {
                // not this one
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    @Test
    void torchLoadsTheExportWithWeightsOnly() throws Exception {
        String py = pythonWithTorch();
        assumeTrue(py != null, "skipped: no python3 with torch here");
        Path out = export();
        String script = String.join("\n",
                "import sys, hashlib, torch",
                "ck = torch.load(sys.argv[1], weights_only=True)",
                "print('types', type(ck).__name__, type(ck['state_dict']).__name__, ck['meta']['dataset_meta']['classes'][0], ck['meta']['epoch'])",
                "for k, t in ck['state_dict'].items():",
                "    b = bytes(t.contiguous().reshape(-1).view(torch.uint8).tolist())",
                "    print(k, str(t.dtype).replace('torch.', ''), list(t.shape), hashlib.sha256(b).hexdigest())");
        Process p = new ProcessBuilder(py, "-c", script, out.toString()).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "python timed out");
        assertEquals(0, p.exitValue(), text);
        List<String> lines = text.strip().lines().toList();
        assertEquals("types dict OrderedDict red_circle 3", lines.get(0));
        Map<String, String> expected = new LinkedHashMap<>();
        for (var e : ModelWeights.checkpointTensors(model).entrySet()) {
            RawTensor t = e.getValue();
            expected.put(e.getKey(), e.getKey() + " " + t.dtype().torchName() + " " + java.util.Arrays.toString(t.shape()).replace(" ", "")
                    .replace(",", ", ") + " " + sha256(t.data()));
        }
        assertEquals(List.copyOf(expected.values()), lines.subList(1, lines.size()));
    }

    private static String sha256(byte[] b) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
