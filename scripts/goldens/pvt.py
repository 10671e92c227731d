#!/usr/bin/env python3
"""Goldens for MMDetection 3.3.0's Pyramid Vision Transformer backbones (mmdet/models/backbones/pvt.py).

MMDetection / MMCV / MMEngine are not installed next to torch 1.13 here, so this transcribes, line for line, onto plain
torch.nn modules with upstream's attribute names: mmdet/models/backbones/pvt.py (MixFFN, SpatialReductionAttention,
PVTEncoderLayer, AbsolutePositionEmbedding, PyramidVisionTransformer, PyramidVisionTransformerV2; read at
open-mmlab/mmdetection be174ab4 / 0c515928, the same module code as v3.3.0 apart from the registry and logger
imports), pvt_convert (mmdet/models/layers/transformer/utils.py in 3.x), PatchEmbed of
mmdet/models/layers/transformer/utils.py with an int padding (no AdaptivePadding: a plain Conv2d(kernel, stride,
padding) then flatten(2).transpose(1, 2) and the norm), nlc_to_nchw / nchw_to_nlc, MMCV 2.x's MultiheadAttention
(mmcv/cnn/bricks/transformer.py: self.attn = nn.MultiheadAttention(embed_dims, num_heads, attn_drop, bias=qkv_bias),
batch_first handled by transposes) and build_norm_layer(dict(type='LN', eps=1e-6)) = nn.LayerNorm(C, eps=1e-6).
Dropout and drop path are 0 in the cases, so they are identities here.

Each case <case>.json: the backbone config (the engine's YAML keys), every state-dict entry (name, shape, values), the
input, the eval outputs, and a backward: loss = sum_i sum out_i * w_i with w_i given, gradients of the input and of
every parameter. The v1 cases resize the position embeddings (F.interpolate bilinear, align_corners=False: up, down,
mixed, and the identity at the pretrain grid); the v2 cases use the overlapping patch embed (7/4/3, 3/2/1), the
depth-wise conv of MixFFN and odd input sizes. names.json: PVT-Tiny and PVTv2-B0 (the retinanet_pvt-t /
retinanet_pvtv2-b0 backbones) state-dict names, shapes, parameter counts, MMEngine's FLOPs by module prefix at 224^2
and at an odd size, and pvt_convert of small random "official" checkpoints of both versions.
bilinear_weights.json: torch's exact bilinear weights (align_corners=False) as matrices [out, in], read off
F.interpolate of one-hot inputs, for several (in, out) pairs.
Run: /usr/bin/python3 scripts/goldens/pvt.py [OUT_DIR]
"""
import json
import math
import os
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def to_2tuple(x):
    return x if isinstance(x, (tuple, list, np.ndarray)) else (x, x)


def nlc_to_nchw(x, hw_shape):
    H, W = hw_shape
    B, L, C = x.shape
    assert L == H * W
    return x.transpose(1, 2).reshape(B, C, H, W).contiguous()


def nchw_to_nlc(x):
    return x.flatten(2).transpose(1, 2).contiguous()


class PatchEmbed(nn.Module):
    """mmdet's PatchEmbed with an int padding: no AdaptivePadding."""

    def __init__(self, in_channels, embed_dims, kernel_size, stride, padding, eps):
        super().__init__()
        self.projection = nn.Conv2d(in_channels, embed_dims, kernel_size, stride, padding, bias=True)
        self.norm = nn.LayerNorm(embed_dims, eps=eps)

    def forward(self, x):
        x = self.projection(x)
        out_size = (x.shape[2], x.shape[3])
        x = x.flatten(2).transpose(1, 2)
        x = self.norm(x)
        return x, out_size


