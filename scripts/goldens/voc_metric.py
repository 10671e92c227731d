"""Writes src/test/resources/goldens/voc_metric/<case>.json for VocMetricGoldenTest: a COCO-format ground truth (crowd
= VOC's difficult, MMDetection's ignored instances), a results list, and what MMDetection 3.3's VOCMetric makes of them.

MMDetection is not installed here, so the functions it runs are transcribed below (numpy only) from these sources:
  * mmdetection  mmdet/evaluation/functional/bbox_overlaps.py  bbox_overlaps (use_legacy_coordinate: + 1 in widths,
                 heights and overlaps)
  * mmdetection  mmdet/evaluation/functional/mean_ap.py  average_precision ('area', '11points'), tpfp_default,
                 get_cls_results, eval_map (the Pool's starmap replaced by a loop: the same results in the same order),
                 print_map_summary (the table, via a transcription of terminaltables' AsciiTable)
  * mmdetection  mmdet/evaluation/metrics/voc_metric.py  VOCMetric.process / compute_metrics (metric='mAP';
                 eval_map(..., eval_mode=self.eval_mode, use_legacy_coordinate=True); AP<thr> = round(mean_ap, 3),
                 mAP = sum(mean_aps) / len(mean_aps), moved first)
The code keeps MMDetection's structure and names so that it can be compared line by line.

No case has tied scores: np.argsort(-scores) orders equal keys as the machine's numpy sorts them (introsort, or
x86-simd-sort's AVX-512 argsort on CPUs that have it), so MMDetection itself has no single answer there.

The ground truth reaches eval_map as MMDetection's data samples carry it: per image (in increasing id, the order
CocoGroundTruth lists them) `bboxes` / `labels` of the non-crowd annotations and `bboxes_ignore` / `labels_ignore` of
the crowd ones, corners [x, y, x + w, y + h] in float32, labels the positions of the category ids in increasing order.
The detections are each image's results in file order, [x, y, x + w, y + h] (float32 of the float64 sums) and the
score in float32.

Each case holds "gt", "results", "iou_thrs", "eval_mode", "legacy" (use_legacy_coordinate: VOCMetric's True, or
eval_map's default False as analyze_results.py calls it) and "expected": "metrics" (VOCMetric's dict, without the
'pascal_voc/' prefix), "classes" (per threshold, per class: gts, dets, recall = the last recall or 0, ap), "mean_aps"
(eval_map's mean_ap per threshold) and "printed" (the logged lines: the iou_thr line without its leading newline and
print_map_summary's table).

Run: /usr/bin/python3 scripts/goldens/voc_metric.py [GOLDENS_DIR]   (numpy 1.24; default src/test/resources/goldens)
"""
import json
import os
import sys
from collections import OrderedDict

import numpy as np


# ---- mmdet/evaluation/functional/bbox_overlaps.py ----
def bbox_overlaps(bboxes1, bboxes2, mode='iou', eps=1e-6, use_legacy_coordinate=False):
    assert mode in ['iou', 'iof']
    if not use_legacy_coordinate:
        extra_length = 0.
    else:
        extra_length = 1.
    bboxes1 = bboxes1.astype(np.float32)
    bboxes2 = bboxes2.astype(np.float32)
    rows = bboxes1.shape[0]
    cols = bboxes2.shape[0]
    ious = np.zeros((rows, cols), dtype=np.float32)
    if rows * cols == 0:
        return ious
    exchange = False
    if bboxes1.shape[0] > bboxes2.shape[0]:
        bboxes1, bboxes2 = bboxes2, bboxes1
        ious = np.zeros((cols, rows), dtype=np.float32)
        exchange = True
    area1 = (bboxes1[:, 2] - bboxes1[:, 0] + extra_length) * (bboxes1[:, 3] - bboxes1[:, 1] + extra_length)
    area2 = (bboxes2[:, 2] - bboxes2[:, 0] + extra_length) * (bboxes2[:, 3] - bboxes2[:, 1] + extra_length)
    for i in range(bboxes1.shape[0]):
        x_start = np.maximum(bboxes1[i, 0], bboxes2[:, 0])
        y_start = np.maximum(bboxes1[i, 1], bboxes2[:, 1])
        x_end = np.minimum(bboxes1[i, 2], bboxes2[:, 2])
        y_end = np.minimum(bboxes1[i, 3], bboxes2[:, 3])
        overlap = np.maximum(x_end - x_start + extra_length, 0) * np.maximum(y_end - y_start + extra_length, 0)
        if mode == 'iou':
            union = area1[i] + area2 - overlap
        else:
            union = area1[i] if not exchange else area2
        union = np.maximum(union, eps)
        ious[i, :] = overlap / union
    if exchange:
        ious = ious.T
    return ious


