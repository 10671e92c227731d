"""Writes src/test/resources/goldens/random_affine/*.json: MMDetection's RandomAffine on small images with GIVEN draws.

MMDetection itself is not installed here, so its formulas are transcribed from mmdet/datasets/transforms/transforms.py
(3.x, RandomAffine) and mmdet/structures/bbox/horizontal_boxes.py (project_, clip_, is_inside):

    rotation = float32 [[cos r, -sin r, 0], [sin r, cos r, 0], [0, 0, 1]]   r = math.radians(rotate_degree)
    scaling  = float32 diag(scale, scale, 1)
    shear    = float32 [[1, tan(x), 0], [tan(y), 1, 0], [0, 0, 1]]          x, y = math.radians(shear degrees)
    translate= float32 [[1, 0, tx], [0, 1, ty], [0, 0, 1]]                  tx = ratio_x * width, ty = ratio_y * height
    warp     = translate @ shear @ rotation @ scaling                        (float32 NumPy products, left to right)
    img      = cv2.warpPerspective(img, warp, dsize=(width, height), borderValue=border_val)
    boxes    : corners (x1,y1) (x2,y1) (x1,y2) (x2,y2) through warp in float32, / third coordinate, min / max;
               clipped to [0, width] x [0, height] (bbox_clip_border), kept when x1 < width, y1 < height, x2 > 0, y2 > 0

with height = img.shape[0] + border[1] * 2 and width = img.shape[1] + border[0] * 2: MMDetection 3.x's RandomAffine.transform
reads ``border`` as (w, h), as its docstring ("Distance from width and height sides") and YOLOX's
``border=(-img_scale[0] // 2, -img_scale[1] // 2)`` with a (w, h) img_scale have it (2.x read it as (h, w)). Cases with skip_filter False add MMDetection 2.x's filter_gt_bboxes
(min_bbox_size, min_area_ratio, max_aspect_ratio against the original boxes times the scale, in float32). The torch
float32 products of project_ are computed with NumPy float32 products here. Needs numpy and cv2 (python3-opencv).
Run: python3 scripts/goldens/random_affine.py [OUT_DIR]
"""
import json
import math
import os
import sys

import cv2
import numpy as np


def warp_matrix(d, height, width):
    r = math.radians(d['rotate_degree'])
    rotation = np.array([[np.cos(r), -np.sin(r), 0.], [np.sin(r), np.cos(r), 0.], [0., 0., 1.]], dtype=np.float32)
    s = d['scale']
    scaling = np.array([[s, 0., 0.], [0., s, 0.], [0., 0., 1.]], dtype=np.float32)
    x, y = math.radians(d['shear_x_degree']), math.radians(d['shear_y_degree'])
    shear = np.array([[1, np.tan(x), 0.], [np.tan(y), 1, 0.], [0., 0., 1.]], dtype=np.float32)
    tx, ty = d['translate_x_ratio'] * width, d['translate_y_ratio'] * height
    translate = np.array([[1, 0., tx], [0., 1, ty], [0., 0., 1.]], dtype=np.float32)
    return translate @ shear @ rotation @ scaling


def project(boxes, m):
    x1, y1, x2, y2 = np.split(boxes, 4, axis=-1)
    corners = np.concatenate([x1, y1, x2, y1, x1, y2, x2, y2], axis=-1).reshape(-1, 4, 2)
    corners = np.concatenate([corners, np.ones((*corners.shape[:-1], 1), np.float32)], axis=-1)
    corners = np.matmul(m, corners.transpose(0, 2, 1)).transpose(0, 2, 1)
    corners = corners[..., :2] / corners[..., 2:3]
    return np.concatenate([corners.min(axis=-2), corners.max(axis=-2)], axis=-1).astype(np.float32)


def filter_2x(origin, wrapped, f):
    ow, oh = origin[:, 2] - origin[:, 0], origin[:, 3] - origin[:, 1]
    ww, wh = wrapped[:, 2] - wrapped[:, 0], wrapped[:, 3] - wrapped[:, 1]
    ar = np.maximum(ww / (wh + 1e-16), wh / (ww + 1e-16))
    return (ww > f['min_bbox_size']) & (wh > f['min_bbox_size']) & \
        (ww * wh / (ow * oh + 1e-16) > f['min_area_ratio']) & (ar < f['max_aspect_ratio'])


def affine(img, boxes, d, border, border_val, clip, filt):
    # mmdet 3.x RandomAffine.transform: height = img.shape[0] + self.border[1] * 2, width = img.shape[1] + self.border[0] * 2
    height, width = img.shape[0] + border[1] * 2, img.shape[1] + border[0] * 2
    m = warp_matrix(d, height, width)
    out = cv2.warpPerspective(img, m, dsize=(width, height), borderValue=border_val)
    warped = project(boxes, m) if len(boxes) else boxes.reshape(0, 4)
    if clip:
        warped[:, 0::2] = warped[:, 0::2].clip(0, width)
        warped[:, 1::2] = warped[:, 1::2].clip(0, height)
    keep = (warped[:, 0] < width) & (warped[:, 1] < height) & (warped[:, 2] > 0) & (warped[:, 3] > 0)
    if filt is not None:
        keep = keep & filter_2x(boxes * d['scale'], warped, filt)
    return m, out, warped, keep


