package autoassign.data;

import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Throughput measurements of the data pipeline (not a test; results go to docs/data.md).
 * <pre>
 *   DataBench loader [--data DIR] [--workers N] [--batch B] [--epochs E] [--scale L,S] [--cv-threads T]
 *       images/s of decode + resize + flip + normalise + pad + batch through the threaded loader (coco128 train)
 *   DataBench stages [--data DIR] [--scale L,S]
 *       single-thread ms per image of each stage
 *   DataBench json [--size-mb M] [--file F]
 *       generates a COCO-like instances file of about M MB (polygons included) and times parsing it
 * </pre>
 */
public final class DataBench {
    private DataBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: DataBench loader|stages|json [options]");
            System.exit(2);
        }
        String mode = args[0];
        String data = opt(args, "--data", "../shared/data/coco128");
        String[] scale = opt(args, "--scale", "1333,800").split(",");
        PipelineOptions pipe = PipelineOptions.cocoTrain().withScale(Integer.parseInt(scale[0].trim()), Integer.parseInt(scale[1].trim()));
        switch (mode) {
            case "loader" -> loader(Path.of(data), pipe, Integer.parseInt(opt(args, "--workers", "2")),
                    Integer.parseInt(opt(args, "--batch", "2")), Integer.parseInt(opt(args, "--epochs", "3")),
                    Integer.parseInt(opt(args, "--cv-threads", "1")));
            case "stages" -> stages(Path.of(data), pipe);
            case "json" -> json(Integer.parseInt(opt(args, "--size-mb", "450")), Path.of(opt(args, "--file", "/tmp/aa-bench-instances.json")));
            default -> {
                System.err.println("unknown mode " + mode);
                System.exit(2);
            }
        }
    }

    /** CPU time of the whole process (all threads, including GC and OpenCV). */
    static long cpuNanos() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    static double loadAverage() { return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(); }

    private static String opt(String[] args, String name, String def) {
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals(name)) return args[i + 1];
        return def;
    }

    private static CocoDataset coco128(Path root) {
        return CocoDataset.load(root.resolve("annotations/instances_train.json"), root.resolve("images"), null,
                new DataIssues("bench")).filterForTraining();
    }

    static void loader(Path root, PipelineOptions pipe, int workers, int batch, int epochs, int cvThreads) {
        CocoDataset ds = coco128(root);
        System.out.printf(Locale.ROOT, "loader: %d images, scale (%d, %d), batch %d, workers %d, cv threads %d, cores %d%n", ds.size(),
                pipe.scaleLong(), pipe.scaleShort(), batch, workers, cvThreads, Runtime.getRuntime().availableProcessors());
        LoaderOptions lo = LoaderOptions.train(batch, 0, workers).withOpencvThreads(cvThreads);
        try (DataLoader loader = new DataLoader(ds, pipe, lo)) {
            consume(loader, -1); // warm-up epoch (JIT, OpenCV initialisation, page cache)
            long images = 0;
            double checksum = 0;
            long c0 = cpuNanos();
            long t0 = System.nanoTime();
            for (int e = 0; e < epochs; e++) {
                long[] r = consume(loader, e);
                images += r[0];
                checksum += r[1];
            }
            double s = (System.nanoTime() - t0) / 1e9;
            double cpu = (cpuNanos() - c0) / 1e9;
            System.out.printf(Locale.ROOT, "loader: %d images in %.2f s = %.1f images/s (%.1f per worker); process CPU %.2f s = "
                    + "%.1f images per CPU-second; load average %.1f [checksum %.0f]%n",
                    images, s, images / s, images / s / Math.max(1, workers), cpu, images / cpu, loadAverage(), checksum);
        }
    }

    private static long[] consume(DataLoader loader, int epoch) {
        long n = 0, sum = 0;
        try (DataLoader.Epoch it = loader.epoch(Math.max(epoch, 0) + (epoch < 0 ? 1000 : 0))) {
            while (it.hasNext()) {
                Batch b = it.next();
                n += b.size();
                sum += b.width() + b.height();
            }
        }
        return new long[] {n, sum};
    }

    static void stages(Path root, PipelineOptions pipe) throws Exception {
        CocoDataset ds = coco128(root);
        opencv_core.setNumThreads(1);
        Pipeline p = new Pipeline(pipe);
        double dec = 0, prep = 0, coll = 0;
        int n = 0;
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu0 = 0;
        for (int rep = 0; rep < 3; rep++) {
            cpu0 = threads.getCurrentThreadCpuTime();
            dec = prep = coll = 0;
            n = 0;
            for (int i = 0; i < ds.size(); i++) {
                ImageRecord r = ds.get(i);
                long t0 = System.nanoTime();
                try (Mat m = ImageDecoder.decode(ds.imagePath(r))) {
                    long t1 = System.nanoTime();
                    PreparedImage pi = p.prepare(m, r, i, (i & 1) == 1);   // resize + flip + copy out + boxes
                    long t2 = System.nanoTime();
                    p.collate(List.of(pi));                                // allocate, float / mean, pad
                    long t3 = System.nanoTime();
                    dec += (t1 - t0) / 1e6;
                    prep += (t2 - t1) / 1e6;
                    coll += (t3 - t2) / 1e6;
                    n++;
                }
            }
        }
        System.out.printf(Locale.ROOT, "stages (1 thread, %d images, scale (%d, %d)): decode %.2f ms, resize+flip+copy %.2f ms, "
                + "normalise+pad (batch of 1) %.2f ms, total %.2f ms/image = %.1f images/s per core (wall); thread CPU %.2f ms/image "
                + "= %.1f images per CPU-second; load average %.1f%n", n, pipe.scaleLong(), pipe.scaleShort(),
                dec / n, prep / n, coll / n, (dec + prep + coll) / n, 1000.0 * n / (dec + prep + coll),
                (threads.getCurrentThreadCpuTime() - cpu0) / 1e6 / n, n / ((threads.getCurrentThreadCpuTime() - cpu0) / 1e9), loadAverage());
    }

    static void json(int sizeMb, Path file) throws IOException {
        long target = sizeMb * 1024L * 1024L;
        if (!Files.isRegularFile(file) || Math.abs(Files.size(file) - target) > target / 10) {
            long t0 = System.nanoTime();
            writeFakeCoco(file, target);
            System.out.printf(Locale.ROOT, "json: wrote %s (%.0f MB) in %.1f s%n", file, Files.size(file) / 1048576.0, (System.nanoTime() - t0) / 1e9);
        }
        for (int rep = 0; rep < 3; rep++) {
            DataIssues issues = new DataIssues("bench", s -> { }, 0);
            long c0 = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            CocoJson json = CocoJson.read(file, issues);
            long t1 = System.nanoTime();
            long c1 = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            CocoDataset ds = CocoDataset.fromJson(json, file.getParent(), null, issues).filterForTraining();
            long t2 = System.nanoTime();
            System.out.printf(Locale.ROOT, "json: %.0f MB, %d images, %d annotations: parse %.2f s wall (%.0f MB/s), %.2f s thread CPU; "
                    + "build+filter %.2f s, kept %d; load average %.1f%n",
                    Files.size(file) / 1048576.0, json.images().size(), json.numAnnotations(), (t1 - t0) / 1e9,
                    Files.size(file) / 1048576.0 / ((t1 - t0) / 1e9), (c1 - c0) / 1e9, (t2 - t1) / 1e9, ds.size(), loadAverage());
        }
    }

    /** A COCO-2017-like instances file: ~7.3 annotations per image with polygon segmentations, 80 categories. */
    static void writeFakeCoco(Path file, long targetBytes) throws IOException {
        SplittableRandom rnd = new SplittableRandom(0);
        // COCO train2017: 118287 images, 860001 annotations, 448 MB: ~3.9 kB per image
        int images = (int) Math.max(100, targetBytes / 4330);
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("{\"info\": {\"description\": \"fake COCO for benchmarking\"}, \"licenses\": [], \"images\": [");
            for (int i = 0; i < images; i++) {
                if (i > 0) w.write(", ");
                w.write("{\"license\": 3, \"file_name\": \"" + String.format("%012d", i + 1) + ".jpg\", \"coco_url\": "
                        + "\"http://images.cocodataset.org/train2017/" + String.format("%012d", i + 1) + ".jpg\", \"height\": "
                        + (rnd.nextInt(4) == 0 ? 640 : 480) + ", \"width\": 640, \"date_captured\": \"2013-11-14 16:28:13\", "
                        + "\"flickr_url\": \"http://farm9.staticflickr.com/8186/8119368305_4e622c8349_z.jpg\", \"id\": " + (i + 1) + "}");
            }
            w.write("], \"annotations\": [");
            long ann = 0;
            StringBuilder sb = new StringBuilder(4096);
            for (int i = 0; i < images; i++) {
                int k = rnd.nextInt(15);
                for (int a = 0; a < k; a++) {
                    sb.setLength(0);
                    if (ann > 0) sb.append(", ");
                    sb.append("{\"segmentation\": [[");
                    int pts = 8 + rnd.nextInt(40);
                    for (int p = 0; p < 2 * pts; p++) {
                        if (p > 0) sb.append(", ");
                        sb.append(rnd.nextInt(640)).append('.').append(rnd.nextInt(10)).append(rnd.nextInt(10));
                    }
                    double x = rnd.nextDouble() * 600, y = rnd.nextDouble() * 400;
                    sb.append("]], \"area\": ").append(String.format(Locale.ROOT, "%.4f", rnd.nextDouble() * 20000))
                            .append(", \"iscrowd\": ").append(rnd.nextInt(100) == 0 ? 1 : 0)
                            .append(", \"image_id\": ").append(i + 1)
                            .append(", \"bbox\": [").append(String.format(Locale.ROOT, "%.2f, %.2f, %.2f, %.2f", x, y,
                                    1 + rnd.nextDouble() * (640 - x), 1 + rnd.nextDouble() * (480 - y)))
                            .append("], \"category_id\": ").append(1 + rnd.nextInt(90))
                            .append(", \"id\": ").append(++ann).append('}');
                    w.append(sb);
                }
            }
            w.write("], \"categories\": [");
            for (int c = 1; c <= 90; c++) {
                if (c > 1) w.write(", ");
                w.write("{\"supercategory\": \"thing\", \"id\": " + c + ", \"name\": \"class" + c + "\"}");
            }
            w.write("]}");
        }
    }
}
