package autoassign.train;

import autoassign.config.Config;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/** MMEngine's folders of a run: the work dir and, inside it, one {@code <timestamp>} folder per run (train or test). */
public final class RunFolders {
    private RunFolders() {}

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss");

    /** A config's name: its file name without {@code .yaml} / {@code .py}. */
    public static String configName(String source) {
        String name = Path.of(source).getFileName().toString();
        for (String ext : new String[] {".yaml", ".py"}) if (name.endsWith(ext)) return name.substring(0, name.length() - ext.length());
        return name;
    }

    /** MMEngine's default work dir: {@code work_dirs/<config name>}. */
    public static Path defaultWorkDir(Config cfg) { return Path.of("work_dirs", configName(cfg.source())); }

    /** The config's {@code work_dir}, else the default one. */
    public static Path workDir(Config cfg) {
        return cfg.runtime().workDir() != null ? Path.of(cfg.runtime().workDir()) : defaultWorkDir(cfg);
    }

    /** A run's folder {@code <workDir>/<timestamp>} ({@code yyyyMMdd_HHmmss}, local time, as MMEngine names it); not created. */
    public static Path newRun(Path workDir) { return workDir.resolve(LocalDateTime.now().format(STAMP)); }
}
