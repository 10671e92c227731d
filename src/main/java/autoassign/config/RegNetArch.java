package autoassign.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code arch} of MMDetection's {@code RegNet} backbone ({@code mmdet/models/backbones/regnet.py}) and the stage
 * plan it generates: {@code generate_regnet} (per-block widths, quantized to multiples of 8), {@code
 * get_stages_from_blocks}, {@code adjust_width_group} and the per-stage loop of {@code RegNet.__init__}. The
 * arithmetic is numpy's float64 one, done in the same order (no fused multiply-add), with numpy's / Python's
 * round-half-to-even ({@link Math#rint}); {@code RegNetWidthsGoldenTest} checks it against the transcription in
 * {@code scripts/goldens/regnet_widths.py}.
 *
 * @param name    the {@code arch_settings} key, or null for a dict arch
 * @param w0      initial width (a positive multiple of 8)
 * @param wa      slope of the width (&ge; 0)
 * @param wm      width multiplier of the quantization (&gt; 1)
 * @param groupW  channels per group of the 3×3 convs
 * @param depth   number of blocks before they are split into stages
 * @param botMul  bottleneck ratio
 */
public record RegNetArch(String name, int w0, double wa, double wm, int groupW, int depth, double botMul) {

    /** The divisor {@code generate_regnet} quantizes the block widths to. */
    public static final int DIVISOR = 8;

    /** {@code RegNet.arch_settings}, in upstream order. */
    public static final Map<String, RegNetArch> ARCH_SETTINGS;

    static {
        Map<String, RegNetArch> m = new LinkedHashMap<>();
        m.put("regnetx_400mf", new RegNetArch("regnetx_400mf", 24, 24.48, 2.54, 16, 22, 1.0));
        m.put("regnetx_800mf", new RegNetArch("regnetx_800mf", 56, 35.73, 2.28, 16, 16, 1.0));
        m.put("regnetx_1.6gf", new RegNetArch("regnetx_1.6gf", 80, 34.01, 2.25, 24, 18, 1.0));
        m.put("regnetx_3.2gf", new RegNetArch("regnetx_3.2gf", 88, 26.31, 2.25, 48, 25, 1.0));
        m.put("regnetx_4.0gf", new RegNetArch("regnetx_4.0gf", 96, 38.65, 2.43, 40, 23, 1.0));
        m.put("regnetx_6.4gf", new RegNetArch("regnetx_6.4gf", 184, 60.83, 2.07, 56, 17, 1.0));
        m.put("regnetx_8.0gf", new RegNetArch("regnetx_8.0gf", 80, 49.56, 2.88, 120, 23, 1.0));
        m.put("regnetx_12gf", new RegNetArch("regnetx_12gf", 168, 73.36, 2.37, 112, 19, 1.0));
        ARCH_SETTINGS = java.util.Collections.unmodifiableMap(m);
    }

    /**
     * The stage plan of an arch.
     *
     * @param blockWidths  {@code generate_regnet}'s per-block widths
     * @param numStages    number of distinct block widths ({@code len(np.unique(widths))})
     * @param stageWidths  output channels of each stage (after {@code adjust_width_group})
     * @param groupWidths  group width of each stage (after {@code adjust_width_group}: at most the bottleneck width)
     * @param stageBlocks  blocks of each stage
     * @param stageGroups  groups of each stage's 3×3 convs ({@code int(round(w · bot_mul)) // group_width})
     * @param innerWidths  channels inside each stage's bottlenecks, as ResNeXt's {@code Bottleneck} computes them with
     *                     planes = base_channels = the stage width and base_width = the group width
     */
    public record Plan(List<Integer> blockWidths, int numStages, List<Integer> stageWidths, List<Integer> groupWidths,
                       List<Integer> stageBlocks, List<Integer> stageGroups, List<Integer> innerWidths) {
        public Plan {
            blockWidths = List.copyOf(blockWidths);
            stageWidths = List.copyOf(stageWidths);
            groupWidths = List.copyOf(groupWidths);
            stageBlocks = List.copyOf(stageBlocks);
            stageGroups = List.copyOf(stageGroups);
            innerWidths = List.copyOf(innerWidths);
        }

        /** Total blocks (what upstream stores as {@code self.depth}). */
        public int totalBlocks() { return stageBlocks.stream().mapToInt(Integer::intValue).sum(); }
    }

    /** The arch's problem as a sentence for a config error, or null when {@code generate_regnet}'s asserts hold. */
    public String problem() {
        if (!(wa >= 0) || Double.isInfinite(wa)) return "wa must be a number >= 0, got " + wa;
        if (w0 <= 0) return "w0 must be positive, got " + w0;
        if (!(wm > 1) || Double.isInfinite(wm)) return "wm must be a number > 1, got " + wm;
        if (w0 % DIVISOR != 0) return "w0 must be a multiple of " + DIVISOR + ", got " + w0;
        if (depth < 1) return "depth must be positive, got " + depth;
        if (groupW < 1) return "group_w must be positive, got " + groupW;
        if (!(botMul > 0) || Double.isInfinite(botMul)) return "bot_mul must be a positive number, got " + botMul;
        return null;
    }

    /** {@code np.arange(depth) * wa + w0} (float64). */
    public double[] widthsCont() {
        double[] c = new double[depth];
        for (int i = 0; i < depth; i++) c[i] = (double) i * wa + (double) w0;
        return c;
    }

    /** {@code np.round(np.log(widths_cont / w0) / np.log(wm))}. */
    public double[] ks() {
        double[] c = widthsCont(), ks = new double[depth];
        double logWm = Math.log(wm);
        for (int i = 0; i < depth; i++) ks[i] = Math.rint(Math.log(c[i] / w0) / logWm);
        return ks;
    }

    /** {@code w0 * np.power(wm, ks)}: the block widths before quantization. */
    public double[] widthsPow() {
        double[] ks = ks(), w = new double[depth];
        for (int i = 0; i < depth; i++) w[i] = (double) w0 * power(wm, ks[i]);
        return w;
    }

    /**
     * {@code np.power(base, k)} for the whole-number {@code k >= 0} that {@code np.round} gives: the exact power of the
     * double {@code base} rounded once to the nearest double, as glibc's {@code pow} (which numpy calls) returns it.
     * {@link Math#pow} may be an ulp off (e.g. 2.28^4), enough to move a width across a rounding boundary in principle.
     */
    static double power(double base, double k) {
        if (k != Math.rint(k) || k < 0 || k > 4096) return Math.pow(base, k);
        return new java.math.BigDecimal(base).pow((int) k).doubleValue();
    }

    /** {@code generate_regnet}: {@code (np.round(widths / 8) * 8).astype(int)}. */
    public int[] blockWidths() {
        double[] w = widthsPow();
        int[] out = new int[depth];
        for (int i = 0; i < depth; i++) out[i] = (int) (Math.rint(w[i] / DIVISOR) * DIVISOR);
        return out;
    }

    /** {@code int(round(number / divisor) * divisor)} (Python's round: half to even). */
    static int quantizeFloat(int number, int divisor) {
        return (int) (Math.rint((double) number / divisor) * divisor);
    }

    /** The stage plan: {@code generate_regnet} → {@code get_stages_from_blocks} → {@code adjust_width_group}. */
    public Plan plan() {
        String p = problem();
        if (p != null) throw new IllegalArgumentException(p);
        int[] widths = blockWidths();
        int numStages = (int) java.util.Arrays.stream(widths).distinct().count();
        // get_stages_from_blocks: a stage starts wherever the width changes
        List<Integer> stageWidths = new ArrayList<>(), stageBlocks = new ArrayList<>();
        int start = 0;
        for (int i = 1; i <= depth; i++) {
            if (i == depth || widths[i] != widths[i - 1]) {
                stageWidths.add(widths[i - 1]);
                stageBlocks.add(i - start);
                start = i;
            }
        }
        List<Integer> blockWidths = new ArrayList<>();
        for (int w : widths) blockWidths.add(w);
        // adjust_width_group (upstream lists of num_stages group widths / ratios; zip stops at the shorter list)
        int n = Math.min(numStages, stageWidths.size());
        List<Integer> adjWidths = new ArrayList<>(), groupWidths = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int wBot = (int) (stageWidths.get(i) * botMul);
            int g = Math.min(groupW, wBot);
            if (g <= 0) throw new IllegalArgumentException("stage " + (i + 1) + " has a bottleneck width of " + wBot
                    + " (width " + stageWidths.get(i) + " · bot_mul " + botMul + "): no channel for a group");
            wBot = quantizeFloat(wBot, g);
            adjWidths.add((int) (wBot / botMul));
            groupWidths.add(g);
        }
        // RegNet.__init__: stage_blocks[:num_stages]; each stage's groups and ResNeXt Bottleneck's inner width
        List<Integer> blocks = stageBlocks.subList(0, Math.min(numStages, stageBlocks.size()));
        List<Integer> groups = new ArrayList<>(), inner = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            int w = adjWidths.get(i), gw = groupWidths.get(i);
            int width = (int) Math.rint(w * botMul);
            int stageGroups = Math.floorDiv(width, gw);
            groups.add(stageGroups);
            inner.add(stageGroups == 1 ? w : (int) Math.floor(w * ((double) gw / w)) * stageGroups);
        }
        return new Plan(blockWidths, numStages, adjWidths, groupWidths, blocks, groups, inner);
    }

    /** Reads {@code arch}: an {@code arch_settings} name or a mapping of w0, wa, wm, group_w, depth, bot_mul. */
    static RegNetArch from(ConfigNode backbone) {
        var raw = backbone.raw("arch");
        if (raw == null) throw backbone.error("arch", "required key is missing: RegNet needs an arch (one of "
                + String.join(", ", ARCH_SETTINGS.keySet()) + ", or a mapping of w0, wa, wm, group_w, depth, bot_mul)");
        if (raw.isTextual()) {
            RegNetArch a = ARCH_SETTINGS.get(raw.asText());
            if (a == null) throw backbone.error("arch", "'" + raw.asText() + "' is not one of the arch_settings: "
                    + String.join(", ", ARCH_SETTINGS.keySet()) + " (or give a mapping of w0, wa, wm, group_w, depth, bot_mul)");
            return a;
        }
        if (!raw.isObject()) throw backbone.error("arch", "must be an arch name or a mapping of w0, wa, wm, group_w, depth, "
                + "bot_mul, got " + ConfigNode.describe(raw));
        ConfigNode n = backbone.child("arch");
        RegNetArch a = new RegNetArch(null, n.integer("w0"), n.number("wa"), n.number("wm"), n.integer("group_w"),
                n.integer("depth"), n.number("bot_mul"));
        n.finish();
        String p = a.problem();
        if (p != null) throw n.error(p.substring(0, p.indexOf(' ')), p.substring(p.indexOf(' ') + 1));
        return a;
    }

    /** {@code arch} as written in a config: the name, or the mapping. */
    public String describe() {
        return name != null ? name : "dict(w0=" + w0 + ", wa=" + wa + ", wm=" + wm + ", group_w=" + groupW + ", depth="
                + depth + ", bot_mul=" + botMul + ")";
    }
}
