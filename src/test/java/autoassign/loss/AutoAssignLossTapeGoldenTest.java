package autoassign.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import autoassign.autograd.Graph;
import autoassign.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Tensor-level {@link AutoAssignLoss} on the autograd tape: per-level NCHW leaves in, backward
 * from the three losses, the leaves' gradients must be the golden {@code grads_total} (and the
 * unfused reference must match the goldens too).
 */
class AutoAssignLossTapeGoldenTest {

    static Stream<String> cases() throws Exception {
        return LossGoldenCase.caseFiles();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardThroughTapeMatchesGolden(String file) throws Exception {
        LossGoldenCase gc = LossGoldenCase.load(file);
        int levels = gc.strides.length;
        Tensor[] cls = new Tensor[levels], bbox = new Tensor[levels], obj = new Tensor[levels];
        for (int l = 0; l < levels; l++) {
            int h = gc.featmapSizes[l][0], w = gc.featmapSizes[l][1];
            cls[l] = Tensor.of(LossGoldenCase.f(gc.cls[l]), gc.batch, gc.numClasses, h, w).setRequiresGrad(true);
            bbox[l] = Tensor.of(LossGoldenCase.f(gc.bbox[l]), gc.batch, 4, h, w).setRequiresGrad(true);
            obj[l] = Tensor.of(LossGoldenCase.f(gc.obj[l]), gc.batch, 1, h, w).setRequiresGrad(true);
        }
        Tensor mean = Tensor.of(LossGoldenCase.f(gc.mean), gc.numClasses, 2).setRequiresGrad(true);
        Tensor sigma = Tensor.of(LossGoldenCase.f(gc.sigma), gc.numClasses, 2).setRequiresGrad(true);
        GroundTruth[] gts = new GroundTruth[gc.batch];
        for (int b = 0; b < gc.batch; b++) gts[b] = new GroundTruth(LossGoldenCase.f(gc.gtBoxes[b]), gc.gtLabels[b]);

        Graph.clear();
        AutoAssignLoss.Losses losses = AutoAssignLoss.apply(cls, bbox, obj, mean, sigma, gts, gc.strides);
        assertEquals(1, Graph.size(), "one node on the tape");
        List<String> failures = new ArrayList<>();
        AutoAssignLossGoldenTest.checkLoss("loss_pos", losses.pos().item(), gc.lossPos, failures);
        AutoAssignLossGoldenTest.checkLoss("loss_neg", losses.neg().item(), gc.lossNeg, failures);
        AutoAssignLossGoldenTest.checkLoss("loss_center", losses.center().item(), gc.lossCenter, failures);
        Graph.backward(new Tensor[] {losses.pos(), losses.neg(), losses.center()},
                new Tensor[] {Tensor.scalar(1f), Tensor.scalar(1f), Tensor.scalar(1f)});
        assertEquals(0, Graph.size(), "tape consumed");
        check(failures, "mean", mean, gc.grad("grads_total", "center_prior_mean")[0]);
        check(failures, "sigma", sigma, gc.grad("grads_total", "center_prior_sigma")[0]);
        for (int l = 0; l < levels; l++) {
            check(failures, "cls[" + l + "]", cls[l], gc.grad("grads_total", "cls_scores")[l]);
            check(failures, "bbox[" + l + "]", bbox[l], gc.grad("grads_total", "bbox_preds")[l]);
            check(failures, "obj[" + l + "]", obj[l], gc.grad("grads_total", "objectnesses")[l]);
        }
        assertTrue(failures.isEmpty(), file + ":\n  " + String.join("\n  ", failures));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void unfusedReferenceMatchesGolden(String file) throws Exception {
        LossGoldenCase gc = LossGoldenCase.load(file);
        List<String> failures = new ArrayList<>();
        AutoAssignLossOp.Result r = UnfusedAutoAssignLoss.forwardBackward(gc.toBatch(), LossReducer.IDENTITY, 1, 1, 1, true);
        AutoAssignLossGoldenTest.checkLosses(gc, r, failures);
        AutoAssignLossGoldenTest.checkGrads(gc, "grads_total", r, failures);
        assertTrue(failures.isEmpty(), file + ":\n  " + String.join("\n  ", failures));
    }

    private static void check(List<String> failures, String what, Tensor leaf, double[] want) {
        if (leaf.grad() == null) {
            failures.add(what + ": no gradient");
            return;
        }
        String err = AutoAssignLossGoldenTest.compareGrad(leaf.grad().toFloatArray(), want);
        if (err != null) failures.add(what + ": " + err);
    }
}
