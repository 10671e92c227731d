package autoassign.model;

import autoassign.config.ConfigLoader;
import autoassign.config.ModelConfig;
import autoassign.nn.Conv2d;
import autoassign.nn.BatchNorm2d;
import autoassign.nn.GroupNorm;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Complexity}: MMEngine's flop and parameter counting, against hand counts and an independent sum. */
class ComplexityTest {

    static final Path TINY = Path.of("configs/autoassign_tiny_synthetic.yaml");

    static AutoAssignDetector tiny() { return new AutoAssignDetector(ConfigLoader.load(TINY).model(), 0); }

    @Test
    void oneConvCountedByHand() {
        AutoAssignDetector m = tiny();
        Complexity.Flops f = Complexity.flops(m, 64, 96);
        // stem: 7×7 stride 2 pad 3, 3 → 16 channels; output 32×48; one multiply-add per weight per output position
        assertEquals(16L * 3 * 7 * 7 * 32 * 48, f.flopsByModule().get("backbone.conv1"));
        // its GroupNorm: 5 flops per element of 16×32×48
        assertEquals(5L * 16 * 32 * 48, f.flopsByModule().get("backbone.gn1"));
        // FPN: 1×1 lateral on C3 (32 channels, stride 8: 8×12), bias not counted
        assertEquals(32L * 32 * 8 * 12, f.flopsByModule().get("neck.lateral_convs.0.conv"));
        // the head's conv_reg (32 → 4, 3×3) runs on all five levels: 8×12, 4×6, 2×3, 1×2, 1×1
        assertEquals(4L * 32 * 9 * (96 + 24 + 6 + 2 + 1), f.flopsByModule().get("bbox_head.conv_reg"));
        // upsampling of the top-down path belongs to the neck itself: 32 × (4×6 + 8×12) output elements
        assertEquals(32L * (24 + 96), f.flopsByOp().get(Complexity.UPSAMPLE));
    }

    @Test
    void tinyTotalEqualsAnIndependentSumOverTheLayers() {
        AutoAssignDetector m = tiny();
        for (int[] hw : new int[][] {{256, 256}, {192, 320}, {224, 160}}) {
            Complexity.Flops f = Complexity.flops(m, hw[0], hw[1]);
            Map<String, Long> expected = independentSum(m, hw[0], hw[1], new int[] {8, 16, 32, 64, 128}, 3);
            assertEquals(expected.get("total"), f.total(), "input " + hw[0] + "x" + hw[1]);
            assertEquals(expected.get("conv"), f.flopsByOp().get(Complexity.CONV));
            assertEquals(expected.get("backbone"), f.flopsByModule().get("backbone"));
            assertEquals(expected.get("neck"), f.flopsByModule().get("neck"));
            assertEquals(expected.get("bbox_head"), f.flopsByModule().get("bbox_head"));
            assertEquals(0L, f.flopsByOp().get(Complexity.BATCH_NORM), "the tiny backbone has GroupNorm");
        }
    }

    @Test
    void r50LayoutAtOneEighthWidthEqualsTheIndependentSum() {
        AutoAssignDetector m = new AutoAssignDetector(ModelTestConfigs.r50Small(), 0); // caffe Bottleneck, frozen BN, FPN from C3
        Complexity.Flops f = Complexity.flops(m, 800, 1216);
        Map<String, Long> expected = independentSum(m, 800, 1216, new int[] {8, 16, 32, 64, 128}, 3);
        assertEquals(expected.get("total"), f.total());
        assertEquals(expected.get("conv"), f.flopsByOp().get(Complexity.CONV));
        assertTrue(f.flopsByOp().get(Complexity.BATCH_NORM) > 0);
    }

