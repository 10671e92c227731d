"""Writes src/test/resources/goldens/lr_schedule/*.json: learning rates of MMEngine-style param_scheduler lists,
computed with torch.optim.lr_scheduler (whose chainable formulas MMEngine's schedulers share).

MMEngine's begin/end are reproduced the way its runner acts on them: a scheduler that begins at step b is built
at step b (its constructor's step leaves the value unchanged for these types), and the iteration-based ones step
after every iteration, the epoch-based ones after every epoch, in list order. Needs torch (>= 1.13).
Also writes goldens/param_schedule (MMEngine's schedulers transcribed: momentum, OneCycle, ReduceOnPlateau; see
param_cases) and goldens/scheduled_momentum_steps (torch's SGD / Adam with the momentum changed between steps).
Run: /usr/bin/python3 scripts/goldens/lr_schedules.py [GOLDENS_DIR]   (default src/test/resources/goldens)
"""
import json
import math
import os
import random
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


# ---------------------------------------------------------------------------------------------------------------------
# goldens/param_schedule: MMEngine's schedulers themselves, transcribed from mmengine/optim/scheduler/param_scheduler.py
# (open-mmlab/mmengine c7a3324f49b8c83c8087601359bcfc8a12eddc6d; ReduceOnPlateauParamScheduler, which that stored copy
# predates, from MMEngine's later param_scheduler.py, with OneCycle's total_steps = end - begin fix), momentum_scheduler.py
# (MomentumSchedulerMixin, 00ea612fce0e315aeeaa3bc54fdf6801dae15f4f), lr_scheduler.py (LRSchedulerMixin), MMDetection's
# quadratic_warmup.py, and stepped as mmengine/hooks/param_scheduler_hook.py (00d40d45a8cbb07d1497f4104111b166b97824c0)
# does: after_train_iter, after_train_epoch, after_val_epoch with the metrics. The runner's build_param_scheduler gives
# `end` its default (max_epochs / max_iters) before build_iter_from_epoch converts it. OneCycle and ReduceOnPlateau are
# cross-checked against torch 1.13's OneCycleLR (cycle_momentum=False: MMEngine's does not cycle the momentum) and
# ReduceLROnPlateau (mode / threshold_mode / min_lr; torch's initial best is inf, MMEngine's INF = 1e9) where they agree.

MM_INF = int(1e9)


class Optim:
    """What the schedulers see of an optimizer: param_groups (dicts) and defaults; SGD's have 'momentum', Adam's 'betas'."""

    def __init__(self, kind, lrs, momentum):
        if kind == 'SGD':
            self.defaults = dict(lr=lrs[0], momentum=momentum)
            self.param_groups = [dict(lr=lr, momentum=momentum) for lr in lrs]
        else:
            self.defaults = dict(lr=lrs[0], betas=(momentum, 0.999))
            self.param_groups = [dict(lr=lr, betas=(momentum, 0.999)) for lr in lrs]

    def momentum(self):
        g = self.param_groups[0]
        return g['momentum'] if 'momentum' in self.defaults else g['betas'][0]


class ParamScheduler:
    """_ParamScheduler (without the optimizer.step counter, which only warns)."""

    def __init__(self, optimizer, param_name, begin=0, end=MM_INF, last_step=-1, by_epoch=True):
        self.optimizer, self.param_name = optimizer, param_name
        if end <= begin:
            raise ValueError('end should be larger than begin')
        self.begin, self.end, self.by_epoch = begin, end, by_epoch
        for group in optimizer.param_groups:
            group.setdefault(f'initial_{param_name}', group[param_name])
        self.base_values = [group[f'initial_{param_name}'] for group in optimizer.param_groups]
        self.last_step = last_step
        self._global_step = -1
        self.step()

    def step(self):
        self._global_step += 1
        if self.begin <= self._global_step < self.end:
            self.last_step += 1
            values = self._get_value()
            for param_group, value in zip(self.optimizer.param_groups, values):
                param_group[self.param_name] = value


def cur(s):
    return [g[s.param_name] for g in s.optimizer.param_groups]


class StepPS(ParamScheduler):
    def __init__(self, optimizer, param_name, step_size, gamma=0.1, **kw):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, param_name, **kw)

    def _get_value(self):
        if self.last_step == 0 or self.last_step % self.step_size != 0:
            return cur(self)
        return [v * self.gamma for v in cur(self)]


class MultiStepPS(ParamScheduler):
    def __init__(self, optimizer, param_name, milestones, gamma=0.1, **kw):
        from collections import Counter
        self.milestones, self.gamma = Counter(milestones), gamma
        super().__init__(optimizer, param_name, **kw)

    def _get_value(self):
        if self.last_step not in self.milestones:
            return cur(self)
        return [v * self.gamma ** self.milestones[self.last_step] for v in cur(self)]


