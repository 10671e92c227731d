"""Writes src/test/resources/goldens/lvis_eval/<case>.json for LvisEvalGoldenTest: an LVIS ground truth, a results
list, and what lvis-api's LVISEval (bbox) and MMDetection 3.3's LVISMetric make of them.

lvis-api and pycocotools cannot be installed here, so the parts they run for boxes are transcribed below (numpy only),
from these sources:
  * lvis-api  lvis/lvis.py      LVIS: the index (imgs, cats, img_ann_map), get_ann_ids, load_*
  * lvis-api  lvis/results.py   LVISResults: limit_dets_per_image (300), area = w * h, id = position + 1
  * lvis-api  lvis/eval.py      LVISEval: _prepare, _prepare_freq_group, evaluate, compute_iou, evaluate_img,
                                accumulate, _summarize, summarize, print_results; Params
  * pycocotools  common/maskApi.c  bbIou (the box IoU mask_utils.iou computes for boxes; iscrowd all 0 in LVIS)
  * mmdetection  mmdet/evaluation/metrics/lvis_metric.py  compute_metrics: classwise `<name>_precision` =
                 round(mean(precision[:, :, idx, 0] > -1), 3), the items as float('{:.3f}'.format(v))
The code keeps lvis-api's structure and names so that it can be compared line by line.

Each case holds "gt" (an LVIS json), "results" (a results list) and "expected": "results" (get_results(), in order),
"per_category_AP" (category id -> mean precision at area 'all', null when none), "printed" (print_results() lines) and
"reported" (LVISMetric's eval_results with classwise=True, without the 'lvis/' prefix).

Run: /usr/bin/python3 scripts/goldens/lvis_eval.py [GOLDENS_DIR]   (numpy 1.24; default src/test/resources/goldens)
"""
import contextlib
import io
import json
import os
import sys
from collections import OrderedDict, defaultdict

import numpy as np


# ---- pycocotools maskApi.c bbIou (iscrowd = 0): ious[d, g] ----
def bb_iou(dt, gt):
    if len(dt) == 0 or len(gt) == 0:
        return []
    o = np.zeros((len(dt), len(gt)))
    for g, G in enumerate(gt):
        ga = G[2] * G[3]
        for d, D in enumerate(dt):
            da = D[2] * D[3]
            w = min(D[2] + D[0], G[2] + G[0]) - max(D[0], G[0])
            if w <= 0:
                continue
            h = min(D[3] + D[1], G[3] + G[1]) - max(D[1], G[1])
            if h <= 0:
                continue
            i = w * h
            o[d, g] = i / (da + ga - i)
    return o


# ---- lvis/lvis.py ----
class LVIS:
    def __init__(self, dataset):
        self.dataset = dataset
        self._create_index()

    def _create_index(self):
        self.img_ann_map = defaultdict(list)
        self.cat_img_map = defaultdict(list)
        self.anns, self.cats, self.imgs = {}, {}, {}
        for img in self.dataset["images"]:
            self.imgs[img["id"]] = img
        for ann in self.dataset["annotations"]:
            self.img_ann_map[ann["image_id"]].append(ann)
            self.anns[ann["id"]] = ann
        for cat in self.dataset["categories"]:
            self.cats[cat["id"]] = cat
        for ann in self.dataset["annotations"]:
            self.cat_img_map[ann["category_id"]].append(ann["image_id"])

    def get_ann_ids(self, img_ids=None, cat_ids=None, area_rng=None):
        anns = []
        if img_ids is not None:
            for img_id in img_ids:
                anns.extend(self.img_ann_map[img_id])
        else:
            anns = self.dataset["annotations"]
        if cat_ids is None and area_rng is None:
            return [_ann["id"] for _ann in anns]
        cat_ids = set(cat_ids)
        if area_rng is None:
            area_rng = [0, float("inf")]
        return [_ann["id"] for _ann in anns
                if _ann["category_id"] in cat_ids and _ann["area"] > area_rng[0] and _ann["area"] < area_rng[1]]

    def get_cat_ids(self):
        return list(self.cats.keys())

    def get_img_ids(self):
        return list(self.imgs.keys())

    def _load_helper(self, _dict, ids):
        return list(_dict.values()) if ids is None else [_dict[id] for id in ids]

    def load_anns(self, ids=None):
        return self._load_helper(self.anns, ids)

    def load_cats(self, ids):
        return self._load_helper(self.cats, ids)

    def load_imgs(self, ids):
        return self._load_helper(self.imgs, ids)


