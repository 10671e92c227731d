package autoassign.eval;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link PyFloat#repr(double, String)} (repr from a source text) equals {@link PyFloat#repr(double)} on any text;
 * {@link PyFloat#parse} is Python's {@code float(str)} (cases printed by Python 3.11).
 */
class PyFloatTextReprTest {
    private static void same(String text) {
        double x = Double.parseDouble(text);
        assertEquals(PyFloat.repr(x), PyFloat.repr(x, text), text);
    }

    @Test
    void fastPathAgreesWithTheSearch() {
        for (String t : new String[] {"1.0", "100.0", "1e5", "1E-5", "0.10", "-0.0001", "702.1057499999998", "0.1", "1e16", "1e15",
                "123456789012345.0", "1234567890123456.0", "12345678901234567", "0.000012300", "-5e-324", "2.2250738585072014e-308",
                "1.7976931348623157e308", "9007199254740993.0", "0.30000000000000004", "1.5e+2", "000.5e1".substring(2)}) {
            same(t);
        }
        Random r = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            int digits = 1 + r.nextInt(18);
            StringBuilder s = new StringBuilder(r.nextBoolean() ? "-" : "");
            int point = r.nextInt(digits + 1);
            for (int d = 0; d < digits; d++) {
                if (d == point) s.append(d == 0 ? "0." : ".");
                s.append((char) ('0' + r.nextInt(10)));
            }
            if (r.nextInt(3) == 0) s.append(r.nextBoolean() ? 'e' : 'E').append(r.nextBoolean() ? "-" : r.nextBoolean() ? "+" : "").append(r.nextInt(330));
            String t = s.toString();
            if (t.matches("-?0\\d.*")) continue; // not a JSON number
            same(t);
        }
        for (int i = 0; i < 3_000; i++) { // Python-written texts: repr of random doubles
            double x = Double.longBitsToDouble(r.nextLong());
            if (!Double.isFinite(x)) continue;
            same(PyFloat.repr(x));
            same(PyFloat.repr(Math.round(x * 100) / 100.0 + 0.0));
        }
    }

    @Test
    void parsesAsPythonsFloat() {
        String[] ok = {" 1_0 ", "1.", ".5", "1e5", "-inf", "+NaN", "infinity", "1_0.0_1e1_0", "-.5e-3", "iNfInItY", "1e+5", "5"};
        double[] want = {10.0, 1.0, 0.5, 100000.0, Double.NEGATIVE_INFINITY, Double.NaN, Double.POSITIVE_INFINITY, 100100000000.0,
            -0.0005, Double.POSITIVE_INFINITY, 100000.0, 5.0};
        for (int i = 0; i < ok.length; i++) assertEquals(want[i], PyFloat.parse(ok[i]), ok[i]);
        for (String bad : new String[] {"1_", "_1", "1__0", "1f", "0x10", "", "1e", ".", "1._5", "1_.5", "infinit", "+-1", "1d"}) {
            assertThrows(NumberFormatException.class, () -> PyFloat.parse(bad), bad);
        }
    }
}
