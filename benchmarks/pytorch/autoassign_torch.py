#!/usr/bin/env python3
"""PyTorch eager baseline of the AutoAssign detector (ResNet + FPN + AutoAssign head + loss).

Self-contained (torch only; torchvision optional for NMS), no MMDetection. It is the speed anchor for the
Java engine's `bench` command: same network, same shapes, same ops, same JSON result schema.

    python3 autoassign_torch.py --config r50 --mode infer --size 800x1216 --batch 1 --device cpu --threads 2
    python3 autoassign_torch.py --config tiny --mode train --size 256x256 --batch 4 --runs 5 --warmup 1
    python3 autoassign_torch.py --config r50 --mode train --size 800x1216 --batch 2 --device cuda --json out.json

Works on torch 1.13 (Debian's python3-torch, CPU) and torch 2.x (CUDA). Not bit-exact with MMDetection,
but the same amount of work: spec/AA_2 (network), AA_3 (loss), AA_4 (post-processing), AA_5 (SGD).
"""
import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

# libgomp's default (active spin-wait) makes a 2-thread step 10-30x slower when the other vCPU is busy with
# another process (measured: tiny train step 0.23 s on 1 thread, 5-8 s on 2 threads). Passive waiting is what
# a Java thread pool does (park/unpark). Must be set before libgomp loads (import torch); an explicit
# OMP_WAIT_POLICY in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch
import torch.nn as nn
import torch.nn.functional as F

try:  # optional: torchvision's C++/CUDA NMS
    from torchvision.ops import batched_nms as _tv_batched_nms
except Exception:  # pragma: no cover - depends on the machine
    _tv_batched_nms = None

EPS = 1e-12

# --------------------------------------------------------------------------------------------------------------
# Configurations (mirror configs/autoassign_r50-caffe_fpn_1x_coco.yaml and configs/autoassign_tiny_synthetic.yaml)
# --------------------------------------------------------------------------------------------------------------
CONFIGS = {
    "r50": dict(
        depth=50, base_channels=64, style="caffe", norm="frozen_bn", gn_groups=None,
        frozen_stages=1, out_indices=(0, 1, 2, 3),
        fpn_in=(256, 512, 1024, 2048), fpn_out=256, start_level=1,
        num_classes=80, stacked_convs=4, feat_channels=256, head_gn_groups=32,
        mean=(102.9801, 115.9465, 122.7717), std=(1.0, 1.0, 1.0),
        yaml="configs/autoassign_r50-caffe_fpn_1x_coco.yaml"),
    "tiny": dict(
        depth=18, base_channels=16, style="pytorch", norm="gn", gn_groups=8,
        frozen_stages=-1, out_indices=(1, 2, 3),
        fpn_in=(32, 64, 128), fpn_out=32, start_level=0,
        num_classes=4, stacked_convs=2, feat_channels=32, head_gn_groups=8,
        mean=(102.9801, 115.9465, 122.7717), std=(57.375, 57.12, 58.395),
        yaml="configs/autoassign_tiny_synthetic.yaml"),
}
STRIDES = (8, 16, 32, 64, 128)
TEST_CFG = dict(nms_pre=1000, score_thr=0.05, iou_threshold=0.6, max_per_img=100)
LOSS_W = dict(pos=0.25, neg=0.75, center=0.75, giou=5.0)
STAGE_BLOCKS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3), 50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}


# --------------------------------------------------------------------------------------------------------------
# Backbone
# --------------------------------------------------------------------------------------------------------------
class FrozenBN(nn.Module):
    """BatchNorm in eval mode with frozen affine (AA_2 §1.3): y = (x - mean)/sqrt(var + eps)*w + b, no grads.

    Uses F.batch_norm(training=False), i.e. exactly what MMDetection's norm_eval BN2d runs."""

    def __init__(self, c):
        super().__init__()
        self.register_buffer("weight", torch.ones(c))
        self.register_buffer("bias", torch.zeros(c))
        self.register_buffer("running_mean", torch.zeros(c))
        self.register_buffer("running_var", torch.ones(c))

    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, 1e-5)


