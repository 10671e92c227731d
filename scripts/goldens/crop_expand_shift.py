"""Writes src/test/resources/goldens/{random_crop,expand,min_iou_random_crop,random_shift,cutout}/*.json: MMDetection
3.3's RandomCrop, Expand, MinIoURandomCrop, RandomShift and CutOut with GIVEN draws.

MMDetection is not installed here, so its code is transcribed, function by function, from
mmdet/datasets/transforms/transforms.py (3.x, stored copy at commit c944df92, the revision with RandomCrop's
gt_instances_ids, i.e. 3.1+; RandomCrop._get_crop_size reads crop_size as in 3.3: absolute / relative (w, h),
relative_range (h, w), absolute_range (min, max)) and the box ops of mmdet/structures/bbox/horizontal_boxes.py
(translate_, clip_, is_inside, centers) and mmdet/structures/bbox/bbox_overlaps.py (bbox_overlaps, iou mode). Torch's
float32 element-wise ops are done with NumPy float32 (the same IEEE operations, in the same order).

The draws: the engine draws from a seeded hash, not NumPy's RNG, so each case GIVES the values NumPy would have
returned and the Java test injects the same ones:
  * an integer draw (np.random.randint(lo, hi), random.choice) is given as the integer; the generator asserts it lies
    in NumPy's [lo, hi) and stores [lo, hi) next to it, so the test can check the engine's range as well;
  * a continuous draw is given as the unit u of NumPy's random_sample: np.random.rand() is u, and the legacy
    RandomState.uniform(low, high) is low + (high - low) * u (checked against NumPy below, check_uniform).
Boxes are float32 (HorizontalBoxes' tensor), labels their index, ignore flags the engine's crowd boxes.
Needs numpy. Run: python3 scripts/goldens/crop_expand_shift.py [OUT_ROOT]
"""
import json
import os
import sys

import numpy as np

F32 = np.float32


def uniform(low, high, u):
    """numpy.random.RandomState.uniform(low, high) with its random_sample u (mtrand.pyx: low + (high - low) * u)."""
    return low + (high - low) * u


def check_uniform():
    for seed in range(200):
        for low, high in [(0.0, 1.0), (1.0, 4.0), (0.3 * 17, 17), (5.25, 1.0), (0.7, 1.0), (0, 37.5)]:
            a = np.random.RandomState(seed).uniform(low, high)
            u = np.random.RandomState(seed).random_sample()
            assert a == uniform(low, high, u), (seed, low, high)
        r = np.random.RandomState(seed).rand(2)
        assert (r == np.random.RandomState(seed).random_sample(2)).all()


# ---------------------------------------------------------------- HorizontalBoxes (mmdet/structures/bbox/horizontal_boxes.py)

def translate_(boxes, distances):
    """HorizontalBoxes.translate_: boxes + boxes.new_tensor(distances).repeat(2) (float32)."""
    d = np.array(distances, dtype=F32)
    return boxes + np.concatenate([d, d])


def clip_(boxes, img_shape):
    """HorizontalBoxes.clip_: x clamped to [0, img_shape[1]], y to [0, img_shape[0]] (float32)."""
    out = boxes.copy()
    out[:, 0::2] = np.clip(out[:, 0::2], F32(0), F32(img_shape[1]))
    out[:, 1::2] = np.clip(out[:, 1::2], F32(0), F32(img_shape[0]))
    return out


def is_inside(boxes, img_shape):
    """HorizontalBoxes.is_inside(img_shape) with all_inside=False, allowed_border=0."""
    img_h, img_w = img_shape
    return (boxes[:, 0] < img_w) & (boxes[:, 1] < img_h) & (boxes[:, 2] > 0) & (boxes[:, 3] > 0)


def centers(boxes):
    """HorizontalBoxes.centers: (boxes[..., :2] + boxes[..., 2:]) / 2 (float32)."""
    return (boxes[:, :2] + boxes[:, 2:]) / F32(2)


