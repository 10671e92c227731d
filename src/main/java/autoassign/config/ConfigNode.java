package autoassign.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One YAML mapping being read into a record: typed getters with defaults that name the dotted key on
 * every error, and {@link #finish()} which rejects keys nobody read (typos are errors, not silently
 * ignored settings).
 */
public final class ConfigNode {
    private final String source;
    private final String path;
    private final ObjectNode node;
    private final Set<String> read = new LinkedHashSet<>();

    ConfigNode(String source, String path, ObjectNode node) {
        this.source = source;
        this.path = path;
        this.node = node;
    }

    static ConfigNode empty(String source, String path) {
        return new ConfigNode(source, path, JsonNodeFactory.instance.objectNode());
    }

    /** The dotted key of a child ({@code model.backbone} + {@code depth}). */
    public String key(String name) { return path.isEmpty() ? name : path + "." + name; }

    public String path() { return path; }

    public String source() { return source; }

    public ConfigException error(String name, String problem) { return new ConfigException(source, key(name), problem); }

    public ConfigException error(String problem) { return new ConfigException(source, path, problem); }

    public boolean has(String name) {
        JsonNode v = node.get(name);
        return v != null && !v.isNull();
    }

    private JsonNode get(String name) {
        read.add(name);
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : v;
    }

    private JsonNode required(String name) {
        JsonNode v = get(name);
        if (v == null) throw error(name, "required key is missing");
        return v;
    }

    /** The raw YAML value (null when absent), for keys that accept several types. */
    JsonNode raw(String name) { return get(name); }

    // ------------------------------------------------------------------ mappings

    /** The keys of this mapping, in file order (for mappings whose keys are names, such as {@code custom_keys}). */
    public List<String> keys() {
        List<String> out = new ArrayList<>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** A nested mapping; an absent key gives an empty mapping (all defaults). */
    public ConfigNode child(String name) {
        JsonNode v = get(name);
        if (v == null) return empty(source, key(name));
        if (!v.isObject()) throw error(name, "must be a mapping, got " + describe(v));
        return new ConfigNode(source, key(name), (ObjectNode) v);
    }

    /** A nested mapping that must be present. */
    public ConfigNode requiredChild(String name) {
        required(name);
        return child(name);
    }

    /** MMEngine's {@code backend_args}: only null (local files) is supported. */
    public void localFilesOnly() {
        if (get("backend_args") != null) throw error("backend_args", "only null (local files) is supported");
    }

    /** A list of mappings (e.g. a pipeline); absent gives an empty list. */
    public List<ConfigNode> childList(String name) {
        JsonNode v = get(name);
        if (v == null) return List.of();
        if (!v.isArray()) throw error(name, "must be a list, got " + describe(v));
        return mappings(v, key(name));
    }

    /** The elements of {@code list}, each of which must be a mapping, as nodes at {@code key[i]}. */
    private List<ConfigNode> mappings(JsonNode list, String key) {
        List<ConfigNode> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode e = list.get(i);
            String k = key + "[" + i + "]";
            if (!e.isObject()) throw new ConfigException(source, k, "must be a mapping, got " + describe(e));
            out.add(new ConfigNode(source, k, (ObjectNode) e));
        }
        return out;
    }