class ConstantPS(ParamScheduler):
    def __init__(self, optimizer, param_name, factor=1.0 / 3, begin=0, end=MM_INF, **kw):
        self.factor, self.total_iters = factor, end - begin - 1
        super().__init__(optimizer, param_name, begin=begin, end=end, **kw)

    def _get_value(self):
        if self.last_step == 0:
            return [v * self.factor for v in cur(self)]
        if self.last_step > self.total_iters or self.last_step != self.total_iters:
            return cur(self)
        return [v * (1.0 / self.factor) for v in cur(self)]


class ExponentialPS(ParamScheduler):
    def __init__(self, optimizer, param_name, gamma, **kw):
        self.gamma = gamma
        super().__init__(optimizer, param_name, **kw)

    def _get_value(self):
        if self.last_step == 0:
            return cur(self)
        return [v * self.gamma for v in cur(self)]


class CosineAnnealingPS(ParamScheduler):
    def __init__(self, optimizer, param_name, T_max=None, eta_min=None, begin=0, end=MM_INF, eta_min_ratio=None, **kw):
        if eta_min is None and eta_min_ratio is None:
            eta_min = 0.
        self.T_max = T_max or (end - begin)
        self.eta_min, self.eta_min_ratio = eta_min, eta_min_ratio
        super().__init__(optimizer, param_name, begin=begin, end=end, **kw)

    def _get_value(self):
        if self.last_step == 0:
            return cur(self)
        out = []
        for base_value, group in zip(self.base_values, self.optimizer.param_groups):
            eta_min = self.eta_min if self.eta_min_ratio is None else base_value * self.eta_min_ratio
            v = group[self.param_name]
            if (self.last_step - 1 - self.T_max) % (2 * self.T_max) == 0:
                out.append(v + (base_value - eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2)
            else:
                out.append((1 + math.cos(math.pi * self.last_step / self.T_max)) /
                           (1 + math.cos(math.pi * (self.last_step - 1) / self.T_max)) * (v - eta_min) + eta_min)
        return out


class LinearPS(ParamScheduler):
    def __init__(self, optimizer, param_name, start_factor=1.0 / 3, end_factor=1.0, begin=0, end=MM_INF, **kw):
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, end - begin - 1
        super().__init__(optimizer, param_name, begin=begin, end=end, **kw)

    def _get_value(self):
        if self.last_step == 0:
            return [v * self.start_factor for v in cur(self)]
        return [v * (1. + (self.end_factor - self.start_factor) /
                     (self.total_iters * self.start_factor + (self.last_step - 1) * (self.end_factor - self.start_factor)))
                for v in cur(self)]


class PolyPS(ParamScheduler):
    def __init__(self, optimizer, param_name, eta_min=0, power=1.0, begin=0, end=MM_INF, **kw):
        self.eta_min, self.power, self.total_iters = eta_min, power, end - begin - 1
        super().__init__(optimizer, param_name, begin=begin, end=end, **kw)

    def _get_value(self):
        if self.last_step == 0:
            return cur(self)
        return [(v - self.eta_min) * (1 - 1 / (self.total_iters - self.last_step + 1)) ** self.power + self.eta_min
                for v in cur(self)]


class OneCyclePS(ParamScheduler):
    def __init__(self, optimizer, param_name, eta_max=0, total_steps=None, pct_start=0.3, anneal_strategy='cos',
                 div_factor=25., final_div_factor=1e4, three_phase=False, begin=0, end=MM_INF, last_step=-1, by_epoch=True):
        assert param_name == 'lr'
        self.total_steps = total_steps if total_steps is not None else end - begin
        self.anneal_func = self._annealing_cos if anneal_strategy == 'cos' else self._annealing_linear
        p = param_name
        if three_phase:
            self._schedule_phases = [
                {'end_step': float(pct_start * self.total_steps) - 1, f'start_{p}': f'initial_{p}', f'end_{p}': f'max_{p}'},
                {'end_step': float(2 * pct_start * self.total_steps) - 2, f'start_{p}': f'max_{p}', f'end_{p}': f'initial_{p}'},
                {'end_step': self.total_steps - 1, f'start_{p}': f'initial_{p}', f'end_{p}': f'min_{p}'}]
        else:
            self._schedule_phases = [
                {'end_step': float(pct_start * self.total_steps) - 1, f'start_{p}': f'initial_{p}', f'end_{p}': f'max_{p}'},
                {'end_step': self.total_steps - 1, f'start_{p}': f'max_{p}', f'end_{p}': f'min_{p}'}]
        for group in optimizer.param_groups:
            group[f'initial_{p}'] = eta_max / div_factor
            group[f'max_{p}'] = eta_max
            group[f'min_{p}'] = group[f'initial_{p}'] / final_div_factor
        super().__init__(optimizer, param_name, begin=begin, end=end, last_step=last_step, by_epoch=by_epoch)

    @staticmethod
    def _annealing_cos(start, end, pct):
        cos_out = math.cos(math.pi * pct) + 1
        return end + (start - end) / 2.0 * cos_out

    @staticmethod
    def _annealing_linear(start, end, pct):
        return (end - start) * pct + start

    def _get_value(self):
        params = []
        step_num = self.last_step
        if step_num > self.total_steps:
            raise ValueError(f'Tried to step {step_num + 1} times. The specified number of total steps is {self.total_steps}')
        for group in self.optimizer.param_groups:
            start_step = 0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase['end_step']
                if step_num <= end_step or i == len(self._schedule_phases) - 1:
                    pct = (step_num - start_step) / (end_step - start_step)
                    computed = self.anneal_func(group[phase['start_' + self.param_name]],
                                                group[phase['end_' + self.param_name]], pct)
                    break
                start_step = phase['end_step']
            params.append(computed)
        return params


class ReduceOnPlateauPS(ParamScheduler):
    need_val_args = True

    def __init__(self, optimizer, param_name, monitor='loss', rule='less', factor=0.1, patience=10, threshold=1e-4,
                 threshold_rule='rel', cooldown=0, min_value=0., eps=1e-8, begin=0, end=MM_INF, last_step=-1,
                 by_epoch=True):
        self.optimizer, self.param_name = optimizer, param_name
        self.begin, self.end = begin, end
        assert by_epoch
        self.by_epoch = by_epoch
        for group in optimizer.param_groups:
            group.setdefault(f'initial_{param_name}', group[param_name])
        self.last_step = last_step
        self._global_step = 0
        if factor >= 1.0:
            raise ValueError('Factor should be < 1.0.')
        self.factor = factor
        self.min_values = [min_value] * len(optimizer.param_groups)
        self.patience, self.cooldown, self.cooldown_counter = patience, cooldown, 0
        self.eps, self.monitor = eps, monitor
        self.rule, self.threshold, self.threshold_rule = rule, threshold, threshold_rule
        self.rule_worse = MM_INF if rule == 'less' else -MM_INF
        self.best, self.num_bad_epochs = self.rule_worse, 0

    def step(self, metrics=None):
        if metrics is None:
            self._global_step += 1
            return
        if self.begin <= self._global_step < self.end:
            self.last_step += 1
            metric = metrics.get(self.monitor, None)
            if metric is None:
                raise KeyError(f'Excepted key in {list(metrics.keys())}, but got key {self.monitor} is not in dict')
            if self._is_better(metric, self.best):
                self.best, self.num_bad_epochs = metric, 0
            else:
                self.num_bad_epochs += 1
            if self.cooldown_counter > 0:
                self.cooldown_counter -= 1
                self.num_bad_epochs = 0
            if self.num_bad_epochs > self.patience:
                values = [max(float(g[self.param_name]) * self.factor, m)
                          for g, m in zip(self.optimizer.param_groups, self.min_values)]
                for g, value in zip(self.optimizer.param_groups, values):
                    if g[self.param_name] - value > self.eps:
                        g[self.param_name] = value
                self.cooldown_counter = self.cooldown
                self.num_bad_epochs = 0

    def _is_better(self, a, best):
        if self.rule == 'less' and self.threshold_rule == 'rel':
            return a < best * (1. - self.threshold)
        elif self.rule == 'less' and self.threshold_rule == 'abs':
            return a < best - self.threshold
        elif self.rule == 'greater' and self.threshold_rule == 'rel':
            return a > best * (self.threshold + 1.)
        return a > best + self.threshold


class QuadraticWarmupPS(ParamScheduler):
    """MMDetection's QuadraticWarmupParamScheduler."""

    def __init__(self, optimizer, param_name, begin=0, end=MM_INF, **kw):
        self.total_iters = end - begin
        super().__init__(optimizer, param_name, begin=begin, end=end, **kw)

    def _get_value(self):
        if self.last_step == 0:
            return [b * (2 * self.last_step + 1) / self.total_iters ** 2 for b in self.base_values]
        return [g[self.param_name] + b * (2 * self.last_step + 1) / self.total_iters ** 2
                for b, g in zip(self.base_values, self.optimizer.param_groups)]


class CosineRestartPS(ParamScheduler):
    def __init__(self, optimizer, param_name, periods, restart_weights=(1,), eta_min=None, eta_min_ratio=None, **kw):
        self.periods, self.restart_weights = periods, restart_weights
        self.eta_min, self.eta_min_ratio = eta_min, eta_min_ratio
        self.cumulative_periods = [sum(periods[0:i + 1]) for i in range(len(periods))]
        super().__init__(optimizer, param_name, **kw)

    def _get_value(self):
        idx = next((i for i, p in enumerate(self.cumulative_periods) if self.last_step < p), None)
        if idx is None:
            return cur(self)
        nearest = 0 if idx == 0 else self.cumulative_periods[idx - 1]
        period, step = self.periods[idx], self.last_step - nearest
        out = []
        for base, g in zip(self.base_values, self.optimizer.param_groups):
            eta_max = base * self.restart_weights[idx]
            eta_min = self.eta_min if self.eta_min_ratio is None else base * self.eta_min_ratio
            out.append(eta_max if step == 0 else (1 + math.cos(math.pi * step / period)) /
                       (1 + math.cos(math.pi * (step - 1) / period)) * (g[self.param_name] - eta_min) + eta_min)
        return out


class MomentumMixin:
    """MomentumSchedulerMixin: 'momentum' of SGD, or betas[0] of the Adam family kept in group['momentum']."""

    @staticmethod
    def wrap(cls):
        class Momentum(cls):
            def __init__(self, optimizer, *args, **kwargs):
                self.use_betas = False
                if 'momentum' in optimizer.defaults:
                    pass
                elif 'betas' in optimizer.defaults:
                    self.use_betas = True
                    for group in optimizer.param_groups:
                        group['momentum'] = group['betas'][0]
                else:
                    raise ValueError('optimizer must support momentum when using momentum scheduler')
                super().__init__(optimizer, 'momentum', *args, **kwargs)

            def step(self, *args):
                super().step(*args)
                if self.use_betas:
                    for group in self.optimizer.param_groups:
                        _, beta_1 = group['betas']
                        group['betas'] = (group['momentum'], beta_1)
        return Momentum


CLASSES = dict(Step=(StepPS, ['step_size']), MultiStep=(MultiStepPS, ['milestones']), Constant=(ConstantPS, []),
               Exponential=(ExponentialPS, []), CosineAnnealing=(CosineAnnealingPS, ['T_max']), Linear=(LinearPS, []),
               Poly=(PolyPS, []), OneCycle=(OneCyclePS, ['total_steps']), ReduceOnPlateau=(ReduceOnPlateauPS, []),
               QuadraticWarmup=(QuadraticWarmupPS, []), CosineRestart=(CosineRestartPS, ['periods']))


def build(cfg, optim, max_epochs, max_iters, epoch_length):
    """Runner.build_param_scheduler + build_scheduler_from_cfg: the default end, then build_iter_from_epoch when
    convert_to_iter_based (begin, end and the listed step counts times the epoch length; end INF stays)."""
    c = dict(cfg)
    t = c.pop('type').split('.')[-1]
    c.setdefault('end', max_epochs if c.get('by_epoch', True) else max_iters)
    if t.endswith('ParamScheduler'):
        base, param = t[:-len('ParamScheduler')], c.pop('param_name')
    elif t.endswith('Momentum'):
        base, param = t[:-len('Momentum')], 'momentum'
    else:
        base, param = t[:-2], 'lr'
    cls, scaled = CLASSES[base]
    if c.pop('convert_to_iter_based', False):
        c['by_epoch'] = False
        c['begin'] = int(c.get('begin', 0) * epoch_length)
        if c['end'] != MM_INF:
            c['end'] = int(c['end'] * epoch_length)
        for k in scaled:
            if c.get(k) is not None:
                c[k] = [p * epoch_length for p in c[k]] if isinstance(c[k], list) else c[k] * epoch_length
    # MMEngine's *Momentum classes take the mixin; a generic one with param_name='momentum' is the plain class, which
    # reads and writes group['momentum'] (SGD's; Adam's groups have none: KeyError)
    if param == 'momentum' and not t.endswith('ParamScheduler'):
        return MomentumMixin.wrap(cls)(optim, **c)
    return cls(optim, param, **c)


def run_mm(name, kind, base_lr, base_momentum, max_epochs, epoch_length, config, lr_mults=(1.0,), metrics=None,
           val_interval=1):
    """The lr (each group's) and momentum of every iteration of an EpochBasedTrainLoop; after every val_interval-th epoch
    (and the last) a validation hands the next dict of `metrics` to after_val_epoch."""
    optim = Optim(kind, [base_lr * m for m in lr_mults], base_momentum)
    max_iters = max_epochs * epoch_length
    scheds = [build(c, optim, max_epochs, max_iters, epoch_length) for c in config]
    lrs, moms, vals = [[] for _ in lr_mults], [], 0
    for epoch in range(max_epochs):
        for _ in range(epoch_length):
            for g, group in enumerate(optim.param_groups):
                lrs[g].append(group['lr'])
            moms.append(optim.momentum())
            for s in scheds:
                if not s.by_epoch:
                    s.step()
        for s in scheds:
            if s.by_epoch:
                s.step()
        if metrics is not None and ((epoch + 1) % val_interval == 0 or epoch + 1 == max_epochs):
            m = metrics[vals]
            vals += 1
            for s in scheds:
                if s.by_epoch and getattr(s, 'need_val_args', False):
                    s.step(m)
    out = dict(name=name, optimizer=kind, base_lr=base_lr, base_momentum=base_momentum, max_epochs=max_epochs,
               epoch_length=epoch_length, param_scheduler=config, lr=lrs[0], momentum=moms)
    if len(lr_mults) > 1:
        out['lr_mults'] = list(lr_mults)
        out['group_lr'] = lrs
    if metrics is not None:
        out['val_interval'] = val_interval
        out['metrics'] = metrics
    return out


def close(a, b, what):
    assert len(a) == len(b), what
    for i, (x, y) in enumerate(zip(a, b)):
        assert abs(x - y) <= 1e-12 * max(abs(x), abs(y), 1e-300), f'{what}: step {i}: {x} != {y}'


def torch_one_cycle(total, **kw):
    opt = SGD([torch.zeros(1, requires_grad=True)], lr=1.0, momentum=0.9)
    s = S.OneCycleLR(opt, total_steps=total, cycle_momentum=False, **kw)
    out = []
    for _ in range(total):
        out.append(opt.param_groups[0]['lr'])
        opt.step()
        s.step()
    return out


def torch_plateau(base_lr, values, **kw):
    opt = SGD([torch.zeros(1, requires_grad=True)], lr=base_lr, momentum=0.9)
    s = S.ReduceLROnPlateau(opt, **kw)
    out = []
    for v in values:
        opt.step()
        s.step(v)
        out.append(opt.param_groups[0]['lr'])
    return out


def param_cases():
    # momentum: SGD's momentum and Adam's betas[0], the chainable formulas beside the LR ones
    yield run_mm('sgd_linear_momentum_warmup_with_lr', 'SGD', 0.01, 0.95, 3, 10,
                 [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=15),
                  dict(type='LinearMomentum', start_factor=0.9, end_factor=1.0, by_epoch=False, begin=0, end=15),
                  dict(type='MultiStepMomentum', milestones=[2], gamma=0.9, by_epoch=True)])
    yield run_mm('adam_cosine_momentum_converted', 'Adam', 0.001, 0.9, 4, 6,
                 [dict(type='CosineAnnealingMomentum', eta_min=0.8, by_epoch=True, convert_to_iter_based=True),
                  dict(type='CosineAnnealingLR', eta_min_ratio=0.05, by_epoch=True, convert_to_iter_based=True)])
    yield run_mm('sgd_momentum_step_exponential_constant_poly', 'SGD', 0.02, 0.9, 6, 4,
                 [dict(type='StepMomentum', step_size=2, gamma=0.95, by_epoch=True),
                  dict(type='ExponentialMomentum', gamma=0.999, by_epoch=False, begin=3),
                  dict(type='ConstantMomentum', factor=0.5, by_epoch=True, begin=1, end=3),
                  dict(type='PolyMomentum', eta_min=0.5, power=2.0, by_epoch=False, begin=12, end=24)])
    yield run_mm('adam_cosine_restart_momentum_generic_lr', 'Adam', 0.001, 0.9, 4, 5,
                 [dict(type='CosineRestartMomentum', periods=[1, 2], restart_weights=[1, 0.9],
                       eta_min=0.85, by_epoch=True, convert_to_iter_based=True),
                  dict(type='LinearParamScheduler', param_name='lr', start_factor=0.5, by_epoch=False, begin=0, end=6),
                  dict(type='mmdet.QuadraticWarmupMomentum', by_epoch=False, begin=0, end=4)])
    # OneCycle, after which schedulers take eta_max / div_factor as their base (it sets every group's initial_lr)
    c = run_mm('one_cycle_cos_by_iter', 'SGD', 0.01, 0.9, 3, 20,
               [dict(type='OneCycleLR', eta_max=0.1, pct_start=0.25, by_epoch=False)])
    close(c['lr'], torch_one_cycle(60, max_lr=0.1, pct_start=0.25), c['name'] + ' vs torch OneCycleLR')
    yield c
    c = run_mm('one_cycle_linear_three_phase_total_steps', 'SGD', 0.01, 0.9, 2, 25,
               [dict(type='OneCycleLR', eta_max=0.05, total_steps=50, pct_start=0.3, anneal_strategy='linear',
                     div_factor=10., final_div_factor=100., three_phase=True, by_epoch=False)])
    close(c['lr'], torch_one_cycle(50, max_lr=0.05, pct_start=0.3, anneal_strategy='linear', div_factor=10.,
                                   final_div_factor=100., three_phase=True), c['name'] + ' vs torch OneCycleLR')
    yield c
    c = run_mm('one_cycle_converted_two_groups_then_cosine_ratio', 'SGD', 0.01, 0.9, 4, 8,
               [dict(type='OneCycleLR', eta_max=0.08, by_epoch=True, begin=0, end=2, convert_to_iter_based=True),
                dict(type='CosineAnnealingLR', eta_min_ratio=0.1, by_epoch=True, begin=2, end=4, convert_to_iter_based=True)],
               lr_mults=(1.0, 2.0))
    close(c['lr'][:16], torch_one_cycle(16, max_lr=0.08), c['name'] + ' vs torch OneCycleLR')
    yield c
    # ReduceOnPlateau with validation metrics: min / max, rel / abs, cooldown, min_value, and chained with a warm-up
    loss = [1.0, 0.9, 0.95, 0.91, 0.9, 0.92, 0.89, 0.95, 0.96, 0.97, 0.98, 0.99]
    c = run_mm('plateau_less_rel', 'SGD', 0.1, 0.9, 12, 3,
               [dict(type='ReduceOnPlateauLR', monitor='loss', patience=1, factor=0.5)],
               metrics=[dict(loss=v) for v in loss])
    close([c['lr'][(e + 1) * 3] for e in range(11)], torch_plateau(0.1, loss, patience=1, factor=0.5)[:11],
          c['name'] + ' vs torch ReduceLROnPlateau')
    yield c
    amap = [0.1, 0.2, 0.2005, 0.2008, 0.21, 0.21, 0.211, 0.2111, 0.2112, 0.22]
    c = run_mm('plateau_greater_abs_cooldown_min_value', 'SGD', 0.1, 0.9, 10, 2,
               [dict(type='ReduceOnPlateauLR', monitor='coco/bbox_mAP', rule='greater', threshold=0.001,
                     threshold_rule='abs', patience=0, cooldown=2, factor=0.3, min_value=0.005)],
               metrics=[{'coco/bbox_mAP': v, 'coco/bbox_mAP_50': 2 * v} for v in amap])
    close([c['lr'][(e + 1) * 2] for e in range(9)],
          torch_plateau(0.1, amap, mode='max', threshold=0.001, threshold_mode='abs', patience=0, cooldown=2,
                        factor=0.3, min_lr=0.005)[:9], c['name'] + ' vs torch ReduceLROnPlateau')
    yield c
    c = run_mm('plateau_greater_rel', 'SGD', 0.1, 0.9, 8, 2,
               [dict(type='ReduceOnPlateauLR', monitor='coco/bbox_mAP', rule='greater', threshold=0.1, patience=1)],
               metrics=[{'coco/bbox_mAP': v} for v in [0.1, 0.105, 0.2, 0.21, 0.215, 0.3, 0.3, 0.3]])
    yield c
    # begin / end count trained epochs; a validation every 2 epochs; chained after a warm-up, two groups, with eps
    c = run_mm('plateau_momentum_and_lr_begin_end_interval', 'SGD', 0.02, 0.9, 10, 3,
               [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5),
                dict(type='ReduceOnPlateauLR', monitor='loss', patience=0, factor=0.5, begin=2, end=9, eps=0.015),
                dict(type='ReduceOnPlateauMomentum', monitor='loss', patience=0, factor=0.9)],
               lr_mults=(1.0, 2.0), val_interval=2, metrics=[dict(loss=v) for v in [1.0, 1.0, 1.0, 1.0, 1.0]])
    yield c
    yield run_mm('plateau_adam_betas', 'Adam', 0.001, 0.9, 6, 2,
                 [dict(type='ReduceOnPlateauMomentum', monitor='loss', patience=1, factor=0.8, min_value=0.6)],
                 metrics=[dict(loss=v) for v in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]])
    # fractional begin / end converted to iterations: build_iter_from_epoch's int(begin * epoch_length) truncates
    # (0.5 * 7 = 3.5 -> 3, 3.3 * 7 = 23.099999999999998 -> 23, 1.25 * 7 -> 8, 2.75 * 7 -> 19, 3.6 * 7 -> 25; no end: max_epochs)
    yield run_mm('fractional_begin_end_converted', 'SGD', 0.01, 0.9, 4, 7,
                 [dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=0.5, convert_to_iter_based=True),
                  dict(type='CosineAnnealingLR', eta_min=1e-4, by_epoch=True, begin=0.5, end=3.3, convert_to_iter_based=True),
                  dict(type='LinearMomentum', start_factor=0.9, by_epoch=True, begin=1.25, end=2.75, convert_to_iter_based=True),
                  dict(type='ExponentialLR', gamma=0.99, by_epoch=True, begin=3.6, convert_to_iter_based=True)])
    # the generic forms with param_name='momentum' on SGD, whose groups have a 'momentum' of their own
    yield run_mm('sgd_generic_momentum_plateau_and_step', 'SGD', 0.01, 0.9, 6, 2,
                 [dict(type='ReduceOnPlateauParamScheduler', param_name='momentum', monitor='loss', patience=1,
                       factor=0.8, min_value=0.6),
                  dict(type='StepParamScheduler', param_name='momentum', step_size=3, gamma=0.99, by_epoch=False)],
                 metrics=[dict(loss=v) for v in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]])


