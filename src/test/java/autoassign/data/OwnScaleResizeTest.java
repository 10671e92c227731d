package autoassign.data;

import org.junit.jupiter.api.Test;

import java.util.List;

import static autoassign.data.AugmentationTest.run;
import static autoassign.data.AugmentationTest.steps;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resizes with their own scales ({@link OwnScaleResize}): inside MMCV's wrappers and after the pipeline's first resize,
 * as DETR's {@code RandomChoice} of resize chains. Each applies to the image as it is at its place (after a crop),
 * records its own scale factor (mmdet's Resize overwrites {@code scale_factor}), draws on its own (equal steps in other
 * places decide apart), and keeps its scale when evaluation-style callers give the pipeline's.
 */
class OwnScaleResizeTest {
    private static final int H = 40, W = 60;
    private static final ImageRecord REC = new ImageRecord(1, "a", W, H, new float[] {2, 3, 12, 8, 20, 10, 58, 38},
            new int[] {4, 5}, new float[] {0, 0, 10, 10}, new int[] {9}, true);

    private static ScaleSampler choice(int... wh) {
        List<int[]> s = new java.util.ArrayList<>();
        for (int i = 0; i < wh.length; i += 2) s.add(new int[] {wh[i], wh[i + 1]});
        return new ScaleSampler(s, false);
    }

    // DETR's train_pipeline shrunk to the test image: [(480..800, 1333)] / [(400..600, 1333)] / crop (384, 600), / 20
    private static final ScaleSampler BIG = choice(24, 67, 28, 67, 32, 67, 36, 67, 40, 67);
    private static final ScaleSampler SMALL = choice(20, 67, 25, 67, 30, 67);
    private static final OwnScaleResize ONLY = new OwnScaleResize(ResizeStep.keepRatio(true), 24, 67, BIG, 0);
    private static final OwnScaleResize FIRST = new OwnScaleResize(ResizeStep.keepRatio(true), 20, 67, SMALL, 0);
    private static final RandomCrop CROP = new RandomCrop(RandomCrop.Type.ABSOLUTE_RANGE, 19, 30, true, true);
    private static final OwnScaleResize LAST = new OwnScaleResize(ResizeStep.keepRatio(true), 24, 67, BIG, 2);
    private static final TransformWrapper DETR = TransformWrapper.randomChoice(List.of(List.of(ONLY), List.of(FIRST, CROP, LAST)),
            List.of(), 1);

    private static PipelineOptions detr() { return steps(H, W, RandomFlip.horizontal(0.5), DETR).withScale(67, 40); }

    @Test
    void detrBranchesGiveTheSizesOfMmdetectionsChains() {
        PipelineOptions o = detr();
        assertFalse(o.hasResizeStep(), "every resize is inside the wrapper");
        int[] branches = new int[2];
        boolean composedDiffers = false;
        for (int pos = 0; pos < 300; pos++) {
            SampleDraws d = SampleDraws.of(3, 1, pos);
            PreparedImage p = run(o, H, W, REC, d);
            int i = DETR.choose(d);
            branches[i]++;
            ResizeGeometry g;
            if (i == 0) {
                int[] sc = ONLY.scale(DETR.drawsOf(d, 0, 0));
                g = ResizeGeometry.keepRatio(H, W, sc[0], sc[1]); // imrescale of the decoded image
            } else {
                int[] s1 = FIRST.scale(DETR.drawsOf(d, 1, 0));
                ResizeGeometry g1 = ResizeGeometry.keepRatio(H, W, s1[0], s1[1]);
                int[] crop = CROP.cropSize(g1.newH(), g1.newW(), DETR.drawsOf(d, 1, 1)); // (h, w) from the resized size
                int[] s2 = LAST.scale(DETR.drawsOf(d, 1, 2));
                g = ResizeGeometry.keepRatio(crop[0], crop[1], s2[0], s2[1]); // the second resize sees the crop
                composedDiffers |= Math.abs(g1.scaleW() * g.scaleW() - g.scaleW()) > 1e-9;
            }
            assertEquals(g.newH(), p.meta().imgH(), "position " + pos + " branch " + i);
            assertEquals(g.newW(), p.meta().imgW(), "position " + pos + " branch " + i);
            // mmdet's scale_factor is the last resize's, relative to its own input (never composed)
            assertEquals(g.scaleW(), p.meta().scaleW(), 0, "position " + pos);
            assertEquals(g.scaleH(), p.meta().scaleH(), 0, "position " + pos);
            for (float v : p.gt().boxes()) assertTrue(v >= 0 && v <= Math.max(g.newW(), g.newH()), "clipped box " + v);
        }
        assertTrue(branches[0] > 100 && branches[1] > 100, "both candidates run: " + branches[0] + ", " + branches[1]);
        assertTrue(composedDiffers, "the chain's factors differ from their product");
    }

