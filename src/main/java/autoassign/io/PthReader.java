package autoassign.io;

import autoassign.io.pickle.PickleException;
import autoassign.io.pickle.PyGlobal;
import autoassign.io.pickle.PyTuple;
import autoassign.io.pickle.Unpickler;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads PyTorch {@code .pth} / {@code .pt} files written by {@code torch.save} in both formats:
 * <ul>
 *   <li><b>zip</b> (default since PyTorch 1.6): {@code <archive>/data.pkl} holds the pickled object,
 *       storages are the entries {@code <archive>/data/<key>};</li>
 *   <li><b>legacy</b>: a stream of pickles (magic number, protocol version 1001, sys info, the object,
 *       the list of storage keys) followed by each storage as an int64 element count and its raw bytes.</li>
 * </ul>
 * Tensors ({@code torch._utils._rebuild_tensor_v2}, parameters, ...) become {@link RawTensor}s with
 * offsets and strides applied. Nothing a file names is ever executed.
 */
public final class PthReader {
    static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    static final long LEGACY_PROTOCOL = 1001;

    private PthReader() {}

    /**
     * Whether {@code file} is a {@code torch.save} file (a zip archive, or a legacy stream that starts with PyTorch's
     * magic number) rather than a plain pickle; false when it cannot be read (the reader then reports why).
     */
    public static boolean isTorchSave(Path file) {
        byte[] head = new byte[64];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            return false;
        }
        if (isZip(head, n)) return true;
        if (n == 0 || (head[0] & 0xff) != 0x80) return false;
        try {
            return LEGACY_MAGIC.equals(new Unpickler(head, 0, n, null).load());
        } catch (RuntimeException e) { // not a complete first pickle of a few bytes: not the magic number
            return false;
        }
    }

    /** Reads a checkpoint; every problem is reported as a {@link CheckpointException} naming the file. */
    public static PthFile read(Path file) throws CheckpointException {
        byte[] head = new byte[512];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, "file not found");
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + e.getMessage(), e);
        }
        if (n == 0) throw new CheckpointException(file, "empty file");
        try {
            if (isZip(head, n)) return readZip(file);
            if ((head[0] & 0xff) == 0x80) return readLegacy(file);
            if (n >= 262 && new String(head, 257, 5, java.nio.charset.StandardCharsets.ISO_8859_1).equals("ustar"))
                throw new CheckpointException(file, "tar checkpoint format of PyTorch < 0.4 is not supported");
            throw new CheckpointException(file, "not a PyTorch checkpoint: neither a zip archive nor a pickle (starts with "
                    + hex(head, Math.min(n, 4)) + ")");
        } catch (PickleException e) {
            throw new CheckpointException(file, e.getMessage(), e);
        } catch (OutOfMemoryError e) {
            throw new CheckpointException(file, "too large to load into memory", e);
        }
    }

    /** A zip archive's first bytes ({@code PK} and a local-header or empty-archive signature): torch.save's format. */
    private static boolean isZip(byte[] head, int n) {
        return n >= 4 && head[0] == 'P' && head[1] == 'K' && (head[2] == 3 || head[2] == 5) && (head[3] == 4 || head[3] == 6);
    }

    private static String hex(byte[] b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(i > 0 ? " " : "").append(String.format("%02x", b[i] & 0xff));
        return sb.toString();
    }

    // ------------------------------------------------------------------------------------- zip

    private static PthFile readZip(Path file) throws CheckpointException {
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new CheckpointException(file, "not a valid zip archive (truncated or corrupt: " + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + e.getMessage(), e);
        }
        try (zip) {
            List<String> names = new ArrayList<>();
            String pkl = null;
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                String name = en.nextElement().getName();
                names.add(name);
                if (name.endsWith("data.pkl") && (pkl == null || name.length() < pkl.length())) {
                    String dir = name.substring(0, name.length() - "data.pkl".length());
                    if (dir.isEmpty() || dir.indexOf('/') == dir.length() - 1) pkl = name;
                }
            }
            if (pkl == null) throw new CheckpointException(file, "zip archive without data.pkl: not a PyTorch checkpoint");
            String prefix = pkl.substring(0, pkl.length() - "data.pkl".length());
            boolean bigEndian = false;
            ZipEntry bo = zip.getEntry(prefix + "byteorder");
            if (bo != null) {
                String order = new String(readEntry(file, zip, bo), java.nio.charset.StandardCharsets.US_ASCII).trim();
                if (order.equals("big")) bigEndian = true;
                else if (!order.equals("little")) throw new CheckpointException(file, "unknown byte order '" + order + "'");
            }
            byte[] data = readEntry(file, zip, zip.getEntry(pkl));
            ZipStorages storages = new ZipStorages(file, zip, prefix, bigEndian);
            Object root;
            try {
                Unpickler u = new Unpickler(data, storages);
                root = u.load();
            } catch (UncheckedCheckpoint e) {
                throw e.getCause();
            }
            return new PthFile(file, "zip", root, storages.pids, names);
        } catch (IOException e) {
            if (e instanceof CheckpointException ce) throw ce;
            throw new CheckpointException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    private static byte[] readEntry(Path file, ZipFile zip, ZipEntry e) throws CheckpointException {
        if (e.getSize() > Integer.MAX_VALUE - 16)
            throw new CheckpointException(file, "zip entry " + e.getName() + " is too large (" + e.getSize() + " bytes)");
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readAllBytes();
            if (e.getSize() >= 0 && b.length != e.getSize())
                throw new CheckpointException(file, "zip entry " + e.getName() + " is truncated");
            java.util.zip.CRC32 crc = new java.util.zip.CRC32(); // java.util.zip does not check a stored entry's CRC; torch.load does
            crc.update(b);
            if (e.getCrc() >= 0 && crc.getValue() != e.getCrc())
                throw new CheckpointException(file, "zip entry " + e.getName() + " is corrupt (CRC-32 mismatch)");
            return b;
        } catch (IOException ex) {
            if (ex instanceof CheckpointException ce) throw ce;
            throw new CheckpointException(file, "corrupt zip entry " + e.getName() + ": " + ex.getMessage(), ex);
        }
    }

    /** A checked exception tunnelled through the unpickler's hooks. */
    private static final class UncheckedCheckpoint extends RuntimeException {
        private static final long serialVersionUID = 1L;
        UncheckedCheckpoint(CheckpointException e) { super(e); }
        @Override public synchronized CheckpointException getCause() { return (CheckpointException) super.getCause(); }
    }

    private static final class ZipStorages extends TorchHooks {
        final ZipFile zip;
        final String prefix;
        final boolean bigEndian;
        final Map<String, Storage> cache = new HashMap<>();

        ZipStorages(Path file, ZipFile zip, String prefix, boolean bigEndian) {
            super(file);
            this.zip = zip;
            this.prefix = prefix;
            this.bigEndian = bigEndian;
        }

        @Override public Object persistentLoad(Object pid) {
            if (!(pid instanceof List<?> t) || t.size() != 5 || !"storage".equals(t.get(0)))
                throw new PickleException("unsupported persistent id " + describe(pid));
            pids.add(new ArrayList<>(Arrays.asList("storage", storageTypeName(t.get(1)), t.get(2), t.get(3), t.get(4))));
            DType dtype = storageDType(t.get(1));
            String key = String.valueOf(t.get(2));
            long numel = asLong(t.get(4), "storage size");
            Storage s = cache.get(key);
            if (s == null) {
                ZipEntry e = zip.getEntry(prefix + "data/" + key);
                if (e == null) throw new PickleException("storage " + key + " is missing from the archive (" + prefix + "data/" + key + ")");
                byte[] bytes;
                try {
                    bytes = readEntry(file, zip, e);
                } catch (CheckpointException ce) {
                    throw new UncheckedCheckpoint(ce);
                }
                if (bytes.length < numel * dtype.size())
                    throw new PickleException("storage " + key + " is truncated: " + bytes.length + " bytes, "
                            + numel + " " + dtype.torchName() + " elements need " + numel * dtype.size());
                if (bigEndian) swapBytes(bytes, dtype.size());
                s = new Storage(key, dtype, bytes, 0, numel);
                cache.put(key, s);
            }
            return s.dtype == dtype ? s : s.reinterpret(dtype);
        }
    }

    // ---------------------------------------------------------------------------------- legacy

    private static PthFile readLegacy(Path file) throws CheckpointException {
        return parseLegacy(file, readSmallFile(file, "legacy-format file too large; re-save it in the zip format"));
    }

    private static byte[] readSmallFile(Path file, String tooLarge) throws CheckpointException {
        try {
            long size = Files.size(file);
            if (size > Integer.MAX_VALUE - 16) throw new CheckpointException(file, tooLarge + " (" + size + " bytes)");
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, "file not found");
        } catch (IOException e) {
            if (e instanceof CheckpointException ce) throw ce;
            throw new CheckpointException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a plain pickle file ({@code pickle.dump}, MMEngine's {@code dump(obj, 'x.pkl')}, MMDetection's
     * {@code test.py --out}). Tensors in such a file carry their storage inline, as
     * {@code torch.storage._load_from_bytes(<a legacy torch.save of the storage>)}; they become {@link RawTensor}s.
     */
    public static Object readPickle(Path file) throws CheckpointException {
        byte[] buf = readSmallFile(file, "pickle file too large");
        if (buf.length == 0) throw new CheckpointException(file, "empty file");
        if ((buf[0] & 0xff) != 0x80) throw new CheckpointException(file, "not a pickle file (starts with " + hex(buf, Math.min(buf.length, 4)) + ")");
        try {
            return new Unpickler(buf, new PickleTensors(file)).load();
        } catch (UncheckedCheckpoint e) {
            throw e.getCause();
        } catch (PickleException e) {
            throw new CheckpointException(file, e.getMessage(), e);
        } catch (OutOfMemoryError e) {
            throw new CheckpointException(file, "too large to load into memory", e);
        }
    }

    /** The hooks of a plain pickle: no persistent ids; storages come inline ({@link TorchHooks#inlineStorage}). */
    private static final class PickleTensors extends TorchHooks {
        PickleTensors(Path file) { super(file); }

        @Override public Object persistentLoad(Object pid) {
            throw new PickleException("unexpected persistent id " + describe(pid) + " in a plain pickle");
        }
    }

    /** A legacy {@code torch.save} stream held in memory ({@code buf}); {@code file} names it in messages. */
    private static PthFile parseLegacy(Path file, byte[] buf) throws CheckpointException {
        Unpickler header = new Unpickler(buf, null);
        Object magic;
        try {
            magic = header.load();
        } catch (PickleException e) {
            throw new CheckpointException(file, "not a PyTorch checkpoint (no magic number: " + e.getMessage() + ")");
        }
        if (!(magic instanceof BigInteger m && m.equals(LEGACY_MAGIC)))
            throw new CheckpointException(file, "bad magic number " + shortRepr(magic) + ": not a PyTorch checkpoint");
        Object protocol = header.load();
        if (!(protocol instanceof Long p && p == LEGACY_PROTOCOL))
            throw new CheckpointException(file, "unsupported legacy protocol version " + shortRepr(protocol) + " (expected 1001)");
        Object sysInfo = header.load();
        boolean bigEndian = sysInfo instanceof Map<?, ?> si && Boolean.FALSE.equals(si.get("little_endian"));
        int objectStart = header.position();

        // pass 1: find where the object ends and which storages it uses
        LegacyStorages scan = new LegacyStorages(file, null);
        Unpickler u = new Unpickler(buf, objectStart, buf.length, scan);
        u.load();
        Object keysObj = u.load();
        if (!(keysObj instanceof List<?> keys)) throw new CheckpointException(file, "malformed legacy checkpoint: storage key list missing");
        int pos = u.position();
        Map<String, Storage> storages = new HashMap<>();
        List<String> keyOrder = new ArrayList<>();
        for (Object k : keys) {
            String key = String.valueOf(k);
            keyOrder.add(key);
            DType dtype = scan.declared.get(key);
            if (dtype == null) throw new CheckpointException(file, "malformed legacy checkpoint: storage " + key + " is not used by the object");
            if (buf.length - pos < 8)
                throw new CheckpointException(file, "truncated: storage " + key + " is missing (file ends at byte " + buf.length + ")");
            long numel = 0;
            for (int i = 7; i >= 0; i--) numel = numel << 8 | (buf[pos + i] & 0xff);
            if (bigEndian) numel = Long.reverseBytes(numel);
            pos += 8;
            if (numel < 0 || numel > (buf.length - pos) / dtype.size())
                throw new CheckpointException(file, "truncated: storage " + key + " needs " + numel + " " + dtype.torchName()
                        + " elements (" + (numel * dtype.size()) + " bytes), " + (buf.length - pos) + " bytes left in the file");
            byte[] bytes = Arrays.copyOfRange(buf, pos, pos + (int) (numel * dtype.size()));
            pos += (int) (numel * dtype.size());
            if (bigEndian) swapBytes(bytes, dtype.size());
            storages.put(key, new Storage(key, dtype, bytes, 0, numel));
        }
        // pass 2: build the object with the storages in hand
        LegacyStorages real = new LegacyStorages(file, storages);
        Object root = new Unpickler(buf, objectStart, buf.length, real).load();
        return new PthFile(file, "legacy", root, real.pids, keyOrder);
    }

    private static String shortRepr(Object o) {
        String s = String.valueOf(o);
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    private static final class LegacyStorages extends TorchHooks {
        final Map<String, Storage> storages; // null in the scanning pass
        final Map<String, DType> declared = new HashMap<>();

        LegacyStorages(Path file, Map<String, Storage> storages) {
            super(file);
            this.storages = storages;
        }

        @Override public Object persistentLoad(Object pid) {
            if (!(pid instanceof List<?> t) || t.isEmpty()) throw new PickleException("unsupported persistent id " + describe(pid));
            if ("module".equals(t.get(0))) return t.size() > 1 ? t.get(1) : null; // torch.save(model): the class
            if (!"storage".equals(t.get(0)) || t.size() != 6) throw new PickleException("unsupported persistent id " + describe(pid));
            List<Object> rec = new ArrayList<>(Arrays.asList("storage", storageTypeName(t.get(1)), t.get(2), t.get(3), t.get(4), t.get(5)));
            pids.add(rec);
            DType dtype = storageDType(t.get(1));
            String key = String.valueOf(t.get(2));
            long numel = asLong(t.get(4), "storage size");
            DType prev = declared.putIfAbsent(key, dtype);
            if (prev != null && prev != dtype) throw new PickleException("storage " + key + " used as both " + prev.torchName() + " and " + dtype.torchName());
            if (storages == null) return new Storage(key, dtype, new byte[0], 0, 0); // scan: content unknown yet
            Storage s = storages.get(key);
            if (s == null) throw new PickleException("storage " + key + " is used but not stored in the file");
            if (s.numel < numel) throw new PickleException("storage " + key + " holds " + s.numel + " elements, its reference says " + numel);
            Object view = t.get(5);
            if (view != null) { // (view_key, offset, view_size) of PyTorch < 1.0 storage views
                if (!(view instanceof List<?> v) || v.size() != 3) throw new PickleException("malformed storage view " + describe(view));
                long off = asLong(v.get(1), "view offset"), len = asLong(v.get(2), "view size");
                if (off < 0 || len < 0 || off + len > s.numel)
                    throw new PickleException("storage view " + v.get(0) + " [" + off + ", " + (off + len) + ") outside storage " + key + " of " + s.numel + " elements");
                return new Storage(key, dtype, s.bytes, off, len);
            }
            return s;
        }

        @Override Object rebuild(Storage s, long offset, List<?> size, List<?> stride, DType as) {
            if (storages == null) return PyTuple.EMPTY; // scan pass: the value is not needed
            return super.rebuild(s, offset, size, stride, as);
        }
    }

    // ------------------------------------------------------------------------- tensors (shared)

    /** A typed storage: {@code numel} elements of {@code dtype} starting at element {@code start} of {@code bytes}. */
    record Storage(String key, DType dtype, byte[] bytes, long start, long numel) {
        Storage reinterpret(DType as) {
            long byteStart = start * dtype.size(), byteLen = numel * dtype.size();
            if (byteStart % as.size() != 0) throw new PickleException("storage " + key + " cannot be viewed as " + as.torchName());
            return new Storage(key, as, bytes, byteStart / as.size(), byteLen / as.size());
        }
    }

    /** The PyTorch callables that build tensors, shared by both formats. */
    abstract static class TorchHooks implements Unpickler.Hooks {
        final Path file;
        final List<List<Object>> pids = new ArrayList<>();

        TorchHooks(Path file) { this.file = file; }

        @Override public Object call(PyGlobal g, PyTuple a) {
            if (g.is("torch.storage", "_load_from_bytes")) {
                need(g, a, 1);
                if (!(a.get(0) instanceof byte[] b)) throw new PickleException("malformed " + g + " call: its argument is not bytes");
                return inlineStorage(b);
            }
            if (g.module().equals("torch._utils")) {
                switch (g.name()) {
                    case "_rebuild_tensor": // (storage, storage_offset, size, stride)
                    case "_rebuild_tensor_v2": // (..., requires_grad, backward_hooks[, metadata])
                        need(g, a, 4);
                        return rebuild(storage(g, a.get(0)), asLong(a.get(1), "storage offset"), seq(g, a.get(2)), seq(g, a.get(3)), null);
                    case "_rebuild_tensor_v3": { // (..., requires_grad, backward_hooks, dtype[, metadata])
                        need(g, a, 7);
                        DType as = a.get(6) instanceof PyGlobal d ? DType.fromTorchName(d.name()) : null;
                        if (as == null) throw new PickleException("unsupported tensor dtype " + a.get(6));
                        return rebuild(storage(g, a.get(0)), asLong(a.get(1), "storage offset"), seq(g, a.get(2)), seq(g, a.get(3)), as);
                    }
                    case "_rebuild_parameter": case "_rebuild_parameter_with_state":
                        need(g, a, 1);
                        return a.get(0);
                    default:
                        throw new PickleException("unsupported pickle class " + g);
                }
            }
            if (g.module().equals("torch._tensor") && (g.name().equals("_rebuild_from_type_v2") || g.name().equals("_rebuild_from_type"))) {
                need(g, a, 3); // (func, new_type, args[, state]): the tensor subclass and its attributes are dropped
                if (!(a.get(0) instanceof PyGlobal f) || !(a.get(2) instanceof PyTuple args))
                    throw new PickleException("malformed " + g + " call");
                return call(f, args);
            }
            if (g.is("torch.nn.parameter", "Parameter") && !a.isEmpty() && a.get(0) instanceof RawTensor t) return t;
            return Unpickler.NOT_HANDLED;
        }

        /**
         * The storage that {@code torch.storage._load_from_bytes(b)} rebuilds: {@code b} is a legacy
         * {@code torch.save} stream of that storage alone (how a pickled tensor carries its data).
         */
        Storage inlineStorage(byte[] b) {
            PthFile inner;
            try {
                inner = parseLegacy(file, b);
            } catch (CheckpointException e) {
                throw new PickleException("inline tensor storage: " + e.problem(), e);
            }
            if (!(inner.root() instanceof Storage s)) throw new PickleException("inline tensor storage holds a " + Unpickler.typeName(inner.root()) + ", not a storage");
            return s;
        }

        Object rebuild(Storage s, long offset, List<?> sizeL, List<?> strideL, DType as) {
            if (as != null && as != s.dtype) s = s.reinterpret(as);
            int rank = sizeL.size();
            if (strideL.size() != rank) throw new PickleException("tensor of storage " + s.key + ": size " + sizeL + " and stride " + strideL + " differ in rank");
            long[] size = new long[rank], stride = new long[rank];
            long numel = 1, maxIndex = offset;
            for (int i = 0; i < rank; i++) {
                size[i] = asLong(sizeL.get(i), "tensor size");
                stride[i] = asLong(strideL.get(i), "tensor stride");
                if (size[i] < 0 || stride[i] < 0) throw new PickleException("tensor of storage " + s.key + " has a negative size or stride");
                numel = Math.multiplyExact(numel, size[i]);
            }
            if (offset < 0) throw new PickleException("tensor of storage " + s.key + " has a negative offset");
            int es = s.dtype.size();
            if (numel == 0) return new RawTensor(s.dtype, size, new byte[0]);
            for (int i = 0; i < rank; i++) maxIndex = Math.addExact(maxIndex, Math.multiplyExact(size[i] - 1, stride[i]));
            if (maxIndex >= s.numel)
                throw new PickleException("storage " + s.key + " is too short: it holds " + s.numel + " elements, a tensor of shape "
                        + Arrays.toString(size) + " at offset " + offset + " with stride " + Arrays.toString(stride) + " needs " + (maxIndex + 1));
            if (numel * es > Integer.MAX_VALUE - 16) throw new PickleException("tensor of " + numel + " elements is too large");
            byte[] out = new byte[(int) (numel * es)];
            long base = (s.start + offset) * es;
            boolean contiguous = true;
            long expect = 1;
            for (int i = rank - 1; i >= 0; i--) {
                if (size[i] != 1 && stride[i] != expect) contiguous = false;
                expect *= size[i];
            }
            if (contiguous) {
                System.arraycopy(s.bytes, (int) base, out, 0, out.length);
            } else {
                long[] idx = new long[rank];
                long src = 0;
                for (int k = 0; k < numel; k++) {
                    System.arraycopy(s.bytes, (int) (base + src * es), out, k * es, es);
                    for (int d = rank - 1; d >= 0; d--) {
                        if (++idx[d] < size[d]) { src += stride[d]; break; }
                        src -= (size[d] - 1) * stride[d];
                        idx[d] = 0;
                    }
                }
            }
            return new RawTensor(s.dtype, size, out);
        }

        private static void need(PyGlobal g, PyTuple a, int n) {
            if (a.size() < n) throw new PickleException("malformed " + g + " call: " + a.size() + " arguments, expected at least " + n);
        }

        private static Storage storage(PyGlobal g, Object o) {
            if (o instanceof Storage s) return s;
            throw new PickleException("malformed " + g + " call: first argument is not a storage");
        }

        private static List<?> seq(PyGlobal g, Object o) {
            if (o instanceof List<?> l) return l;
            throw new PickleException("malformed " + g + " call: size / stride is not a tuple");
        }
    }

    static long asLong(Object o, String what) {
        if (o instanceof Long l) return l;
        throw new PickleException("malformed " + what + ": " + describe(o));
    }

    static String storageTypeName(Object o) {
        if (o instanceof PyGlobal g) return g.name();
        if (o instanceof String s) return s.substring(s.lastIndexOf('.') + 1);
        throw new PickleException("malformed storage type " + describe(o));
    }

    static DType storageDType(Object o) {
        String name = storageTypeName(o);
        DType d = DType.fromStorageName(name);
        if (d == null) throw new PickleException("unsupported storage type " + name);
        return d;
    }

    static String describe(Object o) {
        String s = o instanceof List<?> l ? l.toString() : String.valueOf(o);
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    static void swapBytes(byte[] b, int size) {
        if (size == 1) return;
        for (int i = 0; i + size <= b.length; i += size)
            for (int j = 0; j < size / 2; j++) {
                byte t = b[i + j];
                b[i + j] = b[i + size - 1 - j];
                b[i + size - 1 - j] = t;
            }
    }
}
