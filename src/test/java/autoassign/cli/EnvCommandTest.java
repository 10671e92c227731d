package autoassign.cli;

import autoassign.backend.cuda.CudaProbe;
import autoassign.backend.cuda.CudaStatus;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code env} prints MMEngine's collect_env-like lines, the CUDA verdict as the probe sees it, and the same as JSON. */
class EnvCommandTest {
    @TempDir Path tmp;

    @Test
    void printsTheEnvironmentAndTheSameJson() throws Exception {
        Path json = tmp.resolve("env.json");
        CliRun r = CliRun.run(new EnvCommand(), "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        for (String key : List.of("sys.platform: ", "Java: ", "CPU: ", "CPU threads: ", "CUDA available: ", "NVCC: ",
                "OpenBLAS: presets 0.3.31-1.5.13", "OpenCV: 4.13.0 (presets 4.13.0-1.5.13)", "CUDA presets: 13.1-9.19-1.5.13", "JavaCPP: 1.5.13", "autoassign-native: "))
            assertTrue(out.contains("\n" + key) || out.startsWith(key), key + " missing in:\n" + out);
        CudaStatus cuda = CudaProbe.status();
        assertTrue(out.contains("CUDA available: " + (cuda.usable() ? "True" : "False (" + cuda.reason() + ")")), out);
        assertEquals(cuda.usable(), out.contains("\nNCCL: "), "NCCL is reported only where CUDA is usable:\n" + out);
        JsonNode node = new ObjectMapper().readTree(json.toFile());
        List<String> lines = new ArrayList<>();
        node.fields().forEachRemaining(e -> lines.add(e.getKey() + ": " + e.getValue().asText()));
        assertEquals(String.join("\n", lines) + "\n", out.replace("\r\n", "\n"));
    }
}