    /** A list of lists of mappings (e.g. TestTimeAug's {@code transforms}); absent gives an empty list. */
    public List<List<ConfigNode>> childListOfLists(String name) {
        JsonNode v = get(name);
        if (v == null) return List.of();
        if (!v.isArray()) throw error(name, "must be a list of lists, got " + describe(v));
        List<List<ConfigNode>> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode inner = v.get(i);
            String k = key(name) + "[" + i + "]";
            if (!inner.isArray()) throw new ConfigException(source, k, "must be a list, got " + describe(inner));
            out.add(mappings(inner, k));
        }
        return out;
    }

    // ------------------------------------------------------------------ scalars

    public int integer(String name, int def) {
        JsonNode v = get(name);
        return v == null ? def : asInt(name, v);
    }

    public int integer(String name) { return asInt(name, required(name)); }

    public long longValue(String name, long def) {
        JsonNode v = get(name);
        if (v == null) return def;
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw error(name, "must be an integer, got " + describe(v));
        return v.asLong();
    }

    public double number(String name, double def) {
        JsonNode v = get(name);
        return v == null ? def : asDouble(name, v);
    }

    public double number(String name) { return asDouble(name, required(name)); }

    public boolean bool(String name, boolean def) {
        JsonNode v = get(name);
        if (v == null) return def;
        if (!v.isBoolean()) throw error(name, "must be true or false, got " + describe(v));
        return v.asBoolean();
    }

    public String string(String name, String def) {
        JsonNode v = get(name);
        if (v == null) return def;
        if (!v.isTextual()) throw error(name, "must be a string, got " + describe(v));
        return name.equals("type") ? unscoped(v.asText()) : v.asText();
    }

    /**
     * A registry name without its scope: MMEngine's registries read {@code mmdet.QuadraticWarmupLR},
     * {@code mmengine.LinearLR} or {@code mmcv.RandomResize} as the class of that name (MMDetection's registries
     * reach MMEngine's and MMCV's as their parents), and MMDetection's own configs write them so.
     */
    static String unscoped(String type) {
        for (String scope : new String[] {"mmdet.", "mmengine.", "mmcv."})
            if (type.startsWith(scope) && type.length() > scope.length()) return type.substring(scope.length());
        return type;
    }

    public String string(String name) {
        String s = string(name, null);
        if (s == null) throw error(name, "required key is missing");
        return s;
    }

    /** A string restricted to {@code allowed} (exact match). */
    public String choice(String name, String def, String... allowed) {
        String s = string(name, def);
        if (s != null && !Arrays.asList(allowed).contains(s))
            throw error(name, "must be one of " + String.join(", ", allowed) + ", got '" + s + "'");
        return s;
    }

    /** An integer restricted to {@code allowed}. */
    public int intChoice(String name, int def, int... allowed) {
        int v = integer(name, def);
        for (int a : allowed) if (a == v) return v;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < allowed.length; i++) sb.append(i == 0 ? "" : ", ").append(allowed[i]);
        throw error(name, "must be one of " + sb + ", got " + v);
    }

    public List<Integer> intList(String name, List<Integer> def) {
        JsonNode v = get(name);
        if (v == null) return def;
        if (!v.isArray()) throw error(name, "must be a list of integers, got " + describe(v));
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) out.add(asInt(name + "[" + i + "]", v.get(i)));
        return Collections.unmodifiableList(out);
    }

    public List<Double> doubleList(String name, List<Double> def) {
        JsonNode v = get(name);
        if (v == null) return def;
        if (!v.isArray()) throw error(name, "must be a list of numbers, got " + describe(v));
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) out.add(asDouble(name + "[" + i + "]", v.get(i)));
        return Collections.unmodifiableList(out);
    }

    // ------------------------------------------------------------------ checks

    public int positive(String name, int value) {
        if (value <= 0) throw error(name, "must be positive, got " + value);
        return value;
    }

    public int atLeast(String name, int value, int min) {
        if (value < min) throw error(name, "must be >= " + min + ", got " + value);
        return value;
    }

    public double positive(String name, double value) {
        if (!(value > 0) || Double.isInfinite(value)) throw error(name, "must be a positive number, got " + value);
        return value;
    }

    public double nonNegative(String name, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) throw error(name, "must be a number >= 0, got " + value);
        return value;
    }

    public double inRange(String name, double value, double lo, double hi) {
        if (!(value >= lo && value <= hi)) throw error(name, "must be in [" + lo + ", " + hi + "], got " + value);
        return value;
    }

    /** Accepts only {@code expected} for a key that exists for MMDetection familiarity (e.g. {@code type}). */
    public String fixed(String name, String expected) {
        String s = string(name, expected);
        if (!expected.equals(s)) throw error(name, "only '" + expected + "' is supported, got '" + s + "'");
        return s;
    }

    /** Fails on every key of this mapping that no getter asked for. */
    public void finish() {
        Set<String> unknown = new TreeSet<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!read.contains(k)) unknown.add(k);
        }
        if (!unknown.isEmpty()) {
            String first = unknown.iterator().next();
            String known = read.isEmpty() ? "none" : String.join(", ", new TreeSet<>(read));
            throw error(first, "unknown key" + (unknown.size() > 1 ? " (also unknown: "
                    + String.join(", ", unknown.stream().skip(1).toList()) + ")" : "") + "; known keys here: " + known);
        }
    }

    // ------------------------------------------------------------------ conversions

    private int asInt(String name, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            if (v.isNumber() && v.asDouble() == Math.rint(v.asDouble()) && Math.abs(v.asDouble()) < Integer.MAX_VALUE)
                return (int) v.asDouble();
            throw error(name, "must be an integer, got " + describe(v));
        }
        return v.asInt();
    }

    private double asDouble(String name, JsonNode v) {
        if (!v.isNumber()) throw error(name, "must be a number, got " + describe(v));
        double d = v.asDouble();
        if (Double.isNaN(d)) throw error(name, "must be a number, got NaN");
        return d;
    }

    static String describe(JsonNode v) {
        if (v.isTextual()) return "'" + v.asText() + "'";
        if (v.isObject()) return "a mapping";
        if (v.isArray()) return "a list " + v;
        return v.toString();
    }
}
