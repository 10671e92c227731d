package autoassign.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * terminaltables' {@code AsciiTable(rows).table}, which MMDetection's metrics log: the first row is the heading,
 * every cell left-aligned in a column as wide as its widest cell, rules above and below the heading and at the end.
 */
final class AsciiTable {
    private AsciiTable() {}

    static List<String> of(List<List<String>> rows) { return of(rows, false); }

    /** With {@code footingRule}, also a rule above the last row ({@code inner_footing_row_border}, VOCMetric's mAP row). */
    static List<String> of(List<List<String>> rows, boolean footingRule) {
        int[] width = new int[rows.get(0).size()];
        for (List<String> r : rows) for (int c = 0; c < width.length; c++) width[c] = Math.max(width[c], r.get(c).length());
        StringBuilder border = new StringBuilder("+");
        for (int w : width) border.append("-".repeat(w + 2)).append('+');
        List<String> lines = new ArrayList<>();
        lines.add(border.toString());
        for (int i = 0; i < rows.size(); i++) {
            StringBuilder line = new StringBuilder("|");
            for (int c = 0; c < width.length; c++) {
                String cell = rows.get(i).get(c);
                line.append(' ').append(cell).append(" ".repeat(width[c] - cell.length())).append(" |");
            }
            lines.add(line.toString());
            if (i == 0 || footingRule && i == rows.size() - 2) lines.add(border.toString());
        }
        lines.add(border.toString());
        return lines;
    }
}
