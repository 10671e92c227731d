package autoassign.cli;

import autoassign.data.DataException;
import autoassign.data.VocToCoco;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code voc2coco DEVKIT [--out DIR]}: MMDetection's {@code pascal_voc.py --out-format coco} ({@link VocToCoco}). */
@Command(name = "voc2coco", mixinStandardHelpOptions = true,
        description = {"Convert a PASCAL VOC devkit's annotations into COCO json files (voc07_trainval.json, ...),",
            "as MMDetection's tools/dataset_converters/pascal_voc.py --out-format coco; then train with",
            "ann_file: voc07_trainval.json and data_prefix.img: '' under the devkit as data_root."})
public final class Voc2CocoCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "DEVKIT", description = "the folder holding VOC2007/ and/or VOC2012/")
    Path devkit;

    @Option(names = {"-o", "--out", "--out-dir"}, paramLabel = "DIR", description = "where the json files go (default: DEVKIT)")
    Path out;

    @Option(names = "--out-format", paramLabel = "coco", defaultValue = "coco",
            description = "pascal_voc.py's option: coco (the only format written here; its default pkl is not)")
    String outFormat;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        if (!outFormat.equals("coco"))
            return CliErrors.print(spec.commandLine().getErr(), "--out-format " + outFormat + ": only coco is written (pascal_voc.py's pkl is not)");
        try {
            List<Path> files = VocToCoco.convertDevkit(devkit, out != null ? out : devkit, o::println);
            o.println(files.size() + " json files written");
        } catch (DataException e) {
            return CliErrors.print(spec.commandLine().getErr(), e.getMessage());
        } catch (IOException e) {
            return CliErrors.print(spec.commandLine().getErr(), CliErrors.message(e));
        }
        o.flush();
        return 0;
    }
}
