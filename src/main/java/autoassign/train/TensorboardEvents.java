package autoassign.train;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A TensorBoard event file ({@code events.out.tfevents.<unix seconds>.<hostname>}) written without TensorFlow: a
 * TFRecord stream of {@code tensorflow.Event} protobufs encoded by hand. The first event names the format
 * ({@code file_version: "brain.Event:2"}); each later one holds scalars ({@code summary.value[].simple_value}) at a
 * step, which TensorBoard's Scalars tab plots. Every record is flushed as it is written, so a crash keeps the
 * scalars logged so far (a record cut short is skipped by TensorBoard's reader).
 */
public final class TensorboardEvents implements AutoCloseable {
    static final String FILE_PREFIX = "events.out.tfevents.";
    static final String FILE_VERSION = "brain.Event:2";
    private static final int MASK_DELTA = 0xa282ead8;

    private final Path file;
    private final OutputStream out;

    private TensorboardEvents(Path file, OutputStream out) {
        this.file = file;
        this.out = out;
    }

    /** Starts a new event file in {@code dir} (created when missing); existing files there are kept. */
    public static TensorboardEvents create(Path dir) throws IOException {
        Files.createDirectories(dir);
        double now = System.currentTimeMillis() / 1000.0;
        String base = FILE_PREFIX + (long) now + "." + hostname();
        // a resume within the same second must not reuse the previous file: TensorBoard reads every file of the dir
        for (int n = 0; ; n++) {
            Path f = dir.resolve(n == 0 ? base : base + "." + n);
            OutputStream os;
            try {
                os = Files.newOutputStream(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException taken) {
                if (n >= 1000) throw taken;
                continue;
            }
            TensorboardEvents ev = new TensorboardEvents(f, os);
            try {
                ev.writeRecord(versionEvent(now));
            } catch (IOException e) {
                os.close();
                throw e;
            }
            return ev;
        }
    }

    /** Deletes the event files of {@code dir} (a fresh run restarts its TensorBoard curves as it restarts metrics.jsonl). */
    public static void deleteEventFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, FILE_PREFIX + "*")) {
            for (Path f : files) if (Files.isRegularFile(f)) Files.delete(f);
        }
    }

    public Path file() { return file; }

    /** One event at {@code step} holding every entry of {@code values} as a scalar of that tag. */
    public void scalars(long step, Map<String, Float> values) throws IOException {
        writeRecord(scalarEvent(System.currentTimeMillis() / 1000.0, step, values));
    }

    private void writeRecord(byte[] data) throws IOException {
        out.write(frame(data));
        out.flush();
    }

    @Override public void close() throws IOException { out.close(); }

    // ------------------------------------------------------------------ TFRecord framing

    /** {@code data} as one TFRecord: uint64 length (LE), masked CRC32C of those 8 bytes, data, masked CRC32C of data. */
    static byte[] frame(byte[] data) {
        byte[] rec = new byte[8 + 4 + data.length + 4];
        long len = data.length;
        for (int i = 0; i < 8; i++) rec[i] = (byte) (len >>> (8 * i));
        putInt32(rec, 8, maskedCrc32c(rec, 0, 8));
        System.arraycopy(data, 0, rec, 12, data.length);
        putInt32(rec, 12 + data.length, maskedCrc32c(data, 0, data.length));
        return rec;
    }

    /** TFRecord's CRC: CRC32C rotated right by 15 and offset, so that CRCs of data holding CRCs stay well mixed. */
    static int maskedCrc32c(byte[] b, int off, int len) {
        int crc = crc32c(b, off, len);
        return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
    }

    static int crc32c(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    private static void putInt32(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) b[at + i] = (byte) (v >>> (8 * i));
    }

    // ------------------------------------------------------------------ protobuf (tensorflow.Event, tensorflow.Summary)

    // field numbers of event.proto / summary.proto
    private static final int EVENT_WALL_TIME = 1, EVENT_STEP = 2, EVENT_FILE_VERSION = 3, EVENT_SUMMARY = 5;
    private static final int SUMMARY_VALUE = 1, VALUE_TAG = 1, VALUE_SIMPLE_VALUE = 2;
    // wire types
    private static final int VARINT = 0, FIXED64 = 1, LENGTH_DELIMITED = 2, FIXED32 = 5;

    /** {@code Event{wall_time, file_version: "brain.Event:2"}}: the header TensorBoard expects first. */
    static byte[] versionEvent(double wallTime) {
        Proto e = new Proto();
        e.fixed64(EVENT_WALL_TIME, Double.doubleToRawLongBits(wallTime));
        e.bytes(EVENT_FILE_VERSION, FILE_VERSION.getBytes(StandardCharsets.UTF_8));
        return e.toByteArray();
    }

    /** {@code Event{wall_time, step, summary{value[]{tag, simple_value}}}} with the values in map order. */
    static byte[] scalarEvent(double wallTime, long step, Map<String, Float> values) {
        Proto summary = new Proto();
        for (Map.Entry<String, Float> v : values.entrySet()) {
            Proto value = new Proto();
            value.bytes(VALUE_TAG, v.getKey().getBytes(StandardCharsets.UTF_8));
            // simple_value is a oneof member: written even when 0, or the value would read as absent
            value.fixed32(VALUE_SIMPLE_VALUE, Float.floatToRawIntBits(v.getValue()));
            summary.bytes(SUMMARY_VALUE, value.toByteArray());
        }
        Proto e = new Proto();
        e.fixed64(EVENT_WALL_TIME, Double.doubleToRawLongBits(wallTime));
        if (step != 0) e.varint(EVENT_STEP, step); // proto3 leaves a default out
        e.bytes(EVENT_SUMMARY, summary.toByteArray());
        return e.toByteArray();
    }

    /** A protobuf message being encoded: fields are appended in the order written. */
    static final class Proto {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        void varint(int field, long v) {
            rawVarint(((long) field << 3) | VARINT);
            rawVarint(v);
        }

        void fixed64(int field, long bits) {
            rawVarint(((long) field << 3) | FIXED64);
            for (int i = 0; i < 8; i++) buf.write((int) (bits >>> (8 * i)));
        }

        void fixed32(int field, int bits) {
            rawVarint(((long) field << 3) | FIXED32);
            for (int i = 0; i < 4; i++) buf.write(bits >>> (8 * i));
        }

        void bytes(int field, byte[] b) {
            rawVarint(((long) field << 3) | LENGTH_DELIMITED);
            rawVarint(b.length);
            buf.write(b, 0, b.length);
        }

        /** Base-128, least significant group first, high bit = more follows; negatives take 10 bytes (as int64). */
        void rawVarint(long v) {
            while ((v & ~0x7FL) != 0) {
                buf.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            buf.write((int) v);
        }

        byte[] toByteArray() { return buf.toByteArray(); }
    }

    // ------------------------------------------------------------------

    /** The machine's name for the file name (as TensorFlow's writer does), reduced to characters safe in a path. */
    private static String hostname() {
        String h = System.getenv("HOSTNAME");
        if (h == null || h.isBlank()) {
            try {
                h = InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                h = "localhost"; // no resolvable name: any fixed word keeps the file name valid
            }
        }
        String safe = h.replaceAll("[^A-Za-z0-9._-]", "_");
        return safe.isEmpty() ? "localhost" : safe;
    }
}
