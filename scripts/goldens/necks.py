#!/usr/bin/env python3
"""Goldens for the PAFPN and HRFPN necks (autoassign.model.Pafpn / Hrfpn): a plain-torch transcription of
MMDetection 3.3.0's mmdet/models/necks/pafpn.py (PAFPN(FPN), fpn.py for the laterals / top-down path / extra
levels) and mmdet/models/necks/hrfpn.py, with MMCV's ConvModule (conv -> norm -> act; bias='auto': a bias only
without a norm) and build_norm_layer names ('bn' / 'gn'). Transcribed from the upstream sources (GitHub
open-mmlab/mmdetection v3.x: pafpn.py, fpn.py, hrfpn.py; open-mmlab/mmcv cnn/bricks/conv_module.py); mmcv/mmdet are
not needed.

Each case: the neck config (the YAML keys of model.neck), the state dict (upstream names, random values; BN running
statistics included, BN in eval mode), the input feature maps, the outputs of forward(), and the gradients of
sum_i sum(out_i * gy_i) with respect to the inputs and every parameter.
Writes src/test/resources/goldens/necks/<case>.json (or argv[1]). Run: /usr/bin/python3 scripts/goldens/necks.py
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvModule(nn.Module):
    """mmcv.cnn.ConvModule, order ('conv', 'norm', 'act')."""

    def __init__(self, cin, cout, k, stride=1, padding=0, norm_cfg=None, act_cfg=None):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=padding, bias=norm_cfg is None)
        self.norm_name = None
        if norm_cfg is not None:
            if norm_cfg['type'] == 'GN':
                self.norm_name = 'gn'
                self.add_module('gn', nn.GroupNorm(norm_cfg['num_groups'], cout))
            else:
                self.norm_name = 'bn'
                self.add_module('bn', nn.BatchNorm2d(cout))
        self.act = nn.ReLU() if act_cfg is not None else None

    def forward(self, x):
        x = self.conv(x)
        if self.norm_name:
            x = getattr(self, self.norm_name)(x)
        if self.act is not None:
            x = self.act(x)
        return x


class FPN(nn.Module):
    """mmdet/models/necks/fpn.py (3.3.0) __init__; forward is PAFPN's below."""

    def __init__(self, in_channels, out_channels, num_outs, start_level=0, end_level=-1, add_extra_convs=False,
                 relu_before_extra_convs=False, no_norm_on_lateral=False, norm_cfg=None, act_cfg=None):
        super().__init__()
        self.in_channels = in_channels
        self.num_outs = num_outs
        self.relu_before_extra_convs = relu_before_extra_convs
        if end_level == -1 or end_level == len(in_channels) - 1:
            self.backbone_end_level = len(in_channels)
            assert num_outs >= len(in_channels) - start_level
        else:
            # if end_level is not the last level, no extra level is allowed
            self.backbone_end_level = end_level + 1
            assert end_level < len(in_channels)
            assert num_outs == end_level - start_level + 1
        self.start_level = start_level
        if isinstance(add_extra_convs, bool) and add_extra_convs:
            add_extra_convs = 'on_input'
        self.add_extra_convs = add_extra_convs
        self.lateral_convs = nn.ModuleList()
        self.fpn_convs = nn.ModuleList()
        for i in range(start_level, self.backbone_end_level):
            self.lateral_convs.append(ConvModule(in_channels[i], out_channels, 1,
                                                 norm_cfg=norm_cfg if not no_norm_on_lateral else None, act_cfg=act_cfg))
            self.fpn_convs.append(ConvModule(out_channels, out_channels, 3, padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg))
        extra_levels = num_outs - self.backbone_end_level + start_level
        if add_extra_convs and extra_levels >= 1:
            for i in range(extra_levels):
                if i == 0 and add_extra_convs == 'on_input':
                    cin = in_channels[self.backbone_end_level - 1]
                else:
                    cin = out_channels
                self.fpn_convs.append(ConvModule(cin, out_channels, 3, stride=2, padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg))


