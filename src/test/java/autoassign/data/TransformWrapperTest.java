package autoassign.data;

import org.junit.jupiter.api.Test;

import java.util.List;

import static autoassign.data.AugmentationTest.px;
import static autoassign.data.AugmentationTest.run;
import static autoassign.data.AugmentationTest.steps;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MMCV's Compose, RandomApply and RandomChoice on images and boxes (pixel (x, y) holds (B, G, R) = (x, y, 7)): the draws'
 * frequencies, the steps inside moving boxes and crowd boxes, a rejecting step inside rejecting the image, and the steps
 * inside deciding apart from equal steps elsewhere.
 */
class TransformWrapperTest {
    private static final int H = 40, W = 60;
    private static final ImageRecord REC = new ImageRecord(1, "a", W, H, new float[] {2, 3, 12, 8, 20, 10, 40, 30},
            new int[] {4, 5}, new float[] {0, 0, 10, 10}, new int[] {9}, true);
    private static final Transform HFLIP = RandomFlip.horizontal(1.0);

    private static PreparedImage run1(Transform t, SampleDraws d) { return run(steps(H, W, ResizeStep.INSTANCE, t), H, W, REC, d); }

    private static boolean flipped(PreparedImage p) { return px(p, 0, 0, 0) == W - 1; }

    @Test
    void composeRunsItsStepsInOrderOnImageAndBoxes() {
        PreparedImage p = run1(TransformWrapper.compose(List.of(HFLIP, RandomFlip.horizontal(1.0),
                new RandomFlip(List.of(FlipDirection.VERTICAL), List.of(1.0))), 0), SampleDraws.of(1, 0, 0));
        // two horizontal flips cancel, the vertical one stays: boxes and crowd boxes flipped on y only
        assertEquals(0, px(p, 0, 0, 0));
        assertEquals(H - 1, px(p, 0, 0, 1));
        assertArrayEquals(new float[] {2, 32, 12, 37, 20, 10, 40, 30}, p.gt().boxes());
        assertArrayEquals(new float[] {0, 30, 10, 40}, p.gt().ignoredBoxes());
        assertArrayEquals(new int[] {4, 5}, p.gt().labels());
        assertArrayEquals(new int[] {9}, p.gt().ignoredLabels());
    }

    @Test
    void randomApplyRunsItsStepsWithItsProbability() {
        for (double prob : new double[] {0, 0.3, 1}) {
            TransformWrapper w = TransformWrapper.randomApply(List.of(HFLIP), prob, 2);
            int n = 2000, applied = 0;
            for (int i = 0; i < n; i++) {
                SampleDraws d = SampleDraws.of(5, 1, i);
                boolean chosen = w.choose(d) == 0;
                if (chosen) applied++;
                if (i < 40) { // the image follows the decision
                    PreparedImage p = run1(w, d);
                    assertEquals(chosen, flipped(p), "position " + i);
                    assertArrayEquals(chosen ? new float[] {48, 3, 58, 8, 20, 10, 40, 30} : REC.boxes(), p.gt().boxes());
                    assertArrayEquals(chosen ? new float[] {50, 0, 60, 10} : REC.crowdBoxes(), p.gt().ignoredBoxes());
                }
            }
            assertEquals(prob, applied / (double) n, 0.035, "prob " + prob);
        }
    }

    @Test
    void randomChoicePicksBranchesByProbability() {
        TransformWrapper uniform = TransformWrapper.randomChoice(List.of(List.of(), List.of(HFLIP), List.of()), List.of(), 0);
        TransformWrapper weighted = TransformWrapper.randomChoice(List.of(List.of(), List.of(HFLIP), List.of()), List.of(0.2, 0.0, 0.8), 0);
        int n = 3000;
        int[] u = new int[3], p = new int[3];
        for (int i = 0; i < n; i++) {
            u[uniform.choose(SampleDraws.of(3, 0, i))]++;
            p[weighted.choose(SampleDraws.of(3, 0, i))]++;
        }
        for (int k = 0; k < 3; k++) assertEquals(1 / 3.0, u[k] / (double) n, 0.035, "uniform branch " + k);
        assertEquals(0.2, p[0] / (double) n, 0.03);
        assertEquals(0, p[1], "a zero probability is never chosen");
        assertEquals(0.8, p[2] / (double) n, 0.03);
        for (int i = 0; i < 30; i++) { // only the flip branch flips
            SampleDraws d = SampleDraws.of(3, 0, i);
            assertEquals(uniform.choose(d) == 1, flipped(run1(uniform, d)));
        }
    }

