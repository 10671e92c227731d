#!/usr/bin/env python3
"""Goldens for MMDetection's MobileNetV2 backbone (mmdet/models/backbones/mobilenet_v2.py).

MMDetection / MMCV / MMEngine are not installed next to torch 1.13 here, so this transcribes, line for line,
mmdet/models/backbones/mobilenet_v2.py (arch_settings, __init__, make_layer, forward with `if i in self.out_indices`;
read at open-mmlab/mmdetection commit 584ef842a4a966dc7ce7636343f63579951bffa3), mmdet/models/layers/inverted_residual.py
(InvertedResidual: expand_conv / depthwise_conv / linear_conv; commit 858cf17f57771285fb8c3cfaa90ef1c07952d08f),
mmdet/models/utils/make_divisible.py (commit 96eea76da912c06e7e891c7df3d06104cd157bb8) and MMCV's ConvModule (conv, then the norm named by build_norm_layer's
abbreviation 'bn', then the activation; bias=False with a norm) with plain torch.nn modules of the same attribute
names, so that state-dict names, shapes and the eval-mode forward are upstream's.

Weights come from a formula the Java test evaluates too (no 3.5 M floats in JSON): state-dict entry k (upstream's
order), element j: v = sin(0.37 j + 1.3 k) in double; conv weights v · sqrt(2 / fan_in), norm weights 1 + 0.25 v,
biases 0.2 v, running means 0.2 v, running variances 1 + 0.4 v (cast to float32).

Each case <case>.json: the backbone config (the engine's YAML keys), the input and the outputs of the eval forward.
names.json: for each network the state-dict names and shapes, the parameter count and MMEngine's FLOPs of a
[1, 3, 224, 224] forward (conv = prod(weight shape) · out h · w, so a depthwise conv counts Cout · Cin/groups · k²
· h · w; eval batch_norm = 2 per input element; ReLU6 (aten::hardtanh) and the residual sums have no handle).
Run: /usr/bin/python3 scripts/goldens/mobilenet_v2.py [OUT_DIR]
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn


def make_divisible(value, divisor, min_value=None, min_ratio=0.9):
    if min_value is None:
        min_value = divisor
    new_value = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new_value < min_ratio * value:
        new_value += divisor
    return new_value


def build_activation(act_cfg):
    """MMCV's build_activation_layer for the types used here (ReLU6, and LeakyReLU with its negative_slope)."""
    if act_cfg['type'] == 'LeakyReLU':
        return nn.LeakyReLU(negative_slope=act_cfg.get('negative_slope', 0.01))
    assert act_cfg['type'] == 'ReLU6'
    return nn.ReLU6()


class ConvModule(nn.Module):
    def __init__(self, cin, cout, k, stride=1, padding=0, groups=1, act=True, act_cfg=None, eps=1e-5, momentum=0.1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=padding, groups=groups, bias=False)
        # build_norm_layer passes norm_cfg's eps / momentum to nn.BatchNorm2d
        self.add_module('bn', nn.BatchNorm2d(cout, eps=eps, momentum=momentum))
        self.activate = build_activation(act_cfg or dict(type='ReLU6')) if act else None

    def forward(self, x):
        x = self.bn(self.conv(x))
        return self.activate(x) if self.activate is not None else x


class InvertedResidual(nn.Module):
    def __init__(self, in_channels, out_channels, mid_channels, stride=1, with_expand_conv=True, **cm):
        super().__init__()
        self.with_res_shortcut = (stride == 1 and in_channels == out_channels)
        assert stride in [1, 2]
        self.with_expand_conv = with_expand_conv
        if not self.with_expand_conv:
            assert mid_channels == in_channels
        if self.with_expand_conv:
            self.expand_conv = ConvModule(in_channels, mid_channels, 1, **cm)
        self.depthwise_conv = ConvModule(mid_channels, mid_channels, 3, stride=stride, padding=1, groups=mid_channels,
                                         **cm)
        self.linear_conv = ConvModule(mid_channels, out_channels, 1, act=False, **cm)

    def forward(self, x):
        out = x
        if self.with_expand_conv:
            out = self.expand_conv(out)
        out = self.depthwise_conv(out)
        out = self.linear_conv(out)
        if self.with_res_shortcut:
            return x + out
        return out


class MobileNetV2(nn.Module):
    arch_settings = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2],
                     [6, 320, 1, 1]]

    def __init__(self, widen_factor=1., out_indices=(1, 2, 4, 7), act_cfg=None, eps=1e-5):
        super().__init__()
        self.cm = dict(act_cfg=act_cfg, eps=eps)  # every ConvModule's act_cfg and norm_cfg.eps
        self.widen_factor = widen_factor
        self.out_indices = out_indices
        self.in_channels = make_divisible(32 * widen_factor, 8)
        self.conv1 = ConvModule(3, self.in_channels, 3, stride=2, padding=1, **self.cm)
        self.layers = []
        for i, layer_cfg in enumerate(self.arch_settings):
            expand_ratio, channel, num_blocks, stride = layer_cfg
            out_channels = make_divisible(channel * widen_factor, 8)
            inverted_res_layer = self.make_layer(out_channels, num_blocks, stride, expand_ratio)
            layer_name = f'layer{i + 1}'
            self.add_module(layer_name, inverted_res_layer)
            self.layers.append(layer_name)
        if widen_factor > 1.0:
            self.out_channel = int(1280 * widen_factor)
        else:
            self.out_channel = 1280
        self.add_module('conv2', ConvModule(self.in_channels, self.out_channel, 1, **self.cm))
        self.layers.append('conv2')

    def make_layer(self, out_channels, num_blocks, stride, expand_ratio):
        layers = []
        for i in range(num_blocks):
            if i >= 1:
                stride = 1
            layers.append(InvertedResidual(self.in_channels, out_channels,
                                           mid_channels=int(round(self.in_channels * expand_ratio)), stride=stride,
                                           with_expand_conv=expand_ratio != 1, **self.cm))
            self.in_channels = out_channels
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.conv1(x)
        outs = []
        for i, layer_name in enumerate(self.layers):
            layer = getattr(self, layer_name)
            x = layer(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)


