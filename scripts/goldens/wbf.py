"""Writes src/test/resources/goldens/wbf/*.json: MMDetection 3.3's weighted_boxes_fusion on given boxes.

MMDetection is not installed here, so the functions below are transcribed from its
mmdet/models/utils/wbf.py (weighted_boxes_fusion, prefilter_boxes, get_weighted_box, find_matching_box_fast),
unchanged but for the print/exit on bad arguments, which no case triggers. They mix float64 (the box rows, the IoUs,
the score rescaling) and float32 (get_weighted_box's result, the returned torch tensors) as the source does.

Each case: the per-model boxes (x1, y1, x2, y2), scores and labels, the arguments, and the result (boxes, scores,
labels in output order; a NaN coordinate is written as null). Boxes are pixels as tools/analysis_tools/fuse_results.py
feeds them (it does not normalise), except one case in [0, 1]. numpy's argsort (quicksort) orders equal scores by its
insertion sort only up to 17 elements; cases with ties stay that small, and the larger cases assert that they have none.
Needs numpy and torch. Run: /usr/bin/python3 scripts/goldens/wbf.py [OUT_DIR]
"""
import json
import os
import sys
import warnings

import numpy as np
import torch

warnings.simplefilter('ignore')  # the swap / zero-area warnings of prefilter_boxes


# ---------------------------------------------------------------- mmdet/models/utils/wbf.py

def weighted_boxes_fusion(bboxes_list, scores_list, labels_list, weights=None, iou_thr=0.55, skip_box_thr=0.0,
                          conf_type='avg', allows_overflow=False):
    if weights is None:
        weights = np.ones(len(bboxes_list))
    if len(weights) != len(bboxes_list):
        weights = np.ones(len(bboxes_list))
    weights = np.array(weights)

    assert conf_type in ['avg', 'max', 'box_and_model_avg', 'absent_model_aware_avg']

    filtered_boxes = prefilter_boxes(bboxes_list, scores_list, labels_list, weights, skip_box_thr)
    if len(filtered_boxes) == 0:
        return torch.Tensor(), torch.Tensor(), torch.Tensor()

    overall_boxes = []

    for label in filtered_boxes:
        boxes = filtered_boxes[label]
        new_boxes = []
        weighted_boxes = np.empty((0, 8))

        # Clusterize boxes
        for j in range(0, len(boxes)):
            index, best_iou = find_matching_box_fast(weighted_boxes, boxes[j], iou_thr)

            if index != -1:
                new_boxes[index].append(boxes[j])
                weighted_boxes[index] = get_weighted_box(new_boxes[index], conf_type)
            else:
                new_boxes.append([boxes[j].copy()])
                weighted_boxes = np.vstack((weighted_boxes, boxes[j].copy()))

        # Rescale confidence based on number of models and boxes
        for i in range(len(new_boxes)):
            clustered_boxes = new_boxes[i]
            if conf_type == 'box_and_model_avg':
                clustered_boxes = np.array(clustered_boxes)
                # weighted average for boxes
                weighted_boxes[i, 1] = weighted_boxes[i, 1] * len(clustered_boxes) / weighted_boxes[i, 2]
                # identify unique model index by model index column
                _, idx = np.unique(clustered_boxes[:, 3], return_index=True)
                # rescale by unique model weights
                weighted_boxes[i, 1] = weighted_boxes[i, 1] * clustered_boxes[idx, 2].sum() / weights.sum()
            elif conf_type == 'absent_model_aware_avg':
                clustered_boxes = np.array(clustered_boxes)
                # get unique model index in the cluster
                models = np.unique(clustered_boxes[:, 3]).astype(int)
                # create a mask to get unused model weights
                mask = np.ones(len(weights), dtype=bool)
                mask[models] = False
                # absent model aware weighted average
                weighted_boxes[i, 1] = weighted_boxes[i, 1] * len(clustered_boxes) / (
                    weighted_boxes[i, 2] + weights[mask].sum())
            elif conf_type == 'max':
                weighted_boxes[i, 1] = weighted_boxes[i, 1] / weights.max()
            elif not allows_overflow:
                weighted_boxes[i, 1] = weighted_boxes[i, 1] * min(len(weights), len(clustered_boxes)) / weights.sum()
            else:
                weighted_boxes[i, 1] = weighted_boxes[i, 1] * len(clustered_boxes) / weights.sum()
        overall_boxes.append(weighted_boxes)
    overall_boxes = np.concatenate(overall_boxes, axis=0)
    overall_boxes = overall_boxes[overall_boxes[:, 1].argsort()[::-1]]

    bboxes = torch.Tensor(overall_boxes[:, 4:])
    scores = torch.Tensor(overall_boxes[:, 1])
    labels = torch.Tensor(overall_boxes[:, 0]).int()

    return bboxes, scores, labels


