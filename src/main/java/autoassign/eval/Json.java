package autoassign.eval;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.IOException;
import java.nio.file.Path;

/** Small helpers around Jackson's streaming parser for the COCO readers (fast, no tree for big files). */
final class Json {

    /** Accepts the NaN / Infinity tokens Python's json writes, so they can be reported as bad values. */
    static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    private Json() {
    }

    /** What reads a json file with the streaming parser. */
    interface Body<T> {
        T read(JsonParser p) throws IOException;
    }

    /**
     * Opens {@code file} and runs {@code body} on its parser; a missing file, unreadable bytes or a syntax error are a
     * {@link CocoFormatException} naming the file (the COCO readers' shared failure modes).
     */
    static <T> T read(Path file, Body<T> body) {
        try (JsonParser p = FACTORY.createParser(file.toFile())) {
            return body.read(p);
        } catch (JsonProcessingException e) {
            throw new CocoFormatException(file, syntaxError(e), e);
        } catch (java.nio.file.NoSuchFileException | java.io.FileNotFoundException e) {
            throw new CocoFormatException(file, "file not found", e);
        } catch (IOException e) {
            throw new CocoFormatException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    /** One-line description of a Jackson syntax error. */
    static String syntaxError(JsonProcessingException e) {
        String msg = e.getOriginalMessage();
        if (msg != null) {
            msg = msg.replaceAll("\\s+", " ").trim();
        }
        JsonLocation loc = e.getLocation();
        String where = loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
        return "invalid JSON: " + msg + where;
    }

    static boolean isNumber(JsonToken t) {
        return t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT;
    }

    static String describe(JsonToken t) {
        if (t == null) {
            return "end of input";
        }
        switch (t) {
            case START_ARRAY: return "a list";
            case START_OBJECT: return "an object";
            case VALUE_STRING: return "a string";
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT: return "a number";
            case VALUE_TRUE:
            case VALUE_FALSE: return "a boolean";
            case VALUE_NULL: return "null";
            default: return t.toString();
        }
    }

    /** Current token as a double; {@code what} names the value in the error. */
    static double number(JsonParser p, Path file, String what) throws IOException {
        JsonToken t = p.currentToken();
        if (!isNumber(t)) {
            throw new CocoFormatException(file, what + " must be a number, got " + describe(t));
        }
        return p.getDoubleValue();
    }

    /** Current token as an integer id (integral floats such as 3.0 are accepted, as Python dict keys would). */
    static long id(JsonParser p, Path file, String what) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NUMBER_INT) {
            return p.getLongValue();
        }
        if (t == JsonToken.VALUE_NUMBER_FLOAT) {
            double d = p.getDoubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 9.0e15) {
                return (long) d;
            }
            throw new CocoFormatException(file, what + " must be an integer, got " + d);
        }
        throw new CocoFormatException(file, what + " must be an integer, got " + describe(t));
    }

    /** Reads a 4-number list (the parser is on its START_ARRAY). */
    static void box(JsonParser p, Path file, String what, double[] out) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw new CocoFormatException(file, what + " must be a list of 4 numbers, got "
                    + describe(p.currentToken()));
        }
        int n = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == null) {
                throw new CocoFormatException(file, "unexpected end of input in " + what);
            }
            if (!isNumber(t)) {
                throw new CocoFormatException(file, what + " must be a list of 4 numbers, element " + n + " is "
                        + describe(t));
            }
            if (n < 4) {
                out[n] = p.getDoubleValue();
            }
            n++;
        }
        if (n != 4) {
            throw new CocoFormatException(file, what + " must be a list of 4 numbers, got " + n);
        }
    }

    static void expect(JsonParser p, JsonToken expected, Path file, String what) {
        JsonToken t = p.currentToken();
        if (t != expected) {
            throw new CocoFormatException(file, what + " must be " + describe(expected) + ", got " + describe(t));
        }
    }
}
