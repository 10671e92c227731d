package autoassign.model;

import autoassign.autograd.Graph;
import autoassign.config.ActivationConfig;
import autoassign.config.EfficientNetConfig;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Upstream's {@code EfficientNet.train(mode)} re-runs {@code _freeze_stages}: {@code layers[0..frozen_stages-1].eval()},
 * so the DropPath of a frozen layer's blocks is the identity in training (DropPath acts only when
 * {@code self.training}).
 */
class EfficientNetFrozenDropPathTest {
    @Test
    void frozenLayersStayInEvalModeSoTheirDropPathIsTheIdentity() {
        // b1: layer 1 has two blocks (ceil(1.1 · 1)); its second (16 → 16, stride 1) is residual with a drop-path rate
        // linspace(0, 0.5, 23)[1] > 0. frozen_stages 2 freezes layers 0 and 1: the whole returned network.
        EfficientNetConfig cfg = new EfficientNetConfig("b1", 0.5, List.of(1), 2, true, EfficientNetConfig.DEFAULT_NORM,
                ActivationConfig.SWISH_DEFAULT, false, false, null, null);
        assertTrue(cfg.blocks().get(0).get(1).residual() && cfg.blocks().get(0).get(1).dropPathRate() > 0);
        EfficientNet m = new EfficientNet(cfg);
        m.initWeights(new Random(1));
        Tensor x = DetectorShapeTest.randomImage(4, 24, 20, 3);
        float[] eval;
        try (Graph.Scope g = Graph.noGrad()) {
            eval = m.forward(x).get(0).toFloatArray();
        }
        m.train(true);
        m.setTrainingRandom(new Random(7));
        float[] train;
        try (Graph.Scope g = Graph.noGrad()) {
            train = m.forward(x).get(0).toFloatArray();
        }
        assertArrayEquals(eval, train, "a frozen layer's drop path passes x through");
        for (int i = 0; i < 2; i++) assertFalse(m.layers.get(i).isTraining(), "layers." + i + " is frozen: eval mode");
        m.train(false);
        EfficientNet open = new EfficientNet(new EfficientNetConfig("b1", 0.5, List.of(1, 2), 1, true,
                EfficientNetConfig.DEFAULT_NORM, ActivationConfig.SWISH_DEFAULT, false, false, null, null));
        open.train(true);
        assertFalse(open.layers.get(0).isTraining(), "layers.0 frozen");
        assertTrue(open.layers.get(1).isTraining() && open.layers.get(2).isTraining(), "unfrozen layers train");
    }
}