# ---------------------------------------------------------------------------------------------------------------------
# goldens/param_schedule/random_chain_*: random param_scheduler lists through the transcription above (a review's
# differential test, 3000 such chains agreed with LrSchedule; these keep a few): one to four schedulers of every type,
# lr or momentum (the *LR / *Momentum classes or the generic *ParamScheduler with param_name), by epoch or iteration,
# converted or not, random begin / end (absent, INF, past the end of training), SGD or Adam, one to three param groups,
# ReduceOnPlateau fed random metrics every one or two epochs. Chains MMEngine itself refuses (an exception here, e.g.
# OneCycle stepped past total_steps) are drawn again.

RANDOM_TYPES = ['Linear', 'Constant', 'MultiStep', 'Step', 'Exponential', 'CosineAnnealing', 'Poly', 'QuadraticWarmup',
                'CosineRestart', 'OneCycle', 'ReduceOnPlateau']


def _random_sched(rng, kind, max_epochs, epoch_length, plateau_monitors):
    t = rng.choice(RANDOM_TYPES)
    param = 'lr' if t == 'OneCycle' else rng.choice(['lr', 'lr', 'momentum'])
    generic = t != 'OneCycle' and rng.random() < 0.25 and not (param == 'momentum' and kind == 'Adam')
    c = {}
    if generic:
        c['type'] = t + 'ParamScheduler'; c['param_name'] = param
    else:
        c['type'] = ('mmdet.' if t == 'QuadraticWarmup' else '') + t + ('LR' if param == 'lr' else 'Momentum')
    by_epoch = True if t == 'ReduceOnPlateau' else rng.random() < 0.5
    c['by_epoch'] = by_epoch
    conv = by_epoch and t != 'ReduceOnPlateau' and rng.random() < 0.5
    if conv: c['convert_to_iter_based'] = True
    steps = max_epochs if (by_epoch) else max_epochs * epoch_length
    begin = rng.choice([0, 0, rng.randint(0, max(0, steps - 1))])
    if begin: c['begin'] = begin
    r = rng.random()
    if r < 0.4: end = None
    elif r < 0.5 and t not in ('QuadraticWarmup',): end = 1000000000
    else: end = rng.randint(begin + 1, steps + 3)
    if end is not None: c['end'] = end
    if t == 'Linear':
        c['start_factor'] = round(rng.uniform(0.05, 1.0), 3)
        if rng.random() < 0.5: c['end_factor'] = round(rng.uniform(0.05, 1.0), 3)
    elif t == 'Constant':
        if rng.random() < 0.7: c['factor'] = round(rng.uniform(0.05, 1.0), 3)
    elif t == 'MultiStep':
        c['milestones'] = sorted(rng.randint(0, steps) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.5: c['gamma'] = round(rng.uniform(0.1, 0.9), 3)
    elif t == 'Step':
        c['step_size'] = rng.randint(1, 4)
        if rng.random() < 0.5: c['gamma'] = round(rng.uniform(0.1, 0.9), 3)
    elif t == 'Exponential':
        c['gamma'] = round(rng.uniform(0.8, 0.999), 4)
    elif t == 'CosineAnnealing':
        if rng.random() < 0.4: c['T_max'] = rng.randint(1, 8)
        x = rng.random()
        if x < 0.33: c['eta_min'] = round(rng.uniform(0, 0.5) * (0.01 if param == 'lr' else 1), 6)
        elif x < 0.66: c['eta_min_ratio'] = round(rng.uniform(0, 0.5), 3)
    elif t == 'Poly':
        if rng.random() < 0.5: c['eta_min'] = round(rng.uniform(0, 0.001), 6)
        if rng.random() < 0.5: c['power'] = round(rng.uniform(0.5, 3), 2)
    elif t == 'CosineRestart':
        n = rng.randint(1, 3)
        c['periods'] = [rng.randint(1, 4) for _ in range(n)]
        if rng.random() < 0.6: c['restart_weights'] = [round(rng.uniform(0.3, 1), 2) for _ in range(n)]
        elif n != 1: c['restart_weights'] = [1.0] * n
        if rng.random() < 0.5: c['eta_min'] = round(rng.uniform(0, 0.001), 6)
        else: c['eta_min_ratio'] = round(rng.uniform(0, 0.5), 3)
    elif t == 'OneCycle':
        c['eta_max'] = round(rng.uniform(0.01, 0.2), 4)
        if rng.random() < 0.3: c['total_steps'] = steps * 2 + rng.randint(0, 5)
        c['pct_start'] = rng.choice([0.3, 0.25, 0.4, 0.5])
        if rng.random() < 0.4: c['anneal_strategy'] = 'linear'
        if rng.random() < 0.4: c['three_phase'] = True
        if rng.random() < 0.3: c['div_factor'] = 10.0
        if rng.random() < 0.3: c['final_div_factor'] = 100.0
    elif t == 'ReduceOnPlateau':
        m = rng.choice(['loss', 'coco/bbox_mAP'])
        plateau_monitors.add(m)
        c['monitor'] = m
        if m == 'coco/bbox_mAP': c['rule'] = 'greater'
        c['patience'] = rng.randint(0, 2)
        if rng.random() < 0.5: c['factor'] = round(rng.uniform(0.2, 0.9), 2)
        if rng.random() < 0.3: c['threshold_rule'] = 'abs'
        if rng.random() < 0.3: c['threshold'] = 0.01
        if rng.random() < 0.3: c['cooldown'] = rng.randint(1, 2)
        if rng.random() < 0.3: c['min_value'] = 0.0005 if param == 'lr' else 0.5
    return c


def random_chain_cases(count=30, seed=2026):
    rng = random.Random(seed)
    made = 0
    while made < count:
        kind = rng.choice(['SGD', 'Adam'])
        max_epochs, epoch_length = rng.randint(1, 6), rng.randint(1, 7)
        monitors = set()
        cfg = [_random_sched(rng, kind, max_epochs, epoch_length, monitors) for _ in range(rng.randint(1, 4))]
        mults = rng.choice([(1.0,), (1.0, 2.0), (1.0, 0.1, 3.0)])
        metrics = None
        if monitors:
            metrics = [{'loss': round(rng.uniform(0.5, 1.0), 3), 'coco/bbox_mAP': round(rng.uniform(0.1, 0.5), 3)}
                       for _ in range(max_epochs)]
        val_interval = rng.choice([1, 1, 2])
        try:
            c = run_mm('random_chain_%02d' % made, kind, round(rng.uniform(0.001, 0.05), 4), round(rng.uniform(0.6, 0.99), 3),
                       max_epochs, epoch_length, cfg, lr_mults=mults, metrics=metrics, val_interval=val_interval)
        except Exception:  # MMEngine refuses it too
            continue
        made += 1
        yield c


def torch_momentum_steps():
    """goldens/scheduled_momentum_steps: torch.optim.SGD / Adam with the momentum (betas[0]) changed before each step,
    as MMEngine's momentum schedulers write the param group: the parameters after every step."""
    g = torch.Generator().manual_seed(7)
    # the *_zero cases schedule the momentum to exactly 0 at some steps: torch's SGD then makes, reads and writes no
    # momentum buffer (`if momentum != 0`), so a buffer is first made (a copy of the gradient) at the first step with a
    # momentum, and a step at 0 leaves it as it was
    for kind in ['SGD', 'SGD_dampening', 'Adam', 'AdamW', 'SGD_zero', 'SGD_dampening_zero']:
        p = torch.randn(6, generator=g, dtype=torch.float32)
        init = p.clone()
        p.requires_grad_(True)
        if kind.startswith('SGD'):
            damp = 0.1 if kind.startswith('SGD_dampening') else 0.0
            opt = torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=damp, weight_decay=1e-2)
        else:
            cls = torch.optim.Adam if kind == 'Adam' else torch.optim.AdamW
            opt = cls([p], lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=1e-2)
        moms = [0.0, 0.9, 0.0, 0.85, 0.9, 0.0, 0.8] if kind.endswith('_zero') else [0.9, 0.85, 0.8, 0.95, 0.7]
        grads, params = [], []
        for m in moms:
            grad = torch.randn(6, generator=g, dtype=torch.float32)
            for group in opt.param_groups:
                if kind.startswith('SGD'):
                    group['momentum'] = m
                else:
                    group['betas'] = (m, group['betas'][1])
            p.grad = grad.clone()
            opt.step()
            grads.append(grad.tolist())
            params.append(p.detach().clone().tolist())
        yield dict(name='momentum_steps_' + kind.lower(), optimizer=kind.split('_')[0],
                   lr=opt.param_groups[0]['lr'], weight_decay=1e-2, dampening=0.1 if kind.startswith('SGD_dampening') else 0.0,
                   beta2=0.99, eps=1e-8, init=init.tolist(), momentum=moms, grads=grads, params=params)


def write(out, cases, what):
    os.makedirs(out, exist_ok=True)
    for c in cases:
        with open(os.path.join(out, c['name'] + '.json'), 'w') as f:
            json.dump(c, f, indent=None)
            f.write('\n')
        print(c['name'], len(c.get(what, [])), what)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else 'src/test/resources/goldens'
    write(os.path.join(root, 'lr_schedule'), cases(), 'lr')
    write(os.path.join(root, 'param_schedule'), param_cases(), 'lr')
    write(os.path.join(root, 'param_schedule'), random_chain_cases(), 'lr')
    write(os.path.join(root, 'scheduled_momentum_steps'), torch_momentum_steps(), 'params')


if __name__ == '__main__':
    main()
