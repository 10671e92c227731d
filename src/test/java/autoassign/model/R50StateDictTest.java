package autoassign.model;

import autoassign.nn.Init;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The full-width R50 model of the COCO config against AA_2 §5, §6, §8. */
class R50StateDictTest {
    static AutoAssignDetector model;

    @BeforeAll
    static void build() { model = new AutoAssignDetector(ModelTestConfigs.r50(), 0); }

    @Test
    void parameterCountsEqualTheSpec() {
        assertEquals(36_426_458L, model.parameterCount());
        assertEquals(36_150_938L, model.trainableParameterCount());
        assertEquals(23_508_032L, model.backbone.parameterCount());
        assertEquals(7_997_440L, model.neck.parameterCount());
        assertEquals(4_920_986L, model.bboxHead.parameterCount());
        assertEquals(275_520L, model.parameterCount() - model.trainableParameterCount());
    }

    @Test
    void trainableBackboneTensorsAreLayer2To4ConvWeights() {
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            String k = e.getKey();
            if (!k.startsWith("backbone.")) {
                assertTrue(e.getValue().requiresGrad(), k);
                continue;
            }
            boolean trainable = k.matches("backbone\\.layer[234]\\.\\d+\\.(conv[123]|downsample\\.0)\\.weight");
            assertEquals(trainable, e.getValue().requiresGrad(), k);
        }
    }

    /** AA_2 §6 written out: every key in MMDetection's order, with its shape. */
    static Map<String, List<Integer>> expectedStateDict() {
        Map<String, List<Integer>> m = new LinkedHashMap<>();
        m.put("backbone.conv1.weight", List.of(64, 3, 7, 7));
        bn(m, "backbone.bn1", 64);
        int[] blocks = {3, 4, 6, 3};
        int[] cin0 = {64, 256, 512, 1024};
        for (int s = 1; s <= 4; s++) {
            int p = 64 << (s - 1);
            for (int b = 0; b < blocks[s - 1]; b++) {
                String pre = "backbone.layer" + s + "." + b + ".";
                int cin = b == 0 ? cin0[s - 1] : 4 * p;
                m.put(pre + "conv1.weight", List.of(p, cin, 1, 1));
                bn(m, pre + "bn1", p);
                m.put(pre + "conv2.weight", List.of(p, p, 3, 3));
                bn(m, pre + "bn2", p);
                m.put(pre + "conv3.weight", List.of(4 * p, p, 1, 1));
                bn(m, pre + "bn3", 4 * p);
                if (b == 0) {
                    m.put(pre + "downsample.0.weight", List.of(4 * p, cin0[s - 1], 1, 1));
                    bn(m, pre + "downsample.1", 4 * p);
                }
            }
        }
        int[] lat = {512, 1024, 2048};
        for (int i = 0; i < 3; i++) {
            m.put("neck.lateral_convs." + i + ".conv.weight", List.of(256, lat[i], 1, 1));
            m.put("neck.lateral_convs." + i + ".conv.bias", List.of(256));
        }
        for (int i = 0; i < 5; i++) {
            m.put("neck.fpn_convs." + i + ".conv.weight", List.of(256, i == 3 ? 2048 : 256, 3, 3));
            m.put("neck.fpn_convs." + i + ".conv.bias", List.of(256));
        }
        for (String tower : new String[] {"cls_convs", "reg_convs"})
            for (int i = 0; i < 4; i++) {
                String pre = "bbox_head." + tower + "." + i + ".";
                m.put(pre + "conv.weight", List.of(256, 256, 3, 3));
                m.put(pre + "conv.bias", List.of(256));
                m.put(pre + "gn.weight", List.of(256));
                m.put(pre + "gn.bias", List.of(256));
            }
        m.put("bbox_head.conv_cls.weight", List.of(80, 256, 3, 3));
        m.put("bbox_head.conv_cls.bias", List.of(80));
        m.put("bbox_head.conv_reg.weight", List.of(4, 256, 3, 3));
        m.put("bbox_head.conv_reg.bias", List.of(4));
        m.put("bbox_head.conv_centerness.weight", List.of(1, 256, 3, 3));
        m.put("bbox_head.conv_centerness.bias", List.of(1));
        for (int i = 0; i < 5; i++) m.put("bbox_head.scales." + i + ".scale", List.of());
        m.put("bbox_head.center_prior.mean", List.of(80, 2));
        m.put("bbox_head.center_prior.sigma", List.of(80, 2));
        return m;
    }

    private static void bn(Map<String, List<Integer>> m, String pre, int c) {
        for (String k : new String[] {"weight", "bias", "running_mean", "running_var"}) m.put(pre + "." + k, List.of(c));
        m.put(pre + ".num_batches_tracked", List.of());
    }

    @Test
    void stateDictNamesShapesAndOrderEqualMmdetection() {
        Map<String, List<Integer>> actual = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> actual.put(k, Arrays.stream(v.shape()).boxed().toList()));
        Map<String, List<Integer>> expected = expectedStateDict();
        List<String> missing = new ArrayList<>(expected.keySet());
        missing.removeAll(actual.keySet());
        List<String> extra = new ArrayList<>(actual.keySet());
        extra.removeAll(expected.keySet());
        assertTrue(missing.isEmpty() && extra.isEmpty(), "missing " + missing + " extra " + extra);
        for (String k : expected.keySet()) assertEquals(expected.get(k), actual.get(k), k);
        assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(actual.keySet()), "key order");
        assertEquals(expected.size(), actual.size());
    }

    @Test
    void normParametersAreGnAndBn() {
        Set<String> norms = model.normParameterNames();
        assertTrue(norms.contains("bbox_head.cls_convs.0.gn.weight"));
        assertTrue(norms.contains("backbone.layer3.0.downsample.1.bias"));
        assertTrue(norms.contains("backbone.bn1.weight"));
        assertFalse(norms.contains("bbox_head.scales.0.scale"));
        assertFalse(norms.contains("bbox_head.cls_convs.0.conv.bias"));
        assertFalse(norms.contains("bbox_head.center_prior.mean"));
        // 16 GN tensors in the head, 2 per BN (53 BNs) in the backbone
        assertEquals(16 + 2 * 53, norms.size());
    }

    // ---------------------------------------------------------------- initialisation (AA_2 §5)

    static Tensor t(String name) {
        Tensor x = model.stateDict().get(name);
        assertNotNull(x, name);
        return x;
    }

    static void assertAll(String name, float value) {
        for (float v : t(name).toFloatArray()) assertEquals(value, v, 0f, name);
    }

    static double[] meanStd(float[] v) {
        double s = 0, s2 = 0;
        for (float x : v) { s += x; s2 += (double) x * x; }
        double mean = s / v.length;
        return new double[] {mean, Math.sqrt(s2 / v.length - mean * mean)};
    }

    @Test
    void headInit() {
        assertEquals(-3.8918202981106265, AutoAssignHead.CLS_BIAS_INIT, 1e-6);
        assertAll("bbox_head.conv_cls.bias", (float) -Math.log(49));
        assertAll("bbox_head.conv_reg.bias", 4.0f);
        assertAll("bbox_head.conv_centerness.bias", 0f);
        for (String tower : new String[] {"cls_convs", "reg_convs"})
            for (int i = 0; i < 4; i++) {
                String pre = "bbox_head." + tower + "." + i + ".";
                assertAll(pre + "conv.bias", 0f);
                assertAll(pre + "gn.weight", 1f);
                assertAll(pre + "gn.bias", 0f);
                double[] ms = meanStd(t(pre + "conv.weight").toFloatArray());
                assertEquals(0, ms[0], 1e-4, pre);
                assertEquals(0.01, ms[1], 0.0002, pre);
            }
        for (String c : new String[] {"conv_cls", "conv_reg", "conv_centerness"}) {
            double[] ms = meanStd(t("bbox_head." + c + ".weight").toFloatArray());
            assertEquals(0, ms[0], 1e-3, c);
            assertEquals(0.01, ms[1], c.equals("conv_cls") ? 0.0003 : 0.001, c);
        }
        for (int i = 0; i < 5; i++) assertAll("bbox_head.scales." + i + ".scale", 1f);
        assertAll("bbox_head.center_prior.mean", 0f);
        assertAll("bbox_head.center_prior.sigma", 1f);
    }

    @Test
    void fpnInitIsCaffe2Xavier() {
        double[][] cases = { // name, bound of AA_2 §5
                {0, 0.0765466}, {1, 0.0541266}, {2, 0.0382733}};
        for (double[] c : cases) {
            String n = "neck.lateral_convs." + (int) c[0] + ".conv.";
            checkUniform(n + "weight", c[1]);
            assertAll(n + "bias", 0f);
        }
        for (int i = 0; i < 5; i++) {
            String n = "neck.fpn_convs." + i + ".conv.";
            checkUniform(n + "weight", i == 3 ? 0.0127578 : 0.0360844);
            assertAll(n + "bias", 0f);
        }
    }

    private static void checkUniform(String name, double bound) {
        Tensor w = t(name);
        assertEquals(bound, Init.caffe2XavierBound(w), 1e-6, name);
        float[] v = w.toFloatArray();
        double max = 0;
        for (float x : v) max = Math.max(max, Math.abs(x));
        assertTrue(max <= bound, name + " max " + max);
        assertTrue(max > 0.99 * bound, name + " max " + max);
        double[] ms = meanStd(v);
        assertEquals(0, ms[0], bound * 0.01, name);
        assertEquals(bound / Math.sqrt(3), ms[1], bound / Math.sqrt(3) * 0.01, name);
    }

    @Test
    void frozenBatchNormIsIdentityAffineBeforeLoading() {
        assertAll("backbone.bn1.weight", 1f);
        assertAll("backbone.bn1.running_var", 1f);
        assertAll("backbone.layer4.2.bn3.running_mean", 0f);
        // zero_init_residual (MMDetection's default) zeroes the last BN of every block
        assertAll("backbone.layer1.0.bn3.weight", 0f);
        double[] ms = meanStd(t("backbone.layer3.1.conv2.weight").toFloatArray());
        assertEquals(Math.sqrt(2.0 / (256 * 9)), ms[1], 0.001);
    }

    // ---------------------------------------------------------------- load / save

    @Test
    void strictLoadNamesEveryBadKey() {
        Map<String, Tensor> sd = new LinkedHashMap<>(model.stateDict());
        sd.remove("neck.fpn_convs.3.conv.bias");
        sd.put("bbox_head.extra.weight", Tensor.zeros(3));
        sd.put("bbox_head.conv_cls.bias", Tensor.zeros(81));
        var e = assertThrows(IllegalArgumentException.class, () -> model.loadStateDict(sd, true));
        String msg = e.getMessage();
        assertTrue(msg.contains("neck.fpn_convs.3.conv.bias"), msg);
        assertTrue(msg.contains("bbox_head.extra.weight"), msg);
        assertTrue(msg.contains("bbox_head.conv_cls.bias [81]"), msg);
        Module.LoadReport r = model.loadStateDict(sd, false);
        assertEquals(List.of("neck.fpn_convs.3.conv.bias"), r.missing());
        assertEquals(List.of("bbox_head.extra.weight"), r.unexpected());
        assertEquals(1, r.mismatched().size());
    }
}
