package autoassign.data;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** AA_1 §5 resize table and AA_8 §3. */
class ResizeGeometryTest {
    // w, h, s, new_w, new_h, w_scale, h_scale, pad_w, pad_h
    private static final double[][] TABLE = {
            {640, 427, 1.873536299765808, 1199, 800, 1.8734375, 1.873536299765808, 1216, 800},
            {640, 480, 1.6666666666666667, 1067, 800, 1.6671875, 1.6666666666666667, 1088, 800},
            {427, 640, 1.873536299765808, 800, 1199, 1.873536299765808, 1.8734375, 800, 1216},
            {500, 375, 2.1333333333333333, 1067, 800, 2.134, 2.1333333333333333, 1088, 800},
            {612, 612, 1.3071895424836601, 800, 800, 1.30718954, 1.30718954, 800, 800},
            {640, 200, 2.0828125, 1333, 417, 2.0828125, 2.085, 1344, 448},
    };

    @Test
    void specTable() {
        for (double[] r : TABLE) {
            int w = (int) r[0], h = (int) r[1];
            assertEquals(r[2], ResizeGeometry.scale(h, w, 1333, 800), 0.0, "s for " + w + "x" + h);
            ResizeGeometry g = ResizeGeometry.keepRatio(h, w, 1333, 800);
            assertEquals((int) r[3], g.newW(), "new_w for " + w + "x" + h);
            assertEquals((int) r[4], g.newH(), "new_h for " + w + "x" + h);
            // the table prints 612x612's factor to 8 digits; all others are exact doubles
            double tol = w == 612 ? 1e-8 : 0.0;
            assertEquals(r[5], g.scaleW(), tol, "w_scale for " + w + "x" + h);
            assertEquals(r[6], g.scaleH(), tol, "h_scale for " + w + "x" + h);
            assertEquals((double) g.newW() / w, g.scaleW(), 0.0);
            assertEquals((int) r[7], Pipeline.padTo(g.newW(), 32), "padded W for " + w + "x" + h);
            assertEquals((int) r[8], Pipeline.padTo(g.newH(), 32), "padded H for " + w + "x" + h);
        }
    }

    @Test
    void scaleOrderDoesNotMatterAndSmallScalesWork() {
        assertEquals(ResizeGeometry.keepRatio(427, 640, 1333, 800), ResizeGeometry.keepRatio(427, 640, 800, 1333));
        ResizeGeometry g = ResizeGeometry.keepRatio(480, 640, 320, 192); // a tiny-config style scale (downscale)
        assertEquals(256, g.newW());
        assertEquals(192, g.newH());
        assertEquals(0.4, g.scaleW(), 0.0);
        assertEquals(0.4, g.scaleH(), 0.0);
    }
}
