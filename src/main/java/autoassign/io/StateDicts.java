package autoassign.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finding the state dict inside a loaded checkpoint and mapping the names of the files users bring
 * to the engine's names (which are MMDetection's: {@code backbone.layer1.0.conv1.weight}, ...).
 */
public final class StateDicts {
    private StateDicts() {}

    /**
     * The state dict of a checkpoint, as MMEngine finds it: the {@code state_dict} entry when the top-level
     * object is a dict that has one, else its {@code model} entry (when that holds tensors), else the object
     * itself; a leading {@code module.} (DataParallel wrapper) is stripped from every name.
     */
    public static Map<String, RawTensor> find(Object root) {
        Object sd = root;
        if (root instanceof Map<?, ?> m) {
            if (m.get("state_dict") instanceof Map<?, ?> s) sd = s;
            else if (m.get("model") instanceof Map<?, ?> s && !TensorTree.tensors(s).isEmpty()) sd = s;
        }
        return stripPrefix(TensorTree.tensors(sd), "module.");
    }

    /** Removes {@code prefix} from the names that start with it. */
    public static Map<String, RawTensor> stripPrefix(Map<String, RawTensor> sd, String prefix) {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        sd.forEach((k, v) -> out.put(k.startsWith(prefix) ? k.substring(prefix.length()) : k, v));
        return out;
    }

    /** Names mapped onto the engine's model, and the names of the source that have no place in it. */
    public record Mapped(Map<String, RawTensor> tensors, List<String> ignored) {}

