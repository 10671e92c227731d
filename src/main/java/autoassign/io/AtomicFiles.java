package autoassign.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a file through a temporary file in the same folder and an atomic rename, so a reader
 * sees either the old file or the complete new one, and a failed write leaves nothing behind.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes the content of a file. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    public static void write(Path target, Writer writer) throws IOException {
        Path abs = target.toAbsolutePath();
        if (Files.isDirectory(abs)) throw new java.nio.file.FileSystemException(target.toString(), null, "is a folder, not a file name");
        Path tmp = tempBeside(abs, ".tmp");
        boolean ok = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = new BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 20)) {
                writer.write(out);
                out.flush();
                ch.force(true);
            }
            moveOnto(tmp, abs);
            ok = true;
        } finally {
            if (!ok) Files.deleteIfExists(tmp);
        }
    }

    /**
     * A new empty temporary file in {@code target}'s folder (created if missing), named after it and ending in
     * {@code suffix}, readable like any other output: for writers that need a path (e.g. OpenCV's), then
     * {@link #moveOnto}.
     */
    public static Path tempBeside(Path target, String suffix) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", suffix);
        try { // temp files are created owner-only; a result file should be readable like any other
            Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException notPosix) {
            // other file systems keep their defaults
        }
        return tmp;
    }

    /** Renames a finished temporary file onto {@code target}, atomically where the file system can. */
    public static void moveOnto(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
