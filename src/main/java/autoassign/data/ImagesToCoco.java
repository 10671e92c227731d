package autoassign.data;

import autoassign.io.AtomicFiles;
import com.fasterxml.jackson.core.JsonGenerator;
import org.bytedeco.opencv.opencv_core.Mat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A folder of images to a COCO json without annotations, as MMDetection's
 * {@code tools/dataset_converters/images2coco.py} (for {@code eval --format-only} or a test dataloader over
 * unlabelled images): every image under the folder (recursively, in name order) with its decoded size, ids from
 * 0; categories from a class list, ids from 0. File names are relative to the folder (use it as
 * {@code data_prefix.img}); unreadable images are skipped and counted.
 */
public final class ImagesToCoco {
    private ImagesToCoco() {}

    /** What was written: images listed and files skipped as unreadable. */
    public record Result(int images, int skipped) {}

    public static Result convert(Path imageDir, List<String> classes, Set<String> excludedExtensions, Path out,
                                 Consumer<String> log) throws IOException {
        if (!Files.isDirectory(imageDir)) throw new DataException(imageDir + ": not a folder");
        if (classes.isEmpty()) throw new DataException("the class list is empty");
        List<Path> files;
        try (Stream<Path> s = Files.walk(imageDir)) {
            files = s.filter(Files::isRegularFile)
                    .filter(p -> ImageDecoder.isImageFile(p) && !excludedExtensions.contains(extension(p)))
                    .sorted().toList();
        }
        List<String> names = new ArrayList<>();
        List<int[]> sizes = new ArrayList<>();
        int skipped = 0;
        for (Path f : files) {
            try (Mat m = ImageDecoder.decode(f)) { // the size the pipeline will see (EXIF orientation applied)
                sizes.add(new int[] {m.cols(), m.rows()});
                names.add(imageDir.relativize(f).toString().replace('\\', '/'));
            } catch (BadImageException e) {
                skipped++;
                log.accept("skipped: " + e.getMessage());
            }
        }
        AtomicFiles.write(out, os -> {
            try (JsonGenerator g = CocoJsonWriter.open(os)) {
                g.writeStartObject();
                g.writeArrayFieldStart("images");
                for (int id = 0; id < names.size(); id++) {
                    CocoJsonWriter.image(g, id, names.get(id), sizes.get(id)[0], sizes.get(id)[1]);
                }
                g.writeEndArray();
                CocoJsonWriter.typeAndCategories(g, classes);
                g.writeArrayFieldStart("annotations");
                g.writeEndArray();
                g.writeEndObject();
            }
        });
        return new Result(names.size(), skipped);
    }

    static String extension(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }
}