def image(rng, h, w, dtype):
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx * 255.0 / max(w - 1, 1), yy * 255.0 / max(h - 1, 1), (xx + yy) * 127.0 / (h + w)], axis=-1)
    noisy = base + rng.uniform(-40, 40, size=(h, w, 3))
    if dtype == 'uint8':
        return np.clip(noisy, 0, 255).astype(np.uint8)
    return (noisy * 1.3 - 30).astype(np.float32)  # a float image as PhotoMetricDistortion leaves it: beyond [0, 255]


def boxes_for(rng, h, w, n):
    x1, y1 = rng.uniform(-4, w - 2, n), rng.uniform(-4, h - 2, n)
    return np.stack([x1, y1, x1 + rng.uniform(0.5, w / 2, n), y1 + rng.uniform(0.5, h / 2, n)], axis=1).astype(np.float32)


def draws(rng, **fixed):
    """MMDetection's default ranges: rotation [-10, 10), scale [0.5, 1.5), shear [-2, 2), translation [-0.1, 0.1)."""
    d = dict(rotate_degree=float(rng.uniform(-10, 10)), scale=float(rng.uniform(0.5, 1.5)),
             shear_x_degree=float(rng.uniform(-2, 2)), shear_y_degree=float(rng.uniform(-2, 2)),
             translate_x_ratio=float(rng.uniform(-0.1, 0.1)), translate_y_ratio=float(rng.uniform(-0.1, 0.1)))
    d.update(fixed)
    return d


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'test', 'resources', 'goldens', 'random_affine')
    os.makedirs(out, exist_ok=True)
    rng = np.random.RandomState(20240607)
    f2x = dict(min_bbox_size=2, min_area_ratio=0.2, max_aspect_ratio=20)
    cases = [
        # name, h, w, dtype, draw overrides, border (w, h), border_val, clip, 2.x filter
        ('defaults_1', 24, 32, 'uint8', {}, (0, 0), (114, 114, 114), True, None),
        ('defaults_2', 31, 17, 'uint8', {}, (0, 0), (114, 114, 114), True, None),
        ('large_rotation', 20, 28, 'uint8', dict(rotate_degree=37.5, scale=1.1), (0, 0), (114, 114, 114), True, None),
        ('shrink_and_shift', 26, 26, 'uint8', dict(scale=0.55, translate_x_ratio=0.099, translate_y_ratio=-0.097),
         (0, 0), (114, 114, 114), True, None),
        ('identity', 9, 13, 'uint8', dict(rotate_degree=0.0, scale=1.0, shear_x_degree=0.0, shear_y_degree=0.0,
                                          translate_x_ratio=0.0, translate_y_ratio=0.0), (0, 0), (114, 114, 114), True, None),
        ('border_grows', 16, 20, 'uint8', {}, (3, 5), (10, 200, 30), True, None),
        ('border_shrinks', 30, 34, 'uint8', {}, (-4, -6), (114, 114, 114), True, None),
        ('no_clip', 24, 24, 'uint8', dict(scale=1.45, rotate_degree=-9.5), (0, 0), (0, 0, 0), False, None),
        ('filter_2x', 28, 36, 'uint8', dict(scale=0.6, rotate_degree=8.0), (0, 0), (114, 114, 114), True, f2x),
        ('float_image', 18, 22, 'float32', {}, (0, 0), (114, 114, 114), True, None),
        ('wide_rows', 12, 70, 'uint8', {}, (0, 0), (114, 114, 114), True, None),  # rows longer than a SIMD block
    ]
    for name, h, w, dtype, fixed, border, border_val, clip, filt in cases:
        img = image(rng, h, w, dtype)
        boxes = boxes_for(rng, h, w, 7)
        d = draws(rng, **fixed)
        m, res, warped, keep = affine(img, boxes.copy(), d, border, border_val, clip, filt)
        case = dict(name=name, h=h, w=w, dtype=dtype, input=[float(v) for v in img.reshape(-1)], draw=d,
                    border=list(border), border_val=list(border_val), bbox_clip_border=clip,
                    skip_filter=filt is None, filter=filt, boxes=[float(v) for v in boxes.reshape(-1)],
                    matrix=[float(v) for v in m.reshape(-1)], out_h=int(res.shape[0]), out_w=int(res.shape[1]),
                    output=[float(v) for v in res.reshape(-1)], warped_boxes=[float(v) for v in warped.reshape(-1)],
                    keep=[bool(k) for k in keep], opencv=cv2.__version__, numpy=np.__version__)
        with open(os.path.join(out, name + '.json'), 'w') as f:
            json.dump(case, f)
            f.write('\n')
        print(name, h, w, dtype, 'kept', int(keep.sum()), 'of', len(keep))


if __name__ == '__main__':
    main()