def prefilter_boxes(boxes, scores, labels, weights, thr):
    new_boxes = dict()

    for t in range(len(boxes)):
        assert len(boxes[t]) == len(scores[t]) == len(labels[t])

        for j in range(len(boxes[t])):
            score = scores[t][j]
            if score < thr:
                continue
            label = int(labels[t][j])
            box_part = boxes[t][j]
            x1 = float(box_part[0])
            y1 = float(box_part[1])
            x2 = float(box_part[2])
            y2 = float(box_part[3])

            # Box data checks
            if x2 < x1:
                warnings.warn('X2 < X1 value in box. Swap them.')
                x1, x2 = x2, x1
            if y2 < y1:
                warnings.warn('Y2 < Y1 value in box. Swap them.')
                y1, y2 = y2, y1
            if (x2 - x1) * (y2 - y1) == 0.0:
                warnings.warn('Zero area box skipped: {}.'.format(box_part))
                continue

            # [label, score, weight, model index, x1, y1, x2, y2]
            b = [int(label), float(score) * weights[t], weights[t], t, x1, y1, x2, y2]

            if label not in new_boxes:
                new_boxes[label] = []
            new_boxes[label].append(b)

    # Sort each list in dict by score and transform it to numpy array
    for k in new_boxes:
        current_boxes = np.array(new_boxes[k])
        new_boxes[k] = current_boxes[current_boxes[:, 1].argsort()[::-1]]

    return new_boxes


def get_weighted_box(boxes, conf_type='avg'):
    box = np.zeros(8, dtype=np.float32)
    conf = 0
    conf_list = []
    w = 0
    for b in boxes:
        box[4:] += (b[1] * b[4:])
        conf += b[1]
        conf_list.append(b[1])
        w += b[2]
    box[0] = boxes[0][0]
    if conf_type in ('avg', 'box_and_model_avg', 'absent_model_aware_avg'):
        box[1] = conf / len(boxes)
    elif conf_type == 'max':
        box[1] = np.array(conf_list).max()
    box[2] = w
    box[3] = -1
    box[4:] /= conf

    return box


def find_matching_box_fast(boxes_list, new_box, match_iou):

    def bb_iou_array(boxes, new_box):
        # bb intersection over union
        xA = np.maximum(boxes[:, 0], new_box[0])
        yA = np.maximum(boxes[:, 1], new_box[1])
        xB = np.minimum(boxes[:, 2], new_box[2])
        yB = np.minimum(boxes[:, 3], new_box[3])

        interArea = np.maximum(xB - xA, 0) * np.maximum(yB - yA, 0)

        # compute the area of both the prediction and ground-truth rectangles
        boxAArea = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        boxBArea = (new_box[2] - new_box[0]) * (new_box[3] - new_box[1])

        iou = interArea / (boxAArea + boxBArea - interArea)

        return iou

    if boxes_list.shape[0] == 0:
        return -1, match_iou

    boxes = boxes_list

    ious = bb_iou_array(boxes[:, 4:], new_box[4:])

    ious[boxes[:, 0] != new_box[0]] = -1

    best_idx = np.argmax(ious)
    best_iou = ious[best_idx]

    if best_iou <= match_iou:
        best_iou = match_iou
        best_idx = -1

    return best_idx, best_iou


# ---------------------------------------------------------------- cases

