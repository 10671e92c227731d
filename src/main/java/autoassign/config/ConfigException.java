package autoassign.config;

/**
 * A bad configuration: the message is one line naming the file, the dotted key and what is wrong, e.g.
 * {@code configs/x.yaml: model.backbone.depth: must be one of 18, 34, 50, 101, got 51}.
 */
public final class ConfigException extends RuntimeException {
    private final String source;
    private final String key;

    public ConfigException(String source, String key, String problem) {
        super(format(source, key, problem));
        this.source = source;
        this.key = key;
    }

    public ConfigException(String source, String key, String problem, Throwable cause) {
        super(format(source, key, problem), cause);
        this.source = source;
        this.key = key;
    }

    private static String format(String source, String key, String problem) {
        StringBuilder sb = new StringBuilder();
        if (source != null && !source.isEmpty()) sb.append(source).append(": ");
        if (key != null && !key.isEmpty()) sb.append(key).append(": ");
        return sb.append(problem).toString();
    }

    /** The file (or other source name) the configuration came from. */
    public String source() { return source; }

    /** The dotted key that is wrong ({@code model.backbone.depth}); empty for whole-file problems. */
    public String key() { return key; }
}