class MixFFN(nn.Module):
    def __init__(self, embed_dims, feedforward_channels, use_conv):
        super().__init__()
        fc1 = nn.Conv2d(embed_dims, feedforward_channels, 1, 1, bias=True)
        if use_conv:
            dw_conv = nn.Conv2d(feedforward_channels, feedforward_channels, 3, 1, 1, bias=True,
                                groups=feedforward_channels)
        fc2 = nn.Conv2d(feedforward_channels, embed_dims, 1, 1, bias=True)
        drop = nn.Dropout(0.)
        layers = [fc1, nn.GELU(), drop, fc2, drop]
        if use_conv:
            layers.insert(1, dw_conv)
        self.layers = nn.Sequential(*layers)
        self.dropout_layer = nn.Identity()  # DropPath(0.)

    def forward(self, x, hw_shape, identity=None):
        out = nlc_to_nchw(x, hw_shape)
        out = self.layers(out)
        out = nchw_to_nlc(out)
        if identity is None:
            identity = x
        return identity + self.dropout_layer(out)


class SpatialReductionAttention(nn.Module):
    """mmcv's MultiheadAttention(batch_first=True) + upstream's spatial reduction."""

    def __init__(self, embed_dims, num_heads, qkv_bias, sr_ratio, eps):
        super().__init__()
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.batch_first = True
        self.attn = nn.MultiheadAttention(embed_dims, num_heads, 0., bias=qkv_bias)
        self.proj_drop = nn.Dropout(0.)
        self.dropout_layer = nn.Identity()
        self.sr_ratio = sr_ratio
        if sr_ratio > 1:
            self.sr = nn.Conv2d(embed_dims, embed_dims, kernel_size=sr_ratio, stride=sr_ratio)
            self.norm = nn.LayerNorm(embed_dims, eps=eps)

    def forward(self, x, hw_shape, identity=None):
        x_q = x
        if self.sr_ratio > 1:
            x_kv = nlc_to_nchw(x, hw_shape)
            x_kv = self.sr(x_kv)
            x_kv = nchw_to_nlc(x_kv)
            x_kv = self.norm(x_kv)
        else:
            x_kv = x
        if identity is None:
            identity = x_q
        x_q = x_q.transpose(0, 1)
        x_kv = x_kv.transpose(0, 1)
        out = self.attn(query=x_q, key=x_kv, value=x_kv)[0]
        out = out.transpose(0, 1)
        return identity + self.dropout_layer(self.proj_drop(out))


class PVTEncoderLayer(nn.Module):
    def __init__(self, embed_dims, num_heads, feedforward_channels, qkv_bias, sr_ratio, use_conv_ffn, eps):
        super().__init__()
        self.norm1 = nn.LayerNorm(embed_dims, eps=eps)
        self.attn = SpatialReductionAttention(embed_dims, num_heads, qkv_bias, sr_ratio, eps)
        self.norm2 = nn.LayerNorm(embed_dims, eps=eps)
        self.ffn = MixFFN(embed_dims, feedforward_channels, use_conv_ffn)

    def forward(self, x, hw_shape):
        x = self.attn(self.norm1(x), hw_shape, identity=x)
        x = self.ffn(self.norm2(x), hw_shape, identity=x)
        return x


class AbsolutePositionEmbedding(nn.Module):
    def __init__(self, pos_shape, pos_dim):
        super().__init__()
        pos_shape = to_2tuple(pos_shape)
        self.pos_shape = pos_shape
        self.pos_dim = pos_dim
        self.pos_embed = nn.Parameter(torch.zeros(1, int(pos_shape[0] * pos_shape[1]), pos_dim))
        self.drop = nn.Dropout(p=0.)

    def resize_pos_embed(self, pos_embed, input_shape, mode='bilinear'):
        assert pos_embed.ndim == 3
        pos_h, pos_w = self.pos_shape
        pos_embed_weight = pos_embed[:, (-1 * pos_h * pos_w):]
        pos_embed_weight = pos_embed_weight.reshape(1, pos_h, pos_w, self.pos_dim).permute(0, 3, 1, 2).contiguous()
        pos_embed_weight = F.interpolate(pos_embed_weight, size=input_shape, mode=mode)
        pos_embed_weight = torch.flatten(pos_embed_weight, 2).transpose(1, 2).contiguous()
        return pos_embed_weight

    def forward(self, x, hw_shape, mode='bilinear'):
        pos_embed = self.resize_pos_embed(self.pos_embed, hw_shape, mode)
        return self.drop(x + pos_embed)