    private static final Pattern TORCHVISION = Pattern.compile(
            "(conv1\\.weight|bn1\\.(weight|bias|running_mean|running_var|num_batches_tracked)"
            + "|stem\\.[013467]\\.(weight|bias|running_mean|running_var|num_batches_tracked)" // deep stem (ResNetV1c)
            + "|layer[1-4]\\.\\d+\\.(conv[1-3]\\.weight|bn[1-3]\\.\\w+|downsample\\.[012]\\.\\w+)" // .2: avg_down's norm
            + "|layer[1-4]\\.\\d+\\.conv2\\.conv_offset\\.(weight|bias)" // a deformable conv2's (dcn) offset conv
            + "|layer[1-4]\\.\\d+\\.(convs\\.\\d+\\.(weight|conv_offset\\.(weight|bias))|bns\\.\\d+\\.\\w+))"); // Res2Net's slices
    /**
     * MMDetection's HRNet names beyond ResNet's (MSRA's ImageNet HRNetV2 files use them as they are): the second stem
     * conv / norm, the transitions and the HRModules' branches and fuse layers; its classification head
     * ({@code incre_modules}, {@code downsamp_modules}, {@code final_layer}, {@code classifier}) has no place.
     */
    private static final Pattern HRNET = Pattern.compile(
            "(conv2\\.weight|bn2\\.(weight|bias|running_mean|running_var|num_batches_tracked)"
            + "|transition[1-3]\\.\\d+(\\.\\d+)?\\.[01]\\.\\w+"
            + "|stage[2-4]\\.\\d+\\.(branches\\.\\d+\\.\\d+\\.(conv[1-3]\\.weight|bn[1-3]\\.\\w+|downsample\\.[01]\\.\\w+)"
            + "|fuse_layers\\.\\d+\\.\\d+(\\.\\d+)?\\.[01]\\.\\w+))");
    /**
     * MMDetection's MobileNetV2 names (its ConvModules {@code conv1}, {@code conv2} and the InvertedResiduals'
     * {@code expand_conv}, {@code depthwise_conv}, {@code linear_conv}, each {@code .conv.weight} and {@code .bn.*}),
     * as an MMDetection MobileNetV2 checkpoint stores them; other names (an MMPretrain-style {@code layer1.0.conv.0.*}
     * Sequential, a classifier) have no place, as upstream's loader would not match them either.
     */
    /**
     * MMDetection's CSPDarknet names ({@code stem.conv.conv.weight}, {@code stageK.i[.blocks.j].<module>.(conv|bn).*},
     * depth-wise separable {@code depthwise_conv} / {@code pointwise_conv} included), as a YOLOX checkpoint's
     * {@code backbone.*} entries hold them.
     */
    private static final Pattern CSP_DARKNET = Pattern.compile(
            "(stem\\.conv|stage[1-9]\\.\\d+(\\.[a-z_0-9]+)*)"
            + "\\.(conv\\.weight|bn\\.(weight|bias|running_mean|running_var|num_batches_tracked))");
    /**
     * MMDetection's CSPNeXt names beyond CSPDarknet's: the three-conv stem ({@code stem.0..2.(conv|bn).*}) and the
     * CSPLayers' ChannelAttention ({@code stageK.i.attention.fc.weight / bias}), as RTMDet's ImageNet files
     * ({@code cspnext-s_imagenet_600e.pth}, ...: {@code backbone.*} plus a classifier {@code head.fc.*}) hold them.
     */
    private static final Pattern CSPNEXT = Pattern.compile(
            "stem\\.[0-2]\\.(conv\\.weight|bn\\.(weight|bias|running_mean|running_var|num_batches_tracked))"
            + "|stage[1-9]\\.\\d+\\.attention\\.fc\\.(weight|bias)");
    private static final Pattern MOBILENET_V2 = Pattern.compile(
            "(conv[12]|layer[1-7]\\.\\d+\\.(expand_conv|depthwise_conv|linear_conv))"
            + "\\.(conv\\.weight|bn\\.(weight|bias|running_mean|running_var|num_batches_tracked))");
    /**
     * MMDetection's (and MMPretrain's) EfficientNet names: the ConvModules {@code layers.0} / {@code layers.6} and, in
     * {@code layers.1..5}, the InvertedResiduals' {@code expand_conv} / {@code depthwise_conv} / {@code linear_conv},
     * the EdgeResiduals' {@code conv1} / {@code conv2} (each {@code .conv.weight}, {@code .bn.*}) and the SE layers'
     * {@code se.conv1/conv2.conv.weight/bias}, as MMPretrain's ImageNet files hold them under {@code backbone.}.
     */
    private static final Pattern EFFICIENTNET = Pattern.compile(
            "layers\\.([06]|[1-5]\\.\\d+\\.(expand_conv|depthwise_conv|linear_conv|conv1|conv2))"
            + "\\.(conv\\.weight|bn\\.(weight|bias|running_mean|running_var|num_batches_tracked))"
            + "|layers\\.[1-5]\\.\\d+\\.se\\.conv[12]\\.conv\\.(weight|bias)");
    /**
     * MMDetection's ResNeSt split-attention {@code conv2} (its {@code conv}, {@code bn0}, {@code fc1}, {@code bn1},
     * {@code fc2}), beyond the ResNetV1d names {@link #TORCHVISION} covers, as open-mmlab://resnest50/101/200 store them.
     */
    private static final Pattern RESNEST = Pattern.compile(
            "layer[1-4]\\.\\d+\\.conv2\\.(conv\\.weight|fc[12]\\.(weight|bias)|bn[01]\\.(weight|bias|running_mean|running_var|num_batches_tracked))");
    private static final Pattern DETECTRON_BLOCK = Pattern.compile("res([2-5])_(\\d+)_branch(1|2a|2b|2c)_(w|bn_s|bn_b|bn_rm|bn_riv)");
    private static final Pattern DETECTRON2_BLOCK = Pattern.compile(
            "res([2-5])\\.(\\d+)\\.(conv[1-3]|shortcut)\\.(weight|norm\\.(weight|bias|running_mean|running_var))");

    /**
     * Maps a pretrained ResNet file (e.g. {@code resnet50_msra-5891d200.pth}, the MSRA Caffe weights behind
     * MMDetection's {@code open-mmlab://detectron2/resnet50_caffe}) onto {@code backbone.*} of the detector.
     * Accepted name forms, per file (AA_2 §7):
     * <ul>
     *   <li>torchvision / MMDetection ResNet names without prefix (also Res2Net's {@code layer1.0.convs.0.weight},
     *       {@code layer1.0.bns.0.running_mean}, as in {@code res2net101_v1d_26w_4s_mmdetv2-f0a600f9.pth}) ({@code conv1.weight}, {@code bn1.running_var},
     *       {@code layer1.0.downsample.1.weight}): prefixed with {@code backbone.}; the classifier ({@code fc.*})
     *       and anything else (e.g. {@code conv1.bias}) is ignored;</li>
     *   <li>names that already carry {@code backbone.}: kept;</li>
     *   <li>Detectron (Caffe2 blob) names ({@code conv1_w}, {@code res_conv1_bn_s}, {@code res2_0_branch2a_w},
     *       {@code res2_0_branch1_bn_b}, ...): affine-channel scale / shift become BN {@code weight} / {@code bias}
     *       (running statistics then keep their defaults 0 / 1);</li>
     *   <li>Detectron2 names ({@code stem.conv1.weight}, {@code stem.conv1.norm.weight}, {@code res2.0.conv1.norm.bias},
     *       {@code res2.0.shortcut.weight}).</li>
     * </ul>
     * Call on the state dict found by {@link #find} (wrapper and {@code module.} prefix already removed).
     */
    public static Mapped resnetToBackbone(Map<String, RawTensor> pretrained) {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        List<String> ignored = new ArrayList<>();
        for (Map.Entry<String, RawTensor> e : pretrained.entrySet()) {
            String name = resnetName(e.getKey());
            if (name == null) ignored.add(e.getKey());
            else out.put(name, e.getValue());
        }
        return new Mapped(out, ignored);
    }

