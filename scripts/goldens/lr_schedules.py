"""Writes src/test/resources/goldens/lr_schedule/*.json: learning rates of MMEngine-style param_scheduler lists,
computed with torch.optim.lr_scheduler (whose chainable formulas MMEngine's schedulers share).

MMEngine's begin/end are reproduced the way its runner acts on them: a scheduler that begins at step b is built
at step b (its constructor's step leaves the value unchanged for these types), and the iteration-based ones step
after every iteration, the epoch-based ones after every epoch, in list order. Needs torch (>= 1.13).
Run: python3 scripts/goldens/lr_schedules.py [OUT_DIR]
"""
import json
import math
import os
import sys

import torch
from torch.optim import SGD
from torch.optim import lr_scheduler as S


class QuadraticWarmup(S._LRScheduler):
    """MMDetection's QuadraticWarmupParamScheduler._get_value (mmdet/engine/schedulers/quadratic_warmup.py):
    x_k = x_{k-1} + base * (2k + 1) / total_iters ** 2, x_0 = base / total_iters ** 2."""

    def __init__(self, optimizer, total_iters):
        self.total_iters = total_iters
        super().__init__(optimizer)

    def get_lr(self):
        k = self.last_epoch
        if k == 0:
            return [b * (2 * k + 1) / self.total_iters ** 2 for b in self.base_lrs]
        return [g['lr'] + b * (2 * k + 1) / self.total_iters ** 2
                for b, g in zip(self.base_lrs, self.optimizer.param_groups)]


class CosineRestart(S._LRScheduler):
    """MMEngine's CosineRestartParamScheduler._get_value (mmengine/optim/scheduler/param_scheduler.py): the cycle
    holding the step (get_position_from_periods over the cumulative periods), a restart at base * restart_weight, then
    the chained cosine towards eta_min (or base * eta_min_ratio); past the last cycle the value is left unchanged."""

    def __init__(self, optimizer, periods, restart_weights, eta_min=None, eta_min_ratio=None):
        self.periods, self.restart_weights = periods, restart_weights
        self.eta_min, self.eta_min_ratio = eta_min, eta_min_ratio
        self.cumulative = [sum(periods[:i + 1]) for i in range(len(periods))]
        super().__init__(optimizer)

    def get_lr(self):
        k = self.last_epoch
        idx = next((i for i, c in enumerate(self.cumulative) if k < c), None)
        if idx is None:
            return [g['lr'] for g in self.optimizer.param_groups]
        nearest = 0 if idx == 0 else self.cumulative[idx - 1]
        period, step = self.periods[idx], k - nearest
        out = []
        for base, g in zip(self.base_lrs, self.optimizer.param_groups):
            eta_max = base * self.restart_weights[idx]
            eta_min = self.eta_min if self.eta_min_ratio is None else base * self.eta_min_ratio
            if step == 0:
                out.append(eta_max)
            else:
                out.append((1 + math.cos(math.pi * step / period)) / (1 + math.cos(math.pi * (step - 1) / period))
                           * (g['lr'] - eta_min) + eta_min)
        return out


def run(name, base_lr, max_epochs, epoch_length, config, builders, lr_mults=(1.0,)):
    """builders: (by_epoch, begin_step, make(opt)[, end_step]) in config order; returns the lr of every iteration (of
    every param group, whose lr is base_lr times its multiplier, as MMEngine's paramwise_cfg makes them). A builder
    with an end step stops changing the value there (MMEngine acts only on begin <= step < end)."""
    opt = SGD([dict(params=[torch.zeros(1, requires_grad=True)], lr=base_lr * m) for m in lr_mults], lr=base_lr,
              momentum=0.9)
    live = []  # (by_epoch, scheduler) in config order
    pending = list(builders)

    def build(b):
        end = b[3] if len(b) > 3 else None
        live.append([b[0], b[2](opt), b[1], end])
        pending.remove(b)

    def build_due(by_epoch, step):
        for b in list(pending):
            if b[0] == by_epoch and b[1] == step:
                build(b)

    def step(sched):  # sched = [by_epoch, scheduler, global step, end]
        sched[2] += 1
        if sched[3] is None or sched[2] < sched[3]:
            sched[1].step()

    # MMEngine builds all at step 0: those beginning at 0 apply their first value now, in config order
    for b in list(pending):
        if b[1] == 0:
            build(b)
    lrs = [[] for _ in lr_mults]
    it = 0
    for epoch in range(max_epochs):
        for _ in range(epoch_length):
            for g, group in enumerate(opt.param_groups):
                lrs[g].append(group['lr'])
            opt.step()
            it += 1
            for sched in list(live):
                if not sched[0]:
                    step(sched)
            build_due(False, it)
        for sched in list(live):
            if sched[0]:
                step(sched)
        build_due(True, epoch + 1)
    out = dict(name=name, base_lr=base_lr, max_epochs=max_epochs, epoch_length=epoch_length,
               param_scheduler=config, lr=lrs[0])
    if len(lr_mults) > 1:
        out['lr_mults'] = list(lr_mults)
        out['group_lr'] = lrs
    return out


