package autoassign.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsTest {
    @TempDir Path tmp;

    static Map<String, RawTensor> everyDtype() {
        Map<String, RawTensor> m = new LinkedHashMap<>();
        int i = 0;
        for (DType d : DType.values()) {
            byte[] data = new byte[d.size() * 6];
            for (int k = 0; k < data.length; k++) data[k] = (byte) (31 * k + 7 * i + 1);
            if (d == DType.BOOL) for (int k = 0; k < data.length; k++) data[k] = (byte) (k % 2);
            m.put("t." + d.torchName(), new RawTensor(d, new long[]{2, 3}, data));
            i++;
        }
        m.put("scalar", RawTensor.ofFloats(new float[]{3.25f}));
        m.put("empty", new RawTensor(DType.FLOAT32, new long[]{0, 4}, new byte[0]));
        return m;
    }

    @Test
    void roundTripIsBitExact() throws IOException {
        Map<String, RawTensor> t = everyDtype();
        Map<String, String> meta = Map.of("format", "pt", "meta.classes", "[\"a\",\"b\"]", "unicode", "éè 中文\nline 2");
        Path f = tmp.resolve("a.safetensors");
        Safetensors.write(f, t, meta);
        Safetensors.Contents c = Safetensors.read(f);
        assertEquals(t, c.tensors());
        assertEquals(List.copyOf(t.keySet()), List.copyOf(c.tensors().keySet()), "order kept");
        assertEquals(meta, c.metadata());
        assertTrue(Checkpoints.isSafetensors(f));
    }

    @Test
    void layoutFollowsTheSpec() throws IOException {
        Map<String, RawTensor> t = new LinkedHashMap<>();
        t.put("a", RawTensor.ofFloats(new float[]{1, 2, 3}, 3));
        t.put("b", RawTensor.ofLongs(new long[]{-1}, 1));
        Path f = tmp.resolve("b.safetensors");
        Safetensors.write(f, t, Map.of("k", "v"));
        byte[] b = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, (8 + n) % 8, "data aligned to 8 bytes");
        String header = new String(b, 8, (int) n, StandardCharsets.UTF_8).stripTrailing();
        assertEquals("{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                + "\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[12,20]}}", header);
        assertEquals(8 + n + 20, b.length);
        assertEquals(1f, ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getFloat((int) (8 + n)));
    }

    /** A file laid out like the reference implementation writes it (sorted keys, metadata last, no padding). */
    @Test
    void readsReferenceLayout() throws IOException {
        String header = "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]},\"h\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[16,18]},"
                + "\"__metadata__\":{\"format\":\"pt\"}}";
        byte[] hb = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + hb.length + 18).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(hb.length).put(hb).putInt(1).putInt(2).putInt(-3).putInt(4).putShort((short) 0x3fc0);
        Path f = tmp.resolve("ref.safetensors");
        Files.write(f, b.array());
        Safetensors.Contents c = Safetensors.read(f);
        assertArrayEquals(new long[]{1, 2, -3, 4}, c.tensors().get("test").toLongArray());
        assertArrayEquals(new long[]{2, 2}, c.tensors().get("test").shape());
        assertEquals(1.5, c.tensors().get("h").getDouble(0));
        assertEquals(Map.of("format", "pt"), c.metadata());
        assertEquals(2, Safetensors.readHeader(f).entries().size());
    }

    @Test
    void failedWriteLeavesTheOldFileAndNoTemporary() throws IOException {
        Path f = tmp.resolve("keep.safetensors");
        Safetensors.write(f, Map.of("x", RawTensor.ofFloats(new float[]{1})), Map.of());
        byte[] before = Files.readAllBytes(f);
        assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            out.write(new byte[1000]);
            throw new IOException("disk full");
        }));
        assertArrayEquals(before, Files.readAllBytes(f));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(f, Map.of("__metadata__", RawTensor.ofFloats(new float[]{1})), Map.of()));
        assertArrayEquals(before, Files.readAllBytes(f));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(f), s.toList(), "no temporary files left");
        }
    }

    private void assertBad(byte[] content, String expectedProblem) throws IOException {
        Path f = Files.write(tmp.resolve("bad.safetensors"), content);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Safetensors.read(f));
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        assertTrue(e.problem().contains(expectedProblem), "expected '" + expectedProblem + "' in " + e.getMessage());
    }

    private static byte[] file(String header, int dataBytes) {
        byte[] hb = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + hb.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(hb.length).put(hb).array();
    }

    @Test
    void badFiles() throws IOException {
        Path good = tmp.resolve("good.safetensors");
        Safetensors.write(good, everyDtype(), Map.of());
        byte[] g = Files.readAllBytes(good);
        assertBad(Arrays.copyOf(g, 5), "truncated");
        assertBad(Arrays.copyOf(g, 40), "truncated: header");
        assertBad(Arrays.copyOf(g, g.length - 1), "truncated: tensor");
        assertBad("PK\u0003\u0004 definitely not safetensors".getBytes(StandardCharsets.ISO_8859_1), "header length");
        assertBad(file("{not json", 0), "not valid JSON");
        assertBad(file("[1,2]", 0), "not a JSON object");
        assertBad(file("{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8), "unsupported dtype C64");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "needs 12");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "bad shape");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "missing data_offsets");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{}}", 4), "not valid JSON"); // duplicate key
        assertBad(file("{\"__metadata__\":{\"k\":1}}", 0), "not a string");
    }
}
