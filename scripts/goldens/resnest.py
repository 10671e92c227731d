#!/usr/bin/env python3
"""Goldens for MMDetection's ResNeSt backbone (type='ResNeSt').

MMDetection / MMCV / MMEngine are not installed next to torch here, so this transcribes, line for line, with plain
torch.nn modules of the same attribute names and registration order:
  - mmdet/models/backbones/resnest.py of MMDetection 3.3.0 (open-mmlab/mmdetection, read at commit
    18510ff4d684c276a15529c0fbadba443a156cae): RSoftmax, SplitAttentionConv2d, Bottleneck, ResNeSt (arch_settings
    50, 101, 152, 200; groups, base_width, radix, reduction_factor, avg_down_stride);
  - the parts of mmdet/models/backbones/resnet.py and mmdet/models/layers/res_layer.py they build on: Bottleneck.__init__
    (registers conv1, bn1, conv2, bn2, conv3, bn3, relu, downsample; ResNeSt's block re-assigns conv1 / bn1 / conv2 in
    place, deletes bn2 and appends avd_layer: the state-dict order), ResNetV1d's deep stem (stem.0..8) and max-pool,
    ResLayer's avg_down downsample (AvgPool2d(stride, stride, ceil_mode=True, count_include_pad=False), 1x1 conv, BN),
    out_indices, frozen_stages (stem + layer1..k in eval mode without gradients) and norm_eval.
MMCV's build_conv_layer(None, ...) for fc1 / fc2 is nn.Conv2d with its default bias=True.

Cases, written to src/test/resources/goldens/resnest/<case>.json:
  - forward cases (small widths): the config keys, every state-dict tensor (name, shape, values; running statistics
    randomised), an input and the eval-mode backbone outputs;
  - train cases (norm_eval False, frozen_stages as given, batch 4): the train-mode outputs (BN of the stages that
    train on batch statistics), a seed per output, torch autograd's gradient of sum(seed * output) for every
    parameter that requires one, and the BN running statistics after the step, all computed in float64 from the
    float32 weights, each with torch float32's max |error| against them (train_case says why);
  - architecture cases (the published widths: depth 50 / 101 / 200, stem 64 / 128 as MMDetection's s50 / s101 configs
    and the resnest200 checkpoint): state-dict names and shapes and the parameter count (sum of numel over
    parameters(), MMEngine's parameter_count), no values.
Run: /usr/bin/python3 scripts/goldens/resnest.py [OUT_DIR]   (torch 2.13 CPU was used)
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv(cin, cout, k, s=1, p=0, d=1, groups=1, bias=False):
    return nn.Conv2d(cin, cout, k, stride=s, padding=p, dilation=d, groups=groups, bias=bias)


class RSoftmax(nn.Module):
    def __init__(self, radix, groups):
        super().__init__()
        self.radix = radix
        self.groups = groups

    def forward(self, x):
        batch = x.size(0)
        if self.radix > 1:
            x = x.view(batch, self.groups, self.radix, -1).transpose(1, 2)
            x = F.softmax(x, dim=1)
            x = x.reshape(batch, -1)
        else:
            x = torch.sigmoid(x)
        return x


class SplitAttentionConv2d(nn.Module):
    def __init__(self, in_channels, channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, radix=2,
                 reduction_factor=4):
        super().__init__()
        inter_channels = max(in_channels * radix // reduction_factor, 32)
        self.radix = radix
        self.groups = groups
        self.channels = channels
        self.conv = conv(in_channels, channels * radix, kernel_size, stride, padding, dilation, groups * radix)
        self.norm0_name = 'bn0'
        self.add_module('bn0', nn.BatchNorm2d(channels * radix))
        self.relu = nn.ReLU(inplace=True)
        self.fc1 = nn.Conv2d(channels, inter_channels, 1, groups=self.groups)
        self.norm1_name = 'bn1'
        self.add_module('bn1', nn.BatchNorm2d(inter_channels))
        self.fc2 = nn.Conv2d(inter_channels, channels * radix, 1, groups=self.groups)
        self.rsoftmax = RSoftmax(radix, groups)

    def forward(self, x):
        x = self.conv(x)
        x = self.bn0(x)
        x = self.relu(x)
        batch, rchannel = x.shape[:2]
        batch = x.size(0)
        if self.radix > 1:
            splits = x.view(batch, self.radix, -1, *x.shape[2:])
            gap = splits.sum(dim=1)
        else:
            gap = x
        gap = F.adaptive_avg_pool2d(gap, 1)
        gap = self.fc1(gap)
        gap = self.bn1(gap)
        gap = self.relu(gap)
        atten = self.fc2(gap)
        atten = self.rsoftmax(atten).view(batch, -1, 1, 1)
        if self.radix > 1:
            attens = atten.view(batch, self.radix, -1, *atten.shape[2:])
            out = torch.sum(attens * splits, dim=1)
        else:
            out = atten * x
        return out.contiguous()


class Bottleneck(nn.Module):
    """mmdet ResNet's Bottleneck.__init__ (no dcn / plugins) followed by ResNeSt's Bottleneck.__init__."""
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, dilation=1, downsample=None, style='pytorch', groups=1,
                 base_width=4, base_channels=64, radix=2, reduction_factor=4, avg_down_stride=True):
        super().__init__()
        # --- resnet.Bottleneck.__init__
        self.inplanes, self.planes, self.stride, self.dilation = inplanes, planes, stride, dilation
        if style == 'pytorch':
            self.conv1_stride, self.conv2_stride = 1, stride
        else:
            self.conv1_stride, self.conv2_stride = stride, 1
        self.norm1_name, self.norm2_name, self.norm3_name = 'bn1', 'bn2', 'bn3'
        self.conv1 = conv(inplanes, planes, 1, self.conv1_stride)
        self.add_module('bn1', nn.BatchNorm2d(planes))
        self.conv2 = conv(planes, planes, 3, self.conv2_stride, dilation, dilation)
        self.add_module('bn2', nn.BatchNorm2d(planes))
        self.conv3 = conv(planes, planes * self.expansion, 1)
        self.add_module('bn3', nn.BatchNorm2d(planes * self.expansion))
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        # --- resnest.Bottleneck.__init__
        if groups == 1:
            width = self.planes
        else:
            width = math.floor(self.planes * (base_width / base_channels)) * groups
        self.avg_down_stride = avg_down_stride and self.conv2_stride > 1
        norm1 = nn.BatchNorm2d(width)
        norm3 = nn.BatchNorm2d(self.planes * self.expansion)
        self.conv1 = conv(self.inplanes, width, 1, self.conv1_stride)
        self.add_module(self.norm1_name, norm1)
        self.conv2 = SplitAttentionConv2d(width, width, kernel_size=3, stride=1 if self.avg_down_stride else self.conv2_stride,
                                          padding=self.dilation, dilation=self.dilation, groups=groups, radix=radix,
                                          reduction_factor=reduction_factor)
        delattr(self, self.norm2_name)
        if self.avg_down_stride:
            self.avd_layer = nn.AvgPool2d(3, self.conv2_stride, padding=1)
        self.conv3 = conv(width, self.planes * self.expansion, 1)
        self.add_module(self.norm3_name, norm3)

    def forward(self, x):
        identity = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        if self.avg_down_stride:
            out = self.avd_layer(out)
        out = self.conv3(out)
        out = self.bn3(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


def res_layer(inplanes, planes, num_blocks, stride, style, **kw):
    """ResLayer with avg_down=True (ResNetV1d), downsample_first=True."""
    downsample = None
    if stride != 1 or inplanes != planes * Bottleneck.expansion:
        conv_stride = 1
        downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=stride, stride=stride, ceil_mode=True, count_include_pad=False),
            conv(inplanes, planes * Bottleneck.expansion, 1, conv_stride),
            nn.BatchNorm2d(planes * Bottleneck.expansion))
    layers = [Bottleneck(inplanes, planes, stride, 1, downsample, style, **kw)]
    inplanes = planes * Bottleneck.expansion
    for _ in range(1, num_blocks):
        layers.append(Bottleneck(inplanes, planes, 1, 1, None, style, **kw))
    return nn.Sequential(*layers)


class ResNeSt(nn.Module):
    arch_settings = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3), 200: (3, 24, 36, 3)}

    def __init__(self, depth, groups=1, base_width=4, radix=2, reduction_factor=4, avg_down_stride=True,
                 stem_channels=None, base_channels=64, num_stages=4, out_indices=(0, 1, 2, 3), style='pytorch',
                 frozen_stages=-1, norm_eval=True):
        super().__init__()
        stem_channels = base_channels if stem_channels is None else stem_channels
        self.out_indices, self.frozen_stages, self.norm_eval = out_indices, frozen_stages, norm_eval
        stage_blocks = self.arch_settings[depth][:num_stages]
        self.stem = nn.Sequential(
            conv(3, stem_channels // 2, 3, 2, 1), nn.BatchNorm2d(stem_channels // 2), nn.ReLU(inplace=True),
            conv(stem_channels // 2, stem_channels // 2, 3, 1, 1), nn.BatchNorm2d(stem_channels // 2), nn.ReLU(inplace=True),
            conv(stem_channels // 2, stem_channels, 3, 1, 1), nn.BatchNorm2d(stem_channels), nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        inplanes = stem_channels
        self.res_layers = []
        for i, n in enumerate(stage_blocks):
            stride = 1 if i == 0 else 2
            planes = base_channels * 2 ** i
            self.add_module(f'layer{i + 1}', res_layer(inplanes, planes, n, stride, style, groups=groups,
                                                       base_width=base_width, base_channels=base_channels, radix=radix,
                                                       reduction_factor=reduction_factor, avg_down_stride=avg_down_stride))
            inplanes = planes * Bottleneck.expansion
            self.res_layers.append(f'layer{i + 1}')
        self._freeze_stages()

    def _freeze_stages(self):
        if self.frozen_stages >= 0:
            self.stem.eval()
            for p in self.stem.parameters():
                p.requires_grad = False
        for i in range(1, self.frozen_stages + 1):
            m = getattr(self, f'layer{i}')
            m.eval()
            for p in m.parameters():
                p.requires_grad = False

    def train(self, mode=True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        return self

    def forward(self, x):
        x = self.maxpool(self.stem(x))
        outs = []
        for i, name in enumerate(self.res_layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return outs


KEYS = ["groups", "base_width", "radix", "reduction_factor", "avg_down_stride", "stem_channels", "base_channels",
        "num_stages", "out_indices", "style", "frozen_stages", "norm_eval"]

FORWARD_CASES = [
    # name, config keys (the engine's YAML backbone keys), input shape
    ("fwd_radix2_base2", dict(type="ResNeSt", depth=50, radix=2, reduction_factor=4, stem_channels=8, base_channels=2,
                              num_stages=4, out_indices=[0, 1, 2, 3]), (1, 3, 45, 37)),
    # cardinality 2 (RSoftmax's transpose), base_width 6: width floor(planes * 6 / 4) * 2 (12, 24, 48)
    ("fwd_groups2_radix2_batch2", dict(type="ResNeSt", depth=50, groups=2, base_width=6, radix=2, reduction_factor=2,
                                      stem_channels=6, base_channels=4, num_stages=3, out_indices=[1, 2]), (2, 3, 35, 42)),
    # radix 1 (sigmoid), radix 3 (the 3x3's groups = radix must divide the width), no avd (stride on the
    # split-attention conv), caffe style
    ("fwd_radix1", dict(type="ResNeSt", depth=50, radix=1, stem_channels=4, base_channels=2, num_stages=3,
                        out_indices=[0, 2]), (1, 3, 30, 27)),
    ("fwd_radix3_no_avd", dict(type="ResNeSt", depth=50, radix=3, reduction_factor=8, avg_down_stride=False,
                               stem_channels=4, base_channels=6, num_stages=2, out_indices=[1]), (1, 3, 33, 40)),
    ("fwd_caffe_style", dict(type="ResNeSt", depth=50, radix=2, stem_channels=4, base_channels=2, num_stages=3,
                             style="caffe", out_indices=[2]), (1, 3, 29, 31)),
]

TRAIN_CASES = [
    ("train_s50_frozen1_batch4", dict(type="ResNeSt", depth=50, radix=2, reduction_factor=4, stem_channels=8,
                                      base_channels=2, num_stages=4, out_indices=[0, 1, 2, 3], frozen_stages=1,
                                      norm_eval=False), (4, 3, 41, 38)),
    ("train_groups2_frozen_none_batch4", dict(type="ResNeSt", depth=50, groups=2, base_width=4, radix=2, stem_channels=4,
                                       base_channels=2, num_stages=2, out_indices=[0, 1], frozen_stages=-1,
                                       norm_eval=False), (4, 3, 30, 34)),
]

ARCH_CASES = [("arch_s50", dict(type="ResNeSt", depth=50, stem_channels=64)),
              ("arch_s101", dict(type="ResNeSt", depth=101, stem_channels=128)),
              ("arch_s200", dict(type="ResNeSt", depth=200, stem_channels=128))]


def build(cfg):
    kw = {k: cfg[k] for k in KEYS if k in cfg}
    if "out_indices" in kw:
        kw["out_indices"] = tuple(kw["out_indices"])
    return ResNeSt(cfg["depth"], **kw)


def randomise(m):
    with torch.no_grad():
        for k, t in m.state_dict().items():
            if k.endswith("num_batches_tracked"):
                continue
            if k.endswith("running_var"):
                t.uniform_(0.5, 1.5)
            elif k.endswith("running_mean") or k.endswith(".bias"):
                t.uniform_(-0.2, 0.2)
            elif t.dim() == 1:
                t.uniform_(0.5, 1.5)
            else:
                t.normal_(0, (2.0 / (t.shape[1] * t.shape[2] * t.shape[3])) ** 0.5)


def short(values):
    """float32 values as the shortest decimals that read back to the same float32 (smaller files, exact)."""
    return [float(np.format_float_scientific(np.float32(v), unique=True)) for v in values]


def state(m, values=True):
    return [dict({"name": k, "shape": list(t.shape)}, **({"values": short(t.reshape(-1).tolist())} if values else {}))
            for k, t in m.state_dict().items()]


def train_step(cfg, weights, x, seeds, dtype):
    """One train-mode forward + backward in dtype from the float32 weights: outputs, grads, running statistics."""
    m = build(cfg).to(dtype)
    m.load_state_dict({k: v.to(dtype) if v.is_floating_point() else v for k, v in weights.items()})
    m.train(True)
    outs = m(x.to(dtype))
    if seeds is None:
        seeds = [torch.randn(o.shape) for o in outs]
    sum((o * g.to(dtype)).sum() for o, g in zip(outs, seeds)).backward()
    grads = {k: p.grad for k, p in m.named_parameters() if p.requires_grad}
    stats = {k: t for k, t in m.state_dict().items() if "running" in k or "num_batches" in k}
    return [o.detach() for o in outs], grads, stats, seeds


def train_case(case, cfg, m, x):
    """Train mode: BN over a small batch on the [N, inter, 1, 1] attention path is ill-conditioned (four values per
    channel; fc1's bias has an exact gradient of 0 there), so torch's float32 result is itself off the exact one by up
    to ~1e-1 of a tensor's scale. The golden values are torch in float64 from the same float32 weights and input; each
    tensor carries torch float32's max |error| against them ("f32_err"), the bar the engine is held to."""
    weights = {k: v.clone() for k, v in m.state_dict().items()}
    o32, g32, s32, seeds = train_step(cfg, weights, x, None, torch.float32)
    o64, g64, s64, _ = train_step(cfg, weights, x, seeds, torch.float64)

    def entry(a32, a64, **extra):
        return dict(extra, values=[float(v) for v in a64.reshape(-1).tolist()],
                    f32_err=float((a32.double() - a64).abs().max()) if a64.numel() else 0.0)

    case["outputs"] = [entry(a, b, shape=list(b.shape)) for a, b in zip(o32, o64)]
    case["grads"] = {"seeds": [short(g.reshape(-1).tolist()) for g in seeds],
                     "params": [entry(g32[k], g64[k], name=k) for k in g64]}
    case["state_dict_after"] = [entry(s32[k].double(), s64[k].double(), name=k) for k in s64]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../src/test/resources/goldens/resnest")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(20261127)
    for name, cfg, shape in FORWARD_CASES + TRAIN_CASES:
        train = name.startswith("train")
        m = build(cfg)
        randomise(m)
        sd = state(m)
        x = torch.rand(shape) * 2 - 1
        case = {"name": name, "torch": torch.__version__, "backbone": cfg, "state_dict": sd,
                "params": sum(t.numel() for t in m.parameters()), "input_shape": list(shape),
                "input": short(x.reshape(-1).tolist()), "train": train}
        if not train:
            m.eval()
            outs = m(x)
            case["outputs"] = [{"shape": list(o.shape), "values": short(o.detach().reshape(-1).tolist())} for o in outs]
        else:
            train_case(case, cfg, m, x)
        with open(os.path.join(out_dir, name + ".json"), "w") as fh:
            json.dump(case, fh)
        print(name, "params", case["params"], "outs", [list(o.shape) for o in outs])
    for name, cfg in ARCH_CASES:
        m = build(cfg)
        case = {"name": name, "torch": torch.__version__, "backbone": cfg, "state_dict": state(m, False),
                "params": sum(t.numel() for t in m.parameters())}
        with open(os.path.join(out_dir, name + ".json"), "w") as fh:
            json.dump(case, fh)
        print(name, "params", case["params"], "state-dict entries", len(case["state_dict"]))


if __name__ == "__main__":
    main()