# ---- lvis/results.py ----
class LVISResults(LVIS):
    def __init__(self, lvis_gt, results, max_dets=300):
        import copy
        self.dataset = copy.deepcopy(lvis_gt.dataset)
        result_anns = copy.deepcopy(results)
        assert isinstance(result_anns, list), "results is not a list."
        if max_dets >= 0:
            result_anns = self.limit_dets_per_image(result_anns, max_dets)
        for id, ann in enumerate(result_anns):
            x1, y1, w, h = ann["bbox"]
            ann["area"] = w * h
            ann["id"] = id + 1
        self.dataset["annotations"] = result_anns
        self._create_index()
        img_ids_in_result = [ann["image_id"] for ann in result_anns]
        assert set(img_ids_in_result) == (set(img_ids_in_result) & set(self.get_img_ids()))

    def limit_dets_per_image(self, anns, max_dets):
        img_ann = defaultdict(list)
        for ann in anns:
            img_ann[ann["image_id"]].append(ann)
        for img_id, _anns in img_ann.items():
            if len(_anns) <= max_dets:
                continue
            _anns = sorted(_anns, key=lambda ann: ann["score"], reverse=True)
            img_ann[img_id] = _anns[:max_dets]
        return [ann for anns in img_ann.values() for ann in anns]


# ---- lvis/eval.py (iou_type='bbox', mode='default') ----
class Params:
    def __init__(self):
        self.img_ids = []
        self.cat_ids = []
        self.iou_thrs = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
        self.rec_thrs = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
        self.max_dets = 300
        self.max_dets_per_cat = -1
        self.area_rng = [[0 ** 2, 1e5 ** 2], [0 ** 2, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]]
        self.area_rng_lbl = ["all", "small", "medium", "large"]
        self.use_cats = 1
        self.img_count_lbl = ["r", "c", "f"]
        self.iou_type = "bbox"


