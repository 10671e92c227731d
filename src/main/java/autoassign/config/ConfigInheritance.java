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
 * MMEngine's config inheritance, for YAML files and MMDetection's Python files ({@link PythonConfig}) alike:
 * {@code _base_: other.yaml} (or a list of files) is loaded first and
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

    /** The config built into the jar under this name ({@code autoassign_tiny_synthetic[.yaml]}), or null. */
    static Origin builtIn(String name) {
        String res = "/configs/" + (name.endsWith(".yaml") ? name : name + ".yaml");
        return ConfigInheritance.class.getResource(res) == null ? null : new ResourceOrigin(res);
    }

    /** The tree of {@code origin}'s config with its bases merged in; {@code yaml} reads a YAML file into a mapping. */
    static ObjectNode resolve(Origin origin, Function<Origin, ObjectNode> yaml) {
        return resolve(origin, yaml, new LinkedHashSet<>()).config();
    }

    /** A config and every name its files define (the same for YAML; Python files also have helper variables). */
    private record Resolved(ObjectNode config, ObjectNode names) {}

    private static Resolved resolve(Origin origin, Function<Origin, ObjectNode> yaml, LinkedHashSet<String> chain) {
        if (!chain.add(origin.name()))
            throw new ConfigException(origin.name(), "_base_", "inheritance cycle: " + String.join(" -> ", chain) + " -> " + origin.name());
        try {
            boolean python = origin.name().endsWith(".py");
            String text = python ? origin.read() : null;
            ObjectNode own = python ? null : yaml.apply(origin);
            JsonNode bases = python ? PythonConfig.bases(origin.name(), text) : own.remove("_base_");
            Resolved base = bases == null || bases.isNull() ? null : resolveBases(origin, bases, yaml, chain);
            Resolved mine;
            if (python) {
                PythonConfig.Read r = PythonConfig.read(origin.name(), text, base == null ? null : base.names());
                mine = new Resolved(r.config(), r.names());
                if (base != null) r.usedFromBase().forEach(base.config()::remove); // a base's helper, inlined here
            } else {
                mine = new Resolved(own, own.deepCopy());
            }
            if (base == null) return new Resolved(stripDeleteMarkers(mine.config()), stripDeleteMarkers(mine.names()));
            mergeInto(base.config(), mine.config(), origin.name());
            mergeInto(base.names(), mine.names(), origin.name());
            return base;
        } finally {
            chain.remove(origin.name());
        }
    }

    private static Resolved resolveBases(Origin origin, JsonNode bases, Function<Origin, ObjectNode> yaml, LinkedHashSet<String> chain) {
        List<String> refs = new ArrayList<>();
        if (bases.isTextual()) refs.add(bases.asText());
        else if (bases.isArray()) for (JsonNode b : bases) {
            if (!b.isTextual()) throw new ConfigException(origin.name(), "_base_", "must be a file name or a list of them, got " + b);
            refs.add(b.asText());
        } else throw new ConfigException(origin.name(), "_base_", "must be a file name or a list of them, got " + bases);
        Resolved merged = null;
        List<String> seenFrom = new ArrayList<>();
        for (String ref : refs) {
            Resolved base = resolve(origin.base(ref), yaml, chain);
            if (merged == null) merged = base;
            else {
                for (Iterator<String> it = base.config().fieldNames(); it.hasNext(); ) {
                    String k = it.next();
                    if (merged.config().has(k))
                        throw new ConfigException(origin.name(), "_base_", "key '" + k + "' is defined by more than one base ("
                                + String.join(", ", seenFrom) + ", " + ref + ")");
                }
                merged.config().setAll(base.config());
                merged.names().setAll(base.names());
            }
            seenFrom.add(ref);
        }
        return merged;
    }

    /**
     * Merges {@code child} into {@code base} (in place): mappings recursively, other values replace; as MMEngine's
     * {@code Config._merge_a_into_b}, a mapping (without {@code _delete_}) over a base value that is no mapping
     * (None, a list, a string …) is an error.
     */
    static void mergeInto(ObjectNode base, ObjectNode child, String source) {
        mergeInto(base, child, source, "");
    }

    private static void mergeInto(ObjectNode base, ObjectNode child, String source, String path) {
        for (Iterator<Map.Entry<String, JsonNode>> it = child.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue(), old = base.get(e.getKey());
            String key = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            if (v.isObject() && !CfgOptions.deletes(v) && old != null) {
                if (!old.isObject())
                    throw new ConfigException(source, key, "a mapping here cannot inherit from the base's "
                            + (old.isNull() ? "None" : old.isArray() ? "list" : old.isTextual() ? "string" : old.getNodeType().toString().toLowerCase())
                            + " (as MMEngine); add _delete_: true to replace it");
                ((ObjectNode) v).remove(CfgOptions.DELETE);
                mergeInto((ObjectNode) old, (ObjectNode) v, source, key);
            } else base.set(e.getKey(), v.isObject() ? stripDeleteMarkers((ObjectNode) v) : v);
        }
    }

    /** Removes {@code _delete_} keys (they only steer merging). */
    static ObjectNode stripDeleteMarkers(ObjectNode n) {
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
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new ConfigException(path.toString(), "", "not valid UTF-8 text");
            } catch (IOException e) {
                throw new ConfigException(path.toString(), "", "cannot read: " + e.getMessage(), e);
            }
        }

        @Override public Origin base(String reference) {
            if (reference.startsWith("mmdet::")) return packageBase(reference.substring("mmdet::".length()));
            Path p = (path.getParent() == null ? Path.of(reference) : path.getParent().resolve(reference)).normalize();
            if (Files.exists(p)) return new FileOrigin(p);
            Origin builtIn = builtIn(reference);
            if (builtIn != null) return builtIn;
            throw new ConfigException(path.toString(), "_base_", reference + ": file not found (nor a built-in config of that name)");
        }

        /**
         * {@code mmdet::<rest>}: MMEngine reads it from the installed MMDetection's configs; here from the
         * {@code configs/<rest>} of the nearest folder above the config that has it (a project config inside an
         * MMDetection checkout: {@code projects/X/configs/y.py} → {@code configs/_base_/...}).
         */
        private Origin packageBase(String rest) {
            for (Path dir = path.toAbsolutePath().getParent(); dir != null; dir = dir.getParent()) {
                Path p = dir.resolve("configs").resolve(rest).normalize();
                if (Files.isRegularFile(p)) return new FileOrigin(p);
            }
            throw new ConfigException(path.toString(), "_base_", "mmdet::" + rest + ": MMDetection's own config, looked for as "
                    + "configs/" + rest + " in the folders above this file (no MMDetection package here): not found");
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
            Origin builtIn = builtIn(Path.of(reference).getFileName().toString()); // built-ins sit side by side
            if (builtIn == null) throw new ConfigException(path, "_base_", reference + ": not a config built into the jar");
            return builtIn;
        }
    }
}
