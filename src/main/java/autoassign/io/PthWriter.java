package autoassign.io;

import autoassign.io.pickle.Pickler;
import autoassign.io.pickle.PyGlobal;
import autoassign.io.pickle.PyOrderedDict;
import autoassign.io.pickle.PyTuple;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a PyTorch checkpoint in {@code torch.save}'s zip format, so that {@code torch.load} (also with
 * {@code weights_only=True}) and MMEngine's {@code load_checkpoint} read it:
 * {@code archive/data.pkl} (the object, pickle protocol 2), {@code archive/byteorder}, one
 * {@code archive/data/<key>} per tensor, {@code archive/version}; entries stored uncompressed with their data
 * aligned to 64 bytes, as PyTorch writes them. The object is a tree of {@link Pickler}'s values in which
 * every {@link RawTensor} becomes a contiguous CPU tensor ({@code torch._utils._rebuild_tensor_v2} over a
 * typed storage), the only classes the file names: {@code collections.OrderedDict},
 * {@code torch._utils._rebuild_tensor_v2} and {@code torch.<Type>Storage}. Written to a temporary file and
 * renamed, so a failure leaves nothing behind.
 */
public final class PthWriter {
    static final String ARCHIVE = "archive/";
    private static final int ALIGN = 64;
    private static final short PAD_ID = 0x4246; // "FB" (little-endian), the padding field PyTorch's writer uses
    private static final PyGlobal REBUILD = new PyGlobal("torch._utils", "_rebuild_tensor_v2");
    private static final PyGlobal LOAD_FROM_BYTES = new PyGlobal("torch.storage", "_load_from_bytes");

    private PthWriter() {}

    /** Writes {@code root} (tensors as {@link RawTensor}) to {@code file}. */
    public static void write(Path file, Object root) throws IOException {
        List<RawTensor> storages = new ArrayList<>();
        byte[] pickle = Pickler.dumps(root, v -> {
            if (!(v instanceof RawTensor t)) return null;
            storages.add(t);
            return rebuild(t, Integer.toString(storages.size() - 1));
        });
        AtomicFiles.write(file, raw -> {
            Counting counted = new Counting(raw);
            ZipOutputStream zip = new ZipOutputStream(counted); // not closed: AtomicFiles closes the file
            entry(zip, counted, ARCHIVE + "data.pkl", pickle);
            entry(zip, counted, ARCHIVE + "byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < storages.size(); i++) entry(zip, counted, ARCHIVE + "data/" + i, storages.get(i).data());
            entry(zip, counted, ARCHIVE + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
            zip.finish();
        });
    }

    /**
     * Writes {@code root} as a plain pickle (protocol 2, as MMEngine's {@code dump(obj, 'x.pkl')}), loadable by
     * {@code pickle.load} with PyTorch installed: each {@link RawTensor} is pickled as PyTorch pickles a CPU tensor,
     * {@code _rebuild_tensor_v2(torch.storage._load_from_bytes(<legacy torch.save of its storage>), 0, size, stride,
     * False, OrderedDict())}. Written to a temporary file and renamed.
     */
    public static void writePickle(Path file, Object root) throws IOException {
        byte[] pickle = Pickler.dumps(root, v -> v instanceof RawTensor t
                ? rebuild(t, new Pickler.Call(LOAD_FROM_BYTES, PyTuple.of((Object) legacyStorage(t)))) : null);
        AtomicFiles.write(file, out -> out.write(pickle));
    }

    /**
     * Writes {@code root} in {@code torch.save}'s legacy (non-zip) format, {@code _use_new_zipfile_serialization=False},
     * as MMDetection's {@code tools/model_converters/publish_model.py} saves published checkpoints: the magic number,
     * protocol 1001 and sys info pickles, the object (each {@link RawTensor} a tensor over the persistent id
     * {@code ('storage', torch.<Type>Storage, key, 'cpu', numel, None)}), the list of storage keys sorted as strings,
     * then per key the element count (int64) and the raw little-endian bytes. Written to a temporary file and renamed.
     */
    public static void writeLegacy(Path file, Object root) throws IOException {
        List<RawTensor> storages = new ArrayList<>();
        byte[] pickle = Pickler.dumps(root, v -> {
            if (!(v instanceof RawTensor t)) return null;
            storages.add(t);
            return rebuild(t, new Pickler.PersistentId(PyTuple.of("storage", new PyGlobal("torch", t.dtype().storageName()),
                    Integer.toString(storages.size() - 1), "cpu", t.numel(), null)));
        });
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < storages.size(); i++) keys.add(Integer.toString(i));
        java.util.Collections.sort(keys); // torch sorts the keys as strings: "0", "1", "10", "2", ...
        AtomicFiles.write(file, out -> {
            out.write(legacyHeader());
            out.write(pickle);
            out.write(Pickler.dumps(keys, null));
            for (String k : keys) {
                RawTensor t = storages.get(Integer.parseInt(k));
                long n = t.numel();
                byte[] count = new byte[8];
                for (int i = 0; i < 8; i++) count[i] = (byte) (n >>> (8 * i));
                out.write(count);
                out.write(t.data());
            }
        });
    }

    /** The three pickles a legacy {@code torch.save} starts with: magic number, protocol version, sys info. */
    private static byte[] legacyHeader() {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.writeBytes(Pickler.dumps(PthReader.LEGACY_MAGIC, null));
        b.writeBytes(Pickler.dumps(PthReader.LEGACY_PROTOCOL, null));
        Map<String, Object> typeSizes = new LinkedHashMap<>();
        typeSizes.put("short", 2L);
        typeSizes.put("int", 4L);
        typeSizes.put("long", 4L);
        Map<String, Object> sysInfo = new LinkedHashMap<>();
        sysInfo.put("protocol_version", PthReader.LEGACY_PROTOCOL);
        sysInfo.put("little_endian", true);
        sysInfo.put("type_sizes", typeSizes);
        b.writeBytes(Pickler.dumps(sysInfo, null));
        return b.toByteArray();
    }

    /**
     * {@code torch.save(storage, f, _use_new_zipfile_serialization=False)} of the tensor's data: the magic number,
     * protocol 1001 and sys info pickles, the storage as persistent id {@code ('storage', torch.<Type>Storage, '0',
     * 'cpu', numel, None)}, the key list {@code ['0']}, then the element count (int64) and the raw little-endian bytes.
     */
    static byte[] legacyStorage(RawTensor t) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.writeBytes(legacyHeader());
        b.writeBytes(Pickler.dumps(new Pickler.PersistentId(PyTuple.of("storage", new PyGlobal("torch", t.dtype().storageName()),
                "0", "cpu", t.numel(), null)), null));
        b.writeBytes(Pickler.dumps(List.of("0"), null));
        long n = t.numel();
        for (int i = 0; i < 8; i++) b.write((int) (n >>> (8 * i)));
        b.writeBytes(t.data());
        return b.toByteArray();
    }