class LVISEval:
    def __init__(self, lvis_gt, lvis_dt):
        self.lvis_gt = lvis_gt
        self.lvis_dt = lvis_dt
        self.eval_imgs = defaultdict(list)
        self.eval = {}
        self._gts = defaultdict(list)
        self._dts = defaultdict(list)
        self.params = Params()
        self.results = OrderedDict()
        self.ious = {}
        self.params.img_ids = sorted(self.lvis_gt.get_img_ids())
        self.params.cat_ids = sorted(self.lvis_gt.get_cat_ids())

    def _prepare(self):
        cat_ids = self.params.cat_ids if self.params.cat_ids else None
        gts = self.lvis_gt.load_anns(self.lvis_gt.get_ann_ids(img_ids=self.params.img_ids, cat_ids=cat_ids))
        dts = self.lvis_dt.load_anns(self.lvis_dt.get_ann_ids(img_ids=self.params.img_ids, cat_ids=cat_ids))
        for gt in gts:
            if "ignore" not in gt:
                gt["ignore"] = 0
        for gt in gts:
            self._gts[gt["image_id"], gt["category_id"]].append(gt)
        img_data = self.lvis_gt.load_imgs(ids=self.params.img_ids)
        img_nl = {d["id"]: d["neg_category_ids"] for d in img_data}
        img_pl = defaultdict(set)
        for ann in gts:
            img_pl[ann["image_id"]].add(ann["category_id"])
        self.img_nel = {d["id"]: d["not_exhaustive_category_ids"] for d in img_data}
        for dt in dts:
            img_id, cat_id = dt["image_id"], dt["category_id"]
            if cat_id not in img_nl[img_id] and cat_id not in img_pl[img_id]:
                continue
            self._dts[img_id, cat_id].append(dt)
        self.freq_groups = self._prepare_freq_group()

    def _prepare_freq_group(self):
        freq_groups = [[] for _ in self.params.img_count_lbl]
        cat_data = self.lvis_gt.load_cats(self.params.cat_ids)
        for idx, _cat_data in enumerate(cat_data):
            frequency = _cat_data["frequency"]
            freq_groups[self.params.img_count_lbl.index(frequency)].append(idx)
        return freq_groups

    def evaluate(self):
        self.params.img_ids = list(np.unique(self.params.img_ids))
        cat_ids = self.params.cat_ids if self.params.use_cats else [-1]
        self._prepare()
        self.ious = {(img_id, cat_id): self.compute_iou(img_id, cat_id)
                     for img_id in self.params.img_ids for cat_id in cat_ids}
        self.eval_imgs = [self.evaluate_img(img_id, cat_id, area_rng)
                          for cat_id in cat_ids for area_rng in self.params.area_rng for img_id in self.params.img_ids]

    def _get_gt_dt(self, img_id, cat_id):
        return self._gts[img_id, cat_id], self._dts[img_id, cat_id]

    def compute_iou(self, img_id, cat_id):
        gt, dt = self._get_gt_dt(img_id, cat_id)
        if len(gt) == 0 and len(dt) == 0:
            return []
        idx = np.argsort([-d["score"] for d in dt], kind="mergesort")
        dt = [dt[i] for i in idx]
        return bb_iou([d["bbox"] for d in dt], [g["bbox"] for g in gt])

    def evaluate_img(self, img_id, cat_id, area_rng):
        gt, dt = self._get_gt_dt(img_id, cat_id)
        if len(gt) == 0 and len(dt) == 0:
            return None
        for g in gt:
            if g["ignore"] or (g["area"] < area_rng[0] or g["area"] > area_rng[1]):
                g["_ignore"] = 1
            else:
                g["_ignore"] = 0
        gt_idx = np.argsort([g["_ignore"] for g in gt], kind="mergesort")
        gt = [gt[i] for i in gt_idx]
        dt_idx = np.argsort([-d["score"] for d in dt], kind="mergesort")
        dt = [dt[i] for i in dt_idx]
        ious = (self.ious[img_id, cat_id][:, gt_idx] if len(self.ious[img_id, cat_id]) > 0 else self.ious[img_id, cat_id])
        num_thrs = len(self.params.iou_thrs)
        num_gt = len(gt)
        num_dt = len(dt)
        gt_m = np.zeros((num_thrs, num_gt))
        dt_m = np.zeros((num_thrs, num_dt))
        gt_ig = np.array([g["_ignore"] for g in gt])
        dt_ig = np.zeros((num_thrs, num_dt))
        for iou_thr_idx, iou_thr in enumerate(self.params.iou_thrs):
            if len(ious) == 0:
                break
            for dt_idx, _dt in enumerate(dt):
                iou = min([iou_thr, 1 - 1e-10])
                m = -1
                for gt_idx, _ in enumerate(gt):
                    if gt_m[iou_thr_idx, gt_idx] > 0:
                        continue
                    if m > -1 and gt_ig[m] == 0 and gt_ig[gt_idx] == 1:
                        break
                    if ious[dt_idx, gt_idx] < iou:
                        continue
                    iou = ious[dt_idx, gt_idx]
                    m = gt_idx
                if m == -1:
                    continue
                dt_ig[iou_thr_idx, dt_idx] = gt_ig[m]
                dt_m[iou_thr_idx, dt_idx] = gt[m]["id"]
                gt_m[iou_thr_idx, m] = _dt["id"]
        dt_ig_mask = [d["area"] < area_rng[0] or d["area"] > area_rng[1] or d["category_id"] in self.img_nel[d["image_id"]]
                      for d in dt]
        dt_ig_mask = np.array(dt_ig_mask).reshape((1, num_dt))
        dt_ig_mask = np.repeat(dt_ig_mask, num_thrs, 0)
        dt_ig = np.logical_or(dt_ig, np.logical_and(dt_m == 0, dt_ig_mask))
        return {"image_id": img_id, "category_id": cat_id, "area_rng": area_rng, "dt_ids": [d["id"] for d in dt],
                "gt_ids": [g["id"] for g in gt], "dt_matches": dt_m, "gt_matches": gt_m,
                "dt_scores": [d["score"] for d in dt], "gt_ignore": gt_ig, "dt_ignore": dt_ig}

    def accumulate(self):
        cat_ids = self.params.cat_ids if self.params.use_cats else [-1]
        num_thrs = len(self.params.iou_thrs)
        num_recalls = len(self.params.rec_thrs)
        num_cats = len(cat_ids)
        num_area_rngs = len(self.params.area_rng)
        num_imgs = len(self.params.img_ids)
        precision = -np.ones((num_thrs, num_recalls, num_cats, num_area_rngs))
        recall = -np.ones((num_thrs, num_cats, num_area_rngs))
        for cat_idx in range(num_cats):
            Nk = cat_idx * num_area_rngs * num_imgs
            for area_idx in range(num_area_rngs):
                Na = area_idx * num_imgs
                E = [self.eval_imgs[Nk + Na + img_idx] for img_idx in range(num_imgs)]
                E = [e for e in E if e is not None]
                if len(E) == 0:
                    continue
                dt_scores = np.concatenate([e["dt_scores"] for e in E], axis=0)
                dt_idx = np.argsort(-dt_scores, kind="mergesort")
                dt_scores = dt_scores[dt_idx]
                dt_m = np.concatenate([e["dt_matches"] for e in E], axis=1)[:, dt_idx]
                dt_ig = np.concatenate([e["dt_ignore"] for e in E], axis=1)[:, dt_idx]
                gt_ig = np.concatenate([e["gt_ignore"] for e in E])
                num_gt = np.count_nonzero(gt_ig == 0)
                if num_gt == 0:
                    continue
                tps = np.logical_and(dt_m, np.logical_not(dt_ig))
                fps = np.logical_and(np.logical_not(dt_m), np.logical_not(dt_ig))
                tp_sum = np.cumsum(tps, axis=1).astype(dtype=float)
                fp_sum = np.cumsum(fps, axis=1).astype(dtype=float)
                for iou_thr_idx, (tp, fp) in enumerate(zip(tp_sum, fp_sum)):
                    tp = np.array(tp)
                    fp = np.array(fp)
                    num_tp = len(tp)
                    rc = tp / num_gt
                    if num_tp:
                        recall[iou_thr_idx, cat_idx, area_idx] = rc[-1]
                    else:
                        recall[iou_thr_idx, cat_idx, area_idx] = 0
                    pr = tp / (fp + tp + np.spacing(1))
                    pr = pr.tolist()
                    for i in range(num_tp - 1, 0, -1):
                        if pr[i] > pr[i - 1]:
                            pr[i - 1] = pr[i]
                    rec_thrs_insert_idx = np.searchsorted(rc, self.params.rec_thrs, side="left")
                    pr_at_recall = [0.0] * num_recalls
                    try:
                        for _idx, pr_idx in enumerate(rec_thrs_insert_idx):
                            pr_at_recall[_idx] = pr[pr_idx]
                    except Exception:
                        pass
                    precision[iou_thr_idx, :, cat_idx, area_idx] = np.array(pr_at_recall)
        self.eval = {"precision": precision, "recall": recall}

    def _summarize(self, summary_type, iou_thr=None, area_rng="all", freq_group_idx=None):
        aidx = [idx for idx, _area_rng in enumerate(self.params.area_rng_lbl) if _area_rng == area_rng]
        if summary_type == 'ap':
            s = self.eval["precision"]
            if iou_thr is not None:
                tidx = np.where(iou_thr == self.params.iou_thrs)[0]
                s = s[tidx]
            if freq_group_idx is not None:
                s = s[:, :, self.freq_groups[freq_group_idx], aidx]
            else:
                s = s[:, :, :, aidx]
        else:
            s = self.eval["recall"]
            if iou_thr is not None:
                tidx = np.where(iou_thr == self.params.iou_thrs)[0]
                s = s[tidx]
            s = s[:, :, aidx]
        if len(s[s > -1]) == 0:
            mean_s = -1
        else:
            mean_s = np.mean(s[s > -1])
        return mean_s

    def summarize(self):
        max_dets_im = self.params.max_dets
        self.results["AP"] = self._summarize('ap')
        self.results["AP50"] = self._summarize('ap', iou_thr=0.50)
        self.results["AP75"] = self._summarize('ap', iou_thr=0.75)
        self.results["APs"] = self._summarize('ap', area_rng="small")
        self.results["APm"] = self._summarize('ap', area_rng="medium")
        self.results["APl"] = self._summarize('ap', area_rng="large")
        self.results["APr"] = self._summarize('ap', freq_group_idx=0)
        self.results["APc"] = self._summarize('ap', freq_group_idx=1)
        self.results["APf"] = self._summarize('ap', freq_group_idx=2)
        key_suffix = max_dets_im
        self.results["AR@{}".format(key_suffix)] = self._summarize('ar')
        for area_rng in ["small", "medium", "large"]:
            self.results["AR{}@{}".format(area_rng[0], key_suffix)] = self._summarize('ar', area_rng=area_rng)

    def print_results(self):
        template = " {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={} catIds={:>3s}] = {:0.3f}"
        for key, value in self.results.items():
            max_dets_str = "{:>3d}".format(self.params.max_dets)
            if "AP" in key:
                title, _type = "Average Precision", "(AP)"
            else:
                title, _type = "Average Recall", "(AR)"
            if len(key) > 2 and key[2].isdigit():
                iou = "{:0.2f}".format(float(key[2:]) / 100)
            else:
                iou = "{:0.2f}:{:0.2f}".format(self.params.iou_thrs[0], self.params.iou_thrs[-1])
            cat_group_name = key[2] if len(key) > 2 and key[2] in ["r", "c", "f"] else "all"
            area_rng = key[2] if len(key) > 2 and key[2] in ["s", "m", "l"] else "all"
            print(template.format(title, _type, iou, area_rng, max_dets_str, cat_group_name, value))


