"""Writes src/test/resources/goldens/random_erasing/*.json: MMDetection's RandomErasing with GIVEN draws.

MMDetection itself is not installed here, so its code is transcribed from mmdet/datasets/transforms/transforms.py
(3.x, stored copy at commit 00e07a9c, RandomErasing):

    _get_patches:  ph, pw = int(img_shape[0] * ratio[0]), int(img_shape[1] * ratio[1]); px2, py2 = px1 + pw, py1 + ph
                   (the ratios and the corners px1, py1 are given per patch instead of drawn by NumPy)
    _transform_img:    results['img'][py1:py2, px1:px2, :] = self.img_border_value
    _transform_bboxes: left_top = np.maximum(bboxes[:, None, :2], patches[:, :2])
                       right_bottom = np.minimum(bboxes[:, None, 2:], patches[:, 2:])
                       wh = np.maximum(right_bottom - left_top, 0); inter_areas = wh[:, :, 0] * wh[:, :, 1]
                       bbox_areas = (bboxes[:, 2] - bboxes[:, 0]) * (bboxes[:, 3] - bboxes[:, 1])
                       valid_inds = inter_areas.sum(-1) / (bbox_areas + 1e-7) < self.bbox_erased_thr
                       (boxes, labels and gt_ignore_flags indexed by valid_inds)

The boxes are float32 (HorizontalBoxes' tensor as numpy), the patches an int64 array, as in MMDetection.
Needs numpy. Run: python3 scripts/goldens/random_erasing.py [OUT_DIR]
"""
import json
import os
import sys

import numpy as np


def get_patches(img_shape, ratios_h, ratios_w, px1s, py1s):
    patches = []
    for rh, rw, px1, py1 in zip(ratios_h, ratios_w, px1s, py1s):
        ph, pw = int(img_shape[0] * rh), int(img_shape[1] * rw)
        patches.append([px1, py1, px1 + pw, py1 + ph])
    return np.array(patches)


def transform_img(img, patches, border):
    for patch in patches:
        px1, py1, px2, py2 = patch
        img[py1:py2, px1:px2, :] = border


def transform_bboxes(bboxes, labels, ignore, patches, thr):
    left_top = np.maximum(bboxes[:, None, :2], patches[:, :2])
    right_bottom = np.minimum(bboxes[:, None, 2:], patches[:, 2:])
    wh = np.maximum(right_bottom - left_top, 0)
    inter_areas = wh[:, :, 0] * wh[:, :, 1]
    bbox_areas = (bboxes[:, 2] - bboxes[:, 0]) * (bboxes[:, 3] - bboxes[:, 1])
    ratio = inter_areas.sum(-1) / (bbox_areas + 1e-7)
    valid = ratio < thr
    return valid, ratio


def image(rng, h, w, dtype):
    img = rng.randint(0, 256, size=(h, w, 3)).astype(np.uint8)
    if dtype == 'float32':
        return img.astype(np.float32) * 1.37 - 41.5  # beyond [0, 255], as after PhotoMetricDistortion
    return img


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'test', 'resources', 'goldens', 'random_erasing')
    os.makedirs(out, exist_ok=True)
    rng = np.random.RandomState(20261127)
    boxes_a = [[0, 0, 10, 10], [2.5, 3.25, 17.75, 12.5], [20, 1, 29, 9], [5, 5, 5, 9], [1.1, 0.3, 28.7, 14.9]]
    cases = [
        # name, h, w, dtype, border, thr, (ratios_h, ratios_w, px1, py1), boxes, ignore flags
        ('one_square_patch', 16, 30, 'uint8', 128, 0.7, ([0.5], [0.5], [1], [2]), boxes_a, [0, 0, 1, 0, 0]),
        ('threshold_boundary', 16, 30, 'uint8', 0, 0.9, ([0.5625], [0.3], [0], [0]), [[0, 0, 10, 10], [0, 0, 10, 9]], [0, 0]),
        ('overlapping_patches_double_count', 16, 30, 'uint8', [10, 20, 30.7], 0.5,
         ([0.5, 0.5, 0.25], [0.2, 0.2, 0.4], [2, 3, 17], [1, 2, 8]), boxes_a, [0, 1, 0, 0, 1]),
        ('float_image', 12, 20, 'float32', 128.6, 0.3, ([0.25, 0.5], [0.5, 0.1], [4, 15], [3, 0]),
         [[0.5, 0.5, 9.5, 6.5], [14, 0, 18, 11.5], [3.3, 2.7, 11.9, 9.1]], [0, 0, 1]),
        ('fractional_boxes_seven_patches', 20, 24, 'uint8', [255, 0, 64.9], 0.25,
         ([0.1, 0.15, 0.2, 0.05, 0.3, 0.12, 0.07], [0.3, 0.1, 0.2, 0.25, 0.05, 0.12, 0.33],
          [0, 3, 7, 11, 15, 19, 2], [1, 4, 9, 13, 2, 6, 15]),
         [[0.3, 0.7, 6.1, 5.9], [3.33, 3.33, 13.37, 9.99], [10.5, 10.5, 23.9, 19.9], [0, 0, 24, 20], [17.2, 1.1, 23.3, 8.8]],
         [0, 0, 1, 0, 0]),
        ('threshold_above_one_keeps_all', 10, 10, 'uint8', 50, 1.5, ([0.9], [0.9], [0], [0]), [[0, 0, 9, 9], [1, 1, 3, 3]], [0, 1]),
        ('threshold_zero_drops_all', 10, 10, 'uint8', 50, 0.0, ([0.1], [0.1], [8], [8]), [[0, 0, 2, 2], [1, 1, 3, 3]], [0, 0]),
        ('empty_patch_ratio_zero', 9, 11, 'uint8', 200, 0.9, ([0.0, 0.05], [0.0, 0.05], [3, 5], [4, 2]), [[0, 0, 11, 9]], [0]),
        ('no_boxes', 8, 8, 'uint8', 7, 0.9, ([0.5], [0.25], [3], [1]), [], []),
    ]
    for name, h, w, dtype, border, thr, (rh, rw, px1, py1), boxes, ignore in cases:
        img = image(rng, h, w, dtype)
        inp = img.copy()
        patches = get_patches((h, w), rh, rw, px1, py1)
        for p in patches:  # the drawn corners respect NumPy's randint(0, side - patch) bounds
            assert 0 <= p[0] < max(w - (p[2] - p[0]), 1) and 0 <= p[1] < max(h - (p[3] - p[1]), 1), (name, p)
        transform_img(img, patches, border)
        b = np.array(boxes, dtype=np.float32).reshape(-1, 4)
        labels = np.arange(len(b), dtype=np.int64)
        ign = np.array(ignore, dtype=bool)
        valid, ratio = transform_bboxes(b, labels, ign, patches, thr)
        case = dict(name=name, h=h, w=w, dtype=dtype, input=[float(v) for v in inp.reshape(-1)],
                    border=border if isinstance(border, list) else [border] * 3, thr=thr,
                    ratios_h=rh, ratios_w=rw, px1=px1, py1=py1, patches=patches.tolist(),
                    boxes=[float(v) for v in b.reshape(-1)], ignore=[bool(v) for v in ign],
                    erased_ratio=[float(v) for v in ratio], valid=[bool(v) for v in valid],
                    output=[float(v) for v in img.reshape(-1)], numpy=np.__version__)
        with open(os.path.join(out, name + '.json'), 'w') as f:
            json.dump(case, f)
            f.write('\n')
        print(name, h, w, dtype, 'patches', patches.tolist(), 'valid', valid.tolist())


if __name__ == '__main__':
    main()