def make_norm(cfg, c):
    if cfg["norm"] == "frozen_bn":
        return FrozenBN(c)
    return nn.GroupNorm(cfg["gn_groups"], c, eps=1e-5)


def conv(cin, cout, k, s=1, p=0, bias=False):
    return nn.Conv2d(cin, cout, k, stride=s, padding=p, bias=bias)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cfg, inplanes, planes, stride, downsample):
        super().__init__()
        self.conv1 = conv(inplanes, planes, 3, stride, 1)
        self.bn1 = make_norm(cfg, planes)
        self.conv2 = conv(planes, planes, 3, 1, 1)
        self.bn2 = make_norm(cfg, planes)
        self.downsample = downsample

    def last_norm(self):
        return self.bn2

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cfg, inplanes, planes, stride, downsample):
        super().__init__()
        s1, s2 = (stride, 1) if cfg["style"] == "caffe" else (1, stride)  # caffe: stride on the first 1x1
        self.conv1 = conv(inplanes, planes, 1, s1)
        self.bn1 = make_norm(cfg, planes)
        self.conv2 = conv(planes, planes, 3, s2, 1)
        self.bn2 = make_norm(cfg, planes)
        self.conv3 = conv(planes, planes * 4, 1)
        self.bn3 = make_norm(cfg, planes * 4)
        self.downsample = downsample

    def last_norm(self):
        return self.bn3

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        depth, base = cfg["depth"], cfg["base_channels"]
        block = Bottleneck if depth >= 50 else BasicBlock
        self.out_indices = cfg["out_indices"]
        self.conv1 = conv(3, base, 7, 2, 3)
        self.bn1 = make_norm(cfg, base)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = base
        self.layers = nn.ModuleList()
        for i, n in enumerate(STAGE_BLOCKS[depth]):
            planes, stride = base * 2 ** i, (1 if i == 0 else 2)
            blocks = []
            for b in range(n):
                ds = None
                if b == 0 and (stride != 1 or inplanes != planes * block.expansion):
                    ds = nn.Sequential(conv(inplanes, planes * block.expansion, 1, stride),
                                       make_norm(cfg, planes * block.expansion))
                blocks.append(block(cfg, inplanes, planes, stride if b == 0 else 1, ds))
                inplanes = planes * block.expansion
            self.layers.append(nn.Sequential(*blocks))
        # init (docs/model.md): Kaiming normal fan_out, norm 1/0, zero_init_residual (last norm of a block = 0)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, (BasicBlock, Bottleneck)):
                    m.last_norm().weight.zero_()
        # frozen_stages (AA_2 §1.4): stem + layer1..k get no gradient; frozen BN never has one
        fs = cfg["frozen_stages"]
        frozen = []
        if fs >= 0:
            frozen += [self.conv1, self.bn1]
        for i in range(max(fs, 0)):
            frozen.append(self.layers[i])
        for m in frozen:
            for p in m.parameters():
                p.requires_grad_(False)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i in self.out_indices:
                outs.append(x)
        return outs


# --------------------------------------------------------------------------------------------------------------
# FPN (on_input extra convs, ReLU before P7)
# --------------------------------------------------------------------------------------------------------------
class FPN(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ins, out, sl = cfg["fpn_in"], cfg["fpn_out"], cfg["start_level"]
        self.start_level = sl
        used = ins[sl:]
        self.lateral_convs = nn.ModuleList([nn.Conv2d(c, out, 1) for c in used])
        self.fpn_convs = nn.ModuleList([nn.Conv2d(out, out, 3, padding=1) for _ in used])
        n_extra = 5 - len(used)
        for i in range(n_extra):
            cin = used[-1] if i == 0 else out  # on_input: first extra level from the last input (C5)
            self.fpn_convs.append(nn.Conv2d(cin, out, 3, stride=2, padding=1))
        for m in self.modules():  # Caffe2Xavier
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1, mode="fan_in", nonlinearity="leaky_relu")
                nn.init.zeros_(m.bias)

    def forward(self, feats):
        feats = feats[self.start_level:]
        lat = [l(f) for l, f in zip(self.lateral_convs, feats)]
        for i in range(len(lat) - 1, 0, -1):
            lat[i - 1] = lat[i - 1] + F.interpolate(lat[i], size=lat[i - 1].shape[2:], mode="nearest")
        outs = [self.fpn_convs[i](lat[i]) for i in range(len(lat))]
        n = len(lat)
        outs.append(self.fpn_convs[n](feats[-1]))                       # P6 from C5, no ReLU before
        for i in range(n + 1, len(self.fpn_convs)):
            outs.append(self.fpn_convs[i](F.relu(outs[-1])))            # P7 from ReLU(P6)
        return outs


