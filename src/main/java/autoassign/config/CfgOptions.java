package autoassign.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.math.BigInteger;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * MMDetection's {@code --cfg-options KEY=VALUE ...} as MMEngine 0.10 reads and applies them: each value is parsed by
 * the rules of MMEngine's {@code DictAction}, and all of them are merged into the config at once as
 * {@code Config.merge_from_dict(options, allow_list_keys=True)} does.
 *
 * <p>Values ({@code DictAction._parse_iterable} / {@code _parse_int_float_bool}): quotes around the value (and around
 * each element) are stripped and every space removed; {@code [a,b]} is a list, {@code (a,b)} a tuple (a list here),
 * nested; {@code a,b} without brackets a list too; an element or a single value is an int if Python's {@code int()}
 * takes it ({@code 010} is 10), else a float if {@code float()} does ({@code 1e-3}, {@code inf}), else a bool for
 * {@code true} / {@code false} in any case, else None for exactly {@code None}, else the string itself
 * ({@code null}, {@code none}, {@code yes}, and the empty value are strings). The one syntax of this engine's own: a
 * value that starts with <code>{</code>, or a list with a <code>{</code> in it, is a YAML flow value
 * (<code>val_evaluator={_delete_: true, type: VOCMetric}</code>); MMEngine would read it as meaningless strings.
 *
 * <p>Keys ({@code merge_from_dict}): the dotted keys are first gathered into one nested mapping, then merged into the
 * config: a mapping merges into a mapping key by key, unless it holds {@code _delete_} (true in Python's sense: it
 * then replaces what was there, so {@code model.backbone._delete_=True model.backbone.type=X} replaces the backbone);
 * a number key indexes into a list ({@code train_dataloader.dataset.pipeline.2.scale=(512,512)}); anything else
 * replaces. As in MMEngine it is an error to index past a list's end, to use a non-number key in a list, to merge a
 * mapping into a value that is neither a mapping nor a list (None included), or to replace a list element whole.
 */
public final class CfgOptions {
    private static final ObjectMapper YAML = new ObjectMapper(
            YAMLFactory.builder().build().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION));
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final String DELETE = "_delete_";

    /** Python's {@code int(str)}: sign, decimal digits, single underscores between digits. */
    private static final Pattern INT = Pattern.compile("[+-]?[0-9](?:_?[0-9])*");
    /** Python's {@code float(str)} for finite numbers. */
    private static final Pattern FLOAT = Pattern.compile(
            "[+-]?(?:[0-9](?:_?[0-9])*(?:\\.(?:[0-9](?:_?[0-9])*)?)?|\\.[0-9](?:_?[0-9])*)(?:[eE][+-]?[0-9](?:_?[0-9])*)?");
    private static final Pattern SPECIAL = Pattern.compile("[+-]?(?:inf|infinity|nan)", Pattern.CASE_INSENSITIVE);

    private CfgOptions() {}

    /** Thrown for a value or key that cannot be read; {@link ConfigLoader} names the file and key. */
    static final class OptionException extends RuntimeException {
        final String key;

        OptionException(String key, String message) {
            super(message);
            this.key = key;
        }
    }

    /** {@code overrides} ({@code KEY=VALUE}, in command-line order) merged into {@code root}, which is changed in place. */
    static void apply(ObjectNode root, List<String> overrides, String source) {
        if (overrides.isEmpty()) return;
        Map<String, JsonNode> options = new LinkedHashMap<>(); // a Python dict: a repeated key keeps its first place
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) throw new ConfigException(source, "", "override '" + o + "' must look like key.path=value");
            String key = o.substring(0, eq).trim();
            try {
                options.put(key, value(o.substring(eq + 1)));
            } catch (OptionException e) {
                throw new ConfigException(source, key, e.getMessage());
            }
        }
        try {
            ObjectNode tree = gather(options);
            ObjectNode merged = (ObjectNode) merge(tree, root, "");
            if (merged != root) throw new IllegalStateException("the config's mapping was replaced");
        } catch (OptionException e) {
            throw new ConfigException(source, e.key, e.getMessage());
        }
    }

    /** One override's value: YAML for a mapping or a list of mappings, else DictAction's rules. */
    public static JsonNode value(String text) {
        String t = text.strip();
        if (t.startsWith("{") || (t.startsWith("[") && t.contains("{"))) {
            try {
                JsonNode n = YAML.readTree(t);
                return n == null ? F.nullNode() : n;
            } catch (JsonProcessingException e) {
                String msg = e.getOriginalMessage();
                throw new OptionException("", "override value '" + text + "' is not a valid YAML mapping or list: "
                        + (msg == null ? "" : msg.split("\n")[0]));
            }
        }
        return iterable(text, text);
    }

    /** {@code DictAction._parse_iterable}. */
    private static JsonNode iterable(String val, String whole) {
        val = stripQuotes(val).replace(" ", "");
        boolean bracketed = false;
        if (val.startsWith("(") && val.endsWith(")") || val.startsWith("[") && val.endsWith("]")) {
            val = val.substring(1, val.length() - 1);
            bracketed = true;
        } else if (!val.contains(",")) {
            return scalar(val);
        }
        ArrayNode values = F.arrayNode();
        while (!val.isEmpty()) {
            int comma = nextComma(val, whole);
            if (!bracketed && comma == val.length()) // MMEngine recurses without end here
                throw new OptionException("", "override value '" + whole + "': brackets do not pair up around '" + val + "'");
            values.add(iterable(val.substring(0, comma), whole));
            val = comma >= val.length() ? "" : val.substring(comma + 1);
            bracketed = true;
        }
        return values;
    }

    /** The first comma outside brackets ({@code DictAction}'s {@code find_next_comma}), or the length. */
    private static int nextComma(String s, String whole) {
        if (count(s, '(') != count(s, ')') || count(s, '[') != count(s, ']'))
            throw new OptionException("", "override value '" + whole + "': imbalanced brackets in '" + s + "'");
        int round = 0, square = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ',' && round == 0 && square == 0) return i;
            if (c == '(') round++;
            else if (c == ')') round--;
            else if (c == '[') square++;
            else if (c == ']') square--;
        }
        return s.length();
    }

    private static int count(String s, char c) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == c) n++;
        return n;
    }

    /** Python's {@code str.strip('\'"')}. */
    private static String stripQuotes(String s) {
        int a = 0, b = s.length();
        while (a < b && (s.charAt(a) == '\'' || s.charAt(a) == '"')) a++;
        while (b > a && (s.charAt(b - 1) == '\'' || s.charAt(b - 1) == '"')) b--;
        return s.substring(a, b);
    }

    /** {@code DictAction._parse_int_float_bool}. */
    private static JsonNode scalar(String val) {
        String n = val.strip(); // int() and float() ignore surrounding whitespace
        if (INT.matcher(n).matches()) {
            BigInteger i = new BigInteger(n.replace("_", ""));
            return i.bitLength() < 32 ? F.numberNode(i.intValue()) : i.bitLength() < 64 ? F.numberNode(i.longValue()) : F.numberNode(i);
        }
        if (FLOAT.matcher(n).matches()) return F.numberNode(Double.parseDouble(n.replace("_", "")));
        if (SPECIAL.matcher(n).matches()) {
            String l = n.toLowerCase();
            boolean minus = l.startsWith("-");
            return F.numberNode(l.endsWith("nan") ? Double.NaN : minus ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
        }
        if (val.equalsIgnoreCase("true") || val.equalsIgnoreCase("false")) return F.booleanNode(val.equalsIgnoreCase("true"));
        if (val.equals("None")) return F.nullNode();
        return F.textNode(val);
    }

    /** {@code merge_from_dict}'s first step: the dotted keys as one nested mapping, in order. */
    private static ObjectNode gather(Map<String, JsonNode> options) {
        ObjectNode tree = F.objectNode();
        for (Map.Entry<String, JsonNode> e : options.entrySet()) {
            String[] parts = e.getKey().split("\\.", -1);
            ObjectNode d = tree;
            for (int i = 0; i < parts.length; i++) {
                if (parts[i].isEmpty()) throw new OptionException(e.getKey(), "an empty part in the key");
                if (i == parts.length - 1) break;
                JsonNode next = d.get(parts[i]);
                if (next == null) next = d.putObject(parts[i]);
                if (!next.isObject())
                    throw new OptionException(e.getKey(), "an earlier override set " + String.join(".", List.of(parts).subList(0, i + 1))
                            + " to " + next + ": nothing can be set inside it");
                d = (ObjectNode) next;
            }
            d.set(parts[parts.length - 1], e.getValue().deepCopy());
        }
        return tree;
    }

    /**
     * {@code Config._merge_a_into_b(a, b, allow_list_keys=True)}: {@code a} merged into {@code b} (a mapping or a
     * list, changed in place and returned).
     */
    private static JsonNode merge(ObjectNode a, JsonNode b, String path) {
        for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            JsonNode v = e.getValue();
            String here = path.isEmpty() ? k : path + "." + k;
            if (b.isArray()) {
                ArrayNode list = (ArrayNode) b;
                if (!isDigits(k))
                    throw new OptionException(here, "'" + path + "' is a list: only a number can index it, not '" + k + "'");
                int i;
                try {
                    i = Integer.parseInt(k);
                } catch (NumberFormatException tooBig) {
                    i = Integer.MAX_VALUE;
                }
                if (i >= list.size())
                    throw new OptionException(here, "index " + k + " exceeds the length of the list (" + list.size() + " elements)");
                JsonNode old = list.get(i);
                if (!v.isObject())
                    throw new OptionException(here, "a list element cannot be replaced whole (as in MMEngine, which fails on it): "
                            + "set its keys (" + here + ".KEY=VALUE), or the whole list");
                if (deletes(v)) list.set(i, ConfigInheritance.stripDeleteMarkers((ObjectNode) v)); // this engine's: MMEngine keeps the marker
                else {
                    if (!old.isContainerNode())
                        throw new OptionException(here, "is " + describe(old) + ", not a mapping or list to set keys in");
                    list.set(i, merge((ObjectNode) v, old, here));
                }
            } else {
                ObjectNode map = (ObjectNode) b;
                if (v.isObject()) {
                    JsonNode old = map.get(k);
                    if (old != null && !deletes(v)) {
                        if (!old.isContainerNode())
                            throw new OptionException(here, "cannot merge a mapping into " + describe(old)
                                    + " (as MMEngine); set " + here + "._delete_=True to replace it");
                        ((ObjectNode) v).remove(DELETE);
                        map.set(k, merge((ObjectNode) v, old, here));
                    } else map.set(k, ConfigInheritance.stripDeleteMarkers((ObjectNode) v));
                } else map.set(k, v);
            }
        }
        return b;
    }

    /** Python's {@code str.isdigit()} for ASCII keys. */
    private static boolean isDigits(String k) {
        if (k.isEmpty()) return false;
        for (int i = 0; i < k.length(); i++) if (k.charAt(i) < '0' || k.charAt(i) > '9') return false;
        return true;
    }

    /** Whether a mapping's {@code _delete_} is true as Python reads it (MMEngine: {@code v.pop(DELETE_KEY, False)}). */
    static boolean deletes(JsonNode mapping) {
        JsonNode d = mapping.get(DELETE);
        return d != null && truthy(d);
    }

    /** Python's truth of a value: false, None, 0, '', [] and {} are false. */
    static boolean truthy(JsonNode d) {
        if (d == null || d.isNull() || d.isMissingNode()) return false;
        if (d.isBoolean()) return d.booleanValue();
        if (d.isNumber()) return d.isFloatingPointNumber() ? d.doubleValue() != 0 || Double.isNaN(d.doubleValue()) : !d.bigIntegerValue().equals(BigInteger.ZERO);
        if (d.isTextual()) return !d.textValue().isEmpty();
        return d.size() > 0;
    }

    private static String describe(JsonNode n) {
        if (n.isNull()) return "None";
        if (n.isTextual()) return "the string '" + n.textValue() + "'";
        if (n.isBoolean()) return "the bool " + n.booleanValue();
        if (n.isNumber()) return "the number " + n;
        return n.getNodeType().toString().toLowerCase();
    }
}
