package autoassign.io;

import autoassign.cli.CliRun;
import autoassign.cli.ImportCommand;
import autoassign.cli.InspectCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code import} and {@code inspect} commands end to end. */
class ImportInspectCliTest {
    static final Path GOLDEN = Path.of("src/test/resources/goldens/pth");

    @TempDir Path tmp;

    private static CliRun run(Object command, String... args) { return CliRun.run(command, args); }

    @Test
    void importConvertsEveryTensorBitExactWithMetadata() throws IOException {
        for (String name : List.of("mmdet_like_zip.pth", "tiny_resnet_legacy.pth")) {
            Path out = tmp.resolve(name + ".safetensors");
            CliRun r = run(new ImportCommand(), "--from", GOLDEN.resolve(name).toString(), "--to", out.toString());
            assertEquals(0, r.code(), r.err());
            assertEquals("", r.err());
            PthFile pth = PthReader.read(GOLDEN.resolve(name));
            Safetensors.Contents c = Safetensors.read(out);
            assertEquals(pth.tensors(), c.tensors());
            assertEquals(pth.metadata(), c.metadata());
            assertTrue(r.out().contains(pth.tensors().size() + " tensors"), r.out());
        }
        Safetensors.Contents c = Safetensors.read(tmp.resolve("mmdet_like_zip.pth.safetensors"));
        assertEquals(DType.FLOAT16, c.tensors().get("state_dict.neck.fpn_convs.0.conv.weight").dtype());
        assertEquals(1099511627776L, c.tensors().get("state_dict.test.int64_labels").getLong(4));
        assertTrue(c.metadata().get("meta.dataset_meta.classes").contains("\"toothbrush\""));
    }

    @Test
    void importOfABadFileFailsInOneLineAndWritesNothing() throws IOException {
        byte[] full = Files.readAllBytes(GOLDEN.resolve("mmdet_like_zip.pth"));
        byte[] legacy = Files.readAllBytes(GOLDEN.resolve("tiny_resnet_legacy.pth"));
        Map<String, byte[]> bad = Map.of(
                "truncated.pth", Arrays.copyOf(full, full.length / 2),
                "truncated_legacy.pth", Arrays.copyOf(legacy, legacy.length - 10),
                "notzip.pth", "just some text".getBytes(),
                "opcode.pth", PickleBuilder.zip(new byte[]{(byte) 0x80, 2, (byte) 0xfe, '.'}, Map.of()),
                "evil.pth", PickleBuilder.zip(new PickleBuilder().proto(2).global("os", "system").mark().str("id").op('t', 'R').stop().bytes(), Map.of()));
        for (var e : bad.entrySet()) {
            Path dir = Files.createDirectories(tmp.resolve("case-" + e.getKey()));
            Path in = Files.write(dir.resolve(e.getKey()), e.getValue());
            Path out = dir.resolve("out.safetensors");
            CliRun r = run(new ImportCommand(), "--from", in.toString(), "--to", out.toString());
            assertEquals(1, r.code(), e.getKey());
            assertEquals("", r.out());
            String err = r.err().strip();
            assertFalse(err.contains("\n"), "one line: " + err);
            assertTrue(err.startsWith("error: " + in + ": "), err);
            assertFalse(err.contains("Exception"), err);
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(List.of(in), s.toList(), e.getKey() + ": no output file left behind");
            }
        }
    }

    @Test
    void importOfAFileWithoutTensorsFailsAndWritesNothing() throws IOException {
        Path in = Files.write(tmp.resolve("empty_dict.pth"), PickleBuilder.zip(new PickleBuilder().proto(2).op('}').stop().bytes(), Map.of()));
        Path out = tmp.resolve("empty.safetensors");
        CliRun r = run(new ImportCommand(), "--from", in.toString(), "--to", out.toString());
        assertEquals(1, r.code(), r.out());
        assertEquals("error: " + in + ": holds no tensors (not a checkpoint?); nothing imported", r.err().strip());
        assertFalse(Files.exists(out));
    }

    @Test
    void inspectListsTensorsAndMetadataOfBothFormats() throws IOException {
        CliRun r = run(new InspectCommand(), GOLDEN.resolve("mmdet_like_zip.pth").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("PyTorch zip checkpoint, 37 tensors"), r.out());
        assertTrue(r.out().matches("(?s).*state_dict\\.neck\\.fpn_convs\\.0\\.conv\\.weight +float16 +\\[16, 16, 3, 3\\].*"), r.out());
        assertTrue(r.out().matches("(?s).*state_dict\\.bbox_head\\.scales\\.0\\.scale +float32 +\\[\\]\n.*"), r.out());
        assertTrue(r.out().contains("meta.mmdet_version = 3.3.0"), r.out());
        assertTrue(r.out().contains("meta.config = _base_ = [ ... ("), r.out());

        Path st = tmp.resolve("x.safetensors");
        assertEquals(0, run(new ImportCommand(), "--from", GOLDEN.resolve("tiny_resnet_legacy.pth").toString(), "--to", st.toString()).code());
        r = run(new InspectCommand(), st.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("safetensors, 56 tensors"), r.out());
        assertTrue(r.out().matches("(?s).*\n  layer1\\.0\\.bn1\\.num_batches_tracked +int64 +\\[\\]\n.*"), r.out());

        Path badFile = Files.write(tmp.resolve("bad.pth"), new byte[]{1, 2, 3});
        r = run(new InspectCommand(), badFile.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("error: " + badFile + ": not a PyTorch checkpoint"), r.err());
        Path badSt = Files.write(tmp.resolve("bad.safetensors"), Arrays.copyOf(Files.readAllBytes(st), 100));
        r = run(new InspectCommand(), badSt.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("error: " + badSt + ": truncated"), r.err());

        // a plain pickle: MMDetection's test.py --out results (made with torch, goldens/mmdet_results)
        Path pkl = autoassign.GoldenFiles.folder("mmdet_results").resolve("dump_protocol2.pkl");
        r = run(new InspectCommand(), pkl.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("pickle, 9 tensors, 30 elements"), r.out());
        assertTrue(r.out().matches("(?s).*\n  0\\.pred_instances\\.labels +int64 +\\[4\\]\n.*"), r.out());
        assertTrue(r.out().contains("2.img_path = data/images/c.jpg"), r.out());
        // torch.save files named .pkl stay checkpoints (zip and legacy)
        for (String golden : new String[] {"mmdet_like_zip.pth", "tiny_resnet_legacy.pth"}) {
            Path named = Files.copy(GOLDEN.resolve(golden), tmp.resolve(golden.replace(".pth", ".pkl")));
            r = run(new InspectCommand(), named.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("PyTorch " + (golden.contains("zip") ? "zip" : "legacy") + " checkpoint"), r.out());
        }
        Path badPkl = Files.write(tmp.resolve("bad.pkl"), new byte[] {'[', ']'});
        r = run(new InspectCommand(), badPkl.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("error: " + badPkl + ": not a pickle file"), r.err());
    }
}
