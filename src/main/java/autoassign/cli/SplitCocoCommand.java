package autoassign.cli;

import autoassign.data.CocoSemiSplit;
import autoassign.data.DataException;
import autoassign.eval.PyFloat;

import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code split-coco}: MMDetection's {@code tools/misc/split_coco.py} ({@link CocoSemiSplit}). */
@Command(name = "split-coco", mixinStandardHelpOptions = true,
        description = {"Split COCO train2017 into labeled and unlabeled parts for semi-supervised",
            "detection, as MMDetection's tools/misc/split_coco.py: for each fold f in 1..K",
            "and percent p, np.random.seed(f) draws int(p / 100 * N) image indices with",
            "replacement; OUT_DIR/instances_train2017.{f}@{p}.json gets those images and",
            "their annotations, ...-unlabeled.json the rest (the script's bytes)."})
public final class SplitCocoCommand implements Callable<Integer> {

    @Option(names = "--data-root", paramLabel = "DIR", description = "the COCO data root: reads DIR/annotations/instances_train2017.json (default: ${DEFAULT-VALUE})")
    String dataRoot = "./data/coco/";

    @Option(names = "--ann-file", paramLabel = "FILE", description = "read this annotation file instead (the output names stay instances_train2017.*)")
    Path annFile;

    @Option(names = "--out-dir", paramLabel = "DIR", description = "where the split files go (default: ${DEFAULT-VALUE})")
    String outDir = "./data/coco_semi_annos/";

    @Option(names = "--labeled-percent", arity = "1..*", paramLabel = "P", converter = PythonFloat.class,
            description = "the percentages of labeled images (default: 1 2 5 10, named as the script's int defaults: @1, @10)")
    List<Double> percents;

    @Option(names = "--fold", paramLabel = "K", converter = PythonInt.class,
            description = "folds 1..K, each the numpy seed of its draws (default: ${DEFAULT-VALUE})")
    BigInteger fold = BigInteger.valueOf(5);

    @Spec
    CommandSpec spec;

    /** argparse's {@code type=float}: Python's {@code float(str)}. */
    static final class PythonFloat implements CommandLine.ITypeConverter<Double> {
        @Override
        public Double convert(String s) {
            try {
                return PyFloat.parse(s);
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("invalid float value: '" + s + "'");
            }
        }
    }

    /** argparse's {@code type=int}: Python's {@code int(str)} (whitespace, a sign, underscores between digits). */
    static final class PythonInt implements CommandLine.ITypeConverter<BigInteger> {
        @Override
        public BigInteger convert(String s) {
            String t = s.strip();
            if (!t.matches("[+-]?\\d(_?\\d)*")) throw new CommandLine.TypeConversionException("invalid int value: '" + s + "'");
            return new BigInteger(t.replace("_", "").replace("+", ""));
        }
    }

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (fold.signum() <= 0) return CliErrors.print(err, "--fold " + fold + ": must be at least 1 (split_coco.py starts a pool of K processes)");
        if (fold.bitLength() > 32) return CliErrors.print(err, "--fold " + fold + ": the folds seed numpy, which takes seeds up to 2**32 - 1");
        Path ann = annFile != null ? annFile : Path.of(dataRoot).resolve("annotations/instances_train2017.json");
        try {
            CocoSemiSplit.Source source = CocoSemiSplit.read(ann);
            o.println(ann + ": " + source.images() + " images, " + source.annotations() + " annotations");
            o.flush();
            List<CocoSemiSplit.Split> splits = new ArrayList<>(); // all drawn and checked before anything is written
            List<CocoSemiSplit.Percent> ps = percents == null
                    ? Stream.of(1, 2, 5, 10).map(CocoSemiSplit.Percent::ofInt).toList() // argparse leaves the default ints as they are
                    : percents.stream().map(CocoSemiSplit.Percent::ofFloat).toList();
            for (long f = 1; f <= fold.longValue(); f++)
                for (CocoSemiSplit.Percent p : ps) splits.add(CocoSemiSplit.split(source, f, p));
            Path out = Path.of(outDir);
            for (CocoSemiSplit.Split s : splits) {
                for (CocoSemiSplit.Written w : CocoSemiSplit.write(source, s, out))
                    o.println(w.file() + ": " + w.images() + " images, " + w.annotations() + " annotations");
                o.flush();
            }
        } catch (DataException e) {
            return CliErrors.print(err, e.getMessage());
        } catch (IOException e) {
            return CliErrors.print(err, CliErrors.message(e));
        }
        return 0;
    }
}
