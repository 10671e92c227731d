package autoassign.data;

import autoassign.io.PthWriter;
import autoassign.io.pickle.PyTuple;
import org.bytedeco.opencv.opencv_core.Mat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * MMDetection's {@code tools/misc/get_image_metas.py}: the {@code meta_file} an {@link OpenImagesDataset} reads, one
 * {@code {filename, ori_shape: (h, w, 3)}} per image of the annotation file, in its order, each image decoded in colour
 * ({@code mmcv.imfrombytes(flag='color')}) for its size.
 */
public final class OpenImagesMetas {
    private OpenImagesMetas() {}

    /** One image's meta: the file as {@code osp.join(img_prefix, filename)} names it, and its decoded size. */
    public record Meta(String filename, int height, int width) {}

    /**
     * The image file names of an annotation file: a {@code .csv} (V6: {@code <ImageID>.jpg} of each run of rows with
     * one ImageID, after the header row; {@code get_metas_from_csv_style_ann_file}) or a {@code .txt} (the challenge's:
     * a file name, a line, the box count, the boxes; {@code get_metas_from_txt_style_ann_file}).
     *
     * @throws DataException naming the file: another suffix (the script's NotImplementedError), a bad count line
     */
    public static List<String> fileNames(Path annFile) {
        String name = annFile.getFileName().toString();
        List<String> out = new ArrayList<>();
        if (name.endsWith("csv")) {
            String[] previous = {null};
            PythonCsv.forEach(annFile, (row, fields) -> {
                if (row == 1) return; // the header
                if (fields.isEmpty()) throw new DataException(annFile + ": row " + row + " is empty (the script fails on it: line[0])");
                String file = fields.get(0) + ".jpg";
                if (!file.equals(previous[0])) {
                    out.add(file);
                    previous[0] = file;
                }
            });
            return out;
        }
        if (!name.endsWith("txt")) {
            int dot = name.lastIndexOf('.');
            throw new DataException(annFile + ": the annotation file must have a csv or txt suffix, got " + (dot < 0 ? name : name.substring(dot + 1)));
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(annFile, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new DataException(annFile + ": no such file");
        } catch (IOException e) {
            throw new DataException(annFile + ": cannot read (" + e.getMessage() + ")");
        }
        for (int i = 0; i < lines.size(); ) {
            out.add(lines.get(i).stripTrailing());
            if (i + 2 >= lines.size()) throw new DataException(annFile + ": line " + (i + 1) + " starts an image without its box count line");
            int count;
            try {
                count = Integer.parseInt(lines.get(i + 2).strip());
            } catch (NumberFormatException e) {
                throw new DataException(annFile + ": line " + (i + 3) + " should be a box count, got '" + lines.get(i + 2).strip() + "'");
            }
            if (count < 0) throw new DataException(annFile + ": line " + (i + 3) + " has a negative box count " + count);
            i += count + 3;
        }
        return out;
    }

    /**
     * Decodes every image ({@code imgPrefix/name}) on {@code threads} threads, results in the given order.
     *
     * @throws BadImageException for the first image that cannot be read (the script fails there too)
     */
    public static List<Meta> read(List<String> names, Path imgPrefix, int threads) throws BadImageException {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        try {
            List<Future<Meta>> jobs = new ArrayList<>(names.size());
            for (String n : names) {
                Path file = imgPrefix.resolve(n);
                jobs.add(pool.submit(() -> {
                    try (Mat m = ImageDecoder.decode(file)) {
                        return new Meta(file.toString(), m.rows(), m.cols());
                    }
                }));
            }
            List<Meta> out = new ArrayList<>(names.size());
            for (Future<Meta> f : jobs) {
                try {
                    out.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof BadImageException b) throw b;
                    throw new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while reading images", e);
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Writes the metas as the script's {@code dump}: a pickled list of {@code {'filename': str, 'ori_shape': (h, w, 3)}}. */
    public static void write(Path file, List<Meta> metas) throws IOException {
        List<Object> out = new ArrayList<>(metas.size());
        for (Meta m : metas) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("filename", m.filename());
            d.put("ori_shape", PyTuple.of((long) m.height(), (long) m.width(), 3L)); // imfrombytes(flag='color'): 3 channels
            out.add(d);
        }
        PthWriter.writePickle(file, out);
    }
}