def bbox_overlaps(b1, b2, eps=1e-6):
    """mmdet/structures/bbox/bbox_overlaps.py bbox_overlaps, mode='iou', is_aligned=False, float32."""
    rows, cols = b1.shape[0], b2.shape[0]
    if rows * cols == 0:
        return np.zeros((rows, cols), dtype=F32)
    area1 = (b1[:, 2] - b1[:, 0]) * (b1[:, 3] - b1[:, 1])
    area2 = (b2[:, 2] - b2[:, 0]) * (b2[:, 3] - b2[:, 1])
    lt = np.maximum(b1[:, None, :2], b2[None, :, :2])
    rb = np.minimum(b1[:, None, 2:], b2[None, :, 2:])
    wh = np.maximum(rb - lt, F32(0))  # fp16_clamp(rb - lt, min=0)
    overlap = wh[..., 0] * wh[..., 1]
    union = area1[:, None] + area2[None, :] - overlap
    union = np.maximum(union, np.array([eps], dtype=F32))
    return overlap / union


# ---------------------------------------------------------------- RandomCrop (transforms.py, class RandomCrop)

def crop_get_crop_size(crop_type, crop_size, image_size, draw):
    """RandomCrop._get_crop_size, with np.random.randint / np.random.rand(2) replaced by the given draws."""
    h, w = image_size
    if crop_type == 'absolute':
        return min(crop_size[1], h), min(crop_size[0], w)
    elif crop_type == 'absolute_range':
        lo_h, hi_h = min(h, crop_size[0]), min(h, crop_size[1]) + 1
        lo_w, hi_w = min(w, crop_size[0]), min(w, crop_size[1]) + 1
        crop_h, crop_w = draw['crop_h'], draw['crop_w']
        assert lo_h <= crop_h < hi_h and lo_w <= crop_w < hi_w
        draw['ranges'] = [[lo_h, hi_h], [lo_w, hi_w]]
        return crop_h, crop_w
    elif crop_type == 'relative':
        crop_w, crop_h = crop_size
        return int(h * crop_h + 0.5), int(w * crop_w + 0.5)
    else:
        # 'relative_range'
        crop_size = np.asarray(crop_size, dtype=np.float32)
        crop_h, crop_w = crop_size + np.array(draw['rand'], dtype=np.float64) * (1 - crop_size)
        return int(h * crop_h + 0.5), int(w * crop_w + 0.5)


def crop_rand_offset(margin, draw):
    """RandomCrop._rand_offset: offset_h = randint(0, margin_h + 1), offset_w = randint(0, margin_w + 1)."""
    margin_h, margin_w = margin
    offset_h, offset_w = draw['offset_h'], draw['offset_w']
    assert 0 <= offset_h < margin_h + 1 and 0 <= offset_w < margin_w + 1
    draw['offset_ranges'] = [[0, margin_h + 1], [0, margin_w + 1]]
    return offset_h, offset_w


def crop_crop_data(r, crop_size, allow_negative_crop, bbox_clip_border, draw):
    """RandomCrop._crop_data (no masks, no seg map): None when no box is kept and allow_negative_crop is False."""
    assert crop_size[0] > 0 and crop_size[1] > 0
    img = r['img']
    margin_h = max(img.shape[0] - crop_size[0], 0)
    margin_w = max(img.shape[1] - crop_size[1], 0)
    offset_h, offset_w = crop_rand_offset((margin_h, margin_w), draw)
    crop_y1, crop_y2 = offset_h, offset_h + crop_size[0]
    crop_x1, crop_x2 = offset_w, offset_w + crop_size[1]
    img = img[crop_y1:crop_y2, crop_x1:crop_x2, ...]
    img_shape = img.shape
    r['img'] = img
    bboxes = translate_(r['gt_bboxes'], [-offset_w, -offset_h])
    if bbox_clip_border:
        bboxes = clip_(bboxes, img_shape[:2])
    valid_inds = is_inside(bboxes, img_shape[:2])
    if not valid_inds.any() and not allow_negative_crop:
        return None
    r['gt_bboxes'] = bboxes[valid_inds]
    r['gt_ignore_flags'] = r['gt_ignore_flags'][valid_inds]
    r['gt_bboxes_labels'] = r['gt_bboxes_labels'][valid_inds]
    return r


def random_crop(r, cfg, draw):
    """RandomCrop.transform."""
    crop_size = crop_get_crop_size(cfg['crop_type'], cfg['crop_size'], r['img'].shape[:2], draw)
    draw['size'] = [int(crop_size[0]), int(crop_size[1])]
    return crop_crop_data(r, crop_size, cfg['allow_negative_crop'], cfg['bbox_clip_border'], draw)


# ---------------------------------------------------------------- Expand (transforms.py, class Expand)

