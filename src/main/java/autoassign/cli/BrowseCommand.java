package autoassign.cli;

import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.data.BadImageException;
import autoassign.data.CocoDataset;
import autoassign.data.DataException;
import autoassign.data.DataIssues;
import autoassign.data.GroundTruth;
import autoassign.data.ImageMeta;
import autoassign.data.Pipeline;
import autoassign.data.PipelineOptions;
import autoassign.data.PreparedImage;
import autoassign.data.SampleDraws;
import autoassign.viz.BoxPainter;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code browse --config CFG [--split train|val|test] [--out DIR]}: what the model is shown, as MMDetection's
 * {@code tools/analysis_tools/browse_dataset.py}: each image of a split after its pipeline (for the train split with its
 * random steps — flip, multi-scale, crop, colour distortion — drawn as the loader draws them at epoch 0), its ground-truth boxes drawn with their class names
 * (crowd regions marked {@code (crowd)}), one picture per image. For checking a dataset before training on it.
 */
@Command(name = "browse", mixinStandardHelpOptions = true,
        description = {"Draw the ground truth of a dataset split as the model sees it (after its pipeline), one picture per image.",
            "A bad image gives a one-line error (the others are still drawn) and exit code 1."})
public final class BrowseCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "CFG", description = "config (a YAML path or a built-in config name)")
    String config;

    @Option(names = {"--data", "--data-root"}, paramLabel = "DIR", description = "data root (replaces the config's data_root)")
    String data;

    @Option(names = "--split", paramLabel = "SPLIT", defaultValue = "train",
            description = "train, val or test (the dataloader of that name; default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = {"--out", "--output-dir"}, paramLabel = "DIR", defaultValue = "work_dirs/browse",
            description = "output folder (default: ${DEFAULT-VALUE}); --output-dir is browse_dataset.py's name")
    Path out;

    @Option(names = "--not-show", description = "accepted for browse_dataset.py's command lines: browse never opens a window")
    boolean notShow;

    @Option(names = "--max", paramLabel = "N", description = "draw the first N images only (default: all)")
    Integer max;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "seed of the random draws: flips, scales, crops, colours (default: ${DEFAULT-VALUE})")
    long seed;

    @Mixin
    ConfigOverrides overrides = new ConfigOverrides();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter outW = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!List.of("train", "val", "test").contains(split)) return CliErrors.print(err, "--split must be train, val or test, got " + split);
        if (max != null && max < 0) return CliErrors.print(err, "--max must be >= 0, got " + max);
        CocoDataset dataset;
        PipelineOptions options;
        DataIssues issues = new DataIssues(split);
        try {
            Config cfg = ConfigLoader.loadNamed(config, overrides.values());
            dataset = DataSplit.dataset(cfg, split, data, issues);
            options = DataSplit.pipeline(cfg, split);
        } catch (ConfigException | DataException | CliErrors.UserError e) {
            return CliErrors.print(err, CliErrors.message(e));
        }
        Pipeline pipeline = new Pipeline(options);
        int n = max == null ? dataset.size() : Math.min(max, dataset.size()), failed = 0, boxes = 0, rejected = 0;
        for (int i = 0; i < n; i++) {
            try {
                // the draws the loader makes at position i of epoch 0 (flip, scale, crop, colour), first try
                PreparedImage p = pipeline.prepare(dataset, i, SampleDraws.of(seed, 0, i));
                if (p == null) { // a RandomCrop that kept no box: training would draw another image
                    rejected++;
                    continue;
                }
                boxes += p.gt().count();
                Path target = out.resolve(outputName(p.meta(), dataset, i));
                if (SameFile.same(target, dataset.imagePath(dataset.get(p.meta().datasetIndex()))))
                    return CliErrors.print(err, target + ": is the input image itself; give an --out folder without the dataset's images");
                BoxPainter.write(BoxPainter.draw(image(p), groundTruth(p.gt(), dataset)), target);
            } catch (BadImageException e) {
                CliErrors.print(err, e.getMessage());
                failed++;
            } catch (IOException e) {
                return CliErrors.print(err, out + ": cannot write: " + CliErrors.message(e));
            }
        }
        String resize = options.resizeDescription();
        outW.printf(Locale.ROOT, "%s split: %d images, %d boxes drawn -> %s (resize to %s%s)%n", split, n - failed - rejected, boxes, out,
                resize, options.flipProb() > 0 ? String.format(Locale.ROOT, ", flip p=%.2f", options.flipProb()) : "");
        if (rejected > 0) outW.printf("%d images not drawn: their RandomCrop kept no box (training draws another image for them)%n", rejected);
        if (failed > 0) outW.printf("%d images could not be read%n", failed);
        outW.flush();
        return failed == 0 ? 0 : 1;
    }

    /** The transformed image (BGR bytes, img_shape) as a picture. */
    private static BufferedImage image(PreparedImage p) {
        BufferedImage img = new BufferedImage(p.meta().imgW(), p.meta().imgH(), BufferedImage.TYPE_3BYTE_BGR);
        byte[] dst = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        System.arraycopy(p.pixels(), 0, dst, 0, dst.length);
        return img;
    }

    /** The boxes to draw: every object with its class name, crowd regions marked; no scores (ground truth). */
    static List<BoxPainter.Box> groundTruth(GroundTruth gt, CocoDataset dataset) {
        return autoassign.viz.GroundTruthAndPredictions.boxes(gt, dataset.categories());
    }

    private static String outputName(ImageMeta m, CocoDataset dataset, int index) {
        return pictureName(m.fileName(), dataset.partOf(index));
    }

    /**
     * browse_dataset.py's {@code osp.basename(img_path)}: the image's own file name when it is a JPEG or PNG one (its
     * extension and case kept: {@code a.jpeg}, {@code b.JPG}), else {@code <stem>.png} (the two formats written); the
     * images of a ConcatDataset's later parts get {@code part<k>_} before it, since parts may hold files of the same name.
     */
    static String pictureName(String fileName, int part) {
        return (part > 0 ? "part" + part + "_" : "") + EvalPictures.outputName(fileName);
    }
}