def formula_weights(m):
    with torch.no_grad():
        for k, (name, t) in enumerate(m.state_dict().items()):
            if name.endswith("num_batches_tracked"):
                continue
            v = np.sin(0.37 * np.arange(t.numel(), dtype=np.float64) + 1.3 * k)
            if t.dim() == 4:
                v = v * math.sqrt(2.0 / (t.shape[1] * t.shape[2] * t.shape[3]))
            elif name.endswith("running_var"):
                v = 1 + 0.4 * v
            elif name.endswith("weight"):
                v = 1 + 0.25 * v
            else:  # bias, running_mean
                v = 0.2 * v
            t.copy_(torch.from_numpy(v.astype(np.float32)).reshape(t.shape))


FLOPS_INPUT = (224, 224)


def flops(m):
    counts = {}

    def hook(name):
        def fn(mod, inp, out):
            if isinstance(mod, nn.Conv2d):
                n = mod.weight.numel() * out.shape[2] * out.shape[3]
            elif isinstance(mod, nn.BatchNorm2d):
                n = 2 * inp[0].numel()
            else:
                return
            top = name.split(".")[0]
            counts[top] = counts.get(top, 0) + n
            counts[""] = counts.get("", 0) + n
        return fn

    handles = [mod.register_forward_hook(hook(name)) for name, mod in m.named_modules() if name]
    m.eval()
    with torch.no_grad():
        m(torch.zeros(1, 3, *FLOPS_INPUT))
    for h in handles:
        h.remove()
    return counts


CASES = [  # name, widen_factor, out_indices, input shape(, extra backbone keys: act_cfg / norm_cfg)
    ("widen1_all_stages", 1.0, (0, 1, 2, 3, 4, 5, 6, 7), (1, 3, 64, 64)),
    ("widen05_default_outs", 0.5, (1, 2, 4, 7), (2, 3, 64, 96)),
    ("widen035_odd_size", 0.35, (2, 6), (1, 3, 70, 50)),
    # YOLOv3-MobileNetV2's act_cfg (configs/yolo/yolov3_mobilenetv2_8xb24-ms-416-300e_coco.py) with SSDLite's BN
    # (configs/ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py: eps 1e-3, momentum 0.03)
    ("widen035_leaky_relu_bn_eps1e-3", 0.35, (1, 2, 4, 7), (1, 3, 48, 40),
     dict(act_cfg=dict(type='LeakyReLU', negative_slope=0.1), norm_cfg=dict(type='BN', eps=0.001, momentum=0.03))),
]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                                  "../../src/test/resources/goldens/mobilenet_v2")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(20261127)
    for name, widen, outs_idx, shape, *extra in CASES:
        extra = extra[0] if extra else {}
        m = MobileNetV2(widen, outs_idx, act_cfg=extra.get('act_cfg'), eps=extra.get('norm_cfg', {}).get('eps', 1e-5))
        formula_weights(m)
        m.eval()
        x = torch.rand(shape) * 2 - 1
        with torch.no_grad():
            outs = m(x)
        cfg = dict(type="MobileNetV2", widen_factor=widen, out_indices=list(outs_idx), **extra)
        case = {"name": name, "torch": torch.__version__, "backbone": cfg, "input_shape": list(shape),
                "input": [float(v) for v in x.reshape(-1).tolist()],
                "outputs": [{"shape": list(o.shape), "values": [float(v) for v in o.reshape(-1).tolist()]} for o in outs]}
        with open(os.path.join(out_dir, name + ".json"), "w") as fh:
            json.dump(case, fh)
        print(name, "outs", [list(o.shape) for o in outs])
    nets = []
    for w in (1.0, 0.5, 1.4):
        m = MobileNetV2(w)
        nets.append({"name": f"mobilenet_v2_w{w}", "backbone": dict(type="MobileNetV2", widen_factor=w),
                     "parameters": sum(t.numel() for t in m.parameters()),
                     "state_dict": [{"name": k, "shape": list(t.shape)} for k, t in m.state_dict().items()],
                     "flops_input": list(FLOPS_INPUT), "flops": flops(m)})
        print(nets[-1]["name"], nets[-1]["parameters"], "parameters,", len(nets[-1]["state_dict"]), "entries",
              nets[-1]["flops"][""], "flops")
    with open(os.path.join(out_dir, "names.json"), "w") as fh:
        json.dump({"torch": torch.__version__, "networks": nets}, fh)


if __name__ == "__main__":
    main()