def expand(r, cfg, draw):
    """Expand.__init__ (mean[::-1] with to_rgb) and Expand.transform; _random_prob, _random_ratio and
    _random_left_top with their random.uniform draws given as units."""
    mean = cfg['mean'][::-1] if cfg['to_rgb'] else cfg['mean']
    min_ratio, max_ratio = cfg['ratio_range']
    if uniform(0, 1, draw['u_prob']) > cfg['prob']:
        return r
    img = r['img']
    h, w, c = img.shape
    ratio = uniform(min_ratio, max_ratio, draw['u_ratio'])
    if np.all(mean == mean[0]):  # a tuple compared with a number: False, so always np.full below
        expand_img = np.empty((int(h * ratio), int(w * ratio), c), img.dtype)
        expand_img.fill(mean[0])
    else:
        expand_img = np.full((int(h * ratio), int(w * ratio), c), mean, dtype=img.dtype)
    left = int(uniform(0, w * ratio - w, draw['u_left']))
    top = int(uniform(0, h * ratio - h, draw['u_top']))
    expand_img[top:top + h, left:left + w] = img
    r['img'] = expand_img
    r['gt_bboxes'] = translate_(r['gt_bboxes'], [left, top])
    draw['geometry'] = [int(h * ratio), int(w * ratio), left, top]
    return r


# ---------------------------------------------------------------- MinIoURandomCrop (transforms.py, class MinIoURandomCrop)

def min_iou_random_crop(r, cfg, draw):
    """MinIoURandomCrop.transform. Round k of the `while True` loop takes mode index draw['modes'][k]
    (random.choice(self.sample_mode)) and, for trial i, draw['trials'][k][i] = units of new_w, new_h, left, top."""
    sample_mode = np.array((1, *cfg['min_ious'], 0))  # random.choice converts the tuple to a float64 array
    min_crop_size = cfg['min_crop_size']
    img = r['img']
    boxes = r['gt_bboxes']
    h, w, c = img.shape
    for k, mode_index in enumerate(draw['modes']):
        assert 0 <= mode_index < len(sample_mode)
        mode = sample_mode[mode_index]
        if mode == 1:
            draw['outcome'] = ['mode 1', k]
            return r
        min_iou = mode
        for i in range(50):
            u = draw['trials'][k][i]
            new_w = uniform(min_crop_size * w, w, u[0])
            new_h = uniform(min_crop_size * h, h, u[1])
            if new_h / new_w < 0.5 or new_h / new_w > 2:
                continue
            left = uniform(w - new_w, 1.0, u[2])  # random.uniform(w - new_w): low = w - new_w, high = 1.0
            top = uniform(h - new_h, 1.0, u[3])
            patch = np.array((int(left), int(top), int(left + new_w), int(top + new_h)))
            if patch[2] == patch[0] or patch[3] == patch[1]:
                continue
            overlaps = bbox_overlaps(patch.reshape(-1, 4).astype(np.float32), boxes).reshape(-1)
            if len(overlaps) > 0 and overlaps.min() < min_iou:
                continue
            if len(overlaps) > 0:
                def is_center_of_bboxes_in_patch(boxes, patch):
                    ctr = centers(boxes)
                    return ((ctr[:, 0] > patch[0]) * (ctr[:, 1] > patch[1]) * (ctr[:, 0] < patch[2]) *
                            (ctr[:, 1] < patch[3]))

                mask = is_center_of_bboxes_in_patch(boxes, patch)
                if not mask.any():
                    continue
                boxes = r['gt_bboxes']
                mask = is_center_of_bboxes_in_patch(boxes, patch)
                boxes = translate_(boxes[mask], [-patch[0], -patch[1]])
                if cfg['bbox_clip_border']:
                    boxes = clip_(boxes, [patch[3] - patch[1], patch[2] - patch[0]])
                r['gt_bboxes'] = boxes
                r['gt_ignore_flags'] = r['gt_ignore_flags'][mask]
                r['gt_bboxes_labels'] = r['gt_bboxes_labels'][mask]
            img = img[patch[1]:patch[3], patch[0]:patch[2]]
            r['img'] = img
            draw['outcome'] = ['patch', k, i]
            draw['patch'] = [int(v) for v in patch]
            return r
    raise AssertionError('the given rounds end without an outcome; give more rounds')