# ---- mmdet/evaluation/functional/mean_ap.py ----
def average_precision(recalls, precisions, mode='area'):
    no_scale = False
    if recalls.ndim == 1:
        no_scale = True
        recalls = recalls[np.newaxis, :]
        precisions = precisions[np.newaxis, :]
    assert recalls.shape == precisions.shape and recalls.ndim == 2
    num_scales = recalls.shape[0]
    ap = np.zeros(num_scales, dtype=np.float32)
    if mode == 'area':
        zeros = np.zeros((num_scales, 1), dtype=recalls.dtype)
        ones = np.ones((num_scales, 1), dtype=recalls.dtype)
        mrec = np.hstack((zeros, recalls, ones))
        mpre = np.hstack((zeros, precisions, zeros))
        for i in range(mpre.shape[1] - 1, 0, -1):
            mpre[:, i - 1] = np.maximum(mpre[:, i - 1], mpre[:, i])
        for i in range(num_scales):
            ind = np.where(mrec[i, 1:] != mrec[i, :-1])[0]
            ap[i] = np.sum((mrec[i, ind + 1] - mrec[i, ind]) * mpre[i, ind + 1])
    elif mode == '11points':
        for i in range(num_scales):
            for thr in np.arange(0, 1 + 1e-3, 0.1):
                precs = precisions[i, recalls[i, :] >= thr]
                prec = precs.max() if precs.size > 0 else 0
                ap[i] += prec
        ap /= 11
    else:
        raise ValueError('Unrecognized mode, only "area" and "11points" are supported')
    if no_scale:
        ap = ap[0]
    return ap


def tpfp_default(det_bboxes, gt_bboxes, gt_bboxes_ignore=None, iou_thr=0.5, area_ranges=None,
                 use_legacy_coordinate=False, **kwargs):
    if not use_legacy_coordinate:
        extra_length = 0.
    else:
        extra_length = 1.
    gt_ignore_inds = np.concatenate((np.zeros(gt_bboxes.shape[0], dtype=bool),
                                     np.ones(gt_bboxes_ignore.shape[0], dtype=bool)))
    gt_bboxes = np.vstack((gt_bboxes, gt_bboxes_ignore))
    num_dets = det_bboxes.shape[0]
    num_gts = gt_bboxes.shape[0]
    if area_ranges is None:
        area_ranges = [(None, None)]
    num_scales = len(area_ranges)
    tp = np.zeros((num_scales, num_dets), dtype=np.float32)
    fp = np.zeros((num_scales, num_dets), dtype=np.float32)
    if gt_bboxes.shape[0] == 0:
        if area_ranges == [(None, None)]:
            fp[...] = 1
        else:
            det_areas = (det_bboxes[:, 2] - det_bboxes[:, 0] + extra_length) * (
                det_bboxes[:, 3] - det_bboxes[:, 1] + extra_length)
            for i, (min_area, max_area) in enumerate(area_ranges):
                fp[i, (det_areas >= min_area) & (det_areas < max_area)] = 1
        return tp, fp
    ious = bbox_overlaps(det_bboxes, gt_bboxes, use_legacy_coordinate=use_legacy_coordinate)
    ious_max = ious.max(axis=1)
    ious_argmax = ious.argmax(axis=1)
    sort_inds = np.argsort(-det_bboxes[:, -1])
    for k, (min_area, max_area) in enumerate(area_ranges):
        gt_covered = np.zeros(num_gts, dtype=bool)
        if min_area is None:
            gt_area_ignore = np.zeros_like(gt_ignore_inds, dtype=bool)
        else:
            gt_areas = (gt_bboxes[:, 2] - gt_bboxes[:, 0] + extra_length) * (
                gt_bboxes[:, 3] - gt_bboxes[:, 1] + extra_length)
            gt_area_ignore = (gt_areas < min_area) | (gt_areas >= max_area)
        for i in sort_inds:
            if ious_max[i] >= iou_thr:
                matched_gt = ious_argmax[i]
                if not (gt_ignore_inds[matched_gt] or gt_area_ignore[matched_gt]):
                    if not gt_covered[matched_gt]:
                        gt_covered[matched_gt] = True
                        tp[k, i] = 1
                    else:
                        fp[k, i] = 1
            elif min_area is None:
                fp[k, i] = 1
            else:
                bbox = det_bboxes[i, :4]
                area = (bbox[2] - bbox[0] + extra_length) * (bbox[3] - bbox[1] + extra_length)
                if area >= min_area and area < max_area:
                    fp[k, i] = 1
    return tp, fp


