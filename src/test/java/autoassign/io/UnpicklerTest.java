package autoassign.io;

import autoassign.io.pickle.PickleException;
import autoassign.io.pickle.PyObject;
import autoassign.io.pickle.PyTuple;
import autoassign.io.pickle.Unpickler;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnpicklerTest {
    /**
     * CPython 3.11 {@code pickle.dumps(obj, protocol=p)} for p = 0..5 of
     * <pre>
     * lst = [1, 2]
     * obj = {'s': 'héllo ✓', 'i': [0, 255, 256, 65535, 65536, -1, -2**31, 2**31, 2**63-1, -2**63, 2**70, -2**70],
     *        'f': [1.5, -0.0, 1e300], 't': (1, (2, 3), ()), 'b': [True, False, None], 'by': b'\x00\xff\x10',
     *        'od': OrderedDict([('z', 1), ('a', 2)]), 'set': {7}, 'fs': frozenset([8]), 'ba': bytearray(b'ab'),
     *        'shared': [lst, lst]}
     * </pre>
     */
    static final String[] PICKLES = {
        "KGRwMApWcwpwMQpWaOlsbG8gXHUyNzEzCnAyCnNWaQpwMwoobHA0CkkwCmFJMjU1CmFJMjU2CmFJNjU1MzUKYUk2NTUzNgphSS0xCmFJLTIxNDc0ODM2NDgKYUwyMTQ3NDgzNjQ4TAphTDkyMjMzNzIwMzY4NTQ3NzU4MDdMCmFMLTkyMjMzNzIwMzY4NTQ3NzU4MDhMCmFMMTE4MDU5MTYyMDcxNzQxMTMwMzQyNEwKYUwtMTE4MDU5MTYyMDcxNzQxMTMwMzQyNEwKYXNWZgpwNQoobHA2CkYxLjUKYUYtMC4wCmFGMWUrMzAwCmFzVnQKcDcKKEkxCihJMgpJMwp0cDgKKHR0cDkKc1ZiCnAxMAoobHAxMQpJMDEKYUkwMAphTmFzVmJ5CnAxMgpjX2NvZGVjcwplbmNvZGUKcDEzCihWXHUwMDAw/xAKcDE0ClZsYXRpbjEKcDE1CnRwMTYKUnAxNwpzVm9kCnAxOApjY29sbGVjdGlvbnMKT3JkZXJlZERpY3QKcDE5Cih0UnAyMApWegpwMjEKSTEKc1ZhCnAyMgpJMgpzc1ZzZXQKcDIzCmNfX2J1aWx0aW5fXwpzZXQKcDI0CigobHAyNQpJNwphdHAyNgpScDI3CnNWZnMKcDI4CmNfX2J1aWx0aW5fXwpmcm96ZW5zZXQKcDI5CigobHAzMApJOAphdHAzMQpScDMyCnNWYmEKcDMzCmNfX2J1aWx0aW5fXwpieXRlYXJyYXkKcDM0CihnMTMKKFZhYgpwMzUKZzE1CnRwMzYKUnAzNwp0cDM4ClJwMzkKc1ZzaGFyZWQKcDQwCihscDQxCihscDQyCkkxCmFJMgphYWc0Mgphcy4=",
        "fXEAKFgBAAAAc3EBWAoAAABow6lsbG8g4pyTcQJYAQAAAGlxA11xBChLAEv/TQABTf//SgAAAQBK/////0oAAACATDIxNDc0ODM2NDhMCkw5MjIzMzcyMDM2ODU0Nzc1ODA3TApMLTkyMjMzNzIwMzY4NTQ3NzU4MDhMCkwxMTgwNTkxNjIwNzE3NDExMzAzNDI0TApMLTExODA1OTE2MjA3MTc0MTEzMDM0MjRMCmVYAQAAAGZxBV1xBihHP/gAAAAAAABHgAAAAAAAAABHfjfkPIgAdZxlWAEAAAB0cQcoSwEoSwJLA3RxCCl0cQlYAQAAAGJxCl1xCyhJMDEKSTAwCk5lWAIAAABieXEMY19jb2RlY3MKZW5jb2RlCnENKFgEAAAAAMO/EHEOWAYAAABsYXRpbjFxD3RxEFJxEVgCAAAAb2RxEmNjb2xsZWN0aW9ucwpPcmRlcmVkRGljdApxEylScRQoWAEAAAB6cRVLAVgBAAAAYXEWSwJ1WAMAAABzZXRxF2NfX2J1aWx0aW5fXwpzZXQKcRgoXXEZSwdhdHEaUnEbWAIAAABmc3EcY19fYnVpbHRpbl9fCmZyb3plbnNldApxHShdcR5LCGF0cR9ScSBYAgAAAGJhcSFjX19idWlsdGluX18KYnl0ZWFycmF5CnEiKGgNKFgCAAAAYWJxI2gPdHEkUnEldHEmUnEnWAYAAABzaGFyZWRxKF1xKShdcSooSwFLAmVoKmV1Lg==",
        "gAJ9cQAoWAEAAABzcQFYCgAAAGjDqWxsbyDinJNxAlgBAAAAaXEDXXEEKEsAS/9NAAFN//9KAAABAEr/////SgAAAICKBQAAAIAAigj/////////f4oIAAAAAAAAAICKCQAAAAAAAAAAQIoJAAAAAAAAAADAZVgBAAAAZnEFXXEGKEc/+AAAAAAAAEeAAAAAAAAAAEd+N+Q8iAB1nGVYAQAAAHRxB0sBSwJLA4ZxCCmHcQlYAQAAAGJxCl1xCyiIiU5lWAIAAABieXEMY19jb2RlY3MKZW5jb2RlCnENWAQAAAAAw78QcQ5YBgAAAGxhdGluMXEPhnEQUnERWAIAAABvZHESY2NvbGxlY3Rpb25zCk9yZGVyZWREaWN0CnETKVJxFChYAQAAAHpxFUsBWAEAAABhcRZLAnVYAwAAAHNldHEXY19fYnVpbHRpbl9fCnNldApxGF1xGUsHYYVxGlJxG1gCAAAAZnNxHGNfX2J1aWx0aW5fXwpmcm96ZW5zZXQKcR1dcR5LCGGFcR9ScSBYAgAAAGJhcSFjX19idWlsdGluX18KYnl0ZWFycmF5CnEiaA1YAgAAAGFicSNoD4ZxJFJxJYVxJlJxJ1gGAAAAc2hhcmVkcShdcSkoXXEqKEsBSwJlaCpldS4=",
        "gAN9cQAoWAEAAABzcQFYCgAAAGjDqWxsbyDinJNxAlgBAAAAaXEDXXEEKEsAS/9NAAFN//9KAAABAEr/////SgAAAICKBQAAAIAAigj/////////f4oIAAAAAAAAAICKCQAAAAAAAAAAQIoJAAAAAAAAAADAZVgBAAAAZnEFXXEGKEc/+AAAAAAAAEeAAAAAAAAAAEd+N+Q8iAB1nGVYAQAAAHRxB0sBSwJLA4ZxCCmHcQlYAQAAAGJxCl1xCyiIiU5lWAIAAABieXEMQwMA/xBxDVgCAAAAb2RxDmNjb2xsZWN0aW9ucwpPcmRlcmVkRGljdApxDylScRAoWAEAAAB6cRFLAVgBAAAAYXESSwJ1WAMAAABzZXRxE2NidWlsdGlucwpzZXQKcRRdcRVLB2GFcRZScRdYAgAAAGZzcRhjYnVpbHRpbnMKZnJvemVuc2V0CnEZXXEaSwhhhXEbUnEcWAIAAABiYXEdY2J1aWx0aW5zCmJ5dGVhcnJheQpxHkMCYWJxH4VxIFJxIVgGAAAAc2hhcmVkcSJdcSMoXXEkKEsBSwJlaCRldS4=",
        "gASVOAEAAAAAAAB9lCiMAXOUjApow6lsbG8g4pyTlIwBaZRdlChLAEv/TQABTf//SgAAAQBK/////0oAAACAigUAAACAAIoI/////////3+KCAAAAAAAAACAigkAAAAAAAAAAECKCQAAAAAAAAAAwGWMAWaUXZQoRz/4AAAAAAAAR4AAAAAAAAAAR3435DyIAHWcZYwBdJRLAUsCSwOGlCmHlIwBYpRdlCiIiU5ljAJieZRDAwD/EJSMAm9klIwLY29sbGVjdGlvbnOUjAtPcmRlcmVkRGljdJSTlClSlCiMAXqUSwGMAWGUSwJ1jANzZXSUj5QoSweQjAJmc5QoSwiRlIwCYmGUjAhidWlsdGluc5SMCWJ5dGVhcnJheZSTlEMCYWKUhZRSlIwGc2hhcmVklF2UKF2UKEsBSwJlaCJldS4=",
        "gAWVIgEAAAAAAAB9lCiMAXOUjApow6lsbG8g4pyTlIwBaZRdlChLAEv/TQABTf//SgAAAQBK/////0oAAACAigUAAACAAIoI/////////3+KCAAAAAAAAACAigkAAAAAAAAAAECKCQAAAAAAAAAAwGWMAWaUXZQoRz/4AAAAAAAAR4AAAAAAAAAAR3435DyIAHWcZYwBdJRLAUsCSwOGlCmHlIwBYpRdlCiIiU5ljAJieZRDAwD/EJSMAm9klIwLY29sbGVjdGlvbnOUjAtPcmRlcmVkRGljdJSTlClSlCiMAXqUSwGMAWGUSwJ1jANzZXSUj5QoSweQjAJmc5QoSwiRlIwCYmGUlgIAAAAAAAAAYWKUjAZzaGFyZWSUXZQoXZQoSwFLAmVoHWV1Lg==",
    };

    static Object load(byte[] b) { return new Unpickler(b, null).load(); }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {0, 1, 2, 3, 4, 5})
    void readsEveryValueKindOfEveryProtocol(int protocol) {
        Object o = load(Base64.getDecoder().decode(PICKLES[protocol]));
        Map<?, ?> m = assertInstanceOf(Map.class, o);
        assertEquals(List.of("s", "i", "f", "t", "b", "by", "od", "set", "fs", "ba", "shared"), List.copyOf(m.keySet()));
        assertEquals("héllo ✓", m.get("s"));
        BigInteger two70 = BigInteger.TWO.pow(70);
        assertEquals(List.of(0L, 255L, 256L, 65535L, 65536L, -1L, (long) Integer.MIN_VALUE, 1L << 31, Long.MAX_VALUE, Long.MIN_VALUE,
                two70, two70.negate()), m.get("i"));
        List<?> f = (List<?>) m.get("f");
        assertEquals(1.5, f.get(0));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits((Double) f.get(1)));
        assertEquals(1e300, f.get(2));
        Object t = m.get("t");
        assertInstanceOf(PyTuple.class, t);
        assertEquals(List.of(1L, List.of(2L, 3L), List.of()), t);
        assertInstanceOf(PyTuple.class, ((List<?>) t).get(1));
        assertEquals(java.util.Arrays.asList(true, false, null), m.get("b"));
        assertArrayEquals(new byte[]{0, (byte) 0xff, 0x10}, (byte[]) m.get("by"));
        assertEquals(List.of("z", "a"), List.copyOf(((Map<?, ?>) m.get("od")).keySet()));
        assertEquals(Set.of(7L), m.get("set"));
        assertInstanceOf(LinkedHashSet.class, m.get("fs"));
        assertEquals(Set.of(8L), m.get("fs"));
        assertArrayEquals("ab".getBytes(StandardCharsets.US_ASCII), (byte[]) m.get("ba"));
        List<?> shared = (List<?>) m.get("shared");
        assertSame(shared.get(0), shared.get(1), "memoised objects stay shared");
        assertEquals(List.of(1L, 2L), shared.get(0));
    }

    @Test
    void unknownClassesBecomeGenericObjects() {
        // pickle.dumps(HistoryBuffer-like object, protocol=2): NEWOBJ + BUILD state, plus a dict subclass with SETITEMS
        PickleBuilder p = new PickleBuilder().proto(2);
        p.op(']').mark();
        p.global("mmengine.logging.history_buffer", "HistoryBuffer").op(')', 0x81)
                .op('}').mark().str("_max_length").integer(100).str("_log_history").mark().integer(1).integer(2).op('l').op('u')
                .op('b');
        p.global("mmengine.config.config", "ConfigDict").op(')', 0x81).mark().str("lr").integer(2).op('u');
        p.op('e').stop();
        List<?> l = (List<?>) load(p.bytes());
        PyObject hb = assertInstanceOf(PyObject.class, l.get(0));
        assertEquals("mmengine.logging.history_buffer.HistoryBuffer", hb.className());
        assertEquals(Map.of("_max_length", 100L, "_log_history", List.of(1L, 2L)), hb.state());
        PyObject cd = assertInstanceOf(PyObject.class, l.get(1));
        assertEquals(Map.of("lr", 2L), cd.dictItems());
        assertEquals("[{\"__class__\":\"mmengine.logging.history_buffer.HistoryBuffer\",\"state\":{\"_max_length\":100,\"_log_history\":[1,2]}},"
                + "{\"__class__\":\"mmengine.config.config.ConfigDict\",\"dict\":{\"lr\":2}}]", TensorTree.toJsonText(l));
    }

    @ParameterizedTest
    @ValueSource(strings = {"os system", "posix system", "builtins eval", "__builtin__ exec", "subprocess Popen", "builtins getattr",
            "torch._utils _rebuild_qtensor", "torch load", "numpy load", "nt system", "importlib import_module"})
    void refusesClassesOutsideTheSupportedSet(String global) {
        String[] mn = global.split(" ");
        byte[] b = new PickleBuilder().proto(2).global(mn[0], mn[1]).mark().str("echo hi").op('t', 'R').stop().bytes();
        PickleException e = assertThrows(PickleException.class, () -> load(b));
        assertEquals("unsupported pickle class " + mn[0] + "." + mn[1], e.getMessage());
    }

    @Test
    void stackGlobalIsCheckedToo() {
        byte[] b = new PickleBuilder().proto(4).str("os").str("system").op(0x93).stop().bytes();
        assertEquals("unsupported pickle class os.system", assertThrows(PickleException.class, () -> load(b)).getMessage());
    }

    @Test
    void refusesUnknownOpcodes() {
        PickleException e = assertThrows(PickleException.class, () -> load(new byte[]{(byte) 0x80, 2, (byte) 0xff, '.'}));
        assertTrue(e.getMessage().startsWith("unsupported pickle opcode 0xff"), e.getMessage());
        e = assertThrows(PickleException.class, () -> load(new byte[]{(byte) 0x80, 2, (byte) 0x82, 1, '.'}));
        assertTrue(e.getMessage().startsWith("unsupported pickle opcode 0x82"), e.getMessage());
        e = assertThrows(PickleException.class, () -> load(new byte[]{(byte) 0x80, 5, (byte) 0x97, '.'}));
        assertTrue(e.getMessage().contains("NEXT_BUFFER"), e.getMessage());
        e = assertThrows(PickleException.class, () -> load(new byte[]{(byte) 0x80, 6, 'N', '.'}));
        assertEquals("unsupported pickle protocol 6", e.getMessage());
    }

    @Test
    void reportsTruncationAndMalformedStreams() {
        byte[] full = Base64.getDecoder().decode(PICKLES[2]);
        for (int cut : new int[]{1, 2, 10, full.length / 2, full.length - 1}) {
            PickleException e = assertThrows(PickleException.class, () -> load(java.util.Arrays.copyOf(full, cut)));
            assertTrue(e.getMessage().contains("truncated"), cut + ": " + e.getMessage());
        }
        assertThrows(PickleException.class, () -> load(new byte[]{'h', 5, '.'})); // memo key never defined
        assertThrows(PickleException.class, () -> load(new byte[]{'0', '.'})); // pop from an empty stack
        assertThrows(PickleException.class, () -> load(new byte[]{'N', 'N', '.'})); // two values left at STOP
        assertThrows(PickleException.class, () -> load(new byte[]{'X', (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, '.'})); // huge length
    }

    @Test
    void noneIsNull() {
        assertNull(load(new byte[]{(byte) 0x80, 2, 'N', '.'}));
    }
}
