package autoassign.backend.cuda;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Java side launches native/ kernels through the driver API, where a changed parameter list is not a
 * compile error but silent garbage: compare the parameter types CudaBackend passes with native/src (no GPU needed).
 */
class NativeKernelContractTest {
    private static final Pattern KERNEL = Pattern.compile("AA_KERNEL\\s+void\\s+(\\w+)\\s*\\(([^)]*)\\)");

    static Map<String, String> nativeKernels() throws IOException {
        Path src = Path.of("native", "src");
        assumeTrue(Files.isDirectory(src), "native/src not found from " + Path.of("").toAbsolutePath());
        Map<String, String> found = new HashMap<>();
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".cu"))::iterator) {
                Matcher m = KERNEL.matcher(Files.readString(f));
                while (m.find()) found.put(m.group(1), types(m.group(2)));
            }
        }
        return found;
    }

    /** "float* out, const float* a, long long n" -> "float*, const float*, long long" */
    static String types(String params) {
        StringBuilder sb = new StringBuilder();
        for (String p : params.replaceAll("/\\*.*?\\*/", " ").replaceAll("\\s+", " ").split(",")) {
            String t = p.trim();
            if (t.isEmpty()) continue;
            int star = t.lastIndexOf('*');
            String type = star >= 0 ? t.substring(0, star + 1) : t.substring(0, t.lastIndexOf(' '));
            type = type.replaceAll("\\s*\\*", "*").replace("__restrict__", "").trim();
            if (sb.length() > 0) sb.append(", ");
            sb.append(type);
        }
        return sb.toString();
    }

    @Test
    void parserReadsTypes() {
        assertEquals("float*, const float*, long long", types("float* out, const float *a, long long n"));
        assertEquals("int, float", types(" int C /* channels */, float eps"));
    }

    @Test
    void everyBoundKernelMatchesNativeSource() throws IOException {
        Map<String, String> found = nativeKernels();
        for (Map.Entry<String, String> e : CudaBackend.NATIVE_SIGNATURES.entrySet()) {
            assertTrue(found.containsKey(e.getKey()), "native/src has no kernel " + e.getKey());
            assertEquals(e.getValue(), found.get(e.getKey()), "parameters of " + e.getKey());
        }
    }
}
