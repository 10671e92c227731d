package autoassign.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Test helper: emits pickle opcodes by hand (protocol 2, as torch.save writes) and packs them into
 * PyTorch zip or legacy containers, so tests can build any checkpoint, including broken ones.
 */
final class PickleBuilder {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PickleBuilder op(int... bytes) { for (int b : bytes) out.write(b); return this; }

    PickleBuilder proto(int p) { return op(0x80, p); }

    PickleBuilder stop() { return op('.'); }

    PickleBuilder mark() { return op('('); }

    PickleBuilder str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op('X');
        le32(b.length);
        out.writeBytes(b);
        return this;
    }

    PickleBuilder integer(long v) {
        if (v >= 0 && v < 256) return op('K', (int) v);
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) { op('J'); le32((int) v); return this; }
        op(0x8a, 8);
        for (int i = 0; i < 8; i++) out.write((int) (v >>> (8 * i)));
        return this;
    }

    PickleBuilder bool(boolean b) { return op(b ? 0x88 : 0x89); }

    PickleBuilder none() { return op('N'); }

    PickleBuilder global(String module, String name) {
        op('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        return this;
    }

    PickleBuilder tuple(long... items) {
        mark();
        for (long i : items) integer(i);
        return op('t');
    }

    /** {@code torch._utils._rebuild_tensor_v2(<persistent storage>, offset, size, stride, False, OrderedDict())}. */
    PickleBuilder tensor(String storageType, String key, long storageNumel, long offset, long[] size, long[] stride, boolean legacy) {
        global("torch._utils", "_rebuild_tensor_v2");
        mark();
        mark().str("storage").global("torch", storageType).str(key).str("cpu").integer(storageNumel);
        if (legacy) none();
        op('t', 'Q'); // TUPLE, BINPERSID
        integer(offset).tuple(size).tuple(stride).bool(false);
        global("collections", "OrderedDict").op(')', 'R');
        return op('t', 'R');
    }

    /** A contiguous tensor owning storage {@code key}. */
    PickleBuilder tensor(String storageType, String key, long[] size, boolean legacy) {
        long n = 1;
        for (long s : size) n *= s;
        long[] stride = new long[size.length];
        long acc = 1;
        for (int i = size.length - 1; i >= 0; i--) { stride[i] = acc; acc *= size[i]; }
        return tensor(storageType, key, n, 0, size, stride, legacy);
    }

    byte[] bytes() { return out.toByteArray(); }

    private void le32(int v) { for (int i = 0; i < 4; i++) out.write(v >>> (8 * i)); }

    // ------------------------------------------------------------------ containers

    /** A zip-format .pth: {@code archive/data.pkl}, {@code archive/data/<key>} entries, {@code archive/version}. */
    static byte[] zip(byte[] dataPkl, Map<String, byte[]> storages) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bos)) {
            stored(z, "archive/data.pkl", dataPkl);
            for (Map.Entry<String, byte[]> e : storages.entrySet()) stored(z, "archive/data/" + e.getKey(), e.getValue());
            stored(z, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
        return bos.toByteArray();
    }

    private static void stored(ZipOutputStream z, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(data);
        z.closeEntry();
    }

    /** The legacy stream: magic, protocol 1001, sys info, the object pickle, the key list, then each storage. */
    static byte[] legacy(byte[] objectPkl, List<String> keys, List<byte[]> storages, List<Integer> elementSizes) {
        PickleBuilder p = new PickleBuilder();
        p.proto(2).op(0x8a, 10).op(0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).stop(); // magic
        p.proto(2).op('M', 0xe9, 0x03).stop(); // 1001
        p.proto(2).op('}').mark().str("protocol_version").op('M', 0xe9, 0x03).str("little_endian").bool(true)
                .str("type_sizes").op('}').mark().str("short").integer(2).str("int").integer(4).str("long").integer(4)
                .op('u', 'u').stop();
        p.out.writeBytes(objectPkl);
        p.proto(2).mark();
        for (String k : keys) p.str(k);
        p.op('l').stop();
        for (int i = 0; i < storages.size(); i++) {
            byte[] s = storages.get(i);
            p.out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(s.length / elementSizes.get(i)).array());
            p.out.writeBytes(s);
        }
        return p.bytes();
    }

    /**
     * A zip .pth holding {@code sd} as an OrderedDict, wrapped MMDetection-style as
     * {@code {'meta': {'epoch': 12}, 'state_dict': sd}} when {@code wrap}; one storage per tensor.
     */
    static byte[] stateDictPth(Map<String, RawTensor> sd, boolean wrap) throws IOException {
        PickleBuilder p = new PickleBuilder().proto(2);
        if (wrap) p.op('}').mark().str("meta").op('}').mark().str("epoch").integer(12).op('u').str("state_dict");
        p.global("collections", "OrderedDict").op(')', 'R').mark();
        Map<String, byte[]> storages = new java.util.LinkedHashMap<>();
        int i = 0;
        for (Map.Entry<String, RawTensor> e : sd.entrySet()) {
            String key = String.valueOf(i++);
            p.str(e.getKey()).tensor(e.getValue().dtype().storageName(), key, e.getValue().shape(), false);
            storages.put(key, e.getValue().data());
        }
        p.op('u');
        if (wrap) p.op('u');
        return zip(p.stop().bytes(), storages);
    }

    static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }
}
