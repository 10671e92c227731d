package autoassign.io;

import autoassign.cli.CliRun;
import autoassign.cli.ImportCommand;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoints in and out of the engine's model (tiny config, so it runs in a blink). */
class ModelWeightsTest {
    static final Path TINY = Path.of("configs/autoassign_tiny_synthetic.yaml");

    @TempDir Path tmp;

    /** The tiny config with a frozen-BN caffe backbone, like the COCO model's. */
    Path tinyBnConfig() throws IOException {
        String yaml = Files.readString(TINY);
        String gn = "norm_cfg: {type: GN, num_groups: 8, requires_grad: true}\n    style: pytorch";
        assertTrue(yaml.contains(gn), "tiny config layout changed");
        Path p = tmp.resolve("tiny_bn.yaml");
        Files.writeString(p, yaml.replaceFirst(java.util.regex.Pattern.quote(gn), "norm_cfg: {type: BN, requires_grad: false}\n    style: caffe"));
        return p;
    }

    static AutoAssignDetector model(Path config, long seed) {
        Config cfg = ConfigLoader.load(config);
        return new AutoAssignDetector(cfg.model(), seed);
    }

    /** Puts an int64 num_batches_tracked after every BN running_var, as MMDetection checkpoints have. */
    static Map<String, RawTensor> withCounters(Map<String, RawTensor> sd) {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        sd.forEach((k, v) -> {
            if (k.endsWith(".num_batches_tracked")) return;
            out.put(k, v);
            if (k.endsWith(".running_var"))
                out.put(k.substring(0, k.length() - "running_var".length()) + "num_batches_tracked", RawTensor.ofLongs(new long[]{87960}));
        });
        return out;
    }

    @Test
    void pthToSafetensorsToModelToSafetensorsIsLossless() throws IOException {
        Path config = tinyBnConfig();
        AutoAssignDetector a = model(config, 1);
        Map<String, RawTensor> original = withCounters(ModelWeights.fromModule(a));
        assertEquals(ModelWeights.fromModule(a).keySet(), original.keySet(), "the model keeps BN counters like PyTorch");
        Path pth = Files.write(tmp.resolve("a.pth"), PickleBuilder.stateDictPth(original, true));

        Path imported = tmp.resolve("a.safetensors");
        assertEquals(0, CliRun.run(new ImportCommand(), "--from", pth.toString(), "--to", imported.toString()).code());

        AutoAssignDetector b = model(config, 2);
        assertNotEquals(original.get("bbox_head.conv_cls.weight"), ModelWeights.fromModule(b).get("bbox_head.conv_cls.weight"));
        ModelWeights.LoadResult r = ModelWeights.load(imported, b, true);
        assertTrue(r.report().clean(), r.report().toString());
        assertEquals(original.size(), r.report().loaded());
        assertEquals(List.of(), r.ignored());
        assertEquals(87960f, b.stateDict().get("backbone.bn1.num_batches_tracked").item());

        Path saved = tmp.resolve("b.safetensors");
        ModelWeights.save(saved, b, Map.of("epoch", "12"));
        Safetensors.Contents back = Safetensors.read(saved);
        assertEquals(original, back.tensors(), "every tensor bit-exact, same names and order");
        assertEquals(Map.of("epoch", "12"), back.metadata());
        // and the .pth loads directly, too
        AutoAssignDetector c = model(config, 3);
        assertTrue(ModelWeights.load(pth, c, true).report().clean());
        assertEquals(Safetensors.read(saved).tensors(), saveAndRead(c));
    }

    private Map<String, RawTensor> saveAndRead(AutoAssignDetector m) throws IOException {
        Path f = tmp.resolve("again.safetensors");
        ModelWeights.save(f, m, Map.of());
        return Safetensors.read(f).tensors();
    }

