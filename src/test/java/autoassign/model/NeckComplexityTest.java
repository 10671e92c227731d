package autoassign.model;

import autoassign.config.ConfigLoader;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Complexity} of the PAFPN and HRFPN necks on the tiny config (ResNet-18 at base 16, neck width 32), counted
 * by hand as MMEngine's handles do: convs Cout·Cin·k²·Hout·Wout, {@code upsample_bilinear2d} 4 per output element,
 * concatenation and pooling 0.
 */
class NeckComplexityTest {
    private static AutoAssignDetector tiny(String... overrides) {
        return new AutoAssignDetector(ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of(overrides)).model(), 0);
    }

    @Test
    void pafpnAddsItsBottomUpConvs() {
        long fpn = Complexity.flops(tiny(), 64, 96).flopsByModule().get("neck");
        Complexity.Flops f = Complexity.flops(tiny("model.neck.type=PAFPN"), 64, 96);
        // P3 8×12, P4 4×6, P5 2×3: downsample_convs 0/1 output 4×6 and 2×3, pafpn_convs 0/1 run on 4×6 and 2×3
        long conv3x3 = 32L * 32 * 9;
        assertEquals(conv3x3 * 24, f.flopsByModule().get("neck.downsample_convs.0.conv"));
        assertEquals(conv3x3 * 6, f.flopsByModule().get("neck.pafpn_convs.1.conv"));
        assertEquals(fpn + conv3x3 * (24 + 6 + 24 + 6), f.flopsByModule().get("neck"));
        assertTrue(f.uncalled().stream().noneMatch(m -> m.startsWith("neck")), f.uncalled().toString());
    }

    @Test
    void hrfpnCountsBilinearUpsamplingAndItsConvs() {
        AutoAssignDetector m = tiny("model.backbone.out_indices=[0, 1, 2, 3]", "model.neck._delete_=True", "model.neck.type=HRFPN",
                "model.neck.in_channels=[16, 32, 64, 128]", "model.neck.out_channels=32", "model.neck.stride=2");
        Complexity.Flops f = Complexity.flops(m, 64, 96);
        // C2 16×24 (16 ch), C3 8×12 (32), C4 4×6 (64), C5 2×3 (128): each upsampled to 16×24
        long up = 4L * (32 + 64 + 128) * 16 * 24;
        assertEquals(up, f.flopsByOp().get(Complexity.UPSAMPLE_BILINEAR));
        long reduction = 32L * 240 * 16 * 24;
        assertEquals(reduction, f.flopsByModule().get("neck.reduction_conv"));
        // pooled 16×24, 8×12, 4×6, 2×3, 1×1, then 3×3 stride-2 convs: 8×12, 4×6, 2×3, 1×2, 1×1
        long fpnConvs = 32L * 32 * 9 * (96 + 24 + 6 + 2 + 1);
        assertEquals(up + reduction + fpnConvs, f.flopsByModule().get("neck"));
        assertFalse(Complexity.flops(tiny(), 64, 96).flopsByOp().containsKey(Complexity.UPSAMPLE_BILINEAR),
                "listed only where it runs");
        // 80×96: C5 3×3 upsampled ×8 is 24×24, C2 is 20×24: torch.cat fails, and so does the count
        var e = assertThrows(IllegalArgumentException.class, () -> Complexity.flops(m, 80, 90));
        assertTrue(e.getMessage().startsWith("HRFPN: input "), e.getMessage());
    }
}