def get_cls_results(det_results, annotations, class_id):
    cls_dets = [img_res[class_id] for img_res in det_results]
    cls_gts = []
    cls_gts_ignore = []
    for ann in annotations:
        gt_inds = ann['labels'] == class_id
        cls_gts.append(ann['bboxes'][gt_inds, :])
        if ann.get('labels_ignore', None) is not None:
            ignore_inds = ann['labels_ignore'] == class_id
            cls_gts_ignore.append(ann['bboxes_ignore'][ignore_inds, :])
        else:
            cls_gts_ignore.append(np.empty((0, 4), dtype=np.float32))
    return cls_dets, cls_gts, cls_gts_ignore


def eval_map(det_results, annotations, scale_ranges=None, iou_thr=0.5, dataset=None, logger=None,
             use_legacy_coordinate=False, eval_mode='area'):
    assert len(det_results) == len(annotations)
    assert eval_mode in ['area', '11points']
    if not use_legacy_coordinate:
        extra_length = 0.
    else:
        extra_length = 1.
    num_scales = len(scale_ranges) if scale_ranges is not None else 1
    num_classes = len(det_results[0])
    area_ranges = ([(rg[0]**2, rg[1]**2) for rg in scale_ranges] if scale_ranges is not None else None)
    eval_results = []
    for i in range(num_classes):
        cls_dets, cls_gts, cls_gts_ignore = get_cls_results(det_results, annotations, i)
        tpfp_fn = tpfp_default
        # pool.starmap(tpfp_fn, zip(...)) over the images (or the single-image call): a loop gives the same list
        tpfp = [tpfp_fn(d, g, gi, iou_thr, area_ranges, use_legacy_coordinate)
                for d, g, gi in zip(cls_dets, cls_gts, cls_gts_ignore)]
        tp, fp = tuple(zip(*tpfp))
        num_gts = np.zeros(num_scales, dtype=int)
        for j, bbox in enumerate(cls_gts):
            if area_ranges is None:
                num_gts[0] += bbox.shape[0]
            else:
                gt_areas = (bbox[:, 2] - bbox[:, 0] + extra_length) * (bbox[:, 3] - bbox[:, 1] + extra_length)
                for k, (min_area, max_area) in enumerate(area_ranges):
                    num_gts[k] += np.sum((gt_areas >= min_area) & (gt_areas < max_area))
        cls_dets = np.vstack(cls_dets)
        num_dets = cls_dets.shape[0]
        sort_inds = np.argsort(-cls_dets[:, -1])
        tp = np.hstack(tp)[:, sort_inds]
        fp = np.hstack(fp)[:, sort_inds]
        tp = np.cumsum(tp, axis=1)
        fp = np.cumsum(fp, axis=1)
        eps = np.finfo(np.float32).eps
        recalls = tp / np.maximum(num_gts[:, np.newaxis], eps)
        precisions = tp / np.maximum((tp + fp), eps)
        if scale_ranges is None:
            recalls = recalls[0, :]
            precisions = precisions[0, :]
            num_gts = num_gts.item()
        ap = average_precision(recalls, precisions, eval_mode)
        eval_results.append({'num_gts': num_gts, 'num_dets': num_dets, 'recall': recalls,
                             'precision': precisions, 'ap': ap})
    if scale_ranges is not None:
        raise NotImplementedError('VOCMetric fails on scale_ranges (round() of a list); not a case here')
    aps = []
    for cls_result in eval_results:
        if cls_result['num_gts'] > 0:
            aps.append(cls_result['ap'])
    mean_ap = np.array(aps).mean().item() if aps else 0.0
    print_map_summary(mean_ap, eval_results, dataset, area_ranges, logger=logger)
    return mean_ap, eval_results


