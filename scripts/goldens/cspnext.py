#!/usr/bin/env python3
"""Goldens for MMDetection 3.3.0's CSPNeXt backbone and CSPNeXtPAFPN neck (autoassign.model.CspNext / YoloxPafpn with
cspNext), RTMDet's backbone and neck.

MMDetection / MMCV / MMEngine are not installed next to torch 1.13 here, so this transcribes, line for line, with plain
torch.nn modules of upstream's attribute names (state-dict names, order and shapes are upstream's):
  mmdet/models/backbones/cspnext.py (CSPNeXt: arch_settings P5 / P6, arch_ovewrite, the three-conv stem with
    int(c0 * w // 2) channels, expand_ratio, spp_kernal_sizes, channel_attention, out_indices incl. 0 = stem,
    _freeze_stages over layers[0..frozen_stages], norm_eval; open-mmlab/mmdetection, read at commit 00e560b6),
  mmdet/models/layers/csp_layer.py (CSPNeXtBlock: conv1 3x3 (depthwise-separable with use_depthwise), conv2 always a
    DepthwiseSeparableConvModule 5x5 pad 2; CSPLayer with use_lk_block and channel_attention: attention on
    cat(main, short) before final_conv; commit 07aa95f5),
  mmdet/models/layers/se_layer.py (ChannelAttention: nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, c, 1, bias=True),
    torch's nn.Hardsigmoid (inplace) -- not MMCV's HSigmoid; x * out. Read at commit 24be16ee, whose forward runs the
    pooling under a CUDA / MUSA autocast(enabled=False) chosen by the device found -- no effect in float32; on a
    machine with neither device that revision never assigns `out` (a NameError), so the transcription pools
    unconditionally, as the plain `with torch.cuda.amp.autocast(enabled=False)` form does),
  mmdet/models/necks/cspnext_pafpn.py (CSPNeXtPAFPN: YOLOXPAFPN's paths, CSPLayers with use_lk_block and
    expand_ratio but no use_depthwise (upstream does not pass it: only the downsamples are depthwise), 3x3 out_convs;
    commit 07aa95f5),
and reuses scripts/goldens/csp_darknet.py's MMCV ConvModule / DepthwiseSeparableConvModule / Swish (= SiLU)
transcriptions, SPPBottleneck, integer-hash weights and inputs, case runner and tolerances (ten times torch's own
float32-vs-float64 difference). MMEngine's FLOPs add the aten::adaptive_avg_pool2d handle (1 per input element);
Hardsigmoid and the gating multiply have none.
Run: /usr/bin/python3 scripts/goldens/cspnext.py [OUT_DIR]
"""
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import csp_darknet as cd  # noqa: E402
from csp_darknet import ConvModule, DepthwiseSeparableConvModule, SPPBottleneck, make_conv  # noqa: E402


