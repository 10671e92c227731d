package autoassign.io;

import autoassign.eval.PyFloat;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON as Python's {@code json} module reads and writes it ({@code mmengine.load} / {@code mmcv.load} of a {@code .json}
 * file, then {@code json.dump(obj, f)} with the default settings), so a file the engine rewrites is byte-identical to
 * the one a Python tool writes.
 *
 * <p>Values are plain Java objects: {@code null}, {@link Boolean}, {@link String}, {@link Long} or {@link BigInteger}
 * (Python ints: a number without {@code .} or exponent, any size), {@link Float} (a number with {@code .} or an
 * exponent, as Python's {@code float()} reads it: {@code 1e5} is {@code 100000.0}, {@code 1e999} is infinite;
 * {@code NaN}, {@code Infinity}, {@code -Infinity}; {@link #dump} also takes a {@link Double}), {@link List} and {@link LinkedHashMap} (keys in file order; a
 * repeated key keeps its first place and its last value, as a Python dict).
 *
 * <p>Reading: the file is decoded as strict UTF-8 (a byte-order mark or invalid bytes are errors, as for
 * {@code open(path, encoding='utf-8')} + {@code json.load}); one value and only whitespace after it.
 * Writing ({@code json.dump}'s defaults): separators {@code ", "} and {@code ": "}, {@code ensure_ascii} (every
 * character outside space..tilde escaped, {@code \\uXXXX} in lower-case hex per UTF-16 unit, so surrogate pairs),
 * floats as {@code repr(float)}, {@code NaN} / {@code Infinity} / {@code -Infinity}, no final newline.
 */
public final class PyJson {
    private PyJson() {}

    /** A document Python's {@code json.load} would refuse (the message says why, without the file name). */
    public static final class FormatException extends IOException {
        public FormatException(String message) { super(message); }

        public FormatException(String message, Throwable cause) { super(message, cause); }
    }

    /** A float as read: its value and what {@code json.dump} writes for it (found from the source text, fast). */
    public record Float(double value, String json) {}

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE)
                    .maxNumberLength(Integer.MAX_VALUE).maxNameLength(Integer.MAX_VALUE)
                    .maxNestingDepth(1000).build()) // about where Python's recursion limit stops json.load
            .build();

    /**
     * A parser over {@code file} decoded as strict UTF-8 (no encoding detection, no byte-order mark skipped), set up to
     * accept what Python's {@code json} accepts; read it with {@link #first}, {@link #readValue} and {@link #end}.
     */
    public static JsonParser open(Path file) throws IOException {
        Reader r = new BufferedReader(new InputStreamReader(Files.newInputStream(file),
                StandardCharsets.UTF_8.newDecoder()), 1 << 16); // a decoder reports malformed input
        return FACTORY.createParser(r);
    }

    /** The document's first token; an empty document is Python's "Expecting value" error. */
    public static JsonToken first(JsonParser p) throws IOException {
        JsonToken t = next(p);
        if (t == null) throw new FormatException("invalid JSON: empty document (Expecting value: line 1 column 1)");
        return t;
    }

    /** After the top-level value: only whitespace may follow (else Python's "Extra data"). */
    public static void end(JsonParser p) throws IOException {
        JsonToken t;
        try {
            t = p.nextToken();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            t = JsonToken.NOT_AVAILABLE;
        }
        if (t != null) throw new FormatException("invalid JSON: extra data after the top-level value" + at(p));
    }

    /** Reads the whole file as one value ({@code json.load}). */
    public static Object load(Path file) throws IOException {
        try (JsonParser p = open(file)) {
            first(p);
            Object v = readValue(p);
            end(p);
            return v;
        }
    }

    /** Parses a string ({@code json.loads}). */
    public static Object loads(String s) throws IOException {
        try (JsonParser p = FACTORY.createParser(s)) {
            first(p);
            Object v = readValue(p);
            end(p);
            return v;
        }
    }

    /** The next token, a syntax error as a {@link FormatException} with its line and column. */
    public static JsonToken next(JsonParser p) throws IOException {
        try {
            return p.nextToken();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw syntax(e, p);
        }
    }

    private static FormatException syntax(com.fasterxml.jackson.core.JsonProcessingException e, JsonParser p) {
        String m = e.getOriginalMessage() == null ? "syntax error" : e.getOriginalMessage().replaceAll("\\s+", " ").trim();
        return new FormatException("invalid JSON: " + m + at(p), e);
    }

    private static String at(JsonParser p) {
        var loc = p.currentLocation();
        return loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    }

    /** The value starting at the parser's current token (on return the parser is on its last token). */
    public static Object readValue(JsonParser p) throws IOException {
        try {
            return read(p);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) { // e.g. a control character in a string
            throw syntax(e, p);
        }
    }

    private static Object read(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null) throw new FormatException("invalid JSON: unexpected end of input" + at(p));
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> m = new LinkedHashMap<>();
                while ((t = next(p)) == JsonToken.FIELD_NAME) {
                    String k = p.currentName();
                    next(p);
                    m.put(k, read(p)); // a repeated key: first place, last value (a Python dict)
                }
                if (t != JsonToken.END_OBJECT) throw new FormatException("invalid JSON: unexpected end of input" + at(p));
                return m;
            }
            case START_ARRAY: {
                List<Object> a = new ArrayList<>();
                while ((t = next(p)) != JsonToken.END_ARRAY) {
                    if (t == null) throw new FormatException("invalid JSON: unexpected end of input" + at(p));
                    a.add(read(p));
                }
                return a;
            }
            case VALUE_STRING: return p.getText();
            case VALUE_NUMBER_INT: return integer(p.getText());
            case VALUE_NUMBER_FLOAT: return floating(p);
            case VALUE_TRUE: return Boolean.TRUE;
            case VALUE_FALSE: return Boolean.FALSE;
            case VALUE_NULL: return null;
            default: throw new FormatException("invalid JSON: unexpected " + t + at(p));
        }
    }

    /** A Python int from its JSON text ({@code -0} is 0). */
    static Object integer(String text) {
        if (text.length() <= 18) return Long.parseLong(text);
        BigInteger b = new BigInteger(text);
        return b.bitLength() < 64 ? (Object) b.longValue() : b;
    }

    private static final Float NAN = new Float(Double.NaN, "NaN"), INF = new Float(Double.POSITIVE_INFINITY, "Infinity"),
            NEG_INF = new Float(Double.NEGATIVE_INFINITY, "-Infinity");

    private static Float floating(JsonParser p) throws IOException {
        String text = p.getText();
        if (p.isNaN()) { // Python knows exactly these three (Jackson also takes +Infinity, -INF, ...)
            switch (text) {
                case "NaN": return NAN; // one object, as Python's json: NaN ids match each other in a set
                case "Infinity": return INF;
                case "-Infinity": return NEG_INF;
                default: throw new FormatException("invalid JSON: '" + text + "' is not a number Python's json reads" + at(p));
            }
        }
        double x = Double.parseDouble(text); // correctly rounded, as Python's float(); overflow gives inf
        return Double.isFinite(x) ? new Float(x, PyFloat.repr(x, text)) : x > 0 ? INF : NEG_INF;
    }

    /** {@code json.dumps(v)} with the default settings. */
    public static String dumps(Object v) {
        StringBuilder sb = new StringBuilder();
        dump(v, sb);
        return sb.toString();
    }

    /** Appends {@code json.dumps(v)} (ASCII only). */
    @SuppressWarnings("unchecked")
    public static void dump(Object v, StringBuilder out) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof String s) {
            string(s, out);
        } else if (v instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (v instanceof Float f) {
            out.append(f.json());
        } else if (v instanceof Double d) {
            out.append(floatRepr(d));
        } else if (v instanceof Long || v instanceof Integer || v instanceof BigInteger) {
            out.append(v);
        } else if (v instanceof List<?> list) {
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) out.append(", ");
                dump(list.get(i), out);
            }
            out.append(']');
        } else if (v instanceof Map<?, ?> map) {
            out.append('{');
            boolean firstKey = true;
            for (Map.Entry<String, Object> e : ((Map<String, Object>) map).entrySet()) {
                if (!firstKey) out.append(", ");
                firstKey = false;
                string(e.getKey(), out);
                out.append(": ");
                dump(e.getValue(), out);
            }
            out.append('}');
        } else {
            throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
        }
    }

    /** {@code json}'s float text: {@code repr(x)}, or {@code NaN} / {@code Infinity} / {@code -Infinity}. */
    public static String floatRepr(double x) {
        if (Double.isNaN(x)) return "NaN";
        if (Double.isInfinite(x)) return x > 0 ? "Infinity" : "-Infinity";
        return PyFloat.repr(x);
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** {@code encode_basestring_ascii}: quoted, {@code \" \\ \n \r \t \b \f}, other characters outside 0x20..0x7e as {@code \\uxxxx}. */
    public static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c <= 0x7e) {
                if (c == '"') out.append("\\\"");
                else if (c == '\\') out.append("\\\\");
                else out.append(c);
                continue;
            }
            switch (c) {
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                default:
                    out.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 15]).append(HEX[(c >> 4) & 15]).append(HEX[c & 15]);
            }
        }
        out.append('"');
    }
}
