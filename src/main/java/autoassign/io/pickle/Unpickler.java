package autoassign.io.pickle;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle virtual machine (protocols 0–5) that only builds values: it never imports or calls
 * anything a file names. Python values become Java values:
 * <ul>
 *   <li>None → {@code null}, bool → {@link Boolean}, int → {@link Long} (or {@link BigInteger} beyond 64 bits),
 *       float → {@link Double}, str → {@link String}, bytes / bytearray → {@code byte[]}</li>
 *   <li>list → {@link ArrayList}, tuple → {@link PyTuple}, dict / OrderedDict / defaultdict → {@link LinkedHashMap},
 *       set / frozenset → {@link LinkedHashSet}</li>
 *   <li>a class or function reference → {@link PyGlobal}; an instance of any other class → {@link PyObject}</li>
 * </ul>
 * Calls ({@code REDUCE}, {@code NEWOBJ}, ...) of a few known builtins are interpreted here; the
 * {@link Hooks} get first say on every call and on persistent ids (PyTorch storages, tensors).
 * Class references are checked against {@link ClassPolicy}: names that exist to run code
 * ({@code os.system}, {@code builtins.eval}, ...) or unsupported PyTorch internals are refused.
 */
public final class Unpickler {

    /** Extension points for the format built on top of pickle (PyTorch). */
    public interface Hooks {
        /** Resolves a persistent id ({@code PERSID} / {@code BINPERSID}). */
        Object persistentLoad(Object pid);

        /**
         * Interprets a call of {@code callable(*args)}; returns {@link #NOT_HANDLED} to let the
         * unpickler handle it (builtins) or build a generic {@link PyObject}.
         */
        default Object call(PyGlobal callable, PyTuple args) { return NOT_HANDLED; }
    }

    /** Marker a {@link Hooks#call} returns when it does not handle a callable. */
    public static final Object NOT_HANDLED = new Object() {
        @Override public String toString() { return "NOT_HANDLED"; }
    };

    public static final int HIGHEST_PROTOCOL = 5;

    private final byte[] buf;
    private int pos;
    private final int end;
    private final Hooks hooks;
    private final ArrayList<Object> stack = new ArrayList<>();
    private int[] marks = new int[16];
    private int markCount;
    private final Map<Long, Object> memo = new HashMap<>();
    private int protocol;

    /** Reads pickles from {@code buf[start, end)}. */
    public Unpickler(byte[] buf, int start, int end, Hooks hooks) {
        if (start < 0 || end > buf.length || start > end) throw new IllegalArgumentException("bad range");
        this.buf = buf;
        this.pos = start;
        this.end = end;
        this.hooks = hooks;
    }

    public Unpickler(byte[] buf, Hooks hooks) { this(buf, 0, buf.length, hooks); }

    /** Position after the last pickle read (the next pickle or raw data starts here). */
    public int position() { return pos; }

    /** Protocol announced by the last pickle's {@code PROTO} opcode (0 when absent). */
    public int protocol() { return protocol; }

