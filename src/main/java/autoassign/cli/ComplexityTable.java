package autoassign.cli;

import autoassign.model.Complexity;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The per-module table of {@code flops --per-module}: MMEngine's {@code complexity_stats_table} (module,
 * {@code #parameters or shape}, {@code #flops}; rows down to {@code max_depth}, a module with a single child of the
 * same numbers shown as that child, parameters as their shapes, modules the forward never calls with an empty flops
 * cell), printed as tabulate's {@code pipe} format; and MMEngine's {@code _format_size}.
 */
final class ComplexityTable {
    private ComplexityTable() {}

    static final String PARAMS = "#parameters or shape", FLOPS = "#flops";

    /**
     * MMEngine's {@code _format_size(x)}: P/T/G/M/K above 1e14/1e11/1e8/1e5/1e2 with 3 decimals, trailing zeros
     * dropped ({@code 36426458 → "36.426M"}, {@code 206e9 → "0.206T"}); rounded as Python's format does (the
     * exact binary value, ties to even).
     */
    static String formatSize(long x) {
        long a = Math.abs(x);
        if (a > 1e14) return fixed(x / 1e15) + "P";
        if (a > 1e11) return fixed(x / 1e12) + "T";
        if (a > 1e8) return fixed(x / 1e9) + "G";
        if (a > 1e5) return fixed(x / 1e6) + "M";
        if (a > 1e2) return fixed(x / 1e3) + "K";
        return Long.toString(x);
    }

    private static String fixed(double v) {
        String s = new BigDecimal(v).setScale(3, RoundingMode.HALF_EVEN).toPlainString();
        if (s.contains(".")) s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        return s;
    }

