package autoassign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The file names of {@code eval --show-dir} pictures. */
class EvalPicturesTest {

    @Test
    void picturesKeepTheImageNameWhenItIsAFormatWeWrite() {
        assertEquals("000000397133.jpg", EvalPictures.outputName("val2017/000000397133.jpg"));
        assertEquals("a.JPEG", EvalPictures.outputName("a.JPEG"));
        assertEquals("b.png", EvalPictures.outputName("sub/b.png"));
        assertEquals("c.png", EvalPictures.outputName("c.bmp")); // written as PNG, so named so
        assertEquals("noext.png", EvalPictures.outputName("noext"));
    }
}
