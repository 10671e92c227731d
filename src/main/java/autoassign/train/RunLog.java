package autoassign.train;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a trainer prints, on its console and, once {@link #attach}ed, in a file: MMEngine's text log
 * {@code <work_dir>/<timestamp>/<timestamp>.log}. Lines printed before the file is known are kept and written first.
 */
final class RunLog extends PrintStream {
    private final Tee tee;

    RunLog(PrintStream console) {
        this(new Tee(console));
    }

    private RunLog(Tee tee) {
        super(tee, true, StandardCharsets.UTF_8);
        this.tee = tee;
    }

    /** From now on the printed lines also go to {@code file} (created with its folder), the earlier ones first. */
    synchronized void attach(Path file) throws IOException {
        flush();
        Files.createDirectories(file.toAbsolutePath().getParent());
        OutputStream f = Files.newOutputStream(file);
        tee.early.writeTo(f);
        tee.early = null;
        tee.file = f;
    }

    /** Closes the file (the console stays open). */
    synchronized void detach() {
        flush();
        if (tee.file == null) return;
        try {
            tee.file.close();
        } catch (IOException e) {
            tee.console.println("warning: the run's log file could not be closed: " + e.getMessage());
        }
        tee.file = null;
    }

    /** Bytes to the console and to the file (or, before there is one, to a buffer). */
    private static final class Tee extends OutputStream {
        final PrintStream console;
        ByteArrayOutputStream early = new ByteArrayOutputStream();
        OutputStream file;

        Tee(PrintStream console) { this.console = console; }

        @Override public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override public void write(byte[] b, int off, int len) throws IOException {
            console.write(b, off, len);
            if (file != null) file.write(b, off, len);
            else if (early != null) early.write(b, off, len);
        }

        @Override public void flush() throws IOException {
            console.flush();
            if (file != null) file.flush();
        }
    }
}
