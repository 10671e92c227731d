package autoassign.eval;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Python's and numpy's float formatting and rounding, where the engine writes or reports what MMDetection does:
 * {@link #repr} is {@code repr(float)} (what {@code json.dumps} writes for a float), {@link #numpyRound3} is
 * {@code round(numpy.float64, 3)} (what CocoMetric reports).
 */
public final class PyFloat {
    private PyFloat() {}

    /**
     * Python 3's {@code repr(x)}: the shortest decimal that reads back as {@code x} (the closest to {@code x} among
     * those), positional for {@code 1e-4 <= |x| < 1e16}, else {@code d.ddde-05} / {@code de+16}; {@code nan},
     * {@code inf}, {@code -0.0}. Java 17's {@link Double#toString} differs ({@code 1.0E-5}, {@code 100.0} the same, but
     * not always the shortest digits), so it only gives the starting length here.
     */
    public static String repr(double x) {
        if (Double.isNaN(x)) return "nan";
        if (Double.isInfinite(x)) return x > 0 ? "inf" : "-inf";
        if (x == 0) return 1 / x < 0 ? "-0.0" : "0.0";
        BigDecimal d = shortest(Math.abs(x));
        String digits = d.unscaledValue().toString();
        return format(x < 0, digits, digits.length() - d.scale());
    }

    /**
     * {@link #repr} of {@code x}, given a decimal {@code text} that reads as {@code x} (a JSON number: {@code -?int(.frac)?(e[+-]?exp)?}),
     * without the search for the shortest digits when {@code text} has at most 15 significant digits and {@code x} is
     * a normal double: two decimals of at most 15 digits never read as the same normal double (DBL_DIG), so those
     * digits are the shortest. Files Python wrote hold its repr digits, mostly short, so this is the common case.
     */
    public static String repr(double x, String text) {
        if (x == 0 || !Double.isFinite(x) || Math.abs(x) < Double.MIN_NORMAL) return repr(x);
        int i = text.startsWith("-") ? 1 : 0, e = text.length();
        for (int j = i; j < text.length(); j++) if (text.charAt(j) == 'e' || text.charAt(j) == 'E') { e = j; break; }
        if (text.length() - e > 7) return repr(x); // an absurd exponent text
        StringBuilder digits = new StringBuilder(17);
        int intDigits = -1;
        for (int j = i; j < e; j++) {
            char c = text.charAt(j);
            if (c == '.') intDigits = j - i;
            else if (c >= '0' && c <= '9') digits.append(c);
            else return repr(x);
        }
        if (intDigits < 0) intDigits = digits.length();
        int decpt = intDigits + (e < text.length() ? Integer.parseInt(text.substring(e + 1).replace("+", "")) : 0);
        int from = 0, to = digits.length();
        while (from < to && digits.charAt(from) == '0') { from++; decpt--; }
        while (to > from && digits.charAt(to - 1) == '0') to--;
        if (to - from > 15 || to == from) return repr(x);
        return format(x < 0, digits.substring(from, to), decpt);
    }

    private static final java.util.regex.Pattern PY_FLOAT = java.util.regex.Pattern.compile(
            "[+-]?(?:(?:\\d(?:_?\\d)*(?:\\.(?:\\d(?:_?\\d)*)?)?|\\.\\d(?:_?\\d)*)(?:[eE][+-]?\\d(?:_?\\d)*)?"
            + "|(?i:inf|infinity|nan))");

    /**
     * Python's {@code float(s)} (what argparse's {@code type=float} does with an argument): surrounding whitespace, a
     * sign, digits with single underscores between them, {@code inf} / {@code infinity} / {@code nan} in any case;
     * anything else (Java's {@code 1f}, {@code 0x1p3}) is a NumberFormatException.
     */
    public static double parse(String s) {
        String t = s.strip();
        if (!PY_FLOAT.matcher(t).matches()) throw new NumberFormatException("could not convert string to float: '" + s + "'");
        String u = t.replace("_", "").toLowerCase(java.util.Locale.ROOT);
        boolean neg = u.startsWith("-");
        String body = u.startsWith("-") || u.startsWith("+") ? u.substring(1) : u;
        if (body.equals("nan")) return Double.NaN;
        if (body.startsWith("inf")) return neg ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        return Double.parseDouble(u);
    }

    /** repr's layout of {@code 0.digits * 10^decpt} (digits without leading or trailing zeros). */
    private static String format(boolean negative, String digits, int decpt) {
        StringBuilder s = new StringBuilder(24);
        if (negative) s.append('-');
        if (decpt <= -4 || decpt > 16) { // float_repr_style 'short', format code 'r'
            s.append(digits.charAt(0));
            if (digits.length() > 1) s.append('.').append(digits, 1, digits.length());
            int e = decpt - 1;
            s.append(e < 0 ? "e-" : "e+");
            if (Math.abs(e) < 10) s.append('0');
            s.append(Math.abs(e));
        } else if (decpt <= 0) {
            s.append("0.").append("0".repeat(-decpt)).append(digits);
        } else if (decpt < digits.length()) {
            s.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
        } else {
            s.append(digits).append("0".repeat(decpt - digits.length())).append(".0");
        }
        return s.toString();
    }

    /** The shortest decimal reading back as {@code x > 0}, the closest one when several have that length; no trailing zeros. */
    private static BigDecimal shortest(double x) {
        BigDecimal exact = new BigDecimal(x);
        int p = significantDigits(Double.toString(x)); // round-trips, so an upper bound
        while (p > 1 && roundTrip(exact, p - 1, x) != null) p--;
        BigDecimal c = roundTrip(exact, p, x);
        if (c == null) throw new IllegalStateException("no " + p + "-digit decimal reads back as " + x);
        return c.stripTrailingZeros(); // the unscaled value's digits and the scale place the point (scale may be < 0)
    }

    /**
     * The {@code p}-digit decimal closest to {@code exact} when it reads back as {@code x}, else its neighbour on the
     * other side of {@code x} when that one does (an asymmetric rounding interval, at a power of two), else null.
     */
    private static BigDecimal roundTrip(BigDecimal exact, int p, double x) {
        BigDecimal c = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
        if (c.doubleValue() == x) return c;
        BigDecimal ulp = BigDecimal.ONE.scaleByPowerOfTen(-c.scale());
        BigDecimal other = c.compareTo(exact) < 0 ? c.add(ulp) : c.subtract(ulp);
        return other.doubleValue() == x ? other : null;
    }

    /** Significant digits of a {@link Double#toString} of a positive finite value. */
    private static int significantDigits(String s) {
        int e = s.indexOf('E');
        String m = (e < 0 ? s : s.substring(0, e)).replace(".", "");
        int from = 0, to = m.length();
        while (from < to - 1 && m.charAt(from) == '0') from++;
        while (to > from + 1 && m.charAt(to - 1) == '0') to--;
        return to - from;
    }

    /**
     * {@code round(v, 3)} of a {@code numpy.float64} (numpy 1.x's {@code np.round}: {@code rint(v * 1000) / 1000}, ties to
     * even on the product). CocoMetric rounds COCOeval's stats and the classwise APs so, and this differs from Python's
     * correctly rounded {@code round(float, 3)} near the ties of the third decimal (0.3885 gives 0.388, Python 0.389).
     */
    public static double numpyRound3(double v) {
        return Math.rint(v * 1000.0) / 1000.0;
    }

    /** Python's {@code f'{v:.Nf}'}: the exact binary value rounded half-even to {@code decimals}; nan, inf, "-0.000". */
    public static String fixed(double v, int decimals) {
        if (!Double.isFinite(v)) return Double.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
        String s = new BigDecimal(v).setScale(decimals, RoundingMode.HALF_EVEN).toPlainString();
        return (v < 0 || v == 0 && 1 / v < 0) && !s.startsWith("-") ? "-" + s : s; // -0.0001 -> "-0.000" as Python prints it
    }
}
