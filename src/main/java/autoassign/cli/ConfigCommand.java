package autoassign.cli;

import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code config CFG [--cfg-options K=V,...]}: validates a config and prints it whole, {@code _base_} files merged in
 * and overrides applied (MMDetection's {@code tools/misc/print_config.py}).
 */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = {"Validate a config and print it with its _base_ files merged in and the overrides applied.",
            "A bad config gives a one-line error naming the file and key, and exit code 1."})
public final class ConfigCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "CFG", description = "a YAML path or a built-in config name")
    String config;

    @Mixin
    ConfigOverrides overrides = new ConfigOverrides();

    @Option(names = "--save-path", paramLabel = "OUT.yaml",
            description = "also write the merged config here (print_config.py --save-path; YAML, loadable by --config)")
    java.nio.file.Path savePath;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (savePath != null && SameFile.same(savePath, java.nio.file.Path.of(config)))
            return CliErrors.print(spec.commandLine().getErr(), savePath + ": --save-path is the config itself; write the merged config elsewhere");
        try {
            String text = ConfigLoader.loadNamed(config, overrides.values()).text(); // validated: an error names the file and key
            out.print(text);
            if (savePath != null) {
                if (!savePath.getFileName().toString().matches(".*\\.ya?ml"))
                    return CliErrors.print(spec.commandLine().getErr(), savePath + ": --save-path writes YAML: name it .yaml");
                autoassign.io.AtomicFiles.write(savePath, os -> os.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            }
        } catch (ConfigException e) {
            return CliErrors.print(spec.commandLine().getErr(), e.getMessage());
        } catch (java.io.IOException e) {
            return CliErrors.print(spec.commandLine().getErr(), savePath + ": cannot write: " + CliErrors.message(e));
        }
        out.flush();
        return 0;
    }
}