# --------------------------------------------------------------------------------------------------------------
# AutoAssign head
# --------------------------------------------------------------------------------------------------------------
class ConvGNReLU(nn.Module):
    def __init__(self, cin, cout, groups):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=True)  # conv_bias=True
        self.gn = nn.GroupNorm(groups, cout, eps=1e-5)

    def forward(self, x):
        return F.relu(self.gn(self.conv(x)))


class AutoAssignHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c, fc, g, nc = cfg["fpn_out"], cfg["feat_channels"], cfg["head_gn_groups"], cfg["num_classes"]
        self.num_classes = nc
        self.cls_convs = nn.ModuleList([ConvGNReLU(c if i == 0 else fc, fc, g) for i in range(cfg["stacked_convs"])])
        self.reg_convs = nn.ModuleList([ConvGNReLU(c if i == 0 else fc, fc, g) for i in range(cfg["stacked_convs"])])
        self.conv_cls = nn.Conv2d(fc, nc, 3, padding=1)
        self.conv_reg = nn.Conv2d(fc, 4, 3, padding=1)
        self.conv_centerness = nn.Conv2d(fc, 1, 3, padding=1)
        self.scales = nn.ParameterList([nn.Parameter(torch.tensor(1.0)) for _ in STRIDES])
        self.center_prior_mean = nn.Parameter(torch.zeros(nc, 2))
        self.center_prior_sigma = nn.Parameter(torch.ones(nc, 2))
        for m in self.modules():  # AA_2 §5 final state
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)
        nn.init.constant_(self.conv_cls.bias, -math.log((1 - 0.02) / 0.02))
        nn.init.constant_(self.conv_reg.bias, 4.0)

    def forward(self, feats):
        cls, dist, obj = [], [], []
        for x, scale, stride in zip(feats, self.scales, STRIDES):  # per level, like MMDetection's multi_apply
            c = x
            for m in self.cls_convs:
                c = m(c)
            r = x
            for m in self.reg_convs:
                r = m(r)
            cls.append(self.conv_cls(c))
            dist.append((self.conv_reg(r) * scale).clamp(min=0) * stride)
            obj.append(self.conv_centerness(r))
        return cls, dist, obj