    @Test
    void strictLoadNamesWhatDoesNotFit() throws IOException {
        AutoAssignDetector a = model(TINY, 1);
        Map<String, RawTensor> sd = ModelWeights.fromModule(a);
        sd.remove("bbox_head.conv_reg.bias");
        sd.put("bbox_head.conv_cls.bias", RawTensor.ofFloats(new float[5], 5));
        sd.put("extra.weight", RawTensor.ofFloats(new float[1], 1));
        Path f = tmp.resolve("bad.safetensors");
        Safetensors.write(f, sd, Map.of());
        AutoAssignDetector b = model(TINY, 2);
        Map<String, RawTensor> before = ModelWeights.fromModule(b);
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelWeights.load(f, b, true));
        assertTrue(e.problem().contains("bbox_head.conv_reg.bias") && e.problem().contains("extra.weight")
                && e.problem().contains("bbox_head.conv_cls.bias"), e.getMessage());
        assertEquals(before, ModelWeights.fromModule(b), "a failed strict load changes nothing");
    }

    @Test
    void pretrainedResnetLoadsIntoTheBackboneInEveryWrapping() throws IOException {
        Path config = tinyBnConfig();
        Map<String, RawTensor> trained = ModelWeights.fromModule(model(config, 7));
        // the pretrained file: torchvision names without prefix, counters, a classifier
        Map<String, RawTensor> resnet = new LinkedHashMap<>();
        trained.forEach((k, v) -> { if (k.startsWith("backbone.")) resnet.put(k.substring("backbone.".length()), v); });
        resnet.put("fc.weight", RawTensor.ofFloats(new float[6], 3, 2));
        resnet.put("fc.bias", RawTensor.ofFloats(new float[3], 3));
        Map<String, RawTensor> modulePrefixed = new LinkedHashMap<>();
        withCounters(resnet).forEach((k, v) -> modulePrefixed.put("module." + k, v));

        for (var file : List.of(
                Files.write(tmp.resolve("plain.pth"), PickleBuilder.stateDictPth(withCounters(resnet), false)),
                Files.write(tmp.resolve("wrapped.pth"), PickleBuilder.stateDictPth(withCounters(resnet), true)),
                Files.write(tmp.resolve("module.pth"), PickleBuilder.stateDictPth(modulePrefixed, false)))) {
            AutoAssignDetector m = model(config, 8);
            Map<String, RawTensor> before = ModelWeights.fromModule(m);
            ModelWeights.LoadResult r = ModelWeights.loadPretrainedBackbone(file, m);
            assertEquals(List.of(), r.report().missing(), file.toString());
            assertTrue(r.ignored().containsAll(List.of("fc.weight", "fc.bias")), r.ignored().toString());
            Map<String, RawTensor> after = ModelWeights.fromModule(m);
            after.forEach((k, v) -> {
                if (k.endsWith(".num_batches_tracked")) assertEquals(87960.0, v.getDouble(0), k + " loaded");
                else if (k.startsWith("backbone.")) assertEquals(trained.get(k), v, k + " loaded");
                else assertEquals(before.get(k), v, k + " untouched");
            });
        }
    }

    /** A small ResNeXt-50 detector (R50 recipe at base 8, 4 groups of base_width 4: grouped 3×3 weights [w, w/4, 3, 3]). */
    static AutoAssignDetector x50Small(long seed, boolean resNeXt) {
        java.util.List<String> o = new java.util.ArrayList<>(List.of("model.backbone.base_channels=8",
                "model.neck.in_channels=[32, 64, 128, 256]", "model.neck.out_channels=16", "model.bbox_head.in_channels=16",
                "model.bbox_head.feat_channels=16", "model.bbox_head.stacked_convs=1", "model.bbox_head.norm_cfg.num_groups=4"));
        if (resNeXt) o.addAll(List.of("model.backbone.type=ResNeXt", "model.backbone.groups=4", "model.backbone.base_width=4"));
        return new AutoAssignDetector(ConfigLoader.load(Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml"), o).model(), seed);
    }

    @Test
    void pretrainedResNeXtLoadsWithResNetNamesAndGroupedShapes() throws IOException {
        // open-mmlab's / torchvision's ResNeXt files: ResNet names without prefix, grouped conv2 weights, a classifier
        Map<String, RawTensor> trained = ModelWeights.fromModule(x50Small(7, true));
        Map<String, RawTensor> resnext = new LinkedHashMap<>();
        trained.forEach((k, v) -> { if (k.startsWith("backbone.")) resnext.put(k.substring("backbone.".length()), v); });
        assertArrayEquals(new long[] {16, 4, 3, 3}, resnext.get("layer1.0.conv2.weight").shape());
        resnext.put("fc.weight", RawTensor.ofFloats(new float[6], 3, 2));
        Path file = Files.write(tmp.resolve("resnext.pth"), PickleBuilder.stateDictPth(withCounters(resnext), true));
        AutoAssignDetector m = x50Small(8, true);
        ModelWeights.LoadResult r = ModelWeights.loadPretrainedBackbone(file, m);
        assertEquals(List.of(), r.report().missing());
        assertEquals(List.of("fc.weight"), r.ignored().stream().filter(k -> !k.endsWith("num_batches_tracked")).toList());
        ModelWeights.fromModule(m).forEach((k, v) -> {
            if (k.startsWith("backbone.") && !k.endsWith(".num_batches_tracked")) assertEquals(trained.get(k), v, k + " loaded");
        });
        // a dense ResNet-50 file does not fit a ResNeXt backbone: refused, naming the grouped conv
        Map<String, RawTensor> dense = new LinkedHashMap<>();
        ModelWeights.fromModule(x50Small(9, false)).forEach((k, v) -> {
            if (k.startsWith("backbone.")) dense.put(k.substring("backbone.".length()), v);
        });
        Path denseFile = Files.write(tmp.resolve("resnet.pth"), PickleBuilder.stateDictPth(dense, false));
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelWeights.loadPretrainedBackbone(denseFile, x50Small(10, true)));
        assertTrue(e.getMessage().contains("backbone.layer1.0.conv2.weight [8, 8, 3, 3] vs model [16, 4, 3, 3]"), e.getMessage());
    }

    @Test
    void importWithModelChecksNamesAndShapes() throws IOException {
        Map<String, RawTensor> sd = ModelWeights.fromModule(model(TINY, 1));
        Path good = Files.write(tmp.resolve("good.pth"), PickleBuilder.stateDictPth(sd, true));
        Path out = tmp.resolve("good.safetensors");
        var run = CliRun.run(new ImportCommand(), "--from", good.toString(), "--to", out.toString(), "--model", TINY.toString());
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("detector checkpoint): " + sd.size() + " tensors match"), run.out());
        assertTrue(Files.exists(out));

        sd.remove("neck.fpn_convs.0.conv.bias");
        sd.put("bbox_head.conv_cls.weight", RawTensor.ofFloats(new float[4], 4));
        Path bad = Files.write(tmp.resolve("bad.pth"), PickleBuilder.stateDictPth(sd, true));
        Path out2 = tmp.resolve("bad.safetensors");
        run = CliRun.run(new ImportCommand(), "--from", bad.toString(), "--to", out2.toString(), "--model", TINY.toString());
        assertEquals(1, run.code());
        assertTrue(run.out().contains("missing (1):\n    neck.fpn_convs.0.conv.bias"), run.out());
        assertTrue(run.out().contains("shape mismatch (1):\n    bbox_head.conv_cls.weight [4] vs model"), run.out());
        assertTrue(run.err().startsWith("error: " + bad + ": does not match the model"), run.err());
        assertFalse(Files.exists(out2), "nothing written");
    }

    @Test
    void importWithModelRecognisesAPretrainedResnetFile() throws IOException {
        Path config = tinyBnConfig();
        Map<String, RawTensor> resnet = new LinkedHashMap<>();
        ModelWeights.fromModule(model(config, 1)).forEach((k, v) -> {
            if (k.startsWith("backbone.")) resnet.put(k.substring("backbone.".length()), v);
        });
        resnet.put("fc.weight", RawTensor.ofFloats(new float[2], 2));
        Path f = Files.write(tmp.resolve("r.pth"), PickleBuilder.stateDictPth(withCounters(resnet), false));
        var run = CliRun.run(new ImportCommand(), "--from", f.toString(), "--to", tmp.resolve("r.safetensors").toString(),
                "--model", config.toString());
        assertEquals(0, run.code(), run.out() + run.err());
        assertTrue(run.out().contains("pretrained ResNet file -> backbone): " + (resnet.size() - 1) + " tensors match"), run.out());
        assertTrue(run.out().contains("ignored (no place in the model)"), run.out());
        assertTrue(run.out().contains("    fc.weight"), run.out());
    }

    @Test
    void tensorBridgeKeepsShapesAndValues() {
        RawTensor half = new RawTensor(DType.FLOAT16, new long[]{2}, new byte[]{0, 0x3c, 0, (byte) 0xc0});
        Map<String, Tensor> t = ModelWeights.toTensors(Map.of("h", half, "s", RawTensor.ofFloats(new float[]{2.5f})));
        assertArrayEquals(new float[]{1, -2}, t.get("h").toFloatArray());
        assertArrayEquals(new int[]{}, t.get("s").shape());
        assertEquals(RawTensor.ofFloats(new float[]{2.5f}), ModelWeights.fromTensor(t.get("s")));
    }
}
