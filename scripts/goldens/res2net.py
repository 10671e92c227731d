#!/usr/bin/env python3
"""Goldens for MMDetection's Res2Net backbone (type='Res2Net').

MMDetection / MMCV are not installed next to torch 1.13 here, so this transcribes, line for line, with plain torch.nn
modules of the same attribute names and registration order:
  - mmdet/models/backbones/res2net.py (open-mmlab/mmdetection, read at commit 236d09fa456f272fa424ff4bea66c51dc01fb90f;
    the 3.x file differs only in its imports): Bottle2neck, Res2Layer, Res2Net (style='pytorch', deep_stem=True,
    avg_down=True forced);
  - the parts of mmdet/models/backbones/resnet.py they build on: Bottleneck.__init__ (which registers conv1, bn1,
    conv2, bn2, conv3, bn3, relu, downsample before Bottle2neck replaces conv1 / bn1 in place, appends pool, convs,
    bns and deletes conv2 / bn2: the state-dict order), the deep stem of _make_stem_layer, the max-pool, out_indices;
  - MMCV's DeformConv2dPack / ModulatedDeformConv2dPack (mmcv/ops/deform_conv.py, modulated_deform_conv.py) with
    torchvision.ops.deform_conv2d, the same function (see scripts/goldens/deform_conv.py): DCN's offset is
    conv_offset(x); DCNv2 chunks conv_offset(x) in 3, offset = cat(o1, o2), mask = sigmoid(o3).
A dcn dict is shared by every block; ResNet's Bottleneck pops fallback_on_stride from it before Bottle2neck reads
it, so Bottle2neck never falls back (transcribed as such).

Two kinds of case, written to src/test/resources/goldens/res2net/<case>.json:
  - forward cases (small widths): the config keys, every state-dict tensor (name, shape, values; running statistics
    randomised), an input and the eval-mode backbone outputs (out_indices); the cases in GRAD_CASES also a seed per
    output and torch autograd's gradient of sum(seed * output) for every parameter (eval mode: BN on its running
    statistics);
  - architecture cases (the published widths, depth 50 / 101 / 152, scales 4, base_width 26): state-dict names and
    shapes and the parameter count (sum of numel over parameters(), MMEngine's parameter_count), no values.
Run: /usr/bin/python3 scripts/goldens/res2net.py [OUT_DIR]
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from torchvision.ops import deform_conv2d


def conv(cin, cout, k, s=1, p=0, d=1):
    return nn.Conv2d(cin, cout, k, stride=s, padding=p, dilation=d, bias=False)


class DeformConv2dPack(nn.Module):
    """MMCV's DCN (deform_groups, no bias) with its conv_offset."""

    def __init__(self, cin, cout, k, stride, padding, dilation, deform_groups):
        super().__init__()
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.weight = nn.Parameter(torch.zeros(cout, cin, k, k))
        self.conv_offset = nn.Conv2d(cin, deform_groups * 2 * k * k, k, stride=stride, padding=padding,
                                     dilation=dilation, bias=True)

    def forward(self, x):
        offset = self.conv_offset(x)
        return deform_conv2d(x, offset, self.weight, None, stride=self.stride, padding=self.padding,
                             dilation=self.dilation)


class ModulatedDeformConv2dPack(nn.Module):
    """MMCV's DCNv2 (bias=False as build_conv_layer passes it) with its conv_offset."""

    def __init__(self, cin, cout, k, stride, padding, dilation, deform_groups):
        super().__init__()
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.weight = nn.Parameter(torch.zeros(cout, cin, k, k))
        self.register_parameter('bias', None)
        self.conv_offset = nn.Conv2d(cin, deform_groups * 3 * k * k, k, stride=stride, padding=padding,
                                     dilation=dilation, bias=True)

    def forward(self, x):
        out = self.conv_offset(x)
        o1, o2, mask = torch.chunk(out, 3, dim=1)
        offset = torch.cat((o1, o2), dim=1)
        mask = torch.sigmoid(mask)
        return deform_conv2d(x, offset, self.weight, self.bias, stride=self.stride, padding=self.padding,
                             dilation=self.dilation, mask=mask)


def build_conv_layer(dcn, cin, cout, k, stride, padding, dilation):
    if dcn is None:
        return conv(cin, cout, k, stride, padding, dilation)
    cls = {'DCN': DeformConv2dPack, 'DCNv2': ModulatedDeformConv2dPack}[dcn['type']]
    return cls(cin, cout, k, stride, padding, dilation, dcn.get('deform_groups', 1))


