package autoassign.cli;

import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.config.DatasetConfig;
import autoassign.data.BadImageException;
import autoassign.data.DataException;
import autoassign.data.OpenImagesMetas;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code image-metas CFG}: MMDetection's {@code tools/misc/get_image_metas.py} ({@link OpenImagesMetas}). */
@Command(name = "image-metas", mixinStandardHelpOptions = true,
        description = "Write the image metas pickle of an Open Images split (the meta_file of OpenImagesDataset / "
                + "OpenImagesChallengeDataset), as MMDetection's tools/misc/get_image_metas.py: {filename, ori_shape} of each "
                + "image of the split's ann_file (.csv or .txt), decoded for its size, saved beside the ann_file.")
public final class ImageMetasCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "CFG", description = "config (a YAML / Python path or a built-in config name)")
    String config;

    @Option(names = "--dataset", paramLabel = "SPLIT", defaultValue = "val",
            description = "which dataloader's dataset: train, val or test (default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--out", paramLabel = "NAME.pkl", defaultValue = "validation-image-metas.pkl",
            description = "the pickle's file name, written in the ann_file's folder (default: ${DEFAULT-VALUE})")
    String out;

    @Option(names = "--nproc", paramLabel = "N", defaultValue = "4", description = "threads decoding images (default: ${DEFAULT-VALUE})")
    int nproc;

    @Option(names = {"--data", "--data-root"}, paramLabel = "DIR", description = "data root (replaces the config's data_root)")
    String dataRoot;

    @Mixin
    ConfigOverrides overrides = new ConfigOverrides();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (!List.of("train", "val", "test").contains(split)) return CliErrors.print(err, "--dataset must be train, val or test, got " + split);
        if (!out.endsWith("pkl")) return CliErrors.print(err, "--out " + out + ": the output file name must have a pkl suffix");
        if (nproc < 1) return CliErrors.print(err, "--nproc must be >= 1, got " + nproc);
        try {
            Config cfg = ConfigLoader.loadNamed(config, overrides.values());
            if (dataRoot != null) cfg = cfg.withDataRoot(dataRoot);
            DatasetConfig ds = (split.equals("train") ? cfg.trainDataloader() : split.equals("val") ? cfg.valDataloader()
                    : cfg.testDataloader()).dataset();
            if (ds.annFile() == null || ds.imgPrefix() == null)
                return CliErrors.print(err, cfg.source() + ": " + split + "_dataloader.dataset (" + ds.type()
                        + ") has no ann_file and data_prefix.img to read images from");
            Path ann = cfg.resolve(ds.annFile()), images = cfg.resolve(ds.imgPrefix());
            o.println("----- Start Processing -----");
            List<String> names = OpenImagesMetas.fileNames(ann);
            o.println("Successfully load annotation file from " + ann);
            o.println("Processing " + names.size() + " images...");
            o.flush();
            List<OpenImagesMetas.Meta> metas = OpenImagesMetas.read(names, images, nproc);
            // the script joins the name to the config's ann_file folder without the data root (a path relative to the
            // working directory); here it lands beside the ann_file itself, where the dataset's meta_file points
            Path save = (ann.getParent() == null ? Path.of("") : ann.getParent()).resolve(out);
            if (save.getParent() != null) Files.createDirectories(save.getParent());
            OpenImagesMetas.write(save, metas);
            o.println("Image meta file save to: " + save);
        } catch (ConfigException | DataException | CliErrors.UserError e) {
            return CliErrors.print(err, CliErrors.message(e));
        } catch (BadImageException e) {
            return CliErrors.print(err, e.getMessage());
        } catch (IOException e) {
            return CliErrors.print(err, CliErrors.message(e));
        }
        o.flush();
        return 0;
    }
}
