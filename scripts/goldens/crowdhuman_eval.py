"""Writes src/test/resources/goldens/crowdhuman_eval/<case>.json for CrowdHumanEvalGoldenTest: a CrowdHuman ground
truth (.odgt records), the detections of each image, and what MMDetection 3.3's CrowdHumanMetric makes of them.

MMDetection, scipy and mmengine cannot be installed here, so the parts the metric runs are transcribed below (numpy
only), from these sources:
  * mmdetection  mmdet/evaluation/metrics/crowdhuman_metric.py  CrowdHumanMetric: results2json, load_eval_samples,
                 compare, eval_ap, eval_mr, eval_ji, compute_ji_with_ignore, gather, compute_ji_matching, get_ignores,
                 compute_metrics' rounding; class Image: load, load_gt_boxes, load_det_boxes, clip_all_boader,
                 compare_caltech
  * mmdetection  mmdet/evaluation/functional/bbox_overlaps.py  bbox_overlaps (numpy, float32, eps 1e-6)
  * scipy        scipy/sparse/csgraph/_matching.pyx  maximum_bipartite_matching / _hopcroft_karp (the matching JI
                 counts), over csr_matrix(dense) (the entries that are not zero, columns ascending per row)
The code keeps the metric's structure and names so that it can be compared line by line. Three choices where the
released metric cannot run (each marked CHANGED below):
  * load_gt_boxes returns one empty array for a record without gtboxes, which load() unpacks into two: it fails;
    here it returns two empty arrays (an image without people).
  * load_eval_samples passes head_key=None, so eval_mode 1 and 2 fail on the first detection (load_det_boxes asserts
    the key); here the detection's 'box' is also its head box (mode 1: detections are compared with hbox).
  * eval_ji spreads the images over processes and sums the ratios in the order they come back; here one process, so
    the sum runs in image order (numpy's pairwise sum).

Each case holds "params" (eval_mode, iou_thres, mr_ref), "gt" (odgt records), "results" (results2json's records: ID,
width, height, dtboxes [{box: [x, y, w, h], score, tag}]) and "expected": "raw" (AP, MR, JI before rounding) and
"reported" (mAP, mMR, JI as compute_metrics rounds them).

Run: /usr/bin/python3 scripts/goldens/crowdhuman_eval.py [GOLDENS_DIR]   (numpy 1.24; default src/test/resources/goldens)
"""
import copy
import json
import math
import os
import sys

import numpy as np

PERSON_CLASSES = ['background', 'person']


# ---- mmdet/evaluation/functional/bbox_overlaps.py ----
def bbox_overlaps(bboxes1, bboxes2, mode='iou', eps=1e-6, use_legacy_coordinate=False):
    assert mode in ['iou', 'iof']
    extra_length = 1. if use_legacy_coordinate else 0.
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


# ---- scipy/sparse/csgraph/_matching.pyx (on the dense matrix: csr indices = nonzero columns, ascending) ----
def maximum_bipartite_matching_column(dense):
    i, j = dense.shape
    indptr, indices = [0], []
    for r in range(i):
        indices.extend(int(c) for c in np.nonzero(dense[r])[0])
        indptr.append(len(indices))
    INF = np.iinfo(np.int32).max
    x = [-1] * i
    y = [i] * j
    dist = [0] * (i + 1)
    q = [0] * (i + 1)
    stack = [0] * (i + 1)
    parents = [0] * i
    while True:
        head = 0
        tail = 0
        for v in range(i):
            if x[v] < 0:
                dist[v] = 0
                q[tail] = v
                tail += 1
            else:
                dist[v] = INF
        dist[i] = INF
        while head < tail:
            v = q[head]
            head += 1
            if dist[v] < dist[i]:
                for up in range(indptr[v], indptr[v + 1]):
                    u = indices[up]
                    if dist[y[u]] == INF:
                        dist[y[u]] = dist[v] + 1
                        q[tail] = y[u]
                        tail += 1
        if dist[i] == INF:
            break
        for w in range(i):
            if x[w] < 0:
                done = False
                stack[0] = w
                stack_head = 1
                while stack_head != 0:
                    stack_head -= 1
                    v = stack[stack_head]
                    for up in range(indptr[v], indptr[v + 1]):
                        u = indices[up]
                        yu = y[u]
                        if dist[yu] == dist[v] + 1:
                            if yu == i:
                                done = True
                                while True:
                                    dist[v] = INF
                                    u_old = x[v]
                                    y[u] = v
                                    x[v] = u
                                    u = u_old
                                    if v == w:
                                        break
                                    v = parents[v]
                                break
                            stack[stack_head] = yu
                            stack_head += 1
                            parents[yu] = v
                    if done:
                        break
    return np.asarray(x)


