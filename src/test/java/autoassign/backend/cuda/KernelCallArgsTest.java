package autoassign.backend.cuda;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every literal kernel launch in the CUDA backend's Java sources ({@code k("name").ptr(..).i32(..)...;}) passes
 * arguments of the kinds the kernel declares, in order (pointer, 32-bit int, 64-bit int, float), checked against
 * native/src and backend_kernels.cu. Through the driver API a wrong list is not a compile error but garbage on the
 * GPU, and most sessions have no GPU: this catches it in CI. (Launches whose kernel name is a variable, such as
 * {@code unary(...)}, and the loss's launch plans are checked elsewhere.)
 */
class KernelCallArgsTest {
    private static final Pattern CALL = Pattern.compile("\\bk\\(\"(\\w+)\"\\)");
    private static final Pattern ARG = Pattern.compile("\\.(ptr|i32|i64|f32)\\(");

    /** The Call builder method that passes a parameter of this declared type. */
    static String kind(String type) {
        if (type.contains("*")) return "ptr";
        return switch (type.replace("const ", "").trim()) {
            case "long long" -> "i64";
            case "int", "unsigned int" -> "i32";
            case "float" -> "f32";
            default -> "unsupported(" + type + ")";
        };
    }

    /** kernel → kinds of its parameters, from native/src and backend_kernels.cu. */
    static Map<String, List<String>> declared() throws IOException {
        Map<String, List<String>> out = new HashMap<>();
        for (Map.Entry<String, List<String[]>> e : CudaAutoAssignLossPlanTest.params().entrySet())
            out.put(e.getKey(), e.getValue().stream().map(p -> kind(p[0])).toList());
        return out;
    }

    @Test
    void kindsOfParameters() {
        assertEquals(List.of("ptr", "ptr", "i32", "i64", "f32"),
                List.of(kind("float*"), kind("const float*"), kind("int"), kind("long long"), kind("float")));
    }

    @Test
    void everyLiteralLaunchMatchesItsKernel() throws IOException {
        Map<String, List<String>> decl = declared();
        int checked = 0;
        try (Stream<Path> files = Files.list(Path.of("src/main/java/autoassign/backend/cuda"))) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                String src = Files.readString(f);
                Matcher m = CALL.matcher(src);
                while (m.find()) {
                    String kernel = m.group(1);
                    int end = src.indexOf(';', m.end());
                    List<String> passed = new ArrayList<>();
                    Matcher a = ARG.matcher(src.substring(m.end(), end));
                    while (a.find()) passed.add(a.group(1));
                    String where = f.getFileName() + ": " + kernel;
                    assertTrue(decl.containsKey(kernel), where + " is declared in no kernel source");
                    assertEquals(decl.get(kernel), passed, where + " arguments");
                    checked++;
                }
            }
        }
        assertTrue(checked >= 20, "found only " + checked + " literal launches: has the call syntax changed?");
    }
}