class ChannelAttention(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.global_avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Conv2d(channels, channels, 1, 1, 0, bias=True)
        self.act = nn.Hardsigmoid(inplace=True)

    def forward(self, x):
        out = self.global_avgpool(x)
        out = self.fc(out)
        out = self.act(out)
        return x * out


class CSPNeXtBlock(nn.Module):
    def __init__(self, in_channels, out_channels, expansion=0.5, add_identity=True, use_depthwise=False, kernel_size=5, **cm):
        super().__init__()
        hidden_channels = int(out_channels * expansion)
        conv = make_conv(use_depthwise)
        self.conv1 = conv(in_channels, hidden_channels, 3, stride=1, padding=1, **cm)
        self.conv2 = DepthwiseSeparableConvModule(hidden_channels, out_channels, kernel_size, stride=1,
                                                  padding=kernel_size // 2, **cm)
        self.add_identity = add_identity and in_channels == out_channels

    def forward(self, x):
        identity = x
        out = self.conv1(x)
        out = self.conv2(out)
        if self.add_identity:
            return out + identity
        return out


class CSPLayer(nn.Module):
    def __init__(self, in_channels, out_channels, expand_ratio=0.5, num_blocks=1, add_identity=True, use_depthwise=False,
                 use_lk_block=False, channel_attention=False, **cm):
        super().__init__()
        block = CSPNeXtBlock if use_lk_block else cd.DarknetBottleneck
        mid_channels = int(out_channels * expand_ratio)
        self.channel_attention = channel_attention
        self.main_conv = ConvModule(in_channels, mid_channels, 1, **cm)
        self.short_conv = ConvModule(in_channels, mid_channels, 1, **cm)
        self.final_conv = ConvModule(2 * mid_channels, out_channels, 1, **cm)
        self.blocks = nn.Sequential(*[
            block(mid_channels, mid_channels, 1.0, add_identity, use_depthwise, **cm) for _ in range(num_blocks)])
        if channel_attention:
            self.attention = ChannelAttention(2 * mid_channels)

    def forward(self, x):
        x_short = self.short_conv(x)
        x_main = self.main_conv(x)
        x_main = self.blocks(x_main)
        x_final = torch.cat((x_main, x_short), dim=1)
        if self.channel_attention:
            x_final = self.attention(x_final)
        return self.final_conv(x_final)


class CSPNeXt(nn.Module):
    arch_settings = {
        'P5': [[64, 128, 3, True, False], [128, 256, 6, True, False], [256, 512, 6, True, False], [512, 1024, 3, False, True]],
        'P6': [[64, 128, 3, True, False], [128, 256, 6, True, False], [256, 512, 6, True, False], [512, 768, 3, True, False],
               [768, 1024, 3, False, True]]
    }

    def __init__(self, arch='P5', deepen_factor=1.0, widen_factor=1.0, out_indices=(2, 3, 4), frozen_stages=-1,
                 use_depthwise=False, expand_ratio=0.5, arch_ovewrite=None, spp_kernal_sizes=(5, 9, 13),
                 channel_attention=True, norm_cfg=dict(type='BN', momentum=0.03, eps=0.001), act_cfg=dict(type='SiLU'),
                 norm_eval=False):
        super().__init__()
        arch_setting = self.arch_settings[arch]
        if arch_ovewrite:
            arch_setting = arch_ovewrite
        assert set(out_indices).issubset(i for i in range(len(arch_setting) + 1))
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        cm = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        conv = make_conv(use_depthwise)
        self.stem = nn.Sequential(
            ConvModule(3, int(arch_setting[0][0] * widen_factor // 2), 3, padding=1, stride=2, **cm),
            ConvModule(int(arch_setting[0][0] * widen_factor // 2), int(arch_setting[0][0] * widen_factor // 2), 3,
                       padding=1, stride=1, **cm),
            ConvModule(int(arch_setting[0][0] * widen_factor // 2), int(arch_setting[0][0] * widen_factor), 3, padding=1,
                       stride=1, **cm))
        self.layers = ['stem']
        for i, (in_channels, out_channels, num_blocks, add_identity, use_spp) in enumerate(arch_setting):
            in_channels = int(in_channels * widen_factor)
            out_channels = int(out_channels * widen_factor)
            num_blocks = max(round(num_blocks * deepen_factor), 1)
            stage = [conv(in_channels, out_channels, 3, stride=2, padding=1, **cm)]
            if use_spp:
                stage.append(SPPBottleneck(out_channels, out_channels, kernel_sizes=spp_kernal_sizes, **cm))
            stage.append(CSPLayer(out_channels, out_channels, num_blocks=num_blocks, add_identity=add_identity,
                                  use_depthwise=use_depthwise, use_lk_block=True, expand_ratio=expand_ratio,
                                  channel_attention=channel_attention, **cm))
            self.add_module(f'stage{i + 1}', nn.Sequential(*stage))
            self.layers.append(f'stage{i + 1}')

    def _freeze_stages(self):
        if self.frozen_stages >= 0:
            for i in range(self.frozen_stages + 1):
                m = getattr(self, self.layers[i])
                m.eval()
                for param in m.parameters():
                    param.requires_grad = False

    def train(self, mode=True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        return self

    def forward(self, x):
        outs = []
        for i, layer_name in enumerate(self.layers):
            layer = getattr(self, layer_name)
            x = layer(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)


class CSPNeXtPAFPN(nn.Module):
    def __init__(self, in_channels, out_channels, num_csp_blocks=3, use_depthwise=False, expand_ratio=0.5,
                 norm_cfg=dict(type='BN', momentum=0.03, eps=0.001), act_cfg=dict(type='Swish')):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        cm = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        conv = make_conv(use_depthwise)
        self.upsample = nn.Upsample(scale_factor=2, mode='nearest')
        self.reduce_layers = nn.ModuleList()
        self.top_down_blocks = nn.ModuleList()
        for idx in range(len(in_channels) - 1, 0, -1):
            self.reduce_layers.append(ConvModule(in_channels[idx], in_channels[idx - 1], 1, **cm))
            self.top_down_blocks.append(CSPLayer(in_channels[idx - 1] * 2, in_channels[idx - 1], num_blocks=num_csp_blocks,
                                                 add_identity=False, use_lk_block=True, expand_ratio=expand_ratio, **cm))
        self.downsamples = nn.ModuleList()
        self.bottom_up_blocks = nn.ModuleList()
        for idx in range(len(in_channels) - 1):
            self.downsamples.append(conv(in_channels[idx], in_channels[idx], 3, stride=2, padding=1, **cm))
            self.bottom_up_blocks.append(CSPLayer(in_channels[idx] * 2, in_channels[idx + 1], num_blocks=num_csp_blocks,
                                                  add_identity=False, use_lk_block=True, expand_ratio=expand_ratio, **cm))
        self.out_convs = nn.ModuleList()
        for i in range(len(in_channels)):
            self.out_convs.append(ConvModule(in_channels[i], out_channels, 3, padding=1, **cm))

    forward = cd.YOLOXPAFPN.forward


def flops(m, inputs):
    """csp_darknet.flops plus MMEngine's aten::adaptive_avg_pool2d handle (1 per input element)."""
    total = {'adaptive_avg_pool2d': 0}
    hooks = [mod.register_forward_hook(
        lambda mod, i, o: total.__setitem__('adaptive_avg_pool2d', total['adaptive_avg_pool2d'] + i[0].numel()))
        for mod in m.modules() if isinstance(mod, nn.AdaptiveAvgPool2d)]
    total.update(base_flops(m, inputs))
    for h in hooks:
        h.remove()
    return total


base_flops = cd.flops
cd.flops = flops  # csp_darknet.run records these


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), '..', '..', 'src', 'test', 'resources', 'goldens', 'cspnext')
    os.makedirs(out_dir, exist_ok=True)
    silu = dict(type='SiLU', inplace=True)
    # RTMDet-s's factors at 1/4 of its width, every layer returned, odd sizes (67x45 -> 34x23 -> 17x12 -> 9x6 -> 5x3 -> 3x2)
    m = CSPNeXt(deepen_factor=0.33, widen_factor=0.125, out_indices=(0, 1, 2, 3, 4), act_cfg=silu)
    cd.run('p5_all_outs_67x45', m, dict(type='CSPNeXt', arch='P5', expand_ratio=0.5, deepen_factor=0.33, widen_factor=0.125,
                                        out_indices=[0, 1, 2, 3, 4], channel_attention=True, act_cfg=silu),
           [(2, 3, 67, 45)], ['stem.0.conv.weight', 'stem.2.bn.weight', 'stage1.1.blocks.0.conv1.conv.weight',
                              'stage1.1.attention.fc.weight', 'stage1.1.attention.fc.bias',
                              'stage2.1.blocks.0.conv2.depthwise_conv.conv.weight', 'stage4.1.conv1.conv.weight',
                              'stage4.2.attention.fc.bias', 'stage4.2.final_conv.bn.bias'],
           [torch.zeros(1, 3, 64, 64)], out_dir, 'backbone')

    # P6, depthwise-separable convs, frozen stem + stage1, out_indices 3..5, odd sizes (large enough that torch's float32
    # gradients stay within 1e-4 of its float64 ones: at 77x61, or with expand_ratio 0.25, train-mode BN over a few
    # values per channel put them 0.2-3 % apart)
    m = CSPNeXt(arch='P6', deepen_factor=0.33, widen_factor=0.125, out_indices=(3, 4, 5), use_depthwise=True,
                frozen_stages=1)
    cd.run('p6_depthwise_frozen1', m, dict(type='CSPNeXt', arch='P6', deepen_factor=0.33, widen_factor=0.125,
                                                     out_indices=[3, 4, 5], use_depthwise=True, frozen_stages=1),
           [(2, 3, 161, 129)], ['stage2.0.depthwise_conv.conv.weight', 'stage2.1.blocks.0.conv1.pointwise_conv.bn.weight',
                              'stage3.1.attention.fc.weight', 'stage5.1.conv1.conv.weight',
                              'stage5.2.blocks.0.conv2.depthwise_conv.conv.weight'],
           [torch.zeros(1, 3, 64, 96)], out_dir, 'backbone')

    # arch_ovewrite with SPP in the middle, other SPP kernels, no channel attention, norm_eval, LeakyReLU, torch's BN
    # defaults, expand_ratio 0.75
    over = [[16, 24, 1, True, False], [24, 32, 2, False, True], [32, 40, 1, True, False]]
    m = CSPNeXt(arch_ovewrite=over, out_indices=(1, 2, 3), spp_kernal_sizes=(3, 7), channel_attention=False, norm_eval=True,
                expand_ratio=0.75, norm_cfg=dict(type='BN'), act_cfg=dict(type='LeakyReLU', negative_slope=0.1))
    cd.run('overwrite_spp_no_attention_norm_eval_leaky', m, dict(
        type='CSPNeXt', arch_ovewrite=over, out_indices=[1, 2, 3], spp_kernal_sizes=[3, 7], channel_attention=False,
        norm_eval=True, expand_ratio=0.75, norm_cfg=dict(type='BN'), act_cfg=dict(type='LeakyReLU', negative_slope=0.1)),
           [(2, 3, 23, 19)], ['stem.1.conv.weight', 'stage2.1.conv2.conv.weight', 'stage3.1.main_conv.bn.weight',
                              'stage3.1.blocks.0.conv2.pointwise_conv.conv.weight'],
           [torch.zeros(1, 3, 32, 32)], out_dir, 'backbone')

    # RTMDet-s's neck shape at 1/8 width: three levels, SiLU
    n = CSPNeXtPAFPN([16, 32, 64], 16, num_csp_blocks=1, expand_ratio=0.5, act_cfg=silu)
    cd.run('neck_three_levels', n, dict(type='CSPNeXtPAFPN', in_channels=[16, 32, 64], out_channels=16, num_csp_blocks=1,
                                        expand_ratio=0.5, act_cfg=silu),
           [(2, 16, 16, 12), (2, 32, 8, 6), (2, 64, 4, 3)],
           ['reduce_layers.0.conv.weight', 'top_down_blocks.1.blocks.0.conv2.depthwise_conv.conv.weight',
            'downsamples.0.conv.weight', 'bottom_up_blocks.1.final_conv.bn.weight', 'out_convs.2.conv.weight'],
           [torch.zeros(1, 16, 16, 12), torch.zeros(1, 32, 8, 6), torch.zeros(1, 64, 4, 3)], out_dir, 'neck')

    # four levels, depthwise downsamples (the CSPLayers stay dense, as upstream), two blocks, expand 0.25, default Swish
    # (with ReLU torch's float32 and float64 gradients differed by 40 %: kinks of values near 0)
    n = CSPNeXtPAFPN([16, 16, 24, 32], 16, num_csp_blocks=2, use_depthwise=True, expand_ratio=0.25)
    cd.run('neck_four_levels_depthwise', n, dict(type='CSPNeXtPAFPN', in_channels=[16, 16, 24, 32], out_channels=16,
                                                      num_csp_blocks=2, use_depthwise=True, expand_ratio=0.25),
           [(2, 16, 32, 32), (2, 16, 16, 16), (2, 24, 8, 8), (2, 32, 4, 4)],
           ['downsamples.2.depthwise_conv.conv.weight', 'downsamples.2.pointwise_conv.bn.bias',
            'top_down_blocks.2.blocks.1.conv1.conv.weight', 'out_convs.0.conv.weight'],
           [torch.zeros(1, 16, 32, 32), torch.zeros(1, 16, 16, 16), torch.zeros(1, 24, 8, 8), torch.zeros(1, 32, 4, 4)],
           out_dir, 'neck')

    # RTMDet's backbones (tiny / s / m / l / x) and the s neck: names, shapes, parameter counts, FLOPs at 640x640
    nets = {}
    sizes = {'tiny': (0.167, 0.375), 's': (0.33, 0.5), 'm': (0.67, 0.75), 'l': (1.0, 1.0), 'x': (1.33, 1.25)}
    mods = [('rtmdet_%s_backbone' % k, CSPNeXt(deepen_factor=d, widen_factor=w, act_cfg=silu)) for k, (d, w) in sizes.items()]
    mods.append(('rtmdet_s_neck', CSPNeXtPAFPN([128, 256, 512], 128, num_csp_blocks=1, expand_ratio=0.5, act_cfg=silu)))
    mods.append(('p6_s_backbone', CSPNeXt(arch='P6', deepen_factor=0.33, widen_factor=0.5, out_indices=(2, 3, 4, 5))))
    for key, mod in mods:
        fl = flops(mod, torch.zeros(1, 3, 640, 640)) if 'backbone' in key else flops(
            mod, (torch.zeros(1, 128, 80, 80), torch.zeros(1, 256, 40, 40), torch.zeros(1, 512, 20, 20)))
        nets[key] = dict(names=[[k, list(t.shape)] for k, t in mod.state_dict().items()],
                         param_count=sum(p.numel() for p in mod.parameters()), flops_640=fl)
        print(key, nets[key]['param_count'], fl)
    with open(os.path.join(out_dir, 'names.json'), 'w') as fh:
        json.dump({'torch': torch.__version__, 'networks': nets}, fh)


if __name__ == '__main__':
    main()
