"""Writes src/test/resources/goldens/mmengine_checkpoint/: an epoch checkpoint laid out as MMEngine 0.10's
Runner.save_checkpoint writes it while MMDetection 3.3 trains, for MmengineCheckpointGoldenTest.

The model is a torch mock of MMDetection's AutoAssign with the module registration order of MMDetection's classes
(ResNet: conv1, bn1, layer1..4 of BasicBlock(conv1, bn1, conv2, bn2, downsample); FPN: lateral_convs then
fpn_convs of ConvModule(conv); AutoAssignHead: cls_convs / reg_convs of ConvModule(conv, gn), conv_cls, conv_reg,
conv_centerness, scales, center_prior), at the size of the engine's tiny config with the overrides listed in
OVERRIDES (ResNet-18 caffe, base_channels 2, BN with requires_grad false, frozen_stages 1). The optimizer is built as
MMEngine's DefaultOptimWrapperConstructor does with a paramwise_cfg (norm_decay_mult 0): one param group per
parameter in add_params order, frozen ones included (they never get state); two real torch.optim.SGD steps give
the momentum buffers. The checkpoint carries what MMEngine puts next to them: `base_param_settings` (several
groups), `meta` (cfg, seed, experiment_name, time, mmengine_version, dataset_meta with classes and palette, epoch,
iter), `message_hub` (log_scalars of HistoryBuffer objects holding numpy arrays, runtime_info with best_score /
best_ckpt / keep_ckpt_ids, resumed_keys) and `param_schedulers` (LinearLR, MultiStepLR with a collections.Counter).
HistoryBuffer is a stand-in class registered as mmengine.logging.history_buffer.HistoryBuffer (MMEngine is not
installed), pickled as the real one is (NEWOBJ + BUILD of its __dict__).

expected.json: the parameter names in torch's named_parameters() order, which are frozen, and per trainable
parameter the sum and first value of its momentum buffer, looked up by the parameter object (not by index).
Needs torch (>= 1.13) and numpy. Run: python3 scripts/goldens/mmengine_checkpoint.py [OUT_DIR]
"""
import collections
import json
import os
import sys
import types

import numpy as np
import torch
import torch.nn as nn

OVERRIDES = [
    "model.backbone.base_channels=2",
    "model.backbone.norm_cfg={_delete_: true, type: BN, requires_grad: false}",
    "model.backbone.norm_eval=true",
    "model.backbone.style=caffe",
    "model.backbone.frozen_stages=1",
    "model.neck.in_channels=[4, 8, 16]",
    "model.neck.out_channels=8",
    "model.bbox_head.in_channels=8",
    "model.bbox_head.feat_channels=8",
]
CLASSES = ("red_circle", "green_square", "blue_triangle", "yellow_diamond")

# -- a stand-in for mmengine.logging.history_buffer.HistoryBuffer (pickled by module + name, like the real one)
hb_module = types.ModuleType("mmengine.logging.history_buffer")
for name in ("mmengine", "mmengine.logging"):
    sys.modules.setdefault(name, types.ModuleType(name))
sys.modules["mmengine.logging.history_buffer"] = hb_module


class HistoryBuffer:
    def __init__(self, log, count, max_length=1000000):
        self.max_length = max_length
        self._log_history = np.array(log)
        self._count_history = np.array(count)


HistoryBuffer.__module__ = "mmengine.logging.history_buffer"
HistoryBuffer.__qualname__ = "HistoryBuffer"
hb_module.HistoryBuffer = HistoryBuffer


class ConvModule(nn.Module):
    def __init__(self, cin, cout, k, gn=False, bias=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, padding=k // 2, bias=bias)
        if gn:
            self.gn = nn.GroupNorm(8, cout)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.add_module("bn1", nn.BatchNorm2d(cout))
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.add_module("bn2", nn.BatchNorm2d(cout))
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


class ResNet18(nn.Module):
    def __init__(self, base):
        super().__init__()
        self.conv1 = nn.Conv2d(3, base, 7, 2, 3, bias=False)
        self.add_module("bn1", nn.BatchNorm2d(base))
        cin = base
        for i in range(4):
            cout = base * 2 ** i
            layer = nn.Sequential(BasicBlock(cin, cout, 1 if i == 0 else 2), BasicBlock(cout, cout, 1))
            self.add_module(f"layer{i + 1}", layer)
            cin = cout
        # MMDetection: norm_cfg requires_grad=False freezes every BN; frozen_stages=1 the stem and layer1
        for n, p in self.named_parameters():
            if ".bn" in "." + n or "downsample.1" in n or n.startswith(("conv1", "bn1", "layer1.")):
                p.requires_grad_(False)


class Fpn(nn.Module):
    def __init__(self, ins, out):
        super().__init__()
        self.lateral_convs = nn.ModuleList()
        self.fpn_convs = nn.ModuleList()
        for c in ins:
            self.lateral_convs.append(ConvModule(c, out, 1))
            self.fpn_convs.append(ConvModule(out, out, 3))
        self.fpn_convs.append(ConvModule(ins[-1], out, 3))  # add_extra_convs on_input
        self.fpn_convs.append(ConvModule(out, out, 3))


class Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(1.0))


