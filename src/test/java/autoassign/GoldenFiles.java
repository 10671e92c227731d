package autoassign;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.provider.Arguments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Where the golden tests find their cases: {@code <goldens.dir>/<sub>} when {@code -Dgoldens.dir=DIR} names a
 * folder laid out like {@code ../shared/goldens}, else the copy in {@code src/test/resources/goldens/<sub>}. Every
 * case of the folder is read, so more cases can be dropped in without code changes.
 */
public final class GoldenFiles {
    private GoldenFiles() {}

    public static Path folder(String sub) {
        String d = System.getProperty("goldens.dir");
        return (d == null || d.isBlank() ? Path.of("src/test/resources/goldens") : Path.of(d)).resolve(sub);
    }

    /** The folder's entries that {@code accept} takes, sorted by name; an error when there are none. */
    public static List<Path> entries(String sub, Predicate<Path> accept) {
        Path dir = folder(sub);
        if (!Files.isDirectory(dir)) throw new IllegalStateException("golden folder not found: " + dir.toAbsolutePath());
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> out = s.filter(accept).sorted().toList();
            if (out.isEmpty()) throw new IllegalStateException("no golden case in " + dir.toAbsolutePath());
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@link #entries} as parameterized-test arguments (file name, path). */
    public static Stream<Arguments> cases(String sub, Predicate<Path> accept) {
        return entries(sub, accept).stream().map(p -> Arguments.of(p.getFileName().toString(), p));
    }

    /** Every {@code *.json} file of the folder, as {@link #cases}. */
    public static Stream<Arguments> jsonCases(String sub) {
        return cases(sub, p -> p.getFileName().toString().endsWith(".json"));
    }

    /** A golden file's JSON array of numbers as float32 (as the generators' torch / numpy float32 values were written). */
    public static float[] floats(JsonNode a) {
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) a.get(i).asDouble();
        return v;
    }

    /** A golden file's JSON array of integers. */
    public static int[] ints(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).asInt();
        return v;
    }

    /** Every {@code got[j]} within {@code tol · max(1, max |want|)} of torch's {@code want[j]}; else fails naming {@code what[j]}. */
    public static void assertCloseToTorch(String what, float[] want, float[] got, double tol) {
        double scale = 0;
        for (float v : want) scale = Math.max(scale, Math.abs(v));
        for (int j = 0; j < want.length; j++)
            if (!(Math.abs(got[j] - want[j]) <= tol * Math.max(1, scale)))
                throw new AssertionError(what + "[" + j + "]: got " + got[j] + ", torch " + want[j]);
    }
}
