"""Writes src/test/resources/goldens/ema/*.json: the averages MMEngine's EMAHook keeps, for WeightAverageGoldenTest.

Transcribed (MMEngine / MMDetection are not installed here):
- mmengine/model/averaged_model.py (v0.10): BaseAveragedModel.update_parameters (steps == 0: a copy; else every
  `interval`-th step avg_func; steps += 1 each call), ExponentialMovingAverage.avg_func
  (`averaged_param.lerp_(source_param, self.momentum)`);
- mmdet/models/layers/ema.py (3.3): ExpMomentumEMA.avg_func
  (`momentum = (1 - self.momentum) * math.exp(-float(1 + steps) / self.gamma) + self.momentum`, then `lerp_`).
torch's lerp_ rounds differently for a weight below 0.5 (self + w·(end − self)) and from 0.5 on
(end − (end − self)·(1 − w)); the cases cover both. Each case: per update the source tensor (what the model holds
after that iteration) and the average after the update. Needs torch (checked with 1.13.1, CPU).
Run: python3 scripts/goldens/ema.py [OUT_DIR]
"""
import json
import math
import os
import sys

import torch


class Ema:
    def __init__(self, kind, momentum, gamma, interval, init):
        self.kind, self.momentum, self.gamma, self.interval = kind, momentum, gamma, interval
        self.avg = init.clone()
        self.steps = 0

    def avg_func(self, avg, src, steps):
        if self.kind == "ExpMomentumEMA":
            m = (1 - self.momentum) * math.exp(-float(1 + steps) / self.gamma) + self.momentum
        else:
            m = self.momentum
        avg.lerp_(src, m)

    def update_parameters(self, src):
        if self.steps == 0:
            self.avg.copy_(src)
        elif self.steps % self.interval == 0:
            self.avg_func(self.avg, src, self.steps)
        self.steps += 1


def case(name, kind, momentum, gamma, interval, updates, seed, n=64):
    g = torch.Generator().manual_seed(seed)
    src = torch.randn(n, generator=g, dtype=torch.float32)
    ema = Ema(kind, momentum, gamma, interval, torch.zeros(n))
    sources, averages = [], []
    for _ in range(updates):
        src = src + torch.randn(n, generator=g, dtype=torch.float32) * 0.1  # a training step
        ema.update_parameters(src)
        sources.append(src.tolist())
        averages.append(ema.avg.tolist())
    return dict(name=name, ema_type=kind, momentum=momentum, gamma=gamma, interval=interval,
                torch=torch.__version__, sources=sources, averages=averages)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "..", "src", "test", "resources", "goldens", "ema")
    os.makedirs(out, exist_ok=True)
    cases = [
        # momentum from ~1 down past 0.5 (step 13) to ~0.14: both lerp branches
        case("exp_momentum_gamma20", "ExpMomentumEMA", 0.0002, 20, 1, 40, 1),
        # MMDetection's YOLOX setting, interval 2: every weight below 0.5 after step 1385
        case("exp_momentum_interval2", "ExpMomentumEMA", 0.0002, 2000, 2, 12, 2),
        case("ema_momentum_0_75_interval3", "ExponentialMovingAverage", 0.75, 0, 3, 13, 3),
        case("ema_momentum_0_01", "ExponentialMovingAverage", 0.01, 0, 1, 10, 4),
    ]
    for c in cases:
        with open(os.path.join(out, c["name"] + ".json"), "w") as f:
            json.dump(c, f)
    print("wrote", len(cases), "cases to", out)


if __name__ == "__main__":
    main()