class PAFPN(FPN):
    """mmdet/models/necks/pafpn.py (3.3.0)."""

    def __init__(self, in_channels, out_channels, num_outs, norm_cfg=None, act_cfg=None, **kw):
        super().__init__(in_channels, out_channels, num_outs, norm_cfg=norm_cfg, act_cfg=act_cfg, **kw)
        self.downsample_convs = nn.ModuleList()
        self.pafpn_convs = nn.ModuleList()
        for i in range(self.start_level + 1, self.backbone_end_level):
            self.downsample_convs.append(ConvModule(out_channels, out_channels, 3, stride=2, padding=1,
                                                    norm_cfg=norm_cfg, act_cfg=act_cfg))
            self.pafpn_convs.append(ConvModule(out_channels, out_channels, 3, padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg))

    def forward(self, inputs):
        assert len(inputs) == len(self.in_channels)
        laterals = [lateral_conv(inputs[i + self.start_level]) for i, lateral_conv in enumerate(self.lateral_convs)]
        used_backbone_levels = len(laterals)
        for i in range(used_backbone_levels - 1, 0, -1):
            prev_shape = laterals[i - 1].shape[2:]
            laterals[i - 1] = laterals[i - 1] + F.interpolate(laterals[i], size=prev_shape, mode='nearest')
        inter_outs = [self.fpn_convs[i](laterals[i]) for i in range(used_backbone_levels)]
        for i in range(0, used_backbone_levels - 1):
            inter_outs[i + 1] = inter_outs[i + 1] + self.downsample_convs[i](inter_outs[i])
        outs = [inter_outs[0]]
        outs.extend([self.pafpn_convs[i - 1](inter_outs[i]) for i in range(1, used_backbone_levels)])
        if self.num_outs > len(outs):
            if not self.add_extra_convs:
                for i in range(self.num_outs - used_backbone_levels):
                    outs.append(F.max_pool2d(outs[-1], 1, stride=2))
            else:
                if self.add_extra_convs == 'on_input':
                    orig = inputs[self.backbone_end_level - 1]
                    outs.append(self.fpn_convs[used_backbone_levels](orig))
                elif self.add_extra_convs == 'on_lateral':
                    outs.append(self.fpn_convs[used_backbone_levels](laterals[-1]))
                elif self.add_extra_convs == 'on_output':
                    outs.append(self.fpn_convs[used_backbone_levels](outs[-1]))
                for i in range(used_backbone_levels + 1, self.num_outs):
                    if self.relu_before_extra_convs:
                        outs.append(self.fpn_convs[i](F.relu(outs[-1])))
                    else:
                        outs.append(self.fpn_convs[i](outs[-1]))
        return tuple(outs)


class HRFPN(nn.Module):
    """mmdet/models/necks/hrfpn.py (3.3.0): norm_cfg is stored but no ConvModule gets it; act_cfg=None."""

    def __init__(self, in_channels, out_channels, num_outs=5, pooling_type='AVG', stride=1):
        super().__init__()
        self.num_ins = len(in_channels)
        self.num_outs = num_outs
        self.reduction_conv = ConvModule(sum(in_channels), out_channels, 1)
        self.fpn_convs = nn.ModuleList()
        for i in range(num_outs):
            self.fpn_convs.append(ConvModule(out_channels, out_channels, 3, padding=1, stride=stride))
        self.pooling = F.max_pool2d if pooling_type == 'MAX' else F.avg_pool2d

    def forward(self, inputs):
        assert len(inputs) == self.num_ins
        outs = [inputs[0]]
        for i in range(1, self.num_ins):
            outs.append(F.interpolate(inputs[i], scale_factor=2 ** i, mode='bilinear'))
        out = torch.cat(outs, dim=1)
        out = self.reduction_conv(out)
        outs = [out]
        for i in range(1, self.num_outs):
            outs.append(self.pooling(out, kernel_size=2 ** i, stride=2 ** i))
        return tuple(self.fpn_convs[i](outs[i]) for i in range(self.num_outs))


