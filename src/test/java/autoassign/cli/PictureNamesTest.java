package autoassign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PictureNamesTest {

    @Test
    void stemAndExtensions() {
        assertEquals("b.c", PictureNames.stem("a/b.c.JPEG"));
        assertEquals(".hidden", PictureNames.stem(".hidden"));
        assertEquals(".jpg", PictureNames.jpgOrPng("a/b.c.JPEG"));
        assertEquals(".png", PictureNames.jpgOrPng("x.tif"));
        assertEquals(".png", PictureNames.jpgOrPng(".jpg"));
        assertEquals(".JPG", PictureNames.ownOrPng("dir/x.JPG"));
        assertEquals(".png", PictureNames.ownOrPng("x.webp"));
        assertEquals(".png", PictureNames.ownOrPng("noext"));
        assertEquals("x.JPG", EvalPictures.outputName("dir/x.JPG"));
        assertEquals("x.png", EvalPictures.outputName("x.bmp"));
    }
}
