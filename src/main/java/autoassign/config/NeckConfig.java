package autoassign.config;

import java.util.List;

/**
 * {@code model.neck} (MMDetection {@code FPN}).
 *
 * @param inChannels            channels of the backbone features it receives (one per backbone out index)
 * @param outChannels           channels of every output level
 * @param numOuts               number of output levels
 * @param startLevel            first input used (1 skips C2)
 * @param endLevel              last input used, exclusive; -1 = all
 * @param addExtraConvs         "on_input", "on_lateral", "on_output" or "none" (YAML {@code true} = on_input,
 *                              {@code false} = none: extra levels by stride-2 max pooling)
 * @param reluBeforeExtraConvs  ReLU before every extra conv but the first
 * @param init                  "Caffe2Xavier" or "Xavier" (uniform) for the conv weights; biases 0
 */
public record NeckConfig(List<Integer> inChannels, int outChannels, int numOuts, int startLevel, int endLevel,
                         String addExtraConvs, boolean reluBeforeExtraConvs, String init) {

    public NeckConfig {
        inChannels = List.copyOf(inChannels);
    }

    /** Index (exclusive) of the last backbone feature used. */
    public int backboneEndLevel() { return endLevel == -1 ? inChannels.size() : endLevel; }

    /** Number of extra levels above the backbone's (P6, P7). */
    public int extraLevels() { return numOuts - (backboneEndLevel() - startLevel); }

    public boolean extraConvs() { return !"none".equals(addExtraConvs); }

    static NeckConfig from(ConfigNode n) {
        n.fixed("type", "FPN");
        List<Integer> in = n.intList("in_channels", null);
        if (in == null) throw n.error("in_channels", "required key is missing");
        if (in.isEmpty()) throw n.error("in_channels", "must not be empty");
        for (int c : in) if (c <= 0) throw n.error("in_channels", "channels must be positive, got " + in);
        int out = n.positive("out_channels", n.integer("out_channels"));
        int numOuts = n.positive("num_outs", n.integer("num_outs"));
        int start = n.integer("start_level", 0);
        if (start < 0 || start >= in.size())
            throw n.error("start_level", "must be in 0.." + (in.size() - 1) + ", got " + start);
        int end = n.integer("end_level", -1);
        if (end != -1 && (end <= start || end > in.size()))
            throw n.error("end_level", "must be -1 or in " + (start + 1) + ".." + in.size() + ", got " + end);
        String extra;
        var raw = n.raw("add_extra_convs");
        if (raw == null) extra = "none";
        else if (raw.isBoolean()) extra = raw.asBoolean() ? "on_input" : "none";
        else if (raw.isTextual() && List.of("on_input", "on_lateral", "on_output").contains(raw.asText())) extra = raw.asText();
        else throw n.error("add_extra_convs", "must be true, false, on_input, on_lateral or on_output, got "
                    + ConfigNode.describe(raw));
        boolean relu = n.bool("relu_before_extra_convs", false);
        ConfigNode init = n.child("init_cfg");
        String initType = init.choice("type", "Xavier", "Caffe2Xavier", "Xavier");
        init.choice("layer", "Conv2d", "Conv2d");
        if (initType.equals("Xavier")) init.choice("distribution", "uniform", "uniform");
        init.finish();
        n.finish();
        NeckConfig c = new NeckConfig(in, out, numOuts, start, end, extra, relu, initType);
        int used = c.backboneEndLevel() - start;
        if (numOuts < used)
            throw n.error("num_outs", "must be >= the " + used + " backbone levels used, got " + numOuts);
        if (c.extraLevels() > 0 && end != -1 && end != in.size())
            throw n.error("end_level", "extra levels need end_level -1 (all inputs used)");
        return c;
    }
}
