package autoassign.config;

import autoassign.model.Neck;
import autoassign.model.Hrfpn;
import autoassign.model.Pafpn;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code model.neck}: PAFPN and HRFPN keys, FPN's norm_cfg / act_cfg / end_level rules, one-line errors naming the key. */
class NeckConfigTest {
    static final Path PAFPN = Path.of("configs/autoassign_r50-caffe_pafpn_1x_coco.yaml");

    /** The R50 recipe with its neck replaced by an HRFPN on C2..C5 (stride-2 output convs: strides 8..128). */
    static final List<String> HRFPN = List.of("model.neck._delete_=True", "model.neck.type=HRFPN",
            "model.neck.in_channels=[256, 512, 1024, 2048]", "model.neck.out_channels=256", "model.neck.stride=2");

    static Config r50(List<String> overrides) throws Exception {
        return ConfigLoader.parse(Files.readString(ConfigLoaderTest.R50), "configs/x.yaml", overrides);
    }

    static ConfigException fails(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        ConfigException e = assertThrows(ConfigException.class, () -> r50(all));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    @Test
    void aNullInitCfgIsRefusedNotTakenForTheDefault() {
        // upstream: init_cfg None skips the neck's Xavier init (MMCV's ConvModule kaiming_normal stays)
        ConfigException e = fails(List.of(), "model.neck.init_cfg=None");
        assertTrue(e.getMessage().contains("model.neck.init_cfg") && e.getMessage().contains("kaiming_normal"), e.getMessage());
    }

    @Test
    void pafpnConfigIsTheR50RecipeWithAPafpn() throws Exception {
        Config c = ConfigLoader.load(PAFPN);
        NeckConfig n = c.model().neck();
        assertEquals("PAFPN", n.type());
        assertEquals(ConfigLoader.load(ConfigLoaderTest.R50).model().neck().inChannels(), n.inChannels());
        assertEquals(1, n.startLevel());
        assertEquals("on_input", n.addExtraConvs());
        assertEquals("Caffe2Xavier", n.init());
        assertEquals(List.of(8, 16, 32, 64, 128), c.model().expectedStrides());
        Neck m = Neck.build(n);
        Pafpn p = assertInstanceOf(Pafpn.class, m);
        assertEquals(2, p.downsampleConvs.size());
        var sd = m.stateDict();
        assertArrayEquals(new int[] {256, 256, 3, 3}, sd.get("downsample_convs.1.conv.weight").shape());
        assertArrayEquals(new int[] {256}, sd.get("pafpn_convs.1.conv.bias").shape());
        assertNull(sd.get("downsample_convs.2.conv.weight"));
        // FPN's 7,997,440 (R50StateDictTest) + 2 × 2 × (3·3·256·256 + 256)
        assertEquals(7_997_440L + 4L * (9 * 256 * 256 + 256), m.parameterCount());
    }

    @Test
    void hrfpnKeysDefaultsAndStrides() throws Exception {
        Config c = r50(HRFPN);
        NeckConfig n = c.model().neck();
        assertEquals("HRFPN", n.type());
        assertEquals(5, n.numOuts());
        assertEquals("AVG", n.poolingType());
        assertEquals("Caffe2Xavier", n.init());
        assertEquals(List.of(8, 16, 32, 64, 128), c.model().expectedStrides());
        Neck m = Neck.build(n);
        Hrfpn h = assertInstanceOf(Hrfpn.class, m);
        var sd = m.stateDict();
        assertArrayEquals(new int[] {256, 3840, 1, 1}, sd.get("reduction_conv.conv.weight").shape());
        assertArrayEquals(new int[] {256, 256, 3, 3}, sd.get("fpn_convs.4.conv.weight").shape());
        assertEquals(2, h.fpnConvs.get(0).conv.geometry.strideH());
        // norm_cfg and with_cp are accepted; as upstream, no norm layer is built (every conv keeps its bias)
        Config withNorm = r50(concat(HRFPN, "model.neck.norm_cfg={type: GN, num_groups: 32}", "model.neck.with_cp=true",
                "model.neck.pooling_type=MAX"));
        assertNull(withNorm.model().neck().norm());
        assertEquals("MAX", withNorm.model().neck().poolingType());
        assertEquals(m.parameterCount(), Neck.build(withNorm.model().neck()).parameterCount());
    }

    @Test
    void hrfpnErrorsNameTheKey() {
        assertEquals("model.neck.pooling_type", fails(HRFPN, "model.neck.pooling_type=SUM").key());
        assertEquals("model.neck.stride", fails(HRFPN, "model.neck.stride=0").key());
        assertEquals("model.neck.start_level", fails(HRFPN, "model.neck.start_level=1").key()); // not an HRFPN key
        assertEquals("model.neck.act_cfg", fails(HRFPN, "model.neck.act_cfg={type: ReLU}").key());
        // strides 4..64 without the stride-2 convs: the head's 8..128 no longer match
        ConfigException e = fails(HRFPN, "model.neck.stride=1");
        assertEquals("model.bbox_head.strides", e.key());
        assertTrue(e.getMessage().contains("[4, 8, 16, 32, 64]"), e.getMessage());
    }

    @Test
    void fpnFamilyNormActAndConvCfg() throws Exception {
        Config c = r50(List.of("model.neck.type=PAFPN", "model.neck.norm_cfg={type: GN, num_groups: 32}",
                "model.neck.act_cfg={type: ReLU}", "model.neck.no_norm_on_lateral=true", "model.neck.conv_cfg={type: Conv2d}"));
        NeckConfig n = c.model().neck();
        assertTrue(n.norm().isGroupNorm());
        assertTrue(n.relu());
        assertTrue(n.noNormOnLateral());
        var sd = Neck.build(n).stateDict();
        assertNull(sd.get("fpn_convs.0.conv.bias"), "ConvModule bias='auto': no bias with a norm");
        assertArrayEquals(new int[] {256}, sd.get("fpn_convs.0.gn.weight").shape());
        assertArrayEquals(new int[] {256}, sd.get("downsample_convs.0.gn.bias").shape());
        assertArrayEquals(new int[] {256}, sd.get("lateral_convs.0.conv.bias").shape(), "no_norm_on_lateral");
        assertNull(sd.get("lateral_convs.0.gn.weight"));
        Config bn = r50(List.of("model.neck.norm_cfg={type: BN}"));
        assertArrayEquals(new int[] {256}, Neck.build(bn.model().neck()).stateDict()
                .get("lateral_convs.2.bn.running_var").shape());
        // norm_cfg.eps reaches every BN of the neck (SSDLite's BN eps 1e-3); 1e-5 by default
        assertEquals(List.of(1e-5f), bnEps(Neck.build(bn.model().neck())));
        Config eps = r50(List.of("model.neck.type=PAFPN", "model.neck.norm_cfg={type: BN, eps: 0.001, momentum: 0.03}"));
        assertEquals(List.of(1e-3f), bnEps(Neck.build(eps.model().neck())));
    }

    /** The distinct eps of the BatchNorms in m. */
    private static List<Float> bnEps(autoassign.nn.Module m) {
        java.util.Set<Float> out = new java.util.TreeSet<>();
        java.util.ArrayDeque<autoassign.nn.Module> todo = new java.util.ArrayDeque<>(List.of(m));
        while (!todo.isEmpty()) {
            autoassign.nn.Module x = todo.pop();
            if (x instanceof autoassign.nn.BatchNorm2d b) out.add(b.eps());
            todo.addAll(x.children().values());
        }
        return new ArrayList<>(out);
    }

    @Test
    void fpnFamilyErrorsNameTheKey() {
        List<String> none = List.of();
        assertEquals("model.neck.type", fails(none, "model.neck.type=BiFPN").key());
        assertEquals("model.neck.norm_cfg.type", fails(none, "model.neck.norm_cfg={type: SyncBN}").key());
        assertEquals("model.neck.norm_cfg.num_groups", fails(none, "model.neck.norm_cfg={type: GN, num_groups: 7}").key());
        assertEquals("model.neck.norm_cfg.eps", fails(none, "model.neck.norm_cfg={type: BN, eps: 0}").key());
        assertEquals("model.neck.act_cfg.type", fails(none, "model.neck.act_cfg={type: GELU}").key());
        assertEquals("model.neck.conv_cfg.type", fails(none, "model.neck.conv_cfg={type: DCNv2}").key());
        assertEquals("model.neck.pooling_type", fails(none, "model.neck.pooling_type=MAX").key()); // HRFPN only
        assertEquals("model.neck.no_norm_on_lateral", fails(none, "model.neck.no_norm_on_lateral=maybe").key());
    }

    /** MMDetection 2.x/3.x: end_level is the last input used, inclusive; only the last input allows extra levels. */
    @Test
    void endLevelIsInclusive() throws Exception {
        List<String> base = List.of("model.neck.start_level=0", "model.bbox_head.strides=[4, 8, 16]",
                "model.neck.add_extra_convs=false");
        Config c = r50(concat(base, "model.neck.end_level=2", "model.neck.num_outs=3"));
        assertEquals(3, c.model().neck().backboneEndLevel());
        assertEquals(3, Neck.build(c.model().neck()).stateDict().keySet().stream()
                .filter(k -> k.matches("lateral_convs\\.\\d\\.conv\\.weight")).count());
        assertEquals(4, r50(concat(base, "model.neck.end_level=3", "model.bbox_head.strides=[4, 8, 16, 32, 64]"))
                .model().neck().backboneEndLevel(), "the last index = all inputs: extra levels allowed");
        assertEquals("model.neck.num_outs", fails(base, "model.neck.end_level=2").key()); // 5 outputs from 3 levels
        assertEquals("model.neck.end_level", fails(base, "model.neck.end_level=4").key());
    }

    private static List<String> concat(List<String> a, String... b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(List.of(b));
        return all;
    }
}
