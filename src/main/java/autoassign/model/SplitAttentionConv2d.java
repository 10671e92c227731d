package autoassign.model;

import autoassign.autograd.ChannelSlices;
import autoassign.autograd.F;
import autoassign.autograd.SpatialMean;
import autoassign.config.NormConfig;
import autoassign.nn.BatchNorm2d;
import autoassign.nn.Conv2d;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * MMDetection 3.3.0's {@code SplitAttentionConv2d} ({@code mmdet/models/backbones/resnest.py}), ResNeSt's 3×3:
 * {@code conv} (in → channels·radix, groups·radix groups, no bias) + {@code bn0} + ReLU; the radix splits of
 * {@code channels} each are summed, averaged over H·W ({@code adaptive_avg_pool2d(·, 1)}), {@code fc1} (1×1,
 * {@code groups}, bias) + {@code bn1} + ReLU, {@code fc2} (1×1, {@code groups}, bias) → channels·radix logits;
 * {@code rsoftmax} turns them into per-split weights (softmax over the radix of the [groups, radix, rest] view,
 * transposed to [radix, groups, rest]; a sigmoid at radix 1), and the output is Σ_r weight_r · split_r.
 * Children in upstream's order: {@code conv, bn0, fc1, bn1, fc2} (state-dict names {@code conv2.conv.weight},
 * {@code conv2.bn0.*}, {@code conv2.fc1.weight / .bias}, {@code conv2.bn1.*}, {@code conv2.fc2.weight / .bias}).
 */
public final class SplitAttentionConv2d extends Module {
    public final Conv2d conv, fc1, fc2;
    public final Module bn0, bn1;
    public final int channels, radix, groups, interChannels;

    /**
     * @param in        input channels
     * @param channels  output channels (each of the radix splits has this many)
     * @param stride    the 3×3's stride (1 when the block's {@code avd_layer} takes it)
     * @param dilation  the 3×3's dilation and padding
     */
    public SplitAttentionConv2d(int in, int channels, int stride, int dilation, int groups, int radix, int reductionFactor,
                                NormConfig norm) {
        if (radix < 1 || groups < 1) throw new IllegalArgumentException("SplitAttentionConv2d: radix and groups must be >= 1");
        this.channels = channels;
        this.radix = radix;
        this.groups = groups;
        this.interChannels = Math.max(in * radix / reductionFactor, 32);
        String a = Norms.abbr(norm);
        conv = child("conv", new Conv2d(in, channels * radix, 3, stride, dilation, dilation, groups * radix, false));
        bn0 = child(a + "0", Norms.build(norm, channels * radix));
        fc1 = child("fc1", new Conv2d(channels, interChannels, 1, 1, 0, 1, groups, true));
        bn1 = child(a + "1", Norms.build(norm, interChannels));
        fc2 = child("fc2", new Conv2d(interChannels, channels * radix, 1, 1, 0, 1, groups, true));
    }

    public Tensor forward(Tensor x) {
        Tensor y = Norms.convNormAct(conv, bn0, x, null, true);
        int n = y.dim(0);
        Tensor[] splits = radix > 1 ? ChannelSlices.split(y, sizes(radix, channels)) : new Tensor[] {y};
        if (radix > 1) MemoryScope.dispose(y);
        Tensor sum = splits[0];
        for (int r = 1; r < radix; r++) {
            Tensor s = F.add(sum, splits[r]);
            if (r > 1) MemoryScope.dispose(sum);
            sum = s;
        }
        Tensor gap = SpatialMean.of(sum);
        if (radix > 1) MemoryScope.dispose(sum);
        // torch's batch_norm in training; SyncBN across workers refuses only a group of one value (F.batchNormTraining)
        if (n == 1 && bn1 instanceof BatchNorm2d bn && bn.normalisesWithBatchStatistics() && !bn.syncsAcrossWorkers())
            throw new IllegalArgumentException("SplitAttentionConv2d: bn1 with batch statistics needs more than one sample "
                    + "(torch: Expected more than 1 value per channel when training, got input size [1, " + interChannels + ", 1, 1])");
        Tensor h = Norms.convNormAct(fc1, bn1, gap, null, true);
        MemoryScope.dispose(gap);
        Tensor logits = fc2.forward(h);
        MemoryScope.dispose(h);
        Tensor att = rsoftmax(logits);
        MemoryScope.dispose(logits);
        if (radix == 1) {
            Tensor out = F.rowScale(y, att);
            MemoryScope.dispose(att);
            return out;
        }
        Tensor[] atts = ChannelSlices.split(att, sizes(radix, channels));
        MemoryScope.dispose(att);
        Tensor out = null;
        for (int r = 0; r < radix; r++) {
            Tensor w = F.rowScale(splits[r], atts[r]);
            MemoryScope.dispose(splits[r]);
            MemoryScope.dispose(atts[r]);
            if (out == null) out = w;
            else {
                Tensor s = F.add(out, w);
                MemoryScope.dispose(out);
                MemoryScope.dispose(w);
                out = s;
            }
        }
        return out;
    }

    /**
     * Upstream's {@code RSoftmax}: [N, channels·radix, 1, 1] logits laid out [groups, radix, rest] → softmax over the
     * radix, laid out [radix, groups, rest] (the transpose; a no-op at groups 1); a sigmoid at radix 1.
     */
    Tensor rsoftmax(Tensor logits) {
        if (radix == 1) return F.sigmoid(logits);
        int n = logits.dim(0), rest = channels / groups;
        Tensor sm = F.softmax(logits, n * groups, radix, rest);
        if (groups == 1) return sm;
        Tensor[] pieces = ChannelSlices.split(sm, sizes(groups * radix, rest)); // piece g·radix + r
        MemoryScope.dispose(sm);
        List<Tensor> order = new ArrayList<>(groups * radix);
        for (int r = 0; r < radix; r++)
            for (int g = 0; g < groups; g++) order.add(pieces[g * radix + r]);
        Tensor out = F.concatChannels(order);
        for (Tensor p : pieces) MemoryScope.dispose(p);
        return out;
    }

    private static int[] sizes(int count, int size) {
        int[] s = new int[count];
        Arrays.fill(s, size);
        return s;
    }
}
