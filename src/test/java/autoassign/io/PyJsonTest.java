package autoassign.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link PyJson}: {@code json.dumps(json.loads(s))} as Python 3.11 gives it (the expected texts were printed by Python). */
class PyJsonTest {
    @TempDir Path tmp;

    private static void roundTrip(String in, String python) throws Exception {
        assertEquals(python, PyJson.dumps(PyJson.loads(in)), in);
    }

    @Test
    void numbersAsPythonReadsAndWritesThem() throws Exception {
        roundTrip("{\"b\": 1, \"a\": [1.0, 1e5, 1E-5, 1e999, -1e999, -0, -0.0, 0.1, 702.1057499999998, 100.0, 1e16, 1e-4, 0.0001234, 123456789012345678901234567890, -9223372036854775809, 9223372036854775807, 5e-324, 1.7976931348623157e308, 2.5e-7, 12345678.9]}",
                "{\"b\": 1, \"a\": [1.0, 100000.0, 1e-05, Infinity, -Infinity, 0, -0.0, 0.1, 702.1057499999998, 100.0, 1e+16, 0.0001, 0.0001234, 123456789012345678901234567890, -9223372036854775809, 9223372036854775807, 5e-324, 1.7976931348623157e+308, 2.5e-07, 12345678.9]}");
        roundTrip("[NaN, Infinity, -Infinity, {\"a\": 1, \"b\": 2, \"a\": 3}]", "[NaN, Infinity, -Infinity, {\"a\": 3, \"b\": 2}]");
        @SuppressWarnings("unchecked")
        List<Object> a = (List<Object>) PyJson.loads("[1, 1.0, 12345678901234567890, -0]");
        assertEquals(List.of(1L, new PyJson.Float(1.0, "1.0"), new BigInteger("12345678901234567890"), 0L), a);
    }

    @Test
    void stringsEscapedAsciiAndContainersInFileOrder() throws Exception {
        roundTrip("{\"s\": \"caf\\u00e9 \\ud83d\\ude00 \\ud800 \\\"q\\\" \\\\ \\/ \\n\\r\\t\\b\\f \\u0001\\u007f\", \"t\": true, \"f\": false, \"n\": null, \"e\": {}, \"l\": []}",
                "{\"s\": \"caf\\u00e9 \\ud83d\\ude00 \\ud800 \\\"q\\\" \\\\ / \\n\\r\\t\\b\\f \\u0001\\u007f\", \"t\": true, \"f\": false, \"n\": null, \"e\": {}, \"l\": []}");
        roundTrip(" \n\t{\"nested\": [[1, [2, [3, {\"x\": [0.5]}]]]]} \r\n", "{\"nested\": [[1, [2, [3, {\"x\": [0.5]}]]]]}");
        roundTrip("\"\u00e9\u4e2d\ud83d\ude00\"", "\"\\u00e9\\u4e2d\\ud83d\\ude00\"");
        Map<?, ?> m = (Map<?, ?>) PyJson.loads("{\"z\": 1, \"a\": 2, \"m\": 3}");
        assertEquals(List.of("z", "a", "m"), List.copyOf(m.keySet()));
    }

    @Test
    void readsFilesAsStrictUtf8() throws Exception {
        Path ok = tmp.resolve("ok.json");
        Files.write(ok, "{\"name\": \"Zürich\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals("{\"name\": \"Z\\u00fcrich\"}", PyJson.dumps(PyJson.load(ok)));
        Path bom = tmp.resolve("bom.json"); // Python: "Unexpected UTF-8 BOM"
        Files.write(bom, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'});
        assertThrows(java.io.IOException.class, () -> PyJson.load(bom));
        Path latin1 = tmp.resolve("latin1.json");
        Files.write(latin1, new byte[] {'"', 'Z', (byte) 0xFC, '"'});
        assertThrows(java.nio.charset.CharacterCodingException.class, () -> PyJson.load(latin1));
        Path utf16 = tmp.resolve("utf16.json");
        Files.write(utf16, "{}".getBytes(StandardCharsets.UTF_16));
        assertThrows(java.io.IOException.class, () -> PyJson.load(utf16));
    }

    @Test
    void refusesWhatPythonRefuses() {
        for (String bad : new String[] {"", "{} {}", "[1,]", "{'a': 1}", "01", "1.", ".5", "[-INF]", "[+Infinity]", "[nan]",
                "\"a\u0001b\"", "[1] x", "{\"a\" 1}", "[1"}) {
            PyJson.FormatException e = assertThrows(PyJson.FormatException.class, () -> PyJson.loads(bad), bad);
            assertTrue(e.getMessage().startsWith("invalid JSON: "), e.getMessage());
        }
        assertEquals(1, ((List<?>) assertDoesNotThrow(() -> PyJson.loads("[".repeat(990) + "]".repeat(990)))).size());
        assertThrows(PyJson.FormatException.class, () -> PyJson.loads("[".repeat(2000) + "]".repeat(2000))); // Python: RecursionError
    }
}
