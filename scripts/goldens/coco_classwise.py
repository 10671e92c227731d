"""Writes src/test/resources/goldens/coco_classwise/<case>.json: MMDetection 3.3's classwise table of CocoMetric
(classwise=True) for the ground truth and detections of goldens/coco_eval/<case>, for CocoClasswiseGoldenTest.

The rows are computed from pycocotools' COCOeval as mmdet/evaluation/metrics/coco_metric.py does (compute_metrics,
`if self.classwise`): per category, the mean of `precision[..., idx, area, -1]` over entries > -1 (nan when none) for
all IoUs, the 1st and the 6th IoU threshold, and the small / medium / large areas, each written f'{round(ap, 3)}';
`<name>_precision` = round(ap, 3). Both the plain COCOeval maxDets [1, 10, 100] ("standard") and CocoMetric's
proposal_nums [100, 300, 1000] ("mmdet"). Categories in id order (COCO's files list them so).

Needs pycocotools and numpy 1.x (see coco_metric_params.py).
Run: python3 scripts/goldens/coco_classwise.py [GOLDENS_DIR]   (default src/test/resources/goldens)
"""
import contextlib
import io
import json
import os
import sys

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def mean_or_nan(p):
    p = p[p > -1]
    return np.mean(p) if p.size else float('nan')


def rows(gt_file, dt_file, max_dets):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_file)
        dt = gt.loadRes(json.load(open(dt_file)))
        ev = COCOeval(gt, dt, 'bbox')
        ev.params.maxDets = list(max_dets)
        ev.evaluate()
        ev.accumulate()
    precisions = ev.eval['precision']
    out = []
    for idx, cat_id in enumerate(sorted(gt.getCatIds())):
        name = gt.loadCats(cat_id)[0]['name']
        row = [name, f'{round(mean_or_nan(precisions[:, :, idx, 0, -1]), 3)}']
        for iou in [0, 5]:
            row.append(f'{round(mean_or_nan(precisions[iou, :, idx, 0, -1]), 3)}')
        for area in [1, 2, 3]:
            row.append(f'{round(mean_or_nan(precisions[:, :, idx, area, -1]), 3)}')
        out.append(row)
    return out


def main():
    goldens = sys.argv[1] if len(sys.argv) > 1 else 'src/test/resources/goldens'
    src = os.path.join(goldens, 'coco_eval')
    out = os.path.join(goldens, 'coco_classwise')
    os.makedirs(out, exist_ok=True)
    for case in sorted(os.listdir(src)):
        d = os.path.join(src, case)
        if not os.path.isdir(d):
            continue
        res = {'case': case, 'standard': rows(os.path.join(d, 'gt.json'), os.path.join(d, 'dets.json'), (1, 10, 100)),
               'mmdet': rows(os.path.join(d, 'gt.json'), os.path.join(d, 'dets.json'), (100, 300, 1000))}
        with open(os.path.join(out, case + '.json'), 'w') as f:
            json.dump(res, f, indent=1)
        print(case, len(res['standard']), 'categories')


if __name__ == '__main__':
    main()
