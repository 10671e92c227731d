package autoassign.io.pickle;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Writes Java values as a protocol-2 pickle, the protocol {@code torch.save} uses, with the opcodes Python's
 * own pickler emits for them (no memo: every value is written where it occurs). The mapping is the inverse of
 * {@link Unpickler}'s:
 * <ul>
 *   <li>{@code null} → None, {@link Boolean} → bool, {@link Integer} / {@link Long} / {@link BigInteger} → int,
 *       {@link Float} / {@link Double} → float, {@link String} → str, {@code byte[]} → bytes (as protocol 2 writes
 *       them: {@code _codecs.encode(<latin-1 str>, 'latin1')})</li>
 *   <li>{@link PyTuple} → tuple, any other {@link List} → list, {@link PyOrderedDict} →
 *       {@code collections.OrderedDict}, any other {@link Map} → dict (in iteration order)</li>
 *   <li>{@link PyGlobal} → a class or function reference, {@link Call} → {@code callable(*args)} ({@code REDUCE}),
 *       {@link PersistentId} → a persistent id ({@code BINPERSID}, resolved by the loader: PyTorch's storages)</li>
 *   <li>anything else is first given to the {@link Extension}, which replaces it by a value of the kinds above
 *       (a tensor by the call that rebuilds it)</li>
 * </ul>
 */
public final class Pickler {

    /** Replaces the values plain pickle has no form for; returns null when it does not know {@code value}. */
    @FunctionalInterface
    public interface Extension {
        Object replace(Object value);
    }

    /** {@code callable(*args)}: written as the callable, the argument tuple and {@code REDUCE}. */
    public record Call(PyGlobal callable, PyTuple args) {}

    /** A persistent id: {@code pid} is written, then {@code BINPERSID}; the loader resolves it. */
    public record PersistentId(Object pid) {}

    private static final PyGlobal ORDERED_DICT = new PyGlobal("collections", "OrderedDict");
    private static final PyGlobal CODECS_ENCODE = new PyGlobal("_codecs", "encode");
    private static final PyGlobal BYTES = new PyGlobal("__builtin__", "bytes");
    private static final int MAX_DEPTH = 200;
    private static final int BATCH = 1000; // SETITEMS / APPENDS batch size, as Python's pickler uses

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Extension extension;
    private int depth;

    private Pickler(Extension extension) { this.extension = extension; }

    /** The pickle of {@code root} (PROTO 2 … STOP). */
    public static byte[] dumps(Object root, Extension extension) {
        Pickler p = new Pickler(extension);
        p.out.write(0x80);
        p.out.write(2);
        p.value(root);
        p.out.write('.');
        return p.out.toByteArray();
    }

    private void value(Object v) {
        if (++depth > MAX_DEPTH) throw new PickleException("value nested deeper than " + MAX_DEPTH + " levels");
        try {
            write(v);
        } finally {
            depth--;
        }
    }

    private void write(Object v) {
        if (v == null) out.write('N');
        else if (v instanceof Boolean b) out.write(b ? 0x88 : 0x89);
        else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) integer(((Number) v).longValue());
        else if (v instanceof BigInteger b) bigInteger(b);
        else if (v instanceof Float || v instanceof Double) {
            out.write('G'); // BINFLOAT: big-endian double
            long bits = Double.doubleToLongBits(((Number) v).doubleValue());
            for (int s = 56; s >= 0; s -= 8) out.write((int) (bits >>> s));
        } else if (v instanceof String s) string(s);
        else if (v instanceof byte[] b) {
            if (b.length == 0) value(new Call(BYTES, PyTuple.EMPTY));
            else value(new Call(CODECS_ENCODE, PyTuple.of(new String(b, StandardCharsets.ISO_8859_1), "latin1")));
        } else if (v instanceof PyTuple t) tuple(t.toArray());
        else if (v instanceof PyOrderedDict d) {
            value(new Call(ORDERED_DICT, PyTuple.EMPTY));
            setItems(d.items());
        } else if (v instanceof Map<?, ?> m) {
            out.write('}'); // EMPTY_DICT
            setItems(m);
        } else if (v instanceof List<?> l) {
            out.write(']'); // EMPTY_LIST
            for (int i = 0; i < l.size(); i += BATCH) {
                out.write('(');
                for (int k = i; k < Math.min(l.size(), i + BATCH); k++) value(l.get(k));
                out.write('e'); // APPENDS
            }
        } else if (v instanceof PyGlobal g) global(g);
        else if (v instanceof Call c) {
            global(c.callable());
            tuple(c.args().toArray());
            out.write('R'); // REDUCE
        } else if (v instanceof PersistentId id) {
            value(id.pid());
            out.write('Q'); // BINPERSID
        } else {
            Object r = extension == null ? null : extension.replace(v);
            if (r == null) throw new PickleException("cannot pickle a " + v.getClass().getName());
            value(r);
        }
    }

    private void setItems(Map<?, ?> m) {
        int n = 0;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (n % BATCH == 0) out.write('(');
            value(e.getKey());
            value(e.getValue());
            if (++n % BATCH == 0) out.write('u'); // SETITEMS
        }
        if (n % BATCH != 0) out.write('u');
    }

    private void integer(long v) {
        if (v >= 0 && v < 0x100) {
            out.write('K'); // BININT1
            out.write((int) v);
        } else if (v >= 0 && v < 0x10000) {
            out.write('M'); // BININT2
            le(v, 2);
        } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            out.write('J'); // BININT
            le(v, 4);
        } else bigInteger(BigInteger.valueOf(v));
    }

    private void bigInteger(BigInteger v) {
        if (v.bitLength() < 32) {
            integer(v.longValue());
            return;
        }
        byte[] be = v.toByteArray(); // two's complement, big-endian, minimal
        if (be.length > 255) throw new PickleException("integer too large to pickle: " + be.length + " bytes");
        out.write(0x8a); // LONG1: little-endian two's complement
        out.write(be.length);
        for (int i = be.length - 1; i >= 0; i--) out.write(be[i]);
    }

    private void string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write('X'); // BINUNICODE
        le(b.length, 4);
        out.writeBytes(b);
    }

    private void le(long v, int bytes) {
        for (int i = 0; i < bytes; i++) out.write((int) (v >>> (8 * i)));
    }

    private void global(PyGlobal g) {
        out.write('c'); // GLOBAL
        out.writeBytes((g.module() + "\n" + g.name() + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private void tuple(Object... items) {
        switch (items.length) {
            case 0 -> out.write(')'); // EMPTY_TUPLE
            case 1, 2, 3 -> {
                for (Object o : items) value(o);
                out.write(0x85 + items.length - 1); // TUPLE1..3
            }
            default -> {
                out.write('(');
                for (Object o : items) value(o);
                out.write('t'); // TUPLE
            }
        }
    }
}