def evaluate(gt, results):
    """What the case's "expected" holds."""
    lvis_gt = LVIS(gt)
    lvis_eval = LVISEval(lvis_gt, LVISResults(lvis_gt, results))
    lvis_eval.evaluate()
    lvis_eval.accumulate()
    lvis_eval.summarize()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        lvis_eval.print_results()
    precisions = lvis_eval.eval['precision']
    per_cat, reported = {}, OrderedDict()
    for cat_id in lvis_gt.get_cat_ids():  # file order; each category's own slice of the id-sorted axis
        idx = lvis_eval.params.cat_ids.index(cat_id)
        p = precisions[:, :, idx, 0]
        p = p[p > -1]
        ap = np.mean(p) if p.size else float('nan')
        per_cat[str(cat_id)] = None if np.isnan(ap) else float(ap)
        reported[lvis_gt.load_cats([cat_id])[0]['name'] + '_precision'] = None if np.isnan(ap) else round(ap, 3)
    for k, v in lvis_eval.results.items():
        if k in ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'APr', 'APc', 'APf']:
            reported['bbox_' + k] = float('{:.3f}'.format(float(v)))
    return {"results": OrderedDict((k, float(v)) for k, v in lvis_eval.results.items()), "per_category_AP": per_cat,
            "printed": out.getvalue().splitlines(), "reported": reported}