# ---- crowdhuman_metric.py: class Image ----
class Image(object):

    def __init__(self, mode):
        self.ID = None
        self.width = None
        self.height = None
        self.dt_boxes = None
        self.gt_boxes = None
        self.eval_mode = mode
        self.ign_num = None
        self.gt_num = None
        self.dt_num = None

    def load(self, record, body_key, head_key, class_names, gt_flag):
        if 'ID' in record and self.ID is None:
            self.ID = record['ID']
        if 'width' in record and self.width is None:
            self.width = record['width']
        if 'height' in record and self.height is None:
            self.height = record['height']
        if gt_flag:
            self.gt_num = len(record['gtboxes'])
            body_bbox, head_bbox = self.load_gt_boxes(record, 'gtboxes', class_names)
            if self.eval_mode == 0:
                self.gt_boxes = body_bbox
                self.ign_num = (body_bbox[:, -1] == -1).sum()
            elif self.eval_mode == 1:
                self.gt_boxes = head_bbox
                self.ign_num = (head_bbox[:, -1] == -1).sum()
            else:
                gt_tag = np.array([body_bbox[i, -1] != -1 and head_bbox[i, -1] != -1 for i in range(len(body_bbox))])
                self.ign_num = (gt_tag == 0).sum()
                self.gt_boxes = np.hstack((body_bbox[:, :-1], head_bbox[:, :-1], gt_tag.reshape(-1, 1)))
        if not gt_flag:
            self.dt_num = len(record['dtboxes'])
            if self.eval_mode == 0:
                self.dt_boxes = self.load_det_boxes(record, 'dtboxes', body_key, 'score')
            elif self.eval_mode == 1:
                self.dt_boxes = self.load_det_boxes(record, 'dtboxes', head_key, 'score')
            else:
                body_dtboxes = self.load_det_boxes(record, 'dtboxes', body_key, 'score')
                head_dtboxes = self.load_det_boxes(record, 'dtboxes', head_key, 'score')
                self.dt_boxes = np.hstack((body_dtboxes, head_dtboxes))

    @staticmethod
    def load_gt_boxes(dict_input, key_name, class_names):
        assert key_name in dict_input
        if len(dict_input[key_name]) < 1:
            return np.empty([0, 5]), np.empty([0, 5])  # CHANGED: the metric returns one array and fails to unpack it
        head_bbox = []
        body_bbox = []
        for rb in dict_input[key_name]:
            if rb['tag'] in class_names:
                body_tag = class_names.index(rb['tag'])
                head_tag = copy.deepcopy(body_tag)
            else:
                body_tag = -1
                head_tag = -1
            if 'extra' in rb:
                if 'ignore' in rb['extra']:
                    if rb['extra']['ignore'] != 0:
                        body_tag = -1
                        head_tag = -1
            if 'head_attr' in rb:
                if 'ignore' in rb['head_attr']:
                    if rb['head_attr']['ignore'] != 0:
                        head_tag = -1
            head_bbox.append(np.hstack((rb['hbox'], head_tag)))
            body_bbox.append(np.hstack((rb['fbox'], body_tag)))
        head_bbox = np.array(head_bbox)
        head_bbox[:, 2:4] += head_bbox[:, :2]
        body_bbox = np.array(body_bbox)
        body_bbox[:, 2:4] += body_bbox[:, :2]
        return body_bbox, head_bbox

    @staticmethod
    def load_det_boxes(dict_input, key_name, key_box, key_score, key_tag=None):
        assert key_name in dict_input
        if len(dict_input[key_name]) < 1:
            return np.empty([0, 5])
        else:
            assert key_box in dict_input[key_name][0]
            if key_score:
                assert key_score in dict_input[key_name][0]
        bboxes = np.vstack([np.hstack((rb[key_box], rb[key_score])) for rb in dict_input[key_name]])
        bboxes[:, 2:4] += bboxes[:, :2]
        return bboxes

    def clip_all_boader(self):

        def _clip_boundary(boxes, height, width):
            assert boxes.shape[-1] >= 4
            boxes[:, 0] = np.minimum(np.maximum(boxes[:, 0], 0), width - 1)
            boxes[:, 1] = np.minimum(np.maximum(boxes[:, 1], 0), height - 1)
            boxes[:, 2] = np.maximum(np.minimum(boxes[:, 2], width), 0)
            boxes[:, 3] = np.maximum(np.minimum(boxes[:, 3], height), 0)
            return boxes

        assert self.dt_boxes.shape[-1] >= 4
        assert self.gt_boxes.shape[-1] >= 4
        assert self.width is not None and self.height is not None
        if self.eval_mode == 2:
            self.dt_boxes[:, :4] = _clip_boundary(self.dt_boxes[:, :4], self.height, self.width)
            self.gt_boxes[:, :4] = _clip_boundary(self.gt_boxes[:, :4], self.height, self.width)
            self.dt_boxes[:, 4:8] = _clip_boundary(self.dt_boxes[:, 4:8], self.height, self.width)
            self.gt_boxes[:, 4:8] = _clip_boundary(self.gt_boxes[:, 4:8], self.height, self.width)
        else:
            self.dt_boxes = _clip_boundary(self.dt_boxes, self.height, self.width)
            self.gt_boxes = _clip_boundary(self.gt_boxes, self.height, self.width)

    def compare_caltech(self, thres):
        if self.dt_boxes is None or self.gt_boxes is None:
            return list()
        dtboxes = self.dt_boxes if self.dt_boxes is not None else list()
        gtboxes = self.gt_boxes if self.gt_boxes is not None else list()
        dt_matched = np.zeros(dtboxes.shape[0])
        gt_matched = np.zeros(gtboxes.shape[0])
        dtboxes = np.array(sorted(dtboxes, key=lambda x: x[-1], reverse=True))
        gtboxes = np.array(sorted(gtboxes, key=lambda x: x[-1], reverse=True))
        if len(dtboxes):
            overlap_iou = bbox_overlaps(dtboxes, gtboxes, mode='iou')
            overlap_ioa = bbox_overlaps(dtboxes, gtboxes, mode='iof')
        else:
            return list()
        score_list = list()
        for i, dt in enumerate(dtboxes):
            maxpos = -1
            maxiou = thres
            for j, gt in enumerate(gtboxes):
                if gt_matched[j] == 1:
                    continue
                if gt[-1] > 0:
                    overlap = overlap_iou[i][j]
                    if overlap > maxiou:
                        maxiou = overlap
                        maxpos = j
                else:
                    if maxpos >= 0:
                        break
                    else:
                        overlap = overlap_ioa[i][j]
                        if overlap > thres:
                            maxiou = overlap
                            maxpos = j
            if maxpos >= 0:
                if gtboxes[maxpos, -1] > 0:
                    gt_matched[maxpos] = 1
                    dt_matched[i] = 1
                    score_list.append((dt, 1, self.ID))
                else:
                    dt_matched[i] = -1
            else:
                dt_matched[i] = 0
                score_list.append((dt, 0, self.ID))
        return score_list


