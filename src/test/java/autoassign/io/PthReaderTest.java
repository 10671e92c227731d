package autoassign.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PthReaderTest {
    static final Path GOLDEN = Path.of("src/test/resources/goldens/pth");

    @TempDir Path tmp;

    private Path write(String name, byte[] content) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, content);
        return p;
    }

    /** One tensor of every storage type, values chosen to test exact conversion. */
    @Test
    void readsEveryStorageDtype() throws IOException {
        Object[][] cases = {
                {"FloatStorage", DType.FLOAT32, bytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2e-38f)), new double[]{1.5, -2e-38f}},
                {"DoubleStorage", DType.FLOAT64, bytes(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(Math.PI).putDouble(-1e300)), new double[]{Math.PI, -1e300}},
                // float16: 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal), -0.0, +inf
                {"HalfStorage", DType.FLOAT16, shorts(0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00), new double[]{1, -2, 65504, Math.pow(2, -24), -0.0, Double.POSITIVE_INFINITY}},
                // bfloat16: 1.0, -3.0, 1.0078125
                {"BFloat16Storage", DType.BFLOAT16, shorts(0x3f80, 0xc040, 0x3f81), new double[]{1, -3, 1.0078125}},
                {"CharStorage", DType.INT8, new byte[]{-128, 127, 0}, new double[]{-128, 127, 0}},
                {"ByteStorage", DType.UINT8, new byte[]{(byte) 255, 0, 7}, new double[]{255, 0, 7}},
                {"ShortStorage", DType.INT16, shorts(0x8000, 0x7fff), new double[]{-32768, 32767}},
                {"IntStorage", DType.INT32, bytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(Integer.MIN_VALUE).putInt(42)), new double[]{Integer.MIN_VALUE, 42}},
                {"LongStorage", DType.INT64, bytes(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MIN_VALUE).putLong(1L << 40)), new double[]{Long.MIN_VALUE, 1L << 40}},
                {"BoolStorage", DType.BOOL, new byte[]{1, 0, 1}, new double[]{1, 0, 1}},
        };
        PickleBuilder p = new PickleBuilder().proto(2).op('}').mark();
        Map<String, byte[]> storages = new LinkedHashMap<>();
        for (int i = 0; i < cases.length; i++) {
            DType d = (DType) cases[i][1];
            byte[] data = (byte[]) cases[i][2];
            p.str(d.torchName()).tensor((String) cases[i][0], String.valueOf(i), new long[]{data.length / d.size()}, false);
            storages.put(String.valueOf(i), data);
        }
        p.op('u').stop();
        PthFile f = PthReader.read(write("dtypes.pth", PickleBuilder.zip(p.bytes(), storages)));
        Map<String, RawTensor> t = f.tensors();
        assertEquals(cases.length, t.size());
        for (Object[] c : cases) {
            DType d = (DType) c[1];
            RawTensor r = t.get(d.torchName());
            assertEquals(d, r.dtype());
            assertArrayEquals((byte[]) c[2], r.data(), d + " bits");
            double[] expected = (double[]) c[3];
            for (int i = 0; i < expected.length; i++)
                assertEquals(Double.doubleToLongBits(expected[i]), Double.doubleToLongBits(r.getDouble(i)), d + "[" + i + "]");
        }
        assertEquals(Long.MIN_VALUE, t.get("int64").getLong(0));
        assertArrayEquals(new float[]{1, -2, 65504, (float) Math.pow(2, -24), -0.0f, Float.POSITIVE_INFINITY}, t.get("float16").toFloatArray());
    }

    /** Views: offsets, strides, a transposed view and a storage shared by several tensors, in both formats. */
    @Test
    void appliesOffsetsAndStridesInBothFormats() throws IOException {
        float[] base = new float[12];
        for (int i = 0; i < 12; i++) base[i] = i;
        for (boolean legacy : new boolean[]{false, true}) {
            PickleBuilder p = new PickleBuilder().proto(2).op('}').mark();
            p.str("all").tensor("FloatStorage", "s", 12, 0, new long[]{3, 4}, new long[]{4, 1}, legacy);
            p.str("t").tensor("FloatStorage", "s", 12, 0, new long[]{4, 3}, new long[]{1, 4}, legacy); // transposed
            p.str("col").tensor("FloatStorage", "s", 12, 2, new long[]{3}, new long[]{4}, legacy);
            p.str("rows").tensor("FloatStorage", "s", 12, 4, new long[]{2, 2}, new long[]{4, 2}, legacy);
            p.str("bcast").tensor("FloatStorage", "s", 12, 5, new long[]{2, 3}, new long[]{0, 1}, legacy); // expanded
            p.str("empty").tensor("FloatStorage", "e", 0, 0, new long[]{0, 4}, new long[]{4, 1}, legacy);
            p.str("scalar").tensor("FloatStorage", "s", 12, 11, new long[]{}, new long[]{}, legacy);
            p.op('u').stop();
            byte[] file = legacy
                    ? PickleBuilder.legacy(p.bytes(), List.of("s", "e"), List.of(PickleBuilder.floats(base), new byte[0]), List.of(4, 4))
                    : PickleBuilder.zip(p.bytes(), Map.of("s", PickleBuilder.floats(base), "e", new byte[0]));
            PthFile f = PthReader.read(write("views" + legacy + ".pth", file));
            assertEquals(legacy ? "legacy" : "zip", f.format());
            Map<String, RawTensor> t = f.tensors();
            assertArrayEquals(base, t.get("all").toFloatArray());
            assertArrayEquals(new float[]{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, t.get("t").toFloatArray());
            assertArrayEquals(new long[]{4, 3}, t.get("t").shape());
            assertArrayEquals(new float[]{2, 6, 10}, t.get("col").toFloatArray());
            assertArrayEquals(new float[]{4, 6, 8, 10}, t.get("rows").toFloatArray());
            assertArrayEquals(new float[]{5, 6, 7, 5, 6, 7}, t.get("bcast").toFloatArray());
            assertArrayEquals(new long[]{0, 4}, t.get("empty").shape());
            assertEquals(0, t.get("empty").data().length);
            assertArrayEquals(new long[]{}, t.get("scalar").shape());
            assertArrayEquals(new float[]{11}, t.get("scalar").toFloatArray());
        }
    }

    @Test
    void unknownClassesDoNotStopTheLoad() throws IOException {
        // {'state_dict': {'w': tensor}, 'message_hub': HistoryBuffer(...) with a tensor in its state}
        PickleBuilder p = new PickleBuilder().proto(2).op('}').mark();
        p.str("state_dict").op('}').mark().str("w").tensor("FloatStorage", "0", new long[]{2}, false).op('u');
        p.str("message_hub").global("mmengine.logging.history_buffer", "HistoryBuffer").op(')', 0x81)
                .op('}').mark().str("_max_length").integer(3).str("last").tensor("FloatStorage", "1", new long[]{1}, false).op('u').op('b');
        p.op('u').stop();
        PthFile f = PthReader.read(write("hub.pth", PickleBuilder.zip(p.bytes(),
                Map.of("0", PickleBuilder.floats(1, 2), "1", PickleBuilder.floats(7)))));
        assertEquals(List.of("state_dict.w", "message_hub.last"), List.copyOf(f.tensors().keySet()));
        assertEquals(Map.of("message_hub._max_length", "3"), f.metadata());
        assertEquals(Map.of("w", f.tensors().get("state_dict.w")), StateDicts.find(f.root()));
    }

    @Test
    void goldenMetadataKeepsMeta() throws IOException {
        PthFile f = PthReader.read(GOLDEN.resolve("mmdet_like_zip.pth"));
        Map<String, String> m = f.metadata();
        assertEquals("3.3.0", m.get("meta.mmdet_version"));
        assertEquals("12", m.get("meta.epoch"));
        assertTrue(m.get("meta.dataset_meta.classes").startsWith("[\"person\",\"bicycle\","), m.get("meta.dataset_meta.classes"));
        assertTrue(m.get("meta.config").contains("unicode check: éè 中文"));
        // shared storage: three tensors, one storage, independent copies
        Map<String, RawTensor> t = f.tensors();
        assertArrayEquals(new float[]{-0.5f, 3.5f, 7.5f, 11.5f, 15.5f, 19.5f}, t.get("state_dict.test.shared_view_col_5").toFloatArray());
    }

    // ------------------------------------------------------------------------------ bad files

    private CheckpointException bad(Path p) {
        return assertThrows(CheckpointException.class, () -> PthReader.read(p));
    }

    private void assertBad(Path p, String expectedProblem) {
        CheckpointException e = bad(p);
        assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        assertTrue(e.problem().contains(expectedProblem), "expected '" + expectedProblem + "' in: " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line");
    }

    @Test
    void truncatedZip() throws IOException {
        byte[] full = Files.readAllBytes(GOLDEN.resolve("mmdet_like_zip.pth"));
        for (int cut : new int[]{10, 100, full.length / 2, full.length - 30})
            assertBad(write("cut" + cut + ".pth", Arrays.copyOf(full, cut)), "not a valid zip archive");
    }

    @Test
    void truncatedLegacy() throws IOException {
        byte[] full = Files.readAllBytes(GOLDEN.resolve("tiny_resnet_legacy.pth"));
        assertBad(write("a.pth", Arrays.copyOf(full, 12)), "no magic number: truncated pickle data"); // inside the magic number
        assertBad(write("a2.pth", Arrays.copyOf(full, 30)), "truncated pickle data"); // inside the sys info
        assertBad(write("b.pth", Arrays.copyOf(full, 2000)), "truncated pickle data"); // inside the object pickle
        assertBad(write("c.pth", Arrays.copyOf(full, full.length - 1)), "truncated: storage");
        assertBad(write("d.pth", Arrays.copyOf(full, full.length - 100)), "truncated: storage");
    }

    /** A flipped byte inside a tensor's data: the zip's CRC-32 says so (torch.load refuses such a file too). */
    @Test
    void corruptStorageBytes() throws IOException {
        byte[] data = {11, 22, 33, 44, 55, 66, 77, 88};
        byte[] pkl = new PickleBuilder().proto(2).op('}').mark().str("w").tensor("FloatStorage", "0", new long[] {2}, false)
                .op('u').stop().bytes();
        byte[] zip = PickleBuilder.zip(pkl, Map.of("0", data));
        assertEquals(2, PthReader.read(write("good.pth", zip)).tensors().get("w").numel());
        int at = -1;
        for (int i = 0; i + data.length <= zip.length && at < 0; i++)
            if (Arrays.equals(Arrays.copyOfRange(zip, i, i + data.length), data)) at = i;
        zip[at + 3] ^= 0x40;
        assertBad(write("flipped.pth", zip), "zip entry archive/data/0 is corrupt (CRC-32 mismatch)");
    }

    @Test
    void wrongMagic() throws IOException {
        byte[] full = Files.readAllBytes(GOLDEN.resolve("tiny_resnet_legacy.pth"));
        full[5] ^= 0x55; // inside the LONG1 magic number
        assertBad(write("magic.pth", full), "bad magic number");
        byte[] other = new PickleBuilder().proto(2).integer(12345).stop().bytes();
        assertBad(write("int.pth", other), "bad magic number 12345");
    }

    @Test
    void notAZipNorAPickle() throws IOException {
        assertBad(write("text.pth", "hello, this is not a checkpoint".getBytes()), "not a PyTorch checkpoint");
        assertBad(write("empty.pth", new byte[0]), "empty file");
        assertBad(tmp.resolve("missing.pth"), "file not found");
        assertBad(write("zip-no-pkl.pth", zipWithout()), "without data.pkl");
    }

    private static byte[] zipWithout() throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(b)) {
            z.putNextEntry(new java.util.zip.ZipEntry("readme.txt"));
            z.write("x".getBytes());
        }
        return b.toByteArray();
    }

    @Test
    void unsupportedOpcodeInDataPkl() throws IOException {
        byte[] pkl = new PickleBuilder().proto(2).op('}').op(0xfe).stop().bytes();
        assertBad(write("op.pth", PickleBuilder.zip(pkl, Map.of())), "unsupported pickle opcode 0xfe");
    }

    @Test
    void classOutsideTheSupportedSet() throws IOException {
        byte[] pkl = new PickleBuilder().proto(2).global("os", "system").mark().str("rm -rf /").op('t', 'R').stop().bytes();
        assertBad(write("os.pth", PickleBuilder.zip(pkl, Map.of())), "unsupported pickle class os.system");
        pkl = new PickleBuilder().proto(2).global("torch._utils", "_rebuild_qtensor").op(')', 'R').stop().bytes();
        assertBad(write("q.pth", PickleBuilder.zip(pkl, Map.of())), "unsupported pickle class torch._utils._rebuild_qtensor");
        pkl = new PickleBuilder().proto(2).tensor("ComplexFloatStorage", "0", new long[]{1}, false).stop().bytes();
        assertBad(write("c.pth", PickleBuilder.zip(pkl, Map.of("0", new byte[8]))), "unsupported storage type ComplexFloatStorage");
    }

    @Test
    void storageShorterThanTheTensorNeeds() throws IOException {
        // the tensor claims 5 elements of a 4-element storage
        byte[] pkl = new PickleBuilder().proto(2).tensor("FloatStorage", "0", 4, 0, new long[]{5}, new long[]{1}, false).stop().bytes();
        assertBad(write("short.pth", PickleBuilder.zip(pkl, Map.of("0", PickleBuilder.floats(1, 2, 3, 4)))), "storage 0 is too short");
        // a strided view reaching past the end
        pkl = new PickleBuilder().proto(2).tensor("FloatStorage", "0", 4, 1, new long[]{2}, new long[]{3}, false).stop().bytes();
        assertBad(write("stride.pth", PickleBuilder.zip(pkl, Map.of("0", PickleBuilder.floats(1, 2, 3, 4)))), "storage 0 is too short");
        // the archive entry holds fewer bytes than the storage's declared size
        pkl = new PickleBuilder().proto(2).tensor("FloatStorage", "0", new long[]{4}, false).stop().bytes();
        assertBad(write("entry.pth", PickleBuilder.zip(pkl, Map.of("0", PickleBuilder.floats(1, 2, 3)))), "storage 0 is truncated");
        // a storage missing from the archive
        assertBad(write("missing.pth", PickleBuilder.zip(pkl, Map.of())), "storage 0 is missing");
        // legacy: the tensor needs more than the stored storage holds
        pkl = new PickleBuilder().proto(2).tensor("FloatStorage", "k", 3, 0, new long[]{3}, new long[]{1}, true).stop().bytes();
        assertBad(write("legacy.pth", PickleBuilder.legacy(pkl, List.of("k"), List.of(PickleBuilder.floats(1, 2)), List.of(4))), "storage k holds 2 elements");
    }

    private static byte[] bytes(ByteBuffer b) { return b.array(); }

    private static byte[] shorts(int... v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int s : v) b.putShort((short) s);
        return b.array();
    }
}
