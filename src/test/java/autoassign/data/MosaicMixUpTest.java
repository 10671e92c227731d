package autoassign.data;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Mosaic's placement and MixUp's box transform, computed by hand from MMDetection 3.3's formulas. */
class MosaicMixUpTest {
    private static int[] ints(int... v) { return v; }

    @Test
    void mosaicPlacesTheFourImagesAroundTheCentre() {
        Mosaic m = new Mosaic(120, 100, 0.5, 1.5, true, 114, 1); // img_scale (w, h) = (120, 100)
        // a 90 x 60 image around (150, 80) on the 240 x 200 canvas: wholly inside, every crop the whole image
        assertArrayEquals(ints(60, 20, 150, 80, 0, 0, 90, 60), m.combine(Mosaic.Corner.TOP_LEFT, 150, 80, 90, 60));
        assertArrayEquals(ints(150, 20, 240, 80, 0, 0, 90, 60), m.combine(Mosaic.Corner.TOP_RIGHT, 150, 80, 90, 60));
        assertArrayEquals(ints(60, 80, 150, 140, 0, 0, 90, 60), m.combine(Mosaic.Corner.BOTTOM_LEFT, 150, 80, 90, 60));
        assertArrayEquals(ints(150, 80, 240, 140, 0, 0, 90, 60), m.combine(Mosaic.Corner.BOTTOM_RIGHT, 150, 80, 90, 60));
        // a 120 x 100 image around (50, 170): cut at the left and bottom edges
        assertArrayEquals(ints(0, 70, 50, 170, 70, 0, 120, 100), m.combine(Mosaic.Corner.TOP_LEFT, 50, 170, 120, 100));
        assertArrayEquals(ints(50, 70, 170, 170, 0, 0, 120, 100), m.combine(Mosaic.Corner.TOP_RIGHT, 50, 170, 120, 100));
        assertArrayEquals(ints(0, 170, 50, 200, 70, 0, 120, 30), m.combine(Mosaic.Corner.BOTTOM_LEFT, 50, 170, 120, 100));
        assertArrayEquals(ints(50, 170, 170, 200, 0, 0, 120, 30), m.combine(Mosaic.Corner.BOTTOM_RIGHT, 50, 170, 120, 100));
        // keep-ratio factor: min(100 / h, 120 / w)
        assertEquals(0.5, m.ratio(200, 100), 0);
        assertEquals(1.2, m.ratio(50, 100), 1e-15);
    }

    private static Mat solid(int h, int w, int v) { return new Mat(h, w, CV_8UC3, new Scalar(v, v + 1, v + 2, 0)); }

    private static TransformState state(Mat img, float[] boxes, int[] labels, float[] crowd, int[] crowdLabels) {
        return new TransformState(img, new ImageRecord(1, "x.png", img.cols(), img.rows(), boxes, labels, crowd, crowdLabels, true));
    }

    private static int px(Mat m, int x, int y, int c) { return TransformState.bytes(m)[(y * m.cols() + x) * 3 + c] & 0xFF; }

