"""Writes src/test/resources/goldens/optimizer_rules/*.json: parameters after each step, and the final state, of the
element-wise torch.optim rules MMEngine can build from optim_wrapper.optimizer besides SGD / Adam / AdamW (RMSprop,
Adagrad, Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD) and of Adam / AdamW with amsgrad or maximize, for
OptimizerRulesGoldenTest.

Each case: tensors with their weight decay and lr multiplier (one param group each, as MMEngine's paramwise_cfg
makes them), the optimizer's settings as a config writes them, per step the learning rate and every tensor's gradient
(null: no gradient that step, torch skips the tensor), the parameters after every step and each tensor's final state
under torch's state names.

Where torch 1.13's class computes what torch 2.x computes, the case runs that class (rounding aside: torch 2.x
updates first moments with lerp_, 1.13 with mul_/add_). Where it does not, the case runs a float32 transcription of
torch 2.x's single-tensor code with the same tensor ops:
  - NAdam: torch 1.13 multiplies mu_t into mu_product_next twice (`mu_product * mu * mu_next`); torch 2.0 fixed it
    (pytorch/pytorch torch/optim/nadam.py, _single_tensor_nadam, e.g. commit 00c2d88d579262aac44b17265a2c0828aea35b04:
    `mu_product_next = _get_value(mu_product) * mu_next`), and 2.x added decoupled_weight_decay and maximize
    (`param.mul_(1 - lr * weight_decay)` before the moments);
  - RAdam with decoupled_weight_decay / maximize (added in torch 2.x, torch/optim/radam.py _single_tensor_radam).
Rprop and ASGD run torch 1.13's classes: their _single_tensor_rprop / _single_tensor_asgd compute per element what
torch 2.x's do (2.x adds capturable / differentiable branches and keeps Rprop's step as a tensor, not an int). Their
cases change the lr between steps: Rprop's step_size starts from the lr of a tensor's first step, ASGD's eta from the
lr of the step before.
Needs torch (>= 1.13). Run: /usr/bin/python3 scripts/goldens/optimizers_torch.py [OUT_DIR]
"""
import json
import os
import sys

import torch

TORCH_2X = "transcription of torch 2.x torch/optim/%s.py _single_tensor_%s (pytorch/pytorch, see the module docstring)"