    @Test
    void groupedConvsCountTheirInputChannelsPerGroup() {
        // a ResNeXt (4 groups, base_width 4: inner widths 16..128), caffe style so that every conv of a stage runs at
        // the stage's stride, as the independent sum assumes
        AutoAssignDetector m = new AutoAssignDetector(ModelTestConfigs.r50Small("model.backbone.type=ResNeXt",
                "model.backbone.groups=4", "model.backbone.base_width=4"), 0);
        Complexity.Flops f = Complexity.flops(m, 256, 320);
        Map<String, Long> expected = independentSum(m, 256, 320, new int[] {8, 16, 32, 64, 128}, 3);
        assertEquals(expected.get("total"), f.total());
        assertEquals(expected.get("conv"), f.flopsByOp().get(Complexity.CONV));
        // by hand, MMEngine's conv_flop_count (batch · prod(weight shape) · prod(output size)): layer2.1.conv2 is
        // 32 → 32 channels in 4 groups, so 8 inputs per output, 3×3, at stride 8 (32×40) — a quarter of the dense conv
        assertEquals(32L * 8 * 9 * 32 * 40, f.flopsByModule().get("backbone.layer2.1.conv2"));
        // its BN: 2 per element of 32×32×40; parameters: the grouped weight's 32·8·9
        assertEquals(2L * 32 * 32 * 40, f.flopsByModule().get("backbone.layer2.1.bn2"));
        assertEquals(32L * 8 * 9, Complexity.parameterCounts(m).get("backbone.layer2.1.conv2.weight"));
    }

    @Test
    void r50ConvMultiplyAddsMatchTheSpec() {
        AutoAssignDetector m = new AutoAssignDetector(ModelTestConfigs.r50(), 0);
        // AA_7 §4 (computed from the architecture): conv MACs 200.8 G at 800×1280 (backbone 78.7, FPN 17.3, head 104.8),
        // 190.8 G at 800×1216, 210.9 G at 800×1344
        Complexity.Flops f = Complexity.flops(m, 800, 1280);
        assertEquals(200.8, f.flopsByOp().get(Complexity.CONV) / 1e9, 0.05);
        assertEquals(78.7, convFlops(m.backbone, "backbone", f) / 1e9, 0.05);
        assertEquals(17.3, convFlops(m.neck, "neck", f) / 1e9, 0.05);
        assertEquals(104.8, convFlops(m.bboxHead, "bbox_head", f) / 1e9, 0.05);
        assertEquals(190.8, Complexity.flops(m, 800, 1216).flopsByOp().get(Complexity.CONV) / 1e9, 0.05);
        assertEquals(210.9, Complexity.flops(m, 800, 1344).flopsByOp().get(Complexity.CONV) / 1e9, 0.05);
        // the same input transposed costs the same
        assertEquals(f.total(), Complexity.flops(m, 1280, 800).total());
        // parameters: MMEngine's parameter_count = the spec's 36,426,458 (frozen BN affine included, running stats not)
        Map<String, Long> p = Complexity.parameterCounts(m);
        assertEquals(36_426_458L, p.get(""));
        assertEquals(23_508_032L, p.get("backbone"));
        assertEquals(7_997_440L, p.get("neck"));
        assertEquals(4_920_986L, p.get("bbox_head"));
        assertEquals(64L * 3 * 7 * 7, p.get("backbone.conv1.weight"));
        assertEquals(Set.of("bbox_head.center_prior"), f.uncalled(), "the center prior is used by the loss only");
    }

    @Test
    void parametersAreTheStateDictWithoutBatchNormStatistics() {
        for (ModelConfig cfg : new ModelConfig[] {ConfigLoader.load(TINY).model(), ModelTestConfigs.r50Small()}) {
            AutoAssignDetector m = new AutoAssignDetector(cfg, 0);
            long stateDict = 0, statistics = 0;
            for (Map.Entry<String, Tensor> e : m.stateDict().entrySet()) {
                stateDict += e.getValue().numel();
                if (e.getKey().matches(".*\\.(running_mean|running_var|num_batches_tracked)")) statistics += e.getValue().numel();
            }
            Map<String, Long> p = Complexity.parameterCounts(m);
            assertEquals(stateDict - statistics, p.get(""));
            assertEquals(m.parameterCount(), p.get(""));
            assertEquals(p.get("backbone") + p.get("neck") + p.get("bbox_head"), p.get(""));
        }
    }

