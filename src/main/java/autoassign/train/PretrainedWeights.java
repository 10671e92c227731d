package autoassign.train;

import autoassign.cli.CliErrors.UserError;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Finds the pretrained backbone file a config names, where MMEngine would have downloaded it
 * ({@code ~/.cache/torch/hub/checkpoints/}); the engine never downloads anything itself.
 */
public final class PretrainedWeights {
    /**
     * MMEngine's checkpoint aliases for the backbones the engine builds → published URL: the caffe ResNets, the
     * deep-stem ResNetV1c ResNets, the ResNeXts, the RegNetXs, Res2Net-101, MSRA's HRNetV2-W18 / W32 / W40, MMDetection's MobileNetV2 and the ResNeSts ({@code open-mmlab://}, MMEngine's {@code hub/openmmlab.json}) and torchvision's
     * ImageNet ResNets and ResNeXts ({@code torchvision://}, the {@code IMAGENET1K_V1} weights of MMEngine's
     * {@code hub/torchvision_0.12.json}). The ResNeXt and RegNetX files use the ResNet key names
     * ({@code layer1.0.conv2.weight}, ...), so they load like the ResNets.
     */
    private static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("open-mmlab://detectron2/resnet50_caffe",
                    "https://download.openmmlab.com/pretrain/third_party/resnet50_msra-5891d200.pth"),
            Map.entry("open-mmlab://detectron2/resnet101_caffe",
                    "https://download.openmmlab.com/pretrain/third_party/resnet101_msra-6cc46731.pth"),
            Map.entry("open-mmlab://resnet50_caffe",
                    "https://download.openmmlab.com/pretrain/third_party/resnet50_caffe-788b5fa3.pth"),
            // ResNetV1c (deep stem: stem.0/1/3/4/6/7, plain downsample.0/1) as MMCV's open_mmlab.json publishes them,
            // for `type: ResNet, deep_stem: true` (not ResNetV1d: its avg_down downsample is named downsample.1/2)
            Map.entry("open-mmlab://resnet18_v1c",
                    "https://download.openmmlab.com/pretrain/third_party/resnet18_v1c-b5776b93.pth"),
            Map.entry("open-mmlab://resnet50_v1c",
                    "https://download.openmmlab.com/pretrain/third_party/resnet50_v1c-2cccc1ad.pth"),
            Map.entry("open-mmlab://resnet101_v1c",
                    "https://download.openmmlab.com/pretrain/third_party/resnet101_v1c-e67eebb6.pth"),
            // ResNeXt (groups x base_width): MMDetection's x101-64x4d / x101-32x4d configs name these
            Map.entry("open-mmlab://resnext50_32x4d",
                    "https://download.openmmlab.com/pretrain/third_party/resnext50-32x4d-0ab1a123.pth"),
            Map.entry("open-mmlab://resnext101_32x4d",
                    "https://download.openmmlab.com/pretrain/third_party/resnext101_32x4d-a5af3160.pth"),
            Map.entry("open-mmlab://resnext101_64x4d",
                    "https://download.openmmlab.com/pretrain/third_party/resnext101_64x4d-ee2c6f71.pth"),
            // Detectron2's caffe-style X-101-32x8d (MMDetection's x101-32x8d configs: style caffe, groups 32, width 8)
            Map.entry("open-mmlab://detectron2/resnext101_32x8d",
                    "https://download.openmmlab.com/pretrain/third_party/resnext101_32x8d-1516f1aa.pth"),
            // pycls' ImageNet RegNetX, converted to MMDetection's ResNet key names (configs/regnet/regnet2mmdet.py:
            // stem.conv → conv1, s1.b1.f.a → layer1.0.conv1, s1.b1.proj → layer1.0.downsample.0, ...)
            Map.entry("open-mmlab://regnetx_400mf",
                    "https://download.openmmlab.com/pretrain/third_party/regnetx_400mf-a5b10d96.pth"),
            Map.entry("open-mmlab://regnetx_800mf",
                    "https://download.openmmlab.com/pretrain/third_party/regnetx_800mf-1f4be4c7.pth"),
            Map.entry("open-mmlab://regnetx_1.6gf",
                    "https://download.openmmlab.com/pretrain/third_party/regnetx_1.6gf-5791c176.pth"),
            Map.entry("open-mmlab://regnetx_3.2gf",
                    "https://download.openmmlab.com/pretrain/third_party/regnetx_3.2gf-c2599b0f.pth"),
            Map.entry("open-mmlab://regnetx_4.0gf",
                    "https://download.openmmlab.com/pretrain/third_party/regnetx_4.0gf-a88f671e.pth"),
            Map.entry("open-mmlab://regnetx_6.4gf",
                    "https://download.openmmlab.com/pretrain/third_party/regnetx_6.4gf-006af45d.pth"),
            Map.entry("open-mmlab://regnetx_8.0gf",
                    "https://download.openmmlab.com/pretrain/third_party/regnetx_8.0gf-3c68abe7.pth"),
            Map.entry("open-mmlab://regnetx_12gf",
                    "https://download.openmmlab.com/pretrain/third_party/regnetx_12gf-4c2a3350.pth"),
            // Res2Net-101 v1d 26w×4s (MMDetection's configs/res2net), converted for MMDetection 2 (the _mmdetv2 file): its
            // names are expected to be Res2Net's own (stem.*, layer1.0.convs.0.weight, layer1.0.bns.0.*, downsample.1/2)
            Map.entry("open-mmlab://res2net101_v1d_26w_4s",
                    "https://download.openmmlab.com/pretrain/third_party/res2net101_v1d_26w_4s_mmdetv2-f0a600f9.pth"),
            // MSRA's ImageNet HRNetV2 (HRNet-Image-Classification): its names are MMDetection's HRNet names (conv1,
            // bn1, conv2, bn2, layer1, transitionK, stageK.m.branches / fuse_layers) plus a classifier that is ignored
            Map.entry("open-mmlab://msra/hrnetv2_w18",
                    "https://download.openmmlab.com/pretrain/third_party/hrnetv2_w18-00eb2006.pth"),
            Map.entry("open-mmlab://msra/hrnetv2_w32",
                    "https://download.openmmlab.com/pretrain/third_party/hrnetv2_w32-dc9eeb4f.pth"),
            Map.entry("open-mmlab://msra/hrnetv2_w40",
                    "https://download.openmmlab.com/pretrain/third_party/hrnetv2_w40-ed0b031c.pth"),
            // MMDetection's ImageNet MobileNetV2 (configs/yolo/yolov3_mobilenetv2_*: init_cfg checkpoint
            // open-mmlab://mmdet/mobilenet_v2, MMEngine's hub/openmmlab.json); names load as StateDicts.MOBILENET_V2 says
            Map.entry("open-mmlab://mmdet/mobilenet_v2",
                    "https://download.openmmlab.com/mmdetection/v2.0/third_party/mobilenet_v2_batch256_imagenet-ff34753d.pth"),
            // ResNeSt (MMDetection's configs/resnest: init_cfg checkpoint open-mmlab://resnest50 / resnest101; MMCV's
            // open_mmlab.json also lists resnest200, and no resnest269); names load as StateDicts.RESNEST says
            Map.entry("open-mmlab://resnest50", "https://download.openmmlab.com/pretrain/third_party/resnest50_d2-7497a55b.pth"),
            Map.entry("open-mmlab://resnest101", "https://download.openmmlab.com/pretrain/third_party/resnest101_d2-f3b931b2.pth"),
            Map.entry("open-mmlab://resnest200", "https://download.openmmlab.com/pretrain/third_party/resnest200_d2-ca88e41f.pth"),
            Map.entry("torchvision://resnet18", "https://download.pytorch.org/models/resnet18-f37072fd.pth"),
            Map.entry("torchvision://resnet34", "https://download.pytorch.org/models/resnet34-b627a593.pth"),
            Map.entry("torchvision://resnet50", "https://download.pytorch.org/models/resnet50-0676ba61.pth"),
            Map.entry("torchvision://resnet101", "https://download.pytorch.org/models/resnet101-63fe2227.pth"),
            Map.entry("torchvision://resnet152", "https://download.pytorch.org/models/resnet152-394f9c45.pth"),
            Map.entry("torchvision://resnext50_32x4d", "https://download.pytorch.org/models/resnext50_32x4d-7cdf4587.pth"),
            Map.entry("torchvision://resnext101_32x8d", "https://download.pytorch.org/models/resnext101_32x8d-8ba56ff5.pth"));

    /**
     * RTMDet's ImageNet CSPNeXt backbones (MMDetection 3.3.0), by size: tiny and s as configs/rtmdet/rtmdet_tiny / _s
     * name them in {@code init_cfg=dict(type='Pretrained', prefix='backbone.', checkpoint=...)}, m / l / x as
     * configs/rtmdet/classification/README.md publishes them. Their keys are {@code backbone.*} (the CSPNeXt names)
     * plus the classifier {@code head.fc.*}; URLs need no alias, so {@link #locate} finds each by its file name.
     */
    public static final Map<String, String> CSPNEXT_IMAGENET = Map.of(
            "tiny", "https://download.openmmlab.com/mmdetection/v3.0/rtmdet/cspnext_rsb_pretrain/cspnext-tiny_imagenet_600e.pth",
            "s", "https://download.openmmlab.com/mmdetection/v3.0/rtmdet/cspnext_rsb_pretrain/cspnext-s_imagenet_600e.pth",
            "m", "https://download.openmmlab.com/mmdetection/v3.0/rtmdet/cspnext_rsb_pretrain/cspnext-m_8xb256-rsb-a1-600e_in1k-ecb3bbd9.pth",
            "l", "https://download.openmmlab.com/mmdetection/v3.0/rtmdet/cspnext_rsb_pretrain/cspnext-l_8xb256-rsb-a1-600e_in1k-6a760974.pth",
            "x", "https://download.openmmlab.com/mmdetection/v3.0/rtmdet/cspnext_rsb_pretrain/cspnext-x_8xb256-rsb-a1-600e_in1k-b3f78edd.pth");

    private PretrainedWeights() {}

    /** The published URL of a checkpoint reference (itself when it is already a URL or a path). */
    public static String url(String ref) { return ALIASES.getOrDefault(ref, ref); }

    /** torch hub's cache folder, honouring TORCH_HOME like PyTorch. */
    public static Path hubCache() {
        String torchHome = System.getenv("TORCH_HOME");
        Path home = torchHome != null ? Path.of(torchHome) : Path.of(System.getProperty("user.home"), ".cache", "torch");
        return home.resolve("hub").resolve("checkpoints");
    }

    /**
     * Resolves a config's {@code init_cfg.checkpoint}: an existing local path as it is, else the file name of its
     * URL in the torch hub cache. Throws a one-line error saying where to put the file when it is missing.
     */
    public static Path locate(String ref) {
        Path local = Path.of(ref.replace("file://", ""));
        if (!ref.contains("://") && Files.isRegularFile(local)) return local;
        String url = url(ref);
        String name = url.substring(url.lastIndexOf('/') + 1);
        Path cached = hubCache().resolve(name);
        if (Files.isRegularFile(cached)) return cached;
        throw new UserError(name + " not found: put it at " + cached + " (published at " + url
                + "), or give a local path (--pretrained PATH / --load-from PATH), or train from scratch with --no-pretrained");
    }
}