# ---- crowdhuman_metric.py: CrowdHumanMetric's computation ----
class Metric:

    def __init__(self, eval_mode=0, iou_thres=0.5, mr_ref='CALTECH_-2'):
        self.eval_mode = eval_mode
        self.iou_thres = iou_thres
        self.mr_ref = mr_ref

    def load_eval_samples(self, gt_records, pred_records):
        eval_samples = dict()
        for gt_record, pred_record in zip(gt_records, pred_records):
            assert gt_record['ID'] == pred_record['ID']
            eval_samples[pred_record['ID']] = Image(self.eval_mode)
            eval_samples[pred_record['ID']].load(gt_record, 'box', None, PERSON_CLASSES, True)
            # CHANGED: head_key 'box' (the metric's None fails in modes 1 and 2)
            eval_samples[pred_record['ID']].load(pred_record, 'box', 'box', PERSON_CLASSES, False)
            eval_samples[pred_record['ID']].clip_all_boader()
        return eval_samples

    def compare(self, samples):
        score_list = list()
        for id in samples:
            result = samples[id].compare_caltech(self.iou_thres)
            score_list.extend(result)
        score_list.sort(key=lambda x: x[0][-1], reverse=True)
        return score_list

    @staticmethod
    def eval_ap(score_list, gt_num, img_num):

        def _calculate_map(_recall, _precision):
            assert len(_recall) == len(_precision)
            area = 0
            for k in range(1, len(_recall)):
                delta_h = (_precision[k - 1] + _precision[k]) / 2
                delta_w = _recall[k] - _recall[k - 1]
                area += delta_w * delta_h
            return area

        tp, fp = 0.0, 0.0
        rpX, rpY = list(), list()
        for i, item in enumerate(score_list):
            if item[1] == 1:
                tp += 1.0
            elif item[1] == 0:
                fp += 1.0
            fn = gt_num - tp
            recall = tp / (tp + fn)
            precision = tp / (tp + fp)
            rpX.append(recall)
            rpY.append(precision)
        ap = _calculate_map(rpX, rpY)
        return ap

    def eval_mr(self, score_list, gt_num, img_num):

        def _find_gt(lst, target):
            for idx, _item in enumerate(lst):
                if _item >= target:
                    return idx
            return len(lst) - 1

        if self.mr_ref == 'CALTECH_-2':
            ref = [0.0100, 0.0178, 0.03160, 0.0562, 0.1000, 0.1778, 0.3162, 0.5623, 1.000]
        else:
            ref = [0.0001, 0.0003, 0.00100, 0.0032, 0.0100, 0.0316, 0.1000, 0.3162, 1.000]
        tp, fp = 0.0, 0.0
        fppiX, fppiY = list(), list()
        for i, item in enumerate(score_list):
            if item[1] == 1:
                tp += 1.0
            elif item[1] == 0:
                fp += 1.0
            fn = gt_num - tp
            recall = tp / (tp + fn)
            missrate = 1.0 - recall
            fppi = fp / img_num
            fppiX.append(fppi)
            fppiY.append(missrate)
        score = list()
        for pos in ref:
            argmin = _find_gt(fppiX, pos)
            if argmin >= 0:
                score.append(fppiY[argmin])
        score = np.array(score)
        mr = np.exp(np.log(score).mean())
        return mr

    def eval_ji(self, samples):
        res_ji = []
        for i in range(10):
            score_thr = 1e-1 * i
            results = []  # CHANGED: one process, the images in order
            self.compute_ji_with_ignore(results, samples, score_thr)
            line, mean_ratio = self.gather(results)
            res_ji.append(mean_ratio)
        return max(res_ji)

    def compute_ji_with_ignore(self, result_queue, dt_result, score_thr):
        for ID, record in dt_result.items():
            gt_boxes = record.gt_boxes
            dt_boxes = record.dt_boxes
            keep = dt_boxes[:, -1] > score_thr
            dt_boxes = dt_boxes[keep][:, :-1]
            gt_tag = np.array(gt_boxes[:, -1] != -1)
            matches = self.compute_ji_matching(dt_boxes, gt_boxes[gt_tag, :4])
            matched_indices = np.array([j for (j, _) in matches])
            unmatched_indices = list(set(np.arange(dt_boxes.shape[0])) - set(matched_indices))
            num_ignore_dt = self.get_ignores(dt_boxes[unmatched_indices], gt_boxes[~gt_tag, :4])
            matched_indices = np.array([j for (_, j) in matches])
            unmatched_indices = list(set(np.arange(gt_boxes[gt_tag].shape[0])) - set(matched_indices))
            num_ignore_gt = self.get_ignores(gt_boxes[gt_tag][unmatched_indices], gt_boxes[~gt_tag, :4])
            eps = 1e-6
            k = len(matches)
            m = gt_tag.sum() - num_ignore_gt
            n = dt_boxes.shape[0] - num_ignore_dt
            ratio = k / (m + n - k + eps)
            result_queue.append(dict(ratio=ratio, k=k, m=m, n=n))

    @staticmethod
    def gather(results):
        assert len(results)
        img_num = 0
        for result in results:
            if result['n'] != 0 or result['m'] != 0:
                img_num += 1
        mean_ratio = np.sum([rb['ratio'] for rb in results]) / img_num
        return '', mean_ratio

    def compute_ji_matching(self, dt_boxes, gt_boxes):
        assert dt_boxes.shape[-1] > 3 and gt_boxes.shape[-1] > 3
        if dt_boxes.shape[0] < 1 or gt_boxes.shape[0] < 1:
            return list()
        ious = bbox_overlaps(dt_boxes, gt_boxes, mode='iou')
        input_ = copy.deepcopy(ious)
        input_[input_ < self.iou_thres] = 0
        match_scipy = maximum_bipartite_matching_column(input_)
        matches_ = []
        for i in range(len(match_scipy)):
            if match_scipy[i] != -1:
                matches_.append((i, int(match_scipy[i])))
        return matches_

    def get_ignores(self, dt_boxes, gt_boxes):
        if gt_boxes.size:
            ioas = bbox_overlaps(dt_boxes, gt_boxes, mode='iof')
            ioas = np.max(ioas, axis=1)
            rows = np.where(ioas > self.iou_thres)[0]
            return len(rows)
        else:
            return 0

    def compute_metrics(self, gt_records, pred_records, metrics=('AP', 'MR', 'JI')):
        eval_samples = self.load_eval_samples(gt_records, json.loads(json.dumps(pred_records)))
        score_list = self.compare(eval_samples)
        gt_num = sum([eval_samples[i].gt_num for i in eval_samples])
        ign_num = sum([eval_samples[i].ign_num for i in eval_samples])
        gt_num = gt_num - ign_num
        img_num = len(eval_samples)
        raw = dict(AP=float(self.eval_ap(score_list, gt_num, img_num)), MR=float(self.eval_mr(score_list, gt_num, img_num)))
        # JI works on boxes load_eval_samples made anew (compare_caltech sorted copies, so the same ones here)
        raw['JI'] = float(self.eval_ji(eval_samples))
        reported = {'mAP': float(f'{round(np.float64(raw["AP"]), 4)}'), 'mMR': float(f'{round(np.float64(raw["MR"]), 4)}'),
                    'JI': float(f'{round(np.float64(raw["JI"]), 4)}')}
        return raw, reported