def ascii_table(table_data):
    """terminaltables 3.1 AsciiTable(table_data) with inner_footing_row_border = True, .table."""
    widths = [max(len(str(row[k])) for row in table_data) for k in range(len(table_data[0]))]
    rule = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'
    lines = [rule]
    for n, row in enumerate(table_data):
        lines.append('|' + '|'.join(' ' + str(c).ljust(w) + ' ' for c, w in zip(row, widths)) + '|')
        if n == 0 or n == len(table_data) - 2:
            lines.append(rule)
    lines.append(rule)
    return '\n'.join(lines)


def print_map_summary(mean_ap, results, dataset=None, scale_ranges=None, logger=None):
    if logger == 'silent':
        return
    if isinstance(results[0]['ap'], np.ndarray):
        num_scales = len(results[0]['ap'])
    else:
        num_scales = 1
    num_classes = len(results)
    recalls = np.zeros((num_scales, num_classes), dtype=np.float32)
    aps = np.zeros((num_scales, num_classes), dtype=np.float32)
    num_gts = np.zeros((num_scales, num_classes), dtype=int)
    for i, cls_result in enumerate(results):
        if cls_result['recall'].size > 0:
            recalls[:, i] = np.array(cls_result['recall'], ndmin=2)[:, -1]
        aps[:, i] = cls_result['ap']
        num_gts[:, i] = cls_result['num_gts']
    label_names = dataset  # a list of class names here (VOCMetric passes dataset_meta['classes'] off VOC2007/2012)
    if not isinstance(mean_ap, list):
        mean_ap = [mean_ap]
    header = ['class', 'gts', 'dets', 'recall', 'ap']
    for i in range(num_scales):
        table_data = [header]
        for j in range(num_classes):
            row_data = [label_names[j], num_gts[i, j], results[j]['num_dets'],
                        f'{recalls[i, j]:.3f}', f'{aps[i, j]:.3f}']
            table_data.append(row_data)
        table_data.append(['mAP', '', '', '', f'{mean_ap[i]:.3f}'])
        logger.extend(ascii_table(table_data).split('\n'))


# ---- mmdet/evaluation/metrics/voc_metric.py ----
def voc_metric(gts, preds, classes, iou_thrs, eval_mode, legacy, printed):
    eval_results = OrderedDict()
    mean_aps = []
    for iou_thr in iou_thrs:
        printed.append(f'{"-" * 15}iou_thr: {iou_thr}{"-" * 15}')
        mean_ap, details = eval_map(preds, gts, scale_ranges=None, iou_thr=iou_thr, dataset=classes, logger=printed,
                                    eval_mode=eval_mode, use_legacy_coordinate=legacy)
        mean_aps.append(mean_ap)
        eval_results[f'AP{int(iou_thr * 100):02d}'] = round(mean_ap, 3)
        yield iou_thr, mean_ap, details
    eval_results['mAP'] = sum(mean_aps) / len(mean_aps)
    eval_results.move_to_end('mAP', last=False)
    yield None, eval_results, None


