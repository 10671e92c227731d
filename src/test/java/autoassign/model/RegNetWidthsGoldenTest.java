package autoassign.model;

import autoassign.GoldenFiles;
import autoassign.autograd.Graph;
import autoassign.config.BackboneConfig;
import autoassign.config.RegNetArch;
import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * MMDetection's RegNet stage plan and network against {@code scripts/goldens/regnet_widths.py}, the numpy 1.24
 * transcription of {@code generate_regnet} / {@code get_stages_from_blocks} / {@code adjust_width_group} /
 * {@code RegNet.__init__} with the network built in plain torch 1.13: every case of
 * {@code goldens/regnet_widths} (all named archs, dict archs). The float intermediates must match bit for bit (the
 * power: the C library's, which numpy uses on CPUs without AVX512_SKX); the engine's backbone must have torch's
 * parameter and buffer names, shapes, order and count.
 */
class RegNetWidthsGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("regnet_widths"); }

    private static List<Integer> ints(JsonNode a) {
        List<Integer> out = new ArrayList<>();
        a.forEach(v -> out.add(v.asInt()));
        return out;
    }

    private static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asDouble();
        return out;
    }

    private static void assertBitwise(double[] want, double[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++)
            if (Double.doubleToLongBits(want[i]) != Double.doubleToLongBits(got[i]))
                throw new AssertionError(what + "[" + i + "]: numpy " + want[i] + ", engine " + got[i]);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void stagePlanAndNetworkMatchUpstream(String name, Path file) throws Exception {
        JsonNode c = JSON.readTree(file.toFile());
        JsonNode a = c.get("arch");
        RegNetArch arch;
        if (c.get("named_arch").isNull()) {
            arch = new RegNetArch(null, a.get("w0").asInt(), a.get("wa").asDouble(), a.get("wm").asDouble(),
                    a.get("group_w").asInt(), a.get("depth").asInt(), a.get("bot_mul").asDouble());
        } else {
            arch = RegNetArch.ARCH_SETTINGS.get(c.get("named_arch").asText());
            assertNotNull(arch, name + ": a named arch of RegNet.arch_settings");
            assertEquals(new RegNetArch(arch.name(), a.get("w0").asInt(), a.get("wa").asDouble(), a.get("wm").asDouble(),
                    a.get("group_w").asInt(), a.get("depth").asInt(), a.get("bot_mul").asDouble()), arch, "arch_settings entry");
        }
        // generate_regnet, step by step
        assertBitwise(doubles(c.get("widths_cont")), arch.widthsCont(), name + " widths_cont");
        assertBitwise(doubles(c.get("ks")), arch.ks(), name + " ks");
        // np.power is the C library's pow, or Intel SVML's on AVX512_SKX CPUs (at times an ulp off): the engine's
        // is the former bit for bit, within an ulp of the latter, and both quantize to the same widths
        double[] pow = arch.widthsPow(), numpyHere = doubles(c.get("widths_pow"));
        assertBitwise(doubles(c.get("widths_pow_libm")), pow, name + " w0 * wm ** ks (libm pow)");
        for (int i = 0; i < pow.length; i++)
            assertEquals(numpyHere[i], pow[i], Math.ulp(pow[i]), name + " w0 * wm ** ks[" + i + "] (numpy on this CPU)");
        assertEquals(ints(c.get("block_widths")), Arrays.stream(arch.blockWidths()).boxed().toList(), name + " block widths");

        RegNetArch.Plan p = arch.plan();
        assertEquals(c.get("num_stages").asInt(), p.numStages(), name + " num_stages");
        assertEquals(ints(c.get("stage_widths")), p.stageWidths(), name + " stage_widths");
        assertEquals(ints(c.get("group_widths")), p.groupWidths(), name + " group_widths");
        assertEquals(ints(c.get("stage_blocks")), p.stageBlocks(), name + " stage_blocks");
        assertEquals(ints(c.get("stage_groups")), p.stageGroups(), name + " groups");
        assertEquals(ints(c.get("inner_widths")), p.innerWidths(), name + " bottleneck widths");
        if (c.has("mmdet_config_fpn_in_channels"))
            assertEquals(ints(c.get("mmdet_config_fpn_in_channels")), p.stageWidths(), name + ": MMDetection's FPN in_channels");

        if (!c.has("parameters")) return; // more than 4 stages: RegNet refuses it (RegNetConfigTest)
        int n = p.numStages();
        String archYaml = arch.name() != null ? arch.name()
                : RegNetConfigs.archYaml(arch.w0(), arch.wa(), arch.wm(), arch.groupW(), arch.depth(), arch.botMul());
        List<Integer> all = IntStream.range(0, n).boxed().toList();
        String strides = String.join(", ", java.util.Collections.nCopies(n, "2"));
        String dil = String.join(", ", java.util.Collections.nCopies(n, "1"));
        BackboneConfig b = RegNetConfigs.r50WithRegNet(archYaml, p.stageWidths(), List.of(
                "out_indices: " + all, "strides: [" + strides + "]", "dilations: [" + dil + "]"), List.of()).model().backbone();
        ResNet net = new ResNet(b);

        Map<String, Tensor> params = net.namedParameters();
        List<String> names = new ArrayList<>(params.keySet());
        List<String> wantNames = new ArrayList<>();
        c.get("parameters").forEach(e -> wantNames.add(e.get(0).asText()));
        assertEquals(wantNames, names, name + ": parameter names in torch's order");
        for (JsonNode e : c.get("parameters"))
            assertArrayEquals(ints(e.get(1)).stream().mapToInt(Integer::intValue).toArray(), params.get(e.get(0).asText()).shape(),
                    name + " " + e.get(0).asText());
        assertEquals(c.get("parameter_count").asLong(), Complexity.parameterCounts(net).get(""), name + " parameter count");

        Map<String, Tensor> sd = net.stateDict();
        List<String> buffers = new ArrayList<>();
        for (String k : sd.keySet()) if (!params.containsKey(k)) buffers.add(k);
        List<String> wantBuffers = new ArrayList<>();
        for (JsonNode e : c.get("buffers")) {
            String k = e.get(0).asText();
            if (k.endsWith("num_batches_tracked") && !sd.containsKey(k)) continue; // a counter the engine need not keep
            wantBuffers.add(k);
            assertArrayEquals(ints(e.get(1)).stream().mapToInt(Integer::intValue).toArray(), sd.get(k).shape(), name + " " + k);
        }
        assertEquals(wantBuffers, buffers, name + ": buffer names in torch's order");

        // output shapes of torch's network on a 64x96 image (stem /2, then each stage /2); the small archs only
        if (c.get("parameter_count").asLong() < 10_000_000L) {
            List<Tensor> outs;
            try (AutoCloseable g = Graph.noGrad()) {
                outs = net.forward(DetectorShapeTest.randomImage(1, 64, 96, 3));
            }
            JsonNode shapes = c.get("output_shapes_64x96");
            assertEquals(shapes.size(), outs.size(), name);
            for (int i = 0; i < outs.size(); i++)
                assertArrayEquals(ints(shapes.get(i)).stream().mapToInt(Integer::intValue).toArray(), outs.get(i).shape(),
                        name + " stage " + i);
        }
        assertSame(b, net.config());
    }
}