# ---------------------------------------------------------------- RandomShift (transforms.py, class RandomShift)

def random_shift(r, cfg, draw):
    """RandomShift.transform: _random_prob() = random.uniform(0, 1), the shifts random.randint(-max, max)."""
    max_shift_px, filter_thr_px = cfg['max_shift_px'], int(cfg['filter_thr_px'])
    if uniform(0, 1, draw['u_prob']) < cfg['prob']:
        img_shape = r['img'].shape[:2]
        random_shift_x, random_shift_y = draw['dx'], draw['dy']
        assert -max_shift_px <= random_shift_x < max_shift_px and -max_shift_px <= random_shift_y < max_shift_px
        draw['range'] = [-max_shift_px, max_shift_px]
        new_x = max(0, random_shift_x)
        ori_x = max(0, -random_shift_x)
        new_y = max(0, random_shift_y)
        ori_y = max(0, -random_shift_y)
        bboxes = translate_(r['gt_bboxes'].copy(), [random_shift_x, random_shift_y])
        bboxes = clip_(bboxes, img_shape)
        widths, heights = bboxes[:, 2] - bboxes[:, 0], bboxes[:, 3] - bboxes[:, 1]
        valid_inds = (widths > filter_thr_px) & (heights > filter_thr_px)
        if not valid_inds.any():
            return r
        r['gt_bboxes'] = bboxes[valid_inds]
        r['gt_bboxes_labels'] = r['gt_bboxes_labels'][valid_inds]
        r['gt_ignore_flags'] = r['gt_ignore_flags'][valid_inds]
        img = r['img']
        new_img = np.zeros_like(img)
        img_h, img_w = img.shape[:2]
        new_h = img_h - np.abs(random_shift_y)
        new_w = img_w - np.abs(random_shift_x)
        new_img[new_y:new_y + new_h, new_x:new_x + new_w] = img[ori_y:ori_y + new_h, ori_x:ori_x + new_w]
        r['img'] = new_img
    return r


# ---------------------------------------------------------------- CutOut (transforms.py, class CutOut)

def cutout(r, cfg, draw):
    """CutOut.__init__ (n_holes, candidates) and CutOut.transform with its np.random.randint draws given."""
    n_holes = cfg['n_holes']
    if isinstance(n_holes, list):  # the config's tuple
        n_holes = tuple(n_holes)
    if isinstance(n_holes, tuple):
        assert len(n_holes) == 2 and 0 <= n_holes[0] < n_holes[1]
    else:
        n_holes = (n_holes, n_holes)
    with_ratio = cfg.get('cutout_ratio') is not None
    candidates = cfg['cutout_ratio'] if with_ratio else cfg['cutout_shape']
    if not isinstance(candidates[0], list):  # one (w, h): the config's tuple (JSON has no tuples)
        candidates = tuple(candidates)
    if not isinstance(candidates, list):
        candidates = [candidates]
    h, w, c = r['img'].shape
    n = draw['n']
    assert n_holes[0] <= n < n_holes[1] + 1
    draw['ranges'] = dict(n=[n_holes[0], n_holes[1] + 1], x1=[0, w], y1=[0, h], index=[0, len(candidates)])
    holes = []
    for j in range(n):
        x1, y1, index = draw['x1'][j], draw['y1'][j], draw['index'][j]
        assert 0 <= x1 < w and 0 <= y1 < h and 0 <= index < len(candidates)
        if not with_ratio:
            cutout_w, cutout_h = candidates[index]
        else:
            cutout_w = int(candidates[index][0] * w)
            cutout_h = int(candidates[index][1] * h)
        x2 = np.clip(x1 + cutout_w, 0, w)
        y2 = np.clip(y1 + cutout_h, 0, h)
        r['img'][y1:y2, x1:x2, :] = cfg['fill_in']
        holes.append([int(x1), int(y1), int(x2), int(y2)])
    draw['holes'] = holes
    return r


# ---------------------------------------------------------------- cases

def image(rng, h, w, dtype):
    img = rng.randint(0, 256, size=(h, w, 3)).astype(np.uint8)
    if dtype == 'float32':
        return (img.astype(np.float32) * F32(1.37) - F32(41.5)).astype(np.float32)  # beyond [0, 255]
    return img


