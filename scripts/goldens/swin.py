#!/usr/bin/env python3
"""Goldens for MMDetection 3.3.0's Swin Transformer backbone (mmdet/models/backbones/swin.py).

MMDetection / MMCV / MMEngine are not installed next to torch 1.13 here, so this transcribes, line for line, onto plain
torch.nn modules with upstream's attribute names: mmdet/models/backbones/swin.py (WindowMSA, ShiftWindowMSA, SwinBlock,
SwinBlockSequence, SwinTransformer, swin_converter; read at open-mmlab/mmdetection 09269cfe), PatchEmbed /
AdaptivePadding / PatchMerging of mmdet/models/layers/transformer/utils.py (013e5419), MMCV 2.x's FFN
(mmcv/cnn/bricks/transformer.py: layers = Sequential(Sequential(Linear, act, Dropout), Linear, Dropout), identity +
dropout_layer(out)) and DropPath (mmcv/cnn/bricks/drop.py), build_norm_layer(LN) = nn.LayerNorm(C) (eps 1e-5).

Each case <case>.json: the backbone config (the engine's YAML keys), every state-dict entry (name, shape, values; the
int64 relative_position_index buffers as numbers), the input, the eval outputs, and a backward: loss = Σ_i Σ out_i ·
w_i with w_i given, gradients of the input and of every parameter (dropout and drop path are 0, so train and eval are
the same function; the e8_w3_abs_pos_embed case has upstream's use_abs_pos_embed: absolute_pos_embed [1, L, C] added to
the patch tokens as is). names.json: Swin-T (the retinanet_swin-t-p4-w7 backbone, out_indices (1, 2, 3)) state-dict names,
shapes, parameter count, MMEngine's FLOPs of a [1, 3, 224, 224] forward by module (conv: prod(weight) · out h · w;
linear (aten::linear): numel(input) · out_features; layer_norm: 5 · numel; q @ kᵀ and attn @ v (aten::matmul):
prod(shape of A) · last dim of B; softmax, GELU, roll, pad, additions: no handle), and the swin_converter mapping of
the official checkpoint's names for Swin-T.
Run: /usr/bin/python3 scripts/goldens/swin.py [OUT_DIR]
"""
import json
import os
import sys
from collections import OrderedDict

import numpy as np  # noqa: F401 (float32 reprs)
import torch
import torch.nn as nn
import torch.nn.functional as F


def to_2tuple(x):
    return x if isinstance(x, tuple) else (x, x)


