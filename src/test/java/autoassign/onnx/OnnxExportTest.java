package autoassign.onnx;

import autoassign.cli.CliRun;
import autoassign.cli.ExportCommand;
import autoassign.io.ModelWeights;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code export --to X.onnx}: the file parsed back with an independent reader and checked structurally. */
class OnnxExportTest {
    static final String CONFIG = "autoassign_tiny_synthetic";

    @TempDir Path tmp;
    Path checkpoint;
    AutoAssignDetector model;

    @BeforeEach
    void tinyCheckpoint() throws IOException {
        model = OnnxTestModels.tiny(7);
        checkpoint = tmp.resolve("epoch_1.safetensors");
        ModelWeights.save(checkpoint, model, Map.of());
    }

    private OnnxModelReader.Model export(String... extra) throws IOException {
        Path out = tmp.resolve("out").resolve("tiny.onnx");
        List<String> args = new ArrayList<>(List.of("--config", CONFIG, "--checkpoint", checkpoint.toString(), "--to", out.toString()));
        args.addAll(List.of(extra));
        CliRun r = CliRun.run(new ExportCommand(), args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().startsWith(checkpoint + " -> " + out + ": ONNX opset 17"), r.out());
        try (Stream<Path> s = Files.list(out.getParent())) {
            assertEquals(List.of(out), s.toList(), "only the renamed file, no temp file left");
        }
        return OnnxModelReader.read(out);
    }

    @Test
    void headerInputsAndOutputs() throws IOException {
        OnnxModelReader.Model m = export();
        assertEquals(8, m.irVersion());
        assertEquals(Map.of("", 17L), m.opsets());
        assertEquals("autoassign-native", m.producer());
        assertTrue(m.docString().contains("BGR") && m.docString().contains("mean=[102.9801, 115.9465, 122.7717]")
                && m.docString().contains("std=[57.375, 57.12, 58.395]"), m.docString());
        assertEquals(List.of(new OnnxGraph.Value("image", 1, List.of("N", 3L, "H", "W"))), m.inputs());
        List<String> names = new ArrayList<>();
        for (int l = 0; l < 5; l++) {
            names.addAll(List.of("cls_score_" + l, "bbox_pred_" + l, "objectness_" + l));
            assertEquals(List.of("N", 4L, "h" + l, "w" + l), m.outputs().get(3 * l).dims(), "4 classes");
            assertEquals(List.of("N", 4L, "h" + l, "w" + l), m.outputs().get(3 * l + 1).dims());
            assertEquals(List.of("N", 1L, "h" + l, "w" + l), m.outputs().get(3 * l + 2).dims());
        }
        assertEquals(names, m.outputs().stream().map(OnnxGraph.Value::name).toList());
    }

    @Test
    void nodesAreTheNetworksLayersInTopologicalOrder() throws IOException {
        OnnxModelReader.Model m = export();
        assertEquals(new TreeSet<>(List.of("Add", "Conv", "InstanceNormalization", "MaxPool", "Mul", "Relu", "Reshape", "Resize", "Shape")),
                new TreeSet<>(m.nodes().stream().map(OnnxGraph.Node::opType).toList()));
        // one Conv per conv of the backbone and neck, one per head conv and level
        long backboneNeck = model.stateDict().entrySet().stream()
                .filter(e -> !e.getKey().startsWith("bbox_head.") && e.getValue().rank() == 4).count();
        long head = model.stateDict().entrySet().stream()
                .filter(e -> e.getKey().startsWith("bbox_head.") && e.getValue().rank() == 4).count();
        assertEquals(backboneNeck + 5 * head, count(m, "Conv"));
        assertEquals(groupNorms(model.backbone) + 5 * groupNorms(model.bboxHead), count(m, "InstanceNormalization"));
        assertEquals(1, count(m, "MaxPool"));
        assertEquals(2, count(m, "Resize"), "two top-down steps for C3..C5");
        for (OnnxGraph.Node n : m.nodes()) {
            if (n.opType().equals("Resize")) {
                assertEquals(Map.of("mode", "nearest", "coordinate_transformation_mode", "asymmetric", "nearest_mode", "floor"), n.attributes());
                assertEquals(4, n.inputs().size());
                assertEquals(List.of("", ""), n.inputs().subList(1, 3), "no roi, no scales: sizes");
            }
            if (n.opType().equals("MaxPool")) {
                assertArrayEquals(new long[] {3, 3}, (long[]) n.attributes().get("kernel_shape"));
                assertArrayEquals(new long[] {2, 2}, (long[]) n.attributes().get("strides"));
                assertArrayEquals(new long[] {1, 1, 1, 1}, (long[]) n.attributes().get("pads"));
            }
        }
        Set<String> defined = new HashSet<>(m.initializers().keySet());
        defined.add("image");
        Set<String> nodeNames = new HashSet<>();
        for (OnnxGraph.Node n : m.nodes()) {
            for (String in : n.inputs()) assertTrue(in.isEmpty() || defined.contains(in), n.name() + " reads " + in + " before it is defined");
            for (String out : n.outputs()) assertTrue(defined.add(out), out + " defined twice");
            assertTrue(nodeNames.add(n.name()), "node names are unique");
        }
        for (OnnxGraph.Value v : m.outputs()) assertTrue(defined.contains(v.name()), v.name());
    }