BOXES = [[0, 0, 10, 10], [2.5, 3.25, 17.75, 12.5], [20, 1, 29, 9], [5, 5, 5, 9], [1.1, 0.3, 28.7, 14.9],
         [26.6, 11.2, 31.5, 17.9]]
IGNORE = [0, 0, 1, 0, 0, 1]


def run(transform, out, name, rng, h, w, dtype, cfg, draw, boxes=BOXES, ignore=IGNORE):
    img = image(rng, h, w, dtype)
    b = np.array(boxes, dtype=np.float32).reshape(-1, 4)
    r = dict(img=img.copy(), gt_bboxes=b.copy(), gt_bboxes_labels=np.arange(len(b), dtype=np.int64),
             gt_ignore_flags=np.array(ignore, dtype=bool).reshape(-1))
    res = transform(r, cfg, draw)
    case = dict(name=name, h=h, w=w, dtype=dtype, cfg=cfg, draw=draw, input=[float(v) for v in img.reshape(-1)],
                boxes=[float(v) for v in b.reshape(-1)], ignore=[bool(v) for v in np.array(ignore, dtype=bool)],
                rejected=res is None, numpy=np.__version__, mmdet='transforms.py @ c944df92')
    if res is not None:
        o = res['img']
        case.update(out_h=int(o.shape[0]), out_w=int(o.shape[1]), output=[float(v) for v in o.reshape(-1)],
                    out_boxes=[float(v) for v in res['gt_bboxes'].astype(np.float32).reshape(-1)],
                    out_labels=[int(v) for v in res['gt_bboxes_labels']],
                    out_ignore=[bool(v) for v in res['gt_ignore_flags']])
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, name + '.json'), 'w') as f:
        json.dump(case, f)
        f.write('\n')
    print(os.path.basename(out), name, 'rejected' if res is None else (case['out_h'], case['out_w'], case['out_labels']))


def crop_cases(out, rng):
    c = lambda t, size, neg=False, clip=True: dict(crop_type=t, crop_size=size, allow_negative_crop=neg,
                                                    recompute_bbox=False, bbox_clip_border=clip)
    run(random_crop, out, 'absolute_wh_order', rng, 18, 32, 'uint8', c('absolute', [20, 12]), dict(offset_h=3, offset_w=7))
    run(random_crop, out, 'absolute_larger_than_image', rng, 18, 32, 'uint8', c('absolute', [40, 30]), dict(offset_h=0, offset_w=0))
    run(random_crop, out, 'absolute_no_clip', rng, 18, 32, 'uint8', c('absolute', [16, 10], clip=False), dict(offset_h=4, offset_w=9))
    run(random_crop, out, 'absolute_far_corner', rng, 18, 32, 'float32', c('absolute', [13, 9]), dict(offset_h=9, offset_w=19))
    run(random_crop, out, 'absolute_range', rng, 18, 32, 'uint8', c('absolute_range', [8, 24]),
        dict(crop_h=13, crop_w=21, offset_h=2, offset_w=6))
    run(random_crop, out, 'absolute_range_capped_by_image', rng, 18, 32, 'uint8', c('absolute_range', [10, 40]),
        dict(crop_h=18, crop_w=10, offset_h=0, offset_w=22))
    run(random_crop, out, 'relative_wh_order', rng, 18, 32, 'uint8', c('relative', [0.5, 0.75]), dict(offset_h=1, offset_w=15))
    run(random_crop, out, 'relative_half_rounding', rng, 18, 30, 'uint8', c('relative', [0.25, 0.25]), dict(offset_h=5, offset_w=3))
    run(random_crop, out, 'relative_range_hw_order', rng, 18, 32, 'uint8', c('relative_range', [0.3, 0.8]),
        dict(rand=[0.8174193427, 0.0312], offset_h=2, offset_w=4))
    # float32 crop_size: 10 * (f32(0.3) + 0.5 * (1 - f32(0.3))) + 0.5 gives 7 where float64 gives 6; width 5, not 6
    run(random_crop, out, 'relative_range_float32_edge', rng, 10, 10, 'uint8', c('relative_range', [0.3, 0.1]),
        dict(rand=[0.5, 0.5], offset_h=2, offset_w=4))
    run(random_crop, out, 'relative_range_draw_near_one', rng, 18, 32, 'float32', c('relative_range', [0.5, 0.5]),
        dict(rand=[0.9999999, 0.0], offset_h=0, offset_w=16))
    run(random_crop, out, 'negative_crop_rejected', rng, 18, 32, 'uint8', c('absolute', [4, 3]), dict(offset_h=14, offset_w=14))
    run(random_crop, out, 'negative_crop_allowed', rng, 18, 32, 'uint8', c('absolute', [4, 3], neg=True), dict(offset_h=14, offset_w=14))
    run(random_crop, out, 'only_ignored_box_kept', rng, 18, 32, 'uint8', c('absolute', [4, 5]), dict(offset_h=2, offset_w=25))
    run(random_crop, out, 'touching_edges_dropped', rng, 18, 32, 'uint8', c('absolute', [10, 8]), dict(offset_h=10, offset_w=10),
        boxes=[[0, 0, 10, 10], [20, 1, 25, 9], [12, 18, 15, 20], [9.5, 9.5, 10.5, 10.5]], ignore=[0, 0, 0, 1])
    run(random_crop, out, 'no_boxes_rejected', rng, 12, 12, 'uint8', c('absolute', [6, 6]), dict(offset_h=1, offset_w=2),
        boxes=[], ignore=[])
    run(random_crop, out, 'no_boxes_allowed', rng, 12, 12, 'uint8', c('absolute', [6, 6], neg=True), dict(offset_h=1, offset_w=2),
        boxes=[], ignore=[])


