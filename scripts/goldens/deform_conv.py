"""Writes src/test/resources/goldens/deform_conv/*.json: deformable convolution (MMCV's DCN / DCNv2) forward and
all gradients, from torchvision.ops.deform_conv2d (torchvision 0.14, float32 on the CPU), for DeformConvGoldenTest.

torchvision's op is the same function as MMCV's deform_conv2d (mask None) / modulated_deform_conv2d
(mmcv/ops/csrc/common/cuda/deform_conv_cuda_kernel.cuh and modulated_deform_conv_cuda_kernel.cuh, mmcv commit
469a21c): the same offset layout, [N, deform_groups * 2 * kh * kw, Ho, Wo] with the (dy, dx) pair of kernel
position k = i * kw + j at channels 2k, 2k + 1 of each deform group (MMCV: data_offset_h_ptr = 2 * (i * kernel_w + j),
data_offset_w_ptr = 2 * (i * kernel_w + j) + 1), mask [N, deform_groups * kh * kw, Ho, Wo]; the sample of tap
(i, j) at (y * stride - pad + i * dilation + dy, x * stride - pad + j * dilation + dx); bilinear with zeros outside
(a sample counts where -1 < h < H and -1 < w < W, each corner only inside); grouped weight [Cout, Cin/groups, kh, kw].
The two differ only at samples exactly on h or w = -1 (measure zero: random offsets never land there).

Each case: geometry, x, offset, mask (null: DCN), weight, bias (null), the upstream gradient g, then y and the
gradients dx, doffset, dmask, dw, db of sum(g * y). Run: /usr/bin/python3 scripts/goldens/deform_conv.py [OUT_DIR]
"""
import json
import os
import sys

import torch
import torchvision
from torchvision.ops import deform_conv2d


def case(name, n, cin, cout, hw, k, stride, pad, dil, groups, dg, modulated, bias, offset_scale, seed):
    g = torch.Generator().manual_seed(seed)
    h, w = hw
    kh, kw = k
    ho = (h + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (w + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    x = torch.randn(n, cin, h, w, generator=g).requires_grad_(True)
    off = (torch.randn(n, dg * 2 * kh * kw, ho, wo, generator=g) * offset_scale).requires_grad_(True)
    mask = torch.rand(n, dg * kh * kw, ho, wo, generator=g).requires_grad_(True) if modulated else None
    wt = (torch.randn(cout, cin // groups, kh, kw, generator=g) * 0.3).requires_grad_(True)
    b = torch.randn(cout, generator=g).requires_grad_(True) if bias else None
    y = deform_conv2d(x, off, wt, b, stride=stride, padding=pad, dilation=dil, mask=mask)
    gy = torch.randn(y.shape, generator=g)
    (y * gy).sum().backward()

    def flat(t):
        return None if t is None else t.detach().flatten().tolist()

    return dict(name=name, torch=torch.__version__, torchvision=torchvision.__version__,
                stride=list(stride), padding=list(pad), dilation=list(dil), groups=groups, deform_groups=dg,
                x_shape=list(x.shape), offset_shape=list(off.shape), w_shape=list(wt.shape), y_shape=list(y.shape),
                x=flat(x), offset=flat(off), mask=flat(mask), w=flat(wt), b=flat(b), g=flat(gy), y=flat(y),
                dx=flat(x.grad), doffset=flat(off.grad), dmask=None if mask is None else flat(mask.grad),
                dw=flat(wt.grad), db=None if b is None else flat(b.grad))


CASES = [
    # name, n, cin, cout, (h, w), (kh, kw), stride, pad, dilation, groups, deform_groups, modulated, bias, offset scale
    ("dcn_3x3_s1", 2, 4, 6, (7, 7), (3, 3), (1, 1), (1, 1), (1, 1), 1, 1, False, False, 1.0, 1),
    ("dcnv2_3x3_s1_bias", 2, 4, 6, (7, 6), (3, 3), (1, 1), (1, 1), (1, 1), 1, 1, True, True, 1.0, 2),
    ("dcn_stride2", 1, 3, 4, (9, 8), (3, 3), (2, 2), (1, 1), (1, 1), 1, 1, False, False, 1.0, 3),
    ("dcnv2_dilation2", 2, 3, 5, (8, 8), (3, 3), (1, 1), (2, 2), (2, 2), 1, 1, True, False, 1.0, 4),
    ("dcnv2_groups2", 1, 4, 6, (6, 7), (3, 3), (1, 1), (1, 1), (1, 1), 2, 1, True, False, 1.0, 5),
    ("dcn_deform_groups2", 2, 4, 4, (6, 6), (3, 3), (1, 1), (1, 1), (1, 1), 1, 2, False, False, 1.0, 6),
    ("dcnv2_off_image", 1, 2, 3, (5, 5), (3, 3), (1, 1), (1, 1), (1, 1), 1, 1, True, False, 4.0, 7),
    ("dcn_off_image", 1, 2, 3, (5, 6), (3, 3), (1, 1), (1, 1), (1, 1), 1, 1, False, False, 4.0, 8),
    ("dcnv2_g2_dg2_s2_bias", 2, 8, 4, (9, 7), (3, 3), (2, 2), (1, 1), (1, 1), 2, 2, True, True, 1.5, 9),
    ("dcnv2_anisotropic", 1, 4, 2, (7, 9), (3, 2), (2, 1), (1, 0), (1, 2), 1, 2, True, False, 1.0, 10),
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "src", "test",
                                                                "resources", "goldens", "deform_conv")
    os.makedirs(out, exist_ok=True)
    for c in CASES:
        d = case(*c)
        with open(os.path.join(out, c[0] + ".json"), "w") as f:
            json.dump(d, f)
        print("wrote", c[0], "y", d["y_shape"])


if __name__ == "__main__":
    main()
