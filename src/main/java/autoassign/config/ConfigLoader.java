package autoassign.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a YAML configuration into a validated {@link Config}. Every problem is a {@link ConfigException}
 * whose one-line message names the file and the dotted key.
 *
 * <p>Overrides ({@code key.path=value}, like MMDetection's {@code --cfg-options}) are applied to the YAML
 * tree before validation; the value is parsed as YAML ({@code 3}, {@code 0.02}, {@code [8, 11]},
 * {@code true}, {@code caffe}).
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(
            YAMLFactory.builder().build().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION));

    private ConfigLoader() {}

    public static Config load(Path file) { return load(file, List.of()); }

    public static Config load(Path file, List<String> overrides) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file.toString(), "", "file not found");
        } catch (IOException e) {
            throw new ConfigException(file.toString(), "", "cannot read: " + e.getMessage(), e);
        }
        return parse(text, file.toString(), overrides);
    }

    /** Loads a config shipped in the jar's {@code configs/} resources or, failing that, from the file system. */
    public static Config loadNamed(String nameOrPath, List<String> overrides) {
        Path p = Path.of(nameOrPath);
        if (Files.exists(p)) return load(p, overrides);
        String res = "/configs/" + (nameOrPath.endsWith(".yaml") ? nameOrPath : nameOrPath + ".yaml");
        try (var in = ConfigLoader.class.getResourceAsStream(res)) {
            if (in == null) throw new ConfigException(nameOrPath, "", "file not found (nor a built-in config of that name)");
            return parse(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8), res, overrides);
        } catch (IOException e) {
            throw new ConfigException(res, "", "cannot read: " + e.getMessage(), e);
        }
    }

    public static Config parse(String yaml, String source) { return parse(yaml, source, List.of()); }

    public static Config parse(String yaml, String source, List<String> overrides) {
        JsonNode tree;
        try {
            tree = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage();
            var loc = e.getLocation();
            throw new ConfigException(source, "", "invalid YAML" + (loc != null ? " at line " + loc.getLineNr() : "")
                    + ": " + (msg == null ? e.getMessage() : msg.split("\n")[0]), e);
        }
        if (tree == null || tree.isMissingNode() || tree.isNull())
            throw new ConfigException(source, "", "the file is empty");
        if (!tree.isObject()) throw new ConfigException(source, "", "the top level must be a mapping");
        ObjectNode root = (ObjectNode) tree;
        for (String o : overrides) applyOverride(root, o, source);
        return Config.from(new ConfigNode(source, "", root));
    }

    private static void applyOverride(ObjectNode root, String override, String source) {
        int eq = override.indexOf('=');
        if (eq <= 0) throw new ConfigException(source, "", "override '" + override + "' must look like key.path=value");
        String key = override.substring(0, eq).trim();
        String text = override.substring(eq + 1);
        JsonNode value;
        try {
            value = text.isBlank() ? JsonNodeFactory.instance.nullNode() : YAML.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source, key, "override value '" + text + "' is not valid YAML");
        }
        String[] parts = key.split("\\.");
        ObjectNode cur = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode next = cur.get(parts[i]);
            if (next == null || next.isNull()) next = cur.putObject(parts[i]);
            if (!next.isObject())
                throw new ConfigException(source, String.join(".", List.of(parts).subList(0, i + 1)),
                        "cannot override inside a value that is not a mapping");
            cur = (ObjectNode) next;
        }
        cur.set(parts[parts.length - 1], value);
    }
}