def expand_cases(out, rng):
    c = lambda mean=(0, 0, 0), rgb=True, ratio=(1, 4), prob=0.5: dict(mean=list(mean), to_rgb=rgb, ratio_range=list(ratio), prob=prob)
    run(expand, out, 'default_mean_zero', rng, 9, 11, 'uint8', c(), dict(u_prob=0.25, u_ratio=0.4, u_left=0.3, u_top=0.9))
    run(expand, out, 'mean_to_rgb_truncated', rng, 9, 11, 'uint8', c(mean=(123.675, 116.28, 103.53)),
        dict(u_prob=0.5, u_ratio=0.73, u_left=0.999, u_top=0.0))
    run(expand, out, 'mean_bgr_kept', rng, 9, 11, 'uint8', c(mean=(10.9, 200.5, 33.2), rgb=False),
        dict(u_prob=0.1, u_ratio=0.2, u_left=0.5, u_top=0.5))
    run(expand, out, 'float_image', rng, 8, 10, 'float32', c(mean=(123.675, 116.28, 103.53), ratio=(1.5, 2.5)),
        dict(u_prob=0.0, u_ratio=0.61, u_left=0.77, u_top=0.13))
    run(expand, out, 'not_applied_prob', rng, 9, 11, 'uint8', c(prob=0.3), dict(u_prob=0.30000001, u_ratio=0.4, u_left=0.3, u_top=0.9))
    run(expand, out, 'ratio_one', rng, 9, 11, 'uint8', c(ratio=(1, 1), prob=1.0), dict(u_prob=0.99, u_ratio=0.5, u_left=0.5, u_top=0.5))
    run(expand, out, 'ratio_rounding', rng, 7, 13, 'uint8', c(mean=(1, 2, 3), ratio=(1.1, 1.3), prob=1.0),
        dict(u_prob=0.2, u_ratio=0.123456789, u_left=0.98765, u_top=0.5))
    run(expand, out, 'no_boxes', rng, 6, 6, 'uint8', c(mean=(50, 60, 70)), dict(u_prob=0.2, u_ratio=0.5, u_left=0.6, u_top=0.1),
        boxes=[], ignore=[])


