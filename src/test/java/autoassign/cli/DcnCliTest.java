package autoassign.cli;

import autoassign.config.ConfigLoader;
import autoassign.io.ModelWeights;
import autoassign.model.AutoAssignDetector;
import autoassign.model.Complexity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The commands on a backbone with DCNv2 ({@code configs/autoassign_r50-caffe-dcnv2_fpn_1x_coco.yaml} at a small
 * width): {@code flops} counts the offset convs, a checkpoint round-trips strictly under the upstream names, and
 * {@code export} writes ONNX at opset 19 (DeformConv).
 */
class DcnCliTest {
    @TempDir Path tmp;

    private Path smallDcnConfig() throws Exception {
        Path f = tmp.resolve("dcnv2_small.yaml");
        Files.writeString(f, """
                _base_: %s
                model:
                  backbone: {base_channels: 8, stem_channels: 8}
                  neck: {in_channels: [32, 64, 128, 256], out_channels: 16}
                  bbox_head: {in_channels: 16, feat_channels: 16, norm_cfg: {num_groups: 8}}
                """.formatted(Path.of("configs/autoassign_r50-caffe-dcnv2_fpn_1x_coco.yaml").toAbsolutePath()));
        return f;
    }

    @Test
    void flopsCountTheOffsetConvs() throws Exception {
        Path cfg = smallDcnConfig();
        CliRun r = CliRun.run(new FlopsCommand(), "--config", cfg.toString(), "--shape", "256");
        assertEquals(0, r.code(), r.err());
        AutoAssignDetector m = new AutoAssignDetector(ConfigLoader.load(cfg).model(), 0);
        String flops = ComplexityTable.formatSize(Complexity.flops(m, 256, 256).total());
        assertTrue(r.out().contains("Flops: " + flops), r.out());
    }

    @Test
    void checkpointRoundTripsAndExportsToOnnxOpset19() throws Exception {
        Path cfg = smallDcnConfig();
        AutoAssignDetector m = new AutoAssignDetector(ConfigLoader.load(cfg).model(), 0);
        Path ck = tmp.resolve("dcn.safetensors");
        ModelWeights.save(ck, m, Map.of());
        AutoAssignDetector back = new AutoAssignDetector(ConfigLoader.load(cfg).model(), 1);
        ModelWeights.LoadResult lr = ModelWeights.load(ck, back, true);
        assertTrue(lr.report().clean(), lr.report().toString());
        assertTrue(m.stateDict().containsKey("backbone.layer2.0.conv2.conv_offset.weight"));
        Path onnx = tmp.resolve("m.onnx");
        CliRun r = CliRun.run(new ExportCommand(), "--config", cfg.toString(), "--checkpoint", ck.toString(), "--to", onnx.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(": ONNX opset 19, "), r.out());
        assertTrue(Files.size(onnx) > 0);
    }
}