    @Test
    void aRejectingStepInsideRejectsTheImage() {
        FilterAnnotations dropAll = new FilterAnnotations(1000, 1000, true);
        SampleDraws d = SampleDraws.of(0, 0, 0);
        assertNull(run1(TransformWrapper.compose(List.of(HFLIP, dropAll), 0), d), "MMCV's Compose returns None");
        assertNotNull(run1(TransformWrapper.randomApply(List.of(dropAll), 0, 0), d), "not applied: nothing rejects");
        PreparedImage kept = run1(TransformWrapper.compose(List.of(new FilterAnnotations(1000, 1000, false)), 0), d);
        assertEquals(0, kept.gt().labels().length + kept.gt().ignoredLabels().length, "keep_empty false: no box left");
        assertTrue(TransformWrapper.compose(List.of(TransformWrapper.randomApply(List.of(dropAll), 1, 0)), 0).mayReject());
        // where nothing may be rejected (browse, benchmarks), the image comes out without boxes
        try (org.bytedeco.javacpp.BytePointer bp = new org.bytedeco.javacpp.BytePointer(AugmentationTest.coordinates(H, W));
             org.bytedeco.opencv.opencv_core.Mat m = new org.bytedeco.opencv.opencv_core.Mat(H, W,
                     org.bytedeco.opencv.global.opencv_core.CV_8UC3, bp)) {
            PreparedImage p = new Pipeline(steps(H, W, ResizeStep.INSTANCE, TransformWrapper.compose(List.of(dropAll), 0)))
                    .prepare(m, REC, 0, false);
            assertEquals(0, p.gt().labels().length);
        }
    }

    @Test
    void stepsInsideDecideApartFromEqualStepsElsewhere() {
        RandomFlip half = RandomFlip.horizontal(0.5);
        // the same flip inside a wrapper and at the top level: if they shared draws, every image would flip twice or never
        PipelineOptions o = steps(H, W, ResizeStep.INSTANCE, half, TransformWrapper.compose(List.of(half), 1));
        int flips = 0, n = 200;
        for (int i = 0; i < n; i++) if (flipped(run(o, H, W, REC, SampleDraws.of(9, 0, i)))) flips++;
        assertEquals(0.5, flips / (double) n, 0.12, "two independent halves flip about half of the images");
        // two equal wrappers at different places decide apart
        TransformWrapper a = TransformWrapper.randomApply(List.of(HFLIP), 0.5, 1), b = TransformWrapper.randomApply(List.of(HFLIP), 0.5, 2);
        int differ = 0;
        for (int i = 0; i < n; i++) if (a.choose(SampleDraws.of(9, 0, i)) != b.choose(SampleDraws.of(9, 0, i))) differ++;
        assertTrue(differ > n / 4 && differ < 3 * n / 4, "decisions differ at " + differ + " of " + n);
        // branches and positions within a branch draw on different forks
        TransformWrapper c = TransformWrapper.compose(List.of(half, half), 0);
        int cancelled = 0;
        for (int i = 0; i < n; i++) if (!flipped(run1(c, SampleDraws.of(9, 0, i)))) cancelled++;
        assertTrue(cancelled > n / 4 && cancelled < 3 * n / 4, "two halves in a row leave " + cancelled + " of " + n + " unflipped");
    }

    @Test
    void aGivenFlipReplacesTheDrawInsideAndIsNotAddedAgain() {
        PipelineOptions o = steps(H, W, ResizeStep.INSTANCE, TransformWrapper.randomApply(List.of(RandomFlip.horizontal(0.5)), 1, 0));
        try (org.bytedeco.javacpp.BytePointer bp = new org.bytedeco.javacpp.BytePointer(AugmentationTest.coordinates(H, W));
             org.bytedeco.opencv.opencv_core.Mat m = new org.bytedeco.opencv.opencv_core.Mat(H, W,
                     org.bytedeco.opencv.global.opencv_core.CV_8UC3, bp)) {
            assertTrue(flipped(new Pipeline(o).prepare(m, REC, 0, true)), "flipped once");
            assertEquals(0, px(new Pipeline(o).prepare(m, REC, 0, false), 0, 0, 0));
        }
    }

    @Test
    void wrappersRefuseResizeAndMixingSteps() {
        assertThrows(IllegalArgumentException.class, () -> TransformWrapper.compose(List.of(ResizeStep.INSTANCE), 0));
        assertThrows(IllegalArgumentException.class, () -> TransformWrapper.randomApply(List.of(Mosaic.defaults()), 0.5, 0));
        assertThrows(IllegalArgumentException.class, () -> TransformWrapper.randomChoice(List.of(), List.of(), 0));
        assertThrows(IllegalArgumentException.class, () -> TransformWrapper.randomChoice(List.of(List.of(), List.of()), List.of(1.0), 0));
    }
}