def min_iou_cases(out, rng):
    c = lambda ious=(0.1, 0.3, 0.5, 0.7, 0.9), size=0.3, clip=True: dict(min_ious=list(ious), min_crop_size=size, bbox_clip_border=clip)

    def trials(seed, k=1):
        g = np.random.RandomState(seed)
        return [[[float(v) for v in g.random_sample(4)] for _ in range(50)] for _ in range(k)]

    boxes = [[2, 2, 12, 10], [8, 1, 26, 15], [20, 10, 30, 19], [0.5, 12.25, 6.75, 19.5], [14.2, 3.3, 17.9, 8.1]]
    ignore = [0, 0, 1, 0, 1]
    run(min_iou_random_crop, out, 'mode_one_keeps', rng, 20, 30, 'uint8', c(), dict(modes=[0], trials=trials(1)),
        boxes=boxes, ignore=ignore)
    run(min_iou_random_crop, out, 'mode_zero_first_trial', rng, 20, 30, 'uint8', c(), dict(modes=[6], trials=trials(2)),
        boxes=boxes, ignore=ignore)
    # the smallest IoU over ALL boxes (ignored ones too) must reach the mode: two large boxes
    run(min_iou_random_crop, out, 'iou_mode_retries', rng, 20, 30, 'uint8', c(), dict(modes=[4, 6], trials=trials(3, 2)),
        boxes=[[3, 2, 27, 18], [5.5, 4.25, 25, 16.75]], ignore=[0, 1])
    run(min_iou_random_crop, out, 'no_clip', rng, 20, 30, 'uint8', c(clip=False), dict(modes=[1, 6], trials=trials(4, 2)),
        boxes=boxes, ignore=ignore)
    # an IoU no trial reaches: 50 failed trials, then a new mode draw
    run(min_iou_random_crop, out, 'rounds_exhausted_then_mode_one', rng, 20, 30, 'uint8', c(ious=(0.95,)),
        dict(modes=[1, 0], trials=trials(5, 2)), boxes=boxes, ignore=ignore)
    run(min_iou_random_crop, out, 'rounds_exhausted_then_patch', rng, 20, 30, 'float32', c(ious=(0.99,)),
        dict(modes=[1, 2], trials=trials(6, 2)), boxes=boxes, ignore=ignore)
    run(min_iou_random_crop, out, 'no_boxes_crops_image', rng, 12, 14, 'uint8', c(size=0.5), dict(modes=[5], trials=trials(7)),
        boxes=[], ignore=[])
    run(min_iou_random_crop, out, 'min_crop_size_one', rng, 12, 14, 'uint8', c(size=1.0), dict(modes=[6], trials=trials(8)),
        boxes=boxes[:2], ignore=[0, 1])
    # trials rejected for their aspect (h / w outside [0.5, 2]) and for being a line, then one kept
    t = trials(9)
    t[0][0] = [0.0, 0.999, 0.5, 0.5]
    t[0][1] = [0.999, 0.0, 0.5, 0.5]
    run(min_iou_random_crop, out, 'aspect_rejected_trials', rng, 20, 30, 'uint8', c(size=0.1), dict(modes=[6], trials=t),
        boxes=boxes, ignore=ignore)
    # a centre exactly on the patch edge is not inside (strict comparisons)
    t = trials(10)
    t[0][0] = [0.5, 0.5, 0.0, 0.0]  # patch (10, 6, 30, 20): the first box's centre x is 10
    # trial 0 is the patch (10, 3, 20, 17), whose IoU with the box is 98 / 140 = 0.7 exactly: in float32 0.69999999 < 0.7,
    # so MMDetection rejects it (an IoU in double would accept it); the later trials miss 0.7, round 2 draws mode 0
    t = trials(11, 2)
    t[0][0] = [0.005, 0.505, 0.5, 0.5]
    run(min_iou_random_crop, out, 'iou_equal_to_mode_float32', rng, 20, 30, 'uint8', c(ious=(0.7,)), dict(modes=[1, 2], trials=t),
        boxes=[[10, 3, 17, 17]], ignore=[0])
    run(min_iou_random_crop, out, 'centre_on_edge', rng, 20, 30, 'uint8', c(size=1.0 / 3), dict(modes=[6], trials=t),
        boxes=[[6, 6, 14, 12], [12, 8, 16, 10], [10, 5, 30, 20]], ignore=[0, 0, 1])