# ---- cases ----
def f32(v):
    return float(np.float32(v))


def det_record(ID, width, height, boxes):
    """results2json's record of corner boxes x1, y1, x2, y2, score (float32 values, as the model's tensors)."""
    dtboxes = []
    for x1, y1, x2, y2, s in boxes:
        x1, y1, x2, y2, s = f32(x1), f32(y1), f32(x2), f32(y2), f32(s)
        dtboxes.append(dict(box=[x1, y1, x2 - x1, y2 - y1], score=s, tag=1))
    return dict(ID=ID, width=width, height=height, dtboxes=dtboxes)


def gt_box(x, y, w, h, tag='person', ignore=None, head=None, head_ignore=None):
    rb = dict(tag=tag, fbox=[x, y, w, h], hbox=head if head is not None else [x + w * 0.3, y, w * 0.4, h * 0.2],
              vbox=[x, y, w, h * 0.8])
    if ignore is not None:
        rb['extra'] = dict(ignore=ignore)
    if head_ignore is not None:
        rb['head_attr'] = dict(ignore=head_ignore)
    return rb


def random_case(rng, n_images, crowded, key='fbox'):
    """Random people; detections near each one's `key` box (hbox for eval_mode 1)."""
    gts, dets = [], []
    for k in range(n_images):
        W, H = int(rng.integers(200, 900)), int(rng.integers(200, 900))
        boxes, people = [], int(rng.integers(0, 9 if crowded else 5))
        for _ in range(people):
            w, h = float(rng.integers(10, 120)), float(rng.integers(30, 300))
            x, y = float(rng.integers(-30, W - 5)), float(rng.integers(-30, H - 5))
            r = rng.random()
            tag = 'mask' if r < 0.1 else 'person'
            ignore = 1 if 0.1 <= r < 0.2 else (0 if r < 0.4 else None)
            head = [x + float(rng.integers(0, 20)), y + float(rng.integers(-5, 10)), float(rng.integers(5, 40)),
                    float(rng.integers(5, 40))]
            boxes.append(gt_box(x, y, w, h, tag, ignore, head, 1 if rng.random() < 0.15 else None))
        dts = []
        for b in boxes:  # detections near each person, some duplicates
            for _ in range(int(rng.integers(0, 3))):
                x, y, w, h = b[key]
                j = rng.normal(0, 0.15 * w, 4)
                dts.append((x + j[0], y + j[1], x + w + j[2], y + h + j[3], rng.random()))
        for _ in range(int(rng.integers(0, 4))):  # and false positives
            x, y = rng.random() * W, rng.random() * H
            dts.append((x, y, x + 5 + rng.random() * 100, y + 5 + rng.random() * 200, rng.random() * 0.6))
        ID = f'{k + 1},{rng.integers(1 << 40):x}'
        gts.append(dict(ID=ID, gtboxes=boxes))
        dets.append(det_record(ID, W, H, dts))
    return gts, dets


