package autoassign.train;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Appends every logged scalar record as one JSON line to {@code metrics.jsonl} and keeps them for the curves. */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BufferedWriter out;
    private final List<Map<String, Object>> records = new ArrayList<>();

    public MetricsLog(Path file, boolean append) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            if (append && Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (line.isBlank()) continue;
                    try {
                        @SuppressWarnings("unchecked") Map<String, Object> m = JSON.readValue(line, Map.class);
                        records.add(m);
                    } catch (IOException partialLine) {
                        // a line cut by a crash is dropped, the rest stays
                    }
                }
            }
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot open metrics log: " + e.getMessage(), e);
        }
    }

    public void log(Map<String, Object> record) {
        Map<String, Object> copy = new LinkedHashMap<>(record);
        records.add(copy);
        try {
            out.write(JSON.writeValueAsString(copy));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics log: " + e.getMessage(), e);
        }
    }

    public List<Map<String, Object>> records() { return records; }

    @Override public void close() throws IOException { out.close(); }
}