    @Test
    void mosaicOfFourSolidImagesMovesBoxesLabelsAndCrowdBoxesTogether() {
        List<Mat> mats = new ArrayList<>();
        for (int v : new int[] {10, 50, 90, 130}) mats.add(solid(20, 20, v));
        List<TransformState> st = new ArrayList<>();
        st.add(state(mats.get(0), new float[] {12, 6, 18, 14}, ints(0), new float[0], new int[0]));
        st.add(state(mats.get(1), new float[] {15, 0, 19, 3, 2, 8, 6, 12}, ints(1, 2), new float[0], new int[0]));
        st.add(state(mats.get(2), new float[0], new int[0], new float[] {12, 1, 18, 9, 1, 1, 9, 9}, ints(3, 1)));
        st.add(state(mats.get(3), new float[] {0, 0, 4, 4}, ints(3), new float[0], new int[0]));
        try {
            // img_scale 20 x 20 (no resize), centre (10, 15) on the 40 x 40 canvas
            new Mosaic(20, 20, 0.5, 1.5, true, 114, 1).mix(st.get(0), st.subList(1, 4), 10, 15);
            TransformState s = st.get(0);
            assertEquals(40, s.height());
            assertEquals(40, s.width());
            Mat img = s.image();
            assertEquals(10, px(img, 5, 5, 0));
            assertEquals(51, px(img, 20, 5, 1));     // top right: x in [10, 30), y in [0, 15)
            assertEquals(92, px(img, 5, 30, 2));     // bottom left: x in [0, 10), y in [15, 35)
            assertEquals(130, px(img, 29, 34, 0));   // bottom right
            assertEquals(114, px(img, 35, 5, 0));    // pad
            assertEquals(114, px(img, 5, 37, 1));
            // image 0 is cut from (10, 5): its box moves by (-10, -5); image 1's first box lands above the canvas
            // ((25, -5, 29, -2) clipped to a line at y = 0, not inside) and is dropped, its second moves by (10, -5);
            // image 3's box by (10, 15)
            assertArrayEquals(new float[] {2, 1, 8, 9, 12, 3, 16, 7, 10, 15, 14, 19}, s.boxes(), 0f);
            assertArrayEquals(ints(0, 2, 3), s.labels());
            // image 2 is cut from (10, 0) and pasted at (0, 15): its crowd boxes move by (-10, 15); the second,
            // (-9, 16, -1, 24), is clipped to a line at x = 0 and dropped, its label with it
            assertArrayEquals(new float[] {2, 16, 8, 24}, s.crowdBoxes(), 0f);
            assertArrayEquals(ints(3), s.crowdLabels());
        } finally {
            for (TransformState t : st) t.close();
            for (Mat m : mats) m.close();
        }
    }

    @Test
    void mixUpMovesTheOtherImagesBoxesAsMmdetDoes() {
        MixUp u = new MixUp(60, 40, 0.5, 1.5, 0.5, 114, false, 15, true);
        // ratio 0.5 × jitter 1.5: (10, 10, 30, 20) → (7.5, 7.5, 22.5, 15); flipped in the 60-wide jittered canvas →
        // (37.5, 7.5, 52.5, 15); shifted by (-5, -3) → (32.5, 4.5, 47.5, 12); clipped to the 40 × 30 image
        assertArrayEquals(new float[] {32.5f, 4.5f, 40, 12}, u.boxes(new float[] {10, 10, 30, 20}, 0.75, true, 60, 45, 5, 3, 40, 30), 0f);
        assertArrayEquals(new float[] {2.5f, 4.5f, 17.5f, 12}, u.boxes(new float[] {10, 10, 30, 20}, 0.75, false, 60, 45, 5, 3, 40, 30), 0f);
        MixUp noClip = new MixUp(60, 40, 0.5, 1.5, 0.5, 114, false, 15, false);
        assertArrayEquals(new float[] {-7.5f, 4.5f, 7.5f, 12}, noClip.boxes(new float[] {10, 10, 30, 20}, 0.75, true, 60, 45, 45, 3, 40, 30), 0f);
    }

    @Test
    void mixUpAveragesTheImagesAndKeepsEveryBoxInside() {
        try (Mat a = solid(30, 40, 100); Mat b = solid(20, 30, 200)) {
            TransformState s = state(a, new float[] {1, 1, 10, 10, 35, 25, 39, 29}, ints(0, 1), new float[0], new int[0]);
            TransformState o = state(b, new float[] {0, 0, 30, 20}, ints(2), new float[0], new int[0]);
            // img_scale (w, h) = (30, 20): ratio 1; jitter 1, no flip: the other image covers the top left 30 × 20 of the 40 × 30
            new MixUp(30, 20, 0.5, 1.5, 0.5, 114, false, 15, true).mix(s, o, new MixUp.Draw(1.0, false), n -> 0, n -> 0);
            Mat img = s.image();
            assertEquals(150, px(img, 5, 5, 0));       // (100 + 200) / 2
            assertEquals(107, px(img, 35, 25, 0));     // outside the 30 × 20 canvas: the pad_val padding, (100 + 114) / 2
            assertEquals(151, px(img, 5, 5, 1));       // (101 + 201) / 2 = 151
            assertArrayEquals(new float[] {1, 1, 10, 10, 35, 25, 39, 29, 0, 0, 30, 20}, s.boxes(), 0f);
            assertArrayEquals(ints(0, 1, 2), s.labels());
            s.close();
            o.close();
        }
        try (Mat a = solid(30, 40, 100); Mat b = solid(20, 30, 200)) {
            TransformState s = state(a, new float[] {1, 1, 10, 10}, ints(0), new float[0], new int[0]);
            TransformState o = state(b, new float[0], new int[0], new float[0], new int[0]);
            Mat before = s.image();
            new MixUp(30, 20, 0.5, 1.5, 0.5, 114, false, 15, true).mix(s, o, new MixUp.Draw(1.0, false), n -> 0, n -> 0);
            assertSame(before, s.image(), "an image without boxes is not mixed in");
            s.close();
            o.close();
        }
    }