    @Test
    void initializersAreTheCheckpointsTensorsStoredOnce() throws IOException {
        OnnxModelReader.Model m = export();
        Map<String, Tensor> sd = model.stateDict();
        int matched = 0;
        for (Map.Entry<String, Tensor> e : sd.entrySet()) {
            String k = e.getKey();
            if (k.startsWith("bbox_head.center_prior")) continue; // used by the loss only
            OnnxGraph.Initializer init = m.initializers().get(k);
            assertNotNull(init, k + " is stored under its state-dict name");
            long[] want = Arrays.stream(e.getValue().shape()).asLongStream().toArray();
            if (want.length == 1 && !k.endsWith("conv.bias") && !k.contains("conv_")) want = new long[] {want[0], 1, 1}; // GroupNorm weight/bias as [C,1,1]
            assertArrayEquals(want, init.dims(), k);
            assertEquals(1, init.dataType(), k);
            assertArrayEquals(e.getValue().toFloatArray(), floats(init), k + ": bit-exact (GroupNorm model: nothing folded)");
            matched++;
        }
        // plus the GroupNorm constants (grouped shape, ones, zeros) and one stride scalar per level
        Map<String, Integer> rest = new HashMap<>();
        for (String k : m.initializers().keySet()) if (!sd.containsKey(k)) rest.merge(k.replaceAll("[0-9]+", "#"), 1, Integer::sum);
        assertEquals(Map.of("gn#.grouped_shape", 1, "gn#.ones", 1, "gn#.zeros", 1, "bbox_head.stride_#", 5), rest);
        assertEquals(matched + 8, m.initializers().size());
        assertArrayEquals(new long[] {0, 8, -1}, longs(m.initializers().get("gn8.grouped_shape")));
    }

    @Test
    void aFixedShapeHasConcreteDimsEqualToTheForwardsShapes() throws IOException {
        OnnxModelReader.Model m = export("--shape", "75", "110");
        assertEquals(List.of(1L, 3L, 75L, 110L), m.inputs().get(0).dims());
        Map<String, Tensor> forward = OnnxTestModels.forward(model, OnnxTestModels.randomImage(0, 1, 3, 75, 110));
        for (OnnxGraph.Value v : m.outputs())
            assertEquals(Arrays.stream(forward.get(v.name()).shape()).mapToObj(d -> (Object) (long) d).toList(), v.dims(), v.name());
    }