def cases():
    L = 30
    yield run('recipe_warmup_multistep', 0.01, 12, L,
              [dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
               dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[8, 11], gamma=0.1)],
              [(False, 0, lambda o: S.LinearLR(o, start_factor=0.001, total_iters=99)),
               (True, 0, lambda o: S.MultiStepLR(o, milestones=[8, 11], gamma=0.1))])
    # cosine over the whole run, converted to iterations, after a linear warm-up (a common MMDetection pairing)
    yield run('warmup_cosine_converted', 0.02, 6, L,
              [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
               dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-4, convert_to_iter_based=True)],
              [(False, 0, lambda o: S.LinearLR(o, start_factor=0.1, total_iters=49)),
               (False, 0, lambda o: S.CosineAnnealingLR(o, T_max=6 * L, eta_min=1e-4))])
    # cosine that begins after one warm-up epoch, with an explicit T_max and eta_min_ratio (eta_min = base · ratio)
    yield run('warmup_epoch_then_cosine_ratio', 0.01, 5, L,
              [dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=L),
               dict(type='CosineAnnealingLR', T_max=4, by_epoch=True, begin=1, end=5, eta_min_ratio=0.05,
                    convert_to_iter_based=True)],
              [(False, 0, lambda o: S.LinearLR(o, start_factor=0.001, total_iters=L - 1)),
               (False, L, lambda o: S.CosineAnnealingLR(o, T_max=4 * L, eta_min=0.01 * 0.05))])
    # cosine by epoch, not converted: one value per epoch
    yield run('cosine_by_epoch', 0.01, 8, 5,
              [dict(type='CosineAnnealingLR', T_max=8, by_epoch=True, begin=0, end=8)],
              [(True, 0, lambda o: S.CosineAnnealingLR(o, T_max=8))])
    # two param groups (bias_lr_mult 2): an absolute eta_min is not a multiplication, so each group is its own
    yield run('two_groups_warmup_cosine_eta_min', 0.01, 4, 20,
              [dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
               dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-3, convert_to_iter_based=True)],
              [(False, 0, lambda o: S.LinearLR(o, start_factor=0.01, total_iters=29)),
               (False, 0, lambda o: S.CosineAnnealingLR(o, T_max=4 * 20, eta_min=1e-3))],
              lr_mults=(1.0, 2.0))
    # poly decay per iteration over the whole run (default end = max_iters)
    yield run('poly_by_iter', 0.01, 4, 25,
              [dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=False, begin=0)],
              [(False, 0, lambda o: S.PolynomialLR(o, total_iters=4 * 25 - 1, power=0.9))])
    # step + exponential + constant together, mixing epoch- and iteration-based steps
    yield run('step_exponential_constant', 0.1, 9, 10,
              [dict(type='StepLR', step_size=3, gamma=0.5, by_epoch=True),
               dict(type='ExponentialLR', gamma=0.995, by_epoch=False),
               dict(type='ConstantLR', factor=0.5, by_epoch=True, begin=0, end=2)],
              [(True, 0, lambda o: S.StepLR(o, step_size=3, gamma=0.5)),
               (False, 0, lambda o: S.ExponentialLR(o, gamma=0.995)),
               (True, 0, lambda o: S.ConstantLR(o, factor=0.5, total_iters=1))])
    # YOLOX's schedule (configs/yolox/yolox_s_8xb8-300e_coco.py), scaled down: a quadratic warm-up over 2 epochs and a
    # cosine to 5% over epochs 2..5, both converted to iterations, then a constant rate (factor 1) for the last epoch
    yield run('yolox_quadratic_warmup_cosine', 0.01, 6, 10,
              [dict(type='mmdet.QuadraticWarmupLR', by_epoch=True, begin=0, end=2, convert_to_iter_based=True),
               dict(type='CosineAnnealingLR', eta_min=0.01 * 0.05, begin=2, T_max=3, end=5, by_epoch=True,
                    convert_to_iter_based=True),
               dict(type='ConstantLR', by_epoch=True, factor=1, begin=5, end=6)],
              [(False, 0, lambda o: QuadraticWarmup(o, 20), 20),
               (False, 20, lambda o: S.CosineAnnealingLR(o, T_max=30, eta_min=0.01 * 0.05), 50),
               (True, 5, lambda o: S.ConstantLR(o, factor=1, total_iters=0), 6)])
    # a repeated milestone multiplies by gamma as often as it appears (MMEngine keeps a Counter of them)
    yield run('multistep_repeated_milestone', 0.02, 6, 4,
              [dict(type='MultiStepLR', by_epoch=True, milestones=[2, 4, 4], gamma=0.5)],
              [(True, 0, lambda o: S.MultiStepLR(o, milestones=[2, 4, 4], gamma=0.5))])
    # cosine restarts converted to iterations (periods 2 and 4 epochs, the second restart at half the rate) after a
    # linear warm-up, two param groups: eta_min_ratio follows each group's own base
    yield run('warmup_cosine_restart_converted', 0.01, 6, 10,
              [dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
               dict(type='CosineRestartLR', periods=[2, 4], restart_weights=[1, 0.5], eta_min_ratio=0.1, by_epoch=True,
                    begin=0, end=6, convert_to_iter_based=True)],
              [(False, 0, lambda o: S.LinearLR(o, start_factor=0.01, total_iters=19), 20),
               (False, 0, lambda o: CosineRestart(o, [20, 40], [1, 0.5], eta_min_ratio=0.1), 60)],
              lr_mults=(1.0, 2.0))
    # by epoch with an absolute eta_min and cycles shorter than the run: after them the rate stays where it ended
    yield run('cosine_restart_by_epoch_past_cycles', 0.02, 9, 3,
              [dict(type='CosineRestartLR', periods=[3, 3], restart_weights=[1, 1], eta_min=1e-3, by_epoch=True)],
              [(True, 0, lambda o: CosineRestart(o, [3, 3], [1, 1], eta_min=1e-3))])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else 'src/test/resources/goldens/lr_schedule'
    os.makedirs(out, exist_ok=True)
    for c in cases():
        with open(os.path.join(out, c['name'] + '.json'), 'w') as f:
            json.dump(c, f, indent=None)
            f.write('\n')
        print(c['name'], len(c['lr']), 'iterations')


if __name__ == '__main__':
    main()