    @Test
    void drawsOfOtherStreamsAreFreshAndStreamZeroIsUnchanged() {
        SampleDraws d = SampleDraws.of(3, 1, 17);
        assertEquals(new SampleDraws(3, 1, 17, 0, 0), d);
        assertNotEquals(d.unit(SampleDraws.MOSAIC, 0), d.fork(1).unit(SampleDraws.MOSAIC, 0));
        assertNotEquals(d.fork(1).unit(SampleDraws.MOSAIC, 0), d.fork(2).unit(SampleDraws.MOSAIC, 0));
        assertNotEquals(d.fork(1), d.next().fork(1));
        assertEquals(d.fork(5), SampleDraws.of(3, 1, 17).fork(5));
    }

    /**
     * MMDetection 3.3 reads {@code img_scale} as (w, h) (mmdet/datasets/transforms/transforms.py): Mosaic's canvas is
     * {@code np.full((img_scale[1] * 2, img_scale[0] * 2, 3))}, its centre {@code (int(uniform(lo, hi) * img_scale[0]),
     * int(uniform(lo, hi) * img_scale[1]))} and each image's factor {@code min(img_scale[1] / h_i, img_scale[0] / w_i)};
     * MixUp's canvas is {@code np.ones((img_scale[1], img_scale[0], 3))} with {@code min(img_scale[1] / h, img_scale[0] / w)}.
     */
    @Test
    void imgScaleIsWidthThenHeight() {
        Mosaic m = new Mosaic(120, 100, 0.5, 1.5, true, 114, 1);
        SampleDraws d = SampleDraws.of(3, 0, 7);
        assertArrayEquals(ints((int) (d.uniform(SampleDraws.MOSAIC, Mosaic.DRAW_CENTER_X, 0.5, 1.5) * 120),
                (int) (d.uniform(SampleDraws.MOSAIC, Mosaic.DRAW_CENTER_Y, 0.5, 1.5) * 100)), m.center(d));
        assertEquals(Math.min(100 / 50.0, 120 / 80.0), m.ratio(50, 80), 0);
        // the top right image is cut at the canvas' right edge, 2 · img_scale[0] = 240 wide
        assertArrayEquals(ints(200, 0, 240, 80, 0, 20, 40, 100), m.combine(Mosaic.Corner.TOP_RIGHT, 200, 80, 90, 100));
        List<Mat> mats = new ArrayList<>();
        List<TransformState> st = new ArrayList<>();
        for (int v : new int[] {10, 50, 90, 130}) {
            Mat img = solid(10, 10, v);
            mats.add(img);
            st.add(state(img, new float[0], new int[0], new float[0], new int[0]));
        }
        try {
            new Mosaic(30, 20, 0.5, 1.5, true, 114, 1).mix(st.get(0), st.subList(1, 4), 30, 20);
            assertEquals(40, st.get(0).height(), "2 · img_scale[1]");
            assertEquals(60, st.get(0).width(), "2 · img_scale[0]");
        } finally {
            for (TransformState t : st) t.close();
            for (Mat x : mats) x.close();
        }
        try (Mat a = solid(40, 60, 100); Mat b = solid(20, 30, 200)) {
            TransformState s = state(a, new float[0], new int[0], new float[0], new int[0]);
            TransformState o = state(b, new float[] {0, 0, 30, 20}, ints(2), new float[0], new int[0]);
            // img_scale (w, h) = (60, 40): ratio min(40 / 20, 60 / 30) = 2, the other image fills the 60 × 40 canvas
            new MixUp(60, 40, 0.5, 1.5, 0.5, 114, false, 15, true).mix(s, o, new MixUp.Draw(1.0, false), n -> 0, n -> 0);
            assertArrayEquals(new float[] {0, 0, 60, 40}, s.boxes(), 0f);
            assertEquals(150, px(s.image(), 59, 39, 0), "(100 + 200) / 2 everywhere: no padding shows");
            s.close();
            o.close();
        }
    }
}