class AutoAssign(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.backbone = ResNet(cfg)
        self.neck = FPN(cfg)
        self.bbox_head = AutoAssignHead(cfg)

    def forward(self, x):
        return self.bbox_head(self.neck(self.backbone(x)))

    def train(self, mode=True):
        super().train(mode)
        for m in self.modules():  # norm_eval: frozen BN always eval (FrozenBN has no train mode anyway)
            if isinstance(m, FrozenBN):
                m.eval()
        return self


# --------------------------------------------------------------------------------------------------------------
# Points, loss, post-processing
# --------------------------------------------------------------------------------------------------------------
def level_points(featmap_sizes, device):
    """Points with offset 0 (AA_2 §4): (x, y) = (j*s, i*s), row-major, levels concatenated; plus per-point stride."""
    pts, strides = [], []
    for (h, w), s in zip(featmap_sizes, STRIDES):
        ys = torch.arange(h, device=device, dtype=torch.float32) * s
        xs = torch.arange(w, device=device, dtype=torch.float32) * s
        yy, xx = torch.meshgrid(ys, xs, indexing="ij")
        pts.append(torch.stack([xx.reshape(-1), yy.reshape(-1)], -1))
        strides.append(torch.full((h * w,), float(s), device=device))
    return torch.cat(pts), torch.cat(strides)


def levels_to_images(maps):
    """list over levels of (B,C,h,w) -> (B, P, C) in the point order of AA_2 §4."""
    b, c = maps[0].shape[:2]
    return torch.cat([m.permute(0, 2, 3, 1).reshape(b, -1, c) for m in maps], 1)


def box_iou_giou(pred, tgt, eps=1e-6):
    """pred, tgt: (..., 4) xyxy, aligned (broadcast). Returns (iou, giou) as in AA_3 §3/§4."""
    area_p = (pred[..., 2] - pred[..., 0]) * (pred[..., 3] - pred[..., 1])
    area_t = (tgt[..., 2] - tgt[..., 0]) * (tgt[..., 3] - tgt[..., 1])
    lt = torch.max(pred[..., :2], tgt[..., :2])
    rb = torch.min(pred[..., 2:], tgt[..., 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = (area_p + area_t - inter).clamp(min=eps)
    iou = inter / union
    elt = torch.min(pred[..., :2], tgt[..., :2])
    erb = torch.max(pred[..., 2:], tgt[..., 2:])
    ewh = (erb - elt).clamp(min=0)
    enclose = (ewh[..., 0] * ewh[..., 1]).clamp(min=eps)
    return iou, iou - (enclose - union) / enclose


def autoassign_loss(cls_maps, dist_maps, obj_maps, mean, sigma, gt_boxes, gt_labels):
    """AutoAssign loss of AA_3, vectorised per image (loops over images like MMDetection's multi_apply).

    cls/dist/obj_maps: per level (B,C,h,w), (B,4,h,w) distances in pixels, (B,1,h,w); mean, sigma: center prior
    (C,2); gt_boxes / gt_labels: per image (G,4) xyxy and (G,). Returns dict(loss_pos, loss_neg, loss_center)."""
    device = cls_maps[0].device
    sizes = [m.shape[2:] for m in cls_maps]
    points, pstride = level_points(sizes, device)                          # (P,2), (P,)
    points, pstride = points.to(cls_maps[0].dtype), pstride.to(cls_maps[0].dtype)
    cls_all = levels_to_images(cls_maps).sigmoid()                           # (B,P,C)
    dist_all = levels_to_images(dist_maps)                                   # (B,P,4)
    obj_all = levels_to_images(obj_maps).sigmoid()                           # (B,P,1)
    pos_losses, neg_losses, center_terms, prior_sums = [], [], [], []
    num_gts = 0
    for i in range(cls_all.shape[0]):
        boxes, labels = gt_boxes[i], gt_labels[i]                            # (G,4), (G,)
        g = boxes.shape[0]
        num_gts += g
        cls, dist, obj = cls_all[i], dist_all[i], obj_all[i]
        # §1 inside mask (strict)
        px, py = points[:, 0:1], points[:, 1:2]                              # (P,1)
        ltrb = torch.stack([px - boxes[:, 0], py - boxes[:, 1], boxes[:, 2] - px, boxes[:, 3] - py], -1)  # (P,G,4)
        inside = ltrb.min(-1).values > 0                                     # (P,G)
        # §2 center prior
        ctr = (boxes[:, :2] + boxes[:, 2:]) / 2                              # (G,2)
        delta = (points[:, None, :] - ctr[None]) / pstride[:, None, None]    # (P,G,2)
        mu, sg = mean[labels], sigma[labels]                                 # (G,2)
        prior = torch.exp(-(delta - mu) ** 2 / (2 * sg ** 2)).prod(-1)      # (P,G)
        prior = torch.where(inside, prior, torch.zeros_like(prior))
        # §3 GIoU for all (P,G) pairs (decoded prediction vs decoded target)
        pred = torch.cat([points - dist[:, :2], points + dist[:, 2:]], -1)   # (P,4)
        tgt = torch.cat([points[:, None] - ltrb[..., :2], points[:, None] + ltrb[..., 2:]], -1)  # (P,G,4)
        iou, giou = box_iou_giou(pred[:, None, :].expand_as(tgt), tgt)
        reg = LOSS_W["giou"] * (1 - giou)                                    # (P,G)
        # §4 no-grad IoU for the negative weights
        with torch.no_grad():
            m = iou.max(-1, keepdim=True).values if g else iou.new_zeros(iou.shape[0], 1)
            ious = torch.where(inside, m.expand_as(iou), torch.zeros_like(iou))
        # §5 positive loss
        p_loc = torch.exp(-reg)
        p_cls = cls[:, labels] * obj                                         # (P,G)
        p_pos = p_cls * p_loc
        a = torch.exp(3 * p_pos) * prior
        w = a / a.sum(0, keepdim=True).clamp(min=EPS)
        r = (p_pos * w).sum(0).clamp(0, 1)                                   # (G,), rounding guard for BCE
        pos_losses.append(LOSS_W["pos"] * F.binary_cross_entropy(r, torch.ones_like(r), reduction="sum"))
        # §6 negative loss
        joint = cls * obj                                                    # (P,C)
        with torch.no_grad():
            neg_w = torch.ones_like(joint)
            if g:
                u = 1 / (1 - ious.t()).clamp(min=EPS)                       # (G,P)
                ins_t = inside.t()
                umin = torch.where(ins_t, u, torch.full_like(u, float("inf"))).min(1, keepdim=True).values
                umax = torch.where(ins_t, u, torch.full_like(u, float("-inf"))).max(1, keepdim=True).values
                v = (u - umin + EPS) / (umax - umin + EPS)
                gi, pi = torch.nonzero(ins_t, as_tuple=True)                 # GT-major order
                neg_w[pi, labels[gi]] = 1 - v[gi, pi]
        q = joint * neg_w
        neg_losses.append(LOSS_W["neg"] * (q ** 2 * F.binary_cross_entropy(q, torch.zeros_like(q), reduction="none")).sum())
        # §7 center-loss term
        psum = prior.sum()
        prior_sums.append(psum.detach())
        if g and bool(inside.any()):
            center_terms.append(g / psum.clamp(min=EPS))
        else:
            center_terms.append(psum * 0)
    pos_norm = max(num_gts, 1)
    neg_norm = torch.stack(prior_sums).sum().clamp(min=1)
    loss_pos = torch.stack(pos_losses).sum() / pos_norm
    loss_neg = torch.stack(neg_losses).sum() / neg_norm
    loss_center = LOSS_W["center"] * torch.stack(center_terms).mean()
    return dict(loss_pos=loss_pos, loss_neg=loss_neg, loss_center=loss_center)


def nms_fallback(boxes, scores, labels, thr):
    """Class-aware greedy NMS by coordinate offset (AA_4 §3.4), used only without torchvision."""
    if boxes.numel() == 0:
        return torch.zeros(0, dtype=torch.long, device=boxes.device)
    off = boxes + (labels.to(boxes) * (boxes.max() + 1))[:, None]
    order = scores.argsort(descending=True)
    b = off[order]
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = torch.max(b[:, None, :2], b[None, :, :2])
    rb = torch.min(b[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    over = (inter / (area[:, None] + area[None] - inter)) > thr
    over = over.cpu()
    n = b.shape[0]
    removed = torch.zeros(n, dtype=torch.bool)
    keep = []
    for i in range(n):
        if not removed[i]:
            keep.append(i)
            removed |= over[i]
    return order[torch.tensor(keep, dtype=torch.long, device=boxes.device)]


def postprocess(cls_maps, dist_maps, obj_maps, img_hw):
    """AA_4: per level sigmoid, threshold, top-k; decode, clip, score = prob*obj, size filter, NMS, top 100."""
    sizes = [m.shape[2:] for m in cls_maps]
    results = []
    h_img, w_img = img_hw
    for i in range(cls_maps[0].shape[0]):
        all_boxes, all_scores, all_labels = [], [], []
        for (h, w), s, cm, dm, om in zip(sizes, STRIDES, cls_maps, dist_maps, obj_maps):
            c = cm.shape[1]
            prob = cm[i].permute(1, 2, 0).reshape(-1, c).sigmoid()
            dist = dm[i].permute(1, 2, 0).reshape(-1, 4)
            obj = om[i].reshape(-1).sigmoid()
            flat = prob.reshape(-1)
            cand = torch.nonzero(flat > TEST_CFG["score_thr"], as_tuple=True)[0]
            sc = flat[cand]
            k = min(TEST_CFG["nms_pre"], sc.numel())
            sc, top = sc.topk(k)
            idx = cand[top]
            pidx, lab = idx // c, idx % c
            ys = (pidx // w).float() * s
            xs = (pidx % w).float() * s
            d = dist[pidx]
            bx = torch.stack([xs - d[:, 0], ys - d[:, 1], xs + d[:, 2], ys + d[:, 3]], -1)
            all_boxes.append(bx)
            all_scores.append(sc * obj[pidx])
            all_labels.append(lab)
        boxes = torch.cat(all_boxes)
        boxes[:, 0::2] = boxes[:, 0::2].clamp(0, w_img)
        boxes[:, 1::2] = boxes[:, 1::2].clamp(0, h_img)
        scores, labels = torch.cat(all_scores), torch.cat(all_labels)
        ok = ((boxes[:, 2] - boxes[:, 0]) > 0) & ((boxes[:, 3] - boxes[:, 1]) > 0)
        boxes, scores, labels = boxes[ok], scores[ok], labels[ok]
        if _tv_batched_nms is not None:
            keep = _tv_batched_nms(boxes, scores, labels, TEST_CFG["iou_threshold"])
        else:
            keep = nms_fallback(boxes, scores, labels, TEST_CFG["iou_threshold"])
        keep = keep[:TEST_CFG["max_per_img"]]
        results.append((boxes[keep], scores[keep], labels[keep]))
    return results


# --------------------------------------------------------------------------------------------------------------
# Inputs, optimizer, timing
# --------------------------------------------------------------------------------------------------------------
def random_inputs(cfg, batch, h, w, num_gt, seed, device):
    """Images uniform in [0,255] normalised by the config's mean/std; num_gt random boxes per image with sides
    uniform in [min(h,w)/16, min(h,w)/2], fully inside the image, labels uniform in [0, num_classes)."""
    g = torch.Generator().manual_seed(seed)
    img = torch.rand(batch, 3, h, w, generator=g) * 255
    mean = torch.tensor(cfg["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(cfg["std"]).view(1, 3, 1, 1)
    img = (img - mean) / std
    lo, hi = min(h, w) / 16, min(h, w) / 2
    boxes, labels = [], []
    for _ in range(batch):
        bw = lo + torch.rand(num_gt, generator=g) * (hi - lo)
        bh = lo + torch.rand(num_gt, generator=g) * (hi - lo)
        x1 = torch.rand(num_gt, generator=g) * (w - bw)
        y1 = torch.rand(num_gt, generator=g) * (h - bh)
        boxes.append(torch.stack([x1, y1, x1 + bw, y1 + bh], -1).to(device))
        labels.append(torch.randint(0, cfg["num_classes"], (num_gt,), generator=g).to(device))
    return img.to(device), boxes, labels


def make_optimizer(model, lr):
    """SGD momentum 0.9, weight decay 1e-4 except GroupNorm weight/bias (norm_decay_mult=0), AA_5 §2-3."""
    norm_ids = set()
    for m in model.modules():
        if isinstance(m, (nn.GroupNorm, nn.BatchNorm2d)):
            norm_ids.update(id(p) for p in m.parameters())
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (no_decay if id(p) in norm_ids else decay).append(p)
    return torch.optim.SGD([dict(params=decay, weight_decay=1e-4), dict(params=no_decay, weight_decay=0.0)],
                           lr=lr, momentum=0.9)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux -> MiB


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="tiny", help="r50 | tiny (or a path whose name contains r50 / tiny)")
    ap.add_argument("--mode", choices=("infer", "train"), default="train")
    ap.add_argument("--size", default=None, help="HxW of the (padded) input; default 800x1216 (r50), 256x256 (tiny)")
    ap.add_argument("--batch", type=int, default=None, help="default 1 for infer, 2 (r50) / 4 (tiny) for train")
    ap.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: os.cpu_count() on cpu; Debian's torch 1.13 "
                    "would otherwise default to 1)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--num-gt", type=int, default=7, help="random GT boxes per image (train)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--no-tf32", action="store_true", help="CUDA: disable TF32 in convs and matmuls")
    ap.add_argument("--no-cudnn-benchmark", action="store_true",
                    help="CUDA: cuDNN's heuristic algorithms (cudnn.benchmark off, MMDetection's default env_cfg) "
                         "instead of timed ones")
    ap.add_argument("--json", default=None, help="also write the result object to this file")
    args = ap.parse_args(argv)

    name = args.config
    key = "r50" if "r50" in os.path.basename(name) else "tiny" if "tiny" in os.path.basename(name) else None
    if key is None:
        ap.error("--config must be r50 or tiny (or a path containing one of them), got %r" % name)
    cfg = CONFIGS[key]
    if args.size is None:
        args.size = "800x1216" if key == "r50" else "256x256"
    try:
        h, w = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        ap.error("--size must be HxW, got %r" % args.size)
    if h % 32 or w % 32:
        ap.error("--size: H and W must be multiples of 32 (padded input), got %s" % args.size)
    if args.batch is None:
        args.batch = 1 if args.mode == "infer" else (2 if key == "r50" else 4)

    if args.threads is None and args.device == "cpu":
        args.threads = os.cpu_count() or 1
    if args.threads:
        torch.set_num_threads(args.threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    tf32 = False
    if cuda:
        if not torch.cuda.is_available():
            sys.exit("autoassign_torch: --device %s but torch.cuda.is_available() is False" % args.device)
        if device.index is not None:
            torch.cuda.set_device(device)
        else:
            device = torch.device("cuda", torch.cuda.current_device())
        torch.backends.cudnn.benchmark = not args.no_cudnn_benchmark
        tf32 = not args.no_tf32
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32

    torch.manual_seed(args.seed)
    model = AutoAssign(cfg).to(device)
    img, gt_boxes, gt_labels = random_inputs(cfg, args.batch, h, w, args.num_gt, args.seed, device)

    if args.mode == "train":
        model.train()
        opt = make_optimizer(model, args.lr)

        def step():
            opt.zero_grad(set_to_none=True)
            cls, dist, obj = model(img)
            head = model.bbox_head
            losses = autoassign_loss(cls, dist, obj, head.center_prior_mean, head.center_prior_sigma,
                                     gt_boxes, gt_labels)
            loss = losses["loss_pos"] + losses["loss_neg"] + losses["loss_center"]
            loss.backward()
            opt.step()
            return loss
    else:
        model.eval()

        def step():
            with torch.inference_mode():
                cls, dist, obj = model(img)
                return postprocess(cls, dist, obj, (h, w))

    def sync():
        if cuda:
            torch.cuda.synchronize(device)

    for _ in range(args.warmup):
        out = step()
    sync()
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    runs = []
    for _ in range(args.runs):
        sync()
        t0 = time.perf_counter()
        out = step()
        sync()
        runs.append((time.perf_counter() - t0) * 1000.0)
    peak = torch.cuda.max_memory_allocated(device) / 2 ** 20 if cuda else peak_rss_mb()
    extra = {}
    if args.mode == "train":
        extra["loss"] = float(out)
        if not math.isfinite(extra["loss"]):
            print("autoassign_torch: warning: non-finite loss %r" % extra["loss"], file=sys.stderr)
    else:
        extra["detections"] = [int(r[0].shape[0]) for r in out]

    result = {
        "mode": args.mode, "size": "%dx%d" % (h, w), "batch": args.batch, "device": str(device),
        "median_ms": statistics.median(runs) if runs else None,
        "runs_ms": [round(t, 3) for t in runs],
        "peak_mem_mb": round(peak, 1),
        # extra fields (not in the shared schema):
        "impl": "pytorch", "config": key, "torch": torch.__version__,
        "threads": torch.get_num_threads(), "tf32": tf32, "cudnn_benchmark": bool(cuda) and not args.no_cudnn_benchmark,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "nms": "torchvision" if _tv_batched_nms is not None else "fallback",
        "peak_mem_kind": "torch.cuda.max_memory_allocated (timed runs)" if cuda else "process max RSS",
        **extra,
    }
    if cuda:
        result["gpu"] = torch.cuda.get_device_name(device)
    line = json.dumps(result)
    print(line)
    if args.json:
        d = os.path.dirname(os.path.abspath(args.json))
        os.makedirs(d, exist_ok=True)
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            f.write(line + "\n")
        os.replace(tmp, args.json)
    return result


if __name__ == "__main__":
    main()
