package autoassign.io;

import autoassign.io.pickle.PyTuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link PthWriter}'s files read back by {@link PthReader} (itself checked against files torch.save wrote:
 * {@code PthGoldenTest}) with every tensor bit-exact, laid out as PyTorch lays out its zip checkpoints.
 */
class PthWriterTest {
    @TempDir Path tmp;

    /** One tensor of every dtype, plus a scalar, an empty tensor and a 4-d weight. */
    static Map<String, RawTensor> tensorsOfEveryKind() {
        Random r = new Random(3);
        Map<String, RawTensor> t = new LinkedHashMap<>();
        for (DType d : DType.values()) {
            byte[] b = new byte[6 * d.size()];
            r.nextBytes(b);
            if (d == DType.BOOL) for (int i = 0; i < b.length; i++) b[i] &= 1;
            t.put("every." + d.torchName(), new RawTensor(d, new long[] {2, 3}, b));
        }
        t.put("scalar.num_batches_tracked", RawTensor.ofLongs(new long[] {1234567890123L}));
        t.put("empty", RawTensor.ofFloats(new float[0], 0, 3));
        float[] w = new float[8 * 3 * 3 * 3];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        t.put("conv.weight", RawTensor.ofFloats(w, 8, 3, 3, 3));
        return t;
    }

    @Test
    void everyTensorReadsBackBitExactWithTheTreeAroundIt() throws IOException {
        Map<String, RawTensor> sd = tensorsOfEveryKind();
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("meta", Map.of("epoch", 12L, "dataset_meta", Map.of("classes", PyTuple.of("person", "bicycle"))));
        root.put("state_dict", PthWriter.stateDict(sd));
        Path f = tmp.resolve("model.pth");
        PthWriter.write(f, root);

        PthFile back = PthReader.read(f);
        assertEquals("zip", back.format());
        Map<String, RawTensor> expected = new LinkedHashMap<>();
        sd.forEach((k, v) -> expected.put("state_dict." + k, v));
        assertEquals(expected, back.tensors());
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(back.tensors().keySet()), "state-dict order kept");
        assertEquals(StateDicts.find(back.root()), sd);
        Map<?, ?> meta = (Map<?, ?>) ((Map<?, ?>) back.root()).get("meta");
        assertEquals(12L, meta.get("epoch"));
        assertEquals(PyTuple.of("person", "bicycle"), ((Map<?, ?>) meta.get("dataset_meta")).get("classes"));
        // one storage per tensor, typed as torch.save types them
        assertEquals(sd.size(), back.persistentIds().size());
        assertEquals(List.of("storage", "FloatStorage", "0", "cpu", 6L), back.persistentIds().get(0));
    }

    @Test
    void entriesAreStoredWithTheirDataAlignedTo64BytesAsPyTorchWritesThem() throws IOException {
        Path f = tmp.resolve("aligned.pth");
        PthWriter.write(f, PthWriter.stateDict(tensorsOfEveryKind()));
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        List<String> names = new ArrayList<>();
        int at = 0;
        while (b.getInt(at) == 0x04034b50) { // local file headers, one after the other
            assertEquals(0, b.getShort(at + 8), "stored, not deflated");
            int size = b.getInt(at + 18), nameLen = b.getShort(at + 26), extraLen = b.getShort(at + 28);
            String name = new String(b.array(), at + 30, nameLen, java.nio.charset.StandardCharsets.UTF_8);
            names.add(name);
            int data = at + 30 + nameLen + extraLen;
            assertEquals(0, data % 64, name + " data at " + data);
            at = data + size;
        }
        assertEquals("archive/data.pkl", names.get(0));
        assertEquals("archive/byteorder", names.get(1));
        assertEquals("archive/version", names.get(names.size() - 1));
        assertEquals(tensorsOfEveryKind().size() + 3, names.size());
    }

    @Test
    void theSameModelGivesTheSameBytes() throws IOException {
        Path a = tmp.resolve("a.pth"), b = tmp.resolve("b.pth");
        PthWriter.write(a, PthWriter.stateDict(tensorsOfEveryKind()));
        PthWriter.write(b, PthWriter.stateDict(tensorsOfEveryKind()));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    @Test
    void aFailedWriteLeavesNothingBehind() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("out"));
        Path f = dir.resolve("model.pth");
        Map<String, Object> bad = new LinkedHashMap<>();
        bad.put("state_dict", PthWriter.stateDict(tensorsOfEveryKind()));
        bad.put("not picklable", new Object());
        assertThrows(RuntimeException.class, () -> PthWriter.write(f, bad));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count());
        }
        Path blocked = Files.writeString(tmp.resolve("a-file"), "x").resolve("model.pth");
        assertThrows(IOException.class, () -> PthWriter.write(blocked, PthWriter.stateDict(Map.of())));
        assertTrue(Files.isRegularFile(tmp.resolve("a-file")));
    }
}
