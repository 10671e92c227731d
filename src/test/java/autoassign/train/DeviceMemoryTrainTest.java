package autoassign.train;

import autoassign.autograd.Graph;
import autoassign.backend.CheckedDeviceBackend;
import autoassign.config.Config;
import autoassign.data.Batch;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.DataLoader;
import autoassign.data.LoaderOptions;
import autoassign.eval.Inference;
import autoassign.model.AutoAssignDetector;
import autoassign.model.HeadOutputs;
import autoassign.nn.BatchNorm2d;
import autoassign.nn.Module;
import autoassign.postprocess.Detections;
import autoassign.tensor.Device;
import autoassign.tensor.DeviceBuffer;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training steps of the tiny config on a checked stand-in device ({@link CheckedDeviceBackend}: the CPU math on
 * fake device buffers that fail on use after release and double release) give exactly the CPU path's losses
 * and weights, and after each step the only device buffers left are the persistent ones: parameters and buffers,
 * momentum, and each frozen BN's cached scale/shift.
 */
class DeviceMemoryTrainTest {
    @TempDir Path tmp;
    private CheckedDeviceBackend dev;

    @BeforeEach
    void install() { dev = CheckedDeviceBackend.install(94); }

    @AfterEach
    void uninstall() { dev.close(); }

    static Batch firstBatch(Config cfg, Path tmp) throws Exception {
        CocoDataset ds = DataSources.load(cfg, true, tmp.resolve("data").toString(), new DataIssues("test", s -> {}, 0));
        try (DataLoader dl = new DataLoader(ds, DataSources.trainPipeline(cfg), LoaderOptions.train(2, 0, 0));
             DataLoader.Epoch e = dl.epoch(0)) {
            return e.next();
        }
    }

    /**
     * The tiny config with R50's backbone habits: frozen BatchNorm (caffe-style eval statistics) and the stem and
     * first stage frozen, so that the frozen-BN cache and ops recorded without a tape are exercised too.
     */
    static Config tinyWithFrozenBn(Path dir) throws Exception {
        return tinyWithBn(dir, false);
    }

    /** As {@link #tinyWithFrozenBn}, the BN affine trained ({@code requires_grad}) or not; stem and stage 1 frozen. */
    static Config tinyWithBn(Path dir, boolean trainAffine) throws Exception {
        return tinyWithBn(dir, trainAffine, true);
    }

    /** As above; {@code normEval} false: the BN of stages 2.. normalise with batch statistics in training. */
    static Config tinyWithBn(Path dir, boolean trainAffine, boolean normEval) throws Exception {
        String y = TinyTrainConfig.yaml();
        String gn = "    frozen_stages: -1\n    norm_cfg: {type: GN, num_groups: 8, requires_grad: true}\n";
        if (!y.contains(gn)) throw new IllegalStateException("tiny config changed: update DeviceMemoryTrainTest");
        y = y.replace(gn, "    frozen_stages: 1\n    norm_cfg: {type: BN, requires_grad: " + trainAffine + "}\n    norm_eval: "
                + normEval + "\n");
        java.nio.file.Files.createDirectories(dir);
        Path f = dir.resolve("tiny_bn.yaml");
        java.nio.file.Files.writeString(f, y);
        return autoassign.config.ConfigLoader.load(f);
    }

    static int frozenBns(Module m) {
        int n = m instanceof BatchNorm2d bn && !bn.trainsAffine() ? 1 : 0;
        for (Module c : m.children().values()) n += frozenBns(c);
        return n;
    }