class PyramidVisionTransformer(nn.Module):
    def __init__(self, pretrain_img_size=224, in_channels=3, embed_dims=64, num_stages=4, num_layers=(3, 4, 6, 3),
                 num_heads=(1, 2, 5, 8), patch_sizes=(4, 2, 2, 2), strides=(4, 2, 2, 2), paddings=(0, 0, 0, 0),
                 sr_ratios=(8, 4, 2, 1), out_indices=(0, 1, 2, 3), mlp_ratios=(8, 8, 4, 4), qkv_bias=True,
                 use_abs_pos_embed=True, norm_after_stage=False, use_conv_ffn=False, eps=1e-6):
        super().__init__()
        pretrain_img_size = to_2tuple(pretrain_img_size)
        self.out_indices = out_indices
        self.layers = nn.ModuleList()
        for i, num_layer in enumerate(num_layers):
            embed_dims_i = embed_dims * num_heads[i]
            patch_embed = PatchEmbed(in_channels, embed_dims_i, patch_sizes[i], strides[i], paddings[i], eps)
            layers = nn.ModuleList()
            if use_abs_pos_embed:
                pos_shape = np.asarray(pretrain_img_size) // np.prod(patch_sizes[:i + 1])
                layers.append(AbsolutePositionEmbedding(pos_shape=(int(pos_shape[0]), int(pos_shape[1])),
                                                        pos_dim=embed_dims_i))
            layers.extend([PVTEncoderLayer(embed_dims_i, num_heads[i], mlp_ratios[i] * embed_dims_i, qkv_bias,
                                           sr_ratios[i], use_conv_ffn, eps) for _ in range(num_layer)])
            in_channels = embed_dims_i
            norm = nn.LayerNorm(embed_dims_i, eps=eps) if norm_after_stage else nn.Identity()
            self.layers.append(nn.ModuleList([patch_embed, layers, norm]))

    def forward(self, x):
        outs = []
        for i, layer in enumerate(self.layers):
            x, hw_shape = layer[0](x)
            for block in layer[1]:
                x = block(x, hw_shape)
            x = layer[2](x)
            x = nlc_to_nchw(x, hw_shape)
            if i in self.out_indices:
                outs.append(x)
        return outs


def PyramidVisionTransformerV2(**kwargs):
    return PyramidVisionTransformer(patch_sizes=[7, 3, 3, 3], paddings=[3, 1, 1, 1], use_abs_pos_embed=False,
                                    norm_after_stage=True, use_conv_ffn=True, **kwargs)


def pvt_convert(ckpt):
    new_ckpt = OrderedDict()
    use_abs_pos_embed = False
    use_conv_ffn = False
    for k in ckpt.keys():
        if k.startswith('pos_embed'):
            use_abs_pos_embed = True
        if k.find('dwconv') >= 0:
            use_conv_ffn = True
    for k, v in ckpt.items():
        if k.startswith('head'):
            continue
        if k.startswith('norm.'):
            continue
        if k.startswith('cls_token'):
            continue
        if k.startswith('pos_embed'):
            stage_i = int(k.replace('pos_embed', ''))
            new_k = k.replace(f'pos_embed{stage_i}', f'layers.{stage_i - 1}.1.0.pos_embed')
            if stage_i == 4 and v.size(1) == 50:  # 1 (cls token) + 7 * 7
                new_v = v[:, 1:, :]  # remove cls token
            else:
                new_v = v
        elif k.startswith('patch_embed'):
            stage_i = int(k.split('.')[0].replace('patch_embed', ''))
            new_k = k.replace(f'patch_embed{stage_i}', f'layers.{stage_i - 1}.0')
            new_v = v
            if 'proj.' in new_k:
                new_k = new_k.replace('proj.', 'projection.')
        elif k.startswith('block'):
            stage_i = int(k.split('.')[0].replace('block', ''))
            layer_i = int(k.split('.')[1])
            new_layer_i = layer_i + use_abs_pos_embed
            new_k = k.replace(f'block{stage_i}.{layer_i}', f'layers.{stage_i - 1}.1.{new_layer_i}')
            new_v = v
            if 'attn.q.' in new_k:
                sub_item_k = k.replace('q.', 'kv.')
                new_k = new_k.replace('q.', 'attn.in_proj_')
                new_v = torch.cat([v, ckpt[sub_item_k]], dim=0)
            elif 'attn.kv.' in new_k:
                continue
            elif 'attn.proj.' in new_k:
                new_k = new_k.replace('proj.', 'attn.out_proj.')
            elif 'attn.sr.' in new_k:
                new_k = new_k.replace('sr.', 'sr.')
            elif 'mlp.' in new_k:
                new_k = new_k.replace('mlp.', 'ffn.layers.')
                if 'fc1.weight' in new_k or 'fc2.weight' in new_k:
                    new_v = v.reshape((*v.shape, 1, 1))
                new_k = new_k.replace('fc1.', '0.')
                new_k = new_k.replace('dwconv.dwconv.', '1.')
                if use_conv_ffn:
                    new_k = new_k.replace('fc2.', '4.')
                else:
                    new_k = new_k.replace('fc2.', '3.')
        elif k.startswith('norm'):
            stage_i = int(k[4])
            new_k = k.replace(f'norm{stage_i}', f'layers.{stage_i - 1}.2')
            new_v = v
        else:
            new_k = k
            new_v = v
        new_ckpt[new_k] = new_v
    return new_ckpt