def to_mmdet(gt, results):
    """VOCMetric.process's (ann, dets) per image from the COCO files, as described above."""
    cat_ids = sorted(c['id'] for c in gt['categories'])
    label = {c: i for i, c in enumerate(cat_ids)}
    img_ids = sorted(im['id'] for im in gt['images'])

    def corners(b):
        x, y, w, h = b
        return [x, y, x + w, y + h]
    gts, preds = [], []
    for img in img_ids:
        anns = [a for a in gt['annotations'] if a['image_id'] == img]
        keep = [a for a in anns if not a.get('iscrowd', 0)]
        ign = [a for a in anns if a.get('iscrowd', 0)]
        gts.append(dict(labels=np.array([label[a['category_id']] for a in keep], dtype=np.int64),
                        bboxes=np.array([corners(a['bbox']) for a in keep], dtype=np.float32).reshape(-1, 4),
                        bboxes_ignore=np.array([corners(a['bbox']) for a in ign], dtype=np.float32).reshape(-1, 4),
                        labels_ignore=np.array([label[a['category_id']] for a in ign], dtype=np.int64)))
        mine = [r for r in results if r['image_id'] == img]
        pred_bboxes = np.array([corners(r['bbox']) for r in mine], dtype=np.float32).reshape(-1, 4)
        pred_scores = np.array([r['score'] for r in mine], dtype=np.float32)
        pred_labels = np.array([label[r['category_id']] for r in mine], dtype=np.int64)
        dets = []
        for lab in range(len(cat_ids)):
            index = np.where(pred_labels == lab)[0]
            dets.append(np.hstack([pred_bboxes[index], pred_scores[index].reshape((-1, 1))]))
        preds.append(dets)
    names = {c['id']: c['name'] for c in gt['categories']}
    return gts, preds, [names[c] for c in cat_ids]


def run(gt, results, iou_thrs, eval_mode, legacy):
    gts, preds, classes = to_mmdet(gt, results)
    printed = []
    per_thr, mean_aps, metrics = {}, {}, None
    for thr, value, details in voc_metric(gts, preds, classes, iou_thrs, eval_mode, legacy, printed):
        if thr is None:
            metrics = value
            continue
        mean_aps[str(thr)] = value
        per_thr[str(thr)] = [dict(name=classes[j], gts=int(d['num_gts']), dets=int(d['num_dets']),
                                  recall=float(d['recall'][-1]) if d['recall'].size > 0 else 0.0,
                                  ap=float(d['ap'])) for j, d in enumerate(details)]
    return dict(metrics=metrics, classes=per_thr, mean_aps=mean_aps, printed=printed)


# ---- the cases ----
def f32(v):
    return float(np.float32(v))


def case_small_boxes(rng):
    """Integer VOC-like corners where the legacy + 1 decides matches; difficult (crowd) boxes; 16 GTs, 1 found (0.0625)."""
    images = [dict(id=i, file_name=f'{i:06d}.jpg', width=100, height=100) for i in range(1, 5)]
    cats = [dict(id=0, name='dog'), dict(id=1, name='person'), dict(id=2, name='car'), dict(id=3, name='cat')]
    anns, res = [], []

    def ann(img, cat, box, crowd=0):
        anns.append(dict(id=len(anns) + 1, image_id=img, category_id=cat, bbox=box, area=box[2] * box[3], iscrowd=crowd))

    def det(img, cat, box, score):
        res.append(dict(image_id=img, category_id=cat, bbox=box, score=f32(score)))
    # dog: 3x3 boxes shifted by 1 px: IoU 2*3/(9+9-6) = 0.5 without + 1, 3*4/(16+16-12) = 0.6 with it
    ann(1, 0, [10, 10, 3, 3]); det(1, 0, [11, 10, 3, 3], 0.9)
    # 2x2 shifted by 1: 0.333 / 0.5: a TP only with + 1
    ann(1, 0, [40, 40, 2, 2]); det(1, 0, [41, 40, 2, 2], 0.8)
    # 4x4 shifted by 2 x and 1 y: 6/26 = 0.23 / 12/38 = 0.316
    ann(2, 0, [20, 20, 4, 4]); det(2, 0, [22, 21, 4, 4], 0.7)
    ann(2, 0, [60, 60, 5, 5], crowd=1); det(2, 0, [61, 60, 5, 5], 0.85)  # on a difficult dog: neither
    det(3, 0, [0, 0, 5, 5], 0.6)
    # person: 16 GTs in image 3 and 4, one found
    for k in range(16):
        ann(3 + k % 2, 1, [5 * k, 50, 4, 8])
    det(3, 1, [0, 50, 4, 8], 0.95)
    for k in range(5):
        det(4, 1, [5 * k + 2, 80, 3, 3], 0.5 - 0.05 * k)
    # car: detections only (left out of the mean); cat: a GT only (AP 0)
    det(1, 2, [1, 1, 10, 10], 0.3)
    ann(4, 3, [30, 30, 20, 20])
    return dict(images=images, categories=cats, annotations=anns), res