def random_models(rng, n_models, n_objects, labels, size=640.0, extra_per_model=3, overlap_self=False):
    """Jittered, partly missed copies of n_objects boxes per model, plus a few false positives each."""
    objs = []
    for _ in range(n_objects):
        w, h = rng.uniform(20, 200, 2)
        x, y = rng.uniform(0, size - w), rng.uniform(0, size - h)
        objs.append((x, y, x + w, y + h, int(rng.choice(labels))))
    models = []
    for _ in range(n_models):
        boxes, scores, labs = [], [], []
        for (x1, y1, x2, y2, lab) in objs:
            copies = 2 if overlap_self and rng.rand() < 0.4 else 1
            for _ in range(copies):
                if rng.rand() < 0.2:
                    continue  # missed by this model
                s = 0.1 * max(x2 - x1, y2 - y1)
                boxes.append([float(v + rng.normal(0, s)) for v in (x1, y1, x2, y2)])
                scores.append(float(rng.uniform(0.05, 1.0)))
                labs.append(lab if rng.rand() > 0.1 else int(rng.choice(labels)))
        for _ in range(extra_per_model):
            w, h = rng.uniform(10, 100, 2)
            x, y = rng.uniform(0, size - w), rng.uniform(0, size - h)
            boxes.append([float(x), float(y), float(x + w), float(y + h)])
            scores.append(float(rng.uniform(0.05, 0.5)))
            labs.append(int(rng.choice(labels)))
        models.append(dict(boxes=boxes, scores=scores, labels=labs))
    return models


def hand(boxes_scores_labels):
    """[[(x1, y1, x2, y2, score, label), ...] per model] as the case's model dicts."""
    return [dict(boxes=[list(map(float, b[:4])) for b in m], scores=[float(b[4]) for b in m],
                 labels=[int(b[5]) for b in m]) for m in boxes_scores_labels]


TIES = hand([
    # two models; equal scores inside a model and across them, clusters whose members tie
    [(10, 10, 50, 50, 0.5, 1), (12, 11, 52, 49, 0.5, 1), (100, 100, 140, 150, 0.5, 1), (200, 10, 240, 60, 0.7, 2),
     (300, 300, 330, 340, 0.5, 2)],
    [(11, 9, 49, 51, 0.5, 1), (101, 99, 141, 149, 0.7, 1), (201, 11, 239, 61, 0.5, 2), (400, 10, 440, 40, 0.5, 2)],
])

EDGES = hand([
    # swapped corners (x2 < x1, y2 < y1), zero-area boxes (skipped), an IoU of exactly 0.5 at iou_thr 0.5 (no match)
    [(50, 50, 10, 10, 0.9, 3), (0, 0, 0, 20, 0.95, 3), (5, 5, 25, 5, 0.8, 3), (0, 100, 3, 101, 0.6, 4)],
    [(11, 9, 49, 51, 0.7, 3), (1, 100, 4, 101, 0.65, 4), (60, 60, 61, 61, 0.0, 4)],
])