def official(v2, embed_dims, num_layers, num_heads, mlp_ratios, sr_ratios, patch_sizes, pretrain=224, g=None,
             num_classes=5):
    """A random checkpoint with the names and shapes of whai362/PVT's classification models (pvt.py / pvt_v2.py)."""
    ck = OrderedDict()

    def r(*s):
        return torch.randn(*s, generator=g)

    in_c = 3
    grid = pretrain
    for i in range(len(num_layers)):
        s = i + 1
        c = embed_dims * num_heads[i]
        k = patch_sizes[i]
        ck[f'patch_embed{s}.proj.weight'] = r(c, in_c, k, k)
        ck[f'patch_embed{s}.proj.bias'] = r(c)
        ck[f'patch_embed{s}.norm.weight'] = r(c)
        ck[f'patch_embed{s}.norm.bias'] = r(c)
        if not v2:
            grid //= k
            ck[f'pos_embed{s}'] = r(1, grid * grid + (1 if s == 4 else 0), c)
        hidden = mlp_ratios[i] * c
        for j in range(num_layers[i]):
            p = f'block{s}.{j}.'
            ck[p + 'norm1.weight'] = r(c)
            ck[p + 'norm1.bias'] = r(c)
            ck[p + 'attn.q.weight'] = r(c, c)
            ck[p + 'attn.q.bias'] = r(c)
            ck[p + 'attn.kv.weight'] = r(2 * c, c)
            ck[p + 'attn.kv.bias'] = r(2 * c)
            ck[p + 'attn.proj.weight'] = r(c, c)
            ck[p + 'attn.proj.bias'] = r(c)
            if sr_ratios[i] > 1:
                ck[p + 'attn.sr.weight'] = r(c, c, sr_ratios[i], sr_ratios[i])
                ck[p + 'attn.sr.bias'] = r(c)
                ck[p + 'attn.norm.weight'] = r(c)
                ck[p + 'attn.norm.bias'] = r(c)
            ck[p + 'norm2.weight'] = r(c)
            ck[p + 'norm2.bias'] = r(c)
            ck[p + 'mlp.fc1.weight'] = r(hidden, c)
            ck[p + 'mlp.fc1.bias'] = r(hidden)
            if v2:
                ck[p + 'mlp.dwconv.dwconv.weight'] = r(hidden, 1, 3, 3)
                ck[p + 'mlp.dwconv.dwconv.bias'] = r(hidden)
            ck[p + 'mlp.fc2.weight'] = r(c, hidden)
            ck[p + 'mlp.fc2.bias'] = r(c)
        if v2:
            ck[f'norm{s}.weight'] = r(c)
            ck[f'norm{s}.bias'] = r(c)
        in_c = c
    c = embed_dims * num_heads[-1]
    if not v2:
        ck['norm.weight'] = r(c)
        ck['norm.bias'] = r(c)
        ck['cls_token'] = r(1, 1, c)
    ck['head.weight'] = r(num_classes, c)
    ck['head.bias'] = r(num_classes)
    return ck


