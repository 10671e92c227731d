package autoassign.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a YAML configuration into a validated {@link Config}. Every problem is a {@link ConfigException}
 * whose one-line message names the file and the dotted key.
 *
 * <p>Overrides ({@code key.path=value}, MMDetection's {@code --cfg-options}) are applied to the merged tree before
 * validation, as MMEngine's {@code DictAction} reads them and {@code Config.merge_from_dict} applies them
 * ({@link CfgOptions}): {@code 3}, {@code 0.02}, {@code [8,11]}, {@code (512,512)}, {@code 1333,800}, {@code True},
 * {@code None}, {@code caffe}; a mapping in YAML (<code>{_delete_: true, type: VOCMetric}</code>).
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(
            YAMLFactory.builder().build().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION));

    private static final ObjectMapper YAML_OUT = new ObjectMapper(YAMLFactory.builder()
            .enable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .disable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build());

    private ConfigLoader() {}

    public static Config load(Path file) { return load(file, List.of()); }

    public static Config load(Path file, List<String> overrides) {
        return build(ConfigInheritance.file(file), overrides);
    }

    /** Loads a config shipped in the jar's {@code configs/} resources or, failing that, from the file system. */
    public static Config loadNamed(String nameOrPath, List<String> overrides) {
        Path p = Path.of(nameOrPath);
        if (Files.exists(p)) return load(p, overrides);
        ConfigInheritance.Origin builtIn = ConfigInheritance.builtIn(nameOrPath);
        if (builtIn == null) throw new ConfigException(nameOrPath, "", "file not found (nor a built-in config of that name)");
        return build(builtIn, overrides);
    }

    public static Config parse(String yaml, String source) { return parse(yaml, source, List.of()); }

    /** A config from its text; {@code _base_} files are looked up beside {@code source}. */
    public static Config parse(String yaml, String source, List<String> overrides) {
        ConfigInheritance.Origin beside = ConfigInheritance.file(Path.of(source));
        return build(new ConfigInheritance.Origin() {
            @Override public String name() { return source; }

            @Override public String read() { return yaml; }

            @Override public ConfigInheritance.Origin base(String reference) { return beside.base(reference); }
        }, overrides);
    }

    private static Config build(ConfigInheritance.Origin origin, List<String> overrides) {
        ObjectNode root = ConfigInheritance.resolve(origin, ConfigLoader::tree);
        CfgOptions.apply(root, overrides, origin.name());
        return Config.from(new ConfigNode(origin.name(), "", root), yaml(root, origin.name()));
    }

    private static String yaml(ObjectNode root, String source) {
        try {
            return YAML_OUT.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source, "", "cannot write YAML: " + e.getOriginalMessage(), e);
        }
    }

    /** One YAML file's mapping (before inheritance; Python files are read by {@link ConfigInheritance}). */
    private static ObjectNode tree(ConfigInheritance.Origin origin) {
        String source = origin.name();
        JsonNode tree;
        try {
            tree = YAML.readTree(origin.read());
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage();
            var loc = e.getLocation();
            throw new ConfigException(source, "", "invalid YAML" + (loc != null ? " at line " + loc.getLineNr() : "")
                    + ": " + (msg == null ? e.getMessage() : msg.split("\n")[0]), e);
        }
        if (tree == null || tree.isMissingNode() || tree.isNull())
            throw new ConfigException(source, "", "the file is empty");
        if (!tree.isObject()) throw new ConfigException(source, "", "the top level must be a mapping");
        return (ObjectNode) tree;
    }
}
