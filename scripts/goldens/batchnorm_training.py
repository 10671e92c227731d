"""Writes src/test/resources/goldens/batchnorm_training/*.json: torch.nn.BatchNorm2d in train mode (what a ResNet
stage runs with MMDetection's norm_eval=False), step by step, for BatchNormTrainingGoldenTest.

Each case: the layer's initial weight / bias / running statistics and momentum, then per step the input x and the
upstream gradient g, with torch's output y, the gradients dx / dweight / dbias (null when the affine is frozen) and
the running statistics and num_batches_tracked after the step; finally the eval-mode output of the last input.
Needs torch (>= 1.13). Run: python3 scripts/goldens/batchnorm_training.py [OUT_DIR]
"""
import json
import os
import sys

import torch


def flat(t):
    return None if t is None else t.detach().flatten().tolist()


def case(name, shape, momentum, steps, offset, affine_grad, seed, eps=1e-5, spread=1.0):
    """spread scales the inputs' deviations and the initial running variance (small: eps matters)."""
    g = torch.Generator().manual_seed(seed)
    c = shape[1]
    bn = torch.nn.BatchNorm2d(c, eps=eps, momentum=momentum)
    with torch.no_grad():
        bn.weight.copy_(torch.rand(c, generator=g) + 0.5)
        bn.bias.copy_(torch.randn(c, generator=g))
        bn.running_mean.copy_(torch.randn(c, generator=g))
        bn.running_var.copy_((torch.rand(c, generator=g) + 0.5) * spread ** 2)
    bn.weight.requires_grad_(affine_grad)
    bn.bias.requires_grad_(affine_grad)
    init = dict(weight=flat(bn.weight), bias=flat(bn.bias), running_mean=flat(bn.running_mean),
                running_var=flat(bn.running_var))
    bn.train()
    out = []
    x = None
    for _ in range(steps):
        means = torch.randn(c, generator=g) * offset
        x = (torch.randn(shape, generator=g) * (torch.rand(c, generator=g) * 2 + 0.1).view(1, c, 1, 1) * spread
             + means.view(1, c, 1, 1)).requires_grad_(True)
        up = torch.randn(shape, generator=g)
        bn.weight.grad = None
        bn.bias.grad = None
        y = bn(x)
        y.backward(up)
        out.append(dict(x=flat(x), g=flat(up), y=flat(y), dx=flat(x.grad), dweight=flat(bn.weight.grad),
                        dbias=flat(bn.bias.grad), running_mean=flat(bn.running_mean),
                        running_var=flat(bn.running_var), num_batches_tracked=int(bn.num_batches_tracked)))
    bn.eval()
    with torch.no_grad():
        y_eval = bn(x)
    return dict(name=name, torch=torch.__version__, shape=list(shape), momentum=momentum, affine_grad=affine_grad,
                eps=bn.eps, init=init, steps=out, eval_y=flat(y_eval))


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/goldens/batchnorm_training"
    os.makedirs(out_dir, exist_ok=True)
    cases = [
        case("default_momentum", (2, 3, 4, 5), 0.1, 3, 1.0, True, 1),
        case("yolox_momentum_large_means", (3, 4, 3, 3), 0.03, 2, 8.0, True, 2),
        case("frozen_affine", (2, 5, 6, 4), 0.1, 2, 2.0, False, 3),
        case("two_values_per_channel", (2, 3, 1, 1), 0.5, 2, 1.0, True, 4),
        case("momentum_one", (4, 2, 3, 3), 1.0, 2, 0.5, True, 5),
        # MMDetection's SSDLite MobileNetV2: norm_cfg=dict(type='BN', eps=0.001, momentum=0.03); variances ~1e-3
        case("eps_1e-3_small_variance", (2, 3, 4, 4), 0.03, 2, 0.05, True, 6, eps=1e-3, spread=0.03),
        case("eps_1e-3_frozen_affine", (2, 4, 3, 3), 0.1, 2, 0.05, False, 7, eps=1e-3, spread=0.03),
    ]
    for c in cases:
        with open(os.path.join(out_dir, c["name"] + ".json"), "w") as f:
            json.dump(c, f)
    print("wrote", len(cases), "cases to", out_dir)


if __name__ == "__main__":
    main()
