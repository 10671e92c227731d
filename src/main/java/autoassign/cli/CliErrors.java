package autoassign.cli;

import java.nio.file.NoSuchFileException;

/** Turns exceptions into the one-line messages the CLI prints (no stack traces; -Dautoassign.debug=true shows them). */
public final class CliErrors {
    private CliErrors() {}

    /** A one-line description of {@code e}, preferring the message of the deepest informative cause. */
    public static String message(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) { // file-system exceptions carry only a path: say what is wrong
            if (c instanceof NoSuchFileException nf) return nf.getFile() + ": no such file";
            if (c instanceof java.nio.file.FileAlreadyExistsException fe) return fe.getFile() + ": exists and is not a folder";
            if (c instanceof java.nio.file.AccessDeniedException ad) return ad.getFile() + ": permission denied";
            if (c instanceof java.nio.file.NotDirectoryException nd) return nd.getFile() + ": not a folder";
            if (c instanceof java.nio.charset.CharacterCodingException) return "not valid UTF-8 text";
        }
        Throwable t = e;
        while ((t.getMessage() == null || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) t = t.getCause();
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
