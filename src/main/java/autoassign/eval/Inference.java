package autoassign.eval;

import autoassign.autograd.Graph;
import autoassign.backend.Backends;
import autoassign.backend.FusedPostProcess;
import autoassign.config.TestConfig;
import autoassign.data.Batch;
import autoassign.data.ImageMeta;
import autoassign.loss.PointGrid;
import autoassign.model.AutoAssignDetector;
import autoassign.model.HeadOutputs;
import autoassign.postprocess.Detections;
import autoassign.postprocess.LevelOutput;
import autoassign.postprocess.PostProcessConfig;
import autoassign.postprocess.PostProcessor;
import autoassign.tensor.Device;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Model outputs to detections: runs the detector on a batch without recording the tape and applies
 * {@link PostProcessor} to every image (AA_4), or, where the head outputs live on a device with
 * {@link FusedPostProcess} (CUDA), its twin on the device. Shared by evaluation, {@code detect} and the library API.
 */
public final class Inference {

    private Inference() {
    }

    /** The post-processing settings of a config's {@code model.test_cfg}. */
    public static PostProcessConfig postProcessConfig(TestConfig t) {
        return new PostProcessConfig(t.nmsPre(), (float) t.scoreThr(), (float) t.iouThreshold(), t.maxPerImg(),
                (float) t.minBboxSize(), t.softNms());
    }

    /** Forward pass (no autograd tape) and post-processing of every image of the batch. */
    public static List<Detections> predict(AutoAssignDetector model, Batch batch, PostProcessConfig cfg) {
        // every device buffer of the forward is released once the outputs are on the host
        try (MemoryScope mem = MemoryScope.open()) {
            return predictInScope(model, batch.toTensor().to(model.device()), batch.metas(), cfg);
        }
    }

    /**
     * {@link #predict(AutoAssignDetector, Batch, PostProcessConfig)} for a batch whose images may be horizontally
     * flipped (test-time augmentation): a flipped image is post-processed as it is, then its detections are flipped
     * back in the original image ({@link Detections#flipped}), as MMDetection's {@code DetTTAModel} does.
     */
    public static List<Detections> predictAugmented(AutoAssignDetector model, Batch batch, PostProcessConfig cfg) {
        List<ImageMeta> metas = new java.util.ArrayList<>();
        for (ImageMeta m : batch.metas()) metas.add(m.withFlipped(false));
        List<Detections> dets;
        try (MemoryScope mem = MemoryScope.open()) {
            dets = new java.util.ArrayList<>(predictInScope(model, batch.toTensor().to(model.device()), metas, cfg));
        }
        for (int i = 0; i < dets.size(); i++)
            if (batch.metas().get(i).flipped()) dets.set(i, dets.get(i).flipped(batch.metas().get(i).oriW()));
        return dets;
    }

    /** {@link #predict(AutoAssignDetector, Batch, PostProcessConfig)} on images already on the model's device. */
    public static List<Detections> predict(AutoAssignDetector model, Tensor images, List<ImageMeta> metas, PostProcessConfig cfg) {
        try (MemoryScope mem = MemoryScope.open()) {
            return predictInScope(model, images, metas, cfg);
        }
    }

    private static List<Detections> predictInScope(AutoAssignDetector model, Tensor images, List<ImageMeta> metas, PostProcessConfig cfg) {
        HeadOutputs out;
        try (Graph.Scope ignored = Graph.noGrad()) {
            out = model.forward(images);
        }
        return postprocess(out, metas, cfg);
    }

    /**
     * Post-processes head outputs of a batch: image {@code b} uses {@code metas.get(b)} (resized shape and scale
     * factor); detections are in original-image pixels.
     */
    public static List<Detections> postprocess(HeadOutputs out, List<ImageMeta> metas, PostProcessConfig cfg) {
        int batch = out.batchSize();
        if (metas.size() != batch) {
            throw new IllegalArgumentException(metas.size() + " image metas for a batch of " + batch);
        }
        for (ImageMeta m : metas) {
            if (m.flipped()) {
                throw new IllegalArgumentException("image " + m.imageId() + " is flipped: test-time inputs are not");
            }
        }
        FusedPostProcess fused = fusedOp(out, cfg);
        return fused != null ? postprocessOnDevice(fused, out, metas, cfg) : postprocessOnHost(out, metas, cfg);
    }