def shift_cases(out, rng):
    c = lambda prob=0.5, max_px=32, thr=1: dict(prob=prob, max_shift_px=max_px, filter_thr_px=thr)
    run(random_shift, out, 'shift_right_down', rng, 16, 30, 'uint8', c(max_px=8), dict(u_prob=0.2, dx=5, dy=3))
    run(random_shift, out, 'shift_left_up', rng, 16, 30, 'uint8', c(max_px=8), dict(u_prob=0.2, dx=-8, dy=-2))
    run(random_shift, out, 'float_image', rng, 16, 30, 'float32', c(max_px=6), dict(u_prob=0.0, dx=-3, dy=5))
    run(random_shift, out, 'not_applied', rng, 16, 30, 'uint8', c(prob=0.4), dict(u_prob=0.4, dx=1, dy=1))
    run(random_shift, out, 'filter_threshold', rng, 16, 30, 'uint8', c(max_px=10, thr=4), dict(u_prob=0.1, dx=9, dy=-4))
    run(random_shift, out, 'filter_threshold_float_truncated', rng, 16, 30, 'uint8', c(max_px=10, thr=4.9), dict(u_prob=0.1, dx=9, dy=-4))
    # after the shift: width exactly 4 (dropped: strictly above), height exactly 4 (dropped), 4.5 x 6 (kept), clipped to 3
    thr_boxes = [[0, 6, 4, 12], [2, 8, 10, 12], [0, 6, 4.5, 12], [18, 10, 26, 20], [1, 1, 9.25, 14]]
    run(random_shift, out, 'filter_threshold_equal_sides', rng, 16, 30, 'uint8', c(max_px=10, thr=4), dict(u_prob=0.1, dx=9, dy=-4),
        boxes=thr_boxes, ignore=[0, 0, 1, 0, 0])
    run(random_shift, out, 'filter_threshold_equal_sides_float', rng, 16, 30, 'float32', c(max_px=10, thr=4.9),
        dict(u_prob=0.1, dx=9, dy=-4), boxes=thr_boxes, ignore=[0, 0, 1, 0, 0])
    run(random_shift, out, 'all_boxes_out_untouched', rng, 16, 30, 'uint8', c(max_px=40), dict(u_prob=0.1, dx=31, dy=0),
        boxes=[[0, 0, 10, 10], [2.5, 3.25, 17.75, 12.5]], ignore=[0, 1])
    run(random_shift, out, 'only_ignored_kept', rng, 16, 30, 'uint8', c(max_px=20), dict(u_prob=0.1, dx=-18, dy=0),
        boxes=[[0, 0, 10, 10], [20, 1, 29, 9]], ignore=[0, 1])
    run(random_shift, out, 'no_boxes_untouched', rng, 8, 8, 'uint8', c(), dict(u_prob=0.1, dx=2, dy=2), boxes=[], ignore=[])


def cutout_cases(out, rng):
    c = lambda n, shape=None, ratio=None, fill=(0, 0, 0): dict(n_holes=n, cutout_shape=shape, cutout_ratio=ratio, fill_in=list(fill))
    run(cutout, out, 'fixed_shape', rng, 12, 16, 'uint8', c(2, shape=[4, 3]), dict(n=2, x1=[1, 14], y1=[2, 10], index=[0, 0]))
    run(cutout, out, 'shape_candidates_fill', rng, 12, 16, 'uint8', c([1, 3], shape=[[2, 5], [6, 1], [0, 4]], fill=(255, 17.9, 64.5)),
        dict(n=3, x1=[0, 9, 5], y1=[11, 3, 6], index=[1, 0, 2]))
    run(cutout, out, 'ratio_candidates', rng, 12, 16, 'uint8', c([0, 2], ratio=[[0.3, 0.25], [0.55, 0.9]], fill=(10, 20, 30)),
        dict(n=2, x1=[3, 12], y1=[4, 1], index=[1, 0]))
    run(cutout, out, 'ratio_single_pair', rng, 12, 16, 'float32', c(1, ratio=[0.26, 0.49], fill=(128.6, 0.5, 255)),
        dict(n=1, x1=[7], y1=[5], index=[0]))
    run(cutout, out, 'zero_holes', rng, 12, 16, 'uint8', c([0, 2], shape=[4, 4]), dict(n=0, x1=[], y1=[], index=[]))
    run(cutout, out, 'overlapping_holes', rng, 10, 10, 'uint8', c(3, shape=[[5, 5], [3, 8]], fill=(1, 2, 3)),
        dict(n=3, x1=[2, 4, 9], y1=[2, 0, 9], index=[0, 1, 1]))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'test', 'resources', 'goldens')
    check_uniform()
    rng = np.random.RandomState(20261127)
    crop_cases(os.path.join(root, 'random_crop'), rng)
    expand_cases(os.path.join(root, 'expand'), rng)
    min_iou_cases(os.path.join(root, 'min_iou_random_crop'), rng)
    shift_cases(os.path.join(root, 'random_shift'), rng)
    cutout_cases(os.path.join(root, 'cutout'), rng)


if __name__ == '__main__':
    main()
