package autoassign.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format, the engine's own checkpoint format: an 8-byte little-endian header
 * length N, N bytes of JSON ({@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 * "__metadata__": {"key": "value"}}}, padded with spaces), then the raw little-endian tensor bytes
 * (offsets relative to the end of the header).
 */
public final class Safetensors {
    /** Largest header accepted when reading (the reference implementation's limit). */
    static final long MAX_HEADER = 100L * 1024 * 1024;
    static final String METADATA_KEY = "__metadata__";
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private Safetensors() {}

    /** Tensors and metadata of a safetensors file, in header order. */
    public record Contents(Map<String, RawTensor> tensors, Map<String, String> metadata) {}

    /** One header entry: what {@code inspect} shows without reading the data. */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    /** Header of a safetensors file. */
    public record Header(List<Entry> entries, Map<String, String> metadata, long dataStart) {}

    // ----------------------------------------------------------------------------------- write

    /** Writes tensors and metadata atomically (temporary file + rename); tensors are stored in map order. */
    public static void write(Path file, Map<String, RawTensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JsonNodeFactory.instance.objectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject(METADATA_KEY);
            metadata.forEach((k, v) -> m.put(k, v));
        }
        long offset = 0;
        for (Map.Entry<String, RawTensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name.isEmpty() || name.equals(METADATA_KEY)) throw new IllegalArgumentException("bad tensor name '" + name + "'");
            RawTensor t = e.getValue();
            ObjectNode n = header.putObject(name);
            n.put("dtype", t.dtype().safetensorsName());
            var shape = n.putArray("shape");
            for (long s : t.shape()) shape.add(s);
            n.putArray("data_offsets").add(offset).add(offset + t.data().length);
            offset += t.data().length;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(header);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] head = new byte[8 + padded];
        ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        System.arraycopy(json, 0, head, 8, json.length);
        Arrays.fill(head, 8 + json.length, head.length, (byte) ' ');
        AtomicFiles.write(file, out -> {
            out.write(head);
            for (RawTensor t : tensors.values()) out.write(t.data());
        });
    }

    // ------------------------------------------------------------------------------------ read

    /** Reads the header only (names, dtypes, shapes, metadata). */
    public static Header readHeader(Path file) throws CheckpointException {
        try (FileChannel ch = open(file)) {
            return header(file, ch);
        } catch (IOException e) {
            throw wrap(file, e);
        }
    }

    /** Reads every tensor and the metadata. */
    public static Contents read(Path file) throws CheckpointException {
        try (FileChannel ch = open(file)) {
            Header h = header(file, ch);
            Map<String, RawTensor> tensors = new LinkedHashMap<>();
            for (Entry e : h.entries()) {
                long len = e.end() - e.begin();
                if (len > Integer.MAX_VALUE - 16) throw new CheckpointException(file, "tensor " + e.name() + " is too large (" + len + " bytes)");
                ByteBuffer b = ByteBuffer.allocate((int) len);
                long at = h.dataStart() + e.begin();
                while (b.hasRemaining()) {
                    int r = ch.read(b, at + b.position());
                    if (r < 0) throw new CheckpointException(file, "truncated: data of tensor " + e.name() + " ends early");
                }
                tensors.put(e.name(), new RawTensor(e.dtype(), e.shape(), b.array()));
            }
            return new Contents(tensors, h.metadata());
        } catch (IOException e) {
            throw wrap(file, e);
        } catch (OutOfMemoryError e) {
            throw new CheckpointException(file, "too large to load into memory", e);
        }
    }

    private static FileChannel open(Path file) throws CheckpointException {
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, "file not found");
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    private static CheckpointException wrap(Path file, IOException e) {
        return e instanceof CheckpointException c ? c : new CheckpointException(file, "cannot read: " + e.getMessage(), e);
    }

    private static Header header(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) throw new CheckpointException(file, "truncated: " + size + " bytes, not even a safetensors header length");
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long n = lenBuf.getLong(0);
        if (n < 2 || n > MAX_HEADER)
            throw new CheckpointException(file, "not a safetensors file: header length " + Long.toUnsignedString(n) + " is out of range");
        if (n > size - 8) throw new CheckpointException(file, "truncated: header of " + n + " bytes, file has " + size);
        ByteBuffer hb = ByteBuffer.allocate((int) n);
        readFully(ch, hb, 8);
        String text = new String(hb.array(), StandardCharsets.UTF_8);
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file, "not a safetensors file: header is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) throw new CheckpointException(file, "not a safetensors file: header is not a JSON object");
        long dataStart = 8 + n, dataLen = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode v = f.getValue();
            if (name.equals(METADATA_KEY)) {
                if (!v.isObject()) throw new CheckpointException(file, "__metadata__ is not a JSON object");
                for (Iterator<Map.Entry<String, JsonNode>> m = v.properties().iterator(); m.hasNext(); ) {
                    Map.Entry<String, JsonNode> me = m.next();
                    if (!me.getValue().isTextual()) throw new CheckpointException(file, "__metadata__ value of '" + me.getKey() + "' is not a string");
                    metadata.put(me.getKey(), me.getValue().asText());
                }
                continue;
            }
            String where = "tensor " + name;
            if (!v.isObject()) throw new CheckpointException(file, where + ": header entry is not a JSON object");
            JsonNode dt = v.get("dtype"), sh = v.get("shape"), off = v.get("data_offsets");
            if (dt == null || !dt.isTextual()) throw new CheckpointException(file, where + ": missing dtype");
            DType dtype = DType.fromSafetensors(dt.asText());
            if (dtype == null) throw new CheckpointException(file, where + ": unsupported dtype " + dt.asText());
            if (sh == null || !sh.isArray()) throw new CheckpointException(file, where + ": missing shape");
            long[] shape = new long[sh.size()];
            long numel = 1;
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = sh.get(i);
                if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0)
                    throw new CheckpointException(file, where + ": bad shape " + sh);
                shape[i] = d.asLong();
                try {
                    numel = Math.multiplyExact(numel, shape[i]);
                } catch (ArithmeticException e) {
                    throw new CheckpointException(file, where + ": shape " + sh + " is too large");
                }
            }
            if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber())
                throw new CheckpointException(file, where + ": missing data_offsets");
            long begin = off.get(0).asLong(), end = off.get(1).asLong();
            if (begin < 0 || end < begin) throw new CheckpointException(file, where + ": bad data_offsets " + off);
            if (numel > Long.MAX_VALUE / 8 || end - begin != numel * dtype.size())
                throw new CheckpointException(file, where + ": data_offsets " + off + " hold " + (end - begin) + " bytes, "
                        + dtype.safetensorsName() + " " + sh + " needs " + numel * dtype.size());
            if (end > dataLen)
                throw new CheckpointException(file, "truncated: tensor " + name + " ends at data byte " + end + ", the file has " + dataLen + " data bytes");
            entries.add(new Entry(name, dtype, shape, begin, end));
        }
        return new Header(entries, metadata, dataStart);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) if (ch.read(b, at + b.position()) < 0) throw new IOException("unexpected end of file");
    }
}
