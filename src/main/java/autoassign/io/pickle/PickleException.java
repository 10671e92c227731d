package autoassign.io.pickle;

/** Pickle data that is malformed or asks for something the reader does not support. */
public class PickleException extends RuntimeException {
    public PickleException(String message) { super(message); }
    public PickleException(String message, Throwable cause) { super(message, cause); }
}