    /** Python's {@code str(tuple(shape))}: {@code (256, 3, 3, 3)}, {@code (256,)}, {@code ()}. */
    static String pythonTuple(int[] shape) {
        if (shape.length == 1) return "(" + shape[0] + ",)";
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) b.append(i > 0 ? ", " : "").append(shape[i]);
        return b.append(')').toString();
    }

    /**
     * @param params    {@link Complexity#parameterCounts}
     * @param shapes    shape of every parameter by full name
     * @param maxDepth  deepest row level (MMEngine's default 3: {@code backbone.layer1.0})
     */
    static String render(Complexity.Flops flops, Map<String, Long> params, Map<String, int[]> shapes, int maxDepth) {
        Map<String, Map<String, Long>> stats = new LinkedHashMap<>();
        params.forEach((k, v) -> stats.computeIfAbsent(k, x -> new LinkedHashMap<>()).put(PARAMS, v));
        flops.flopsByModule().forEach((k, v) -> stats.computeIfAbsent(k, x -> new LinkedHashMap<>()).put(FLOPS, v));
        Map<String, Map<String, Long>> kept = new LinkedHashMap<>();
        keep("", stats, kept);
        Map<String, Map<String, String>> pretty = new LinkedHashMap<>();
        Set<String> uncalled = flops.uncalled();
        kept.forEach((k, s) -> {
            Map<String, String> p = new LinkedHashMap<>();
            s.forEach((col, v) -> p.put(col, formatSize(v)));
            if (uncalled.contains(k) && p.containsKey(FLOPS)) p.put(FLOPS, "");
            if (shapes.containsKey(k)) p.put(PARAMS, pythonTuple(shapes.get(k)));
            pretty.put(k, p);
        });
        List<String[]> rows = new ArrayList<>();
        Row root = fastForward("", pretty);
        rows.add(row(root.name.isEmpty() ? "model" : root.name, root.stats, 0));
        String rootPrefix = root.name.isEmpty() ? "" : root.name + ".";
        fill(1, rootPrefix, rootPrefix, maxDepth, pretty, rows);
        return pipeTable(new String[] {"module", PARAMS, FLOPS}, rows);
    }

    private static boolean isChild(String mod, String prefix) {
        return !mod.isEmpty() && dots(mod) == dots(prefix) && mod.startsWith(prefix);
    }

    private static int dots(String s) { return (int) s.chars().filter(c -> c == '.').count(); }

    private static String prefixOf(String name) { return name.isEmpty() ? "" : name + "."; }

    /**
     * MMEngine's {@code _remove_zero_statistics(require_trivial_children=True)}: drops a module whose numbers are all
     * zero and whose children were all dropped; the root stays. Children are added before their parent, as there.
     */
    private static void keep(String name, Map<String, Map<String, Long>> stats, Map<String, Map<String, Long>> out) {
        String prefix = prefixOf(name);
        boolean trivialChildren = true;
        for (String mod : List.copyOf(stats.keySet())) {
            if (isChild(mod, prefix)) {
                keep(mod, stats, out);
                trivialChildren &= !out.containsKey(mod);
            }
        }
        boolean nonZero = stats.get(name).values().stream().anyMatch(v -> v != 0);
        if (nonZero || name.isEmpty() || !trivialChildren) out.put(name, new LinkedHashMap<>(stats.get(name)));
    }

    private record Row(String name, Map<String, String> stats) {}

    /** A module with one child whose numbers agree is shown as that child (repeated down the chain). */
    private static Row fastForward(String name, Map<String, Map<String, String>> stats) {
        String prefix = prefixOf(name), child = null;
        for (String mod : stats.keySet()) {
            if (!isChild(mod, prefix)) continue;
            if (child != null) return new Row(name, stats.get(name));
            child = mod;
        }
        if (child == null) return new Row(name, stats.get(name));
        Map<String, String> a = stats.get(name), b = stats.get(child);
        if (!a.keySet().equals(b.keySet())) return new Row(name, a);
        Map<String, String> combined = new LinkedHashMap<>();
        for (var e : a.entrySet()) {
            String v1 = e.getValue(), v2 = b.get(e.getKey());
            if (!v1.equals(v2) && !v1.isEmpty() && !v2.isEmpty()) return new Row(name, a);
            combined.put(e.getKey(), v1.isEmpty() ? v2 : v1);
        }
        stats.put(child, combined);
        return fastForward(child, stats);
    }

    private static void fill(int level, String prefix, String rootPrefix, int maxDepth,
                             Map<String, Map<String, String>> stats, List<String[]> rows) {
        if (level > maxDepth) return;
        for (String mod : List.copyOf(stats.keySet())) {
            if (!isChild(mod, prefix)) continue;
            Row r = fastForward(mod, stats);
            String shown = !rootPrefix.isEmpty() && r.name.startsWith(rootPrefix) ? r.name.substring(rootPrefix.length()) : r.name;
            rows.add(row(shown, r.stats, level));
            fill(level + 1, r.name + ".", rootPrefix, maxDepth, stats, rows);
        }
    }

    private static String[] row(String name, Map<String, String> stats, int level) {
        String indent = " ".repeat(level);
        return new String[] {indent + name, stats.containsKey(PARAMS) ? indent + stats.get(PARAMS) : "",
            stats.containsKey(FLOPS) ? indent + stats.get(FLOPS) : ""};
    }

    /** tabulate's {@code pipe} format, text columns left-aligned, each at least its header plus 2 wide. */
    static String pipeTable(String[] headers, List<String[]> rows) {
        int[] w = new int[headers.length];
        for (int c = 0; c < headers.length; c++) {
            w[c] = headers[c].length() + 2;
            for (String[] r : rows) w[c] = Math.max(w[c], r[c].length());
        }
        StringBuilder b = new StringBuilder();
        line(b, headers, w);
        b.append('|');
        for (int c = 0; c < w.length; c++) b.append(':').append("-".repeat(w[c] + 1)).append('|');
        b.append('\n');
        for (String[] r : rows) line(b, r, w);
        return b.toString();
    }

    private static void line(StringBuilder b, String[] cells, int[] w) {
        b.append('|');
        for (int c = 0; c < w.length; c++) b.append(' ').append(cells[c]).append(" ".repeat(w[c] - cells[c].length())).append(" |");
        b.append('\n');
    }
}
