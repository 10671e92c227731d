"""Writes src/test/resources/goldens/regnet_widths/*.json: the stage plan of MMDetection 3.3.0's RegNet backbone
(mmdet/models/backbones/regnet.py) for every named arch of RegNet.arch_settings and a few dict archs, and the
parameter names / shapes of the network it builds, for RegNetWidthsGoldenTest.

The width arithmetic is transcribed from mmdet/models/backbones/regnet.py, class RegNet:
  generate_regnet (np.arange, np.log, np.round, np.power, quantized to divisor 8), quantize_float,
  adjust_width_group, get_stages_from_blocks, and the per-stage loop of RegNet.__init__
  (width = int(round(stage_width * bot_mul)), stage_groups = width // group_width).
The blocks are mmdet/models/backbones/resnext.py Bottleneck (with RegNet's expansion 1): its inner width
  width = planes if groups == 1 else math.floor(planes * (base_width / base_channels)) * groups
with planes = base_channels = the stage width and base_width = the group width, as RegNet.__init__ passes them.
The network (stem conv1 3x3/2 + bn1 + ReLU, no max-pool; layerN.M.conv1/bn1/conv2/bn2/conv3/bn3/downsample.0/1, as
mmdet/models/layers/res_layer.py ResLayer and mmdet/models/backbones/resnet.py Bottleneck name them) is built with
plain torch.nn modules (mmdet is not needed) to record every parameter / buffer name and shape and the parameter
count.

Each case: name, arch (w0, wa, wm, group_w, depth, bot_mul), the intermediates of generate_regnet (widths_cont and
ks as floats, w0 * wm ** ks as numpy computed it here (widths_pow; with AVX512_SKX that is Intel SVML's pow, at times
an ulp off) and as the C library's pow computes it (widths_pow_libm: numpy's result on CPUs without AVX512_SKX),
block widths before astype as floats, block widths as ints), num_stages, stage_widths / stage_blocks
from get_stages_from_blocks, the adjusted stage_widths / group_widths, per stage groups and inner width, and for
archs of 1..4 stages the torch network's parameters [name, shape], buffers [name, shape] and parameter count.
Run: /usr/bin/python3 scripts/goldens/regnet_widths.py [OUT_DIR]   (numpy 1.24, torch 1.13)
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

# RegNet.arch_settings, mmdet/models/backbones/regnet.py
ARCH_SETTINGS = {
    'regnetx_400mf': dict(w0=24, wa=24.48, wm=2.54, group_w=16, depth=22, bot_mul=1.0),
    'regnetx_800mf': dict(w0=56, wa=35.73, wm=2.28, group_w=16, depth=16, bot_mul=1.0),
    'regnetx_1.6gf': dict(w0=80, wa=34.01, wm=2.25, group_w=24, depth=18, bot_mul=1.0),
    'regnetx_3.2gf': dict(w0=88, wa=26.31, wm=2.25, group_w=48, depth=25, bot_mul=1.0),
    'regnetx_4.0gf': dict(w0=96, wa=38.65, wm=2.43, group_w=40, depth=23, bot_mul=1.0),
    'regnetx_6.4gf': dict(w0=184, wa=60.83, wm=2.07, group_w=56, depth=17, bot_mul=1.0),
    'regnetx_8.0gf': dict(w0=80, wa=49.56, wm=2.88, group_w=120, depth=23, bot_mul=1.0),
    'regnetx_12gf': dict(w0=168, wa=73.36, wm=2.37, group_w=112, depth=19, bot_mul=1.0),
}

# neck in_channels of MMDetection's configs/regnet/*.py (3.x names): checked against the computed stage widths
CONFIG_FPN_IN_CHANNELS = {
    'regnetx_400mf': [32, 64, 160, 384],     # faster-rcnn_regnetx-400MF_fpn_ms-3x_coco.py
    'regnetx_800mf': [64, 128, 288, 672],    # faster-rcnn_regnetx-800MF_fpn_ms-3x_coco.py
    'regnetx_1.6gf': [72, 168, 408, 912],    # faster-rcnn_regnetx-1.6GF_fpn_ms-3x_coco.py
    'regnetx_3.2gf': [96, 192, 432, 1008],   # mask-rcnn_regnetx-3.2GF_fpn_1x_coco.py, retinanet_regnetx-3.2GF_fpn_1x_coco.py
    'regnetx_4.0gf': [80, 240, 560, 1360],   # mask-rcnn_regnetx-4GF_fpn_1x_coco.py
    'regnetx_6.4gf': [168, 392, 784, 1624],  # mask-rcnn_regnetx-6.4GF_fpn_1x_coco.py
    'regnetx_8.0gf': [80, 240, 720, 1920],   # mask-rcnn_regnetx-8GF_fpn_1x_coco.py
    'regnetx_12gf': [224, 448, 896, 2240],   # mask-rcnn_regnetx-12GF_fpn_1x_coco.py
}


# ---- transcribed from RegNet (mmdet/models/backbones/regnet.py) ----------------------------------------------------

def generate_regnet(initial_width, width_slope, width_parameter, depth, divisor=8):
    assert width_slope >= 0
    assert initial_width > 0
    assert width_parameter > 1
    assert initial_width % divisor == 0
    widths_cont = np.arange(depth) * width_slope + initial_width
    ks = np.round(np.log(widths_cont / initial_width) / np.log(width_parameter))
    widths_f = initial_width * np.power(width_parameter, ks)
    widths = np.round(np.divide(widths_f, divisor)) * divisor
    num_stages = len(np.unique(widths))
    # np.power is Intel SVML's pow on CPUs with AVX512_SKX (numpy >= 1.22), an ulp off the C library's pow at times
    # (2.28 ** 4, 1.7 ** 2); without it numpy calls libm's pow, as math.pow does. Both are recorded; the widths must
    # not depend on which one ran.
    widths_libm = [initial_width * math.pow(width_parameter, k) for k in ks.tolist()]
    assert (np.round(np.divide(np.array(widths_libm), divisor)) * divisor).tolist() == widths.tolist(), 'CPU-dependent'
    ks_libm = [round(math.log(c / initial_width) / math.log(width_parameter)) for c in widths_cont.tolist()]
    assert ks_libm == ks.tolist(), 'log: CPU-dependent'
    trace = dict(widths_cont=widths_cont.tolist(), ks=ks.tolist(), widths_pow=widths_f.tolist(),
                 widths_pow_libm=widths_libm, widths_float=widths.tolist(),
                 numpy_avx512_skx=bool(np.core._multiarray_umath.__cpu_features__.get('AVX512_SKX')))
    widths, widths_cont = widths.astype(int).tolist(), widths_cont.tolist()
    return widths, num_stages, trace


def quantize_float(number, divisor):
    return int(round(number / divisor) * divisor)


def adjust_width_group(widths, bottleneck_ratio, groups):
    bottleneck_width = [int(w * b) for w, b in zip(widths, bottleneck_ratio)]
    groups = [min(g, w_bot) for g, w_bot in zip(groups, bottleneck_width)]
    bottleneck_width = [quantize_float(w_bot, g) for w_bot, g in zip(bottleneck_width, groups)]
    widths = [int(w_bot / b) for w_bot, b in zip(bottleneck_width, bottleneck_ratio)]
    return widths, groups


def get_stages_from_blocks(widths):
    width_diff = [width != width_prev for width, width_prev in zip(widths + [0], [0] + widths)]
    stage_widths = [width for width, diff in zip(widths, width_diff[:-1]) if diff]
    stage_blocks = np.diff([depth for depth, diff in zip(range(len(width_diff)), width_diff) if diff]).tolist()
    return stage_widths, stage_blocks


def plan(arch):
    widths, num_stages, trace = generate_regnet(arch['w0'], arch['wa'], arch['wm'], arch['depth'])
    stage_widths, stage_blocks = get_stages_from_blocks(widths)
    group_widths = [arch['group_w'] for _ in range(num_stages)]
    bottleneck_ratio = [arch['bot_mul'] for _ in range(num_stages)]
    raw_widths, raw_blocks = list(stage_widths), list(stage_blocks)
    stage_widths, group_widths = adjust_width_group(stage_widths, bottleneck_ratio, group_widths)
    stage_blocks = stage_blocks[:num_stages]
    groups, inner = [], []
    for i in range(len(stage_blocks)):
        width = int(round(stage_widths[i] * bottleneck_ratio[i]))
        stage_groups = width // group_widths[i]
        # resnext.Bottleneck: planes = base_channels = stage_widths[i], base_width = group_widths[i]
        planes, base_width, base_channels = stage_widths[i], group_widths[i], stage_widths[i]
        inner.append(planes if stage_groups == 1 else math.floor(planes * (base_width / base_channels)) * stage_groups)
        groups.append(stage_groups)
    return dict(block_widths=widths, num_stages=num_stages, generated_stage_widths=raw_widths,
                generated_stage_blocks=raw_blocks, stage_widths=stage_widths, group_widths=group_widths,
                stage_blocks=stage_blocks, stage_groups=groups, inner_widths=inner, **trace)


# ---- the network, in plain torch ------------------------------------------------------------------------------------

class Bottleneck(nn.Module):  # resnext.Bottleneck at expansion 1, style pytorch, no dcn / plugins
    def __init__(self, inplanes, planes, width, groups, stride, dilation, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, width, 1, stride=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=dilation, dilation=dilation, groups=groups,
                               bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, planes, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class TorchRegNet(nn.Module):
    def __init__(self, p, stem_channels=32, strides=(2, 2, 2, 2), dilations=(1, 1, 1, 1)):
        super().__init__()
        self.conv1 = nn.Conv2d(3, stem_channels, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem_channels)
        self.relu = nn.ReLU(inplace=True)
        inplanes = stem_channels
        self.names = []
        for i, n in enumerate(p['stage_blocks']):
            planes = p['stage_widths'][i]
            ds = None
            if strides[i] != 1 or inplanes != planes:  # ResLayer: planes * block.expansion, expansion 1
                ds = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=strides[i], bias=False), nn.BatchNorm2d(planes))
            blocks = [Bottleneck(inplanes, planes, p['inner_widths'][i], p['stage_groups'][i], strides[i], dilations[i], ds)]
            for _ in range(1, n):
                blocks.append(Bottleneck(planes, planes, p['inner_widths'][i], p['stage_groups'][i], 1, dilations[i], None))
            inplanes = planes
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
            self.names.append(f'layer{i + 1}')

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        outs = []
        for n in self.names:
            x = getattr(self, n)(x)
            outs.append(x)
        return outs


def case(name, arch, named=None):
    p = plan(arch)
    c = dict(name=name, named_arch=named, arch=arch, numpy=np.__version__, torch=torch.__version__, **p)
    if named in CONFIG_FPN_IN_CHANNELS:
        assert p['stage_widths'] == CONFIG_FPN_IN_CHANNELS[named], (named, p['stage_widths'])
        c['mmdet_config_fpn_in_channels'] = CONFIG_FPN_IN_CHANNELS[named]
    if 1 <= p['num_stages'] <= 4:
        n = p['num_stages']
        net = TorchRegNet(p, strides=(2,) * n, dilations=(1,) * n)
        c['parameters'] = [[k, list(v.shape)] for k, v in net.named_parameters()]
        c['buffers'] = [[k, list(v.shape)] for k, v in net.named_buffers()]
        c['parameter_count'] = sum(v.numel() for v in net.parameters())
        with torch.no_grad():
            outs = net.eval()(torch.zeros(1, 3, 64, 96))
        c['output_shapes_64x96'] = [list(o.shape) for o in outs]
    return c


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/goldens/regnet_widths"
    os.makedirs(out_dir, exist_ok=True)
    cases = [case(k, v, k) for k, v in ARCH_SETTINGS.items()]
    cases += [
        # the example of RegNet's docstring (= regnetx_3.2gf as a dict)
        case("dict_docstring_example", dict(w0=88, wa=26.31, wm=2.25, group_w=48, depth=25, bot_mul=1.0)),
        # pycls archs MMDetection does not name (timm's regnetx_200mf / 600mf / 16gf / 32gf)
        case("dict_pycls_200mf", dict(w0=24, wa=36.44, wm=2.49, group_w=8, depth=13, bot_mul=1.0)),
        case("dict_pycls_600mf", dict(w0=48, wa=36.97, wm=2.24, group_w=24, depth=16, bot_mul=1.0)),
        case("dict_pycls_16gf", dict(w0=216, wa=55.59, wm=2.1, group_w=128, depth=22, bot_mul=1.0)),
        case("dict_pycls_32gf", dict(w0=320, wa=69.86, wm=2.0, group_w=168, depth=23, bot_mul=1.0)),
        # bottleneck ratio below 1 and a group width larger than some stage's bottleneck (groups = min(g, w_bot))
        case("dict_bot_mul_half", dict(w0=32, wa=20.5, wm=2.2, group_w=24, depth=12, bot_mul=0.5)),
        # small ones the CPU tests build
        case("dict_tiny", dict(w0=8, wa=8.0, wm=2.0, group_w=8, depth=6, bot_mul=1.0)),
        case("dict_tiny_grouped", dict(w0=16, wa=16.0, wm=1.7, group_w=8, depth=6, bot_mul=1.0)),
        # fewer than 4 stages (RegNet then needs strides / dilations of that length) and more than 4 (rejected)
        case("dict_five_stages", dict(w0=16, wa=13.0, wm=1.5, group_w=8, depth=6, bot_mul=1.0)),
        case("dict_three_stages", dict(w0=16, wa=16.0, wm=2.0, group_w=8, depth=4, bot_mul=1.0)),
        case("dict_seven_stages", dict(w0=8, wa=30.0, wm=1.5, group_w=8, depth=12, bot_mul=1.0)),
    ]
    for c in cases:
        with open(os.path.join(out_dir, c["name"] + ".json"), "w") as f:
            json.dump(c, f)
        print(c["name"], c["num_stages"], c["stage_widths"], c["stage_blocks"], c["stage_groups"], c["inner_widths"],
              c.get("parameter_count"))
    print(f"wrote {len(cases)} cases to {out_dir}")


if __name__ == "__main__":
    main()
