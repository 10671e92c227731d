#!/usr/bin/env python3
"""Goldens for the deep stem / avg_down ResNet (MMDetection 3.3 ResNetV1d = ResNet(deep_stem=True, avg_down=True)).

MMDetection is not installed next to torch 1.13 here, so this transcribes, line for line, the parts of
mmdet/models/backbones/resnet.py (_make_stem_layer with deep_stem, BasicBlock, Bottleneck with style 'pytorch',
forward, the frozen-BN eval mode) and mmdet/models/layers/res_layer.py (ResLayer's downsample with avg_down) with
plain torch.nn modules of the same attribute names and Sequential indices, so that the state-dict names, shapes and
the eval-mode forward are upstream's. Each case: the config keys, every state-dict tensor (name, shape, values;
running statistics randomised), an input and the backbone outputs (out_indices), written to
src/test/resources/goldens/resnet_v1d/<case>.json. Run: /usr/bin/python3 scripts/goldens/resnet_v1d.py
"""
import json
import os
import sys

import torch
import torch.nn as nn


def conv(cin, cout, k, s=1, p=0):
    return nn.Conv2d(cin, cout, k, stride=s, padding=p, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv(inplanes, planes, 3, stride, 1)
        self.add_module('bn1', nn.BatchNorm2d(planes))
        self.conv2 = conv(planes, planes, 3, 1, 1)
        self.add_module('bn2', nn.BatchNorm2d(planes))
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):  # style='pytorch': the stride on conv2
        super().__init__()
        self.conv1 = conv(inplanes, planes, 1)
        self.add_module('bn1', nn.BatchNorm2d(planes))
        self.conv2 = conv(planes, planes, 3, stride, 1)
        self.add_module('bn2', nn.BatchNorm2d(planes))
        self.conv3 = conv(planes, planes * 4, 1)
        self.add_module('bn3', nn.BatchNorm2d(planes * 4))
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


def res_layer(block, inplanes, planes, num_blocks, stride, avg_down):
    downsample = None
    if stride != 1 or inplanes != planes * block.expansion:
        downsample = []
        conv_stride = stride
        if avg_down:
            conv_stride = 1
            downsample.append(nn.AvgPool2d(kernel_size=stride, stride=stride, ceil_mode=True, count_include_pad=False))
        downsample.extend([conv(inplanes, planes * block.expansion, 1, conv_stride), nn.BatchNorm2d(planes * block.expansion)])
        downsample = nn.Sequential(*downsample)
    layers = [block(inplanes, planes, stride, downsample)]
    inplanes = planes * block.expansion
    for _ in range(1, num_blocks):
        layers.append(block(inplanes, planes, 1))
    return nn.Sequential(*layers)


class ResNet(nn.Module):
    arch = {18: (BasicBlock, (2, 2, 2, 2)), 50: (Bottleneck, (3, 4, 6, 3))}

    def __init__(self, depth, stem_channels, base_channels, num_stages, out_indices, deep_stem, avg_down):
        super().__init__()
        block, stage_blocks = self.arch[depth]
        self.deep_stem, self.out_indices = deep_stem, out_indices
        if deep_stem:
            self.stem = nn.Sequential(
                conv(3, stem_channels // 2, 3, 2, 1), nn.BatchNorm2d(stem_channels // 2), nn.ReLU(inplace=True),
                conv(stem_channels // 2, stem_channels // 2, 3, 1, 1), nn.BatchNorm2d(stem_channels // 2), nn.ReLU(inplace=True),
                conv(stem_channels // 2, stem_channels, 3, 1, 1), nn.BatchNorm2d(stem_channels), nn.ReLU(inplace=True))
        else:
            self.conv1 = conv(3, stem_channels, 7, 2, 3)
            self.add_module('bn1', nn.BatchNorm2d(stem_channels))
            self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        inplanes = stem_channels
        self.res_layers = []
        for i, n in enumerate(stage_blocks[:num_stages]):
            planes = base_channels * 2 ** i
            self.add_module(f'layer{i + 1}', res_layer(block, inplanes, planes, n, 1 if i == 0 else 2, avg_down))
            inplanes = planes * block.expansion
            self.res_layers.append(f'layer{i + 1}')

    def forward(self, x):
        x = self.stem(x) if self.deep_stem else self.relu(self.bn1(self.conv1(x)))
        x = self.maxpool(x)
        outs = []
        for i, name in enumerate(self.res_layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return outs


CASES = [
    # name, config keys (the engine's YAML backbone keys), input shape
    ("v1d_r18_base2", dict(type="ResNetV1d", depth=18, stem_channels=4, base_channels=2, num_stages=4,
                           out_indices=[0, 1, 2, 3]), (1, 3, 45, 37)),
    ("v1d_r50_base2_3stages", dict(type="ResNetV1d", depth=50, stem_channels=6, base_channels=2, num_stages=3,
                                   out_indices=[1, 2]), (2, 3, 35, 42)),
    ("v1c_r18_deep_stem_only", dict(type="ResNet", depth=18, deep_stem=True, stem_channels=8, base_channels=4,
                                    num_stages=3, out_indices=[0, 2]), (1, 3, 39, 33)),
    ("r18_avg_down_only", dict(type="ResNet", depth=18, avg_down=True, stem_channels=8, base_channels=4,
                               num_stages=3, out_indices=[2]), (1, 3, 41, 30)),
]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../src/test/resources/goldens/resnet_v1d")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(20240101)
    for name, cfg, shape in CASES:
        v1d = cfg["type"] == "ResNetV1d"
        m = ResNet(cfg["depth"], cfg["stem_channels"], cfg["base_channels"], cfg["num_stages"], cfg["out_indices"],
                   v1d or cfg.get("deep_stem", False), v1d or cfg.get("avg_down", False))
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
        m.eval()
        x = torch.rand(shape) * 2 - 1
        with torch.no_grad():
            outs = m(x)
        sd = [{"name": k, "shape": list(t.shape), "values": [float(v) for v in t.reshape(-1).tolist()]}
              for k, t in m.state_dict().items()]
        case = {"name": name, "torch": torch.__version__, "backbone": cfg, "state_dict": sd, "input_shape": list(shape),
                "input": [float(v) for v in x.reshape(-1).tolist()],
                "outputs": [{"shape": list(o.shape), "values": [float(v) for v in o.reshape(-1).tolist()]} for o in outs]}
        with open(os.path.join(out_dir, name + ".json"), "w") as fh:
            json.dump(case, fh)
        print(name, "params", sum(t.numel() for t in m.parameters()), "outs", [list(o.shape) for o in outs])


if __name__ == "__main__":
    main()
