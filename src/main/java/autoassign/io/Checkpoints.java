package autoassign.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loading and saving whole checkpoints, whatever their format. */
public final class Checkpoints {
    private Checkpoints() {}

    /**
     * True when the file is to be read as safetensors: its name ends with {@code .safetensors}, or it starts
     * with a plausible little-endian header length followed by <code>{</code>.
     */
    public static boolean isSafetensors(Path file) {
        if (file.getFileName() != null && file.getFileName().toString().endsWith(".safetensors")) return true;
        byte[] head = new byte[9];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, 9);
        } catch (IOException e) {
            return false;
        }
        if (n < 9) return false;
        long len = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        return head[8] == '{' && len > 1 && len <= Safetensors.MAX_HEADER;
    }
}