class Bottleneck(nn.Module):
    """mmdet ResNet's Bottleneck.__init__ (style='pytorch', no plugins): the registrations Bottle2neck builds on."""
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, dilation=1, downsample=None, dcn=None):
        super().__init__()
        self.inplanes, self.planes, self.stride, self.dilation = inplanes, planes, stride, dilation
        self.dcn = dcn
        self.with_dcn = dcn is not None
        self.conv1_stride, self.conv2_stride = 1, stride
        self.norm1_name, self.norm2_name, self.norm3_name = 'bn1', 'bn2', 'bn3'
        self.conv1 = conv(inplanes, planes, 1, self.conv1_stride)
        self.add_module('bn1', nn.BatchNorm2d(planes))
        fallback_on_stride = False
        if self.with_dcn:
            fallback_on_stride = dcn.pop('fallback_on_stride', False)
        if not self.with_dcn or fallback_on_stride:
            self.conv2 = conv(planes, planes, 3, self.conv2_stride, dilation, dilation)
        else:
            self.conv2 = build_conv_layer(dcn, planes, planes, 3, self.conv2_stride, dilation, dilation)
        self.add_module('bn2', nn.BatchNorm2d(planes))
        self.conv3 = conv(planes, planes * self.expansion, 1)
        self.add_module('bn3', nn.BatchNorm2d(planes * self.expansion))
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample


class Bottle2neck(Bottleneck):
    expansion = 4

    def __init__(self, inplanes, planes, scales=4, base_width=26, base_channels=64, stage_type='normal', **kwargs):
        super().__init__(inplanes, planes, **kwargs)
        assert scales > 1, 'Res2Net degenerates to ResNet when scales = 1.'
        width = int(math.floor(self.planes * (base_width / base_channels)))
        norm1 = nn.BatchNorm2d(width * scales)
        norm3 = nn.BatchNorm2d(self.planes * self.expansion)
        self.conv1 = conv(self.inplanes, width * scales, 1, self.conv1_stride)
        self.add_module(self.norm1_name, norm1)
        if stage_type == 'stage' and self.conv2_stride != 1:
            self.pool = nn.AvgPool2d(kernel_size=3, stride=self.conv2_stride, padding=1)
        convs, bns = [], []
        fallback_on_stride = False
        if self.with_dcn:
            fallback_on_stride = self.dcn.pop('fallback_on_stride', False)
        for i in range(scales - 1):
            if not self.with_dcn or fallback_on_stride:
                convs.append(conv(width, width, 3, self.conv2_stride, self.dilation, self.dilation))
            else:
                convs.append(build_conv_layer(self.dcn, width, width, 3, self.conv2_stride, self.dilation, self.dilation))
            bns.append(nn.BatchNorm2d(width))
        self.convs = nn.ModuleList(convs)
        self.bns = nn.ModuleList(bns)
        self.conv3 = conv(width * scales, self.planes * self.expansion, 1)
        self.add_module(self.norm3_name, norm3)
        self.stage_type, self.scales, self.width = stage_type, scales, width
        delattr(self, 'conv2')
        delattr(self, self.norm2_name)

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        spx = torch.split(out, self.width, 1)
        sp = self.convs[0](spx[0].contiguous())
        sp = self.relu(self.bns[0](sp))
        out = sp
        for i in range(1, self.scales - 1):
            if self.stage_type == 'stage':
                sp = spx[i]
            else:
                sp = sp + spx[i]
            sp = self.convs[i](sp.contiguous())
            sp = self.relu(self.bns[i](sp))
            out = torch.cat((out, sp), 1)
        if self.stage_type == 'normal' or self.conv2_stride == 1:
            out = torch.cat((out, spx[self.scales - 1]), 1)
        elif self.stage_type == 'stage':
            out = torch.cat((out, self.pool(spx[self.scales - 1])), 1)
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


def res2_layer(block, inplanes, planes, num_blocks, stride, dilation, scales, base_width, base_channels, dcn):
    downsample = None
    if stride != 1 or inplanes != planes * block.expansion:
        downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=stride, stride=stride, ceil_mode=True, count_include_pad=False),
            conv(inplanes, planes * block.expansion, 1, 1),
            nn.BatchNorm2d(planes * block.expansion))
    layers = [block(inplanes=inplanes, planes=planes, stride=stride, dilation=dilation, downsample=downsample,
                    scales=scales, base_width=base_width, base_channels=base_channels, stage_type='stage', dcn=dcn)]
    inplanes = planes * block.expansion
    for _ in range(1, num_blocks):
        layers.append(block(inplanes=inplanes, planes=planes, stride=1, dilation=dilation, scales=scales,
                            base_width=base_width, base_channels=base_channels, dcn=dcn))
    return nn.Sequential(*layers)


