package autoassign.cli;

import java.nio.file.Path;
import java.util.Locale;

/**
 * File names of the pictures the commands draw, from their images' file names: the stem, and an extension that
 * {@link autoassign.viz.BoxPainter#write} writes (JPEG or PNG, chosen by the name).
 */
final class PictureNames {
    private PictureNames() {}

    /** The file name without folders and without its last extension ({@code a/b.c.jpg} → {@code b.c}). */
    static String stem(String fileName) {
        String file = baseName(fileName);
        int dot = file.lastIndexOf('.');
        return dot > 0 ? file.substring(0, dot) : file;
    }

    /** {@code .jpg} for a JPEG image ({@code .jpg} / {@code .jpeg}, any case), else {@code .png}. */
    static String jpgOrPng(String fileName) {
        String file = baseName(fileName);
        return file.lastIndexOf('.') > 0 && endsWithAny(file, ".jpg", ".jpeg") ? ".jpg" : ".png";
    }

    /** The image's own extension, its case kept, when it is a JPEG or PNG one; else {@code .png}. */
    static String ownOrPng(String fileName) {
        String file = baseName(fileName);
        int dot = file.lastIndexOf('.');
        return dot > 0 && isJpegOrPng(file) ? file.substring(dot) : ".png";
    }

    /** Whether the name ends in {@code .jpg}, {@code .jpeg} or {@code .png}, any case. */
    static boolean isJpegOrPng(String fileName) { return endsWithAny(fileName, ".jpg", ".jpeg", ".png"); }

    static String baseName(String fileName) { return Path.of(fileName).getFileName().toString(); }

    private static boolean endsWithAny(String name, String... endings) {
        String lower = name.toLowerCase(Locale.ROOT);
        for (String e : endings) if (lower.endsWith(e)) return true;
        return false;
    }
}
