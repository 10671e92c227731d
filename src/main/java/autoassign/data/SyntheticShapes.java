package autoassign.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;

/**
 * The built-in dataset of the default job: a seeded generator of small detection images (clearly
 * distinct coloured shapes on textured, low-saturation backgrounds, several objects per image, varied
 * sizes, bounded occlusion), written in COCO format to a folder on first use so that training reads it
 * through exactly the same code path as real data:
 * <pre>
 *   root/annotations/instances_train.json
 *   root/annotations/instances_val.json
 *   root/images/train_000001.png ...  val_000001.png ...
 *   root/synthetic.json              (the generator parameters; marks a complete folder)
 * </pre>
 * The output is a pure function of {@link Params} (bit-identical files for the same parameters).
 */
public final class SyntheticShapes {
    private SyntheticShapes() {}

    /** Class names, in label / category-id order (category id = label + 1). */
    public static final List<String> CLASS_NAMES = List.of("red_circle", "green_square", "blue_triangle", "yellow_diamond",
            "magenta_ring", "cyan_cross");

    /** B, G, R base colours of the classes. */
    private static final int[][] COLORS = {
            {40, 40, 225}, {40, 200, 40}, {225, 90, 30}, {30, 220, 235}, {210, 40, 210}, {230, 225, 40}};

    /**
     * Generator parameters.
     *
     * @param numTrain      training images
     * @param numVal        validation images
     * @param minSide       smallest image width / height
     * @param maxSide       largest image width / height (each side drawn independently)
     * @param numClasses    classes in use, 1..6 (the first entries of {@link #CLASS_NAMES})
     * @param minObjects    objects per image, at least (placement may give fewer if the image is crowded)
     * @param maxObjects    objects per image, at most
     * @param minObjectSize smallest object side in pixels
     * @param maxObjectSize largest object side in pixels (limited to 0.8 × the image's shorter side)
     * @param maxOcclusion  largest fraction of an object's box that objects drawn later may cover
     * @param jpeg          write JPEG (quality 95) instead of PNG
     * @param seed          generator seed
     */
    public record Params(int numTrain, int numVal, int minSide, int maxSide, int numClasses, int minObjects, int maxObjects,
                         int minObjectSize, int maxObjectSize, double maxOcclusion, boolean jpeg, long seed) {
        public Params {
            if (numTrain < 0 || numVal < 0) throw new IllegalArgumentException("image counts must be >= 0");
            if (minSide < 32 || maxSide < minSide) throw new IllegalArgumentException("need 32 <= minSide <= maxSide");
            if (numClasses < 1 || numClasses > CLASS_NAMES.size())
                throw new IllegalArgumentException("numClasses must be in 1.." + CLASS_NAMES.size());
            if (minObjects < 1 || maxObjects < minObjects) throw new IllegalArgumentException("need 1 <= minObjects <= maxObjects");
            if (minObjectSize < 4 || maxObjectSize < minObjectSize) throw new IllegalArgumentException("need 4 <= minObjectSize <= maxObjectSize");
            if (maxOcclusion < 0 || maxOcclusion >= 1) throw new IllegalArgumentException("maxOcclusion must be in [0, 1)");
        }

        /** 400 train + 50 val images of 160–256 px, 4 classes, 1–5 objects of 16–100 px, PNG, seed 0. */
        public static Params defaults() { return new Params(400, 50, 160, 256, 4, 1, 5, 16, 100, 0.3, false, 0); }

        public Params withCounts(int train, int val) {
            return new Params(train, val, minSide, maxSide, numClasses, minObjects, maxObjects, minObjectSize, maxObjectSize, maxOcclusion, jpeg, seed);
        }

        public Params withSides(int lo, int hi) {
            return new Params(numTrain, numVal, lo, hi, numClasses, minObjects, maxObjects, minObjectSize, maxObjectSize, maxOcclusion, jpeg, seed);
        }

        public Params withObjects(int minCount, int maxCount, int minSize, int maxSize) {
            return new Params(numTrain, numVal, minSide, maxSide, numClasses, minCount, maxCount, minSize, maxSize, maxOcclusion, jpeg, seed);
        }

        public Params withClasses(int n) {
            return new Params(numTrain, numVal, minSide, maxSide, n, minObjects, maxObjects, minObjectSize, maxObjectSize, maxOcclusion, jpeg, seed);
        }

        public Params withJpeg(boolean j) {
            return new Params(numTrain, numVal, minSide, maxSide, numClasses, minObjects, maxObjects, minObjectSize, maxObjectSize, maxOcclusion, j, seed);
        }

        public Params withSeed(long s) {
            return new Params(numTrain, numVal, minSide, maxSide, numClasses, minObjects, maxObjects, minObjectSize, maxObjectSize, maxOcclusion, jpeg, s);
        }
    }