# ---- cases ----
def make_case(rng, num_images, cats, anns_per_image, dets_per_image, score_decimals=2, extra=None):
    """Random GT boxes (area field = box area times a factor, as a segmentation's), detections near them and at random."""
    images, anns = [], []
    ids = list(range(1, num_images + 1))
    rng.shuffle(ids)
    ann_id = 1
    cat_ids = [c["id"] for c in cats]
    for img in ids:
        w, h = int(rng.integers(120, 400)), int(rng.integers(120, 400))
        present = set()
        for _ in range(int(rng.integers(0, anns_per_image + 1))):
            c = int(rng.choice(cat_ids))
            bw, bh = float(rng.uniform(4, w / 2)), float(rng.uniform(4, h / 2))
            x, y = float(rng.uniform(0, w - bw)), float(rng.uniform(0, h - bh))
            bbox = [round(x, 2), round(y, 2), round(bw, 2), round(bh, 2)]
            anns.append({"id": ann_id, "image_id": img, "category_id": c, "bbox": bbox,
                         "area": round(bbox[2] * bbox[3] * float(rng.uniform(0.4, 1.0)), 2)})
            ann_id += 1
            present.add(c)
        absent = [c for c in cat_ids if c not in present]
        neg = sorted(int(c) for c in rng.choice(absent, size=min(len(absent), int(rng.integers(0, 3))), replace=False)) if absent else []
        nel = sorted(int(c) for c in rng.choice(sorted(present), size=min(len(present), int(rng.integers(0, 2))), replace=False)) if present else []
        images.append({"id": img, "width": w, "height": h, "coco_url": "http://images.cocodataset.org/val2017/%012d.jpg" % img,
                       "neg_category_ids": neg, "not_exhaustive_category_ids": nel})
    results = []
    by_img = defaultdict(list)
    for a in anns:
        by_img[a["image_id"]].append(a)
    for im in images:
        n = dets_per_image(im["id"]) if callable(dets_per_image) else dets_per_image
        for k in range(n):
            src = by_img[im["id"]]
            if src and rng.random() < 0.6:
                a = src[int(rng.integers(0, len(src)))]
                x, y, bw, bh = a["bbox"]
                j = float(rng.uniform(0.0, 0.3))
                bbox = [x + bw * float(rng.uniform(-j, j)), y + bh * float(rng.uniform(-j, j)),
                        bw * float(rng.uniform(1 - j, 1 + j)), bh * float(rng.uniform(1 - j, 1 + j))]
                c = a["category_id"] if rng.random() < 0.8 else int(rng.choice(cat_ids))
            else:
                bw, bh = float(rng.uniform(2, 150)), float(rng.uniform(2, 150))
                bbox = [float(rng.uniform(0, im["width"])), float(rng.uniform(0, im["height"])), bw, bh]
                c = int(rng.choice(cat_ids))
            results.append({"image_id": im["id"], "category_id": c, "bbox": [round(v, 3) for v in bbox],
                            "score": round(float(rng.uniform(0.01, 1.0)), score_decimals)})
    gt = {"images": images, "annotations": anns, "categories": cats}
    if extra:
        extra(gt, results, rng)
    return gt, results


