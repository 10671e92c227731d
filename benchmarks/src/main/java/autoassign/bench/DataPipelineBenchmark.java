package autoassign.bench;

import autoassign.data.Batch;
import autoassign.data.BatchSampler;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.DataLoader;
import autoassign.data.LoaderOptions;
import autoassign.data.Pipeline;
import autoassign.data.PipelineOptions;
import autoassign.data.PreparedImage;
import org.bytedeco.opencv.global.opencv_core;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Data pipeline throughput on coco128 (101 training images after the filter), in images per second:
 * decode (OpenCV) + keep-ratio resize + flip + float / mean + pad to 32 + batch; with {@code augment} other than
 * {@code recipe}, the recipe's pipeline with augmentations added ({@link #AUGMENTS}), drawn as the loader draws.
 * <ul>
 *   <li>{@code onePerCore}: one image at a time in the benchmark thread (OpenCV single-threaded) = per-core figure;</li>
 *   <li>{@code loaderEpoch}: one epoch through the threaded {@link DataLoader} with {@code workers} threads,
 *       batch 2 (the 2-core figure with workers=2).</li>
 * </ul>
 * Run: {@code java -jar benchmarks/target/benchmarks.jar Data -p data=../shared/data/coco128}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
public class DataPipelineBenchmark {
    static final int IMAGES = 101;

    @Param({"../shared/data/coco128"})
    public String data;

    @Param({"1333,800"})
    public String scale;

    @Param({"2"})
    public int workers;

    /** recipe: Resize + RandomFlip; photometric: + PhotoMetricDistortion; ssd: Expand + MinIoURandomCrop + photometric. */
    @Param({"recipe"})
    public String augment;

    static final java.util.Map<String, String> AUGMENTS = java.util.Map.of(
            "photometric", "[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true}, {type: PhotoMetricDistortion},"
                    + " {type: Resize, scale: [1333, 800], keep_ratio: true}, {type: RandomFlip, prob: 0.5}, {type: PackDetInputs}]",
            "ssd", "[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true}, {type: PhotoMetricDistortion},"
                    + " {type: Expand, mean: [103.53, 116.28, 123.675], to_rgb: false, ratio_range: [1, 4]},"
                    + " {type: MinIoURandomCrop}, {type: Resize, scale: [1333, 800], keep_ratio: true},"
                    + " {type: RandomFlip, prob: 0.5}, {type: PackDetInputs}]",
            "affine", "[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true},"
                    + " {type: Resize, scale: [1333, 800], keep_ratio: true}, {type: RandomAffine}, {type: YOLOXHSVRandomAug},"
                    + " {type: RandomFlip, prob: 0.5}, {type: PackDetInputs}]");

    CocoDataset dataset;
    PipelineOptions options;
    Pipeline pipeline;
    DataLoader loader;
    int next;
    int epoch;

    @Setup(Level.Trial)
    public void setup() {
        Path root = Path.of(data);
        if (!Files.isDirectory(root)) throw new IllegalStateException("coco128 not found at " + root.toAbsolutePath() + " (-p data=...)");
        dataset = CocoDataset.load(root.resolve("annotations/instances_train.json"), root.resolve("images"), null,
                new DataIssues("bench")).filterForTraining();
        if (dataset.size() != IMAGES) throw new IllegalStateException("expected 101 coco128 training images, got " + dataset.size());
        String[] s = scale.split(",");
        options = augment.equals("recipe") ? PipelineOptions.cocoTrain().withScale(Integer.parseInt(s[0]), Integer.parseInt(s[1]))
                : autoassign.train.DataSources.trainPipeline(autoassign.config.ConfigLoader.loadNamed("autoassign_r50-caffe_fpn_1x_coco",
                        List.of("train_dataloader.dataset.pipeline=" + AUGMENTS.get(augment))));
        pipeline = new Pipeline(options);
        opencv_core.setNumThreads(1);
        loader = new DataLoader(dataset, options, LoaderOptions.train(2, 0, workers).withOpencvThreads(1));
    }

    @TearDown(Level.Trial)
    public void tearDown() { loader.close(); }

    @Benchmark
    public Batch onePerCore() throws Exception {
        int i = next;
        next = (next + 1) % dataset.size();
        PreparedImage p = augment.equals("recipe") ? pipeline.prepare(dataset, i, BatchSampler.flipDecision(0, 0, i, 0.5))
                : pipeline.prepare(dataset, i, autoassign.data.SampleDraws.of(0, epoch++, i));
        if (p == null) p = pipeline.prepare(dataset, i, false); // a crop that kept no box: the loader would draw again
        return pipeline.collate(List.of(p));
    }

    @Benchmark
    @OperationsPerInvocation(IMAGES)
    public long loaderEpoch() {
        long sum = 0;
        try (DataLoader.Epoch it = loader.epoch(epoch++)) {
            while (it.hasNext()) sum += it.next().size();
        }
        if (sum != IMAGES) throw new IllegalStateException("epoch delivered " + sum + " images");
        return sum;
    }
}
