package autoassign.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import autoassign.backend.CheckedDeviceBackend;
import autoassign.backend.cuda.EmulatedPostProcess;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.CocoDataset;
import autoassign.data.LoaderOptions;
import autoassign.data.SyntheticShapes;
import autoassign.eval.CocoDetections;
import autoassign.eval.CocoEvalParams;
import autoassign.eval.CocoGroundTruth;
import autoassign.eval.DatasetEvaluation;
import autoassign.eval.Inference;
import autoassign.io.ModelWeights;
import autoassign.model.AutoAssignDetector;
import autoassign.postprocess.PostProcessConfig;
import autoassign.tensor.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model over a (tiny, generated) COCO-format dataset, then COCO evaluation of its detections. */
class DatasetEvaluationTest {

    @TempDir
    Path tmp;

    private record Setup(Config cfg, CocoDataset ds, CocoGroundTruth gt, AutoAssignDetector model) {}

    /** The test config's model with a saved checkpoint, and three generated images (batches of 2 and 1). */
    private Setup setup() throws Exception {
        Config cfg = ConfigLoader.load(DetectorTest.CONFIG);
        int classes = cfg.model().bboxHead().numClasses();
        SyntheticShapes.Params params = SyntheticShapes.Params.defaults().withCounts(0, 3).withClasses(classes)
                .withSides(64, 96).withObjects(1, 2, 16, 40);
        Path data = tmp.resolve("data");
        SyntheticShapes.writeTo(data, params);
        Path ann = data.resolve("annotations/instances_val.json");
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 1);
        ModelWeights.load(DetectorTest.writeCheckpoint(Files.createDirectories(tmp.resolve("ckpt"))), model, true);
        return new Setup(cfg, CocoDataset.load(ann, data.resolve("images")), CocoGroundTruth.read(ann), model);
    }

    @Test
    void runsOverEveryImageAndEvaluates() throws Exception {
        Setup st = setup();
        Config cfg = st.cfg();
        int classes = cfg.model().bboxHead().numClasses();
        CocoDataset ds = st.ds();
        CocoGroundTruth gt = st.gt();
        AutoAssignDetector model = st.model();


        List<int[]> calls = new ArrayList<>();
        DatasetEvaluation.Outcome out = DatasetEvaluation.run(model, ds, gt, Detector.testPipeline(cfg),
                LoaderOptions.test(2, 0), Inference.postProcessConfig(cfg.model().testCfg()),
                CocoEvalParams.mmdet(), (done, total) -> calls.add(new int[] {done, total}));
        assertEquals(2, calls.size(), "two batches of 2 + 1 images");
        assertEquals(3, calls.get(1)[0]);
        assertEquals(3, calls.get(1)[1]);
        assertTrue(out.results().size() > 0);
        for (CocoDetections.Detection d : out.results().detections()) {
            assertTrue(gt.hasImage(d.imageId()) && gt.hasCategory(d.categoryId()), d.toString());
        }
        assertEquals(12, out.eval().stats().length);
        assertEquals(classes, out.eval().perCategoryAp().size());
        double ap = out.eval().stats()[0];
        assertTrue(ap >= 0 && ap <= 1, "AP " + ap);
    }

    /**
     * The same evaluation with the model on a device that post-processes on the device (the CPU stand-in device,
     * whose fused op is the CUDA op's launch plan on kernel contracts): the same detections and the same 12 numbers
     * as on the CPU, the device op running once per batch.
     */
    @Test
    void onADeviceWithFusedPostProcessingTheResultsAreTheCpus() throws Exception {
        Setup st = setup();
        Config cfg = st.cfg();
        CocoDataset ds = st.ds();
        CocoGroundTruth gt = st.gt();
        AutoAssignDetector model = st.model();
        PostProcessConfig post = Inference.postProcessConfig(cfg.model().testCfg());

        DatasetEvaluation.Outcome cpu = DatasetEvaluation.run(model, ds, gt, Detector.testPipeline(cfg),
                LoaderOptions.test(2, 0), post, CocoEvalParams.mmdet(), null);
        try (CheckedDeviceBackend dev = CheckedDeviceBackend.install(8)) {
            EmulatedPostProcess op = new EmulatedPostProcess();
            dev.setFusedPostProcess(op);
            model.to(dev.device());
            DatasetEvaluation.Outcome onDevice = DatasetEvaluation.run(model, ds, gt, Detector.testPipeline(cfg),
                    LoaderOptions.test(2, 0), post, CocoEvalParams.mmdet(), null);
            model.to(Device.CPU);
            assertEquals(2, op.runs(), "one fused run per batch");
            assertTrue(cpu.results().size() > 0);
            assertEquals(cpu.results().detections(), onDevice.results().detections());
            assertArrayEquals(cpu.eval().stats(), onDevice.eval().stats());
            assertTrue(dev.violations().isEmpty(), dev.violations().toString());
        }
    }
}
