"""Writes src/test/resources/goldens/grouped_conv/*.json: torch.nn.functional.conv2d with groups > 1 (what
torch.nn.Conv2d(groups=G) runs in MMDetection's ResNeXt Bottleneck conv2, mmdet/models/backbones/resnext.py, and in
depthwise convs), forward and backward, for GroupedConvGoldenTest.

Each case: the input x [N, C, H, W], the weight w [Cout, C/groups, kh, kw], the bias (or null), groups, stride, padding
and dilation (each [h, w]), the output y, an upstream gradient g and torch's dx, dw, db (db null without bias).
All float32 on the CPU. Needs torch (>= 1.13). Run: python3 scripts/goldens/grouped_conv.py [OUT_DIR]
"""
import json
import os
import sys

import torch
import torch.nn.functional as F


def flat(t):
    return None if t is None else t.detach().flatten().tolist()


def case(name, x_shape, cout, k, groups, stride, padding, dilation, bias, seed):
    g = torch.Generator().manual_seed(seed)
    cin = x_shape[1]
    x = torch.randn(x_shape, generator=g).requires_grad_(True)
    w = (torch.randn((cout, cin // groups) + tuple(k), generator=g) * 0.5).requires_grad_(True)
    b = torch.randn(cout, generator=g).requires_grad_(True) if bias else None
    y = F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    up = torch.randn(y.shape, generator=g)
    y.backward(up)
    return dict(name=name, torch=torch.__version__, x_shape=list(x.shape), w_shape=list(w.shape), groups=groups,
                stride=list(stride), padding=list(padding), dilation=list(dilation),
                x=flat(x), w=flat(w), b=flat(b), y_shape=list(y.shape), y=flat(y), g=flat(up),
                dx=flat(x.grad), dw=flat(w.grad), db=None if b is None else flat(b.grad))


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/goldens/grouped_conv"
    os.makedirs(out_dir, exist_ok=True)
    cases = [
        # ResNeXt conv2: 3x3, padding 1, stride 1 / 2 (style 'pytorch' puts the stride here)
        case("resnext_3x3_s1_g4", (2, 16, 9, 11), 16, (3, 3), 4, (1, 1), (1, 1), (1, 1), False, 1),
        case("resnext_3x3_s2_g8", (1, 32, 13, 10), 32, (3, 3), 8, (2, 2), (1, 1), (1, 1), False, 2),
        case("groups2_bias_odd", (2, 6, 7, 5), 10, (3, 3), 2, (1, 1), (1, 1), (1, 1), True, 3),
        case("depthwise_3x3_s1", (2, 5, 8, 9), 5, (3, 3), 5, (1, 1), (1, 1), (1, 1), True, 4),
        case("depthwise_x2_5x5_s2_dil2", (1, 3, 15, 12), 6, (5, 5), 3, (2, 2), (4, 4), (2, 2), False, 5),
        case("grouped_1x1_g4", (2, 8, 6, 7), 12, (1, 1), 4, (1, 1), (0, 0), (1, 1), True, 6),
        case("anisotropic_3x2_g2", (2, 4, 8, 9), 6, (3, 2), 2, (2, 1), (1, 0), (1, 2), True, 7),
    ]
    for c in cases:
        with open(os.path.join(out_dir, c["name"] + ".json"), "w") as f:
            json.dump(c, f)
    print(f"wrote {len(cases)} cases to {out_dir}")


if __name__ == "__main__":
    main()