def case_random(rng, n_images=40, n_cats=5, n_gt=300, n_det=1500, integer_gt=True):
    images = [dict(id=i, file_name=f'{i:06d}.jpg', width=500, height=375) for i in range(n_images)]
    cats = [dict(id=c + 1, name=f'class{c}') for c in range(n_cats)]
    anns, res, used = [], [], set()
    for k in range(n_gt):
        img = int(rng.integers(n_images))
        cat = int(rng.integers(n_cats))
        w, h = int(rng.integers(2, 120)), int(rng.integers(2, 120))
        x, y = int(rng.integers(0, 500 - w)), int(rng.integers(0, 375 - h))
        box = [x, y, w, h] if integer_gt else [x + 0.5, y + 0.25, w - 0.75, h + 0.5]
        anns.append(dict(id=k + 1, image_id=img, category_id=cat + 1, bbox=box, area=box[2] * box[3],
                         iscrowd=int(rng.random() < 0.1)))
    for k in range(n_det):
        if rng.random() < 0.7 and anns:
            a = anns[int(rng.integers(len(anns)))]
            x, y, w, h = a['bbox']
            j = rng.normal(0, 0.12, 4) * np.array([w, h, w, h])
            box = [round(float(x + j[0]), 2), round(float(y + j[1]), 2), round(max(1.0, w + j[2]), 2),
                   round(max(1.0, h + j[3]), 2)]
            img = a['image_id']
            cat = a['category_id'] if rng.random() < 0.85 else int(rng.integers(n_cats)) + 1
        else:
            img = int(rng.integers(n_images))
            cat = int(rng.integers(n_cats)) + 1
            w, h = float(rng.uniform(2, 150)), float(rng.uniform(2, 150))
            box = [round(float(rng.uniform(0, 400)), 2), round(float(rng.uniform(0, 300)), 2), round(w, 2), round(h, 2)]
        s = f32(rng.random())
        while s in used:  # no tied scores: numpy orders ties as the CPU's sort does (introsort or AVX-512's)
            s = f32(rng.random())
        used.add(s)
        res.append(dict(image_id=img, category_id=cat, bbox=box, score=f32(s)))
    return dict(images=images, categories=cats, annotations=anns), res


def main():
    out = os.path.join(sys.argv[1] if len(sys.argv) > 1 else 'src/test/resources/goldens', 'voc_metric')
    os.makedirs(out, exist_ok=True)
    thrs = [round(0.5 + 0.05 * k, 2) for k in range(10)]
    cases = [
        ('small_boxes_11points', case_small_boxes(np.random.default_rng(0)), [0.5], '11points', True),
        ('small_boxes_area_no_legacy', case_small_boxes(np.random.default_rng(0)), [0.5, 0.75], 'area', False),
        ('random_area_ten_thresholds', case_random(np.random.default_rng(1)), thrs, 'area', True),
        ('random_11points_float_gt', case_random(np.random.default_rng(2), integer_gt=False), [0.5, 0.7], '11points', True),
        ('dense_images', case_random(np.random.default_rng(3), n_images=6, n_cats=3, n_gt=200, n_det=1200),
         [0.5, 0.75], 'area', True),
        ('many_classes', case_random(np.random.default_rng(5), n_images=30, n_cats=20, n_gt=400, n_det=2500),
         [0.5], '11points', True),
    ]
    for name, (gt, results), iou_thrs, mode, legacy in cases:
        expected = run(gt, results, iou_thrs, mode, legacy)
        doc = dict(gt=gt, results=results, iou_thrs=iou_thrs, eval_mode=mode, legacy=legacy, expected=expected)
        with open(os.path.join(out, name + '.json'), 'w') as f:
            json.dump(doc, f)
        print(name, dict(expected['metrics']))


if __name__ == '__main__':
    main()
