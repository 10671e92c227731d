#!/usr/bin/env python3
"""Goldens for MMDetection 3.3.0's EfficientNet backbone (mmdet/models/backbones/efficientnet.py).

MMDetection / MMCV / MMEngine are not installed next to torch 1.13 here, so this transcribes onto plain torch.nn
modules with upstream's attribute names:
  * mmdet/models/backbones/efficientnet.py (MMDetection 3.3.0): EdgeResidual, model_scaling, EfficientNet's
    layer_settings / arch_settings / __init__ / make_layer / forward (layers 0..max(out_indices) only);
  * mmdet/models/layers/inverted_residual.py (InvertedResidual with se and drop_path) and
    mmdet/models/layers/se_layer.py (SELayer: AdaptiveAvgPool2d(1), conv1, conv2, x * out);
  * mmdet/models/utils/make_divisible.py;
  * MMCV 2.x: ConvModule (conv, norm 'bn', activate; bias = no norm), Conv2dAdaptivePadding
    (mmcv/cnn/bricks/conv2d_adaptive_padding.py: F.pad [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2] then conv),
    Swish (x * torch.sigmoid(x)), DropPath (nn.Identity at rate 0, the goldens' setting).

Weights come from the formula of scripts/goldens/mobilenet_v2.py (state-dict entry k, element j: v = sin(0.37 j + 1.3 k);
conv weights v * sqrt(2 / fan_in), norm weights 1 + 0.25 v, biases 0.2 v, running means 0.2 v, running variances
1 + 0.4 v), which the Java test evaluates too.

Each case <case>.json: the backbone config (the engine's YAML keys), the input, and either the eval-mode outputs
("eval") or, in train mode (BN with batch statistics), the outputs and the gradients of loss = sum_i sum_j out_i[j] *
cos(0.11 j + 0.7 i) with respect to the input and the named parameters ("train").
names.json: per network the state-dict names and shapes, the parameter count and MMEngine's FLOPs of a [1, 3, 224, 224]
forward (conv: prod(weight shape) * out h * w; eval batch_norm: 2 per input element; adaptive_avg_pool2d: 1 per input
element; Swish / Sigmoid / mul / add / pad have no handle).
Run: /usr/bin/python3 scripts/goldens/efficientnet.py [OUT_DIR]
"""
import copy
import json
import math
import os
import sys
from functools import partial

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def make_divisible(value, divisor, min_value=None, min_ratio=0.9):
    if min_value is None:
        min_value = divisor
    new_value = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new_value < min_ratio * value:
        new_value += divisor
    return new_value


class Conv2dAdaptivePadding(nn.Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, 0, dilation, groups, bias)

    def forward(self, x):
        img_h, img_w = x.size()[-2:]
        kernel_h, kernel_w = self.weight.size()[-2:]
        stride_h, stride_w = self.stride
        output_h = math.ceil(img_h / stride_h)
        output_w = math.ceil(img_w / stride_w)
        pad_h = max((output_h - 1) * self.stride[0] + (kernel_h - 1) * self.dilation[0] + 1 - img_h, 0)
        pad_w = max((output_w - 1) * self.stride[1] + (kernel_w - 1) * self.dilation[1] + 1 - img_w, 0)
        if pad_h > 0 or pad_w > 0:
            x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


def build_activation(act_cfg):
    t = act_cfg['type']
    if t == 'Swish':
        return Swish()
    if t == 'Sigmoid':
        return nn.Sigmoid()
    if t == 'ReLU':
        return nn.ReLU()
    assert t == 'LeakyReLU'
    return nn.LeakyReLU(negative_slope=act_cfg.get('negative_slope', 0.01))


