package autoassign.cli;

import java.nio.file.NoSuchFileException;

/** Turns exceptions into the one-line messages the CLI prints (no stack traces; -Dautoassign.debug=true shows them). */
public final class CliErrors {
    private CliErrors() {}

    /** A one-line description of {@code e}, preferring the message of the deepest informative cause. */
    public static String message(Throwable e) {
        Throwable t = e;
        while ((t.getMessage() == null || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) t = t.getCause();
        if (t instanceof NoSuchFileException nf) return nf.getFile() + ": no such file";
        String m = t.getMessage();
        if (m == null) m = t.getClass().getSimpleName();
        return m.replace('\n', ' ');
    }

    /** Prints {@code error: <message>} as one line on {@code err} and returns the exit code 1. */
    public static int print(java.io.PrintWriter err, String message) {
        err.println("error: " + message);
        err.flush();
        return 1;
    }

    /** An error the user caused (bad file, bad option): printed as one line, exit code 1. */
    public static final class UserError extends RuntimeException {
        public UserError(String message) { super(message); }

        public UserError(String message, Throwable cause) { super(message, cause); }
    }
}