    @Test
    void tooSmallInputsAreRejected() {
        AutoAssignDetector m = tiny();
        assertThrows(IllegalArgumentException.class, () -> Complexity.flops(m, 0, 32));
        Complexity.Flops one = Complexity.flops(m, 1, 1); // every stride-2 layer still gives 1×1
        assertTrue(one.total() > 0);
    }

    /** Conv flops (no norms) of one part: the sum over its Conv2d modules. */
    private static long convFlops(Module part, String name, Complexity.Flops f) {
        Map<String, Module> convs = new LinkedHashMap<>();
        modules(part, name, convs);
        long sum = 0;
        for (var e : convs.entrySet()) if (e.getValue() instanceof Conv2d) sum += f.flopsByModule().get(e.getKey());
        return sum;
    }

    private static void modules(Module m, String name, Map<String, Module> out) {
        out.put(name, m);
        m.children().forEach((k, c) -> modules(c, name + "." + k, out));
    }

    private static long positions(int h, int w, int stride) {
        return (long) ((h + stride - 1) / stride) * ((w + stride - 1) / stride);
    }

    /**
     * The flops derived from parameter names and strides alone, not from the model's forward structure: every layer
     * of {@code layerS} outputs at stride 2^(S+1) (stride-2 layers round up: ⌈H/s⌉), the stem at 2; FPN conv / lateral
     * {@code i} at {@code levelStrides[i]}; a head layer on every level. A conv costs weight elements × output
     * positions; a norm (named by its weight) 2 (BN) or 5 (GN) × channels × positions at its layer's stride; the FPN's
     * upsampling one per element of each finer level below the top.
     *
     * @param lateralUsed FPN levels with a lateral (the rest are extra convs)
     */
    static Map<String, Long> independentSum(AutoAssignDetector m, int h, int w, int[] levelStrides, int lateralUsed) {
        Map<String, Module> all = new LinkedHashMap<>();
        m.children().forEach((k, c) -> modules(c, k, all));
        long conv = 0, backbone = 0, neck = 0, head = 0, total = 0;
        for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
            String key = e.getKey();
            if (!key.endsWith(".weight")) continue;
            String mod = key.substring(0, key.length() - ".weight".length());
            Module layer = all.get(mod);
            long perPosition;
            if (layer instanceof Conv2d) perPosition = e.getValue().numel();
            else if (layer instanceof BatchNorm2d) perPosition = 2L * e.getValue().numel();
            else if (layer instanceof GroupNorm) perPosition = 5L * e.getValue().numel();
            else continue;
            long positions;
            java.util.regex.Matcher layerS = java.util.regex.Pattern.compile("backbone\\.layer(\\d+)\\..*").matcher(mod);
            java.util.regex.Matcher level = java.util.regex.Pattern.compile("neck\\.(lateral|fpn)_convs\\.(\\d+)\\..*").matcher(mod);
            if (mod.startsWith("backbone.") && !layerS.matches()) positions = positions(h, w, 2); // the stem
            else if (layerS.matches()) positions = positions(h, w, 1 << (Integer.parseInt(layerS.group(1)) + 1));
            else if (level.matches()) positions = positions(h, w, levelStrides[Integer.parseInt(level.group(2))]);
            else {
                positions = 0;
                for (int s : levelStrides) positions += positions(h, w, s);
            }
            long flops = perPosition * positions;
            if (layer instanceof Conv2d) conv += flops;
            if (mod.startsWith("backbone.")) backbone += flops;
            else if (mod.startsWith("neck.")) neck += flops;
            else head += flops;
            total += flops;
        }
        int channels = m.neck.config().outChannels();
        for (int i = 1; i < lateralUsed; i++) {
            long up = channels * positions(h, w, levelStrides[i - 1]);
            neck += up;
            total += up;
        }
        return Map.of("total", total, "conv", conv, "backbone", backbone, "neck", neck, "bbox_head", head);
    }
}
