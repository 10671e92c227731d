package autoassign.data;

/**
 * A fatal data error where nothing sensible can continue (for example an unreadable annotation file).
 * The message is one line naming the file and what is wrong, meant to be printed as-is by the CLI.
 */
public final class DataException extends RuntimeException {
    public DataException(String message) { super(message); }

    public DataException(String message, Throwable cause) { super(message, cause); }
}
