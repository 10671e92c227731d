#!/usr/bin/env python3
"""Goldens for Backend.upsampleBilinear / upsampleBilinearBackward and F.upsampleBilinear: torch 1.13 (CPU, float32)
F.interpolate(x, scale_factor=(sh, sw), mode='bilinear', align_corners=False), the call MMDetection's HRFPN makes
(mmdet/models/necks/hrfpn.py: F.interpolate(inputs[i], scale_factor=2**i, mode='bilinear')).

With a scale factor (recompute_scale_factor unset) ATen takes the output size (int64)(in * scale) and the source
ratio 1/scale (aten/src/ATen/native/UpSample.h compute_scales_value), not in/out: the non-integer cases below have
outputs where the two differ. Writes one JSON per case to src/test/resources/goldens/upsample_bilinear/ (or argv[1]):
  {"name", "torch", "shape", "scale": [sh, sw], "x", "gy", "out_shape", "y", "gx"}
gx is the input gradient of sum(y * gy). Run: /usr/bin/python3 scripts/goldens/upsample_bilinear.py
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

CASES = [
    # name, shape, (scale_h, scale_w)
    ("x2", (2, 3, 5, 7), (2.0, 2.0)),                 # HRFPN input 1
    ("x4", (1, 2, 3, 4), (4.0, 4.0)),                 # HRFPN input 2
    ("x8", (1, 2, 3, 2), (8.0, 8.0)),                 # HRFPN input 3
    ("x2_x3", (1, 3, 4, 5), (2.0, 3.0)),
    ("x1p7_x2p3", (1, 2, 13, 9), (1.7, 2.3)),         # non-integer: floor(13*1.7)=22, ratio 1/1.7 != 13/22
    ("x1p5_x2p5", (2, 1, 7, 5), (1.5, 2.5)),          # 10.5 -> 10, 12.5 -> 12
    ("x0p45_x0p6", (1, 3, 10, 9), (0.45, 0.6)),       # downsampling: inputs that get no gradient
    ("x1p2_same_size", (1, 2, 3, 4), (1.2, 1.1)),     # out == in: ATen copies whatever the scale
    ("x3p3_1x1", (1, 2, 1, 1), (3.3, 3.3)),           # one input element
    ("x1p01_x7", (1, 1, 50, 3), (1.01, 7.0)),         # 50.5 -> 50 == in: copied rows; x7 columns
]


def f32(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../src/test/resources/goldens/upsample_bilinear")
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(2024)
    for name, shape, scale in CASES:
        x = (torch.rand(shape, generator=g, dtype=torch.float32) * 4 - 2).requires_grad_(True)
        y = F.interpolate(x, scale_factor=scale, mode='bilinear', align_corners=False)
        gy = torch.rand(y.shape, generator=g, dtype=torch.float32) * 2 - 1
        (y * gy).sum().backward()
        case = {"name": name, "torch": torch.__version__, "shape": list(shape), "scale": list(scale), "x": f32(x),
                "gy": f32(gy), "out_shape": list(y.shape), "y": f32(y), "gx": f32(x.grad)}
        with open(os.path.join(out, name + ".json"), "w") as fh:
            json.dump(case, fh)
        print(name, list(shape), scale, "->", list(y.shape))


if __name__ == "__main__":
    main()
