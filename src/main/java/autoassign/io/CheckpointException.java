package autoassign.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A checkpoint file that cannot be read or written: names the file and says what is wrong in one
 * line ({@code <file>: <problem>}), suitable for the CLI's {@code error: ...} line.
 */
public class CheckpointException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String file;
    private final String problem;

    public CheckpointException(Path file, String problem) {
        this(file, problem, null);
    }

    public CheckpointException(Path file, String problem, Throwable cause) {
        super((file == null ? "<stream>" : file.toString()) + ": " + problem, cause);
        this.file = file == null ? "<stream>" : file.toString();
        this.problem = problem;
    }

    /** The file the problem is in. */
    public String file() { return file; }

    /** What is wrong, without the file name. */
    public String problem() { return problem; }
}