def flops(m, shape):
    """MMEngine's FlopAnalyzer counts by module-name prefix (up to 4 parts) and in total: conv (prod(weight) * out h *
    w), layer_norm (5 * numel), nn.MultiheadAttention (in-projection linear: numel(input) * out_features for q and for
    kv; the two bmm: batch * n * d * m each; out_proj linear; all owned by the MultiheadAttention module, since it calls
    them functionally), upsample_bilinear2d of the position embedding (4 per output element; called even at the
    pretrain grid). GELU, softmax, the divide by sqrt(d), transposes and additions have no handle."""
    counts = {}

    def add(name, n):
        parts = name.split(".")
        counts[""] = counts.get("", 0) + n
        for j in range(1, min(len(parts), 4) + 1):
            key = ".".join(parts[:j])
            counts[key] = counts.get(key, 0) + n

    def hook(name):
        def fn(mod, inp, out):
            if isinstance(mod, nn.Conv2d):
                add(name, mod.weight.numel() * out.shape[2] * out.shape[3])
            elif isinstance(mod, nn.LayerNorm):
                add(name, 5 * inp[0].numel())
            elif isinstance(mod, SpatialReductionAttention):  # its nn.MultiheadAttention is called with keywords
                b, n, c = inp[0].shape
                h, w = inp[1]
                mm = n if mod.sr_ratio == 1 else (h // mod.sr_ratio) * (w // mod.sr_ratio)
                d = c // mod.num_heads
                owner = name + ".attn"
                add(owner, n * b * c * c + mm * b * c * 2 * c)  # in-projection: q, then kv
                add(owner, 2 * b * mod.num_heads * n * d * mm)  # q @ k^T and attn @ v
                add(owner, n * b * c * c)  # out_proj
            elif isinstance(mod, AbsolutePositionEmbedding):
                add(name, 4 * inp[0].numel())  # the interpolated embedding has x's size
        return fn

    handles = [mod.register_forward_hook(hook(name)) for name, mod in m.named_modules() if name]
    m.eval()
    with torch.no_grad():
        m(torch.zeros(1, 3, *shape))
    for h in handles:
        h.remove()
    return counts


CASES = [  # name, v2, backbone kwargs, input shape
    ("v1_e4_up_odd", False, dict(pretrain_img_size=32, embed_dims=4, num_layers=[1, 2, 1], num_heads=[1, 2, 2],
                                 patch_sizes=[4, 2, 2], strides=[4, 2, 2], paddings=[0, 0, 0], sr_ratios=[4, 2, 1],
                                 mlp_ratios=[2, 2, 3], out_indices=[0, 1, 2]), (1, 3, 45, 53)),
    ("v1_e4_pretrain_grid_norm_no_qkv_bias", False,
     dict(pretrain_img_size=64, embed_dims=4, num_layers=[2, 1, 1], num_heads=[1, 2, 3], patch_sizes=[4, 2, 2],
          strides=[4, 2, 2], paddings=[0, 0, 0], sr_ratios=[2, 2, 1], mlp_ratios=[2, 2, 2], out_indices=[1, 2],
          qkv_bias=False, norm_after_stage=True), (2, 3, 64, 64)),
    ("v1_e2_mixed_resize", False,
     dict(pretrain_img_size=[48, 80], embed_dims=2, num_layers=[1, 1], num_heads=[2, 4], patch_sizes=[4, 2],
          strides=[4, 2], paddings=[0, 0], sr_ratios=[2, 1], mlp_ratios=[4, 2], out_indices=[0, 1]), (1, 3, 61, 37)),
    ("v2_e4_odd_two_outputs", True, dict(embed_dims=4, num_layers=[2, 1, 1, 1], num_heads=[1, 2, 2, 2],
                                         sr_ratios=[4, 2, 1, 1], mlp_ratios=[2, 2, 2, 2], out_indices=[0, 1]),
     (1, 3, 37, 43)),
    ("v2_e4_four_stages", True, dict(embed_dims=4, num_layers=[1, 1, 1, 1], num_heads=[1, 1, 2, 2],
                                     mlp_ratios=[4, 4, 2, 2], out_indices=[0, 2, 3]), (2, 3, 50, 34)),
]


def randomize(m, g):
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith('pos_embed'):
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
            elif ('norm' in name or '.2.' in name or name.endswith('.2.weight')) and p.dim() == 1 \
                    and name.endswith('weight'):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith('bias'):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) / fan_in ** 0.5)