    /** The engine name of one pretrained-ResNet key, or null when it has no place in the backbone. */
    static String resnetName(String k) {
        if (k.startsWith("backbone."))
            return TORCHVISION.matcher(k.substring(9)).matches() || HRNET.matcher(k.substring(9)).matches()
                    || MOBILENET_V2.matcher(k.substring(9)).matches() || RESNEST.matcher(k.substring(9)).matches()
                    || CSP_DARKNET.matcher(k.substring(9)).matches() || CSPNEXT.matcher(k.substring(9)).matches()
                    || EFFICIENTNET.matcher(k.substring(9)).matches() ? k : null;
        if (TORCHVISION.matcher(k).matches()) return "backbone." + k;
        if (HRNET.matcher(k).matches()) return "backbone." + k;
        if (MOBILENET_V2.matcher(k).matches()) return "backbone." + k;
        if (CSP_DARKNET.matcher(k).matches()) return "backbone." + k;
        if (CSPNEXT.matcher(k).matches()) return "backbone." + k;
        if (RESNEST.matcher(k).matches()) return "backbone." + k;
        if (EFFICIENTNET.matcher(k).matches()) return "backbone." + k;
        switch (k) { // Detectron stem
            case "conv1_w": return "backbone.conv1.weight";
            case "res_conv1_bn_s": return "backbone.bn1.weight";
            case "res_conv1_bn_b": return "backbone.bn1.bias";
            case "res_conv1_bn_rm": return "backbone.bn1.running_mean";
            case "res_conv1_bn_riv": return "backbone.bn1.running_var";
            case "stem.conv1.weight": return "backbone.conv1.weight"; // Detectron2 stem
            case "stem.conv1.norm.weight": return "backbone.bn1.weight";
            case "stem.conv1.norm.bias": return "backbone.bn1.bias";
            case "stem.conv1.norm.running_mean": return "backbone.bn1.running_mean";
            case "stem.conv1.norm.running_var": return "backbone.bn1.running_var";
            default: break;
        }
        Matcher m = DETECTRON_BLOCK.matcher(k);
        if (m.matches()) {
            String block = "backbone.layer" + (Integer.parseInt(m.group(1)) - 1) + "." + m.group(2) + ".";
            String branch = m.group(3);
            String conv = branch.equals("1") ? "downsample.0" : "conv" + (branch.charAt(1) - 'a' + 1);
            String bn = branch.equals("1") ? "downsample.1" : "bn" + (branch.charAt(1) - 'a' + 1);
            switch (m.group(4)) {
                case "w": return block + conv + ".weight";
                case "bn_s": return block + bn + ".weight";
                case "bn_b": return block + bn + ".bias";
                case "bn_rm": return block + bn + ".running_mean";
                default: return block + bn + ".running_var";
            }
        }
        m = DETECTRON2_BLOCK.matcher(k);
        if (m.matches()) {
            String block = "backbone.layer" + (Integer.parseInt(m.group(1)) - 1) + "." + m.group(2) + ".";
            boolean shortcut = m.group(3).equals("shortcut");
            String idx = shortcut ? "" : m.group(3).substring(4);
            if (m.group(5) == null) return block + (shortcut ? "downsample.0" : "conv" + idx) + ".weight";
            return block + (shortcut ? "downsample.1" : "bn" + idx) + "." + m.group(5);
        }
        return null;
    }
}