class WindowMSA(nn.Module):
    def __init__(self, embed_dims, num_heads, window_size, qkv_bias=True, qk_scale=None):
        super().__init__()
        self.embed_dims = embed_dims
        self.window_size = window_size
        self.num_heads = num_heads
        head_embed_dims = embed_dims // num_heads
        self.scale = qk_scale or head_embed_dims ** -0.5
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * window_size[0] - 1) * (2 * window_size[1] - 1), num_heads))
        Wh, Ww = self.window_size
        rel_index_coords = self.double_step_seq(2 * Ww - 1, Wh, 1, Ww)
        rel_position_index = rel_index_coords + rel_index_coords.T
        rel_position_index = rel_position_index.flip(1).contiguous()
        self.register_buffer('relative_position_index', rel_position_index)
        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(0.)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(0.)
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x, mask=None):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        q = q * self.scale
        attn = (q @ k.transpose(-2, -1))
        relative_position_bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(
            self.window_size[0] * self.window_size[1], self.window_size[0] * self.window_size[1], -1)
        relative_position_bias = relative_position_bias.permute(2, 0, 1).contiguous()
        attn = attn + relative_position_bias.unsqueeze(0)
        if mask is not None:
            nW = mask.shape[0]
            attn = attn.view(B // nW, nW, self.num_heads, N, N) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.num_heads, N, N)
        attn = self.softmax(attn)
        attn = self.attn_drop(attn)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        x = self.proj(x)
        x = self.proj_drop(x)
        return x

    @staticmethod
    def double_step_seq(step1, len1, step2, len2):
        seq1 = torch.arange(0, step1 * len1, step1)
        seq2 = torch.arange(0, step2 * len2, step2)
        return (seq1[:, None] + seq2[None, :]).reshape(1, -1)


class ShiftWindowMSA(nn.Module):
    def __init__(self, embed_dims, num_heads, window_size, shift_size=0, qkv_bias=True, qk_scale=None):
        super().__init__()
        self.window_size = window_size
        self.shift_size = shift_size
        assert 0 <= self.shift_size < self.window_size
        self.w_msa = WindowMSA(embed_dims, num_heads, to_2tuple(window_size), qkv_bias, qk_scale)
        self.drop = nn.Identity()  # DropPath(0.)

    def forward(self, query, hw_shape):
        B, L, C = query.shape
        H, W = hw_shape
        assert L == H * W
        query = query.view(B, H, W, C)
        pad_r = (self.window_size - W % self.window_size) % self.window_size
        pad_b = (self.window_size - H % self.window_size) % self.window_size
        query = F.pad(query, (0, 0, 0, pad_r, 0, pad_b))
        H_pad, W_pad = query.shape[1], query.shape[2]
        if self.shift_size > 0:
            shifted_query = torch.roll(query, shifts=(-self.shift_size, -self.shift_size), dims=(1, 2))
            img_mask = torch.zeros((1, H_pad, W_pad, 1), device=query.device)
            h_slices = (slice(0, -self.window_size), slice(-self.window_size, -self.shift_size),
                        slice(-self.shift_size, None))
            w_slices = (slice(0, -self.window_size), slice(-self.window_size, -self.shift_size),
                        slice(-self.shift_size, None))
            cnt = 0
            for h in h_slices:
                for w in w_slices:
                    img_mask[:, h, w, :] = cnt
                    cnt += 1
            mask_windows = self.window_partition(img_mask)
            mask_windows = mask_windows.view(-1, self.window_size * self.window_size)
            attn_mask = mask_windows.unsqueeze(1) - mask_windows.unsqueeze(2)
            attn_mask = attn_mask.masked_fill(attn_mask != 0, float(-100.0)).masked_fill(attn_mask == 0, float(0.0))
        else:
            shifted_query = query
            attn_mask = None
        query_windows = self.window_partition(shifted_query)
        query_windows = query_windows.view(-1, self.window_size ** 2, C)
        attn_windows = self.w_msa(query_windows, mask=attn_mask)
        attn_windows = attn_windows.view(-1, self.window_size, self.window_size, C)
        shifted_x = self.window_reverse(attn_windows, H_pad, W_pad)
        if self.shift_size > 0:
            x = torch.roll(shifted_x, shifts=(self.shift_size, self.shift_size), dims=(1, 2))
        else:
            x = shifted_x
        if pad_r > 0 or pad_b:
            x = x[:, :H, :W, :].contiguous()
        x = x.view(B, H * W, C)
        x = self.drop(x)
        return x

    def window_reverse(self, windows, H, W):
        window_size = self.window_size
        B = int(windows.shape[0] / (H * W / window_size / window_size))
        x = windows.view(B, H // window_size, W // window_size, window_size, window_size, -1)
        x = x.permute(0, 1, 3, 2, 4, 5).contiguous().view(B, H, W, -1)
        return x

    def window_partition(self, x):
        B, H, W, C = x.shape
        window_size = self.window_size
        x = x.view(B, H // window_size, window_size, W // window_size, window_size, C)
        windows = x.permute(0, 1, 3, 2, 4, 5).contiguous()
        windows = windows.view(-1, window_size, window_size, C)
        return windows


class FFN(nn.Module):
    """MMCV's FFN with num_fcs=2, GELU, ffn_drop 0, DropPath(0), add_identity=True, no layer scale."""

    def __init__(self, embed_dims, feedforward_channels):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Sequential(nn.Linear(embed_dims, feedforward_channels), nn.GELU(), nn.Dropout(0.)),
            nn.Linear(feedforward_channels, embed_dims), nn.Dropout(0.))
        self.gamma2 = nn.Identity()
        self.dropout_layer = nn.Identity()

    def forward(self, x, identity=None):
        out = self.layers(x)
        out = self.gamma2(out)
        if identity is None:
            identity = x
        return identity + self.dropout_layer(out)


class SwinBlock(nn.Module):
    def __init__(self, embed_dims, num_heads, feedforward_channels, window_size=7, shift=False, qkv_bias=True,
                 qk_scale=None):
        super().__init__()
        self.norm1 = nn.LayerNorm(embed_dims)
        self.attn = ShiftWindowMSA(embed_dims, num_heads, window_size, window_size // 2 if shift else 0, qkv_bias,
                                   qk_scale)
        self.norm2 = nn.LayerNorm(embed_dims)
        self.ffn = FFN(embed_dims, feedforward_channels)

    def forward(self, x, hw_shape):
        identity = x
        x = self.norm1(x)
        x = self.attn(x, hw_shape)
        x = x + identity
        identity = x
        x = self.norm2(x)
        x = self.ffn(x, identity=identity)
        return x


class SwinBlockSequence(nn.Module):
    def __init__(self, embed_dims, num_heads, feedforward_channels, depth, window_size, qkv_bias, qk_scale, downsample):
        super().__init__()
        self.blocks = nn.ModuleList()
        for i in range(depth):
            self.blocks.append(SwinBlock(embed_dims, num_heads, feedforward_channels, window_size,
                                         False if i % 2 == 0 else True, qkv_bias, qk_scale))
        self.downsample = downsample

    def forward(self, x, hw_shape):
        for block in self.blocks:
            x = block(x, hw_shape)
        if self.downsample:
            x_down, down_hw_shape = self.downsample(x, hw_shape)
            return x_down, down_hw_shape, x, hw_shape
        return x, hw_shape, x, hw_shape


class AdaptivePadding(nn.Module):
    def __init__(self, kernel_size=1, stride=1, dilation=1):
        super().__init__()
        self.kernel_size = to_2tuple(kernel_size)
        self.stride = to_2tuple(stride)
        self.dilation = to_2tuple(dilation)

    def get_pad_shape(self, input_shape):
        import math
        input_h, input_w = input_shape
        kernel_h, kernel_w = self.kernel_size
        stride_h, stride_w = self.stride
        output_h = math.ceil(input_h / stride_h)
        output_w = math.ceil(input_w / stride_w)
        pad_h = max((output_h - 1) * stride_h + (kernel_h - 1) * self.dilation[0] + 1 - input_h, 0)
        pad_w = max((output_w - 1) * stride_w + (kernel_w - 1) * self.dilation[1] + 1 - input_w, 0)
        return pad_h, pad_w

    def forward(self, x):
        pad_h, pad_w = self.get_pad_shape(x.size()[-2:])
        if pad_h > 0 or pad_w > 0:
            x = F.pad(x, [0, pad_w, 0, pad_h])  # 'corner'
        return x


class PatchEmbed(nn.Module):
    def __init__(self, in_channels, embed_dims, kernel_size, stride, norm):
        super().__init__()
        self.adap_padding = AdaptivePadding(kernel_size, stride)
        self.projection = nn.Conv2d(in_channels, embed_dims, kernel_size, stride=stride, padding=0, bias=True)
        self.norm = nn.LayerNorm(embed_dims) if norm else None

    def forward(self, x):
        x = self.adap_padding(x)
        x = self.projection(x)
        out_size = (x.shape[2], x.shape[3])
        x = x.flatten(2).transpose(1, 2)
        if self.norm is not None:
            x = self.norm(x)
        return x, out_size


class PatchMerging(nn.Module):
    def __init__(self, in_channels, out_channels, stride, norm):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        kernel_size = 2
        stride = stride or kernel_size
        self.adap_padding = AdaptivePadding(kernel_size, stride)
        self.sampler = nn.Unfold(kernel_size=to_2tuple(kernel_size), dilation=(1, 1), padding=(0, 0),
                                 stride=to_2tuple(stride))
        sample_dim = kernel_size * kernel_size * in_channels
        self.norm = nn.LayerNorm(sample_dim) if norm else None
        self.reduction = nn.Linear(sample_dim, out_channels, bias=False)

    def forward(self, x, input_size):
        B, L, C = x.shape
        H, W = input_size
        assert L == H * W
        x = x.view(B, H, W, C).permute([0, 3, 1, 2])
        x = self.adap_padding(x)
        H, W = x.shape[-2:]
        x = self.sampler(x)
        s = self.sampler
        out_h = (H + 2 * s.padding[0] - s.dilation[0] * (s.kernel_size[0] - 1) - 1) // s.stride[0] + 1
        out_w = (W + 2 * s.padding[1] - s.dilation[1] * (s.kernel_size[1] - 1) - 1) // s.stride[1] + 1
        x = x.transpose(1, 2)
        x = self.norm(x) if self.norm else x
        x = self.reduction(x)
        return x, (out_h, out_w)


class SwinTransformer(nn.Module):
    def __init__(self, embed_dims=96, patch_size=4, window_size=7, mlp_ratio=4, depths=(2, 2, 6, 2),
                 num_heads=(3, 6, 12, 24), strides=(4, 2, 2, 2), out_indices=(0, 1, 2, 3), qkv_bias=True,
                 qk_scale=None, patch_norm=True, use_abs_pos_embed=False, pretrain_img_size=224):
        super().__init__()
        num_layers = len(depths)
        self.out_indices = out_indices
        self.use_abs_pos_embed = use_abs_pos_embed
        assert strides[0] == patch_size
        self.patch_embed = PatchEmbed(3, embed_dims, patch_size, strides[0], patch_norm)
        if use_abs_pos_embed:  # upstream: [1, (H0 // patch) * (W0 // patch), C], added as is (no interpolation)
            pretrain_img_size = to_2tuple(pretrain_img_size)
            num_patches = (pretrain_img_size[0] // patch_size) * (pretrain_img_size[1] // patch_size)
            self.absolute_pos_embed = nn.Parameter(torch.zeros((1, num_patches, embed_dims)))
        self.drop_after_pos = nn.Dropout(p=0.)
        self.stages = nn.ModuleList()
        in_channels = embed_dims
        for i in range(num_layers):
            downsample = PatchMerging(in_channels, 2 * in_channels, strides[i + 1], patch_norm) \
                if i < num_layers - 1 else None
            stage = SwinBlockSequence(in_channels, num_heads[i], mlp_ratio * in_channels, depths[i], window_size,
                                      qkv_bias, qk_scale, downsample)
            self.stages.append(stage)
            if downsample:
                in_channels = downsample.out_channels
        self.num_features = [int(embed_dims * 2 ** i) for i in range(num_layers)]
        for i in out_indices:
            self.add_module(f'norm{i}', nn.LayerNorm(self.num_features[i]))

    def forward(self, x):
        x, hw_shape = self.patch_embed(x)
        if self.use_abs_pos_embed:
            x = x + self.absolute_pos_embed
        x = self.drop_after_pos(x)
        outs = []
        for i, stage in enumerate(self.stages):
            x, hw_shape, out, out_hw_shape = stage(x, hw_shape)
            if i in self.out_indices:
                norm_layer = getattr(self, f'norm{i}')
                out = norm_layer(out)
                out = out.view(-1, *out_hw_shape, self.num_features[i]).permute(0, 3, 1, 2).contiguous()
                outs.append(out)
        return outs


def swin_converter(ckpt):
    new_ckpt = OrderedDict()

    def correct_unfold_reduction_order(x):
        out_channel, in_channel = x.shape
        x = x.reshape(out_channel, 4, in_channel // 4)
        x = x[:, [0, 2, 1, 3], :].transpose(1, 2).reshape(out_channel, in_channel)
        return x

    def correct_unfold_norm_order(x):
        in_channel = x.shape[0]
        x = x.reshape(4, in_channel // 4)
        x = x[[0, 2, 1, 3], :].transpose(0, 1).reshape(in_channel)
        return x

    for k, v in ckpt.items():
        if k.startswith('head'):
            continue
        elif k.startswith('layers'):
            new_v = v
            if 'attn.' in k:
                new_k = k.replace('attn.', 'attn.w_msa.')
            elif 'mlp.' in k:
                if 'mlp.fc1.' in k:
                    new_k = k.replace('mlp.fc1.', 'ffn.layers.0.0.')
                elif 'mlp.fc2.' in k:
                    new_k = k.replace('mlp.fc2.', 'ffn.layers.1.')
                else:
                    new_k = k.replace('mlp.', 'ffn.')
            elif 'downsample' in k:
                new_k = k
                if 'reduction.' in k:
                    new_v = correct_unfold_reduction_order(v)
                elif 'norm.' in k:
                    new_v = correct_unfold_norm_order(v)
            else:
                new_k = k
            new_k = new_k.replace('layers', 'stages', 1)
        elif k.startswith('patch_embed'):
            new_v = v
            if 'proj' in k:
                new_k = k.replace('proj', 'projection')
            else:
                new_k = k
        else:
            new_v = v
            new_k = k
        new_ckpt['backbone.' + new_k] = new_v
    return new_ckpt


def official_names(depths, embed_dims, num_heads, window_size, mlp_ratio=4, num_classes=5):
    """The key names and shapes of microsoft/Swin-Transformer's SwinTransformer state dict (models/swin_transformer.py:
    patch_embed.proj / .norm, layers.i.blocks.j.{norm1, attn.{relative_position_bias_table, relative_position_index,
    qkv, proj}, norm2, mlp.fc1, mlp.fc2}, layers.i.downsample.{reduction, norm}, norm, head) with small random values,
    the input of swin_converter."""
    sd = OrderedDict()
    g = torch.Generator().manual_seed(7)

    def r(*s):
        return torch.randn(*s, generator=g)

    sd['patch_embed.proj.weight'] = r(embed_dims, 3, 4, 4)
    sd['patch_embed.proj.bias'] = r(embed_dims)
    sd['patch_embed.norm.weight'] = r(embed_dims)
    sd['patch_embed.norm.bias'] = r(embed_dims)
    c = embed_dims
    for i, d in enumerate(depths):
        for j in range(d):
            p = f'layers.{i}.blocks.{j}.'
            sd[p + 'norm1.weight'] = r(c)
            sd[p + 'norm1.bias'] = r(c)
            sd[p + 'attn.relative_position_bias_table'] = r((2 * window_size - 1) ** 2, num_heads[i])
            sd[p + 'attn.relative_position_index'] = WindowMSA(c, num_heads[i], (window_size, window_size)) \
                .relative_position_index.clone()
            sd[p + 'attn.qkv.weight'] = r(3 * c, c)
            sd[p + 'attn.qkv.bias'] = r(3 * c)
            sd[p + 'attn.proj.weight'] = r(c, c)
            sd[p + 'attn.proj.bias'] = r(c)
            sd[p + 'norm2.weight'] = r(c)
            sd[p + 'norm2.bias'] = r(c)
            sd[p + 'mlp.fc1.weight'] = r(mlp_ratio * c, c)
            sd[p + 'mlp.fc1.bias'] = r(mlp_ratio * c)
            sd[p + 'mlp.fc2.weight'] = r(c, mlp_ratio * c)
            sd[p + 'mlp.fc2.bias'] = r(c)
            if j == 0 and i > 0:
                pass
        if i < len(depths) - 1:
            sd[f'layers.{i}.downsample.reduction.weight'] = r(2 * c, 4 * c)
            sd[f'layers.{i}.downsample.norm.weight'] = r(4 * c)
            sd[f'layers.{i}.downsample.norm.bias'] = r(4 * c)
            c *= 2
    sd['norm.weight'] = r(c)
    sd['norm.bias'] = r(c)
    sd['head.weight'] = r(num_classes, c)
    sd['head.bias'] = r(num_classes)
    return sd


def flops(m, shape):
    """MMEngine's FlopAnalyzer counts (see the module docstring) by top-level child and in total."""
    counts = {}

    def add(name, n):
        top = name.split(".")[0]
        counts[top] = counts.get(top, 0) + n
        counts[""] = counts.get("", 0) + n

    def hook(name):
        def fn(mod, inp, out):
            if isinstance(mod, nn.Conv2d):
                add(name, mod.weight.numel() * out.shape[2] * out.shape[3])
            elif isinstance(mod, nn.Linear):
                add(name, inp[0].numel() * mod.out_features)
            elif isinstance(mod, nn.LayerNorm):
                add(name, 5 * inp[0].numel())
            elif isinstance(mod, WindowMSA):
                B, N, C = inp[0].shape
                d = C // mod.num_heads
                add(name, 2 * B * mod.num_heads * N * N * d)  # q @ kᵀ and attn @ v
        return fn

    handles = [mod.register_forward_hook(hook(name)) for name, mod in m.named_modules() if name]
    m.eval()
    with torch.no_grad():
        m(torch.zeros(1, 3, *shape))
    for h in handles:
        h.remove()
    return counts


CASES = [  # name, backbone kwargs, input shape
    ("e8_w3_odd", dict(embed_dims=8, depths=(2, 2), num_heads=(1, 2), window_size=3, out_indices=(0, 1)),
     (1, 3, 29, 35)),
    ("e12_w5_three_stages", dict(embed_dims=12, depths=(2, 2, 2), num_heads=(2, 3, 4), window_size=5,
                                 out_indices=(1, 2)), (2, 3, 37, 41)),
    ("e16_w7_qk_scale_no_patch_norm", dict(embed_dims=16, depths=(2, 2), num_heads=(2, 4), window_size=7,
                                           out_indices=(0, 1), qk_scale=0.3, patch_norm=False, mlp_ratio=2),
     (1, 3, 61, 50)),
    ("e8_w4_no_qkv_bias_even", dict(embed_dims=8, depths=(1, 3), num_heads=(2, 2), window_size=4, out_indices=(1,),
                                    qkv_bias=False), (1, 3, 64, 48)),
    # use_abs_pos_embed: pretrain_img_size 36 x 44 -> 9 x 11 patches, the patch grid of a corner-padded 33 x 41 input
    ("e8_w3_abs_pos_embed", dict(embed_dims=8, depths=(2, 2), num_heads=(1, 2), window_size=3, out_indices=(0, 1),
                                 use_abs_pos_embed=True, pretrain_img_size=(36, 44)), (2, 3, 33, 41)),
]


def randomize(m, g):
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith('relative_position_bias_table'):
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
            elif 'norm' in name and name.endswith('weight'):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith('bias'):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) / fan_in ** 0.5)


def cfg_of(kw):
    cfg = dict(type="SwinTransformer")
    for k, v in kw.items():
        cfg[k] = list(v) if isinstance(v, tuple) else v
    return cfg


def vals(t):
    """float32 values in their shortest round-trip form (the JSON stays small; parsing gives the same float32)."""
    return [float(str(v)) for v in t.detach().reshape(-1).float().numpy()]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                                  "../../src/test/resources/goldens/swin")
    os.makedirs(out_dir, exist_ok=True)
    g = torch.Generator().manual_seed(20261127)
    for name, kw, shape in CASES:
        m = SwinTransformer(**kw)
        randomize(m, g)
        m.eval()
        x = (torch.rand(shape, generator=g) * 2 - 1).requires_grad_(True)
        outs = m(x)
        ws = [torch.randn(o.shape, generator=g) for o in outs]
        loss = sum((o * w).sum() for o, w in zip(outs, ws))
        loss.backward()
        case = {"name": name, "torch": torch.__version__, "backbone": cfg_of(kw), "input_shape": list(shape),
                "input": vals(x.detach()),
                "state_dict": [{"name": k, "shape": list(t.shape), "values": vals(t.float())}
                               for k, t in m.state_dict().items()],
                "outputs": [{"shape": list(o.shape), "values": vals(o.detach())} for o in outs],
                "loss_weights": [vals(w) for w in ws], "loss": float(loss),
                "input_grad": vals(x.grad),
                "grads": [{"name": k, "values": vals(p.grad)} for k, p in m.named_parameters()]}
        with open(os.path.join(out_dir, name + ".json"), "w") as fh:
            json.dump(case, fh)
        print(name, "outs", [list(o.shape) for o in outs], "loss", float(loss))
    # Swin-T as in configs/swin/retinanet_swin-t-p4-w7_fpn_1x_coco.py
    m = SwinTransformer(embed_dims=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24), window_size=7,
                        out_indices=(1, 2, 3))
    fl = flops(m, (224, 224))
    fl_odd = flops(m, (230, 300))
    off = official_names((2, 2, 6, 2), 96, (3, 6, 12, 24), 7)
    small = official_names((1, 2), 8, (1, 2), 3)
    conv = swin_converter(small)
    nets = {"torch": torch.__version__,
            "swin_t": {"backbone": cfg_of(dict(embed_dims=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24),
                                               window_size=7, out_indices=(1, 2, 3))),
                       "parameters": sum(t.numel() for t in m.parameters()),
                       "state_dict": [{"name": k, "shape": list(t.shape)} for k, t in m.state_dict().items()],
                       "flops_input": [224, 224], "flops": fl, "flops_input_odd": [230, 300], "flops_odd": fl_odd,
                       "official_names": [{"name": k, "shape": list(t.shape)} for k, t in off.items()],
                       "converted_names": list(swin_converter(off).keys())},
            "converter_case": {"backbone": cfg_of(dict(embed_dims=8, depths=(1, 2), num_heads=(1, 2), window_size=3,
                                                       out_indices=(0, 1))),
                               "official": [{"name": k, "shape": list(t.shape), "values": vals(t.float())}
                                            for k, t in small.items()],
                               "converted": [{"name": k, "shape": list(t.shape), "values": vals(t.float())}
                                             for k, t in conv.items()]}}
    # the converted checkpoint must load into the transcription (strict apart from the unused final norm)
    tiny = SwinTransformer(embed_dims=8, depths=(1, 2), num_heads=(1, 2), window_size=3, out_indices=(0, 1))
    sd = {k[len('backbone.'):]: v for k, v in conv.items()}
    missing, unexpected = tiny.load_state_dict(sd, strict=False)
    print("converter: missing", missing, "unexpected", unexpected)
    nets["converter_case"]["missing"] = list(missing)
    nets["converter_case"]["unexpected"] = list(unexpected)
    with open(os.path.join(out_dir, "names.json"), "w") as fh:
        json.dump(nets, fh)
    print("swin_t parameters", nets["swin_t"]["parameters"], "flops", fl[""], "odd", fl_odd[""])


if __name__ == "__main__":
    main()