class CenterPrior(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.mean = nn.Parameter(torch.zeros(classes, 2))
        self.sigma = nn.Parameter(torch.ones(classes, 2))


class Head(nn.Module):
    def __init__(self, classes, c):
        super().__init__()
        self.cls_convs = nn.ModuleList([ConvModule(c, c, 3, gn=True) for _ in range(2)])
        self.reg_convs = nn.ModuleList([ConvModule(c, c, 3, gn=True) for _ in range(2)])
        self.conv_cls = nn.Conv2d(c, classes, 3, padding=1)
        self.conv_reg = nn.Conv2d(c, 4, 3, padding=1)
        self.conv_centerness = nn.Conv2d(c, 1, 3, padding=1)
        self.scales = nn.ModuleList([Scale() for _ in range(5)])
        self.center_prior = CenterPrior(classes)


class AutoAssign(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = ResNet18(2)
        self.neck = Fpn([4, 8, 16], 8)
        self.bbox_head = Head(len(CLASSES), 8)


def add_params(groups, module, prefix=""):
    """MMEngine DefaultOptimWrapperConstructor.add_params with paramwise_cfg=dict(norm_decay_mult=0.)."""
    is_norm = isinstance(module, (nn.BatchNorm2d, nn.GroupNorm))
    for name, param in module.named_parameters(recurse=False):
        group = {"params": [param]}
        if not param.requires_grad:
            groups.append(group)
            continue
        group["lr"] = 0.01
        group["weight_decay"] = 0.0 if is_norm else 1e-4
        groups.append(group)
    for child_name, child in module.named_children():
        add_params(groups, child, f"{prefix}.{child_name}" if prefix else child_name)


def main(out_dir):
    torch.manual_seed(20240)
    model = AutoAssign()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.1)
        for name, b in model.named_buffers():
            if name.endswith("running_var"):
                b.copy_(torch.rand_like(b) + 0.5)
            elif name.endswith("running_mean"):
                b.copy_(torch.randn_like(b) * 0.1)
    groups = []
    add_params(groups, model)
    opt = torch.optim.SGD(groups, lr=0.01, momentum=0.9, weight_decay=1e-4)
    for _ in range(2):
        for p in model.parameters():
            p.grad = torch.randn_like(p) if p.requires_grad else None
        opt.step()
    optimizer = opt.state_dict()
    optimizer["base_param_settings"] = {"params": torch.tensor([0.0], dtype=torch.float), **opt.defaults}

    n = len(groups) + 1  # the schedulers see OptimWrapper.param_groups: the groups plus base_param_settings
    warmup = {"start_factor": 0.001, "end_factor": 1.0, "begin": 0, "end": 500, "by_epoch": False,
              "param_name": "lr", "verbose": False, "last_step": 8, "_global_step": 8,
              "base_values": [0.01] * n, "_last_value": [0.01 * (0.001 + 0.999 * 8 / 500)] * n,
              "_get_value_called_within_step": False}
    steps = {"milestones": collections.Counter({8: 1, 11: 1}), "gamma": 0.1, "begin": 0, "end": 12,
             "by_epoch": True, "param_name": "lr", "verbose": False, "last_step": 2, "_global_step": 2,
             "base_values": [0.01] * n, "_last_value": [0.01] * n, "_get_value_called_within_step": False}
    cfg_text = "model = dict(type='AutoAssign')\noptim_wrapper = dict(paramwise_cfg=dict(norm_decay_mult=0.0))\n"
    dataset_meta = {"classes": CLASSES, "palette": [(220, 20, 60), (119, 11, 32), (0, 0, 142), (0, 0, 230)]}
    work = "/abs/work_dirs/autoassign_tiny"
    runtime_info = collections.OrderedDict(
        cfg=cfg_text, seed=1234567, experiment_name="autoassign_tiny_20240101_000000",
        mmengine_version="0.10.4", dataset_meta=dataset_meta, epoch=2, iter=8, max_epochs=12, max_iters=48,
        best_score=0.4321, best_ckpt=work + "/best_coco_bbox_mAP_epoch_2.pth", keep_ckpt_ids=[1, 2],
        last_ckpt=work + "/epoch_2.pth")
    message_hub = {
        "log_scalars": collections.OrderedDict([
            ("train/lr", HistoryBuffer([0.01, 0.01], [1, 1])),
            ("train/loss", HistoryBuffer([1.5, 1.25], [1, 1])),
            ("coco/bbox_mAP", HistoryBuffer([0.4321], [1])),
        ]),
        "runtime_info": runtime_info,
        "resumed_keys": collections.OrderedDict((k, True) for k in list(runtime_info) + ["train/lr", "train/loss"]),
    }
    checkpoint = {
        "meta": {"epoch": 2, "iter": 8, "cfg": cfg_text, "seed": 1234567,
                 "experiment_name": "autoassign_tiny_20240101_000000", "time": "20240101_000000",
                 "mmengine_version": "0.10.4", "dataset_meta": dataset_meta},
        "state_dict": model.state_dict(),
        "message_hub": message_hub,
        "optimizer": optimizer,
        "param_schedulers": [warmup, steps],
    }
    os.makedirs(out_dir, exist_ok=True)
    torch.save(checkpoint, os.path.join(out_dir, "epoch_2.pth"))

    names = [k for k, _ in model.named_parameters()]
    momentum = {}
    for name, p in model.named_parameters():
        if p in opt.state:
            buf = opt.state[p]["momentum_buffer"]
            momentum[name] = [float(buf.double().sum()), float(buf.reshape(-1)[0])]
    expected = {"overrides": OVERRIDES, "parameters": names,
                "frozen": [k for k, p in model.named_parameters() if not p.requires_grad],
                "momentum": momentum, "epoch": 2, "iter": 8, "seed": 1234567, "best_score": 0.4321,
                "torch": torch.__version__}
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print(f"{out_dir}: {len(names)} parameters, {len(groups)} param groups, {len(momentum)} momentum buffers")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/goldens/mmengine_checkpoint")