def nadam_2x(params, grads, states, lr, betas, eps, weight_decay, momentum_decay=4e-3, decoupled_weight_decay=False,
             maximize=False):
    beta1, beta2 = betas
    for param, grad, state, wd, plr in zip(params, grads, states, weight_decay, lr):
        if grad is None:
            continue
        if not state:
            state.update(step=torch.tensor(0.), mu_product=torch.tensor(1.), exp_avg=torch.zeros_like(param),
                         exp_avg_sq=torch.zeros_like(param))
        grad = grad if not maximize else -grad
        exp_avg, exp_avg_sq, mu_product, step_t = state["exp_avg"], state["exp_avg_sq"], state["mu_product"], state["step"]
        step_t += 1
        step = step_t.item()
        bias_correction2 = 1 - beta2 ** step
        if wd != 0:
            if decoupled_weight_decay:
                param.mul_(1 - plr * wd)
            else:
                grad = grad.add(param, alpha=wd)
        mu = beta1 * (1. - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1. - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product *= mu
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = exp_avg_sq.div(bias_correction2).sqrt()
        mu_product_next = mu_product.item() * mu_next
        denom.add_(eps)
        param.addcdiv_(grad, denom, value=(-plr * (1. - mu) / (1. - mu_product.item())))
        param.addcdiv_(exp_avg, denom, value=(-plr * mu_next) / (1. - mu_product_next))


def radam_2x(params, grads, states, lr, betas, eps, weight_decay, decoupled_weight_decay=False, maximize=False):
    beta1, beta2 = betas
    for param, grad, state, wd, plr in zip(params, grads, states, weight_decay, lr):
        if grad is None:
            continue
        if not state:
            state.update(step=torch.tensor(0.), exp_avg=torch.zeros_like(param), exp_avg_sq=torch.zeros_like(param))
        grad = grad if not maximize else -grad
        exp_avg, exp_avg_sq, step_t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        step_t += 1
        step = step_t.item()
        if wd != 0:
            if decoupled_weight_decay:
                param.mul_(1 - plr * wd)
            else:
                grad = grad.add(param, alpha=wd)
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        bias_corrected_exp_avg = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive_lr = (bias_correction2 ** 0.5) / exp_avg_sq.sqrt().add_(eps)
            param.add_(bias_corrected_exp_avg * plr * adaptive_lr * rect, alpha=-1.0)
        else:
            param.add_(bias_corrected_exp_avg * plr, alpha=-1.0)


TORCH_CLASSES = {"RMSprop": torch.optim.RMSprop, "Adagrad": torch.optim.Adagrad, "Adadelta": torch.optim.Adadelta,
                 "Adamax": torch.optim.Adamax, "RAdam": torch.optim.RAdam, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW,
                 "Rprop": torch.optim.Rprop, "ASGD": torch.optim.ASGD}
TRANSCRIBED = {"NAdam": ("nadam", nadam_2x), "RAdam": ("radam", radam_2x)}


def as_list(v):
    return v.flatten().tolist() if v.numel() > 1 or v.dim() > 0 else float(v)


def case(name, kind, options, tensors, lrs, skip, seed, transcribe=False):
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn(shape, generator=g, dtype=torch.float32).requires_grad_(True) for shape, _, _ in tensors]
    init = [p.detach().clone() for p in params]
    kwargs = {k: (tuple(v) if k in ("betas", "etas", "step_sizes") else v) for k, v in options.items()}
    if transcribe:
        module, fn = TRANSCRIBED[kind]
        source = TORCH_2X % (module, module)
        states = [dict() for _ in params]
        defaults = dict(betas=(0.9, 0.999), eps=1e-8)
        defaults.update(kwargs)
        opt = None
    else:
        source = "torch %s torch.optim.%s" % (torch.__version__, kind)
        opt = TORCH_CLASSES[kind]([dict(params=[p], weight_decay=wd, lr=lrs[0] * mult) for p, (_, wd, mult) in zip(params, tensors)],
                                  lr=lrs[0], **kwargs)
    grads, after = [], []
    for s, lr in enumerate(lrs):
        step_grads, tensors_grads = [], []
        for i, (p, (shape, wd, mult)) in enumerate(zip(params, tensors)):
            if opt is not None:
                opt.param_groups[i]["lr"] = lr * mult
            if (s, i) in skip:
                p.grad = None
                step_grads.append(None)
            else:
                p.grad = torch.randn(shape, generator=g, dtype=torch.float32) * (10.0 ** (i - 1))
                step_grads.append(p.grad.flatten().tolist())
            tensors_grads.append(p.grad)
        if opt is not None:
            opt.step()
        else:
            with torch.no_grad():
                fn([p.data for p in params], tensors_grads, states, [lr * m for _, _, m in tensors],
                   weight_decay=[wd for _, wd, _ in tensors], **defaults)
        grads.append(step_grads)
        after.append([p.detach().flatten().tolist() for p in params])
    state = [opt.state[p] for p in params] if opt is not None else states
    out_state = []
    for st in state:
        out_state.append({k: (as_list(v) if torch.is_tensor(v) else float(v)) for k, v in st.items()})
    return dict(name=name, optimizer=kind, options=options, source=source,
                tensors=[dict(shape=list(shape), weight_decay=wd, lr_mult=mult, init=t.flatten().tolist())
                         for (shape, wd, mult), t in zip(tensors, init)],
                lr=lrs, grads=grads, params_after=after, state=out_state)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../src/test/resources/goldens/optimizer_rules")
    os.makedirs(out, exist_ok=True)
    tensors = [((3, 4), 0.05, 1.0), ((5,), 0.0, 2.0), ((2, 3, 3), 0.01, 0.5)]
    no_decay = [((3, 4), 0.0, 1.0), ((5,), 0.0, 2.0), ((2, 3, 3), 0.0, 0.5)]
    warm = [1e-3 * (0.1 + 0.9 * k / 5) for k in range(6)] + [1e-3] * 4
    cases = [
        case("rmsprop_defaults", "RMSprop", {}, tensors, [1e-2] * 6, {(2, 1)}, 11),
        case("rmsprop_centered_momentum", "RMSprop", dict(alpha=0.9, eps=1e-6, momentum=0.8, centered=True), tensors,
             warm, {(3, 1), (4, 1)}, 12),
        case("rmsprop_momentum_maximize", "RMSprop", dict(momentum=0.9, maximize=True), no_decay, [5e-3] * 5, set(), 13),
        case("adagrad_defaults", "Adagrad", {}, tensors, [1e-2] * 6, {(1, 0)}, 21),
        case("adagrad_lr_decay_initial", "Adagrad", dict(lr_decay=0.1, initial_accumulator_value=0.1, eps=1e-8), tensors,
             warm, {(2, 2)}, 22),
        case("adadelta_defaults", "Adadelta", {}, tensors, [1.0] * 6, {(2, 1)}, 31),
        case("adadelta_rho_maximize", "Adadelta", dict(rho=0.8, eps=1e-5, maximize=True), tensors, [0.5] * 6, set(), 32),
        case("adamax_defaults", "Adamax", {}, tensors, [2e-3] * 6, {(3, 0)}, 41),
        case("adamax_small_beta1", "Adamax", dict(betas=[0.3, 0.99], eps=1e-6), tensors, warm, set(), 42),
        case("nadam_defaults", "NAdam", {}, tensors, [2e-3] * 8, {(2, 1)}, 51, transcribe=True),
        case("nadam_momentum_decay", "NAdam", dict(betas=[0.8, 0.99], momentum_decay=0.01, eps=1e-6), tensors, warm, set(), 52,
             transcribe=True),
        case("nadam_decoupled_maximize", "NAdam", dict(decoupled_weight_decay=True, maximize=True), tensors, [2e-3] * 6,
             {(1, 2)}, 53, transcribe=True),
        case("radam_defaults", "RAdam", {}, tensors, [1e-3] * 10, {(4, 1)}, 61),
        case("radam_beta2", "RAdam", dict(betas=[0.85, 0.9], eps=1e-6), tensors, warm, set(), 62),
        case("radam_decoupled_maximize", "RAdam", dict(decoupled_weight_decay=True, maximize=True), tensors, [1e-3] * 10,
             {(3, 0)}, 63, transcribe=True),
        case("adam_amsgrad", "Adam", dict(amsgrad=True), tensors, warm, {(2, 0)}, 71),
        case("adamw_amsgrad", "AdamW", dict(amsgrad=True, betas=[0.8, 0.95]), tensors, [1e-3] * 8, {(3, 1)}, 72),
        # maximize through the config reader (torch 1.13's Adam / AdamW negate the gradient first, as 2.x)
        case("adam_maximize", "Adam", dict(maximize=True), tensors, warm, {(1, 1)}, 73),
        case("adamw_amsgrad_maximize", "AdamW", dict(amsgrad=True, maximize=True), tensors, [1e-3] * 6, {(2, 2)}, 74),
        # Rprop takes no weight decay; tensor 1 first steps at step 2 of the warm-up (its step_size starts there)
        case("rprop_defaults", "Rprop", {}, no_decay, warm, {(0, 1), (1, 1), (5, 2)}, 81),
        case("rprop_etas_step_sizes_maximize", "Rprop", dict(etas=[0.3, 1.5], step_sizes=[2e-4, 2e-3], maximize=True),
             no_decay, [1e-3, 5e-4, 2e-3, 1e-3, 1e-3, 3e-3, 1e-3, 1e-3], {(0, 2), (4, 0)}, 82),
        # ASGD's eta of a step comes from the lr of the step before (torch computes it at the end of each step)
        case("asgd_defaults", "ASGD", {}, tensors, warm, {(2, 1)}, 91),
        # t0 2: mu = 1 / (t - 2) leaves 1 after step 3, so ax averages from step 5 on
        case("asgd_lambd_alpha_t0_maximize", "ASGD", dict(lambd=0.05, alpha=0.5, t0=2.0, maximize=True), tensors,
             [0.05, 0.02, 0.08, 0.05, 0.05, 0.03, 0.05, 0.01], {(1, 0), (5, 2)}, 92),
    ]
    for c in cases:
        with open(os.path.join(out, c["name"] + ".json"), "w") as f:
            json.dump(c, f)
        print("wrote", c["name"], "(" + c["source"] + ")")


if __name__ == "__main__":
    main()