    /** A state dict as PyTorch's {@code Module.state_dict()} returns it (an OrderedDict), for {@link #write}. */
    public static PyOrderedDict stateDict(Map<String, RawTensor> tensors) {
        return new PyOrderedDict(new LinkedHashMap<>(tensors));
    }

    /**
     * {@code _rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())} of a contiguous tensor whose
     * storage is the persistent id {@code ('storage', torch.<Type>Storage, key, 'cpu', numel)}.
     */
    private static Pickler.Call rebuild(RawTensor t, String key) {
        return rebuild(t, new Pickler.PersistentId(PyTuple.of("storage", new PyGlobal("torch", t.dtype().storageName()), key, "cpu", t.numel())));
    }

    /** {@code _rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())} of a contiguous tensor. */
    private static Pickler.Call rebuild(RawTensor t, Object storage) {
        long[] shape = t.shape();
        Object[] size = new Object[shape.length], stride = new Object[shape.length];
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            size[d] = shape[d];
            stride[d] = s;
            s *= Math.max(1, shape[d]);
        }
        return new Pickler.Call(REBUILD, PyTuple.of(storage, 0L, PyTuple.of(size), PyTuple.of(stride), false, new PyOrderedDict(Map.of())));
    }

    private static void entry(ZipOutputStream zip, Counting counted, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        e.setTimeLocal(LocalDateTime.of(2000, 1, 1, 0, 0)); // fixed: the same model gives the same bytes
        // local header: 30 bytes + name + extra; the extra field pads the data start to a multiple of 64
        long headerEnd = counted.count + 30 + name.getBytes(StandardCharsets.UTF_8).length + 4;
        int pad = (int) ((ALIGN - headerEnd % ALIGN) % ALIGN);
        byte[] extra = new byte[4 + pad];
        extra[0] = (byte) PAD_ID;
        extra[1] = (byte) (PAD_ID >> 8);
        extra[2] = (byte) pad;
        extra[3] = (byte) (pad >> 8);
        Arrays.fill(extra, 4, extra.length, (byte) 'Z');
        e.setExtra(extra);
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    /** Counts the bytes written, to place each entry's data. */
    private static final class Counting extends FilterOutputStream {
        long count;

        Counting(OutputStream out) { super(out); }

        @Override public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
