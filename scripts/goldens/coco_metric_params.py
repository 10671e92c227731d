"""Writes src/test/resources/goldens/coco_metric_params/*.json: COCOeval with the parameters MMDetection 3.3's
CocoMetric sets from its config keys (iou_thrs, proposal_nums, metric_items, use_mp_eval), on the ground truth and
detections of goldens/coco_eval/<case>, for CocoMetricParamsGoldenTest.

CocoMetric does `coco_eval.params.maxDets = list(proposal_nums)` and `coco_eval.params.iouThrs = iou_thrs`: a
config's iou_thrs arrives as a Python list, and summarize's `np.where(iouThr == p.iouThrs)` then compares a float
with a list (False), so the IoU=.50 / .75 numbers are -1. That needs numpy 1.x (numpy 2.4 raises there). The
`ndarray` cases set the thresholds as an array (pycocotools used directly): compared element by element.
use_mp_eval's COCOevalMP evaluates as COCOeval and summarizes at the largest maxDets; its summary is written here
from that rule (`summary_specs`), checked against pycocotools' own summarize for plain COCOeval cases.

Needs pycocotools and numpy 1.x, e.g. `pip install --target /tmp/pycoco pycocotools` and a folder holding only the
pycocotools package on PYTHONPATH so that the system numpy 1.24 is used.
Run: python3 scripts/goldens/coco_metric_params.py [GOLDENS_DIR]   (default src/test/resources/goldens)
"""
import contextlib
import io
import json
import os
import sys

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

ITEMS = ['mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l', 'AR@100', 'AR@300', 'AR@1000', 'AR_s@1000',
         'AR_m@1000', 'AR_l@1000']

# name, iou_thrs (None: CocoMetric's default), as a list (a config) or an ndarray, proposal_nums, metric_items, mp
PARAMS = [
    ('iou_list', [0.5, 0.75], 'list', (100, 300, 1000), ['mAP', 'mAP_50', 'AR@100'], False),
    ('iou_one', [0.6], 'list', (100, 300, 1000), None, False),
    ('iou_ndarray_four_dets', [0.3, 0.5, 0.75, 0.9], 'ndarray', (5, 100, 20, 10), ['mAP_75', 'AR@300'], False),
    ('dets_without_100', None, 'ndarray', (1, 10, 50), ['mAP', 'AR@1000', 'AR_s@1000'], False),
    ('dets_repeated', None, 'ndarray', (100, 100, 300), None, False),
    ('small_dets', None, 'ndarray', (2, 5, 8), ['mAP_l', 'mAP_m', 'mAP_s'], False),
    ('mp_eval', None, 'ndarray', (100, 300, 1000), None, True),
    ('mp_eval_small_dets', [0.5, 0.7], 'list', (3, 1, 8), ['AR@1000', 'mAP'], True),
]


def summary_specs(max_dets, mp):
    """(ap, iouThr, area, maxDets) of the 12 numbers: COCOeval's _summarizeDets, or COCOevalMP's."""
    md = sorted(max_dets)
    ap_dets = md[-1] if mp else md[2]
    specs = [(1, None, 'all', ap_dets if mp else 100), (1, .5, 'all', ap_dets), (1, .75, 'all', ap_dets)]
    specs += [(1, None, a, ap_dets) for a in ('small', 'medium', 'large')]
    specs += [(0, None, 'all', m) for m in (md if mp else md[:3])]
    specs += [(0, None, a, ap_dets) for a in ('small', 'medium', 'large')]
    return specs


def summarize(e, specs):
    """pycocotools' _summarize for each spec: the numbers and the printed lines."""
    p = e.params
    stats, lines = [], []
    for ap, thr, area, max_det in specs:
        aind = [i for i, a in enumerate(p.areaRngLbl) if a == area]
        mind = [i for i, m in enumerate(p.maxDets) if m == max_det]
        s = e.eval['precision'] if ap == 1 else e.eval['recall']
        if thr is not None:
            s = s[np.where(thr == p.iouThrs)[0]]
        s = s[:, :, :, aind, mind] if ap == 1 else s[:, :, aind, mind]
        mean = -1 if len(s[s > -1]) == 0 else np.mean(s[s > -1])
        iou = '{:0.2f}:{:0.2f}'.format(p.iouThrs[0], p.iouThrs[-1]) if thr is None else '{:0.2f}'.format(thr)
        lines.append(' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}'.format(
            'Average Precision' if ap == 1 else 'Average Recall', '(AP)' if ap == 1 else '(AR)', iou, area,
            max_det, mean))
        stats.append(float(mean))
    return stats, lines


def run(gt_dir, name, thrs, kind, proposal_nums, items, mp):
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        gt = COCO(os.path.join(gt_dir, 'gt.json'))
        dt = gt.loadRes(os.path.join(gt_dir, 'dets.json'))
        e = COCOeval(gt, dt, 'bbox')
        e.params.maxDets = list(proposal_nums)
        if thrs is not None:
            e.params.iouThrs = list(thrs) if kind == 'list' else np.array(thrs, dtype=np.float64)
        e.evaluate()
        e.accumulate()
        if not mp:
            e.summarize()
    stats, lines = summarize(e, summary_specs(proposal_nums, mp))
    if not mp:  # the transcription reproduces pycocotools' own summary
        assert stats == [float(v) for v in e.stats], (name, stats, e.stats)
        assert lines == [l for l in printed.getvalue().splitlines() if l.startswith(' Average')], name
    prec = e.eval['precision']
    per_cat = {}
    for k, cat in enumerate(e.params.catIds):
        v = prec[:, :, k, 0, -1]
        v = v[v > -1]
        per_cat[str(cat)] = float(np.mean(v)) if v.size else None
    metrics = {}
    for item in items or ITEMS[:6]:
        metrics.setdefault('coco/bbox_' + item, stats[ITEMS.index(item)])
    return dict(iou_thrs=thrs, iou_thrs_kind=kind, proposal_nums=list(proposal_nums), metric_items=items,
                use_mp_eval=mp, stats=stats, summary=lines, per_category_AP=per_cat, metrics=metrics)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else 'src/test/resources/goldens'
    out_dir = os.path.join(root, 'coco_metric_params')
    os.makedirs(out_dir, exist_ok=True)
    cases = sorted(c for c in os.listdir(os.path.join(root, 'coco_eval'))
                   if os.path.isfile(os.path.join(root, 'coco_eval', c, 'gt.json')))
    for c in cases:
        for name, thrs, kind, nums, items, mp in PARAMS:
            res = dict(name=f'{c}_{name}', coco_eval_case=c)
            res.update(run(os.path.join(root, 'coco_eval', c), name, thrs, kind, nums, items, mp))
            with open(os.path.join(out_dir, f'{c}_{name}.json'), 'w') as f:
                json.dump(res, f, indent=1)
                f.write('\n')
    print(f'{len(cases) * len(PARAMS)} cases -> {out_dir}')


if __name__ == '__main__':
    main()
