package autoassign.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import autoassign.backend.CheckedDeviceBackend;
import autoassign.backend.cuda.EmulatedPostProcess;
import autoassign.data.ImageMeta;
import autoassign.loss.PointGrid;
import autoassign.model.HeadOutputs;
import autoassign.postprocess.Detections;
import autoassign.postprocess.PostProcessConfig;
import autoassign.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Inference on head outputs that live on a device with fused post-processing: the device op runs (here the CUDA
 * op's plan on an emulated device) for the settings it covers and gives the host path's detections; other settings
 * and CPU outputs take the host path.
 */
class InferenceFusedPathTest {
    static final int C = 80;

    private static HeadOutputs headOutputs(int batch, long seed, java.util.function.Function<Tensor, Tensor> place) {
        PointGrid grid = PointGrid.forPaddedImage(128, 192, PointGrid.DEFAULT_STRIDES);
        Random r = new Random(seed);
        List<Tensor> cls = new ArrayList<>(), dist = new ArrayList<>(), obj = new ArrayList<>();
        for (int l = 0; l < grid.numLevels(); l++) {
            int h = grid.height(l), w = grid.width(l), hw = h * w;
            float[] c = new float[batch * C * hw], d = new float[batch * 4 * hw], o = new float[batch * hw];
            for (int i = 0; i < c.length; i++) c[i] = (float) (r.nextGaussian() - 3.0);
            for (int i = 0; i < d.length; i++) d[i] = grid.stride(l) * 3 * r.nextFloat();
            for (int i = 0; i < o.length; i++) o[i] = (float) r.nextGaussian();
            cls.add(place.apply(Tensor.of(c, batch, C, h, w)));
            dist.add(place.apply(Tensor.of(d, batch, 4, h, w)));
            obj.add(place.apply(Tensor.of(o, batch, 1, h, w)));
        }
        return new HeadOutputs(cls, dist, obj, PointGrid.DEFAULT_STRIDES);
    }

    private static final List<ImageMeta> METAS = List.of(
            new ImageMeta(1, "a.jpg", 0, 60, 90, 120, 180, 2.0, 2.0, false, 128, 192),
            new ImageMeta(2, "b.jpg", 1, 50, 77, 101, 170, 170 / 77.0, 101 / 50.0, false, 128, 192));

    @Test
    void deviceOutputsUseTheFusedOpAndMatchTheHostPath() {
        PostProcessConfig cfg = new PostProcessConfig(100, 0.05f, 0.6f, 40, 0f);
        List<Detections> host = Inference.postprocess(headOutputs(2, 9, t -> t), METAS, cfg);
        try (CheckedDeviceBackend dev = CheckedDeviceBackend.install(6)) {
            EmulatedPostProcess op = new EmulatedPostProcess();
            dev.setFusedPostProcess(op);
            HeadOutputs onDevice = headOutputs(2, 9, t -> t.to(dev.device()));
            List<Detections> got = Inference.postprocess(onDevice, METAS, cfg);
            assertEquals(1, op.runs(), "one fused run for the batch");
            assertSame(host, got);
            // min_bbox_size other than 0 and nms_pre beyond the kernels' limit: the host path, same detections
            for (PostProcessConfig other : List.of(new PostProcessConfig(100, 0.05f, 0.6f, 40, 2f),
                    new PostProcessConfig(2000, 0.05f, 0.6f, 40, 0f))) {
                List<Detections> want = Inference.postprocess(headOutputs(2, 9, t -> t), METAS, other);
                assertSame(want, Inference.postprocess(onDevice, METAS, other));
            }
            assertEquals(1, op.runs(), "unsupported settings do not reach the fused op");
            assertTrue(dev.violations().isEmpty(), dev.violations().toString());
        }
    }

    private static void assertSame(List<Detections> want, List<Detections> got) {
        assertEquals(want.size(), got.size());
        int total = 0;
        for (int b = 0; b < want.size(); b++) {
            assertArrayEquals(want.get(b).labels(), got.get(b).labels(), "image " + b + " labels");
            assertArrayEquals(want.get(b).scores(), got.get(b).scores(), "image " + b + " scores");
            assertArrayEquals(want.get(b).boxes(), got.get(b).boxes(), "image " + b + " boxes");
            total += want.get(b).size();
        }
        assertTrue(total > 0, "the case must keep detections");
    }
}