    /** Unpickles one object (up to and including its {@code STOP} opcode). */
    public Object load() {
        stack.clear();
        markCount = 0;
        memo.clear();
        protocol = 0;
        while (true) {
            int opPos = pos;
            int op = u8();
            try {
                if (op == '.') {
                    if (stack.size() != 1 || markCount != 0)
                        throw new PickleException("malformed pickle: STOP with " + stack.size() + " values on the stack");
                    return stack.remove(0);
                }
                step(op);
            } catch (PickleException e) {
                throw e;
            } catch (IndexOutOfBoundsException | ClassCastException | IllegalArgumentException | ArithmeticException e) {
                throw new PickleException("malformed pickle at byte " + opPos + " (opcode " + opName(op) + "): "
                        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
            }
        }
    }

    private static String opName(int op) {
        return op >= 0x20 && op < 0x7f ? "'" + (char) op + "'" : String.format("0x%02x", op);
    }

    // ---------------------------------------------------------------- opcodes

    private void step(int op) {
        switch (op) {
            case 0x80: { // PROTO
                protocol = u8();
                if (protocol > HIGHEST_PROTOCOL) throw new PickleException("unsupported pickle protocol " + protocol);
                break;
            }
            case 0x95: need(8); pos += 8; break; // FRAME: framing is only a read-ahead hint
            case '(': pushMark(); break; // MARK
            case '0': pop(); break; // POP
            case '1': popMark(); break; // POP_MARK
            case '2': push(peek()); break; // DUP
            // --- constants and numbers
            case 'N': push(null); break;
            case 0x88: push(Boolean.TRUE); break;
            case 0x89: push(Boolean.FALSE); break;
            case 'J': push((long) i32()); break; // BININT
            case 'K': push((long) u8()); break; // BININT1
            case 'M': push((long) u16()); break; // BININT2
            case 0x8a: push(longFromBytes(bytes(u8()))); break; // LONG1
            case 0x8b: push(longFromBytes(bytes(nonNegative(i32())))); break; // LONG4
            case 'G': push(beDouble()); break; // BINFLOAT (big-endian)
            case 'I': { // INT (text)
                String s = line();
                if (s.equals("00")) push(Boolean.FALSE);
                else if (s.equals("01")) push(Boolean.TRUE);
                else push(normalize(new BigInteger(s.trim())));
                break;
            }
            case 'L': { // LONG (text)
                String s = line().trim();
                if (s.endsWith("L")) s = s.substring(0, s.length() - 1);
                push(normalize(new BigInteger(s)));
                break;
            }
            case 'F': push(parseFloat(line().trim())); break; // FLOAT (text)
            // --- strings and bytes
            case 'X': push(utf8(bytes(u32()))); break; // BINUNICODE
            case 0x8c: push(utf8(bytes(u8()))); break; // SHORT_BINUNICODE
            case 0x8d: push(utf8(bytes(u64()))); break; // BINUNICODE8
            case 'V': push(rawUnicodeEscape(line(StandardCharsets.ISO_8859_1))); break; // UNICODE (text, raw-unicode-escape)
            case 'T': push(legacyString(bytes(nonNegative(i32())))); break; // BINSTRING
            case 'U': push(legacyString(bytes(u8()))); break; // SHORT_BINSTRING
            case 'S': push(pyStringLiteral(line())); break; // STRING (text, repr-quoted)
            case 'B': push(bytes(u32())); break; // BINBYTES
            case 'C': push(bytes(u8())); break; // SHORT_BINBYTES
            case 0x8e: push(bytes(u64())); break; // BINBYTES8
            case 0x96: push(bytes(u64())); break; // BYTEARRAY8
            case 0x97: throw new PickleException("out-of-band pickle buffers (NEXT_BUFFER) are not supported");
            case 0x98: break; // READONLY_BUFFER: no-op for in-band data
            // --- containers
            case ')': push(PyTuple.EMPTY); break;
            case 't': push(PyTuple.copyOf(popMark())); break;
            case 0x85: push(PyTuple.of(pop())); break;
            case 0x86: { Object b = pop(), a = pop(); push(PyTuple.of(a, b)); break; }
            case 0x87: { Object c = pop(), b = pop(), a = pop(); push(PyTuple.of(a, b, c)); break; }
            case ']': push(new ArrayList<>()); break;
            case 'l': push(new ArrayList<>(popMark())); break;
            case '}': push(new LinkedHashMap<>()); break;
            case 'd': { List<Object> items = popMark(); Map<Object, Object> m = new LinkedHashMap<>(); putPairs(m, items); push(m); break; }
            case 0x8f: push(new LinkedHashSet<>()); break; // EMPTY_SET
            case 0x91: push(new LinkedHashSet<>(popMark())); break; // FROZENSET
            case 'a': { Object v = pop(); append(peek(), java.util.Collections.singletonList(v)); break; } // APPEND
            case 'e': { List<Object> items = popMark(); append(peek(), items); break; } // APPENDS
            case 's': { Object v = pop(), k = pop(); setItems(peek(), Arrays.asList(k, v)); break; } // SETITEM
            case 'u': { List<Object> items = popMark(); setItems(peek(), items); break; } // SETITEMS
            case 0x90: { List<Object> items = popMark(); addItems(peek(), items); break; } // ADDITEMS
            // --- memo
            case 'p': memo.put(Long.parseLong(line().trim()), peek()); break; // PUT
            case 'q': memo.put((long) u8(), peek()); break; // BINPUT
            case 'r': memo.put(u32(), peek()); break; // LONG_BINPUT
            case 0x94: memo.put((long) memo.size(), peek()); break; // MEMOIZE
            case 'g': push(memoGet(Long.parseLong(line().trim()))); break; // GET
            case 'h': push(memoGet(u8())); break; // BINGET
            case 'j': push(memoGet(u32())); break; // LONG_BINGET
            // --- classes, calls and objects
            case 'c': { String module = line(); String name = line(); push(global(module, name)); break; } // GLOBAL
            case 0x93: { // STACK_GLOBAL
                Object name = pop(), module = pop();
                if (!(module instanceof String m) || !(name instanceof String n))
                    throw new PickleException("malformed pickle: STACK_GLOBAL needs two strings");
                push(global(m, n));
                break;
            }
            case 'R': { Object args = pop(); Object callable = pop(); push(call(callable, args, null)); break; } // REDUCE
            case 0x81: { Object args = pop(); Object cls = pop(); push(call(cls, args, null)); break; } // NEWOBJ
            case 0x92: { Object kwargs = pop(); Object args = pop(); Object cls = pop(); push(call(cls, args, kwargs)); break; } // NEWOBJ_EX
            case 'b': { Object state = pop(); build(peek(), state); break; } // BUILD
            case 'i': { // INST
                String module = line(); String name = line();
                PyGlobal cls = global(module, name);
                push(call(cls, PyTuple.copyOf(popMark()), null));
                break;
            }
            case 'o': { // OBJ
                List<Object> items = popMark();
                if (items.isEmpty()) throw new PickleException("malformed pickle: OBJ without a class");
                push(call(items.get(0), PyTuple.copyOf(items.subList(1, items.size())), null));
                break;
            }
            case 'P': push(persistent(line())); break; // PERSID
            case 'Q': push(persistent(pop())); break; // BINPERSID
            case 0x82: case 0x83: case 0x84:
                throw new PickleException("unsupported pickle opcode " + opName(op) + " (copyreg extension registry)");
            default:
                throw new PickleException("unsupported pickle opcode " + opName(op) + " at byte " + (pos - 1));
        }
    }

    // ---------------------------------------------------------------- semantics

    private PyGlobal global(String module, String name) {
        ClassPolicy.check(module, name);
        return new PyGlobal(module, name);
    }

    private Object persistent(Object pid) {
        if (hooks == null) throw new PickleException("persistent id in a pickle that should not have any");
        return hooks.persistentLoad(pid);
    }

    private Object call(Object callable, Object argsObj, Object kwargsObj) {
        if (!(callable instanceof PyGlobal g))
            throw new PickleException("malformed pickle: call of a " + typeName(callable) + ", not of a class or function");
        if (!(argsObj instanceof PyTuple args))
            throw new PickleException("malformed pickle: arguments of " + g + " are a " + typeName(argsObj) + ", not a tuple");
        if (hooks != null) {
            Object r = hooks.call(g, args);
            if (r != NOT_HANDLED) return r;
        }
        String m = g.module(), n = g.name();
        if (m.equals("collections") && (n.equals("OrderedDict") || n.equals("defaultdict"))) {
            Map<Object, Object> map = new LinkedHashMap<>();
            if (n.equals("OrderedDict") && !args.isEmpty() && args.get(0) != null) putPairsIterable(map, args.get(0));
            return map;
        }
        if (m.equals("builtins") || m.equals("__builtin__")) {
            switch (n) {
                case "set": case "frozenset": {
                    Set<Object> s = new LinkedHashSet<>();
                    if (!args.isEmpty()) s.addAll(asCollection(args.get(0)));
                    return s;
                }
                case "list": return args.isEmpty() ? new ArrayList<>() : new ArrayList<>(asCollection(args.get(0)));
                case "tuple": return args.isEmpty() ? PyTuple.EMPTY : PyTuple.copyOf(new ArrayList<>(asCollection(args.get(0))));
                case "dict": {
                    Map<Object, Object> map = new LinkedHashMap<>();
                    if (!args.isEmpty() && args.get(0) != null) putPairsIterable(map, args.get(0));
                    return map;
                }
                case "bytearray": case "bytes": {
                    if (args.isEmpty()) return new byte[0];
                    if (args.get(0) instanceof byte[] b) return b;
                    if (args.get(0) instanceof String s) return encode(s, args.size() > 1 ? String.valueOf(args.get(1)) : "latin1");
                    if (args.get(0) instanceof List<?> l) return bytesOf(l);
                    break;
                }
                default: break; // object, complex, slice, ...: generic
            }
        }
        if (m.equals("_codecs") && n.equals("encode")) {
            if (args.size() >= 1 && args.get(0) instanceof String s)
                return encode(s, args.size() > 1 ? String.valueOf(args.get(1)) : "utf-8");
            throw new PickleException("malformed pickle: _codecs.encode needs a string");
        }
        if ((m.equals("copyreg") || m.equals("copy_reg")) && n.equals("_reconstructor")) {
            if (args.isEmpty() || !(args.get(0) instanceof PyGlobal cls))
                throw new PickleException("malformed pickle: copyreg._reconstructor needs a class");
            Object base = args.size() > 1 ? args.get(1) : null;
            if (base instanceof PyGlobal b && (b.name().equals("dict")) && cls.module().equals("collections"))
                return new LinkedHashMap<>();
            return new PyObject(cls, List.of(), null);
        }
        if (m.equals("torch") && n.equals("Size")) {
            return args.isEmpty() ? PyTuple.EMPTY : PyTuple.copyOf(new ArrayList<>(asCollection(args.get(0))));
        }
        @SuppressWarnings("unchecked")
        Map<Object, Object> kw = kwargsObj instanceof Map<?, ?> km ? (Map<Object, Object>) km : null;
        return new PyObject(g, args, kw);
    }

    private void build(Object obj, Object state) {
        // A generic object keeps its state; on anything else (containers, tensors built by the hooks)
        // the state holds attributes (e.g. an OrderedDict's _metadata) that are not part of the value.
        if (obj instanceof PyObject o) o.setState(state);
    }

    @SuppressWarnings("unchecked")
    private void append(Object target, List<Object> items) {
        if (target instanceof PyTuple) throw new PickleException("malformed pickle: append to a tuple");
        if (target instanceof List<?> l) ((List<Object>) l).addAll(items);
        else if (target instanceof PyObject o) o.listItems().addAll(items);
        else throw new PickleException("malformed pickle: append to a " + typeName(target));
    }

    @SuppressWarnings("unchecked")
    private void setItems(Object target, List<Object> items) {
        if (target instanceof Map<?, ?> m) putPairs((Map<Object, Object>) m, items);
        else if (target instanceof PyObject o) putPairs(o.dictItems(), items);
        else throw new PickleException("malformed pickle: setitem on a " + typeName(target));
    }

    @SuppressWarnings("unchecked")
    private void addItems(Object target, List<Object> items) {
        if (target instanceof Set<?> s) ((Set<Object>) s).addAll(items);
        else if (target instanceof PyObject o) o.listItems().addAll(items);
        else throw new PickleException("malformed pickle: add to a " + typeName(target));
    }

    private static void putPairs(Map<Object, Object> m, List<Object> items) {
        if (items.size() % 2 != 0) throw new PickleException("malformed pickle: odd number of dict items");
        for (int i = 0; i < items.size(); i += 2) m.put(items.get(i), items.get(i + 1));
    }

    private static void putPairsIterable(Map<Object, Object> m, Object pairs) {
        if (pairs instanceof Map<?, ?> src) { m.putAll(src); return; }
        for (Object p : asCollection(pairs)) {
            if (!(p instanceof List<?> kv) || kv.size() != 2) throw new PickleException("malformed pickle: dict item is not a pair");
            m.put(kv.get(0), kv.get(1));
        }
    }

    private static Collection<?> asCollection(Object o) {
        if (o instanceof Collection<?> c) return c;
        if (o instanceof Map<?, ?> m) return m.keySet();
        throw new PickleException("malformed pickle: expected a sequence, got a " + typeName(o));
    }

    private static byte[] bytesOf(List<?> l) {
        byte[] b = new byte[l.size()];
        for (int i = 0; i < b.length; i++) b[i] = (byte) ((Number) l.get(i)).intValue();
        return b;
    }

    private static byte[] encode(String s, String encoding) {
        String e = encoding.toLowerCase().replace('_', '-');
        if (e.equals("latin1") || e.equals("latin-1") || e.equals("iso-8859-1")) {
            byte[] b = new byte[s.length()];
            for (int i = 0; i < b.length; i++) {
                char c = s.charAt(i);
                if (c > 0xff) throw new PickleException("malformed pickle: latin-1 bytes with a character above 255");
                b[i] = (byte) c;
            }
            return b;
        }
        if (e.equals("utf-8") || e.equals("utf8")) return s.getBytes(StandardCharsets.UTF_8);
        if (e.equals("ascii")) return s.getBytes(StandardCharsets.US_ASCII);
        throw new PickleException("unsupported text encoding '" + encoding + "' in pickle");
    }

    public static String typeName(Object o) {
        if (o == null) return "None";
        if (o instanceof PyObject p) return p.className() + " object";
        if (o instanceof PyTuple) return "tuple";
        if (o instanceof List<?>) return "list";
        if (o instanceof Map<?, ?>) return "dict";
        if (o instanceof String) return "str";
        if (o instanceof byte[]) return "bytes";
        return o.getClass().getSimpleName();
    }

    // ---------------------------------------------------------------- stack

    private void push(Object o) { stack.add(o); }

    private Object pop() {
        int floor = markCount > 0 ? marks[markCount - 1] : 0;
        if (stack.size() <= floor) throw new PickleException("malformed pickle: stack underflow");
        return stack.remove(stack.size() - 1);
    }

    private Object peek() {
        int floor = markCount > 0 ? marks[markCount - 1] : 0;
        if (stack.size() <= floor) throw new PickleException("malformed pickle: stack underflow");
        return stack.get(stack.size() - 1);
    }

    private void pushMark() {
        if (markCount == marks.length) marks = Arrays.copyOf(marks, marks.length * 2);
        marks[markCount++] = stack.size();
    }

    private List<Object> popMark() {
        if (markCount == 0) throw new PickleException("malformed pickle: no MARK on the stack");
        int at = marks[--markCount];
        List<Object> sub = stack.subList(at, stack.size());
        List<Object> items = new ArrayList<>(sub);
        sub.clear();
        return items;
    }

    private Object memoGet(long key) {
        if (!memo.containsKey(key)) throw new PickleException("malformed pickle: memo key " + key + " not defined");
        return memo.get(key);
    }

    // ---------------------------------------------------------------- reading

    private void need(long n) {
        if (n < 0 || n > end - pos) throw new PickleException("truncated pickle data (needs " + n + " bytes at byte " + pos
                + ", " + (end - pos) + " left)");
    }

    private int u8() { need(1); return buf[pos++] & 0xff; }

    private int u16() { need(2); int v = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8; pos += 2; return v; }

    private int i32() {
        need(4);
        int v = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8 | (buf[pos + 2] & 0xff) << 16 | (buf[pos + 3] & 0xff) << 24;
        pos += 4;
        return v;
    }

    private long u32() { return i32() & 0xffffffffL; }

    private long u64() {
        need(8);
        long v = 0;
        for (int i = 7; i >= 0; i--) v = v << 8 | (buf[pos + i] & 0xff);
        pos += 8;
        if (v < 0) throw new PickleException("truncated pickle data (length " + Long.toUnsignedString(v) + ")");
        return v;
    }

    private double beDouble() {
        need(8);
        double v = java.nio.ByteBuffer.wrap(buf, pos, 8).getDouble(); // ByteBuffer reads big-endian by default
        pos += 8;
        return v;
    }

    private static int nonNegative(int n) {
        if (n < 0) throw new PickleException("malformed pickle: negative length " + n);
        return n;
    }

    private byte[] bytes(long n) {
        need(n);
        byte[] b = Arrays.copyOfRange(buf, pos, pos + (int) n);
        pos += (int) n;
        return b;
    }

    private String line() { return line(StandardCharsets.UTF_8); }

    private String line(java.nio.charset.Charset cs) {
        int start = pos;
        while (pos < end && buf[pos] != '\n') pos++;
        if (pos >= end) throw new PickleException("truncated pickle data (unterminated text line at byte " + start + ")");
        String s = new String(buf, start, pos - start, cs);
        pos++;
        return s;
    }

    // ---------------------------------------------------------------- decoding helpers

    private static Object longFromBytes(byte[] le) {
        if (le.length == 0) return 0L;
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) be[i] = le[le.length - 1 - i];
        return normalize(new BigInteger(be));
    }

