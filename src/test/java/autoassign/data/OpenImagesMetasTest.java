package autoassign.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image lists of get_image_metas.py's two annotation readers ({@link OpenImagesMetas#fileNames}). */
class OpenImagesMetasTest {
    @TempDir
    Path tmp;

    @Test
    void csvListsEachRunOfOneImageIdOnce() throws Exception {
        // a run of rows is one image; an ImageID that comes back later starts a new entry, as the script's cp_filename
        Path csv = Files.writeString(tmp.resolve("a.csv"), "ImageID,Source\na,x\na,x\nb,x\n\"a\",x\nc,x\n");
        assertEquals(List.of("a.jpg", "b.jpg", "a.jpg", "c.jpg"), OpenImagesMetas.fileNames(csv));
        Path header = Files.writeString(tmp.resolve("h.csv"), "ImageID,Source\n");
        assertEquals(List.of(), OpenImagesMetas.fileNames(header));
        Path blank = Files.writeString(tmp.resolve("blank.csv"), "ImageID\na\n\nb\n");
        assertEquals(blank + ": row 3 is empty (the script fails on it: line[0])",
                assertThrows(DataException.class, () -> OpenImagesMetas.fileNames(blank)).getMessage());
    }

    @Test
    void txtReadsNameLineCountAndSkipsTheBoxes() throws Exception {
        Path txt = Files.writeString(tmp.resolve("a.txt"), "x/1.jpg  \n96 80\n2\nb1\nb2\n2.jpg\n96 80\n0\n3.jpg\n1 1\n 1 \nb\n");
        assertEquals(List.of("x/1.jpg", "2.jpg", "3.jpg"), OpenImagesMetas.fileNames(txt));
        Path bad = Files.writeString(tmp.resolve("bad.txt"), "1.jpg\n96 80\ntwo\n");
        assertEquals(bad + ": line 3 should be a box count, got 'two'",
                assertThrows(DataException.class, () -> OpenImagesMetas.fileNames(bad)).getMessage());
        Path cut = Files.writeString(tmp.resolve("cut.txt"), "1.jpg\n96 80\n");
        assertEquals(cut + ": line 1 starts an image without its box count line",
                assertThrows(DataException.class, () -> OpenImagesMetas.fileNames(cut)).getMessage());
        Path json = Files.writeString(tmp.resolve("a.json"), "[]");
        assertEquals(json + ": the annotation file must have a csv or txt suffix, got json",
                assertThrows(DataException.class, () -> OpenImagesMetas.fileNames(json)).getMessage());
    }
}
