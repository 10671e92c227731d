package autoassign.io.pickle;

/** Pickle data that is malformed or asks for something the reader does not support. */
public class PickleException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    public PickleException(String message) { super(message); }
    public PickleException(String message, Throwable cause) { super(message, cause); }
}
