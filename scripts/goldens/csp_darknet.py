#!/usr/bin/env python3
"""Goldens for MMDetection 3.3.0's CSPDarknet backbone and YOLOXPAFPN neck (autoassign.model.CspDarknet / YoloxPafpn).

MMDetection / MMCV / MMEngine are not installed next to torch 1.13 here, so this transcribes, line for line, with
plain torch.nn modules of the same attribute names (so state-dict names, order and shapes are upstream's):
  mmdet/models/backbones/csp_darknet.py (Focus, SPPBottleneck, CSPDarknet: arch_settings, arch_ovewrite,
    spp_kernal_sizes, out_indices incl. 0 = stem, _freeze_stages over layers[0..frozen_stages], norm_eval;
    open-mmlab/mmdetection v3.x, read at commit 96eea76da912c06e7e891c7df3d06104cd157bb8),
  mmdet/models/layers/csp_layer.py (DarknetBottleneck, CSPLayer without channel attention; commit 07aa95f5),
  mmdet/models/necks/yolox_pafpn.py (YOLOXPAFPN; commit 0c515928),
  MMCV 2.x's ConvModule (conv without bias when a norm follows, norm named 'bn', then the activation),
  DepthwiseSeparableConvModule (depthwise_conv with groups = in channels, pointwise_conv 1x1) and Swish
  (x * torch.sigmoid(x)).

Weights and inputs come from an integer hash the Java test evaluates too (hash_uniform: v in [-1, 1) from element j
and entry k, exact in both languages): state-dict entry k (upstream's order): conv weights v * sqrt(6 / fan_in),
norm weights 1 + 0.25 v, biases 0.2 v, running means 0.2 v, running variances 1 + 0.4 v, num_batches_tracked 0;
input i: v of entry 1000 + i (all cast to float32). (A smooth formula such as sin(0.37 j + 1.3 k) makes channels
nearly constant, and train-mode BatchNorm then amplifies rounding: torch's own float32 and float64 gradients
differed by 10-40 %.) Each case also records how far torch's float32 results are from its float64 ones (eval_tol,
grad_tol: ten times that relative error, at least 3e-5 / 1e-4), the tolerances the Java test applies.

Each case <case>.json: the module config (the engine's YAML keys of model.backbone or model.neck), the state-dict
names and shapes, the input shapes, the outputs of the eval-mode forward, then (after module.train(), which applies
frozen_stages / norm_eval as upstream's train()) the train-mode forward with the seed gradients
gy_i[j] = cos(0.13 j + 0.7 i): the gradients of the inputs (every grad_input_strides[i]-th element) and of a few named tensors, the names of parameters that
get no gradient (frozen), and the running statistics of the first two and the last BN after that training forward. Also MMEngine's FLOPs of
one image (conv = prod(weight shape) * out h * w; eval batch_norm = 2 per input element; upsample_nearest2d = 1 per
output element; Swish's sigmoid / mul, cat, max_pool2d and additions have no handle) and the parameter count.
Run: /usr/bin/python3 scripts/goldens/csp_darknet.py [OUT_DIR]
"""
import copy
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


def build_act(act_cfg):
    if act_cfg is None:
        return None
    t = act_cfg['type']
    if t in ('Swish', 'SiLU'):
        return Swish()
    if t == 'ReLU':
        return nn.ReLU()
    if t == 'LeakyReLU':
        return nn.LeakyReLU(negative_slope=act_cfg.get('negative_slope', 0.01))
    raise ValueError(t)


class ConvModule(nn.Module):
    def __init__(self, cin, cout, k, stride=1, padding=0, groups=1, norm_cfg=None, act_cfg=None):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=padding, groups=groups, bias=False)
        self.add_module('bn', nn.BatchNorm2d(cout, eps=norm_cfg.get('eps', 1e-5), momentum=norm_cfg.get('momentum', 0.1)))
        self.activate = build_act(act_cfg)

    def forward(self, x):
        x = self.bn(self.conv(x))
        return self.activate(x) if self.activate is not None else x