    private static Object normalize(BigInteger b) { return b.bitLength() < 64 ? (Object) b.longValue() : b; }

    private static Double parseFloat(String s) {
        switch (s.toLowerCase()) {
            case "nan": return Double.NaN;
            case "inf": return Double.POSITIVE_INFINITY;
            case "-inf": return Double.NEGATIVE_INFINITY;
            default: return Double.parseDouble(s);
        }
    }

    private static String utf8(byte[] b) {
        // Python allows lone surrogates ("surrogatepass"); the JDK decoder replaces them, which is fine for names
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Python 2 str in a pickle: decoded as UTF-8 when valid, else latin-1 (PyTorch loads with encoding='utf-8'). */
    private static String legacyString(byte[] b) {
        var dec = StandardCharsets.UTF_8.newDecoder();
        try {
            return dec.decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return new String(b, StandardCharsets.ISO_8859_1);
        }
    }

    private static String rawUnicodeEscape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && (s.charAt(i + 1) == 'u' || s.charAt(i + 1) == 'U')) {
                int len = s.charAt(i + 1) == 'u' ? 4 : 8;
                if (i + 2 + len > s.length()) throw new PickleException("malformed pickle: bad \\u escape");
                sb.appendCodePoint(Integer.parseInt(s.substring(i + 2, i + 2 + len), 16));
                i += 1 + len;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Parses the repr of a Python 2 str ({@code 'abc'} or {@code "abc"} with backslash escapes). */
    private static String pyStringLiteral(String s) {
        s = s.strip();
        if (s.length() < 2 || (s.charAt(0) != '\'' && s.charAt(0) != '"') || s.charAt(s.length() - 1) != s.charAt(0))
            throw new PickleException("malformed pickle: STRING argument is not quoted");
        String body = s.substring(1, s.length() - 1);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c != '\\') {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
                continue;
            }
            if (++i >= body.length()) throw new PickleException("malformed pickle: dangling backslash in STRING");
            char e = body.charAt(i);
            switch (e) {
                case 'n': out.write('\n'); break;
                case 't': out.write('\t'); break;
                case 'r': out.write('\r'); break;
                case '0': out.write(0); break;
                case 'x': out.write(Integer.parseInt(body.substring(i + 1, i + 3), 16)); i += 2; break;
                default: out.write(e); break;
            }
        }
        return legacyString(out.toByteArray());
    }
}
