package autoassign.config;

import java.util.List;

/**
 * What CSPDarknet and CSPNeXt configs share: upstream's {@code arch_settings} rows {in, out, num_blocks, add_identity,
 * use_spp} scaled by {@code widen_factor} (channels {@code int(c · w)}) and {@code deepen_factor} (blocks
 * {@code max(round(n · d), 1)}, Python's round: half to even), and out indices over the stem (0, stride 2) and the
 * stages (i, stride 2^(i+1)).
 */
public interface CspArch extends BackboneSpec {
    List<int[]> stages();

    double deepenFactor();

    double widenFactor();

    List<Integer> outIndices();

    /** Number of stages (4 for P5, 5 for P6). */
    default int numStages() { return stages().size(); }

    /** The stem's output channels: {@code int(stages[0].in · widen)}. */
    default int stemChannels() { return (int) (stages().get(0)[0] * widenFactor()); }

    /** Input channels of stage i (1-based): {@code int(in · widen)}. */
    default int stageIn(int i) { return (int) (stages().get(i - 1)[0] * widenFactor()); }

    /** Output channels of stage i (1-based). */
    default int stageOut(int i) { return (int) (stages().get(i - 1)[1] * widenFactor()); }

    /** Blocks of stage i (1-based): {@code max(round(n · deepen), 1)}, Python's round. */
    default int stageBlocks(int i) { return Math.max((int) Math.rint(stages().get(i - 1)[2] * deepenFactor()), 1); }

    default boolean stageAddIdentity(int i) { return stages().get(i - 1)[3] != 0; }

    default boolean stageUsesSpp(int i) { return stages().get(i - 1)[4] != 0; }

    /** Channels of layer i (0 the stem). */
    default int layerChannels(int i) { return i == 0 ? stemChannels() : stageOut(i); }

    @Override default List<Integer> outChannels() {
        return BackboneSpec.perOutIndex(outIndices(), this::layerChannels);
    }

    @Override default List<Integer> outStrides() {
        return BackboneSpec.perOutIndex(outIndices(), i -> 2 << i);
    }

    /** The last layer the forward must run (the highest out index). */
    default int lastLayer() {
        int m = 0;
        for (int i : outIndices()) m = Math.max(m, i);
        return m;
    }
}
