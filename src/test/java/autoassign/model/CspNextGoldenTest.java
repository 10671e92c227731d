package autoassign.model;

import autoassign.GoldenFiles;
import autoassign.backend.CheckedDeviceBackend;
import autoassign.tensor.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every case of {@code <goldens>/cspnext} (scripts/goldens/cspnext.py: MMDetection 3.3.0's CSPNeXt, CSPNeXtBlock,
 * CSPLayer with channel attention, ChannelAttention (torch's Hardsigmoid) and CSPNeXtPAFPN transcribed onto torch.nn,
 * torch 1.13 on the CPU), replayed as {@link CspDarknetGoldenTest} replays its own: the config parsed from the case's
 * keys, state-dict names, shapes, order and the parameter count, eval outputs, one train-mode forward and backward (the
 * inputs' gradients, named parameters' gradients including ChannelAttention's fc weight and bias, which parameters get
 * none, BN running statistics) and MMEngine's FLOPs (with {@code adaptive_avg_pool2d}), on the CPU and on the checked
 * stand-in device.
 */
class CspNextGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() {
        return GoldenFiles.cases("cspnext", p -> p.getFileName().toString().endsWith(".json")
                && !p.getFileName().toString().equals("names.json"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorchInEvalAndTrainMode(String name, Path file) throws IOException {
        CspDarknetGoldenTest.replay(name, JSON.readTree(file.toFile()), Device.CPU);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorchOnADevice(String name, Path file) throws IOException {
        try (CheckedDeviceBackend dev = CheckedDeviceBackend.install(95)) {
            CspDarknetGoldenTest.replay(name, JSON.readTree(file.toFile()), dev.device());
            assertTrue(dev.violations().isEmpty(), dev.violations().toString());
        }
    }
}
