package autoassign.cli;

import autoassign.api.Detector;
import autoassign.config.Config;
import autoassign.config.DataLoaderConfig;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.PipelineOptions;
import autoassign.train.DataSources;

/** A config's train, val or test split as the tools pick it ({@code browse}, {@code benchmark}): loader, dataset, pipeline. */
final class DataSplit {
    private DataSplit() {}

    /** The split's {@code *_dataloader} section. */
    static DataLoaderConfig dataloader(Config cfg, String split) {
        return split.equals("train") ? cfg.trainDataloader() : split.equals("val") ? cfg.valDataloader() : cfg.testDataloader();
    }

    /** The split's dataset ({@code dataRoot} overrides the config's when non-null). */
    static CocoDataset dataset(Config cfg, String split, String dataRoot, DataIssues issues) {
        return split.equals("test") ? DataSources.loadTest(cfg, dataRoot, issues) : DataSources.load(cfg, split.equals("train"), dataRoot, issues);
    }

    /** The training pipeline for train, else the split's test pipeline. */
    static PipelineOptions pipeline(Config cfg, String split) {
        return split.equals("train") ? DataSources.trainPipeline(cfg) : Detector.testPipeline(cfg, dataloader(cfg, split));
    }
}