class Res2Net(nn.Module):
    arch_settings = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}

    def __init__(self, depth, scales=4, base_width=26, stem_channels=None, base_channels=64, num_stages=4,
                 out_indices=(0, 1, 2, 3), dcn=None, stage_with_dcn=(False, False, False, False)):
        super().__init__()
        stem_channels = base_channels if stem_channels is None else stem_channels
        self.out_indices = out_indices
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
            stage_dcn = dcn if stage_with_dcn[i] else None  # the one dict object, as ResNet passes self.dcn
            planes = base_channels * 2 ** i
            self.add_module(f'layer{i + 1}', res2_layer(Bottle2neck, inplanes, planes, n, stride, 1, scales, base_width,
                                                        base_channels, stage_dcn))
            inplanes = planes * Bottle2neck.expansion
            self.res_layers.append(f'layer{i + 1}')

    def forward(self, x):
        x = self.maxpool(self.stem(x))
        outs = []
        for i, name in enumerate(self.res_layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return outs


FORWARD_CASES = [
    # name, config keys (the engine's YAML backbone keys), input shape
    ("fwd_r50_w2s4_base2", dict(type="Res2Net", depth=50, scales=4, base_width=2, stem_channels=4, base_channels=2,
                                num_stages=4, out_indices=[0, 1, 2, 3]), (1, 3, 45, 37)),
    ("fwd_r50_w3s3_3stages_batch2", dict(type="Res2Net", depth=50, scales=3, base_width=3, stem_channels=6, base_channels=2,
                                         num_stages=3, out_indices=[1, 2]), (2, 3, 35, 42)),
    # width floor(planes * 7 / 6): 3 then 7 (a fraction dropped)
    ("fwd_r50_w7s5_base3_2stages", dict(type="Res2Net", depth=50, scales=5, base_width=7, stem_channels=4, base_channels=3,
                                        num_stages=2, out_indices=[0, 1]), (1, 3, 30, 27)),
    ("fwd_r50_dcnv2_c3", dict(type="Res2Net", depth=50, scales=4, base_width=2, stem_channels=4, base_channels=1,
                                 num_stages=3, out_indices=[1, 2],
                                 dcn=dict(type="DCNv2", deform_groups=1, fallback_on_stride=False),
                                 stage_with_dcn=[False, True, False]), (1, 3, 64, 72)),
    ("fwd_r50_dcn_fallback_ignored", dict(type="Res2Net", depth=50, scales=2, base_width=4, stem_channels=4, base_channels=2,
                                          num_stages=2, out_indices=[1],
                                          dcn=dict(type="DCN", deform_groups=2, fallback_on_stride=True),
                                          stage_with_dcn=[False, True]), (1, 3, 61, 70)),
]

GRAD_CASES = {"fwd_r50_w3s3_3stages_batch2", "fwd_r50_dcnv2_c3"}

ARCH_CASES = [("arch_r2_50_26w4s", 50), ("arch_r2_101_26w4s", 101), ("arch_r2_152_26w4s", 152)]


def build(cfg):
    dcn = dict(cfg["dcn"]) if "dcn" in cfg else None
    return Res2Net(cfg["depth"], cfg.get("scales", 4), cfg.get("base_width", 26), cfg.get("stem_channels"),
                   cfg.get("base_channels", 64), cfg.get("num_stages", 4), cfg.get("out_indices", [0, 1, 2, 3]),
                   dcn, cfg.get("stage_with_dcn", [False] * 4))


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
                if "conv_offset" in k:
                    t.mul_(0.5)  # offsets of about a pixel


def short(values):
    """float32 values as the shortest decimals that read back to the same float32 (smaller files, exact)."""
    return [float(np.format_float_scientific(np.float32(v), unique=True)) for v in values]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../src/test/resources/goldens/res2net")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(20241127)
    for name, cfg, shape in FORWARD_CASES:
        m = build(cfg)
        randomise(m)
        m.eval()
        x = torch.rand(shape) * 2 - 1
        outs = m(x)
        grads = None
        if name in GRAD_CASES:
            seeds = [torch.randn(o.shape) for o in outs]
            sum((o * g).sum() for o, g in zip(outs, seeds)).backward()
            grads = {"seeds": [short(g.reshape(-1).tolist()) for g in seeds],
                     "params": [{"name": k, "values": short(p.grad.reshape(-1).tolist())} for k, p in m.named_parameters()]}
        outs = [o.detach() for o in outs]
        sd = [{"name": k, "shape": list(t.shape), "values": short(t.reshape(-1).tolist())}
              for k, t in m.state_dict().items()]
        case = {"name": name, "torch": torch.__version__, "backbone": cfg, "state_dict": sd,
                "params": sum(t.numel() for t in m.parameters()), "input_shape": list(shape),
                "input": short(x.reshape(-1).tolist()),
                "outputs": [{"shape": list(o.shape), "values": short(o.reshape(-1).tolist())} for o in outs]}
        if grads is not None:
            case["grads"] = grads
        with open(os.path.join(out_dir, name + ".json"), "w") as fh:
            json.dump(case, fh)
        print(name, "params", case["params"], "outs", [list(o.shape) for o in outs])
    for name, depth in ARCH_CASES:
        cfg = dict(type="Res2Net", depth=depth, scales=4, base_width=26)
        m = build(cfg)
        sd = [{"name": k, "shape": list(t.shape)} for k, t in m.state_dict().items()]
        case = {"name": name, "torch": torch.__version__, "backbone": cfg, "state_dict": sd,
                "params": sum(t.numel() for t in m.parameters())}
        with open(os.path.join(out_dir, name + ".json"), "w") as fh:
            json.dump(case, fh)
        print(name, "params", case["params"], "state-dict entries", len(sd))


if __name__ == "__main__":
    main()
