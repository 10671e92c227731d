#!/usr/bin/env python3
"""Goldens for the dropout of MMDetection 3.3.0's Swin Transformer (mmdet/models/backbones/swin.py) in train mode.

torch's own dropout masks come from its Philox / mt19937 streams, which the engine does not reproduce; so this checks
everything else about upstream's dropout in Swin: where the nn.Dropout modules sit (drop_after_pos: drop_rate;
WindowMSA's attn_drop: attn_drop_rate, on the softmax; proj_drop: drop_rate; MMCV FFN's two Dropout(ffn_drop):
drop_rate), the order the forward reaches them, the scaling 1/(1 - p) and the gradients. Every nn.Dropout of the
transcription in scripts/goldens/swin.py (upstream's modules at upstream's places) is replaced by CounterDropout, which
draws its mask as the engine does (autoassign.backend.DropoutMath: SplitMix64's finaliser of seed + (i + 1) * golden
gamma over the contiguous element index i, kept when the top 24 bits >= ceil(p * 2^24), kept values times
float32(1 / float32(1 - p))), with one seed per call from java.util.Random(train_seed).nextLong() in forward order
(the engine's SwinTransformer.setTrainingRandom generator; drop_path_rate is 0 here, so drop path draws nothing).

Each case <case>.json: as scripts/goldens/swin.py's cases (backbone config with drop_rate / attn_drop_rate, state dict,
input, outputs, loss weights, input and parameter gradients), from a train-mode forward, plus train_seed and the number
of dropout calls.
Run: /usr/bin/python3 scripts/goldens/swin_dropout.py [OUT_DIR]
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import swin  # noqa: E402  (the transcription of upstream's Swin)

M64 = (1 << 64) - 1


class JavaRandom:
    """java.util.Random: the 48-bit LCG, nextLong = (next(32) << 32) + next(32) in signed 64-bit arithmetic."""

    def __init__(self, seed):
        self.s = (seed ^ 0x5DEECE66D) & ((1 << 48) - 1)

    def next(self, bits):
        self.s = (self.s * 0x5DEECE66D + 0xB) & ((1 << 48) - 1)
        r = self.s >> (48 - bits)
        return r - (1 << bits) if r >= 1 << (bits - 1) else r

    def next_long(self):
        v = ((self.next(32) << 32) + self.next(32)) & M64
        return v  # as unsigned 64 bits (the engine's seed bits)


def bits(seed, n):
    with np.errstate(over='ignore'):
        i = np.arange(1, n + 1, dtype=np.uint64)
        z = np.uint64(seed) + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.int64)


class CounterDropout(nn.Module):
    def __init__(self, p, rng, log):
        super().__init__()
        self.p, self.rng, self.log = p, rng, log

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        seed = self.rng.next_long()
        self.log.append(seed)
        thr = int(np.ceil(self.p * (1 << 24)))
        keep = torch.from_numpy(bits(seed, x.numel()) >= thr).view(x.shape)
        scale = torch.tensor(1.0, dtype=torch.float32) / torch.tensor(1 - self.p, dtype=torch.float32)
        return x * torch.where(keep, scale, torch.zeros((), dtype=torch.float32))


def with_dropout(m, drop_rate, attn_drop_rate, rng, log):
    m.drop_after_pos = CounterDropout(drop_rate, rng, log)
    for stage in m.stages:
        for blk in stage.blocks:
            blk.attn.w_msa.attn_drop = CounterDropout(attn_drop_rate, rng, log)
            blk.attn.w_msa.proj_drop = CounterDropout(drop_rate, rng, log)
            blk.ffn.layers[0][2] = CounterDropout(drop_rate, rng, log)
            blk.ffn.layers[2] = CounterDropout(drop_rate, rng, log)
    return m


CASES = [  # name, backbone kwargs, drop_rate, attn_drop_rate, train seed, input shape
    ("e8_w3_drop_0.2_attn_0.3", dict(embed_dims=8, depths=(2, 2), num_heads=(1, 2), window_size=3, out_indices=(0, 1)),
     0.2, 0.3, 17, (2, 3, 29, 35)),
    ("e12_w4_drop_0.5_abs_pos", dict(embed_dims=12, depths=(1, 2), num_heads=(2, 3), window_size=4, out_indices=(1,),
                                     use_abs_pos_embed=True, pretrain_img_size=(32, 40)), 0.5, 0.0, -5, (1, 3, 32, 37)),
]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                                  "../../src/test/resources/goldens/swin_dropout")
    os.makedirs(out_dir, exist_ok=True)
    g = torch.Generator().manual_seed(20261128)
    for name, kw, drop, attn_drop, seed, shape in CASES:
        m = swin.SwinTransformer(**kw)
        swin.randomize(m, g)
        log = []
        with_dropout(m, drop, attn_drop, JavaRandom(seed), log)
        m.train()
        x = (torch.rand(shape, generator=g) * 2 - 1).requires_grad_(True)
        outs = m(x)
        ws = [torch.randn(o.shape, generator=g) for o in outs]
        loss = sum((o * w).sum() for o, w in zip(outs, ws))
        loss.backward()
        backbone = swin.cfg_of(kw)
        backbone.update(drop_rate=drop, attn_drop_rate=attn_drop, drop_path_rate=0.0)
        case = {"name": name, "torch": torch.__version__, "backbone": backbone, "train_seed": seed,
                "dropout_calls": len(log), "input_shape": list(shape), "input": swin.vals(x.detach()),
                "state_dict": [{"name": k, "shape": list(t.shape), "values": swin.vals(t.float())}
                               for k, t in m.state_dict().items()],
                "outputs": [{"shape": list(o.shape), "values": swin.vals(o.detach())} for o in outs],
                "loss_weights": [swin.vals(w) for w in ws], "loss": float(loss),
                "input_grad": swin.vals(x.grad),
                "grads": [{"name": k, "values": swin.vals(p.grad)} for k, p in m.named_parameters()]}
        with open(os.path.join(out_dir, name + ".json"), "w") as fh:
            json.dump(case, fh)
        print(name, "dropout calls", len(log), "loss", float(loss))


if __name__ == "__main__":
    main()
