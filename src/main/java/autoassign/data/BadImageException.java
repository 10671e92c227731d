package autoassign.data;

/** An image that cannot be used (missing, unreadable, truncated or undecodable); the image is skipped. */
public final class BadImageException extends Exception {
    private final DataIssue kind;

    public BadImageException(DataIssue kind, String message) {
        super(message);
        this.kind = kind;
    }

    public DataIssue kind() { return kind; }
}
