package autoassign.model;

import autoassign.autograd.Graph;
import autoassign.config.ConfigLoader;
import autoassign.config.ModelConfig;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class DetectorShapeTest {

    static Tensor randomImage(int b, int h, int w, long seed) {
        Random r = new Random(seed);
        float[] d = new float[b * 3 * h * w];
        for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextGaussian() * 50);
        return Tensor.of(d, b, 3, h, w);
    }

    @Test
    void levelShapesFor800x1216OnScaledDownR50() throws Exception {
        ModelConfig cfg = ModelTestConfigs.r50Small();
        AutoAssignDetector m = new AutoAssignDetector(cfg, 7);
        Tensor x = randomImage(1, 800, 1216, 1);
        List<Tensor> c;
        HeadOutputs o;
        try (AutoCloseable g = Graph.noGrad()) {
            c = m.backbone.forward(x);
            o = m.bboxHead.forward(m.neck.forward(c));
        }
        int[][] cs = {{1, 32, 200, 304}, {1, 64, 100, 152}, {1, 128, 50, 76}, {1, 256, 25, 38}};
        assertEquals(4, c.size());
        for (int i = 0; i < 4; i++) assertArrayEquals(cs[i], c.get(i).shape(), "C" + (i + 2));
        int[][] sizes = {{100, 152}, {50, 76}, {25, 38}, {13, 19}, {7, 10}};
        assertEquals(5, o.numLevels());
        assertArrayEquals(new int[] {8, 16, 32, 64, 128}, o.strides());
        for (int l = 0; l < 5; l++) {
            int h = sizes[l][0], w = sizes[l][1];
            assertArrayEquals(new int[] {1, 5, h, w}, o.clsLogits(l).shape(), "cls P" + (l + 3));
            assertArrayEquals(new int[] {1, 4, h, w}, o.distances(l).shape(), "dist P" + (l + 3));
            assertArrayEquals(new int[] {1, 1, h, w}, o.objLogits(l).shape(), "obj P" + (l + 3));
        }
        assertEquals(20267, o.numPoints());
        assertArrayEquals(sizes, o.featmapSizes());
    }

    @Test
    void distancesAtInitAreAboutFourStrides() throws Exception {
        AutoAssignDetector m = new AutoAssignDetector(ModelTestConfigs.r50Small(), 3);
        HeadOutputs o;
        try (AutoCloseable g = Graph.noGrad()) {
            o = m.forward(randomImage(2, 64, 96, 2));
        }
        for (int l = 0; l < o.numLevels(); l++) {
            float[] d = o.distances(l).toFloatArray();
            double mean = Arrays.stream(toDouble(d)).average().orElseThrow();
            assertEquals(4.0 * o.stride(l), mean, 0.5 * o.stride(l), "level " + l);
            for (float v : d) assertTrue(v >= 0);
            float[] cls = o.clsLogits(l).toFloatArray();
            double cm = Arrays.stream(toDouble(cls)).average().orElseThrow();
            assertEquals(AutoAssignHead.CLS_BIAS_INIT, cm, 0.3);
        }
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    @Test
    void pointsHaveNoHalfStrideOffset() {
        AutoAssignDetector m = new AutoAssignDetector(ModelTestConfigs.r50Small(), 3);
        HeadOutputs o;
        try (AutoCloseable g = Graph.noGrad()) {
            o = m.forward(randomImage(1, 64, 96, 2));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        // 64x96: P3 8x12
        float[] p = o.points(0);
        assertEquals(2 * 8 * 12, p.length);
        assertEquals(0f, p[0]);
        assertEquals(0f, p[1]);
        assertEquals(8f, p[2]);   // (i=0, j=1)
        assertEquals(0f, p[3]);
        int k = 1 * 12 + 3;       // (i=1, j=3)
        assertEquals(24f, p[2 * k]);
        assertEquals(8f, p[2 * k + 1]);
        float[] p6 = o.points(3); // 1x2
        assertArrayEquals(new float[] {0f, 0f, 64f, 0f}, p6);
    }

    @Test
    void backboneDepthsAndStyles() throws Exception {
        Tensor x = randomImage(1, 64, 96, 4);
        for (int depth : new int[] {18, 34, 50, 101}) {
            for (String style : new String[] {"pytorch", "caffe"}) {
                int exp = depth >= 50 ? 4 : 1;
                int base = 4;
                List<Integer> ch = List.of(base * exp, 2 * base * exp, 4 * base * exp, 8 * base * exp);
                var cfg = ConfigLoader.load(ModelTestConfigs.R50, List.of(
                        "model.backbone.depth=" + depth, "model.backbone.style=" + style,
                        "model.backbone.base_channels=" + base, "model.backbone.out_indices=[0, 1, 2, 3]",
                        "model.neck.in_channels=" + ch, "model.neck.out_channels=8",
                        "model.bbox_head.in_channels=8", "model.bbox_head.feat_channels=8",
                        "model.bbox_head.norm_cfg.num_groups=2", "model.bbox_head.stacked_convs=1")).model();
                ResNet r = new ResNet(cfg.backbone());
                List<Tensor> c;
                try (AutoCloseable g = Graph.noGrad()) {
                    c = r.forward(x);
                }
                for (int i = 0; i < 4; i++)
                    assertArrayEquals(new int[] {1, ch.get(i), 16 >> i, 24 >> i}, c.get(i).shape(),
                            "depth " + depth + " " + style + " C" + (i + 2));
                int blocks = Arrays.stream(cfg.backbone().stageBlocks()).sum();
                long convs = r.namedParameters().keySet().stream()
                        .filter(k -> k.matches(".*conv\\d\\.weight")).count();
                assertEquals(1 + blocks * (exp == 4 ? 3 : 2), convs, "depth " + depth);
            }
        }
    }

    @Test
    void caffeStyleStridesTheFirst1x1Conv() {
        var caffe = new ResNet(ModelTestConfigs.r50Small().backbone());
        var pt = new ResNet(ModelTestConfigs.r50Small("model.backbone.style=pytorch").backbone());
        var b0 = (ResBlock.Bottleneck) caffe.layers.get(1).get(0);
        assertEquals(2, b0.conv1.geometry.strideH());
        assertEquals(1, b0.conv2.geometry.strideH());
        var p0 = (ResBlock.Bottleneck) pt.layers.get(1).get(0);
        assertEquals(1, p0.conv1.geometry.strideH());
        assertEquals(2, p0.conv2.geometry.strideH());
        assertEquals(2, b0.downsample.get(0) instanceof autoassign.nn.Conv2d c ? c.geometry.strideH() : -1);
        // layer1 block 0 has a stride-1 downsample (64 -> 256 at full width)
        var l1 = (ResBlock.Bottleneck) caffe.layers.get(0).get(0);
        assertNotNull(l1.downsample);
        assertEquals(1, ((autoassign.nn.Conv2d) l1.downsample.get(0)).geometry.strideH());
        assertNull(((ResBlock.Bottleneck) caffe.layers.get(0).get(1)).downsample);
    }

    @Test
    void outIndicesSelectStages() throws Exception {
        var cfg = ConfigLoader.load(Path.of("configs/autoassign_tiny_synthetic.yaml")).model();
        ResNet r = new ResNet(cfg.backbone());
        List<Tensor> c;
        try (AutoCloseable g = Graph.noGrad()) {
            c = r.forward(randomImage(1, 64, 64, 1));
        }
        assertEquals(3, c.size());
        assertArrayEquals(new int[] {1, 32, 8, 8}, c.get(0).shape());
        assertArrayEquals(new int[] {1, 128, 2, 2}, c.get(2).shape());
    }

    @Test
    void seededInitIsDeterministic() {
        var cfg = ModelTestConfigs.r50Small();
        var a = new AutoAssignDetector(cfg, 11).stateDict();
        var b = new AutoAssignDetector(cfg, 11).stateDict();
        var c = new AutoAssignDetector(cfg, 12).stateDict();
        boolean anyDiff = false;
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), k);
            anyDiff |= !Arrays.equals(a.get(k).toFloatArray(), c.get(k).toFloatArray());
        }
        assertTrue(anyDiff);
    }

    @Test
    void stateDictRoundTripAndImageSlices() throws Exception {
        var cfg = ModelTestConfigs.r50Small();
        var a = new AutoAssignDetector(cfg, 1);
        var b = new AutoAssignDetector(cfg, 2);
        var report = b.loadStateDict(a.stateDict(), true);
        assertTrue(report.clean());
        assertEquals(a.stateDict().size(), report.loaded());
        Tensor x = randomImage(2, 64, 64, 5);
        try (AutoCloseable g = Graph.noGrad()) {
            HeadOutputs oa = a.forward(x), ob = b.forward(x);
            for (int l = 0; l < oa.numLevels(); l++) {
                assertArrayEquals(oa.clsLogits(l).toFloatArray(), ob.clsLogits(l).toFloatArray());
                float[][] s = HeadOutputs.imageSlices(oa.distances(l));
                assertEquals(2, s.length);
                assertArrayEquals(HeadOutputs.imageSlice(oa.distances(l), 1), s[1]);
                assertEquals(4 * oa.height(l) * oa.width(l), s[0].length);
            }
            assertEquals(5, oa.clsLogitsArray().length);
        }
    }

    @Test
    void inputMustBeImages() {
        var m = new AutoAssignDetector(ModelTestConfigs.r50Small(), 1);
        var e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(1, 4, 32, 32)));
        assertTrue(e.getMessage().contains("[N, 3, H, W]"), e.getMessage());
    }
}
