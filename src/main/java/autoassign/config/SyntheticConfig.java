package autoassign.config;

import java.util.List;

/**
 * Settings of the built-in {@code SyntheticShapes} dataset (coloured shapes on textured backgrounds, generated
 * deterministically by {@code autoassign.data.SyntheticShapes}). One generator makes both splits, so the train and
 * val entries must agree on everything except {@code num_images} (checked). Maps one to one onto
 * {@code SyntheticShapes.Params(numTrain, numVal, imgSize[0], imgSize[1], numClasses, objectsPerImage[0],
 * objectsPerImage[1], objectSize[0], objectSize[1], maxOcclusion, format == jpg, seed)}.
 *
 * @param numImages       images in this split
 * @param numClasses      shape classes (must equal model.bbox_head.num_classes)
 * @param imgSize         [min, max] image side in pixels (each side drawn independently)
 * @param objectsPerImage [min, max] objects per image (min >= 1)
 * @param objectSize      [min, max] object side in pixels (min >= 4)
 * @param maxOcclusion    largest fraction of an object that later objects may cover, in [0, 1)
 * @param format          "png" or "jpg"
 * @param seed            generator seed
 */
public record SyntheticConfig(int numImages, int numClasses, List<Integer> imgSize, List<Integer> objectsPerImage,
                              List<Integer> objectSize, double maxOcclusion, String format, long seed) {
    public SyntheticConfig {
        imgSize = List.copyOf(imgSize);
        objectsPerImage = List.copyOf(objectsPerImage);
        objectSize = List.copyOf(objectSize);
    }

    /** The same generator settings, ignoring the split size. */
    public boolean sameGenerator(SyntheticConfig o) {
        return numClasses == o.numClasses && imgSize.equals(o.imgSize) && objectsPerImage.equals(o.objectsPerImage)
                && objectSize.equals(o.objectSize) && maxOcclusion == o.maxOcclusion && format.equals(o.format)
                && seed == o.seed;
    }

    static SyntheticConfig from(ConfigNode n) {
        int num = n.atLeast("num_images", n.integer("num_images"), 0);
        int classes = n.positive("num_classes", n.integer("num_classes"));
        List<Integer> img = range(n, "img_size", List.of(160, 256), 32);
        List<Integer> objs = range(n, "objects_per_image", List.of(1, 5), 1);
        List<Integer> size = range(n, "object_size", List.of(16, 100), 4);
        if (size.get(1) > img.get(0))
            throw n.error("object_size", "largest object " + size.get(1) + " does not fit the smallest image " + img.get(0));
        double occ = n.number("max_occlusion", 0.3);
        if (!(occ >= 0 && occ < 1)) throw n.error("max_occlusion", "must be in [0, 1), got " + occ);
        String format = n.choice("format", "png", "png", "jpg");
        long seed = n.longValue("seed", 0);
        return new SyntheticConfig(num, classes, img, objs, size, occ, format, seed);
    }

    private static List<Integer> range(ConfigNode n, String key, List<Integer> def, int min) {
        List<Integer> r = n.intList(key, def);
        if (r.size() != 2 || r.get(0) < min || r.get(1) < r.get(0))
            throw n.error(key, "must be [min, max] with " + min + " <= min <= max, got " + r);
        return r;
    }
}