    /** The device's fused post-processing when every head output is on one device that has it for these settings. */
    private static FusedPostProcess fusedOp(HeadOutputs out, PostProcessConfig cfg) {
        Device dev = out.clsLogits(0).device();
        if (dev.isCpu()) {
            return null;
        }
        for (List<Tensor> ts : List.of(out.clsLogits(), out.distances(), out.objLogits())) {
            for (Tensor t : ts) {
                if (!t.device().equals(dev)) {
                    return null;
                }
            }
        }
        FusedPostProcess op = Backends.of(dev).fusedPostProcess();
        // the device kernels run MMCV's nms; soft-NMS runs on the host
        return op != null && cfg.softNms() == null && op.supports(out.numLevels(), cfg.nmsPre(), cfg.minBboxSize()) ? op : null;
    }

    /** On the device: only the detections are downloaded. Same rule as {@link PostProcessor} (its twin). */
    private static List<Detections> postprocessOnDevice(FusedPostProcess op, HeadOutputs out, List<ImageMeta> metas,
                                                        PostProcessConfig cfg) {
        float[][] geometry = new float[metas.size()][];
        for (int b = 0; b < geometry.length; b++) {
            ImageMeta m = metas.get(b);
            // the host twin's rounding: reciprocal in double, then float
            geometry[b] = new float[] {m.imgW(), m.imgH(), (float) (1.0 / m.scaleW()), (float) (1.0 / m.scaleH())};
        }
        PointGrid grid = PointGrid.of(out.featmapSizes(), out.strides());
        FusedPostProcess.Result[] res = op.run(out.clsLogitsArray(), out.distancesArray(), out.objLogitsArray(),
                grid.packed(), geometry, cfg.nmsPre(), cfg.scoreThr(), cfg.iouThr(), cfg.maxPerImg());
        List<Detections> result = new ArrayList<>(res.length);
        for (FusedPostProcess.Result r : res) {
            result.add(r.scores().length == 0 ? Detections.EMPTY : new Detections(r.boxes(), r.scores(), r.labels()));
        }
        return result;
    }

    /** On the host: the head outputs are downloaded and each image runs {@link PostProcessor}. */
    private static List<Detections> postprocessOnHost(HeadOutputs out, List<ImageMeta> metas, PostProcessConfig cfg) {
        int batch = out.batchSize();
        int levels = out.numLevels();
        int classes = out.numClasses();
        float[][] cls = new float[levels][];
        float[][] dist = new float[levels][];
        float[][] obj = new float[levels][];
        for (int l = 0; l < levels; l++) {
            cls[l] = out.clsLogits(l).toFloatArray();
            dist[l] = out.distances(l).toFloatArray();
            obj[l] = out.objLogits(l).toFloatArray();
        }
        List<Detections> result = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            ImageMeta m = metas.get(b);
            List<LevelOutput> lv = new ArrayList<>(levels);
            for (int l = 0; l < levels; l++) {
                int h = out.height(l);
                int w = out.width(l);
                int hw = h * w;
                lv.add(new LevelOutput(out.stride(l), classes, h, w, slice(cls[l], b, classes * hw),
                        slice(dist[l], b, 4 * hw), slice(obj[l], b, hw)));
            }
            result.add(PostProcessor.process(lv,
                    new autoassign.postprocess.ImageMeta(m.imgH(), m.imgW(), m.scaleW(), m.scaleH()), cfg));
        }
        return result;
    }

    private static float[] slice(float[] all, int b, int per) {
        float[] s = new float[per];
        System.arraycopy(all, b * per, s, 0, per);
        return s;
    }
}
