package autoassign.eval;

import java.nio.file.Path;

/**
 * A COCO json file (ground truth or results) that cannot be used, with a one-line description of the problem.
 * {@link #getMessage()} is the problem alone; {@link #file()} names the file.
 */
public final class CocoFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public CocoFormatException(Path file, String problem) {
        super(problem);
        this.file = file;
    }

    public CocoFormatException(Path file, String problem, Throwable cause) {
        super(problem, cause);
        this.file = file;
    }

    /** The offending file (may be null for in-memory input). */
    public Path file() {
        return file;
    }

    /** {@code <file>: <problem>} on one line. */
    public String oneLine() {
        return (file == null ? "<input>" : file.toString()) + ": " + getMessage();
    }
}