    @Test
    void equalStepsInOtherPlacesDrawIndependently() {
        // the same step at the two places of DETR's chain, at two places of a top-level list, and the top-level sampler
        int n = 6000, k = SMALL.scales().size();
        int[][] joint = new int[k][k], topJoint = new int[k][k];
        int sameAsPipeline = 0;
        PipelineOptions multi = steps(H, W, ResizeStep.INSTANCE).withMultiScale(SMALL);
        OwnScaleResize a = new OwnScaleResize(ResizeStep.keepRatio(true), 20, 67, SMALL, 1);
        OwnScaleResize b = new OwnScaleResize(ResizeStep.keepRatio(true), 20, 67, SMALL, 3);
        for (int pos = 0; pos < n; pos++) {
            SampleDraws d = SampleDraws.of(11, 2, pos);
            int x = index(SMALL, FIRST.scale(DETR.drawsOf(d, 1, 0)));
            int y = index(SMALL, new OwnScaleResize(ResizeStep.keepRatio(true), 20, 67, SMALL, 0).scale(DETR.drawsOf(d, 1, 2)));
            joint[x][y]++;
            int u = index(SMALL, a.scale(d)), v = index(SMALL, b.scale(d));
            topJoint[u][v]++;
            if (u == index(SMALL, d.scale(multi))) sameAsPipeline++;
        }
        for (int x = 0; x < k; x++)
            for (int y = 0; y < k; y++) {
                assertEquals(1.0 / (k * k), joint[x][y] / (double) n, 0.02, "wrapped places " + x + "," + y);
                assertEquals(1.0 / (k * k), topJoint[x][y] / (double) n, 0.02, "top-level places " + x + "," + y);
            }
        assertEquals(1.0 / k, sameAsPipeline / (double) n, 0.03, "apart from the pipeline's own multi-scale draw");
        // the same place and draws: the same scale (a resumed run draws the same)
        assertArrayEquals(a.scale(SampleDraws.of(11, 2, 7)), a.scale(SampleDraws.of(11, 2, 7)));
        // a re-sample of the position draws afresh
        int differ = 0;
        for (int pos = 0; pos < 300; pos++)
            if (index(SMALL, a.scale(SampleDraws.of(11, 2, pos))) != index(SMALL, a.scale(SampleDraws.of(11, 2, pos).next()))) differ++;
        assertTrue(differ > 150, "re-samples: " + differ);
    }

    private static int index(ScaleSampler s, int[] wh) {
        for (int i = 0; i < s.scales().size(); i++) if (java.util.Arrays.equals(s.scales().get(i), wh)) return i;
        throw new AssertionError("not a listed scale: " + java.util.Arrays.toString(wh));
    }

    @Test
    void aLaterResizeKeepsItsScaleWhenThePipelinesIsGiven() {
        // top-level Resize (the pipeline's scale), crop, then a stretch to its own 30 x 20
        PipelineOptions o = steps(H, W, ResizeStep.INSTANCE, new RandomCrop(RandomCrop.Type.ABSOLUTE, 25, 17, true, true),
                new OwnScaleResize(ResizeStep.stretch(true), 30, 20, null, 2));
        byte[] px = new byte[H * W * 3];
        try (org.bytedeco.opencv.opencv_core.Mat m = new org.bytedeco.opencv.opencv_core.Mat(H, W, CV_8UC3,
                new org.bytedeco.javacpp.BytePointer(px))) {
            for (int[] scale : new int[][] {{60, 40}, {120, 80}, {30, 20}}) {
                PreparedImage p = new Pipeline(o.withScale(scale[0], scale[1])).prepare(m, REC, 0, false);
                assertEquals(20, p.meta().imgH());
                assertEquals(30, p.meta().imgW());
                assertEquals(30 / 25.0, p.meta().scaleW(), 1e-12, "the factor of the last resize, from the 25-wide crop");
                assertEquals(20 / 17.0, p.meta().scaleH(), 1e-12);
            }
        }
    }

    @Test
    void pipelineRulesAndDescriptions() {
        // a pipeline needs a resize somewhere, and at most one that takes the pipeline's scale
        assertThrows(IllegalArgumentException.class, () -> steps(H, W, RandomFlip.horizontal(0.5)));
        assertThrows(IllegalArgumentException.class, () -> steps(H, W, ResizeStep.INSTANCE, ResizeStep.stretch(true)));
        assertThrows(IllegalArgumentException.class, () -> steps(H, W, TransformWrapper.randomApply(List.of(RandomFlip.horizontal(1)), 0.5, 0)));
        // the pipeline's own resize step stays at the top level; own-scale ones go anywhere
        assertThrows(IllegalArgumentException.class, () -> TransformWrapper.compose(List.of(ResizeStep.INSTANCE), 0));
        assertThrows(IllegalArgumentException.class, () -> new OwnScaleResize(ResizeStep.keepRatio(true), 0, 10, null, 0));
        assertThrows(IllegalArgumentException.class, () -> new OwnScaleResize(ResizeStep.byFactor(true, true, 2, 2), 10, 10, null, 0));
        PipelineOptions o = detr();
        assertEquals(3, o.ownResizes().size());
        assertEquals(List.of(ONLY, FIRST, LAST), o.ownResizes());
        assertThrows(IllegalStateException.class, o::resizeStep);
        assertEquals("RandomChoiceResize[24x67, 28x67, 32x67, 36x67, 40x67] by Resize(keep_ratio=True, clip_object_border=True),"
                + " then RandomChoiceResize[20x67, 25x67, 30x67] by Resize(keep_ratio=True, clip_object_border=True),"
                + " then RandomChoiceResize[24x67, 28x67, 32x67, 36x67, 40x67] by Resize(keep_ratio=True, clip_object_border=True)",
                o.resizeDescription());
        assertEquals("60x40 by Resize(keep_ratio=True, clip_object_border=False), then 30x20 by Resize(keep_ratio=False, clip_object_border=True)",
                steps(H, W, ResizeStep.keepRatio(false), new OwnScaleResize(ResizeStep.stretch(true), 30, 20, null, 1)).resizeDescription());
        assertEquals("Resize", ONLY.step().type());
        assertEquals("RandomChoiceResize", ONLY.type());
        assertEquals(List.of(40, 67), java.util.Arrays.stream(ONLY.maxScale()).boxed().toList());
        // evaluation-style flips work without a top-level resize (added at the end)
        PipelineOptions flipped = steps(H, W, DETR).withFlipProb(1.0);
        assertEquals(RandomFlip.horizontal(1.0), flipped.transforms().get(1));
        assertNotEquals(flipped, steps(H, W, DETR));
    }
}