def cats_of(freqs, ids=None):
    ids = ids or list(range(1, len(freqs) + 1))
    return [{"id": i, "name": "cat_%d" % i, "frequency": f, "synset": "s%d" % i} for i, f in zip(ids, freqs)]


def edge_cases(gt, results, rng):
    """Zero-area boxes (GT area 0, a detection of width 0), a GT id 0, a detection of a category neither present nor
    negative on its image, an image without anything."""
    gt["annotations"][0]["area"] = 0.0
    gt["annotations"][1]["id"] = 0
    r = dict(results[0])
    r["bbox"] = [r["bbox"][0], r["bbox"][1], 0.0, 10.0]
    results.append(r)
    gt["images"].append({"id": 999, "width": 50, "height": 50, "coco_url": "http://images.cocodataset.org/val2017/x.jpg",
                         "neg_category_ids": [], "not_exhaustive_category_ids": []})


def main():
    out_dir = os.path.join(sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/goldens", "lvis_eval")
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(20240611)
    cases = {
        "three_groups": make_case(rng, 5, cats_of("rcffcr"), 6, 12),
        "over_300_on_one_image": make_case(rng, 3, cats_of("fcr"), 8, lambda i: 420 if i == 2 else 15, score_decimals=1),
        "no_rare_and_empty_categories": make_case(rng, 4, cats_of("cfcfc", ids=[7, 3, 11, 5, 20]), 3, 6),
        "ties_and_edge_cases": make_case(rng, 6, cats_of("frcf"), 5, 10, score_decimals=1, extra=edge_cases),
        "many_small_images": make_case(rng, 12, cats_of("rcfrcfrc"), 4, 8),
    }
    for name, (gt, results) in cases.items():
        case = {"gt": gt, "results": results, "expected": evaluate(gt, results)}
        with open(os.path.join(out_dir, name + ".json"), "w") as f:
            json.dump(case, f)
        print(name, case["expected"]["results"])


if __name__ == "__main__":
    main()
