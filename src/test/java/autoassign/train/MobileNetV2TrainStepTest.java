package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.Batch;
import autoassign.model.AutoAssignDetector;
import autoassign.model.MobileNetV2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiny synthetic training recipe with its ResNet-18 replaced by a MobileNetV2 (widen 0.35, layer3 / layer5 /
 * layer7 at strides 8, 16, 32; BN with batch statistics, ReLU6): every backbone parameter on the path trains, the loss
 * is finite and falls; and {@code paramwise_cfg.dwconv_decay_mult} reaches exactly the depth-wise convs.
 */
class MobileNetV2TrainStepTest {
    @TempDir Path tmp;

    static final String MOBILENET = """
              backbone:
                type: MobileNetV2
                widen_factor: 0.35
                out_indices: [2, 4, 6]                 # layer3, layer5, layer7: 16, 32, 112 channels
            """;

    static Config tinyMobileNet(Path dir, String... overrides) throws Exception {
        String y = TinyTrainConfig.yaml();
        if (!y.contains(RegNetTrainStepTest.RESNET18) || !y.contains("in_channels: [32, 64, 128]"))
            throw new IllegalStateException("the tiny config's backbone changed");
        y = y.replace(RegNetTrainStepTest.RESNET18, MOBILENET).replace("in_channels: [32, 64, 128]", "in_channels: [16, 32, 112]");
        Files.createDirectories(dir);
        Path f = dir.resolve("tiny_mobilenet.yaml");
        Files.writeString(f, y);
        return ConfigLoader.load(f, List.of(overrides));
    }

    @Test
    void aFewStepsOnSyntheticDataLowerTheLoss() throws Exception {
        Config cfg = tinyMobileNet(tmp);
        assertEquals("MobileNetV2", cfg.model().backboneSpec().type());
        Batch batch = TinyTrainSteps.firstBatch(cfg, tmp.resolve("data"));
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        assertInstanceOf(MobileNetV2.class, model.backbone);
        java.util.Map<String, float[]> before = new java.util.LinkedHashMap<>();
        model.backbone.namedParameters().forEach((k, t) -> before.put(k, t.toFloatArray()));
        TinyTrainSteps.lowerTheLoss(model, batch, () -> {
            // conv2 runs after the last returned stage (layer7): it feeds no output and gets no gradient
            model.backbone.namedParameters().forEach((k, t) -> assertEquals(!k.startsWith("conv2."),
                    !java.util.Arrays.equals(before.get(k), t.toFloatArray()), "backbone." + k + " trains"));
        });
    }

    /**
     * Stages after the last returned one never get a gradient (torch's SGD skips their None grads); a data-parallel
     * step averages a missing gradient as zeros, so if they had optimizer groups their weights would decay there and
     * nowhere else. out_indices [2, 4]: layer6, layer7 and conv2 are in no group; layer5 is.
     */
    @Test
    void stagesAfterTheLastOutputHaveNoOptimizerGroup() throws Exception {
        Config cfg = tinyMobileNet(tmp, "model.backbone.out_indices=[2,4]", "model.neck.in_channels=[16,32]");
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        Set<String> grouped = OptimizerGroups.of(model, cfg.optimWrapper()).stream().map(Optimizer.Group::name)
                .collect(Collectors.toSet());
        for (String k : model.namedParameters().keySet()) {
            boolean unreached = k.startsWith("backbone.layer6.") || k.startsWith("backbone.layer7.") || k.startsWith("backbone.conv2.");
            assertEquals(!unreached, grouped.contains(k), k);
        }
        assertTrue(grouped.contains("backbone.layer5.2.linear_conv.conv.weight"));
        assertEquals(Set.of(), ((MobileNetV2) new AutoAssignDetector(tinyMobileNet(tmp.resolve("all"),
                "model.backbone.out_indices=[2,4,7]", "model.neck.in_channels=[16,32,1280]").model(), 0).backbone)
                .parametersAfterTheLastOutput());
    }

    /**
     * MMEngine's chain (default_constructor.py): norm, then bias, then {@code is_dwconv} (Conv2d with in_channels ==
     * groups), then flat. Depth-wise weights take dwconv_decay_mult; their BN takes norm_decay_mult; the other convs'
     * weights decay at the base rate; without dwconv_decay_mult the depth-wise weights decay at the base rate too.
     */
    @Test
    void dwconvDecayMultReachesTheDepthwiseConvsOnly() throws Exception {
        Config cfg = tinyMobileNet(tmp, "optim_wrapper.paramwise_cfg={norm_decay_mult: 0.0, dwconv_decay_mult: 0.5, flat_decay_mult: 3.0}");
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        double wd = cfg.optimWrapper().weightDecay();
        assertEquals(0.5, cfg.optimWrapper().dwconvDecayMult());
        Map<String, Optimizer.Group> g = OptimizerGroups.of(model, cfg.optimWrapper()).stream()
                .collect(Collectors.toMap(Optimizer.Group::name, x -> x));
        int depthwise = 0;
        for (Optimizer.Group x : g.values()) {
            String n = x.name();
            double want;
            if (n.contains(".depthwise_conv.conv.")) {
                want = 0.5 * wd;
                depthwise++;
            } else if (n.contains(".bn.") || n.contains(".gn.") || model.normParameterNames().contains(n)) want = 0;
            else if (x.param().rank() == 1) want = 3 * wd; // biases of the neck / head: no bias rule given, the flat one
            else want = wd;
            assertEquals((float) want, x.weightDecay(), 1e-12f, n);
        }
        assertEquals(17, depthwise, "one depth-wise conv per InvertedResidual block");
        assertEquals(17, OptimizerGroups.depthwiseConvParameterNames(model).size());

        Config plain = tinyMobileNet(tmp, "optim_wrapper.paramwise_cfg={norm_decay_mult: 0.0}");
        assertTrue(Double.isNaN(plain.optimWrapper().dwconvDecayMult()), "absent: MMEngine's None");
        Map<String, Optimizer.Group> p = OptimizerGroups.of(new AutoAssignDetector(plain.model(), 0), plain.optimWrapper()).stream()
                .collect(Collectors.toMap(Optimizer.Group::name, x -> x));
        assertEquals((float) wd, p.get("backbone.layer2.0.depthwise_conv.conv.weight").weightDecay(), 1e-12f);
    }
}
