package autoassign.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether an output path names an input file (then writing it would destroy the input). */
final class SameFile {
    private SameFile() {}

    /** True when {@code a} and {@code b} are the same existing file (links followed), or the same path. */
    static boolean same(Path a, Path b) {
        return a != null && b != null && key(a).equals(key(b));
    }

    /** What identifies the file a path names: its real path when it exists (links followed), else the normalised path. */
    static Path key(Path p) {
        try {
            if (Files.exists(p)) return p.toRealPath();
        } catch (IOException e) {
            // fall back to the path
        }
        return p.toAbsolutePath().normalize();
    }
}