# name, neck config (YAML keys), input sizes (H, W per level)
PYR = [(15, 19), (8, 10), (4, 5), (2, 3)]
CASES = [
    ("pafpn_autoassign", dict(type='PAFPN', in_channels=[4, 6, 8, 10], out_channels=5, start_level=1,
                              add_extra_convs='on_input', relu_before_extra_convs=True, num_outs=5), PYR),
    ("pafpn_maxpool_gn_relu_no_norm_on_lateral", dict(type='PAFPN', in_channels=[3, 5, 4], out_channels=6, num_outs=5,
                                                      norm_cfg=dict(type='GN', num_groups=3), act_cfg=dict(type='ReLU'),
                                                      no_norm_on_lateral=True), PYR[:3]),
    ("pafpn_bn_on_output", dict(type='PAFPN', in_channels=[4, 6, 8, 10], out_channels=4, start_level=1,
                                add_extra_convs='on_output', num_outs=4, norm_cfg=dict(type='BN')), PYR),
    ("pafpn_on_lateral_end_level", dict(type='PAFPN', in_channels=[4, 6, 8, 10], out_channels=5, start_level=0,
                                        end_level=2, add_extra_convs='on_lateral', num_outs=3), PYR),  # inclusive
    ("pafpn_on_lateral_extra", dict(type='PAFPN', in_channels=[4, 6, 8], out_channels=5, start_level=1,
                                    add_extra_convs='on_lateral', relu_before_extra_convs=True, num_outs=4), PYR[:3]),
    ("hrfpn_avg", dict(type='HRFPN', in_channels=[3, 4, 5, 6], out_channels=5), [(16, 24), (8, 12), (4, 6), (2, 3)]),
    ("hrfpn_max_stride2", dict(type='HRFPN', in_channels=[2, 3, 4], out_channels=4, num_outs=4, pooling_type='MAX',
                               stride=2), [(16, 20), (8, 10), (4, 5)]),
    ("hrfpn_avg_odd_pooling", dict(type='HRFPN', in_channels=[3, 2], out_channels=3, num_outs=5),
     [(18, 22), (9, 11)]),  # 18x22 pooled by 4, 8, 16: floor mode drops rows and columns
]


def build(cfg):
    kw = {k: v for k, v in cfg.items() if k != 'type'}
    if cfg['type'] == 'HRFPN':
        return HRFPN(**kw)
    return PAFPN(**kw)


def f32(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../src/test/resources/goldens/necks")
    os.makedirs(out_dir, exist_ok=True)
    g = torch.Generator().manual_seed(3030)
    for name, cfg, sizes in CASES:
        neck = build(cfg)
        with torch.no_grad():
            for k, v in neck.state_dict().items():
                if k.endswith('running_var'):
                    v.copy_(torch.rand(v.shape, generator=g) + 0.5)
                elif k.endswith('num_batches_tracked'):
                    v.fill_(7)
                elif v.is_floating_point():
                    v.copy_(torch.randn(v.shape, generator=g) * 0.3)
        neck.eval()
        inputs = [(torch.rand((2, c, h, w), generator=g) * 2 - 1).requires_grad_(True)
                  for c, (h, w) in zip(cfg['in_channels'], sizes)]
        outs = neck(inputs)
        gys = [torch.rand(o.shape, generator=g) * 2 - 1 for o in outs]
        sum((o * gy).sum() for o, gy in zip(outs, gys)).backward()
        sd = {k: dict(shape=list(v.shape), values=f32(v.float())) for k, v in neck.state_dict().items()}
        case = dict(name=name, torch=torch.__version__, neck=cfg, state_dict=sd,
                    inputs=[dict(shape=list(x.shape), values=f32(x)) for x in inputs],
                    outputs=[dict(shape=list(o.shape), values=f32(o)) for o in outs],
                    grad_outputs=[f32(gy) for gy in gys],
                    grad_inputs=[f32(x.grad if x.grad is not None else torch.zeros_like(x)) for x in inputs],
                    grad_params={k: f32(p.grad) for k, p in neck.named_parameters()})
        with open(os.path.join(out_dir, name + ".json"), "w") as fh:
            json.dump(case, fh)
        print(name, [list(o.shape) for o in outs])


if __name__ == "__main__":
    main()