class DepthwiseSeparableConvModule(nn.Module):
    def __init__(self, cin, cout, k, stride=1, padding=0, norm_cfg=None, act_cfg=None):
        super().__init__()
        self.depthwise_conv = ConvModule(cin, cin, k, stride=stride, padding=padding, groups=cin, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.pointwise_conv = ConvModule(cin, cout, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)

    def forward(self, x):
        return self.pointwise_conv(self.depthwise_conv(x))


def make_conv(use_depthwise):
    return DepthwiseSeparableConvModule if use_depthwise else ConvModule


class DarknetBottleneck(nn.Module):
    def __init__(self, in_channels, out_channels, expansion=0.5, add_identity=True, use_depthwise=False, **cm):
        super().__init__()
        hidden_channels = int(out_channels * expansion)
        conv = make_conv(use_depthwise)
        self.conv1 = ConvModule(in_channels, hidden_channels, 1, **cm)
        self.conv2 = conv(hidden_channels, out_channels, 3, stride=1, padding=1, **cm)
        self.add_identity = add_identity and in_channels == out_channels

    def forward(self, x):
        identity = x
        out = self.conv1(x)
        out = self.conv2(out)
        if self.add_identity:
            return out + identity
        return out


class CSPLayer(nn.Module):
    def __init__(self, in_channels, out_channels, expand_ratio=0.5, num_blocks=1, add_identity=True, use_depthwise=False, **cm):
        super().__init__()
        mid_channels = int(out_channels * expand_ratio)
        self.main_conv = ConvModule(in_channels, mid_channels, 1, **cm)
        self.short_conv = ConvModule(in_channels, mid_channels, 1, **cm)
        self.final_conv = ConvModule(2 * mid_channels, out_channels, 1, **cm)
        self.blocks = nn.Sequential(*[
            DarknetBottleneck(mid_channels, mid_channels, 1.0, add_identity, use_depthwise, **cm) for _ in range(num_blocks)])

    def forward(self, x):
        x_short = self.short_conv(x)
        x_main = self.main_conv(x)
        x_main = self.blocks(x_main)
        x_final = torch.cat((x_main, x_short), dim=1)
        return self.final_conv(x_final)


class Focus(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size=1, stride=1, **cm):
        super().__init__()
        self.conv = ConvModule(in_channels * 4, out_channels, kernel_size, stride, padding=(kernel_size - 1) // 2, **cm)

    def forward(self, x):
        patch_top_left = x[..., ::2, ::2]
        patch_top_right = x[..., ::2, 1::2]
        patch_bot_left = x[..., 1::2, ::2]
        patch_bot_right = x[..., 1::2, 1::2]
        x = torch.cat((patch_top_left, patch_bot_left, patch_top_right, patch_bot_right), dim=1)
        return self.conv(x)


class SPPBottleneck(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_sizes=(5, 9, 13), **cm):
        super().__init__()
        mid_channels = in_channels // 2
        self.conv1 = ConvModule(in_channels, mid_channels, 1, stride=1, **cm)
        self.poolings = nn.ModuleList([nn.MaxPool2d(kernel_size=ks, stride=1, padding=ks // 2) for ks in kernel_sizes])
        conv2_channels = mid_channels * (len(kernel_sizes) + 1)
        self.conv2 = ConvModule(conv2_channels, out_channels, 1, **cm)

    def forward(self, x):
        x = self.conv1(x)
        x = torch.cat([x] + [pooling(x) for pooling in self.poolings], dim=1)
        return self.conv2(x)


class CSPDarknet(nn.Module):
    arch_settings = {
        'P5': [[64, 128, 3, True, False], [128, 256, 9, True, False], [256, 512, 9, True, False], [512, 1024, 3, False, True]],
        'P6': [[64, 128, 3, True, False], [128, 256, 9, True, False], [256, 512, 9, True, False], [512, 768, 3, True, False],
               [768, 1024, 3, False, True]]
    }

    def __init__(self, arch='P5', deepen_factor=1.0, widen_factor=1.0, out_indices=(2, 3, 4), frozen_stages=-1,
                 use_depthwise=False, arch_ovewrite=None, spp_kernal_sizes=(5, 9, 13),
                 norm_cfg=dict(type='BN', momentum=0.03, eps=0.001), act_cfg=dict(type='Swish'), norm_eval=False):
        super().__init__()
        arch_setting = self.arch_settings[arch]
        if arch_ovewrite:
            arch_setting = arch_ovewrite
        assert set(out_indices).issubset(i for i in range(len(arch_setting) + 1))
        if frozen_stages not in range(-1, len(arch_setting) + 1):
            raise ValueError('frozen_stages')
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        cm = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        conv = make_conv(use_depthwise)
        self.stem = Focus(3, int(arch_setting[0][0] * widen_factor), kernel_size=3, **cm)
        self.layers = ['stem']
        for i, (in_channels, out_channels, num_blocks, add_identity, use_spp) in enumerate(arch_setting):
            in_channels = int(in_channels * widen_factor)
            out_channels = int(out_channels * widen_factor)
            num_blocks = max(round(num_blocks * deepen_factor), 1)
            stage = [conv(in_channels, out_channels, 3, stride=2, padding=1, **cm)]
            if use_spp:
                stage.append(SPPBottleneck(out_channels, out_channels, kernel_sizes=spp_kernal_sizes, **cm))
            stage.append(CSPLayer(out_channels, out_channels, num_blocks=num_blocks, add_identity=add_identity,
                                  use_depthwise=use_depthwise, **cm))
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


class YOLOXPAFPN(nn.Module):
    def __init__(self, in_channels, out_channels, num_csp_blocks=3, use_depthwise=False,
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
                                                 add_identity=False, use_depthwise=use_depthwise, **cm))
        self.downsamples = nn.ModuleList()
        self.bottom_up_blocks = nn.ModuleList()
        for idx in range(len(in_channels) - 1):
            self.downsamples.append(conv(in_channels[idx], in_channels[idx], 3, stride=2, padding=1, **cm))
            self.bottom_up_blocks.append(CSPLayer(in_channels[idx] * 2, in_channels[idx + 1], num_blocks=num_csp_blocks,
                                                  add_identity=False, use_depthwise=use_depthwise, **cm))
        self.out_convs = nn.ModuleList()
        for i in range(len(in_channels)):
            self.out_convs.append(ConvModule(in_channels[i], out_channels, 1, **cm))

    def forward(self, inputs):
        assert len(inputs) == len(self.in_channels)
        inner_outs = [inputs[-1]]
        for idx in range(len(self.in_channels) - 1, 0, -1):
            feat_heigh = inner_outs[0]
            feat_low = inputs[idx - 1]
            feat_heigh = self.reduce_layers[len(self.in_channels) - 1 - idx](feat_heigh)
            inner_outs[0] = feat_heigh
            upsample_feat = self.upsample(feat_heigh)
            inner_out = self.top_down_blocks[len(self.in_channels) - 1 - idx](torch.cat([upsample_feat, feat_low], 1))
            inner_outs.insert(0, inner_out)
        outs = [inner_outs[0]]
        for idx in range(len(self.in_channels) - 1):
            feat_low = outs[-1]
            feat_height = inner_outs[idx + 1]
            downsample_feat = self.downsamples[idx](feat_low)
            out = self.bottom_up_blocks[idx](torch.cat([downsample_feat, feat_height], 1))
            outs.append(out)
        for idx, conv in enumerate(self.out_convs):
            outs[idx] = conv(outs[idx])
        return tuple(outs)


def hash_uniform(n, k):
    """n values in [-1, 1): an integer hash of (element j, entry k), exact in Python and Java alike."""
    j = torch.arange(n, dtype=torch.int64)
    mask = 0xffffffff
    h = (j * 0x9E3779B1 + (k + 1) * 0x85EBCA77) & mask
    h = h ^ (h >> 15)
    h = (h * 0x2C1B3C6D) & mask
    h = h ^ (h >> 12)
    h = (h * 0x297A2D39) & mask
    h = h ^ (h >> 15)
    return h.double() / 4294967296.0 * 2 - 1


def formula_weights(m):
    sd = m.state_dict()
    with torch.no_grad():
        for k, (name, t) in enumerate(sd.items()):
            v = hash_uniform(t.numel(), k).reshape(t.shape)
            if name.endswith('num_batches_tracked'):
                t.zero_()
            elif name.endswith('running_mean'):
                t.copy_((0.2 * v).float())
            elif name.endswith('running_var'):
                t.copy_((1 + 0.4 * v).float())
            elif name.endswith('.bias'):
                t.copy_((0.2 * v).float())
            elif t.dim() == 4:
                fan_in = t.shape[1] * t.shape[2] * t.shape[3]
                t.copy_((v * math.sqrt(6.0 / fan_in)).float())
            else:
                t.copy_((1 + 0.25 * v).float())


def formula_input(shape, i):
    n = 1
    for d in shape:
        n *= d
    return hash_uniform(n, 1000 + i).float().reshape(shape)


def seeds(outs):
    out = []
    for i, o in enumerate(outs):
        j = torch.arange(o.numel(), dtype=torch.float64)
        out.append(torch.cos(0.13 * j + 0.7 * i).float().reshape(o.shape))
    return out


def flops(m, inputs):
    """MMEngine's FlopAnalyzer handles hit by these modules, one image."""
    total = {'conv': 0, 'batch_norm': 0, 'upsample_nearest2d': 0}
    hooks = []
    for mod in m.modules():
        if isinstance(mod, nn.Conv2d):
            hooks.append(mod.register_forward_hook(
                lambda mod, i, o: total.__setitem__('conv', total['conv'] + mod.weight.numel() * o.shape[2] * o.shape[3])))
        elif isinstance(mod, nn.BatchNorm2d):
            hooks.append(mod.register_forward_hook(
                lambda mod, i, o: total.__setitem__('batch_norm', total['batch_norm'] + 2 * i[0].numel())))
        elif isinstance(mod, nn.Upsample):
            hooks.append(mod.register_forward_hook(
                lambda mod, i, o: total.__setitem__('upsample_nearest2d', total['upsample_nearest2d'] + o.numel())))
    m.eval()
    with torch.no_grad():
        m(inputs)
    for h in hooks:
        h.remove()
    return total


def f32(t):
    return [float(v) for v in t.detach().float().reshape(-1).tolist()]


def tensor_json(t):
    return {'shape': list(t.shape), 'values': f32(t)}


def forward_pass(module, inputs, kind, dtype, train):
    m = copy.deepcopy(module).to(dtype)
    m.train(train)
    xs = [x.detach().clone().to(dtype).requires_grad_(train) for x in inputs]
    if not train:
        with torch.no_grad():
            return m, xs, m(xs if kind == 'neck' else xs[0])
    outs = m(xs if kind == 'neck' else xs[0])
    torch.autograd.backward(list(outs), [s.to(dtype) for s in seeds(outs)])
    return m, xs, outs


def rel_err(a, b):
    a = torch.cat([t.detach().double().reshape(-1) for t in a])
    b = torch.cat([t.detach().double().reshape(-1) for t in b])
    return float((a - b).abs().max() / b.abs().max().clamp(min=1))


def sample(t, limit=4000):
    """Every stride-th element of a flattened gradient (stride = max(1, numel // limit))."""
    stride = max(1, t.numel() // limit)
    return stride, f32(t.reshape(-1)[::stride])


def run(name, module, cfg_yaml, shapes, grad_names, flops_inputs, out_dir, kind):
    formula_weights(module)
    inputs = [formula_input(s, i) for i, s in enumerate(shapes)]
    _, _, eval_outs = forward_pass(module, inputs, kind, torch.float32, False)
    _, _, eval64 = forward_pass(module, inputs, kind, torch.float64, False)
    m, xs, outs = forward_pass(module, inputs, kind, torch.float32, True)
    m64, xs64, _ = forward_pass(module, inputs, kind, torch.float64, True)
    params, params64 = dict(m.named_parameters()), dict(m64.named_parameters())
    got = [x.grad for x in xs] + [p.grad for p in params.values() if p.grad is not None]
    want = [x.grad for x in xs64] + [p.grad for p in params64.values() if p.grad is not None]
    grad_err = max(rel_err([a], [b]) for a, b in zip(got, want))
    no_grad = [k for k, p in params.items() if p.grad is None]
    stat_names = [k for k in m.state_dict() if k.endswith('running_mean') or k.endswith('running_var')]
    bn_stats = {k: f32(m.state_dict()[k]) for k in stat_names[:4] + stat_names[-2:]}
    grad_inputs = [sample(x.grad) for x in xs]
    case = dict(
        kind=kind,
        config=cfg_yaml,
        names=[[k, list(t.shape)] for k, t in module.state_dict().items()],
        param_count=sum(p.numel() for p in module.parameters()),
        input_shapes=[list(s) for s in shapes],
        eval_outputs=[tensor_json(o) for o in eval_outs],
        eval_tol=max(3e-5, 10 * rel_err(eval_outs, eval64)),
        grad_tol=max(1e-4, 10 * grad_err),
        grad_input_strides=[g[0] for g in grad_inputs],
        grad_inputs=[g[1] for g in grad_inputs],
        grads={k: f32(params[k].grad) for k in grad_names},
        no_grad=no_grad,
        running_stats_after_train_forward=bn_stats,
        flops_input_shapes=[list(x.shape) for x in flops_inputs],
        flops=flops(module, flops_inputs if kind == 'neck' else flops_inputs[0]),
        torch=torch.__version__,
    )
    with open(os.path.join(out_dir, name + '.json'), 'w') as fh:
        json.dump(case, fh)
    print(name, 'params', case['param_count'], 'outs', [list(o.shape) for o in eval_outs], 'flops', case['flops'],
          'eval_tol %.2g grad_tol %.2g' % (case['eval_tol'], case['grad_tol']))


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), '..', '..', 'src', 'test', 'resources', 'goldens', 'csp_darknet')
    os.makedirs(out_dir, exist_ok=True)
    # YOLOX-s's factors at 1/4 of its width, every layer returned, an input whose stages round up (70x50 -> 35x25
    # -> 18x13 -> 9x7 -> 5x4 -> 3x2: SPP's 5/9/13 windows are wider than the map)
    m = CSPDarknet(deepen_factor=0.33, widen_factor=0.125, out_indices=(0, 1, 2, 3, 4))
    run('p5_all_outs_70x50', m, dict(type='CSPDarknet', deepen_factor=0.33, widen_factor=0.125, out_indices=[0, 1, 2, 3, 4],
                                     use_depthwise=False, spp_kernal_sizes=[5, 9, 13],
                                     norm_cfg=dict(type='BN', momentum=0.03, eps=0.001), act_cfg=dict(type='Swish')),
        [(2, 3, 70, 50)], ['stem.conv.conv.weight', 'stem.conv.bn.weight', 'stage1.1.blocks.0.conv2.conv.weight',
                               'stage4.1.conv1.conv.weight', 'stage4.2.final_conv.bn.bias'],
        [torch.zeros(1, 3, 64, 64)], out_dir, 'backbone')

    # P6 with depthwise-separable convs, frozen stem + stage1 (eval BN, no gradients), out_indices 3..5
    m = CSPDarknet(arch='P6', deepen_factor=0.33, widen_factor=0.0625, out_indices=(3, 4, 5), use_depthwise=True,
                   frozen_stages=1)
    run('p6_depthwise_frozen1', m, dict(type='CSPDarknet', arch='P6', deepen_factor=0.33, widen_factor=0.0625,
                                        out_indices=[3, 4, 5], use_depthwise=True, frozen_stages=1),
        [(2, 3, 128, 96)], ['stage2.0.depthwise_conv.conv.weight', 'stage2.0.pointwise_conv.bn.weight',
                               'stage5.1.conv1.conv.weight', 'stage5.2.blocks.0.conv2.depthwise_conv.conv.weight'],
        [torch.zeros(1, 3, 64, 96)], out_dir, 'backbone')

    # arch_ovewrite with SPP in the middle, other SPP kernels, norm_eval, LeakyReLU, torch's BN defaults
    over = [[16, 24, 1, True, False], [24, 32, 2, False, True], [32, 40, 1, True, False]]
    m = CSPDarknet(arch_ovewrite=over, out_indices=(1, 2, 3), spp_kernal_sizes=(3, 7), norm_eval=True,
                   norm_cfg=dict(type='BN'), act_cfg=dict(type='LeakyReLU', negative_slope=0.1))
    run('overwrite_spp_norm_eval_leaky', m, dict(type='CSPDarknet', arch_ovewrite=over, out_indices=[1, 2, 3],
                                                 spp_kernal_sizes=[3, 7], norm_eval=True, norm_cfg=dict(type='BN'),
                                                 act_cfg=dict(type='LeakyReLU', negative_slope=0.1)),
        [(2, 3, 22, 18)], ['stem.conv.conv.weight', 'stage2.1.conv2.conv.weight', 'stage3.1.main_conv.bn.weight'],
        [torch.zeros(1, 3, 32, 32)], out_dir, 'backbone')

    # YOLOX-s's neck shape at 1/8 width: three levels
    n = YOLOXPAFPN([16, 32, 64], 16, num_csp_blocks=1)
    run('neck_three_levels', n, dict(type='YOLOXPAFPN', in_channels=[16, 32, 64], out_channels=16, num_csp_blocks=1),
        [(2, 16, 16, 12), (2, 32, 8, 6), (2, 64, 4, 3)],
        ['reduce_layers.0.conv.weight', 'top_down_blocks.1.blocks.0.conv2.conv.weight', 'downsamples.0.conv.weight',
         'bottom_up_blocks.1.final_conv.bn.weight', 'out_convs.2.conv.weight'],
        [torch.zeros(1, 16, 16, 12), torch.zeros(1, 32, 8, 6), torch.zeros(1, 64, 4, 3)], out_dir, 'neck')

    # four levels, depthwise, two blocks, ReLU
    n = YOLOXPAFPN([16, 16, 24, 32], 16, num_csp_blocks=1, use_depthwise=True, act_cfg=dict(type='ReLU'))
    run('neck_four_levels_depthwise_relu', n, dict(type='YOLOXPAFPN', in_channels=[16, 16, 24, 32], out_channels=16,
                                                   num_csp_blocks=1, use_depthwise=True, act_cfg=dict(type='ReLU')),
        [(2, 16, 32, 32), (2, 16, 16, 16), (2, 24, 8, 8), (2, 32, 4, 4)],
        ['downsamples.2.depthwise_conv.conv.weight', 'downsamples.2.pointwise_conv.bn.bias',
         'top_down_blocks.2.blocks.0.conv2.depthwise_conv.conv.weight', 'out_convs.0.conv.weight'],
        [torch.zeros(1, 16, 32, 32), torch.zeros(1, 16, 16, 16), torch.zeros(1, 24, 8, 8), torch.zeros(1, 32, 4, 4)],
        out_dir, 'neck')

    # the full YOLOX-s backbone and neck: names, shapes and parameter counts only
    nets = {}
    for key, mod in [('yolox_s_backbone', CSPDarknet(deepen_factor=0.33, widen_factor=0.5)),
                     ('yolox_s_neck', YOLOXPAFPN([128, 256, 512], 128, num_csp_blocks=1)),
                     ('yolox_l_backbone', CSPDarknet()),
                     ('p6_backbone', CSPDarknet(arch='P6', deepen_factor=0.33, widen_factor=0.5, out_indices=(2, 3, 4, 5)))]:
        fl = flops(mod, torch.zeros(1, 3, 640, 640)) if 'backbone' in key else flops(
            mod, (torch.zeros(1, 128, 80, 80), torch.zeros(1, 256, 40, 40), torch.zeros(1, 512, 20, 20)))
        nets[key] = dict(names=[[k, list(t.shape)] for k, t in mod.state_dict().items()],
                         param_count=sum(p.numel() for p in mod.parameters()), flops_640=fl)
        print(key, nets[key]['param_count'], fl)
    with open(os.path.join(out_dir, 'names.json'), 'w') as fh:
        json.dump({'torch': torch.__version__, 'networks': nets}, fh)


if __name__ == '__main__':
    main()
