package autoassign.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.charset.MalformedInputException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The one-line messages of the file-system exceptions whose own message is only a path. */
class CliErrorsTest {
    @Test
    void fileSystemExceptionsSayWhatIsWrong() {
        assertEquals("a/b: no such file", CliErrors.message(new NoSuchFileException("a/b")));
        assertEquals("wd/x.json: exists and is not a folder", CliErrors.message(new java.io.UncheckedIOException(
                new FileAlreadyExistsException("wd/x.json"))));
        assertEquals("ro/p.png: permission denied", CliErrors.message(new AccessDeniedException("ro/p.png")));
        assertEquals("not valid UTF-8 text", CliErrors.message(new MalformedInputException(1)));
        assertEquals("two lines", CliErrors.message(new IllegalStateException("two\nlines")).replace(' ', ' '));
    }
}
