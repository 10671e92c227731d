package autoassign.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A minimal reader of TensorBoard event files, written apart from {@link TensorboardEvents} so the tests check the
 * writer against the format, not against itself: TFRecord framing with both CRCs verified (unmasking the stored
 * value rather than masking the computed one), then a generic protobuf field walk.
 */
final class TfEventsTestReader {
    private TfEventsTestReader() {}

    /** One decoded Event; {@code fileVersion} or {@code values} is set. */
    record Event(double wallTime, long step, String fileVersion, Map<String, Float> values) {}

    /** The records of a file, each CRC-checked; fails on any damage. */
    static List<byte[]> records(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> out = new ArrayList<>();
        while (b.hasRemaining()) {
            if (b.remaining() < 12) throw new IOException("truncated record header at " + b.position());
            byte[] lenBytes = new byte[8];
            b.get(lenBytes);
            long len = ByteBuffer.wrap(lenBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            int lenCrc = b.getInt();
            if (unmask(lenCrc) != crc(lenBytes)) throw new IOException("bad length CRC at " + (b.position() - 12));
            if (len < 0 || len > b.remaining() - 4) throw new IOException("bad length " + len);
            byte[] data = new byte[(int) len];
            b.get(data);
            int dataCrc = b.getInt();
            if (unmask(dataCrc) != crc(data)) throw new IOException("bad data CRC at " + (b.position() - 4 - len));
            out.add(data);
        }
        return out;
    }

    static List<Event> events(Path file) throws IOException {
        List<Event> out = new ArrayList<>();
        for (byte[] r : records(file)) out.add(event(r));
        return out;
    }

    /** Inverse of TFRecord's mask: subtract the delta, rotate left by 15. */
    static int unmask(int masked) {
        int rot = masked - 0xa282ead8;
        return (rot << 15) | (rot >>> 17);
    }

    static int crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }

    static Event event(byte[] data) throws IOException {
        double wall = 0;
        long step = 0;
        String version = null;
        Map<String, Float> values = null;
        for (Field f : fields(data)) {
            switch (f.number) {
                case 1 -> wall = Double.longBitsToDouble(f.wire(1).fixed);
                case 2 -> step = f.wire(0).fixed;
                case 3 -> version = new String(f.wire(2).bytes, StandardCharsets.UTF_8);
                case 5 -> {
                    values = new LinkedHashMap<>();
                    for (Field v : fields(f.wire(2).bytes)) {
                        if (v.number != 1) throw new IOException("Summary field " + v.number);
                        String tag = null;
                        Float simple = null;
                        for (Field g : fields(v.wire(2).bytes)) {
                            if (g.number == 1) tag = new String(g.wire(2).bytes, StandardCharsets.UTF_8);
                            else if (g.number == 2) simple = Float.intBitsToFloat((int) g.wire(5).fixed);
                            else throw new IOException("Summary.Value field " + g.number);
                        }
                        values.put(tag, simple);
                    }
                }
                default -> throw new IOException("Event field " + f.number);
            }
        }
        return new Event(wall, step, version, values);
    }

    private static final class Field {
        int number, wireType;
        long fixed;
        byte[] bytes;

        Field wire(int expected) throws IOException {
            if (wireType != expected) throw new IOException("field " + number + ": wire type " + wireType + ", expected " + expected);
            return this;
        }
    }

    private static List<Field> fields(byte[] msg) throws IOException {
        List<Field> out = new ArrayList<>();
        int[] pos = {0};
        while (pos[0] < msg.length) {
            long key = varint(msg, pos);
            Field f = new Field();
            f.number = (int) (key >>> 3);
            f.wireType = (int) (key & 7);
            switch (f.wireType) {
                case 0 -> f.fixed = varint(msg, pos);
                case 1 -> { f.fixed = ByteBuffer.wrap(msg, pos[0], 8).order(ByteOrder.LITTLE_ENDIAN).getLong(); pos[0] += 8; }
                case 5 -> { f.fixed = ByteBuffer.wrap(msg, pos[0], 4).order(ByteOrder.LITTLE_ENDIAN).getInt(); pos[0] += 4; }
                case 2 -> {
                    int n = (int) varint(msg, pos);
                    if (n < 0 || pos[0] + n > msg.length) throw new IOException("bad length " + n);
                    f.bytes = java.util.Arrays.copyOfRange(msg, pos[0], pos[0] + n);
                    pos[0] += n;
                }
                default -> throw new IOException("wire type " + f.wireType);
            }
            out.add(f);
        }
        return out;
    }

    private static long varint(byte[] b, int[] pos) throws IOException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos[0] >= b.length) throw new IOException("truncated varint");
            int x = b[pos[0]++] & 0xFF;
            v |= (long) (x & 0x7F) << shift;
            if ((x & 0x80) == 0) return v;
        }
        throw new IOException("varint longer than 10 bytes");
    }
}
