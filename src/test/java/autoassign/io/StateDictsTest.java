package autoassign.io;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class StateDictsTest {
    static final RawTensor T = RawTensor.ofFloats(new float[]{1});

    @Test
    void findsTheStateDictWhereMmengineLooks() {
        Map<String, Object> sd = new LinkedHashMap<>(Map.of("module.a.weight", T));
        assertEquals(Map.of("a.weight", T), StateDicts.find(Map.of("state_dict", sd, "meta", Map.of())));
        assertEquals(Map.of("a.weight", T), StateDicts.find(Map.of("model", sd, "optimizer", Map.of("x", T))));
        assertEquals(Map.of("a.weight", T), StateDicts.find(sd));
        // 'model' that is not a state dict (e.g. a name) is not taken
        assertEquals(Map.of("w", T), StateDicts.find(Map.of("model", "resnet50", "w", T)));
    }

    @Test
    void mapsEveryResnetNameForm() {
        Map<String, String> cases = new LinkedHashMap<>();
        // torchvision / MMDetection names (the MSRA file), with and without backbone. prefix
        cases.put("conv1.weight", "backbone.conv1.weight");
        cases.put("bn1.running_var", "backbone.bn1.running_var");
        cases.put("layer1.0.conv1.weight", "backbone.layer1.0.conv1.weight");
        cases.put("layer4.2.bn3.bias", "backbone.layer4.2.bn3.bias");
        cases.put("layer1.0.downsample.0.weight", "backbone.layer1.0.downsample.0.weight");
        cases.put("layer3.0.downsample.1.running_mean", "backbone.layer3.0.downsample.1.running_mean");
        cases.put("backbone.layer2.1.conv2.weight", "backbone.layer2.1.conv2.weight");
        // ResNetV1c's deep stem (open-mmlab://resnet50_v1c) and avg_down's downsample.2 norm
        cases.put("stem.0.weight", "backbone.stem.0.weight");
        cases.put("stem.7.running_var", "backbone.stem.7.running_var");
        cases.put("layer2.0.downsample.2.weight", "backbone.layer2.0.downsample.2.weight");
        // Detectron (Caffe2 blob) names
        cases.put("conv1_w", "backbone.conv1.weight");
        cases.put("res_conv1_bn_s", "backbone.bn1.weight");
        cases.put("res_conv1_bn_b", "backbone.bn1.bias");
        cases.put("res2_0_branch2a_w", "backbone.layer1.0.conv1.weight");
        cases.put("res2_0_branch2c_bn_s", "backbone.layer1.0.bn3.weight");
        cases.put("res3_3_branch2b_bn_b", "backbone.layer2.3.bn2.bias");
        cases.put("res5_0_branch1_w", "backbone.layer4.0.downsample.0.weight");
        cases.put("res4_0_branch1_bn_s", "backbone.layer3.0.downsample.1.weight");
        cases.put("res4_0_branch1_bn_riv", "backbone.layer3.0.downsample.1.running_var");
        // Detectron2 names
        cases.put("stem.conv1.weight", "backbone.conv1.weight");
        cases.put("stem.conv1.norm.bias", "backbone.bn1.bias");
        cases.put("res2.0.conv3.weight", "backbone.layer1.0.conv3.weight");
        cases.put("res3.1.conv2.norm.running_mean", "backbone.layer2.1.bn2.running_mean");
        cases.put("res5.0.shortcut.weight", "backbone.layer4.0.downsample.0.weight");
        cases.put("res5.0.shortcut.norm.weight", "backbone.layer4.0.downsample.1.weight");
        cases.forEach((from, to) -> assertEquals(to, StateDicts.resnetName(from), from));
        for (String ignored : List.of("fc.weight", "fc.bias", "conv1.bias", "fc1000_w", "pred_b", "stem.2.weight", "neck.fpn_convs.0.conv.weight", "layer5.0.conv1.weight"))
            assertNull(StateDicts.resnetName(ignored), ignored);
    }

    @Test
    void mappingKeepsTensorsAndListsIgnoredNames() {
        Map<String, RawTensor> in = new LinkedHashMap<>();
        in.put("conv1.weight", T);
        in.put("fc.weight", T);
        in.put("layer1.0.bn1.num_batches_tracked", T);
        StateDicts.Mapped m = StateDicts.resnetToBackbone(in);
        assertEquals(List.of("backbone.conv1.weight", "backbone.layer1.0.bn1.num_batches_tracked"), List.copyOf(m.tensors().keySet()));
        assertEquals(List.of("fc.weight"), m.ignored());
    }
}