    /** Distinct device buffers of the model's state and the optimizer's momentum, plus 2 per frozen BN (cache). */
    static int persistentBuffers(AutoAssignDetector model, Sgd sgd) {
        Set<DeviceBuffer> s = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Tensor t : model.stateDict().values()) if (t.storageBuffer() != null) s.add(t.storageBuffer());
        for (Tensor t : sgd.state().values()) if (t.storageBuffer() != null) s.add(t.storageBuffer());
        return s.size() + 2 * frozenBns(model);
    }

    @Test
    void stepsOnADeviceEqualTheCpuAndFreeEverythingButPersistentState() throws Exception {
        stepsOnADevice(tinyWithFrozenBn(tmp), true);
    }

    @Test
    void stepsOnADeviceWithTrainedBatchNormAffine() throws Exception {
        stepsOnADevice(tinyWithBn(tmp, true), true); // the stem's and stage 1's BN are frozen (constant, cached); the others train
    }

    @Test
    void aTrainedBatchNormAffineMovesItsWeightsNotItsStatisticsNorAFrozenStage() throws Exception {
        Config cfg = tinyWithBn(tmp, true);
        AutoAssignDetector m = new AutoAssignDetector(cfg.model(), 0);
        java.util.function.Predicate<String> moved = twoStepsMove(cfg, m);
        Map<String, Tensor> after = m.stateDict();
        // zero_init_residual: a block's last BN weight starts at 0, so its first steps train that BN and the shortcut's
        for (String k : List.of("backbone.layer2.0.bn2.weight", "backbone.layer4.1.bn2.bias", "backbone.layer3.0.downsample.1.weight"))
            assertTrue(moved.test(k), k + ": a trained BN affine moves");
        assertFalse(moved.test("backbone.bn1.weight") || moved.test("backbone.layer1.0.bn1.weight"), "frozen stem and stage 1");
        for (String k : after.keySet())
            if (k.endsWith("running_mean") || k.endsWith("running_var")) assertFalse(moved.test(k), k + ": statistics stay frozen");
        assertTrue(OptimizerGroups.of(m, cfg.optimWrapper()).stream().anyMatch(g -> g.name().equals("backbone.layer2.0.bn1.weight")));
    }

    /** Two SGD steps of {@code m} on the CPU over the config's first batch; then: did the state tensor of this name change? */
    private java.util.function.Predicate<String> twoStepsMove(Config cfg, AutoAssignDetector m) throws Exception {
        Batch batch = firstBatch(cfg, tmp);
        Map<String, float[]> before = new java.util.HashMap<>();
        m.stateDict().forEach((k, t) -> before.put(k, t.toFloatArray()));
        Sgd sgd = new Sgd(OptimizerGroups.of(m, cfg.optimWrapper()), 0.9f);
        for (int k = 0; k < 2; k++) assertNull(Trainer.step(m, sgd, batch, Device.CPU, 0.01f).badTerm());
        Map<String, Tensor> after = m.stateDict();
        return k -> !java.util.Arrays.equals(before.get(k), after.get(k).toFloatArray());
    }

    @Test
    void stepsOnADeviceWithBatchStatistics() throws Exception {
        stepsOnADevice(tinyWithBn(tmp, true, false), true); // norm_eval false: stages 2.. normalise with batch statistics
    }

    @Test
    void batchStatisticsMoveTheRunningStatisticsOfTrainedStagesOnlyAndInferenceUsesThem() throws Exception {
        for (boolean trainAffine : new boolean[] {true, false}) {
            Config cfg = tinyWithBn(tmp.resolve("affine-" + trainAffine), trainAffine, false);
            AutoAssignDetector m = new AutoAssignDetector(cfg.model(), 0);
            java.util.function.Predicate<String> moved = twoStepsMove(cfg, m);
            assertFalse(m.isTraining(), "the step leaves the model in eval mode");
            Map<String, Tensor> after = m.stateDict();
            for (String k : List.of("backbone.layer2.0.bn1.running_mean", "backbone.layer2.0.bn1.running_var",
                    "backbone.layer4.1.bn2.running_var", "backbone.layer3.0.downsample.1.running_mean"))
                assertTrue(moved.test(k), k + ": batch statistics update the running ones");
            assertEquals(2f, after.get("backbone.layer3.0.bn2.num_batches_tracked").toFloatArray()[0]);
            for (String k : after.keySet())
                if ((k.startsWith("backbone.bn1.") || k.startsWith("backbone.layer1.")) && !k.contains("conv"))
                    assertFalse(moved.test(k), k + ": a frozen stage's BN stays in eval mode");
            assertEquals(trainAffine, moved.test("backbone.layer2.0.bn2.weight"), "the affine trains as requires_grad says");

            // eval mode: each image's detections do not depend on the rest of the batch (no batch statistics)
            var post = Inference.postProcessConfig(cfg.model().testCfg());
            Batch two = StepBenchmark.randomBatch(2, 96, 96, cfg.model().bboxHead().numClasses(), 5);
            Batch one = StepBenchmark.randomBatch(1, 96, 96, cfg.model().bboxHead().numClasses(), 5);
            List<Detections> d2 = Inference.predict(m, two, post), d1 = Inference.predict(m, one, post);
            sameDetections(d1.get(0), d2.get(0), "first image alone vs in a batch of two");
            Map<String, Tensor> still = m.stateDict();
            for (String k : still.keySet())
                assertArrayEquals(after.get(k).toFloatArray(), still.get(k).toFloatArray(), k + ": inference changes no state");
        }
    }

    @Test
    void stepsOnADeviceWithTheShippedTinyConfig() throws Exception {
        stepsOnADevice(TinyTrainConfig.write(tmp), false);
    }

    private void stepsOnADevice(Config cfg, boolean withBn) throws Exception {
        Batch batch = firstBatch(cfg, tmp);
        Device d = dev.device();

        AutoAssignDetector cpuModel = new AutoAssignDetector(cfg.model(), 0);
        Sgd cpuSgd = new Sgd(OptimizerGroups.of(cpuModel, new autoassign.config.OptimConfig(0.01, 0.9, 1e-4, false, 0, 0)), 0.9f);
        AutoAssignDetector devModel = new AutoAssignDetector(cfg.model(), 0);
        devModel.to(d);
        Sgd devSgd = new Sgd(OptimizerGroups.of(devModel, new autoassign.config.OptimConfig(0.01, 0.9, 1e-4, false, 0, 0)), 0.9f);
        assertEquals(withBn, frozenBns(devModel) > 0, "frozen BN layers");

        for (int k = 0; k < 3; k++) {
            Trainer.StepLosses a = Trainer.step(cpuModel, cpuSgd, batch, Device.CPU, 0.01f);
            dev.resetPeakMemory();
            long liveBefore = dev.liveBytes();
            Trainer.StepLosses b = Trainer.step(devModel, devSgd, batch, d, 0.01f);
            assertNull(a.badTerm());
            assertNull(b.badTerm());
            assertTrue(dev.violations().isEmpty(), "step " + k + ": " + dev.violations());
            assertEquals(a.pos(), b.pos(), 1e-6 * Math.max(1e-3, Math.abs(a.pos())), "loss_pos, step " + k);
            assertEquals(a.neg(), b.neg(), 1e-6 * Math.max(1e-3, Math.abs(a.neg())), "loss_neg, step " + k);
            assertEquals(a.center(), b.center(), 1e-6 * Math.max(1e-3, Math.abs(a.center())), "loss_center, step " + k);
            assertEquals(persistentBuffers(devModel, devSgd), dev.liveBuffers(), "live device buffers after step " + k);
            assertTrue(dev.peakMemoryBytes() > liveBefore, "the step used device memory");
        }
        Map<String, Tensor> ref = cpuModel.stateDict(), got = devModel.stateDict();
        for (String name : ref.keySet())
            close(ref.get(name).toFloatArray(), got.get(name).toFloatArray(), name);
        for (String name : cpuSgd.state().keySet())
            close(cpuSgd.state().get(name).toFloatArray(), devSgd.state().get(name).toFloatArray(), "momentum " + name);

        // inference releases everything it allocated; the detections equal the CPU's
        int live = dev.liveBuffers();
        var post = Inference.postProcessConfig(cfg.model().testCfg());
        Batch test = StepBenchmark.randomBatch(2, 96, 96, cfg.model().bboxHead().numClasses(), 5); // not flipped
        List<Detections> dc = Inference.predict(cpuModel, test, post), dd = Inference.predict(devModel, test, post);
        assertEquals(live, dev.liveBuffers(), "inference leaves no device buffer");
        assertEquals(dc.size(), dd.size());
        for (int i = 0; i < dc.size(); i++) sameDetections(dc.get(i), dd.get(i), "image " + i);
        sameOutputs(headOutputs(cpuModel, batch), headOutputs(devModel, batch));
        assertEquals(live, dev.liveBuffers(), "a forward in a scope leaves no device buffer");
        assertTrue(dev.violations().isEmpty(), dev.violations().toString());
    }

    static void sameOutputs(float[][] want, float[][] got) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) close(want[i], got[i], "head output " + i);
    }

    static void sameDetections(Detections a, Detections b, String what) {
        close(a.boxes(), b.boxes(), "boxes, " + what);
        close(a.scores(), b.scores(), "scores, " + what);
        assertArrayEquals(a.labels(), b.labels(), "labels, " + what);
    }

    /** Every head output of a no-grad forward, as host arrays (the device ones released by the scope). */
    static float[][] headOutputs(AutoAssignDetector model, Batch batch) {
        try (MemoryScope s = MemoryScope.open(); Graph.Scope g = Graph.noGrad()) {
            HeadOutputs o = model.forward(batch.toTensor().to(model.device()));
            List<float[]> out = new java.util.ArrayList<>();
            for (Tensor[] ts : new Tensor[][] {o.clsLogitsArray(), o.distancesArray(), o.objLogitsArray()})
                for (Tensor t : ts) out.add(t.toFloatArray());
            return out.toArray(new float[0][]);
        }
    }

    @Test
    void frozenBnCacheFollowsWeightChanges() throws Exception {
        Config cfg = tinyWithFrozenBn(tmp);
        Batch batch = firstBatch(cfg, tmp);
        AutoAssignDetector cpuModel = new AutoAssignDetector(cfg.model(), 0);
        AutoAssignDetector devModel = new AutoAssignDetector(cfg.model(), 0);
        devModel.to(dev.device());
        headOutputs(devModel, batch); // fills the caches
        // change every BN's statistics through loadStateDict, on both models
        Map<String, Tensor> sd = cpuModel.stateDict();
        java.util.Map<String, Tensor> changed = new java.util.LinkedHashMap<>();
        sd.forEach((k, t) -> {
            if (k.endsWith("running_var") || k.endsWith("running_mean")) {
                float[] v = t.toFloatArray();
                for (int i = 0; i < v.length; i++) v[i] = k.endsWith("running_var") ? 0.5f + 0.01f * i : 0.1f;
                changed.put(k, Tensor.of(v, t.shape()));
            }
        });
        assertTrue(!changed.isEmpty());
        float[][] before = headOutputs(devModel, batch);
        cpuModel.loadStateDict(changed, false);
        devModel.loadStateDict(changed, false);
        float[][] after = headOutputs(devModel, batch);
        sameOutputs(headOutputs(cpuModel, batch), after);
        assertTrue(!java.util.Arrays.deepEquals(before, after), "the new statistics changed the outputs");
        assertTrue(dev.violations().isEmpty(), dev.violations().toString());
    }

    /**
     * Equal up to float rounding: the CPU backend's vectorised reductions may round differently once the JIT
     * has compiled them (the same math on the same values otherwise); a released buffer reused would differ grossly.
     */
    static void close(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++)
            assertEquals(want[i], got[i], 1e-6f + 1e-5f * Math.abs(want[i]), what + " [" + i + "]");
    }
}
