package autoassign.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code java -jar autoassign-native.jar}. */
@Command(name = "autoassign-native",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "AutoAssign object detector (ResNet-50 caffe + FPN + AutoAssign head): train, evaluate and run it from Java.",
        subcommands = {
                CommandLine.HelpCommand.class,
                TrainCommand.class,
                EvalCommand.class,
                DetectCommand.class,
                VideoCommand.class,
                ImportCommand.class,
                ExportCommand.class,
                InspectCommand.class,
                BenchCommand.class,
                BrowseCommand.class,
                ConfigCommand.class,
                ConfusionCommand.class,
                ScheduleCommand.class,
                Voc2CocoCommand.class,
                Images2CocoCommand.class,
                LogsCommand.class,
                AnalyzeResultsCommand.class,
                CocoErrorsCommand.class,
                FlopsCommand.class,
                FuseResultsCommand.class,
                ImageMetasCommand.class,
                SplitCocoCommand.class,
                EnvCommand.class,
                BenchmarkCommand.class,
        })
public final class Main implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    public static void main(String[] args) { System.exit(execute(args)); }

    /** Runs the CLI and returns the exit code (tests call this instead of main). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("error: " + CliErrors.message(ex));
            if (Boolean.getBoolean("autoassign.debug")) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        // a mistyped option or value: one line naming it (picocli's default prints the whole usage after it)
        cl.setParameterExceptionHandler((ex, given) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("error: " + ex.getMessage().strip().replace(System.lineSeparator(), "; ").replace("\n", "; ")
                    + " (see: " + cmd.getCommandSpec().qualifiedName() + " --help)");
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError | LinkageError e) { // e.g. a missing native library: one line too, exit 1
            System.err.println("error: " + CliErrors.message(e));
            if (Boolean.getBoolean("autoassign.debug")) e.printStackTrace();
            return 1;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"autoassign-native " + (v == null ? "(development build)" : v)};
        }
    }
}
