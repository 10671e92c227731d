#!/usr/bin/env python3
"""Goldens for the relative_position_bias_table resize of MMDetection 3.3.0's SwinTransformer.init_weights
(mmdet/models/backbones/swin.py, read at open-mmlab/mmdetection 09269cfe): a pretrained table [L1, nH] of another
window size becomes

    F.interpolate(table.permute(1, 0).reshape(1, nH, S1, S1), size=(S2, S2), mode='bicubic')  # align_corners=False
        .view(nH, L2).permute(1, 0)

with S = int(L ** 0.5) (= 2·window − 1). torch 1.13's CPU bicubic: source index scale·(i + 0.5) − 0.5 with
scale = S1 / S2, Keys' cubic convolution with A = −0.75, taps clamped at the borders.

Each case <case>.json: s1, s2, heads, the pretrained table (row-major [L1, nH]) and the resized one ([L2, nH]).
Also a case on a non-square 2-D map (h1, w1 → h2, w2) through F.interpolate directly ("map"), to pin the separable
form on unequal axes.

portable_kernel_maps.json ("maps_exact"): maps of many sizes resized by torch's portable CPU kernel
(ATEN_CPU_CAPABILITY=default, in a child process: the capability is fixed when torch loads), which the engine must
reproduce bit for bit. There the source index scale·(i + 0.5) − 0.5 is not rounded to float before its fraction t is
taken (t = float(exact index − floor)), so t is finer than the index's own float ulp. The AVX2 / AVX-512 kernels (the
default on most machines, so the other cases) contract the coefficient polynomials into FMAs: ~1e-6 of the values apart.
Run: /usr/bin/python3 scripts/goldens/swin_bias_table_resize.py [OUT_DIR]
"""
import json
import os
import subprocess
import sys

import torch
import torch.nn.functional as F


def resize_table(table, s2):
    l1, nh = table.shape
    s1 = int(l1 ** 0.5)
    out = F.interpolate(table.permute(1, 0).reshape(1, nh, s1, s1), size=(s2, s2), mode='bicubic')
    return out.view(nh, s2 * s2).permute(1, 0).contiguous()


def portable_kernel_maps(out_dir):
    """Run in a child process with ATEN_CPU_CAPABILITY=default (see the module doc)."""
    g = torch.Generator().manual_seed(20261127)
    sizes = [(1, 13, 13, 23, 23), (2, 13, 13, 7, 7), (1, 5, 5, 9, 9), (1, 27, 27, 47, 47), (3, 23, 23, 13, 13),
             (1, 40, 1, 17, 1), (2, 6, 9, 11, 4), (1, 17, 29, 40, 11), (2, 3, 3, 5, 5), (1, 1, 7, 1, 25)]
    maps = []
    for c, h1, w1, h2, w2 in sizes:
        x = torch.randn(1, c, h1, w1, generator=g) * 3
        y = F.interpolate(x, size=(h2, w2), mode='bicubic')[0]
        maps.append({'channels': c, 'h1': h1, 'w1': w1, 'h2': h2, 'w2': w2, 'x': x.flatten().tolist(),
                     'y': y.flatten().tolist()})
    with open(os.path.join(out_dir, 'portable_kernel_maps.json'), 'w') as f:
        json.dump({'kind': 'maps_exact', 'aten_cpu_capability': 'default', 'maps': maps}, f)


def main():
    if len(sys.argv) > 2 and sys.argv[1] == '--portable-kernel-maps':
        assert os.environ.get('ATEN_CPU_CAPABILITY') == 'default'
        portable_kernel_maps(sys.argv[2])
        return
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), '..', '..', 'src', 'test', 'resources', 'goldens', 'swin_bias_table_resize')
    os.makedirs(out_dir, exist_ok=True)
    g = torch.Generator().manual_seed(20260527)
    cases = {
        'w7_to_w12_3heads': (13, 23, 3),   # Swin-T's window 7 table for a window-12 model
        'w7_to_w4_2heads': (13, 7, 2),     # downsampling
        'w3_to_w5_1head': (5, 9, 1),
        'w2_to_w3_4heads': (3, 5, 4),      # borders dominate (every tap clamps somewhere)
    }
    for name, (s1, s2, nh) in cases.items():
        table = torch.randn(s1 * s1, nh, generator=g) * 2
        table[0, 0] = 5.0
        out = resize_table(table, s2)
        with open(os.path.join(out_dir, name + '.json'), 'w') as f:
            json.dump({'kind': 'table', 's1': s1, 's2': s2, 'heads': nh, 'table': table.flatten().tolist(),
                       'resized': out.flatten().tolist()}, f)
    x = torch.randn(2, 6, 9, generator=g)
    y = F.interpolate(x[None], size=(11, 4), mode='bicubic')[0]
    with open(os.path.join(out_dir, 'map_6x9_to_11x4.json'), 'w') as f:
        json.dump({'kind': 'map', 'channels': 2, 'h1': 6, 'w1': 9, 'h2': 11, 'w2': 4, 'x': x.flatten().tolist(),
                   'y': y.flatten().tolist()}, f)
    subprocess.run([sys.executable, os.path.abspath(__file__), '--portable-kernel-maps', out_dir], check=True,
                   env=dict(os.environ, ATEN_CPU_CAPABILITY='default'))


if __name__ == '__main__':
    main()
