package autoassign.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * MMEngine's config inheritance on YAML trees: {@code _base_: other.yaml} (or a list of files) is loaded first and
 * the file's own keys are merged into it — mappings key by key, recursively; any other value (lists included)
 * replaces the base's; a mapping with {@code _delete_: true} replaces the base's mapping instead of merging into
 * it. Several bases must not define the same top-level key. A base path is relative to the file that names it; a
 * name that is no such file is looked up among the configs built into the jar ({@code autoassign_r50-caffe_fpn_1x_coco}).
 */
final class ConfigInheritance {
    private ConfigInheritance() {}

    /** Where a config's text comes from: a file, or a resource of the jar's {@code configs/}. */
    interface Origin {
        /** For messages. */
        String name();

        /** The text; a {@link ConfigException} when it cannot be read. */
        String read();

        /** The origin of a base named by this config. */
        Origin base(String reference);
    }

    static Origin file(Path p) { return new FileOrigin(p); }

    static Origin resource(String path) { return new ResourceOrigin(path); }

    /** The tree of {@code origin}'s config with its bases merged in; {@code parse} reads a text into a mapping. */
    static ObjectNode resolve(Origin origin, Function<Origin, ObjectNode> parse) {
        return resolve(origin, parse, new LinkedHashSet<>());
    }

    private static ObjectNode resolve(Origin origin, Function<Origin, ObjectNode> parse, LinkedHashSet<String> chain) {
        if (!chain.add(origin.name()))
            throw new ConfigException(origin.name(), "_base_", "inheritance cycle: " + String.join(" -> ", chain) + " -> " + origin.name());
        try {
            ObjectNode own = parse.apply(origin);
            JsonNode bases = own.remove("_base_");
            if (bases == null || bases.isNull()) return stripDeleteMarkers(own);
            List<String> refs = new ArrayList<>();
            if (bases.isTextual()) refs.add(bases.asText());
            else if (bases.isArray()) for (JsonNode b : bases) {
                if (!b.isTextual()) throw new ConfigException(origin.name(), "_base_", "must be a file name or a list of them, got " + b);
                refs.add(b.asText());
            } else throw new ConfigException(origin.name(), "_base_", "must be a file name or a list of them, got " + bases);
            ObjectNode merged = null;
            List<String> seenFrom = new ArrayList<>();
            for (String ref : refs) {
                Origin o = origin.base(ref);
                ObjectNode base = resolve(o, parse, chain);
                if (merged == null) merged = base;
                else {
                    for (Iterator<String> it = base.fieldNames(); it.hasNext(); ) {
                        String k = it.next();
                        if (merged.has(k))
                            throw new ConfigException(origin.name(), "_base_", "key '" + k + "' is defined by more than one base ("
                                    + String.join(", ", seenFrom) + ", " + ref + ")");
                    }
                    merged.setAll(base);
                }
                seenFrom.add(ref);
            }
            mergeInto(merged, own);
            return merged;
        } finally {
            chain.remove(origin.name());
        }
    }

    /** Merges {@code child} into {@code base} (in place): mappings recursively, other values replace. */
    static void mergeInto(ObjectNode base, ObjectNode child) {
        for (Iterator<Map.Entry<String, JsonNode>> it = child.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue(), old = base.get(e.getKey());
            if (v.isObject() && !deletes(v) && old != null && old.isObject()) mergeInto((ObjectNode) old, (ObjectNode) v);
            else base.set(e.getKey(), v.isObject() ? stripDeleteMarkers((ObjectNode) v) : v);
        }
    }

    private static boolean deletes(JsonNode mapping) {
        JsonNode d = mapping.get("_delete_");
        return d != null && d.asBoolean(false);
    }

    /** Removes {@code _delete_} keys (they only steer merging). */
    private static ObjectNode stripDeleteMarkers(ObjectNode n) {
        n.remove("_delete_");
        for (JsonNode v : n) if (v.isObject()) stripDeleteMarkers((ObjectNode) v);
        return n;
    }

    private record FileOrigin(Path path) implements Origin {
        @Override public String name() { return path.toString(); }

        @Override public String read() {
            try {
                return Files.readString(path);
            } catch (NoSuchFileException e) {
                throw new ConfigException(path.toString(), "", "file not found");
            } catch (IOException e) {
                throw new ConfigException(path.toString(), "", "cannot read: " + e.getMessage(), e);
            }
        }

        @Override public Origin base(String reference) {
            Path p = (path.getParent() == null ? Path.of(reference) : path.getParent().resolve(reference)).normalize();
            if (Files.exists(p)) return new FileOrigin(p);
            String res = "/configs/" + (reference.endsWith(".yaml") ? reference : reference + ".yaml");
            if (ConfigInheritance.class.getResource(res) != null) return new ResourceOrigin(res);
            throw new ConfigException(path.toString(), "_base_", reference + ": file not found (nor a built-in config of that name)");
        }
    }

    private record ResourceOrigin(String path) implements Origin {
        @Override public String name() { return path; }

        @Override public String read() {
            try (InputStream in = ConfigInheritance.class.getResourceAsStream(path)) {
                if (in == null) throw new ConfigException(path, "", "file not found (nor a built-in config of that name)");
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ConfigException(path, "", "cannot read: " + e.getMessage(), e);
            }
        }

        @Override public Origin base(String reference) {
            String name = Path.of(reference).getFileName().toString();
            String res = "/configs/" + (name.endsWith(".yaml") ? name : name + ".yaml");
            if (ConfigInheritance.class.getResource(res) == null)
                throw new ConfigException(path, "_base_", reference + ": not a config built into the jar");
            return new ResourceOrigin(res);
        }
    }
}
