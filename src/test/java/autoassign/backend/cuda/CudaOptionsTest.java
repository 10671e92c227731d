package autoassign.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The config's {@code env_cfg.cudnn_benchmark} sets cuDNN's algorithm search unless the system property decides. */
class CudaOptionsTest {
    @Test
    void cudnnFindFollowsTheConfigUnlessThePropertyIsSet() {
        String before = System.getProperty("autoassign.cudnn.find");
        try {
            System.clearProperty("autoassign.cudnn.find");
            CudaOptions.setCudnnFindDefault(false);
            assertFalse(CudaOptions.cudnnFind());
            CudaOptions.setCudnnFindDefault(true);
            assertTrue(CudaOptions.cudnnFind());
            System.setProperty("autoassign.cudnn.find", "false");
            assertFalse(CudaOptions.cudnnFind(), "the property wins");
        } finally {
            CudaOptions.setCudnnFindDefault(false);
            if (before == null) System.clearProperty("autoassign.cudnn.find");
            else System.setProperty("autoassign.cudnn.find", before);
        }
    }

    @Test
    void deterministicMeansHeuristicAlgorithmsOnly() {
        String before = System.getProperty("autoassign.cudnn.find");
        try {
            System.setProperty("autoassign.cudnn.find", "true");
            CudaOptions.useConfig(true, true);
            assertTrue(CudaOptions.deterministic());
            assertFalse(CudaOptions.cudnnFind(), "randomness.deterministic: no timed search (MMEngine: benchmark off)");
            CudaOptions.useConfig(true, false);
            assertTrue(CudaOptions.cudnnFind());
        } finally {
            CudaOptions.useConfig(false, false);
            if (before == null) System.clearProperty("autoassign.cudnn.find");
            else System.setProperty("autoassign.cudnn.find", before);
        }
    }
}
