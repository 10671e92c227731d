package autoassign.io.pickle;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Pickler}'s pickles read back by {@link Unpickler} as the values written, and a few exact byte forms. */
class PicklerTest {

    private static Object roundTrip(Object v) {
        return new Unpickler(Pickler.dumps(v, null), null).load();
    }

    @Test
    void scalarsRoundTrip() {
        List<Object> ints = List.of(0L, 1L, 255L, 256L, 65535L, 65536L, -1L, -256L, (long) Integer.MAX_VALUE,
                (long) Integer.MIN_VALUE, Integer.MAX_VALUE + 1L, Integer.MIN_VALUE - 1L, Long.MAX_VALUE, Long.MIN_VALUE);
        for (Object v : ints) assertEquals(v, roundTrip(v), "int " + v);
        assertEquals(12L, roundTrip(12), "an Integer is a Python int");
        BigInteger big = BigInteger.TWO.pow(100);
        assertEquals(big, roundTrip(big));
        assertEquals(big.negate(), roundTrip(big.negate()));
        assertEquals(5L, roundTrip(BigInteger.valueOf(5)), "small BigIntegers are ints like any other");
        for (double d : new double[] {0.0, -0.0, 1.5, -3.25e-300, Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NaN})
            assertEquals(Double.doubleToRawLongBits(d), Double.doubleToRawLongBits((Double) roundTrip(d)), "float " + d);
        assertEquals(0.1f, ((Double) roundTrip(0.1f)).floatValue());
        for (String s : List.of("", "person", "traffic light", "ünïcødé ✓ 🚲")) assertEquals(s, roundTrip(s));
        assertEquals(Boolean.TRUE, roundTrip(true));
        assertEquals(Boolean.FALSE, roundTrip(false));
        assertEquals(null, roundTrip(null));
    }

    @Test
    void containersRoundTripInOrder() {
        for (int n = 0; n <= 5; n++) {
            Object[] items = new Object[n];
            for (int i = 0; i < n; i++) items[i] = "t" + i;
            Object back = roundTrip(PyTuple.of(items));
            assertInstanceOf(PyTuple.class, back, "a tuple of " + n);
            assertArrayEquals(items, ((PyTuple) back).toArray());
        }
        List<Object> list = new ArrayList<>();
        Map<Object, Object> dict = new LinkedHashMap<>();
        for (int i = 0; i < 2500; i++) { // more than one APPENDS / SETITEMS batch
            list.add((long) i);
            dict.put("k" + (2500 - i), (long) i);
        }
        Object l = roundTrip(list);
        assertInstanceOf(ArrayList.class, l);
        assertEquals(list, l);
        Object d = roundTrip(dict);
        assertEquals(List.copyOf(dict.keySet()), List.copyOf(((Map<?, ?>) d).keySet()), "dict order kept");
        assertEquals(dict, d);
        assertEquals(Map.of(), roundTrip(Map.of()));
        assertEquals(dict, roundTrip(new PyOrderedDict(dict)));
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("meta", Map.of("dataset_meta", Map.of("classes", PyTuple.of("a", "b"))));
        nested.put("list", List.of(PyTuple.of(1L, 2.5, "x"), List.of()));
        assertEquals(nested, roundTrip(nested));
    }

    @Test
    void exactOpcodesOfSmallValues() {
        // as Python writes them (pickle.dumps(v, 2) without the memo): PROTO 2, value, STOP
        assertArrayEquals(new byte[] {(byte) 0x80, 2, 'K', 7, '.'}, Pickler.dumps(7L, null));
        assertArrayEquals(new byte[] {(byte) 0x80, 2, 'M', 0, 1, '.'}, Pickler.dumps(256L, null));
        assertArrayEquals(new byte[] {(byte) 0x80, 2, 'J', -1, -1, -1, -1, '.'}, Pickler.dumps(-1L, null));
        assertArrayEquals(new byte[] {(byte) 0x80, 2, (byte) 0x8a, 5, 0, 0, 0, 0, 1, '.'}, Pickler.dumps(1L << 32, null));
        assertArrayEquals(new byte[] {(byte) 0x80, 2, 'X', 1, 0, 0, 0, 'a', 'K', 1, (byte) 0x86, '.'},
                Pickler.dumps(PyTuple.of("a", 1L), null));
        assertArrayEquals(new byte[] {(byte) 0x80, 2, 'c', 'c', 'o', 'l', 'l', 'e', 'c', 't', 'i', 'o', 'n', 's', '\n',
                'O', 'r', 'd', 'e', 'r', 'e', 'd', 'D', 'i', 'c', 't', '\n', ')', 'R', '.'}, Pickler.dumps(new PyOrderedDict(Map.of()), null));
    }

    @Test
    void callsAndPersistentIdsAreWhatTheLoaderSees() {
        List<Object> seen = new ArrayList<>();
        Object pid = PyTuple.of("storage", new PyGlobal("torch", "FloatStorage"), "0", "cpu", 6L);
        byte[] p = Pickler.dumps(new Pickler.Call(new PyGlobal("torch._utils", "_rebuild_tensor_v2"),
                PyTuple.of(new Pickler.PersistentId(pid), 0L)), null);
        Object v = new Unpickler(p, new Unpickler.Hooks() {
            @Override public Object persistentLoad(Object id) {
                seen.add(id);
                return "storage-0";
            }

            @Override public Object call(PyGlobal callable, PyTuple args) {
                return callable.qualifiedName() + args;
            }
        }).load();
        assertEquals(List.of(pid), seen);
        assertEquals("torch._utils._rebuild_tensor_v2[storage-0, 0]", v);
    }

    @Test
    void extensionReplacesUnknownValuesAndOthersAreRefused() {
        Object v = new Unpickler(Pickler.dumps(List.of(new StringBuilder("sb")), o -> o instanceof StringBuilder sb ? sb.toString() : null), null).load();
        assertEquals(List.of("sb"), v);
        PickleException e = assertThrows(PickleException.class, () -> Pickler.dumps(Map.of("x", new Object()), null));
        assertTrue(e.getMessage().contains("java.lang.Object"), e.getMessage());
        List<Object> deep = new ArrayList<>();
        List<Object> cur = deep;
        for (int i = 0; i < 300; i++) {
            List<Object> next = new ArrayList<>();
            cur.add(next);
            cur = next;
        }
        assertThrows(PickleException.class, () -> Pickler.dumps(deep, null));
    }
}
