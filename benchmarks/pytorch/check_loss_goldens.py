#!/usr/bin/env python3
"""Checks autoassign_torch.autoassign_loss against the MMDetection loss goldens (float64): loss values and the
gradients w.r.t. every input. Usage: python3 check_loss_goldens.py [GOLDEN_DIR] (default ../shared/goldens/...)."""
import glob
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import autoassign_torch as A  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
default = os.path.join(here, "..", "..", "..", "shared", "goldens", "autoassign_loss")
folder = sys.argv[1] if len(sys.argv) > 1 else default
files = sorted(glob.glob(os.path.join(folder, "*.json")))
if not files:
    sys.exit("check_loss_goldens: no *.json in %s" % folder)
worst = 0.0
for path in files:
    d = json.load(open(path))
    inp, out, nc = d["inputs"], d["outputs"], d["num_classes"]
    b = len(inp["gt_bboxes"])
    sizes = d["featmap_sizes"]
    def maps(key, c):
        return [torch.tensor(v, dtype=torch.float64).view(b, c, h, w).requires_grad_()
                for v, (h, w) in zip(inp[key], sizes)]
    cls, dist, obj = maps("cls_scores", nc), maps("bbox_preds", 4), maps("objectnesses", 1)
    mean = torch.tensor(inp["center_prior_mean"], dtype=torch.float64).view(nc, 2).requires_grad_()
    sigma = torch.tensor(inp["center_prior_sigma"], dtype=torch.float64).view(nc, 2).requires_grad_()
    boxes = [torch.tensor(g, dtype=torch.float64).view(-1, 4) for g in inp["gt_bboxes"]]
    labels = [torch.tensor(l, dtype=torch.long) for l in inp["gt_labels"]]
    losses = A.autoassign_loss(cls, dist, obj, mean, sigma, boxes, labels)
    total = sum(losses.values())
    total.backward()
    errs = {}
    for k in ("loss_pos", "loss_neg", "loss_center"):
        ref = out[k]
        errs[k] = abs(float(losses[k]) - ref) / max(abs(ref), 1e-12)
    grads = out["grads_total"]
    for key, ts in (("cls_scores", cls), ("bbox_preds", dist), ("objectnesses", obj)):
        for lvl, t in enumerate(ts):
            ref = torch.tensor(grads[key][lvl], dtype=torch.float64)
            g = t.grad.reshape(-1) if t.grad is not None else torch.zeros_like(ref)
            errs["d_%s[%d]" % (key, lvl)] = float((g - ref).abs().max() / ref.abs().max().clamp(min=1e-12))
    for key, t in (("center_prior_mean", mean), ("center_prior_sigma", sigma)):
        ref = torch.tensor(grads[key], dtype=torch.float64)
        g = t.grad.reshape(-1) if t.grad is not None else torch.zeros_like(ref)
        errs["d_" + key] = float((g - ref).abs().max() / ref.abs().max().clamp(min=1e-12))
    k_worst = max(errs, key=errs.get)
    worst = max(worst, errs[k_worst])
    print("%-28s pos %.3e neg %.3e center %.3e | worst rel err %.2e (%s)" % (
        d["case"], float(losses["loss_pos"]), float(losses["loss_neg"]), float(losses["loss_center"]),
        errs[k_worst], k_worst))
print("max relative error over all cases: %.2e" % worst)
sys.exit(0 if worst < 1e-6 else 1)
