package autoassign.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * {@code model.backbone.dcn}: the deformable convolution MMDetection's ResNet / ResNeXt / RegNet bottlenecks build
 * as their 3×3 {@code conv2} in the stages {@code stage_with_dcn} marks ({@code build_conv_layer(dcn, ...)}): MMCV's
 * {@code DCN} ({@code DeformConv2dPack}) or {@code DCNv2} ({@code ModulatedDeformConv2dPack}).
 *
 * @param type             "DCN" or "DCNv2"
 * @param deformGroups     {@code deform_groups} (default 1): input channels in that many groups, each with its
 *                         own offsets (and mask)
 * @param fallbackOnStride {@code fallback_on_stride} (default false): upstream's Bottleneck pops it from the one
 *                         {@code dcn} dict all blocks share, so when true only the first deformable block of a ResNet
 *                         keeps a plain conv (ResNeXt's and RegNet's Bottleneck pops it a second time: none)
 */
public record DcnConfig(String type, int deformGroups, boolean fallbackOnStride) {
    public static final String DCN = "DCN", DCN_V2 = "DCNv2";

    public DcnConfig {
        if (!DCN.equals(type) && !DCN_V2.equals(type)) throw new IllegalArgumentException("dcn type must be DCN or DCNv2, got " + type);
        if (deformGroups < 1) throw new IllegalArgumentException("dcn deform_groups must be >= 1, got " + deformGroups);
    }

    /** DCNv2 (a mask from sigmoid of the offset conv's last third of channels). */
    public boolean modulated() { return DCN_V2.equals(type); }

    /** The {@code dcn} key of {@code n}: null when absent (or null). */
    static DcnConfig from(ConfigNode n) {
        if (!n.has("dcn")) {
            n.raw("dcn");
            return null;
        }
        ConfigNode d = n.child("dcn");
        String type = d.string("type");
        if (!DCN.equals(type) && !DCN_V2.equals(type))
            throw d.error("type", "only DCN (MMCV's DeformConv2dPack) and DCNv2 (ModulatedDeformConv2dPack) are supported, got '" + type + "'");
        int dg = d.positive("deform_groups", d.integer("deform_groups", 1));
        boolean fallback = d.bool("fallback_on_stride", false);
        d.finish();
        return new DcnConfig(type, dg, fallback);
    }

    /**
     * {@code stage_with_dcn}: one true / false per stage; upstream's default (False, False, False, False), whose length
     * must equal {@code num_stages} when a dcn is given (upstream asserts it); without a dcn it is read and unused, as
     * upstream does.
     */
    static List<Boolean> stagesFrom(ConfigNode n, DcnConfig dcn, int numStages) {
        List<Boolean> out = new ArrayList<>(List.of(false, false, false, false));
        JsonNode v = n.raw("stage_with_dcn");
        if (v != null) {
            if (!v.isArray()) throw n.error("stage_with_dcn", "must be a list of true / false, one per stage, got " + ConfigNode.describe(v));
            out.clear();
            for (int i = 0; i < v.size(); i++) {
                if (!v.get(i).isBoolean())
                    throw n.error("stage_with_dcn", "must be a list of true / false, one per stage; entry " + i + " is " + ConfigNode.describe(v.get(i)));
                out.add(v.get(i).asBoolean());
            }
        }
        if (dcn != null && out.size() != numStages)
            throw n.error("stage_with_dcn", "needs one entry per stage (" + numStages + " stages), got " + out.size() + ": " + out
                    + (v == null ? " (the default)" : ""));
        if (dcn == null) return Collections.nCopies(numStages, false);
        return List.copyOf(out);
    }
}