class ConvModule(nn.Module):
    """MMCV's ConvModule (order conv, norm, act; bias='auto' = no norm)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, groups=1, conv_cfg=None,
                 norm_cfg=None, act_cfg=dict(type='ReLU')):
        super().__init__()
        conv = Conv2dAdaptivePadding if conv_cfg is not None and conv_cfg['type'] == 'Conv2dAdaptivePadding' else nn.Conv2d
        self.conv = conv(in_channels, out_channels, kernel_size, stride=stride, padding=padding, groups=groups,
                         bias=norm_cfg is None)
        if norm_cfg is not None:
            self.add_module('bn', nn.BatchNorm2d(out_channels, eps=norm_cfg.get('eps', 1e-5),
                                                 momentum=norm_cfg.get('momentum', 0.1)))
        self.norm = norm_cfg is not None
        self.activate = build_activation(act_cfg) if act_cfg is not None else None

    def forward(self, x):
        x = self.conv(x)
        if self.norm:
            x = self.bn(x)
        if self.activate is not None:
            x = self.activate(x)
        return x


class SELayer(nn.Module):
    def __init__(self, channels, ratio=16, conv_cfg=None, act_cfg=(dict(type='ReLU'), dict(type='Sigmoid'))):
        super().__init__()
        if isinstance(act_cfg, dict):
            act_cfg = (act_cfg, act_cfg)
        self.global_avgpool = nn.AdaptiveAvgPool2d(1)
        self.conv1 = ConvModule(channels, int(channels / ratio), 1, stride=1, conv_cfg=conv_cfg, act_cfg=act_cfg[0])
        self.conv2 = ConvModule(int(channels / ratio), channels, 1, stride=1, conv_cfg=conv_cfg, act_cfg=act_cfg[1])

    def forward(self, x):
        out = self.global_avgpool(x)
        out = self.conv1(out)
        out = self.conv2(out)
        return x * out


class InvertedResidual(nn.Module):
    def __init__(self, in_channels, out_channels, mid_channels, kernel_size=3, stride=1, se_cfg=None,
                 with_expand_conv=True, conv_cfg=None, norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU'),
                 drop_path_rate=0., with_cp=False):
        super().__init__()
        self.with_res_shortcut = (stride == 1 and in_channels == out_channels)
        assert stride in [1, 2]
        assert drop_path_rate == 0  # the goldens run without drop path (DropPath is then nn.Identity)
        self.drop_path = nn.Identity()
        self.with_se = se_cfg is not None
        self.with_expand_conv = with_expand_conv
        if not self.with_expand_conv:
            assert mid_channels == in_channels
        if self.with_expand_conv:
            self.expand_conv = ConvModule(in_channels, mid_channels, 1, stride=1, padding=0, conv_cfg=conv_cfg,
                                          norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.depthwise_conv = ConvModule(mid_channels, mid_channels, kernel_size, stride=stride,
                                         padding=kernel_size // 2, groups=mid_channels, conv_cfg=conv_cfg,
                                         norm_cfg=norm_cfg, act_cfg=act_cfg)
        if self.with_se:
            self.se = SELayer(**se_cfg)
        self.linear_conv = ConvModule(mid_channels, out_channels, 1, stride=1, padding=0, conv_cfg=conv_cfg,
                                      norm_cfg=norm_cfg, act_cfg=None)

    def forward(self, x):
        out = x
        if self.with_expand_conv:
            out = self.expand_conv(out)
        out = self.depthwise_conv(out)
        if self.with_se:
            out = self.se(out)
        out = self.linear_conv(out)
        if self.with_res_shortcut:
            return x + self.drop_path(out)
        return out


class EdgeResidual(nn.Module):
    def __init__(self, in_channels, out_channels, mid_channels, kernel_size=3, stride=1, se_cfg=None,
                 with_residual=True, conv_cfg=None, norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU'),
                 drop_path_rate=0., with_cp=False, init_cfg=None, **kwargs):
        super().__init__()
        assert stride in [1, 2]
        assert drop_path_rate == 0
        self.drop_path = nn.Identity()
        self.with_se = se_cfg is not None
        self.with_residual = (stride == 1 and in_channels == out_channels and with_residual)
        self.conv1 = ConvModule(in_channels, mid_channels, kernel_size, stride=1, padding=kernel_size // 2,
                                conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        if self.with_se:
            self.se = SELayer(**se_cfg)
        self.conv2 = ConvModule(mid_channels, out_channels, 1, stride=stride, padding=0, conv_cfg=conv_cfg,
                                norm_cfg=norm_cfg, act_cfg=None)

    def forward(self, x):
        out = self.conv1(x)
        if self.with_se:
            out = self.se(out)
        out = self.conv2(out)
        if self.with_residual:
            return x + self.drop_path(out)
        return out


def model_scaling(layer_setting, arch_setting):
    new_layer_setting = copy.deepcopy(layer_setting)
    for layer_cfg in new_layer_setting:
        for block_cfg in layer_cfg:
            block_cfg[1] = make_divisible(block_cfg[1] * arch_setting[0], 8)
    split_layer_setting = [new_layer_setting[0]]
    for layer_cfg in new_layer_setting[1:-1]:
        tmp_index = [0]
        for i in range(len(layer_cfg) - 1):
            if layer_cfg[i + 1][1] != layer_cfg[i][1]:
                tmp_index.append(i + 1)
        tmp_index.append(len(layer_cfg))
        for i in range(len(tmp_index) - 1):
            split_layer_setting.append(layer_cfg[tmp_index[i]:tmp_index[i + 1]])
    split_layer_setting.append(new_layer_setting[-1])
    num_of_layers = [len(layer_cfg) for layer_cfg in split_layer_setting[1:-1]]
    new_layers = [int(math.ceil(arch_setting[1] * num)) for num in num_of_layers]
    merge_layer_setting = [split_layer_setting[0]]
    for i, layer_cfg in enumerate(split_layer_setting[1:-1]):
        if new_layers[i] <= num_of_layers[i]:
            tmp_layer_cfg = layer_cfg[:new_layers[i]]
        else:
            tmp_layer_cfg = copy.deepcopy(layer_cfg) + [layer_cfg[-1]] * (new_layers[i] - num_of_layers[i])
        if tmp_layer_cfg[0][3] == 1 and i != 0:
            merge_layer_setting[-1] += tmp_layer_cfg.copy()
        else:
            merge_layer_setting.append(tmp_layer_cfg.copy())
    merge_layer_setting.append(split_layer_setting[-1])
    return merge_layer_setting


class EfficientNet(nn.Module):
    layer_settings = {
        'b': [[[3, 32, 0, 2, 0, -1]],
              [[3, 16, 4, 1, 1, 0]],
              [[3, 24, 4, 2, 6, 0], [3, 24, 4, 1, 6, 0]],
              [[5, 40, 4, 2, 6, 0], [5, 40, 4, 1, 6, 0]],
              [[3, 80, 4, 2, 6, 0], [3, 80, 4, 1, 6, 0], [3, 80, 4, 1, 6, 0],
               [5, 112, 4, 1, 6, 0], [5, 112, 4, 1, 6, 0], [5, 112, 4, 1, 6, 0]],
              [[5, 192, 4, 2, 6, 0], [5, 192, 4, 1, 6, 0], [5, 192, 4, 1, 6, 0], [5, 192, 4, 1, 6, 0],
               [3, 320, 4, 1, 6, 0]],
              [[1, 1280, 0, 1, 0, -1]]],
        'e': [[[3, 32, 0, 2, 0, -1]],
              [[3, 24, 0, 1, 3, 1]],
              [[3, 32, 0, 2, 8, 1], [3, 32, 0, 1, 8, 1]],
              [[3, 48, 0, 2, 8, 1], [3, 48, 0, 1, 8, 1], [3, 48, 0, 1, 8, 1], [3, 48, 0, 1, 8, 1]],
              [[5, 96, 0, 2, 8, 0], [5, 96, 0, 1, 8, 0], [5, 96, 0, 1, 8, 0], [5, 96, 0, 1, 8, 0], [5, 96, 0, 1, 8, 0],
               [5, 144, 0, 1, 8, 0], [5, 144, 0, 1, 8, 0], [5, 144, 0, 1, 8, 0], [5, 144, 0, 1, 8, 0]],
              [[5, 192, 0, 2, 8, 0], [5, 192, 0, 1, 8, 0]],
              [[1, 1280, 0, 1, 0, -1]]]}
    arch_settings = {
        'b0': (1.0, 1.0, 224), 'b1': (1.0, 1.1, 240), 'b2': (1.1, 1.2, 260), 'b3': (1.2, 1.4, 300),
        'b4': (1.4, 1.8, 380), 'b5': (1.6, 2.2, 456), 'b6': (1.8, 2.6, 528), 'b7': (2.0, 3.1, 600),
        'b8': (2.2, 3.6, 672), 'es': (1.0, 1.0, 224), 'em': (1.0, 1.1, 240), 'el': (1.2, 1.4, 300)}

    def __init__(self, arch='b0', drop_path_rate=0., out_indices=(6,), frozen_stages=0,
                 conv_cfg=dict(type='Conv2dAdaptivePadding'), norm_cfg=dict(type='BN', eps=1e-3),
                 act_cfg=dict(type='Swish'), norm_eval=False, with_cp=False):
        super().__init__()
        self.arch_setting = self.arch_settings[arch]
        self.layer_setting = self.layer_settings[arch[:1]]
        self.drop_path_rate = drop_path_rate
        self.out_indices = out_indices
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.with_cp = with_cp
        self.layer_setting = model_scaling(self.layer_setting, self.arch_setting)
        block_cfg_0 = self.layer_setting[0][0]
        block_cfg_last = self.layer_setting[-1][0]
        self.in_channels = make_divisible(block_cfg_0[1], 8)
        self.out_channels = block_cfg_last[1]
        self.layers = nn.ModuleList()
        self.layers.append(ConvModule(3, self.in_channels, block_cfg_0[0], stride=block_cfg_0[3],
                                      padding=block_cfg_0[0] // 2, conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg,
                                      act_cfg=self.act_cfg))
        self.make_layer()
        if len(self.layers) < max(self.out_indices) + 1:
            self.layers.append(ConvModule(self.in_channels, self.out_channels, block_cfg_last[0],
                                          stride=block_cfg_last[3], padding=block_cfg_last[0] // 2,
                                          conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg))

    def make_layer(self):
        layer_setting = self.layer_setting[1:-1]
        total_num_blocks = sum([len(x) for x in layer_setting])
        block_idx = 0
        dpr = [x.item() for x in torch.linspace(0, self.drop_path_rate, total_num_blocks)]
        for i, layer_cfg in enumerate(layer_setting):
            if i > max(self.out_indices) - 1:
                break
            layer = []
            for i, block_cfg in enumerate(layer_cfg):
                (kernel_size, out_channels, se_ratio, stride, expand_ratio, block_type) = block_cfg
                mid_channels = int(self.in_channels * expand_ratio)
                out_channels = make_divisible(out_channels, 8)
                if se_ratio <= 0:
                    se_cfg = None
                else:
                    se_cfg = dict(channels=mid_channels, ratio=expand_ratio * se_ratio,
                                  act_cfg=(self.act_cfg, dict(type='Sigmoid')))
                if block_type == 1:
                    if i > 0 and expand_ratio == 3:
                        with_residual = False
                        expand_ratio = 4
                    else:
                        with_residual = True
                    mid_channels = int(self.in_channels * expand_ratio)
                    if se_cfg is not None:
                        se_cfg = dict(channels=mid_channels, ratio=se_ratio * expand_ratio,
                                      act_cfg=(self.act_cfg, dict(type='Sigmoid')))
                    block = partial(EdgeResidual, with_residual=with_residual)
                else:
                    block = InvertedResidual
                layer.append(block(in_channels=self.in_channels, out_channels=out_channels,
                                   mid_channels=mid_channels, kernel_size=kernel_size, stride=stride, se_cfg=se_cfg,
                                   conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg,
                                   drop_path_rate=dpr[block_idx], with_cp=self.with_cp,
                                   with_expand_conv=(mid_channels != self.in_channels)))
                self.in_channels = out_channels
                block_idx += 1
            self.layers.append(nn.Sequential(*layer))

    def forward(self, x):
        outs = []
        for i, layer in enumerate(self.layers):
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
            elif isinstance(mod, nn.AdaptiveAvgPool2d):
                n = inp[0].numel()
            else:
                return
            parts = name.split(".")
            for d in range(len(parts) + 1):
                key = ".".join(parts[:d])
                counts[key] = counts.get(key, 0) + n
        return fn

    handles = [mod.register_forward_hook(hook(name)) for name, mod in m.named_modules() if name]
    m.eval()
    with torch.no_grad():
        m(torch.zeros(1, 3, *FLOPS_INPUT))
    for h in handles:
        h.remove()
    return {k: v for k, v in counts.items() if k.count(".") <= 1}


def build(cfg):
    kw = {k: v for k, v in cfg.items() if k != "type"}
    if "out_indices" in kw:
        kw["out_indices"] = tuple(kw["out_indices"])
    return EfficientNet(**kw)


CASES = [  # name, backbone config, input shape, mode
    ("b0_eval_all_layers", dict(type="EfficientNet", arch="b0", out_indices=[0, 1, 2, 3, 4, 5, 6]), (1, 3, 38, 46), "eval"),
    ("b0_train_grads", dict(type="EfficientNet", arch="b0", out_indices=[2, 3, 4]), (2, 3, 30, 42), "train"),
    ("b1_conv2d_relu_eval", dict(type="EfficientNet", arch="b1", out_indices=[3, 5], conv_cfg=None,
                                 act_cfg=dict(type="ReLU"), norm_cfg=dict(type="BN", eps=1e-3, momentum=0.01)),
     (1, 3, 41, 38), "eval"),
    ("es_train_grads", dict(type="EfficientNet", arch="es", out_indices=[1, 2, 3]), (2, 3, 26, 34), "train"),
    ("em_eval_edge_no_residual", dict(type="EfficientNet", arch="em", out_indices=[1, 2]), (1, 3, 30, 44), "eval"),
    ("b3_detector_outs_eval", dict(type="EfficientNet", arch="b3", out_indices=[3, 4, 5],
                                   norm_cfg=dict(type="BN", requires_grad=True, eps=1e-3, momentum=0.01)),
     (1, 3, 66, 52), "eval"),
]

GRAD_NAMES = {
    "b0_train_grads": ["layers.0.conv.weight", "layers.0.bn.weight", "layers.1.0.se.conv1.conv.weight",
                       "layers.1.0.se.conv1.conv.bias", "layers.1.0.se.conv2.conv.bias",
                       "layers.2.0.depthwise_conv.conv.weight", "layers.3.0.depthwise_conv.conv.weight",
                       "layers.3.1.se.conv2.conv.weight", "layers.4.0.expand_conv.bn.bias",
                       "layers.4.3.linear_conv.bn.weight"],
    "es_train_grads": ["layers.0.conv.weight", "layers.1.0.conv1.conv.weight", "layers.1.0.conv2.bn.weight",
                       "layers.2.0.conv1.bn.weight", "layers.2.0.conv2.conv.weight", "layers.2.1.conv1.bn.bias",
                       "layers.3.3.conv2.bn.bias"],
}


def loss_weights(outs):
    ws = []
    for i, o in enumerate(outs):
        j = np.arange(o.numel(), dtype=np.float64)
        ws.append(torch.from_numpy(np.cos(0.11 * j + 0.7 * i).astype(np.float32)).reshape(o.shape))
    return ws


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                                  "../../src/test/resources/goldens/efficientnet")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(20261127)
    for name, cfg, shape, mode in CASES:
        m = build(cfg)
        formula_weights(m)
        x = torch.rand(shape) * 2 - 1
        case = {"name": name, "torch": torch.__version__, "backbone": cfg, "mode": mode, "input_shape": list(shape),
                "input": [float(v) for v in x.reshape(-1).tolist()]}
        if mode == "eval":
            m.eval()
            with torch.no_grad():
                outs = m(x)
        else:
            m.train()
            x.requires_grad_(True)
            outs = m(x)
            loss = sum((o * w).sum() for o, w in zip(outs, loss_weights(outs)))
            loss.backward()
            params = dict(m.named_parameters())
            case["grads"] = [{"name": "input", "shape": list(x.shape),
                              "values": [float(v) for v in x.grad.reshape(-1).tolist()]}]
            for pn in GRAD_NAMES[name]:
                g = params[pn].grad
                case["grads"].append({"name": pn, "shape": list(g.shape), "values": [float(v) for v in g.reshape(-1).tolist()]})
        case["outputs"] = [{"shape": list(o.shape), "values": [float(v) for v in o.detach().reshape(-1).tolist()]}
                           for o in outs]
        with open(os.path.join(out_dir, name + ".json"), "w") as fh:
            json.dump(case, fh)
        print(name, mode, "outs", [list(o.shape) for o in outs])
    nets = []
    for arch in ("b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "es", "em", "el"):
        for outs_idx in ((0, 1, 2, 3, 4, 5, 6), (3, 4, 5)):
            m = build(dict(arch=arch, out_indices=list(outs_idx)))
            entry = {"name": f"efficientnet_{arch}_outs{''.join(map(str, outs_idx))}",
                     "backbone": dict(type="EfficientNet", arch=arch, out_indices=list(outs_idx)),
                     "parameters": sum(t.numel() for t in m.parameters()),
                     "state_dict_entries": len(m.state_dict()),
                     "out_channels": [], "flops_input": list(FLOPS_INPUT)}
            with torch.no_grad():
                m.eval()
                entry["out_channels"] = [o.shape[1] for o in m(torch.zeros(1, 3, 64, 64))]
            if arch in ("b0", "b3", "es", "em"):
                entry["state_dict"] = [{"name": k, "shape": list(t.shape)} for k, t in m.state_dict().items()]
            if arch in ("b0", "b3", "es"):
                entry["flops"] = flops(m)
            nets.append(entry)
            print(entry["name"], entry["parameters"], "parameters,", entry["state_dict_entries"], "entries",
                  entry["out_channels"], entry.get("flops", {}).get(""))
    with open(os.path.join(out_dir, "names.json"), "w") as fh:
        json.dump({"torch": torch.__version__, "networks": nets}, fh)


if __name__ == "__main__":
    main()
