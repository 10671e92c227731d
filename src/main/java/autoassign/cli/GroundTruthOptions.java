package autoassign.cli;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.eval.CocoDetections;
import autoassign.eval.CocoGroundTruth;
import autoassign.train.DataSources;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Where an analysis command's ground truth comes from (a picocli mixin): a COCO json ({@code --ann}, MMDetection's
 * scripts' {@code --annotation}) or a config's test set ({@code --config}, with {@code --data} and
 * {@code --cfg-options}), as {@code eval --ann} / {@code eval --config} take it.
 */
public final class GroundTruthOptions {
    @Option(names = {"--ann", "--annotation"}, paramLabel = "GT.json",
            description = "COCO ground truth (instances json with images, categories, annotations); a pickle's labels "
                    + "index its categories in file order")
    Path ann;

    @Option(names = "--config", paramLabel = "CFG",
            description = "instead of --ann: the config whose test set (test_dataloader, else val) the results are of, "
                    + "with its classes")
    String config;

    @Option(names = {"--data", "--data-root"}, paramLabel = "DIR", description = "with --config: data root (replaces the config's data_root)")
    String dataRoot;

    @Mixin
    ConfigOverrides overrides = new ConfigOverrides();

    /** The one-line complaint about how the options were combined, or null when they are usable. */
    String misuse() {
        if ((ann == null) == (config == null)) return "give the ground truth as --ann GT.json or --config CFG (one of them)";
        if (config == null && (dataRoot != null || !overrides.values().isEmpty())) return "--data and --cfg-options go with --config";
        return null;
    }

    boolean fromConfig() { return config != null; }

    /** The {@code --ann} file. */
    Path annotationFile() { return ann; }

    /** With {@code --config}: its test set, read as {@code eval --config --results} reads it. */
    TestSet testSet(PrintWriter err) {
        Config cfg = ConfigLoader.loadNamed(config, overrides.values());
        CocoDataset dataset = DataSources.loadTest(cfg, dataRoot, new DataIssues("test", err::println, 5));
        CocoGroundTruth gt = DataSources.groundTruth(cfg, cfg.testDataloader(), cfg.testEvaluator(), dataRoot, dataset);
        return new TestSet(cfg, dataset, gt);
    }

    /** A config's test set: its dataset and the ground truth its evaluator scores against. */
    record TestSet(Config cfg, CocoDataset dataset, CocoGroundTruth gt) {
        /** A results file against it: a pickle's labels index the classes, a VOC set's image names are resolved. */
        CocoDetections read(Path results) {
            return CocoDetections.read(results, gt, dataset.categories().ids(), DataSources.imageIdsByName(cfg.testDataloader(), dataset));
        }
    }
}
