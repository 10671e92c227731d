package autoassign.model;

import autoassign.GoldenFiles;
import autoassign.autograd.Graph;
import autoassign.backend.CheckedDeviceBackend;
import autoassign.tensor.Device;
import autoassign.config.CspDarknetConfig;
import autoassign.config.NeckConfig;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static autoassign.GoldenFiles.floats;
import static autoassign.GoldenFiles.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every case of {@code <goldens>/csp_darknet} (scripts/goldens/csp_darknet.py: MMDetection 3.3.0's CSPDarknet,
 * Focus, SPPBottleneck, CSPLayer, DarknetBottleneck and YOLOXPAFPN with MMCV's ConvModule, DepthwiseSeparableConvModule
 * and Swish transcribed onto torch.nn, torch 1.13 on the CPU, weights and inputs from an integer hash both sides
 * evaluate, tolerances from the case: ten times torch's own float32-vs-float64 difference): the config
 * parsed from the case's YAML keys, state-dict names, shapes and order, the parameter count, the eval-mode outputs,
 * then one train-mode forward (batch statistics, frozen stages and norm_eval as upstream's {@code train()}) and its
 * backward: the inputs' gradients, a few parameters' gradients, which parameters get none, and the BN running
 * statistics it updated; and MMEngine's FLOPs of one image ({@link CspFlops}).
 */
class CspDarknetGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() {
        return GoldenFiles.cases("csp_darknet", p -> p.getFileName().toString().endsWith(".json")
                && !p.getFileName().toString().equals("names.json"));
    }

    /** The case's backbone (CSPDarknet or CSPNeXt: CspNextGoldenTest replays its cases here) or neck, built from its config keys. */
    static Module build(String name, JsonNode c) {
        ObjectNode cfg = (ObjectNode) c.get("config");
        if (c.get("kind").asText().equals("neck")) return Neck.build(NeckConfig.parse(name, cfg));
        if (cfg.path("type").asText().equals(autoassign.config.CspNextConfig.TYPE))
            return new CspNext(autoassign.config.CspNextConfig.parse(name, cfg));
        return new CspDarknet(CspDarknetConfig.parse(name, cfg));
    }

    static List<Tensor> forward(Module m, List<Tensor> inputs) {
        return m instanceof Neck n ? n.forward(inputs) : ((Backbone) m).forward(inputs.get(0));
    }

    /** The generator's seed gradients: output i, element j: cos(0.13 j + 0.7 i). */
    static Tensor seed(int i, int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int j = 0; j < n; j++) v[j] = (float) Math.cos(0.13 * j + 0.7 * i);
        return Tensor.of(v, shape);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorchInEvalAndTrainMode(String name, Path file) throws IOException {
        replay(name, JSON.readTree(file.toFile()), Device.CPU);
    }

    /** The same on the checked stand-in device (the CPU math behind device buffers: the CUDA code path's op calls). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorchOnADevice(String name, Path file) throws IOException {
        try (CheckedDeviceBackend dev = CheckedDeviceBackend.install(95)) {
            replay(name, JSON.readTree(file.toFile()), dev.device());
            assertTrue(dev.violations().isEmpty(), dev.violations().toString());
        }
    }

    static void replay(String name, JsonNode c, Device device) {
        Module m = build(name, c);
        Map<String, Tensor> sd = m.stateDict();
        List<String> names = new ArrayList<>(sd.keySet());
        assertEquals(c.get("names").size(), names.size(), name + ": state-dict entries");
        for (int i = 0; i < names.size(); i++) {
            JsonNode e = c.get("names").get(i);
            assertEquals(e.get(0).asText(), names.get(i), name + ": entry " + i);
            assertArrayEquals(ints(e.get(1)), sd.get(names.get(i)).shape(), name + ": shape of " + names.get(i));
        }
        assertEquals(c.get("param_count").asLong(), m.parameterCount(), name + ": parameters");
        assertTrue(m.loadStateDict(hashWeights(m), true).clean());
        m.to(device);
        double evalTol = c.get("eval_tol").asDouble(), gradTol = c.get("grad_tol").asDouble();
        assertTrue(evalTol <= 1e-4 && gradTol <= 1e-3, name + ": a well-conditioned case");

        List<Tensor> inputs = new ArrayList<>();
        for (int i = 0; i < c.get("input_shapes").size(); i++) {
            int[] shape = ints(c.get("input_shapes").get(i));
            inputs.add(Tensor.of(toFloat(hashUniform(numel(shape), 1000 + i)), shape).to(device));
        }
        m.train(false);
        // inference as Inference.predict runs it: in a memory scope, so the layers release their intermediates early
        try (autoassign.tensor.MemoryScope mem = autoassign.tensor.MemoryScope.open(); Graph.Scope g = Graph.noGrad()) {
            List<Tensor> outs = forward(m, inputs);
            assertEquals(c.get("eval_outputs").size(), outs.size(), name + ": outputs");
            for (int i = 0; i < outs.size(); i++) {
                JsonNode o = c.get("eval_outputs").get(i);
                assertArrayEquals(ints(o.get("shape")), outs.get(i).shape(), name + " output " + i);
                GoldenFiles.assertCloseToTorch(name + " eval output " + i, floats(o.get("values")), outs.get(i).toFloatArray(), evalTol);
            }
        }

        m.train(true);
        List<Tensor> xs = new ArrayList<>();
        for (Tensor x : inputs) xs.add(Tensor.of(x.toFloatArray(), x.shape()).to(device).setRequiresGrad(true));
        List<Tensor> train = forward(m, xs);
        Tensor[] seeds = new Tensor[train.size()];
        for (int i = 0; i < seeds.length; i++) seeds[i] = seed(i, train.get(i).shape()).to(device);
        Graph.backward(train.toArray(new Tensor[0]), seeds);
        m.train(false);
        for (int i = 0; i < xs.size(); i++) {
            float[] g = xs.get(i).grad().toFloatArray();
            int stride = c.get("grad_input_strides").get(i).asInt();
            float[] sampled = new float[(g.length + stride - 1) / stride];
            for (int j = 0; j < sampled.length; j++) sampled[j] = g[j * stride];
            GoldenFiles.assertCloseToTorch(name + " grad input " + i, floats(c.get("grad_inputs").get(i)), sampled, gradTol);
        }
        Map<String, Tensor> params = m.namedParameters();
        c.get("grads").fields().forEachRemaining(e -> {
            Tensor g = params.get(e.getKey()).grad();
            assertNotNull(g, name + ": no gradient for " + e.getKey());
            GoldenFiles.assertCloseToTorch(name + " grad " + e.getKey(), floats(e.getValue()), g.toFloatArray(), gradTol);
        });
        Set<String> frozen = new HashSet<>();
        c.get("no_grad").forEach(v -> frozen.add(v.asText()));
        params.forEach((k, p) -> {
            if (frozen.contains(k)) {
                assertFalse(p.requiresGrad(), name + ": " + k + " is frozen upstream");
                assertNull(p.grad(), name + ": " + k);
            } else {
                assertNotNull(p.grad(), name + ": " + k + " gets a gradient upstream");
            }
        });
        // MMEngine's FLOPs of one image of the case's flops_input_shapes, by op
        Map<String, Long> byOp = new java.util.TreeMap<>();
        FlopSink sink = (module, op, n) -> byOp.merge(op, n, Long::sum);
        List<int[]> fin = new ArrayList<>();
        for (JsonNode s : c.get("flops_input_shapes")) {
            int[] d = ints(s);
            fin.add(new int[] {d[1], d[2], d[3]});
        }
        if (m instanceof YoloxPafpn y) CspFlops.neck(y, "neck", fin, sink);
        else if (m instanceof CspNext cn) CspFlops.backbone(cn, "backbone", fin.get(0)[1], fin.get(0)[2], sink);
        else CspFlops.backbone((CspDarknet) m, "backbone", fin.get(0)[1], fin.get(0)[2], sink);
        c.get("flops").fields().forEachRemaining(e -> assertEquals(e.getValue().asLong(), byOp.getOrDefault(e.getKey(), 0L),
                name + ": " + e.getKey() + " flops"));

        Map<String, Tensor> after = m.stateDict();
        c.get("running_stats_after_train_forward").fields().forEachRemaining(e ->
                GoldenFiles.assertCloseToTorch(name + " " + e.getKey(), floats(e.getValue()), after.get(e.getKey()).toFloatArray(), evalTol));
    }

    /** The generator's hash_uniform: n values in [-1, 1) from (element j, entry k), integer arithmetic as in Python. */
    static double[] hashUniform(int n, int k) {
        final long mask = 0xffffffffL;
        double[] v = new double[n];
        for (int j = 0; j < n; j++) {
            long h = (j * 0x9E3779B1L + (k + 1) * 0x85EBCA77L) & mask;
            h ^= h >>> 15;
            h = (h * 0x2C1B3C6DL) & mask;
            h ^= h >>> 12;
            h = (h * 0x297A2D39L) & mask;
            h ^= h >>> 15;
            v[j] = h / 4294967296.0 * 2 - 1;
        }
        return v;
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    private static int numel(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** The generator's formula_weights: entry k of the state dict from hashUniform, scaled per kind. */
    static Map<String, Tensor> hashWeights(Module m) {
        Map<String, Tensor> sd = new java.util.LinkedHashMap<>();
        int k = 0;
        for (var e : m.stateDict().entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            int[] s = t.shape();
            double[] v = hashUniform(t.numel(), k++);
            float[] f = new float[v.length];
            for (int j = 0; j < v.length; j++) {
                double x = v[j];
                if (name.endsWith("num_batches_tracked")) x = 0;
                else if (name.endsWith("running_mean")) x = 0.2 * x;
                else if (name.endsWith("running_var")) x = 1 + 0.4 * x;
                else if (name.endsWith(".bias")) x = 0.2 * x;
                else if (s.length == 4) x *= Math.sqrt(6.0 / (s[1] * s[2] * s[3]));
                else x = 1 + 0.25 * x;
                f[j] = (float) x;
            }
            sd.put(name, Tensor.of(f, s));
        }
        return sd;
    }
}
