package autoassign.cli;

import autoassign.data.DataException;
import autoassign.data.ImagesToCoco;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code images2coco IMG_DIR CLASSES OUT.json}: MMDetection's {@code images2coco.py} ({@link ImagesToCoco}). */
@Command(name = "images2coco", mixinStandardHelpOptions = true,
        description = {"Write a COCO json listing a folder's images (sizes, no annotations) and the classes of a",
            "text file (one per line), as MMDetection's tools/dataset_converters/images2coco.py: the test set of",
            "eval --format-only over unlabelled images (file names relative to IMG_DIR: use it as data_prefix.img)."})
public final class Images2CocoCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IMG_DIR", description = "the images (searched recursively)")
    Path images;

    @Parameters(index = "1", paramLabel = "CLASSES", description = "a text file with one class name per line")
    Path classes;

    @Parameters(index = "2", paramLabel = "OUT.json",
            description = "the json to write: as images2coco.py, a relative name goes to IMG_DIR/../annotations/OUT.json")
    Path out;

    @Option(names = {"-e", "--exclude-extensions"}, arity = "1..*", paramLabel = "EXT",
            description = "image extensions to leave out, e.g. png bmp")
    List<String> exclude = List.of();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (!out.getFileName().toString().endsWith(".json")) return CliErrors.print(err, out + ": the output must be a .json file");
        try {
            if (!Files.isRegularFile(classes)) return CliErrors.print(err, classes + ": no such class list");
            List<String> names = Files.readAllLines(classes, StandardCharsets.UTF_8).stream().map(String::strip)
                    .filter(s -> !s.isEmpty()).toList();
            if (names.isEmpty()) return CliErrors.print(err, classes + ": the class list is empty (one class name per line)");
            if (!Files.isDirectory(images)) return CliErrors.print(err, images + ": not a folder");
            Set<String> ext = exclude.stream().map(e -> e.replaceFirst("^\\.", "").toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
            Path file = savePath(images, out);
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            ImagesToCoco.Result r = ImagesToCoco.convert(images, names, ext, file, err::println);
            o.println(file + ": " + r.images() + " images, " + names.size() + " classes"
                    + (r.skipped() > 0 ? "; " + r.skipped() + " unreadable files skipped" : ""));
            o.println("save json file: " + file);
        } catch (DataException e) {
            return CliErrors.print(err, e.getMessage());
        } catch (IOException e) {
            return CliErrors.print(err, CliErrors.message(e));
        }
        o.flush();
        return 0;
    }

    /**
     * Where images2coco.py writes: {@code os.path.join(img_paths, '..', 'annotations', out)}, so a relative OUT lands
     * in the {@code annotations} folder beside IMG_DIR and an absolute one is used as it is.
     */
    static Path savePath(Path imageDir, Path out) {
        return out.isAbsolute() ? out : imageDir.resolve("..").resolve("annotations").resolve(out);
    }
}
