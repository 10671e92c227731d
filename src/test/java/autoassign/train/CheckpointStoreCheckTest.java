package autoassign.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A check that refuses (a data-parallel group aborted mid all-reduce) stops the save before anything is written. */
class CheckpointStoreCheckTest {
    @TempDir Path tmp;

    @Test
    void aRefusingCheckWritesNothing() throws Exception {
        CheckpointStore store = new CheckpointStore(tmp, -1);
        store.checkBeforeSave(() -> { throw new IllegalStateException("NCCL rank 0: communicator was aborted"); });
        // the check runs first: model, optimizer and config are never read
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> store.save("epoch_1", 1, 0, 10, 0, null, null, null));
        assertEquals("NCCL rank 0: communicator was aborted", e.getMessage());
        try (var files = Files.list(tmp)) {
            assertEquals(0, files.count());
        }
    }
}
