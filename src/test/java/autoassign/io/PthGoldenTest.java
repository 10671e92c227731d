package autoassign.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads every {@code <case>.pth} of the golden folder ({@code -Dgoldens.dir=<dir>} → {@code <dir>/pth},
 * default {@code src/test/resources/goldens/pth}) and checks it against its sidecar {@code <case>.pth.json}
 * written by PyTorch: every tensor's name, order, dtype, shape and values, the non-tensor structure,
 * and the storages referenced.
 */
class PthGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Named<Path>> cases() {
        List<Named<Path>> cases = new ArrayList<>();
        for (Path p : autoassign.GoldenFiles.entries("pth", p -> p.getFileName().toString().endsWith(".pth.json"))) {
            String sidecar = p.getFileName().toString();
            cases.add(Named.of(sidecar.substring(0, sidecar.length() - ".json".length()), p));
        }
        return cases.stream();
    }

    private static Path pthOf(Path sidecar) {
        String s = sidecar.getFileName().toString();
        return sidecar.resolveSibling(s.substring(0, s.length() - ".json".length()));
    }

    /** One test per case, named by the case's file: tensors, structure and storages, safetensors round trip. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesSidecar(Path sidecar, @TempDir Path tmp) throws IOException {
        JsonNode golden = JSON.readTree(sidecar.toFile());
        PthFile pth = PthReader.read(pthOf(sidecar));
        tensorsMatch(golden, pth);
        structureAndStoragesMatch(golden, pth);
        safetensorsRoundTripIsLossless(pth, tmp);
    }

    private static void tensorsMatch(JsonNode golden, PthFile pth) {
        Map<String, RawTensor> tensors = pth.tensors();

        List<String> expectedNames = new ArrayList<>();
        golden.get("tensors").forEach(t -> expectedNames.add(t.get("name").asText()));
        assertEquals(expectedNames, new ArrayList<>(tensors.keySet()), "tensor names in depth-first order");

        for (JsonNode g : golden.get("tensors")) {
            String name = g.get("name").asText();
            RawTensor t = tensors.get(name);
            assertEquals(g.get("dtype").asText(), t.dtype().torchName(), name + " dtype");
            long[] shape = new long[g.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = g.get("shape").get(i).asLong();
            assertArrayEquals(shape, t.shape(), name + " shape");
            assertEquals(g.get("numel").asLong(), t.numel(), name + " numel");
            if (g.has("values")) {
                JsonNode v = g.get("values");
                assertEquals(v.size(), t.numel(), name + " number of values");
                for (int i = 0; i < v.size(); i++) assertValue(v.get(i), t, i, name);
            } else {
                double sum = 0, sumSq = 0, abs = 0;
                for (int i = 0; i < t.numel(); i++) {
                    double x = t.getDouble(i);
                    sum += x;
                    sumSq += x * x;
                    abs += Math.abs(x);
                }
                assertEquals(g.get("sum").asDouble(), sum, 1e-9 * Math.max(1, abs), name + " sum");
                assertEquals(g.get("sum_sq").asDouble(), sumSq, 1e-9 * Math.max(1, sumSq), name + " sum of squares");
                JsonNode first = g.get("first8");
                for (int i = 0; i < first.size(); i++) assertValue(first.get(i), t, i, name);
            }
        }
    }

    private static void assertValue(JsonNode expected, RawTensor t, int i, String name) {
        switch (t.dtype()) {
            case FLOAT32: case FLOAT16: case BFLOAT16: case FLOAT64:
                assertEquals(expected.asDouble(), t.getDouble(i), 0.0, name + "[" + i + "]");
                break;
            case BOOL:
                assertEquals(expected.asBoolean(), t.getLong(i) != 0, name + "[" + i + "]");
                break;
            default:
                assertTrue(expected.canConvertToLong(), name + "[" + i + "] is an integer");
                assertEquals(expected.asLong(), t.getLong(i), name + "[" + i + "]");
        }
    }

    private static void structureAndStoragesMatch(JsonNode golden, PthFile pth) {
        JsonNode structure = TensorTree.toJson(pth.root());
        assertTrue(golden.get("structure").equals(NUMERIC, structure),
                "structure differs:\nexpected " + golden.get("structure") + "\nactual   " + structure);

        JsonNode ser = golden.get("serialized");
        assertEquals(ser.get("format").asText(), pth.format());
        JsonNode pids = TensorTree.toJson(pth.persistentIds());
        assertTrue(ser.get("persistent_ids").equals(NUMERIC, pids),
                "persistent ids differ:\nexpected " + ser.get("persistent_ids") + "\nactual   " + pids);
        JsonNode keys = ser.has("archive_entries") ? ser.get("archive_entries") : ser.get("storage_keys_in_file_order");
        List<String> expectedKeys = new ArrayList<>();
        keys.forEach(k -> expectedKeys.add(k.asText()));
        List<String> actual = new ArrayList<>(pth.storageKeys());
        if (pth.format().equals("zip")) { // archive order is not meaningful: compare as sets
            expectedKeys.sort(null);
            actual.sort(null);
        }
        assertEquals(expectedKeys, actual);
    }

    /** .pth → safetensors → read back keeps every tensor bit-exact and the metadata. */
    private static void safetensorsRoundTripIsLossless(PthFile pth, Path tmp) throws IOException {
        Path out = tmp.resolve("x.safetensors");
        Safetensors.write(out, pth.tensors(), pth.metadata());
        Safetensors.Contents back = Safetensors.read(out);
        assertEquals(pth.tensors(), back.tensors());
        assertEquals(pth.metadata(), back.metadata());
    }

    /** Numbers compare by value whatever node type (int / long / double) parsed them. */
    static final Comparator<JsonNode> NUMERIC = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            if (a.isIntegralNumber() && b.isIntegralNumber()) return a.bigIntegerValue().compareTo(b.bigIntegerValue());
            return Double.compare(a.asDouble(), b.asDouble());
        }
        return a.equals(b) ? 0 : 1;
    };
}