    @Test
    void postprocessEndsWithPaddedDetsAndLabelsForABatch() throws IOException {
        OnnxModelReader.Model m = export("--postprocess");
        assertEquals(List.of(new OnnxGraph.Value("image", 1, List.of("N", 3L, "H", "W"))), m.inputs());
        // MMDeploy's end2end layout: max_per_img rows per image, padding rows 0 with label −1
        assertEquals(List.of(new OnnxGraph.Value("dets", 1, List.of("N", 100L, 5L)), new OnnxGraph.Value("labels", 7, List.of("N", 100L))), m.outputs());
        assertEquals(6, count(m, "TopK"), "one per level, one for the output order");
        assertEquals(1, count(m, "NonMaxSuppression"));
        assertEquals(10, count(m, "Exp"), "class and objectness per level: the logistic in float64, 1/(1+exp(-x))");
        assertEquals(0, count(m, "Sigmoid"));
        assertEquals(1, count(m, "ScatterND"));
        // batch-vectorised: no control flow
        Set<String> ops = new TreeSet<>(m.nodes().stream().map(OnnxGraph.Node::opType).toList());
        for (String control : List.of("Loop", "If", "Scan")) assertFalse(ops.contains(control), control);
        assertEquals(new TreeSet<>(List.of("Add", "And", "Cast", "Concat", "Conv", "Div", "Exp", "Expand", "Gather", "GatherND", "Greater",
                "InstanceNormalization", "Max", "MaxPool", "Min", "Mod", "Mul", "Neg", "NonMaxSuppression", "Pad", "ReduceMax", "ReduceSum",
                "Relu", "Reshape", "Resize", "ScatterND", "Shape", "Slice", "Sub", "TopK", "Transpose", "Unsqueeze", "Where")), ops);
        // the config's test_cfg (nms_pre 1000, score_thr 0.05, iou 0.6, max_per_img 100, min_bbox_size 0) as constants
        assertArrayEquals(new long[] {1000}, longs(m.initializers().get("postprocess.nms_pre")));
        assertArrayEquals(new float[] {0.05f}, floats(m.initializers().get("postprocess.score_thr")));
        assertArrayEquals(new float[] {0.6f}, floats(m.initializers().get("postprocess.iou_threshold")));
        assertArrayEquals(new long[] {100}, longs(m.initializers().get("postprocess.max_per_img")));
        assertArrayEquals(new long[] {100}, longs(m.initializers().get("postprocess.keep_top_k")));
        assertArrayEquals(new float[] {0f}, floats(m.initializers().get("postprocess.min_bbox_size")));
        assertTrue(m.docString().contains("[N,3,H,W]") && m.docString().contains("dets [N,100,5]") && m.docString().contains("label -1")
                && m.docString().contains("not rescaled"), m.docString());
        OnnxModelReader.Model fixed = export("--postprocess", "--shape", "64", "96");
        assertEquals(List.of(1L, 3L, 64L, 96L), fixed.inputs().get(0).dims());
        assertEquals(List.of(1L, 100L, 5L), fixed.outputs().get(0).dims());
        assertEquals(List.of(1L, 100L), fixed.outputs().get(1).dims());
    }

