package autoassign.io;

/**
 * SwinTransformer.init_weights' resize of a pretrained {@code relative_position_bias_table} [L1, nH] to the model's
 * [L2, nH] when L1 ≠ L2 (another window size): S = int(√L), {@code F.interpolate(table.permute(1, 0).reshape(1, nH, S1,
 * S1), size=(S2, S2), mode='bicubic').view(nH, L2).permute(1, 0)} ({@link BicubicResize}). A different head count is
 * upstream's "Error in loading" (load_state_dict then fails on the shape): refused here with the key named.
 */
public final class SwinBiasTableResize {
    private SwinBiasTableResize() {}

    /** The resized table [l2, heads] (row-major), or {@code table} itself when l1 = l2. */
    public static float[] resize(String key, float[] table, int l1, int heads1, int l2, int heads2) {
        if (heads1 != heads2)
            throw new IllegalArgumentException(key + ": the pretrained table has " + heads1 + " heads, the model " + heads2
                    + " (upstream's init_weights skips it with 'Error in loading', then load_state_dict fails on the shape)");
        if (l1 == l2) return table;
        int s1 = (int) Math.sqrt(l1), s2 = (int) Math.sqrt(l2);
        if (s1 * s1 != l1 || s2 * s2 != l2)
            throw new IllegalArgumentException(key + ": " + l1 + " and " + l2 + " rows are not square tables ((2·window − 1)²)");
        float[] chw = new float[heads1 * l1];
        for (int p = 0; p < l1; p++)
            for (int h = 0; h < heads1; h++) chw[h * l1 + p] = table[p * heads1 + h];
        float[] r = BicubicResize.resize(chw, heads1, s1, s1, s2, s2);
        float[] out = new float[l2 * heads1];
        for (int h = 0; h < heads1; h++)
            for (int p = 0; p < l2; p++) out[p * heads1 + h] = r[h * l2 + p];
        return out;
    }
}
