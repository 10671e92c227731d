"""Writes src/test/resources/goldens/optimizer/*.json: parameters after each step of torch.optim.SGD / Adam / AdamW
(the optimizers MMEngine builds from optim_wrapper.optimizer), for OptimizerGoldenTest.

Each case: tensors with their weight decay and lr multiplier (one param group each, as MMEngine's paramwise_cfg
makes them), per step the learning rate and every tensor's gradient (null: the tensor has no gradient that step,
so torch skips it and its step count does not advance), and the parameters after every step plus the final
exp_avg / exp_avg_sq. Cases with `maximize` (a key only when true) run the classes with maximize=True: torch 1.13's
_single_tensor_sgd / _single_tensor_adam / _single_tensor_adamw negate the gradient first (`grad = -grads[i]` /
`d_p = -d_p_list[i]`), as torch 2.x does. Needs torch (>= 1.13). Run: python3 scripts/goldens/optimizers.py [OUT_DIR]
"""
import json
import os
import sys

import torch


def case(name, kind, betas, eps, tensors, lrs, skip, seed, maximize=False):
    g = torch.Generator().manual_seed(seed)
    params, groups = [], []
    for shape, wd, mult in tensors:
        p = torch.randn(shape, generator=g, dtype=torch.float32).requires_grad_(True)
        params.append(p)
        groups.append(dict(params=[p], weight_decay=wd, lr=lrs[0] * mult))
    init = [p.detach().clone() for p in params]
    if kind == "SGD":  # betas = (momentum, dampening), eps = 1 for nesterov
        opt = torch.optim.SGD(groups, lr=lrs[0], momentum=betas[0], dampening=betas[1], nesterov=bool(eps), maximize=maximize)
    else:
        opt = {"Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}[kind](groups, lr=lrs[0], betas=betas, eps=eps,
                                                                           maximize=maximize)
    extra_opts = dict(maximize=True) if maximize else {}
    grads, after = [], []
    for s, lr in enumerate(lrs):
        step_grads = []
        for i, (p, (shape, wd, mult)) in enumerate(zip(params, tensors)):
            opt.param_groups[i]["lr"] = lr * mult
            if (s, i) in skip:
                p.grad = None
                step_grads.append(None)
            else:
                gr = torch.randn(shape, generator=g, dtype=torch.float32) * (10.0 ** (i - 1))
                p.grad = gr
                step_grads.append(gr.flatten().tolist())
        opt.step()
        grads.append(step_grads)
        after.append([p.detach().flatten().tolist() for p in params])
    state = [opt.state[p] for p in params]
    extra = {}
    if kind == "SGD":
        extra = dict(momentum=betas[0], dampening=betas[1], nesterov=bool(eps),
                     momentum_buffer=[s["momentum_buffer"].flatten().tolist() for s in state])
        return dict(name=name, optimizer=kind, torch=torch.__version__,
                    tensors=[dict(shape=list(shape), weight_decay=wd, lr_mult=mult, init=t.flatten().tolist())
                             for (shape, wd, mult), t in zip(tensors, init)],
                    lr=lrs, grads=grads, params_after=after, **extra, **extra_opts)
    return dict(
        name=name, optimizer=kind, betas=list(betas), eps=eps, torch=torch.__version__,
        tensors=[dict(shape=list(shape), weight_decay=wd, lr_mult=mult, init=t.flatten().tolist())
                 for (shape, wd, mult), t in zip(tensors, init)],
        lr=lrs, grads=grads, params_after=after,
        exp_avg=[s["exp_avg"].flatten().tolist() for s in state],
        exp_avg_sq=[s["exp_avg_sq"].flatten().tolist() for s in state],
        steps=[float(s["step"]) for s in state], **extra_opts)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../src/test/resources/goldens/optimizer")
    os.makedirs(out, exist_ok=True)
    tensors = [((3, 4), 0.05, 1.0), ((5,), 0.0, 2.0), ((2, 3, 3), 0.01, 0.5)]
    warm = [1e-4 * (0.1 + 0.9 * k / 5) for k in range(6)] + [1e-4] * 4
    cases = [
        case("adamw_three_groups", "AdamW", (0.9, 0.999), 1e-8, tensors, warm, {(3, 1), (4, 1)}, 1),
        case("adam_l2_decay", "Adam", (0.9, 0.999), 1e-8, tensors, warm, {(2, 0)}, 2),
        case("adamw_betas_eps", "AdamW", (0.8, 0.95), 1e-6, [((7,), 0.1, 1.0), ((2, 2), 0.0, 1.0)], [3e-3] * 8, set(), 3),
        case("sgd_nesterov", "SGD", (0.9, 0.0), 1, tensors, [0.01 * (k + 1) / 10 for k in range(10)], {(3, 1)}, 4),
        case("sgd_dampening", "SGD", (0.8, 0.25), 0, tensors, [0.02] * 8, {(2, 0)}, 5),
        # maximize: the gradient negated before the decay and the momentum (plain momentum: the one-launch path)
        case("sgd_momentum_maximize", "SGD", (0.9, 0.0), 0, tensors, [0.01] * 6, {(2, 1)}, 6, maximize=True),
        case("sgd_nesterov_maximize", "SGD", (0.9, 0.0), 1, tensors, [0.02] * 5, set(), 7, maximize=True),
        case("adam_l2_decay_maximize", "Adam", (0.9, 0.999), 1e-8, tensors, warm, {(1, 2)}, 8, maximize=True),
        case("adamw_maximize", "AdamW", (0.8, 0.95), 1e-6, tensors, [2e-3] * 6, {(3, 0)}, 9, maximize=True),
    ]
    for c in cases:
        with open(os.path.join(out, c["name"] + ".json"), "w") as f:
            json.dump(c, f)
        print("wrote", c["name"])


if __name__ == "__main__":
    main()