def cfg_of(v2, kw):
    cfg = dict(type="PyramidVisionTransformerV2" if v2 else "PyramidVisionTransformer")
    for k, v in kw.items():
        cfg[k] = list(v) if isinstance(v, tuple) else v
    cfg["num_stages"] = len(kw["num_layers"])
    return cfg


def build(v2, kw):
    kw = dict(kw)
    n = len(kw["num_layers"])
    if v2:  # upstream's V2 passes patch_sizes / paddings for 4 stages: num_stages must be 4
        m = PyramidVisionTransformerV2(num_stages=n, **kw)
    else:
        m = PyramidVisionTransformer(num_stages=n, **kw)
    return m


def vals(t):
    """float32 values in their shortest round-trip form (the JSON stays small; parsing gives the same float32)."""
    return [float(str(v)) for v in t.detach().reshape(-1).float().numpy()]


def bilinear_weights():
    cases = []
    for n_in, n_out in [(16, 11), (8, 11), (4, 5), (2, 3), (12, 15), (20, 9), (7, 7), (56, 200), (14, 25), (5, 1),
                        (1, 4), (3, 8)]:
        eye = torch.eye(n_in, dtype=torch.float32).reshape(1, n_in, n_in, 1)
        out = F.interpolate(eye, size=(n_out, 1), mode='bilinear')  # [1, in, out, 1]: channel a = column a
        w = out[0, :, :, 0].t().contiguous()  # [out, in]
        cases.append({"in": n_in, "out": n_out, "weights": vals(w)})
    # a 2-D check of the separable form: a random map resized
    g = torch.Generator().manual_seed(5)
    x = torch.randn(1, 3, 5, 7, generator=g)
    y = F.interpolate(x, size=(8, 4), mode='bilinear')
    return {"torch": torch.__version__, "cases": cases,
            "map": {"shape": [1, 3, 5, 7], "values": vals(x), "size": [8, 4], "out": vals(y)}}


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                                  "../../src/test/resources/goldens/pvt")
    os.makedirs(out_dir, exist_ok=True)
    g = torch.Generator().manual_seed(20261127)
    for name, v2, kw, shape in CASES:
        m = build(v2, kw)
        randomize(m, g)
        m.eval()
        x = (torch.rand(shape, generator=g) * 2 - 1).requires_grad_(True)
        outs = m(x)
        ws = [torch.randn(o.shape, generator=g) for o in outs]
        loss = sum((o * w).sum() for o, w in zip(outs, ws))
        loss.backward()
        case = {"name": name, "torch": torch.__version__, "backbone": cfg_of(v2, kw), "input_shape": list(shape),
                "input": vals(x.detach()),
                "state_dict": [{"name": k, "shape": list(t.shape), "values": vals(t.float())}
                               for k, t in m.state_dict().items()],
                "outputs": [{"shape": list(o.shape), "values": vals(o.detach())} for o in outs],
                "loss_weights": [vals(w) for w in ws], "loss": float(loss),
                "input_grad": vals(x.grad),
                "grads": [{"name": k, "values": vals(p.grad)} for k, p in m.named_parameters() if p.grad is not None]}
        with open(os.path.join(out_dir, name + ".json"), "w") as fh:
            json.dump(case, fh)
        print(name, "outs", [list(o.shape) for o in outs], "loss", float(loss))
    nets = {"torch": torch.__version__}
    for key, v2, kw in [("pvt_t", False, dict(num_layers=[2, 2, 2, 2])),
                        ("pvtv2_b0", True, dict(embed_dims=32, num_layers=[2, 2, 2, 2]))]:
        m = (PyramidVisionTransformerV2 if v2 else PyramidVisionTransformer)(**kw)
        cfg = dict(type="PyramidVisionTransformerV2" if v2 else "PyramidVisionTransformer")
        cfg.update(kw)
        nets[key] = {"backbone": cfg, "parameters": sum(t.numel() for t in m.parameters()),
                     "state_dict": [{"name": k, "shape": list(t.shape)} for k, t in m.state_dict().items()],
                     "flops_input": [224, 224], "flops": flops(m, (224, 224)),
                     "flops_input_odd": [230, 300], "flops_odd": flops(m, (230, 300))}
        print(key, "parameters", nets[key]["parameters"], "flops", nets[key]["flops"][""])
    # every architecture upstream's configs/pvt define: backbone keys and parameter counts
    archs = OrderedDict([
        ("pvt-t", (False, dict(num_layers=[2, 2, 2, 2]))), ("pvt-s", (False, dict(num_layers=[3, 4, 6, 3]))),
        ("pvt-m", (False, dict(num_layers=[3, 4, 18, 3]))), ("pvt-l", (False, dict(num_layers=[3, 8, 27, 3]))),
        ("pvtv2-b0", (True, dict(embed_dims=32, num_layers=[2, 2, 2, 2]))),
        ("pvtv2-b1", (True, dict(embed_dims=64, num_layers=[2, 2, 2, 2]))),
        ("pvtv2-b2", (True, dict(embed_dims=64, num_layers=[3, 4, 6, 3]))),
        ("pvtv2-b3", (True, dict(embed_dims=64, num_layers=[3, 4, 18, 3]))),
        ("pvtv2-b4", (True, dict(embed_dims=64, num_layers=[3, 8, 27, 3]))),
        ("pvtv2-b5", (True, dict(embed_dims=64, num_layers=[3, 6, 40, 3], mlp_ratios=[4, 4, 4, 4])))])
    nets["archs"] = {}
    for key, (v2, kw) in archs.items():
        m = (PyramidVisionTransformerV2 if v2 else PyramidVisionTransformer)(**kw)
        cfg = dict(type="PyramidVisionTransformerV2" if v2 else "PyramidVisionTransformer")
        cfg.update(kw)
        nets["archs"][key] = {"backbone": cfg, "parameters": sum(t.numel() for t in m.parameters())}
        print(key, nets["archs"][key]["parameters"])
    # pvt_convert on small random official checkpoints; the result must load into the transcription
    for key, v2, kw in [("convert_v1", False, dict(embed_dims=2, num_layers=[1, 2, 1, 1], num_heads=[1, 2, 2, 4],
                                                   mlp_ratios=[2, 2, 2, 2])),
                        ("convert_v2", True, dict(embed_dims=2, num_layers=[1, 1, 2, 1], num_heads=[1, 2, 2, 4],
                                                  mlp_ratios=[2, 2, 2, 2]))]:
        ck = official(v2, kw["embed_dims"], kw["num_layers"], kw["num_heads"], kw["mlp_ratios"], [8, 4, 2, 1],
                      [7, 3, 3, 3] if v2 else [4, 2, 2, 2], g=g)
        conv = pvt_convert(ck)
        m = (PyramidVisionTransformerV2 if v2 else PyramidVisionTransformer)(**kw)
        missing, unexpected = m.load_state_dict(conv, strict=False)
        print(key, "missing", missing, "unexpected", unexpected)
        cfg = dict(type="PyramidVisionTransformerV2" if v2 else "PyramidVisionTransformer")
        cfg.update(kw)
        nets[key] = {"backbone": cfg,
                     "official": [{"name": k, "shape": list(t.shape), "values": vals(t.float())} for k, t in ck.items()],
                     "converted": [{"name": k, "shape": list(t.shape), "values": vals(t.float())}
                                   for k, t in conv.items()],
                     "missing": list(missing), "unexpected": list(unexpected)}
    with open(os.path.join(out_dir, "names.json"), "w") as fh:
        json.dump(nets, fh)
    bw_dir = os.path.join(out_dir, "../bilinear_weights") if len(sys.argv) <= 1 else out_dir
    os.makedirs(bw_dir, exist_ok=True)
    with open(os.path.join(bw_dir, "bilinear_weights.json"), "w") as fh:
        json.dump(bilinear_weights(), fh)


if __name__ == "__main__":
    main()