    /** Where the generated files are. */
    public record Layout(Path root, Path trainJson, Path valJson, Path imageDir) {
        static Layout of(Path root) {
            return new Layout(root, root.resolve("annotations/instances_train.json"), root.resolve("annotations/instances_val.json"),
                    root.resolve("images"));
        }

        public CocoDataset train(DataIssues issues) { return CocoDataset.load(trainJson, imageDir, null, issues); }

        public CocoDataset val(DataIssues issues) { return CocoDataset.load(valJson, imageDir, null, issues); }
    }

    /** One generated object. */
    public record Shape(int label, int x, int y, int w, int h) {}

    private static final String MARKER = "synthetic.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    /**
     * Returns the dataset folder, generating it first if {@code root} does not hold a complete dataset of the
     * same parameters. Generation writes to a sibling temporary folder and renames it, so an interrupted run
     * leaves nothing half-written and concurrent callers agree.
     *
     * @throws DataException if {@code root} holds something else (another parameter set, or foreign files)
     */
    public static Layout ensure(Path root, Params params) {
        Layout layout = Layout.of(root);
        String want = paramsJson(params);
        if (Files.isDirectory(root)) {
            String have = readMarker(root);
            if (want.equals(have)) return layout;
            if (have != null)
                throw new DataException(root + ": holds a synthetic dataset generated with other parameters; delete the folder or use another one");
            if (!isEmptyDir(root))
                throw new DataException(root + ": folder exists and is not a generated synthetic dataset; choose another folder");
        } else if (Files.exists(root)) {
            throw new DataException(root + ": exists and is not a folder");
        }
        Path tmp = root.resolveSibling(root.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        try {
            writeTo(tmp, params);
            Files.writeString(tmp.resolve(MARKER), want);
            try {
                if (Files.isDirectory(root)) Files.delete(root); // empty
                Files.move(tmp, root, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                // another process or thread finished first (the rename onto its non-empty folder fails, with an exception
                // type that depends on the platform): accept its result if it is the same dataset
                String have = readMarker(root);
                if (have == null) throw e;
                if (!want.equals(have)) throw new DataException(root + ": concurrently created with other content");
            }
            return layout;
        } catch (IOException e) {
            throw new DataException(root + ": cannot write the synthetic dataset (" + CocoJson.oneLine(e.getMessage()) + ")");
        } finally {
            deleteTree(tmp);
        }
    }

    /** Writes the dataset into {@code dir} (created; existing files of the same names are overwritten). */
    public static void writeTo(Path dir, Params p) throws IOException {
        Layout l = Layout.of(dir);
        Files.createDirectories(l.imageDir());
        Files.createDirectories(l.trainJson().getParent());
        writeSplit(l, "train", p.numTrain(), 1, p);
        writeSplit(l, "val", p.numVal(), 2, p);
    }

    private record Rendered(int w, int h, String file, List<Shape> shapes, int[] areas) {}

    private static void writeSplit(Layout l, String split, int count, int splitId, Params p) throws IOException {
        String ext = p.jpeg() ? ".jpg" : ".png";
        // each image has its own seeded generator, so images can be drawn and written in parallel deterministically
        Rendered[] done = new Rendered[count];
        try {
            java.util.stream.IntStream.range(0, count).parallel().forEach(i -> {
                SplittableRandom rnd = new SplittableRandom(mix(p.seed(), splitId, i));
                int w = rnd.nextInt(p.minSide(), p.maxSide() + 1);
                int h = rnd.nextInt(p.minSide(), p.maxSide() + 1);
                byte[] bgr = new byte[w * h * 3];
                List<Shape> shapes = new ArrayList<>();
                int[] areas = render(rnd, w, h, p, bgr, shapes);
                String file = String.format("%s_%06d%s", split, i + 1, ext);
                try {
                    Files.write(l.imageDir().resolve(file), encode(bgr, w, h, p.jpeg(), file));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                done[i] = new Rendered(w, h, file, shapes, areas);
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        List<Map<String, Object>> images = new ArrayList<>(count);
        List<Map<String, Object>> anns = new ArrayList<>();
        long annId = 1;
        for (int i = 0; i < count; i++) {
            Rendered r = done[i];
            Map<String, Object> im = new LinkedHashMap<>();
            im.put("id", i + 1);
            im.put("file_name", r.file());
            im.put("width", r.w());
            im.put("height", r.h());
            images.add(im);
            for (int k = 0; k < r.shapes().size(); k++) {
                Shape s = r.shapes().get(k);
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("id", annId++);
                a.put("image_id", i + 1);
                a.put("category_id", s.label() + 1);
                a.put("bbox", List.of(s.x(), s.y(), s.w(), s.h()));
                a.put("area", r.areas()[k]);
                a.put("iscrowd", 0);
                anns.add(a);
            }
        }
        List<Map<String, Object>> cats = new ArrayList<>();
        for (int c = 0; c < p.numClasses(); c++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", c + 1);
            m.put("name", CLASS_NAMES.get(c));
            m.put("supercategory", "shape");
            cats.add(m);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("info", Map.of("description", "autoassign-native synthetic shapes (" + split + ")", "version", "1"));
        root.put("images", images);
        root.put("annotations", anns);
        root.put("categories", cats);
        Path out = split.equals("train") ? l.trainJson() : l.valJson();
        Files.writeString(out, new ObjectMapper().writeValueAsString(root));
    }

    /**
     * Draws one image into {@code bgr} (HWC, B-G-R) and appends its objects to {@code shapes}; returns the
     * pixel area of each object's full (unoccluded) shape.
     */
    static int[] render(SplittableRandom rnd, int w, int h, Params p, byte[] bgr, List<Shape> shapes) {
        float[] img = background(rnd, w, h);
        int target = rnd.nextInt(p.minObjects(), p.maxObjects() + 1);
        int maxSize = Math.max(p.minObjectSize(), Math.min(p.maxObjectSize(), (int) (0.8 * Math.min(w, h))));
        List<Integer> areas = new ArrayList<>();
        for (int n = 0; n < target; n++) {
            for (int attempt = 0; attempt < 50; attempt++) {
                double logSize = Math.log(p.minObjectSize()) + rnd.nextDouble() * (Math.log(maxSize) - Math.log(p.minObjectSize()));
                int size = (int) Math.round(Math.exp(logSize));
                double aspect = Math.exp((rnd.nextDouble() - 0.5) * 0.6);           // 0.74 .. 1.35
                int sw = clampInt((int) Math.round(size * Math.sqrt(aspect)), p.minObjectSize(), Math.min(maxSize, w));
                int sh = clampInt((int) Math.round(size / Math.sqrt(aspect)), p.minObjectSize(), Math.min(maxSize, h));
                int sx = rnd.nextInt(0, w - sw + 1), sy = rnd.nextInt(0, h - sh + 1);
                Shape cand = new Shape(rnd.nextInt(p.numClasses()), sx, sy, sw, sh);
                if (!acceptable(cand, shapes, p.maxOcclusion())) continue;
                shapes.add(cand);
                areas.add(draw(rnd, cand, img, w, h));
                break;
            }
        }
        for (int i = 0; i < bgr.length; i++) bgr[i] = (byte) clampInt(Math.round(img[i]), 0, 255);
        int[] a = new int[areas.size()];
        for (int i = 0; i < a.length; i++) a[i] = areas.get(i);
        return a;
    }

    /** Accepts a new (top-most) object if no earlier object gets more than {@code maxOcc} of its box covered. */
    private static boolean acceptable(Shape c, List<Shape> placed, double maxOcc) {
        for (Shape s : placed) {
            // coverage of s by all objects drawn after it, including the candidate (upper bound: sum of overlaps)
            double covered = overlap(s, c);
            if (covered == 0) continue;
            boolean after = false;
            for (Shape t : placed) {
                if (t == s) { after = true; continue; }
                if (after) covered += overlap(s, t);
            }
            if (covered > maxOcc * s.w() * s.h()) return false;
            // never hide most of the candidate's own box behind nothing: also keep boxes from nesting completely
            if (overlap(s, c) >= 0.9 * c.w() * c.h()) return false;
        }
        return true;
    }

    private static double overlap(Shape a, Shape b) {
        int iw = Math.min(a.x() + a.w(), b.x() + b.w()) - Math.max(a.x(), b.x());
        int ih = Math.min(a.y() + a.h(), b.y() + b.h()) - Math.max(a.y(), b.y());
        return iw > 0 && ih > 0 ? (double) iw * ih : 0;
    }

    /** Low-saturation value noise + optional stripes + grain, float B, G, R. */
    private static float[] background(SplittableRandom rnd, int w, int h) {
        float[] img = new float[w * h * 3];
        double grey = 70 + rnd.nextDouble() * 110;
        double[] base = new double[3];
        for (int c = 0; c < 3; c++) base[c] = grey + (rnd.nextDouble() - 0.5) * 40;
        int cell = rnd.nextInt(20, 56);
        int gw = w / cell + 2, gh = h / cell + 2;
        double[] grid = new double[gw * gh];
        double amp = 15 + rnd.nextDouble() * 25;
        for (int i = 0; i < grid.length; i++) grid[i] = (rnd.nextDouble() - 0.5) * 2 * amp;
        boolean stripes = rnd.nextBoolean();
        double angle = rnd.nextDouble() * Math.PI, period = 6 + rnd.nextDouble() * 16, sAmp = 6 + rnd.nextDouble() * 12;
        double ca = Math.cos(angle), sa = Math.sin(angle);
        for (int y = 0; y < h; y++) {
            double gy = (double) y / cell;
            int y0 = (int) gy;
            double fy = gy - y0;
            for (int x = 0; x < w; x++) {
                double gx = (double) x / cell;
                int x0 = (int) gx;
                double fx = gx - x0;
                double v = (1 - fy) * ((1 - fx) * grid[y0 * gw + x0] + fx * grid[y0 * gw + x0 + 1])
                        + fy * ((1 - fx) * grid[(y0 + 1) * gw + x0] + fx * grid[(y0 + 1) * gw + x0 + 1]);
                if (stripes) v += sAmp * Math.sin(2 * Math.PI * (x * ca + y * sa) / period);
                int o = (y * w + x) * 3;
                for (int c = 0; c < 3; c++) img[o + c] = (float) (base[c] + v + (rnd.nextDouble() - 0.5) * 12);
            }
        }
        return img;
    }

    /** Draws a shape filling its box (it touches all four box edges); returns its pixel count. */
    private static int draw(SplittableRandom rnd, Shape s, float[] img, int w, int h) {
        int[] col = COLORS[s.label()];
        double[] c = new double[3];
        for (int k = 0; k < 3; k++) c[k] = col[k] + (rnd.nextDouble() - 0.5) * 30;
        double shade = (rnd.nextDouble() - 0.5) * 40;                               // vertical shading
        int area = 0;
        for (int y = s.y(); y < s.y() + s.h(); y++) {
            double v = (y + 0.5 - s.y()) / s.h();                                   // 0..1 inside the box
            for (int x = s.x(); x < s.x() + s.w(); x++) {
                double u = (x + 0.5 - s.x()) / s.w();
                if (!inside(s.label(), u, v)) continue;
                area++;
                int o = (y * w + x) * 3;
                double sh = shade * (v - 0.5);
                for (int k = 0; k < 3; k++) img[o + k] = (float) (c[k] + sh + (rnd.nextDouble() - 0.5) * 10);
            }
        }
        return area;
    }

    /** Shape membership in normalised box coordinates (u, v in (0, 1)). */
    private static boolean inside(int label, double u, double v) {
        double du = u - 0.5, dv = v - 0.5;
        return switch (label) {
            case 0 -> du * du + dv * dv <= 0.25;                                    // circle / ellipse
            case 1 -> true;                                                         // square / rectangle
            case 2 -> Math.abs(du) <= 0.5 * v;                                      // triangle, apex up
            case 3 -> Math.abs(du) + Math.abs(dv) <= 0.5;                           // diamond
            case 4 -> { double r = du * du + dv * dv; yield r <= 0.25 && r >= 0.09; } // ring
            default -> Math.abs(du) <= 0.17 || Math.abs(dv) <= 0.17;               // cross
        };
    }

    private static byte[] encode(byte[] bgr, int w, int h, boolean jpeg, String name) {
        try (BytePointer px = new BytePointer(bgr); Mat m = new Mat(h, w, CV_8UC3, px); BytePointer out = new BytePointer();
             IntPointer params = jpeg ? new IntPointer(IMWRITE_JPEG_QUALITY, 95) : new IntPointer(0L)) {
            if (!imencode(jpeg ? ".jpg" : ".png", m, out, params)) throw new IllegalStateException("cannot encode " + name);
            byte[] b = new byte[(int) out.limit()];
            out.get(b);
            return b;
        }
    }

    private static long mix(long seed, long split, long index) {
        long z = seed * 0x9E3779B97F4A7C15L ^ split * 0xC2B2AE3D27D4EB4FL ^ index * 0x165667B19E3779F9L;
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        return z ^ (z >>> 33);
    }

    private static int clampInt(int v, int lo, int hi) { return v < lo ? lo : Math.min(v, hi); }

    private static String paramsJson(Params p) {
        try {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("generator", "autoassign.data.SyntheticShapes/1");
            m.put("params", p);
            return JSON.writeValueAsString(m);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String readMarker(Path root) {
        try {
            Path m = root.resolve(MARKER);
            return Files.isRegularFile(m) ? Files.readString(m) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean isEmptyDir(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(q -> {
                try { Files.deleteIfExists(q); } catch (IOException ignored) { /* best effort */ }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
