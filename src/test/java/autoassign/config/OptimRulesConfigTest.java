package autoassign.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code optim_wrapper.optimizer} of RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam and Adam's amsgrad: torch's
 * defaults, the settings each takes, torch's speed switches accepted, bad values and refused optimizers as one-line
 * errors naming the key.
 */
class OptimRulesConfigTest {
    private static OptimConfig optimizer(String optimizer) throws Exception {
        String text = Files.readString(Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml"));
        return ConfigLoader.parse(text, "configs/x.yaml", List.of("optim_wrapper.optimizer=" + optimizer,
                "optim_wrapper.paramwise_cfg={_delete_: true}")).optimWrapper();
    }

    private static String error(String optimizer) {
        String m = assertThrows(ConfigException.class, () -> optimizer(optimizer)).getMessage();
        assertFalse(m.contains("\n"), "one line: " + m);
        return m;
    }

    @Test
    void torchDefaults() throws Exception {
        OptimConfig r = optimizer("{_delete_: true, type: RMSprop}");
        assertEquals(OptimConfig.Type.RMSprop, r.type());
        assertEquals(1e-2, r.lr());
        assertEquals(0.99, r.rule().alpha());
        assertEquals(1e-8, r.eps());
        assertEquals(0.0, r.momentum());
        assertEquals(0.0, r.weightDecay());
        assertFalse(r.rule().centered());
        OptimConfig a = optimizer("{_delete_: true, type: Adagrad}");
        assertEquals(1e-2, a.lr());
        assertEquals(1e-10, a.eps());
        assertEquals(0.0, a.rule().lrDecay());
        assertEquals(0.0, a.rule().initialAccumulatorValue());
        OptimConfig d = optimizer("{_delete_: true, type: Adadelta}");
        assertEquals(1.0, d.lr());
        assertEquals(0.9, d.rule().rho());
        assertEquals(1e-6, d.eps());
        OptimConfig x = optimizer("{_delete_: true, type: Adamax}");
        assertEquals(2e-3, x.lr());
        assertEquals(0.9, x.beta1());
        assertEquals(0.999, x.beta2());
        OptimConfig n = optimizer("{_delete_: true, type: NAdam}");
        assertEquals(2e-3, n.lr());
        assertEquals(4e-3, n.rule().momentumDecay());
        assertFalse(n.rule().decoupledWeightDecay());
        OptimConfig ra = optimizer("{_delete_: true, type: RAdam}");
        assertEquals(1e-3, ra.lr());
        assertEquals(1e-8, ra.eps());
        assertFalse(optimizer("{_delete_: true, type: Adam}").rule().amsgrad());
        OptimConfig rp = optimizer("{_delete_: true, type: Rprop}");
        assertEquals(OptimConfig.Type.Rprop, rp.type());
        assertEquals(1e-2, rp.lr());
        assertEquals(0.5, rp.rule().etaMinus());
        assertEquals(1.2, rp.rule().etaPlus());
        assertEquals(1e-6, rp.rule().stepSizeMin());
        assertEquals(50.0, rp.rule().stepSizeMax());
        assertEquals(0.0, rp.weightDecay());
        OptimConfig as = optimizer("{_delete_: true, type: ASGD}");
        assertEquals(OptimConfig.Type.ASGD, as.type());
        assertEquals(1e-2, as.lr());
        assertEquals(1e-4, as.rule().lambd());
        assertEquals(0.75, as.rule().asgdAlpha());
        assertEquals(1e6, as.rule().t0());
        assertEquals(0.0, as.weightDecay());
        assertFalse(as.rule().maximize());
    }

    @Test
    void rpropAndAsgdTakeTheirSettings() throws Exception {
        OptimConfig rp = optimizer("{_delete_: true, type: Rprop, lr: 0.001, etas: [0.3, 1.5], step_sizes: [1.0e-4, 0.01], maximize: true,"
                + " foreach: false, capturable: false, differentiable: false}");
        assertEquals(0.3, rp.rule().etaMinus());
        assertEquals(1.5, rp.rule().etaPlus());
        assertEquals(1e-4, rp.rule().stepSizeMin());
        assertEquals(0.01, rp.rule().stepSizeMax());
        assertTrue(rp.rule().maximize());
        OptimConfig as = optimizer("{_delete_: true, type: ASGD, lr: 0.05, lambd: 0.01, alpha: 0.5, t0: 100, weight_decay: 0.0001,"
                + " maximize: true}");
        assertEquals(0.01, as.rule().lambd());
        assertEquals(0.5, as.rule().asgdAlpha());
        assertEquals(100.0, as.rule().t0());
        assertEquals(1e-4, as.weightDecay());
        // torch.optim.Rprop has no weight_decay: MMEngine would fail to build it
        String e = error("{_delete_: true, type: Rprop, weight_decay: 0.0001}");
        assertTrue(e.contains("optim_wrapper.optimizer.weight_decay: torch's Rprop takes no weight_decay"), e);
        assertTrue(error("{_delete_: true, type: Rprop, etas: [0.5, 0.9]}").contains("optim_wrapper.optimizer.etas"));
        assertTrue(error("{_delete_: true, type: Rprop, etas: [0.0, 1.2]}").contains("optim_wrapper.optimizer.etas"));
        assertTrue(error("{_delete_: true, type: Rprop, step_sizes: [0.1]}").contains("optim_wrapper.optimizer.step_sizes"));
        assertTrue(error("{_delete_: true, type: Rprop, fused: true}").contains("optim_wrapper.optimizer.fused"));
        assertTrue(error("{_delete_: true, type: ASGD, lambd: -1}").contains("optim_wrapper.optimizer.lambd"));
        assertTrue(error("{_delete_: true, type: ASGD, alpha: -1}").contains("optim_wrapper.optimizer.alpha"));
        assertTrue(error("{_delete_: true, type: ASGD, momentum: 0.9}").contains("optim_wrapper.optimizer.momentum: an SGD setting"));
        assertTrue(error("{_delete_: true, type: ASGD, eps: 1.0e-8}").contains("optim_wrapper.optimizer.eps"));
        assertTrue(error("{_delete_: true, type: Rprop, etas: [0.5, 1.2], lambd: 0.1}").contains("optim_wrapper.optimizer.lambd"));
    }

    @Test
    void eachRuleTakesItsSettings() throws Exception {
        OptimConfig r = optimizer("{_delete_: true, type: RMSprop, lr: 0.001, alpha: 0.9, eps: 1.0e-6, momentum: 0.8, centered: true,"
                + " weight_decay: 0.0001, maximize: true, foreach: true, capturable: false, differentiable: false}");
        assertEquals(0.9, r.rule().alpha());
        assertEquals(0.8, r.momentum());
        assertTrue(r.rule().centered());
        assertTrue(r.rule().maximize());
        assertEquals(1e-4, r.weightDecay());
        OptimConfig a = optimizer("{_delete_: true, type: Adagrad, lr_decay: 0.1, initial_accumulator_value: 0.5, fused: null}");
        assertEquals(0.1, a.rule().lrDecay());
        assertEquals(0.5, a.rule().initialAccumulatorValue());
        assertEquals(0.8, optimizer("{_delete_: true, type: Adadelta, rho: 0.8}").rule().rho());
        OptimConfig n = optimizer("{_delete_: true, type: NAdam, betas: [0.8, 0.99], momentum_decay: 0.01, decoupled_weight_decay: true}");
        assertEquals(0.8, n.beta1());
        assertEquals(0.01, n.rule().momentumDecay());
        assertTrue(n.rule().decoupledWeightDecay());
        assertTrue(optimizer("{_delete_: true, type: RAdam, decoupled_weight_decay: true}").rule().decoupledWeightDecay());
        assertTrue(optimizer("{_delete_: true, type: AdamW, amsgrad: true}").rule().amsgrad());
        assertTrue(optimizer("{_delete_: true, type: Adam, amsgrad: true}").rule().amsgrad());
        assertTrue(optimizer("{_delete_: true, type: Adam, decoupled_weight_decay: true}").rule().decoupledWeightDecay()); // torch 2.x
        assertTrue(optimizer("{_delete_: true, type: AdamW}").rule().decoupledWeightDecay());
    }

    @Test
    void badValuesNameTheKey() {
        assertTrue(error("{_delete_: true, type: RMSprop, alpha: -0.1}").contains("optim_wrapper.optimizer.alpha"));
        assertTrue(error("{_delete_: true, type: RMSprop, momentum: -1}").contains("optim_wrapper.optimizer.momentum"));
        assertTrue(error("{_delete_: true, type: RMSprop, lr: -1}").contains("optim_wrapper.optimizer.lr"));
        assertTrue(error("{_delete_: true, type: Adagrad, lr_decay: -0.1}").contains("optim_wrapper.optimizer.lr_decay"));
        assertTrue(error("{_delete_: true, type: Adagrad, initial_accumulator_value: -1}")
                .contains("optim_wrapper.optimizer.initial_accumulator_value"));
        assertTrue(error("{_delete_: true, type: Adadelta, rho: 1.5}").contains("optim_wrapper.optimizer.rho"));
        assertTrue(error("{_delete_: true, type: Adamax, betas: [0.9, 1.0]}").contains("optim_wrapper.optimizer.betas"));
        assertTrue(error("{_delete_: true, type: NAdam, momentum_decay: -1}").contains("optim_wrapper.optimizer.momentum_decay"));
        assertTrue(error("{_delete_: true, type: RAdam, eps: -1}").contains("optim_wrapper.optimizer.eps"));
        assertTrue(error("{_delete_: true, type: NAdam, weight_decay: -1}").contains("optim_wrapper.optimizer.weight_decay"));
    }

    @Test
    void settingsOfOtherRulesAreRefused() {
        assertTrue(error("{_delete_: true, type: Adamax, momentum: 0.9}").contains("optim_wrapper.optimizer.momentum: an SGD setting"));
        assertTrue(error("{_delete_: true, type: RMSprop, nesterov: true}").contains("optim_wrapper.optimizer.nesterov"));
        assertTrue(error("{_delete_: true, type: Adamax, decoupled_weight_decay: true}").contains("optim_wrapper.optimizer.decoupled_weight_decay"));
        assertTrue(error("{_delete_: true, type: AdamW, decoupled_weight_decay: false}").contains("optim_wrapper.optimizer.decoupled_weight_decay"));
        assertTrue(error("{_delete_: true, type: SGD, lr: 0.01, decoupled_weight_decay: true}").contains("optim_wrapper.optimizer.decoupled_weight_decay"));
        assertTrue(error("{_delete_: true, type: NAdam, amsgrad: true}").contains("optim_wrapper.optimizer.amsgrad"));
        assertTrue(error("{_delete_: true, type: Adagrad, centered: true}").contains("optim_wrapper.optimizer.centered"));
        assertTrue(error("{_delete_: true, type: Adam, maximize: 1}").contains("optim_wrapper.optimizer.maximize"));
    }

    @Test
    void sgdAdamAndAdamWTakeMaximize() throws Exception {
        for (String type : List.of("SGD", "Adam", "AdamW")) {
            OptimConfig on = optimizer("{_delete_: true, type: " + type + ", lr: 0.01, maximize: true}");
            assertTrue(on.rule().maximize(), type);
            OptimConfig off = optimizer("{_delete_: true, type: " + type + ", lr: 0.01}");
            assertFalse(off.rule().maximize(), type);
        }
        OptimConfig a = optimizer("{_delete_: true, type: AdamW, lr: 0.01, amsgrad: true, maximize: true}");
        assertTrue(a.rule().amsgrad() && a.rule().maximize() && a.rule().decoupledWeightDecay());
    }

    @Test
    void unsupportedOptimizersSayWhy() {
        assertTrue(error("{_delete_: true, type: LBFGS}").contains("optim_wrapper.optimizer.type: LBFGS is not supported: it needs a closure"));
        assertTrue(error("{_delete_: true, type: SparseAdam}").contains("sparse gradients"));
        assertTrue(error("{_delete_: true, type: Lion}").contains("optim_wrapper.optimizer.type"));
    }
}
