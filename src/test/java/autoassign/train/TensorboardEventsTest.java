package autoassign.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TensorboardEventsTest {

    @Test
    void crc32cMatchesTheIscsiTestVectors() { // RFC 3720 B.4
        assertEquals(0x8A9136AA, TensorboardEvents.crc32c(new byte[32], 0, 32));
        byte[] ones = new byte[32], up = new byte[32];
        for (int i = 0; i < 32; i++) { ones[i] = (byte) 0xFF; up[i] = (byte) i; }
        assertEquals(0x62A8AB43, TensorboardEvents.crc32c(ones, 0, 32));
        assertEquals(0x46DD794E, TensorboardEvents.crc32c(up, 0, 32));
    }

    @Test
    void maskIsRotateRight15PlusDelta() {
        byte[] zeros = new byte[32];
        // 0x8A9136AA rotated right by 15 = 0x6D551522; + 0xa282ead8 = 0x0FD7FFFA (mod 2^32)
        assertEquals(0x0FD7FFFA, TensorboardEvents.maskedCrc32c(zeros, 0, 32));
        assertEquals(0x8A9136AA, TfEventsTestReader.unmask(TensorboardEvents.maskedCrc32c(zeros, 0, 32)));
    }

    @Test
    void frameHasLengthCrcDataCrc() throws IOException {
        byte[] data = "hello tfrecord".getBytes(StandardCharsets.US_ASCII);
        byte[] rec = TensorboardEvents.frame(data);
        assertEquals(8 + 4 + data.length + 4, rec.length);
        assertEquals(data.length, rec[0]);
        for (int i = 1; i < 8; i++) assertEquals(0, rec[i]);
        Path f = Files.createTempFile("frame", ".rec");
        try {
            Files.write(f, concat(rec, TensorboardEvents.frame(new byte[0])));
            List<byte[]> back = TfEventsTestReader.records(f);
            assertEquals(2, back.size());
            assertArrayEquals(data, back.get(0));
            assertEquals(0, back.get(1).length);
            byte[] bad = rec.clone();
            bad[14] ^= 1; // one data bit: the data CRC must catch it
            Files.write(f, bad);
            assertThrows(IOException.class, () -> TfEventsTestReader.records(f));
        } finally {
            Files.delete(f);
        }
    }

    @Test
    void scalarEventBytesAreTheHandAssembledProtobuf() {
        Map<String, Float> v = new LinkedHashMap<>();
        v.put("loss", 0.5f);
        byte[] expected = bytes(
                0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F,   // field 1 fixed64: wall_time 1.5
                0x10, 0xAC, 0x02,                     // field 2 varint: step 300
                0x2A, 13,                             // field 5 bytes: summary, 13 bytes
                0x0A, 11,                             //   Summary field 1: value, 11 bytes
                0x0A, 4, 'l', 'o', 's', 's',          //     Value field 1: tag "loss"
                0x15, 0, 0, 0, 0x3F);                 //     Value field 2 fixed32: simple_value 0.5f
        assertArrayEquals(expected, TensorboardEvents.scalarEvent(1.5, 300, v));
    }

    @Test
    void versionEventBytesAreTheHandAssembledProtobuf() {
        byte[] head = bytes(0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x1A, 13); // wall_time 1.0, field 3 string of 13
        byte[] expected = concat(head, "brain.Event:2".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals(expected, TensorboardEvents.versionEvent(1.0));
    }

    @Test
    void longTagsAndLargeStepsUseMultiByteVarints() throws IOException {
        String tag = "t".repeat(200); // length 200 = varint C8 01
        Map<String, Float> v = new LinkedHashMap<>();
        v.put(tag, -3.25f);
        v.put("zero", 0f);
        byte[] e = TensorboardEvents.scalarEvent(2.0, 5_000_000_000L, v);
        TfEventsTestReader.Event back = TfEventsTestReader.event(e);
        assertEquals(5_000_000_000L, back.step());
        assertEquals(2.0, back.wallTime());
        assertEquals(v, back.values());
        byte[] tagLen = {(byte) 0xC8, 0x01};
        assertTrue(indexOf(e, concat(bytes(0x0A), tagLen)) > 0, "tag length as a two-byte varint");
    }

    @Test
    void fileStartsWithTheVersionEventAndKeepsEachRecordAsWritten(@TempDir Path dir) throws IOException {
        Path file;
        try (TensorboardEvents ev = TensorboardEvents.create(dir.resolve("vis_data"))) {
            file = ev.file();
            assertTrue(file.getFileName().toString().matches("events\\.out\\.tfevents\\.\\d{10}\\.[A-Za-z0-9._-]+"),
                    file.getFileName().toString());
            ev.scalars(10, Map.of("lr", 0.01f));
            // flushed already: readable before close, as after a crash
            List<TfEventsTestReader.Event> open = TfEventsTestReader.events(file);
            assertEquals(2, open.size());
            ev.scalars(20, Map.of("lr", 0.02f));
        }
        List<TfEventsTestReader.Event> events = TfEventsTestReader.events(file);
        assertEquals(3, events.size());
        assertEquals("brain.Event:2", events.get(0).fileVersion());
        assertNull(events.get(0).values());
        double now = System.currentTimeMillis() / 1000.0;
        assertTrue(Math.abs(events.get(0).wallTime() - now) < 600, "wall time in seconds since the epoch");
        assertEquals(10, events.get(1).step());
        assertEquals(Map.of("lr", 0.01f), events.get(1).values());
        assertEquals(20, events.get(2).step());
        assertEquals(Map.of("lr", 0.02f), events.get(2).values());
    }

    @Test
    void twoFilesInOneSecondGetDistinctNames(@TempDir Path dir) throws IOException {
        try (TensorboardEvents a = TensorboardEvents.create(dir); TensorboardEvents b = TensorboardEvents.create(dir);
             TensorboardEvents c = TensorboardEvents.create(dir)) {
            assertNotEquals(a.file(), b.file());
            assertNotEquals(b.file(), c.file());
            assertNotEquals(a.file(), c.file());
        }
        TensorboardEvents.deleteEventFiles(dir);
        try (var left = Files.list(dir)) { assertEquals(0, left.count()); }
    }

    /** Reads the file back with TensorBoard's own loader (or TensorFlow's), where the interpreter has one. */
    @Test
    void tensorboardReadsTheFile(@TempDir Path dir) throws Exception {
        String python = System.getenv().getOrDefault("AUTOASSIGN_TB_PYTHON", "/usr/bin/python3");
        assumeTrue(Files.isExecutable(Path.of(python)), "skipped: no " + python);
        assumeTrue(run(python, "-c", "import tensorboard") == 0 || run(python, "-c", "import tensorflow") == 0,
                "skipped: " + python + " has neither tensorboard nor tensorflow");
        try (TensorboardEvents ev = TensorboardEvents.create(dir)) {
            Map<String, Float> v = new LinkedHashMap<>();
            v.put("loss", 1.25f);
            v.put("coco/bbox_mAP", 0.5f);
            ev.scalars(7, v);
            ev.scalars(14, Map.of("loss", 0.75f));
        }
        String script = String.join("\n",
                "import sys",
                "rows = []",
                "try:",
                "    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator",
                "    ea = EventAccumulator(sys.argv[1]); ea.Reload()",
                "    for tag in ea.Tags()['scalars']:",
                "        rows += ['%s %d %r' % (tag, s.step, s.value) for s in ea.Scalars(tag)]",
                "except ImportError:",
                "    import glob, tensorflow as tf",
                "    for f in glob.glob(sys.argv[1] + '/events.out.tfevents.*'):",
                "        for e in tf.compat.v1.train.summary_iterator(f):",
                "            rows += ['%s %d %r' % (x.tag, e.step, x.simple_value) for x in e.summary.value]",
                "print('\\n'.join(sorted(rows)))");
        Process p = new ProcessBuilder(python, "-c", script, dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        List<String> lines = new ArrayList<>();
        for (String l : out.strip().split("\n")) if (!l.isBlank() && !l.contains("Warning")) lines.add(l.strip());
        assertEquals(List.of("coco/bbox_mAP 7 0.5", "loss 14 0.75", "loss 7 1.25"), lines, out);
    }

    private static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(120, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
