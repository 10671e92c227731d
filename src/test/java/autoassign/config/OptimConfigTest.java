package autoassign.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code optim_wrapper.optimizer}: SGD, Adam and AdamW with torch's defaults, and what is refused. */
class OptimConfigTest {
    private static OptimConfig optimizer(String optimizer) throws Exception {
        String text = Files.readString(Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml"));
        return ConfigLoader.parse(text, "configs/x.yaml", List.of("optim_wrapper.optimizer=" + optimizer)).optimWrapper();
    }

    /** The optimizer on the recipe with its paramwise_cfg (norm_decay_mult) removed. */
    private static OptimConfig optimizerWithoutParamwise(String optimizer) throws Exception {
        String text = Files.readString(Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml"));
        return ConfigLoader.parse(text, "configs/x.yaml", List.of("optim_wrapper.optimizer=" + optimizer,
                "optim_wrapper.paramwise_cfg={_delete_: true}")).optimWrapper();
    }

    private static String error(String optimizer) {
        return assertThrows(ConfigException.class, () -> optimizer(optimizer)).getMessage();
    }

    @Test
    void adamWTakesTorchDefaults() throws Exception {
        OptimConfig o = optimizerWithoutParamwise("{_delete_: true, type: AdamW, lr: 0.0001}");
        assertEquals(OptimConfig.Type.AdamW, o.type());
        assertEquals(1e-4, o.lr());
        assertEquals(0.01, o.weightDecay()); // torch.optim.AdamW's default
        assertEquals(0.9, o.beta1());
        assertEquals(0.999, o.beta2());
        assertEquals(1e-8, o.eps());
        assertEquals(0.0, optimizer("{_delete_: true, type: AdamW, lr: 0.0001, weight_decay: 0.05}").normDecayMult()); // the recipe's paramwise_cfg
    }

    @Test
    void adamWithItsOwnSettings() throws Exception {
        OptimConfig o = optimizer("{_delete_: true, type: Adam, lr: 0.0003, betas: [0.8, 0.95], eps: 1.0e-6, weight_decay: 0.0005}");
        assertEquals(OptimConfig.Type.Adam, o.type());
        assertEquals(0.8, o.beta1());
        assertEquals(0.95, o.beta2());
        assertEquals(1e-6, o.eps());
        assertEquals(5e-4, o.weightDecay());
        assertEquals(0.0, optimizerWithoutParamwise("{_delete_: true, type: Adam}").weightDecay()); // torch.optim.Adam's default
        assertEquals(1e-3, optimizerWithoutParamwise("{_delete_: true, type: Adam}").lr());
    }

    @Test
    void sgdMomentumDefaultsToTorchsZero() throws Exception {
        OptimConfig o = optimizerWithoutParamwise("{_delete_: true, type: SGD, lr: 0.02}");
        assertEquals(OptimConfig.Type.SGD, o.type());
        assertEquals(0.0, o.momentum());
        assertEquals(0.0, o.weightDecay());
        assertEquals(0.9, optimizer("{type: SGD}").momentum()); // merged into the recipe's SGD: its 0.9 stays
    }

    @Test
    void sgdNesterovAndDampeningAsTorch() throws Exception {
        OptimConfig o = optimizer("{type: SGD, nesterov: true}"); // merged into the recipe's SGD (momentum 0.9)
        assertTrue(o.nesterov());
        assertEquals(0.25, optimizer("{type: SGD, dampening: 0.25}").dampening());
        String e = error("{type: SGD, nesterov: true, dampening: 0.1}");
        assertTrue(e.contains("nesterov: Nesterov momentum requires a momentum and zero dampening"), e);
        e = error("{type: SGD, nesterov: true, momentum: 0}");
        assertTrue(e.contains("requires a momentum"), e);
    }

    @Test
    void refusals() {
        assertTrue(error("{type: AdamW}").contains("optimizer.momentum: an SGD setting, which AdamW does not take"), error("{type: AdamW}"));
        assertTrue(error("{_delete_: true, type: AdamW, betas: [0.9]}").contains("betas: must be two numbers in [0, 1)"));
        assertTrue(error("{_delete_: true, type: Adam, betas: [0.9, 1.0]}").contains("betas"));
        assertTrue(error("{_delete_: true, type: AdamW, fused: true}").contains("fused"));
        assertTrue(error("{_delete_: true, type: Lion, lr: 0.01}").contains("must be one of SGD, Adam, AdamW, RMSprop"));
        assertTrue(error("{_delete_: true, type: Adam, lr: 0.001, capturable: true}").contains("capturable"));
        // the recipe's paramwise_cfg has norm_decay_mult: without a weight_decay MMEngine has no base to multiply
        String e = error("{_delete_: true, type: AdamW, lr: 0.0001}");
        assertTrue(e.contains("paramwise_cfg.norm_decay_mult: needs optimizer.weight_decay"), e);
    }
}