def hand_case():
    """Ignored regions, a mask, ties in score across images, an image without people, one without detections,
    duplicates on one person, boxes over the border."""
    gts = [
        dict(ID='1,a', gtboxes=[gt_box(10, 10, 50, 100), gt_box(70, 10, 50, 100), gt_box(200, 0, 80, 150, ignore=1),
                                gt_box(300, 50, 60, 60, tag='mask')]),
        dict(ID='2,b', gtboxes=[]),
        dict(ID='3,c', gtboxes=[gt_box(-20, 5, 60, 120), gt_box(150, 100, 40, 90, head_ignore=1)]),
        dict(ID='4,d', gtboxes=[gt_box(5, 5, 30, 60)]),
    ]
    dets = [
        det_record('1,a', 400, 300, [(10, 10, 60, 110, 0.9), (12, 12, 60, 108, 0.9), (70, 12, 118, 110, 0.5),
                                     (205, 10, 270, 140, 0.8), (305, 55, 355, 105, 0.7), (120, 200, 160, 260, 0.5)]),
        det_record('2,b', 320, 240, [(0, 0, 40, 80, 0.9), (100, 100, 130, 160, 0.3)]),
        det_record('3,c', 250, 220, [(0, 5, 40, 125, 0.95), (150, 100, 190, 190, 0.5), (152, 105, 188, 185, 0.5)]),
        det_record('4,d', 100, 100, []),
    ]
    return gts, dets


