package autoassign.config;

import java.util.List;

/**
 * Settings of the built-in {@code SyntheticShapes} dataset (coloured shapes on noisy backgrounds), used by
 * the tiny default job; the data package generates the images deterministically from {@code seed}.
 *
 * @param numImages     images in the split
 * @param numClasses    shape classes (must equal model.bbox_head.num_classes)
 * @param imgSize       [min, max] side length of the generated images in pixels
 * @param objectsPerImage [min, max] objects per image
 * @param objectSize    [min, max] object size in pixels
 * @param seed          generator seed (use different seeds for train and val)
 */
public record SyntheticConfig(int numImages, int numClasses, List<Integer> imgSize, List<Integer> objectsPerImage,
                              List<Integer> objectSize, long seed) {
    public SyntheticConfig {
        imgSize = List.copyOf(imgSize);
        objectsPerImage = List.copyOf(objectsPerImage);
        objectSize = List.copyOf(objectSize);
    }

    static SyntheticConfig from(ConfigNode n) {
        int num = n.positive("num_images", n.integer("num_images"));
        int classes = n.positive("num_classes", n.integer("num_classes"));
        List<Integer> img = range(n, "img_size", List.of(128, 256), 32);
        List<Integer> objs = range(n, "objects_per_image", List.of(1, 4), 0);
        List<Integer> size = range(n, "object_size", List.of(16, 96), 1);
        if (size.get(1) > img.get(0))
            throw n.error("object_size", "largest object " + size.get(1) + " does not fit the smallest image " + img.get(0));
        long seed = n.longValue("seed", 0);
        return new SyntheticConfig(num, classes, img, objs, size, seed);
    }

    private static List<Integer> range(ConfigNode n, String key, List<Integer> def, int min) {
        List<Integer> r = n.intList(key, def);
        if (r.size() != 2 || r.get(0) < min || r.get(1) < r.get(0))
            throw n.error(key, "must be [min, max] with " + min + " <= min <= max, got " + r);
        return r;
    }
}
