package autoassign.config;

/**
 * {@code val_cfg} and {@code test_cfg}: MMEngine's {@code ValLoop} / {@code TestLoop} (the only types), with their
 * {@code fp16} switch, which runs {@code val_step} / {@code test_step} under {@code autocast} in MMEngine 0.10
 * ({@code mmengine/runner/loops.py}). Accepted, as {@code AmpOptimWrapper} is: there are no float16 kernels here, so the
 * computation stays float32 (TF32 convolutions and GEMMs on GPUs), and the run says so once ({@link #note}).
 *
 * @param valFp16  {@code val_cfg.fp16} (false)
 * @param testFp16 {@code test_cfg.fp16} (false)
 */
public record EvalLoops(boolean valFp16, boolean testFp16) {
    /** MMEngine's defaults: no autocast. */
    public static final EvalLoops DEFAULTS = new EvalLoops(false, false);

    static EvalLoops from(ConfigNode root) {
        ConfigNode val = root.child("val_cfg");
        val.fixed("type", "ValLoop");
        boolean valFp16 = val.bool("fp16", false);
        val.finish();
        ConfigNode test = root.child("test_cfg");
        test.fixed("type", "TestLoop");
        boolean testFp16 = test.bool("fp16", false);
        test.finish();
        return new EvalLoops(valFp16, testFp16);
    }

    /**
     * The one startup line for a loop with {@code fp16: true} ({@code test} false: the validations of a training, true:
     * {@code eval --config}), or null when it has none.
     */
    public String note(boolean test) {
        if (!(test ? testFp16 : valFp16)) return null;
        return (test ? "test_cfg (TestLoop)" : "val_cfg (ValLoop)") + " fp16: true: MMEngine runs "
                + (test ? "test_step" : "val_step") + " under autocast; here the computation stays float32 (TF32 on GPUs), "
                + "as with AmpOptimWrapper (no float16 kernels)";
    }
}