def hand_head_case():
    """hand_case's people with detections on their heads (eval_mode 1): one exact, one shifted, one duplicate."""
    gts, dets = hand_case()
    for g, d in zip(gts, dets):
        boxes = []
        for i, b in enumerate(g['gtboxes']):
            x, y, w, h = b['hbox']
            boxes.append((x + i, y, x + w + i, y + h, 0.9 - 0.1 * i))
            if i == 0:
                boxes.append((x, y + 1, x + w, y + h + 1, 0.9))
        dets[gts.index(g)] = det_record(g['ID'], d['width'], d['height'], boxes)
    return gts, dets


def crowded_case():
    """Overlapping people where the JI matching has several maximum matchings."""
    gts = [dict(ID='9,z', gtboxes=[gt_box(0, 0, 40, 100), gt_box(20, 0, 40, 100), gt_box(40, 0, 40, 100),
                                   gt_box(100, 0, 40, 100, ignore=1), gt_box(60, 0, 40, 100)])]
    dets = [det_record('9,z', 200, 150, [(10, 0, 50, 100, 0.8), (30, 0, 70, 100, 0.8), (0, 0, 40, 100, 0.6),
                                          (50, 0, 90, 100, 0.55), (100, 0, 140, 100, 0.9), (45, 2, 95, 98, 0.7),
                                          (20, 0, 60, 100, 0.45)])]
    return gts, dets


def main():
    out_dir = os.path.join(sys.argv[1] if len(sys.argv) > 1 else 'src/test/resources/goldens', 'crowdhuman_eval')
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(20240611)
    cases = {}
    for mode in (0, 1, 2):
        cases[f'hand_mode{mode}'] = (hand_head_case() if mode == 1 else hand_case(),
                                     dict(eval_mode=mode, iou_thres=0.5, mr_ref='CALTECH_-2'))
    cases['crowded_overlaps'] = (crowded_case(), dict(eval_mode=0, iou_thres=0.5, mr_ref='CALTECH_-2'))
    cases['random_mode0'] = (random_case(rng, 12, False), dict(eval_mode=0, iou_thres=0.5, mr_ref='CALTECH_-2'))
    cases['random_crowded_mode0_iou0.3_mr-4'] = (random_case(rng, 15, True), dict(eval_mode=0, iou_thres=0.3, mr_ref='CALTECH_-4'))
    cases['random_mode1'] = (random_case(rng, 10, True, 'hbox'), dict(eval_mode=1, iou_thres=0.5, mr_ref='CALTECH_-2'))
    cases['random_mode2_iou0.7'] = (random_case(rng, 10, True), dict(eval_mode=2, iou_thres=0.7, mr_ref='CALTECH_-2'))
    for name, ((gts, dets), params) in cases.items():
        raw, reported = Metric(**params).compute_metrics(gts, dets)
        doc = dict(params=params, gt=gts, results=dets, expected=dict(raw=raw, reported=reported))
        with open(os.path.join(out_dir, name + '.json'), 'w') as f:
            json.dump(doc, f)
        print(name, raw, reported)


if __name__ == '__main__':
    main()
