package autoassign.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether an output path names an input file (then writing it would destroy the input). */
final class SameFile {
    private SameFile() {}

    /** True when {@code a} and {@code b} are the same existing file (links followed), or the same path. */
    static boolean same(Path a, Path b) {
        if (a == null || b == null) return false;
        try {
            if (Files.exists(a) && Files.exists(b)) return Files.isSameFile(a, b);
        } catch (IOException e) {
            // fall back to the paths
        }
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }
}