    @Test
    void postprocessRefusesSoftNmsAndCheckpoints() throws IOException {
        Path soft = tmp.resolve("soft.yaml");
        Files.writeString(soft, "_base_: " + Path.of("configs/autoassign_tiny_synthetic.yaml").toAbsolutePath()
                + "\nmodel:\n  test_cfg:\n    nms: {type: soft_nms, iou_threshold: 0.3}\n");
        Path dir = Files.createDirectories(tmp.resolve("refused"));
        String[][] cases = {
            {"--config", soft.toString(), "--checkpoint", checkpoint.toString(), "--to", dir.resolve("x.onnx").toString(), "--postprocess"},
            {"--config", CONFIG, "--checkpoint", checkpoint.toString(), "--to", dir.resolve("x.pth").toString(), "--postprocess"}};
        for (String[] c : cases) {
            CliRun r = CliRun.run(new ExportCommand(), c);
            String err = r.err().strip();
            assertEquals(1, r.code(), String.join(" ", c) + ": " + err);
            assertTrue(err.startsWith("error: ") && !err.contains("\n") && err.contains("postprocess"), err);
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(0, s.count(), "nothing written for " + String.join(" ", c));
            }
        }
    }

    /** Attributes in name order: the same export gives the same bytes in every JVM (Map.of's order is per-JVM). */
    @Test
    void attributesAreWrittenInNameOrder() throws IOException {
        for (OnnxGraph.Node n : export().nodes()) {
            List<String> names = List.copyOf(n.attributes().keySet());
            assertEquals(names.stream().sorted().toList(), names, n.name());
        }
    }

    @Test
    void formatFromTheOptionOrTheExtension() throws IOException {
        Path bin = tmp.resolve("model.bin");
        assertEquals(0, CliRun.run(new ExportCommand(), "--config", CONFIG, "--checkpoint", checkpoint.toString(), "--to", bin.toString(),
                "--format", "onnx").code());
        assertEquals(17L, OnnxModelReader.read(bin).opsets().get(""));
        Path pth = tmp.resolve("model.pth");
        CliRun r = CliRun.run(new ExportCommand(), "--config", CONFIG, "--checkpoint", checkpoint.toString(), "--to", pth.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(" tensors ("), "a .pth is still the MMDetection checkpoint: " + r.out());
        // a name that says the other format is refused
        for (String[] c : new String[][] {{"onnx", "m.pth"}, {"pth", "m.onnx"}}) {
            CliRun bad = CliRun.run(new ExportCommand(), "--config", CONFIG, "--checkpoint", checkpoint.toString(), "--to",
                    tmp.resolve(c[1]).toString(), "--format", c[0]);
            assertEquals(1, bad.code());
            assertTrue(bad.err().contains("but --format is " + c[0]), bad.err());
            assertFalse(Files.exists(tmp.resolve(c[1])));
        }
    }

    /** A mistyped option value at the CLI: one line naming it, picocli's exit code 2, not the whole usage. */
    @Test
    void aBadOptionValueIsOneLine() {
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
        int code;
        try {
            code = autoassign.cli.Main.execute("export", "--config", CONFIG, "--checkpoint", checkpoint.toString(), "--to",
                    tmp.resolve("x.onnx").toString(), "--shape", "a", "5");
        } finally {
            System.setErr(err);
        }
        String text = buf.toString(java.nio.charset.StandardCharsets.UTF_8).strip();
        assertEquals(2, code, text);
        assertTrue(text.startsWith("error: ") && text.contains("--shape") && text.endsWith("(see: autoassign-native export --help)"), text);
        assertFalse(text.contains("\n"), "one line: " + text);
    }

    @Test
    void badInputsFailInOneLineAndWriteNothing() throws IOException {
        Path other = tmp.resolve("r18.safetensors");
        ModelWeights.save(other, new AutoAssignDetector(autoassign.config.ConfigLoader.loadNamed("autoassign_r18_coco128", List.of()).model(), 1), Map.of());
        Path dir = Files.createDirectories(tmp.resolve("bad"));
        String to = dir.resolve("x.onnx").toString();
        String[][] cases = {
            {"--config", CONFIG, "--checkpoint", other.toString(), "--to", to},
            {"--config", CONFIG, "--checkpoint", tmp.resolve("missing.safetensors").toString(), "--to", to},
            {"--config", "no_such_config", "--checkpoint", checkpoint.toString(), "--to", to},
            {"--config", CONFIG, "--checkpoint", checkpoint.toString(), "--to", to, "--shape", "0", "64"},
            {"--config", CONFIG, "--checkpoint", checkpoint.toString(), "--to", to, "--publish"},
            {"--config", CONFIG, "--checkpoint", checkpoint.toString(), "--to", dir.resolve("x.pth").toString(), "--shape", "64", "64"}};
        for (String[] c : cases) {
            CliRun r = CliRun.run(new ExportCommand(), c);
            String err = r.err().strip();
            assertEquals(1, r.code(), String.join(" ", c) + ": " + err);
            assertTrue(err.startsWith("error: "), err);
            assertFalse(err.contains("\n"), "one line: " + err);
            assertFalse(err.contains("Exception"), err);
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(0, s.count(), "nothing written for " + String.join(" ", c));
            }
        }
    }

    private static int groupNorms(autoassign.nn.Module m) {
        int n = m instanceof autoassign.nn.GroupNorm ? 1 : 0;
        for (autoassign.nn.Module c : m.children().values()) n += groupNorms(c);
        return n;
    }

    private static long count(OnnxModelReader.Model m, String op) {
        return m.nodes().stream().filter(n -> n.opType().equals(op)).count();
    }

    private static float[] floats(OnnxGraph.Initializer t) {
        float[] v = new float[t.rawData().length / 4];
        ByteBuffer.wrap(t.rawData()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    private static long[] longs(OnnxGraph.Initializer t) {
        long[] v = new long[t.rawData().length / 8];
        ByteBuffer.wrap(t.rawData()).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(v);
        return v;
    }
}