ZERO_SCORES = hand([
    # skip_box_thr 0 keeps score-0 boxes: two of them fuse into a NaN box (conf 0), which np.argmax then prefers:
    # the last box (300, 300, ...) joins it although it overlaps nothing
    [(300, 300, 340, 340, 0.0, 1), (10, 10, 50, 50, 0.0, 1), (200, 200, 260, 250, 0.4, 1)],
    [(11, 11, 51, 49, 0.0, 1), (80, 80, 120, 120, 0.0, 1)],
])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'test', 'resources', 'goldens', 'wbf')
    os.makedirs(out, exist_ok=True)
    rng = np.random.RandomState(20240917)
    r3 = random_models(rng, 3, 25, [1, 2, 3])
    r3self = random_models(rng, 3, 20, [1, 2], overlap_self=True)
    r1 = random_models(rng, 1, 30, [5], overlap_self=True)
    r8 = random_models(rng, 8, 12, [1, 7, 90])
    unit = random_models(rng, 2, 15, [1, 2])
    for m in unit:  # normalised coordinates, as the original ensemble_boxes expects (fuse_results.py feeds pixels)
        m['boxes'] = [[v / 640.0 for v in b] for b in m['boxes']]
    cases = [
        # name, models, weights, iou_thr, skip_box_thr, conf_type, allows_overflow
        ('random_avg', r3, None, 0.55, 0.0, 'avg', False),
        ('random_avg_weights', r3, [2.0, 1.0, 3.0], 0.55, 0.0, 'avg', False),
        ('random_max_weights', r3, [2.0, 1.0, 3.0], 0.55, 0.0, 'max', False),
        ('random_box_and_model_avg', r3self, [1.0, 2.0, 0.5], 0.55, 0.0, 'box_and_model_avg', False),
        ('random_absent_model_aware_avg', r3self, [1.0, 2.0, 0.5], 0.55, 0.0, 'absent_model_aware_avg', False),
        ('random_self_overlap_avg', r3self, None, 0.5, 0.0, 'avg', False),
        ('random_self_overlap_overflow', r3self, [1.5, 1.0, 1.0], 0.5, 0.0, 'avg', True),
        ('random_skip_box_thr', r3, None, 0.55, 0.4, 'avg', False),
        ('random_low_iou_thr', r3, None, 0.2, 0.1, 'box_and_model_avg', False),
        ('single_model_avg', r1, None, 0.55, 0.0, 'avg', False),
        ('single_model_max_overflow', r1, [2.0], 0.4, 0.0, 'max', True),
        ('eight_models_weights', r8, [1.0, 2.0, 0.5, 1.5, 1.0, 3.0, 0.25, 1.0], 0.55, 0.0, 'absent_model_aware_avg', False),
        ('eight_models_box_and_model_avg', r8, [1.0, 2.0, 0.5, 1.5, 1.0, 3.0, 0.25, 1.0], 0.55, 0.0,
         'box_and_model_avg', False),
        ('normalised_coordinates', unit, None, 0.55, 0.0, 'avg', False),
        ('ties_avg', TIES, None, 0.55, 0.0, 'avg', False),
        ('ties_max', TIES, [1.0, 1.0], 0.3, 0.0, 'max', False),
        ('ties_overflow', TIES, None, 0.3, 0.0, 'avg', True),
        ('edges_swaps_zero_area_iou_equal_thr', EDGES, None, 0.5, 0.0, 'avg', False),
        ('edges_absent_model_aware_avg', EDGES, [3.0, 1.0], 0.3, 0.0, 'absent_model_aware_avg', False),
        ('zero_scores_nan_box', ZERO_SCORES, None, 0.55, 0.0, 'avg', False),
        ('everything_skipped', TIES, None, 0.55, 0.9, 'avg', False),
        ('no_boxes', [dict(boxes=[], scores=[], labels=[]), dict(boxes=[], scores=[], labels=[])], None, 0.55, 0.0,
         'avg', False),
    ]
    for name, models, weights, iou_thr, skip, conf_type, overflow in cases:
        boxes, scores, labels = weighted_boxes_fusion([m['boxes'] for m in models], [m['scores'] for m in models],
                                                      [m['labels'] for m in models], weights=weights, iou_thr=iou_thr,
                                                      skip_box_thr=skip, conf_type=conf_type,
                                                      allows_overflow=overflow)
        if len(scores) > 17:  # numpy's quicksort orders ties arbitrarily beyond 17 elements: make sure there are none
            assert len(np.unique(scores.numpy())) == len(scores), name
            for lab in set(labels.tolist()):
                per = [s for m in models for s, l in zip(m['scores'], m['labels']) if l == lab]
                assert len(set(per)) == len(per), name
        case = dict(name=name, models=models, weights=weights, iou_thr=iou_thr, skip_box_thr=skip,
                    conf_type=conf_type, allows_overflow=overflow,
                    boxes=[[None if v != v else v for v in b] for b in boxes.numpy().tolist()],
                    scores=scores.numpy().tolist(), labels=labels.numpy().tolist(),
                    numpy=np.__version__, torch=torch.__version__)
        with open(os.path.join(out, name + '.json'), 'w') as f:
            json.dump(case, f)
            f.write('\n')
        print(name, conf_type, 'in', sum(len(m['scores']) for m in models), 'out', len(scores))


if __name__ == '__main__':
    main()
