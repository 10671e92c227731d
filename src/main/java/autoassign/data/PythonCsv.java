package autoassign.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Python's {@code csv.reader} with its default (excel) dialect over a file opened in text mode, streamed: universal
 * newlines ({@code \r\n} and {@code \r} are {@code \n}), comma-separated fields, {@code "} quotes (a doubled one
 * inside is a quote, a quoted field may span lines), an empty line an empty row.
 */
public final class PythonCsv {
    private PythonCsv() {}

    /** Receives each row with its number (from 1). */
    @FunctionalInterface
    public interface RowSink {
        void accept(int row, List<String> fields);
    }

    /** Every row of {@code file} in order; a missing or unreadable file is a {@link DataException} naming it. */
    public static void forEach(Path file, RowSink sink) {
        try (java.io.Reader r = java.nio.file.Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            parse(r, sink);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new DataException(file + ": no such file");
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new DataException(file + ": not a UTF-8 text file");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** The rows of {@code text}. */
    static List<List<String>> parse(String text) {
        List<List<String>> rows = new ArrayList<>();
        try {
            parse(new java.io.StringReader(text), (n, row) -> rows.add(row));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return rows;
    }

    private static void parse(java.io.Reader in, RowSink sink) throws IOException {
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false, any = false, afterCr = false;
        int rowNumber = 0;
        char[] buf = new char[1 << 16];
        for (int len; (len = in.read(buf)) > 0; ) {
            for (int i = 0; i < len; i++) {
                char c = buf[i];
                if (afterCr) { // universal newlines: \r\n is one \n
                    afterCr = false;
                    if (c == '\n') continue;
                }
                if (c == '\r') { c = '\n'; afterCr = true; }
                if (quoted) {
                    if (c == '"') {
                        // a doubled quote inside: peek the next character (across buffer ends)
                        int next = i + 1 < len ? buf[i + 1] : -2;
                        if (next == -2) {
                            in.mark(1);
                            int x = in.read();
                            if (x == '"') { field.append('"'); continue; }
                            in.reset();
                            quoted = false;
                            continue;
                        }
                        if (next == '"') { field.append('"'); i++; continue; }
                        quoted = false;
                    } else {
                        field.append(c);
                    }
                    continue;
                }
                if (c == '"' && field.length() == 0) { quoted = true; any = true; }
                else if (c == ',') { row.add(field.toString()); field.setLength(0); any = true; }
                else if (c == '\n') {
                    if (any || field.length() > 0) row.add(field.toString());
                    sink.accept(++rowNumber, row);
                    row = new ArrayList<>();
                    field.setLength(0);
                    any = false;
                } else { field.append(c); any = true; }
            }
        }
        if (any || field.length() > 0) { row.add(field.toString()); sink.accept(++rowNumber, row); }
    }
}
