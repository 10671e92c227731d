package autoassign.data;

import org.bytedeco.opencv.opencv_core.Mat;

import static org.bytedeco.opencv.global.opencv_core.CV_32F;
import static org.bytedeco.opencv.global.opencv_core.CV_32FC3;

/**
 * MMCV's {@code LoadImageFromFile(to_float32=True)}: the decoded 8-bit image becomes float32 ({@code img.astype(np.float32)},
 * exact) before the first step, so later steps see a float image as in MMDetection (a Resize interpolates without
 * rounding to 8 bits, a canvas takes a fractional mean). {@link RandomCenterCropPad} needs it.
 */
public record ToFloat32() implements ImageStep {
    @Override public String type() { return "LoadImageFromFile"; }

    @Override
    public void apply(TransformState s, SampleDraws draws) {
        Mat img = s.image();
        if (img.depth() == CV_32F) return;
        Mat out = new Mat();
        img.convertTo(out, CV_32FC3);
        s.setImage(out);
    }
}
