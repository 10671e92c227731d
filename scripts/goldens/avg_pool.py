#!/usr/bin/env python3
"""Goldens for Backend.avgPool2d / avgPool2dBackward: torch.nn.AvgPool2d (torch 1.13, CPU, float32).

Writes one JSON per case to src/test/resources/goldens/avg_pool/ (or the folder given as argv[1]):
  {"name", "torch", "shape": [N,C,H,W], "kernel", "stride", "padding", "ceil_mode", "count_include_pad",
   "x": [...], "gy": [...], "out_shape": [...], "y": [...], "gx": [...]}
x and gy are float32 values written exactly (repr of the float32 as a Python float); y = AvgPool2d(x), gx = the
input gradient of sum(y * gy). Run: /usr/bin/python3 scripts/goldens/avg_pool.py
"""
import json
import os
import sys

import torch

CASES = [
    # name, shape, kernel, stride, padding, ceil_mode, count_include_pad
    ("k2s2_even", (2, 3, 6, 8), 2, 2, 0, False, True),
    ("k2s2_ceil_odd_partial_exclude_pad", (2, 3, 7, 9), 2, 2, 0, True, False),   # ResLayer avg_down, partial last window
    ("k2s2_ceil_odd_partial_include_pad", (1, 2, 7, 5), 2, 2, 0, True, True),    # the divisor of the partial window stops at in + pad
    ("k3s2p1_include_pad", (2, 2, 9, 10), 3, 2, 1, False, True),
    ("k3s2p1_exclude_pad", (2, 2, 9, 10), 3, 2, 1, False, False),
    ("k3s2p1_ceil_include_pad", (1, 3, 8, 11), 3, 2, 1, True, True),
    ("k3s2p1_ceil_exclude_pad", (1, 3, 8, 11), 3, 2, 1, True, False),
    ("k3s3_ceil_dropped_last_window", (1, 2, 5, 10), 3, 3, 1, True, True),      # ceil would start a window in the right pad
    ("k3s1p1_same", (2, 2, 5, 6), 3, 1, 1, False, False),
    ("k4s3p2_ceil_exclude_pad", (1, 2, 10, 13), 4, 3, 2, True, False),
    ("k1s2_subsample", (1, 2, 5, 7), 1, 2, 0, True, False),
    ("k2s2_ceil_1x1_input", (2, 2, 1, 1), 2, 2, 0, True, False),
    ("k2s1_overlap", (1, 1, 4, 5), 2, 1, 0, False, True),
    ("k5s2p2_ceil_include_pad_tiny", (1, 1, 3, 4), 5, 2, 2, True, True),
]


def f32(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../src/test/resources/goldens/avg_pool")
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(1313)
    for name, shape, k, s, p, ceil, cip in CASES:
        x = (torch.rand(shape, generator=g, dtype=torch.float32) * 4 - 2).requires_grad_(True)
        pool = torch.nn.AvgPool2d(kernel_size=k, stride=s, padding=p, ceil_mode=ceil, count_include_pad=cip)
        y = pool(x)
        gy = torch.rand(y.shape, generator=g, dtype=torch.float32) * 2 - 1
        (y * gy).sum().backward()
        case = {
            "name": name, "torch": torch.__version__, "shape": list(shape), "kernel": k, "stride": s, "padding": p,
            "ceil_mode": ceil, "count_include_pad": cip, "x": f32(x), "gy": f32(gy), "out_shape": list(y.shape),
            "y": f32(y), "gx": f32(x.grad),
        }
        with open(os.path.join(out, name + ".json"), "w") as fh:
            json.dump(case, fh)
        print(name, list(shape), "->", list(y.shape))


if __name__ == "__main__":
    main()
