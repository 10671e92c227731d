package autoassign.data;

import autoassign.GoldenFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link NumpyRandomState} against numpy's own draws (scripts/goldens/numpy_random.py). */
class NumpyRandomStateGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() {
        return GoldenFiles.jsonCases("numpy_random");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void drawsAsNumpy(String name, Path file) throws Exception {
        JsonNode c = JSON.readTree(file.toFile());
        long seed = c.get("seed").asLong();
        NumpyRandomState rs = new NumpyRandomState(seed);
        JsonNode raw = c.get("raw_uint32");
        for (int i = 0; i < raw.size(); i++) assertEquals(raw.get(i).asLong(), rs.nextUint32(), name + " raw output " + i);
        for (JsonNode d : c.get("draws")) {
            long high = d.get("high").asLong();
            long[] want = new long[d.get("values").size()];
            for (int i = 0; i < want.length; i++) want[i] = d.get("values").get(i).asLong();
            assertEquals(d.get("size").asInt(), want.length);
            assertArrayEquals(want, new NumpyRandomState(seed).randint(high, want.length), name + " randint(0, " + high + ")");
        }
    }

    @Test
    void masksAndRangeChecks() {
        assertEquals(0, NumpyRandomState.mask(0));
        assertEquals(1, NumpyRandomState.mask(1));
        assertEquals(7, NumpyRandomState.mask(4));
        assertEquals(127, NumpyRandomState.mask(127));
        assertEquals(255, NumpyRandomState.mask(128));
        assertThrows(IllegalArgumentException.class, () -> new NumpyRandomState(-1));
        assertThrows(IllegalArgumentException.class, () -> new NumpyRandomState(1L << 32));
        assertThrows(IllegalArgumentException.class, () -> new NumpyRandomState(0).randint(0));
    }
}
