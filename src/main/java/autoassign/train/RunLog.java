package autoassign.train;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a trainer prints, on its console and, once {@link #attach}ed, in a file: MMEngine's text log
 * {@code <work_dir>/<timestamp>/<timestamp>.log} (UTF-8). Lines printed before the file is known are kept and written
 * first. The console gets the text itself (printed with its own encoding), not this stream's bytes.
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
        try {
            tee.early.writeTo(f);
        } catch (IOException e) {
            f.close();
            throw e;
        }
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

    /** UTF-8 bytes to the file (or, before there is one, to a buffer), and decoded to the console. */
    private static final class Tee extends OutputStream {
        final PrintStream console;
        ByteArrayOutputStream early = new ByteArrayOutputStream();
        OutputStream file;
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        private ByteBuffer pending = ByteBuffer.allocate(256); // bytes of a character split between two writes
        private final CharBuffer chars = CharBuffer.allocate(1024);

        Tee(PrintStream console) { this.console = console; }

        @Override public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override public void write(byte[] b, int off, int len) throws IOException {
            if (file != null) file.write(b, off, len);
            else if (early != null) early.write(b, off, len);
            if (pending.remaining() < len) {
                ByteBuffer bigger = ByteBuffer.allocate(pending.position() + len);
                pending.flip();
                bigger.put(pending);
                pending = bigger;
            }
            pending.put(b, off, len).flip();
            while (true) { // decode what is complete; a split character's first bytes wait for the rest
                boolean full = decoder.decode(pending, chars, false).isOverflow();
                chars.flip();
                console.append(chars);
                chars.clear();
                if (!full) break;
            }
            pending.compact();
        }

        @Override public void flush() throws IOException {
            console.flush();
            if (file != null) file.flush();
        }
    }
}
