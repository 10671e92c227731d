"""Writes src/test/resources/goldens/{cached_mosaic,cached_mixup,pad,filter_annotations,random_flip}/*.json:
MMDetection 3.3's CachedMosaic, CachedMixUp, Pad, FilterAnnotations and RandomFlip with GIVEN draws.

MMDetection / MMCV are not installed here, so their code is transcribed, function by function, from
  * mmdet/datasets/transforms/transforms.py (stored copy at commit c944df92, a 3.1+ revision; no copy tagged 3.3.0 is
    stored, these classes are taken to be 3.3.0's. The older stored copy 00e07a9c is 3.0.0rc code: CachedMosaic /
    CachedMixUp read img_scale as (h, w) there and MixUp's crop canvas is zeros, both changed before 3.0.0 (the
    latter by PR #9259, "fix (Cached) MixUp padding")):
    CachedMosaic.__init__ / get_indexes / transform (Mosaic._mosaic_combine via mosaic_mixup.combine),
    CachedMixUp.__init__ / get_indexes / transform, Pad (mmdet's subclass: MMCV's _pad_img, boxes untouched),
    RandomFlip._flip (mmcv.imflip + HorizontalBoxes.flip_);
  * mmdet/datasets/transforms/loading.py: FilterAnnotations.transform;
  * mmcv/transforms/processing.py (MMCV 2.x): Pad.__init__ / _pad_img, RandomFlip.__init__ / _choose_direction;
  * mmcv/image/geometric.py: impad (cv2.copyMakeBorder, bottom / right), imflip (np.flip);
  * mmdet/structures/bbox/horizontal_boxes.py: rescale_, translate_, clip_, flip_, is_inside, widths, heights
    (float32 as torch computes them; the shared ones imported from crop_expand_shift.py).
mmcv.imresize is cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR) (backend 'cv2').

The draws: the engine draws from a seeded hash, not NumPy's RNG, so each call GIVES the values NumPy would have returned
and the Java tests inject the same ones (integers for random.randint(lo, hi), asserted in NumPy's [lo, hi) and stored with
the range; units u of random_sample for uniform(lo, hi) = lo + (hi - lo) * u). Each call stores only the draws it made,
in the order MMDetection makes them, so the tests also check WHICH draws are made. RandomFlip's np.random.choice is
checked against NumPy itself (check_choice).

The cached steps' cases are sequences of calls on ONE transform object (its results_cache lives across calls): each call
has its input (dataset index k, labels 100 * k + box index), its draws, the cache content after the push / pop (dataset
indexes, oldest first), whether the input was mixed, and the output.

Needs numpy and cv2. Run: python3 scripts/goldens/cached_mix_pad_flip.py [OUT_ROOT]
"""
import copy
import json
import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crop_expand_shift import clip_, is_inside, translate_, uniform, check_uniform, run  # noqa: E402
from mosaic_mixup import combine  # noqa: E402  (Mosaic._mosaic_combine, 3.x (w, h) order)

F32 = np.float32
MMDET = 'transforms.py @ c944df92 (3.1+)'


def imresize(img, size):
    """mmcv.imresize(img, (w, h)) with the cv2 backend, bilinear."""
    return cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)


def rescale_(boxes, s):
    """HorizontalBoxes.rescale_([s, s]): boxes * new_tensor(scale_factor).repeat(2), a float32 factor."""
    return (boxes * F32(s)).astype(F32)


def randint(draw, key, lo, hi, ranges):
    """np.random.randint(lo, hi) / random.randint(lo, hi) (numpy.random): the given draw, checked in [lo, hi)."""
    v = draw[key]
    if isinstance(v, list):
        v = v.pop(0)
    assert lo <= v < hi, (key, v, lo, hi)
    ranges.append([lo, hi])
    return v


class Draws:
    """The given draws of one call; records the ones MMDetection's code actually makes, in order."""

    def __init__(self, given):
        self.given = {k: (list(v) if isinstance(v, list) else v) for k, v in given.items()}
        self.used = {}

    def int(self, key, lo, hi):
        v = self.given[key]
        if isinstance(v, list):
            v = v.pop(0)
        if isinstance(v, float):  # a fraction of the range (crop offsets, whose range depends on the sizes)
            v = lo + int(v * (hi - lo))
        assert lo <= v < hi, (key, v, lo, hi)
        self.used.setdefault(key, []).append([int(v), lo, hi])
        return int(v)

    def unit(self, key):
        u = self.given[key]
        self.used[key] = u
        return u


# ---------------------------------------------------------------- CachedMosaic (transforms.py, class CachedMosaic(Mosaic))

class CachedMosaic:
    def __init__(self, img_scale=(640, 640), center_ratio_range=(0.5, 1.5), bbox_clip_border=True, pad_val=114.0,
                 prob=1.0, max_cached_images=40, random_pop=True):
        assert isinstance(img_scale, tuple)
        assert 0 <= prob <= 1.0
        self.img_scale = img_scale
        self.center_ratio_range = center_ratio_range
        self.bbox_clip_border = bbox_clip_border
        self.pad_val = pad_val
        self.prob = prob
        self.results_cache = []
        self.random_pop = random_pop
        assert max_cached_images >= 4
        self.max_cached_images = max_cached_images

    def get_indexes(self, cache, d):
        """CachedMosaic.get_indexes: [random.randint(0, len(cache) - 1) for _ in range(3)]."""
        return [d.int('indexes', 0, len(cache) - 1) for _ in range(3)]

    def transform(self, results, d):
        """CachedMosaic.transform; returns (results, mixed)."""
        self.results_cache.append(copy.deepcopy(results))
        if len(self.results_cache) > self.max_cached_images:
            if self.random_pop:
                index = d.int('pop', 0, len(self.results_cache) - 1)
            else:
                index = 0
            self.results_cache.pop(index)
        if len(self.results_cache) <= 4:
            return results, False
        if uniform(0, 1, d.unit('u_prob')) > self.prob:
            return results, False
        indices = self.get_indexes(self.results_cache, d)
        mix_results = [copy.deepcopy(self.results_cache[i]) for i in indices]
        sw, sh = self.img_scale
        mosaic_img = np.full((int(sh * 2), int(sw * 2), 3), self.pad_val, dtype=results['img'].dtype)
        center_x = int(uniform(*self.center_ratio_range, d.unit('u_cx')) * sw)
        center_y = int(uniform(*self.center_ratio_range, d.unit('u_cy')) * sh)
        bxs, lbs, igs = [], [], []
        for i in range(4):  # loc_strs = ('top_left', 'top_right', 'bottom_left', 'bottom_right')
            patch = copy.deepcopy(results) if i == 0 else copy.deepcopy(mix_results[i - 1])
            img_i = patch['img']
            h_i, w_i = img_i.shape[:2]
            scale_ratio_i = min(sh / h_i, sw / w_i)
            img_i = imresize(img_i, (int(w_i * scale_ratio_i), int(h_i * scale_ratio_i)))
            (x1_p, y1_p, x2_p, y2_p), (x1_c, y1_c, x2_c, y2_c) = combine(i, center_x, center_y, img_i.shape[1],
                                                                         img_i.shape[0], sh, sw)
            mosaic_img[y1_p:y2_p, x1_p:x2_p] = img_i[y1_c:y2_c, x1_c:x2_c]
            b = translate_(rescale_(patch['gt_bboxes'], scale_ratio_i), [x1_p - x1_c, y1_p - y1_c])
            bxs.append(b)
            lbs.append(patch['gt_bboxes_labels'])
            igs.append(patch['gt_ignore_flags'])
        b = np.concatenate(bxs, 0).astype(F32)
        l = np.concatenate(lbs, 0)
        g = np.concatenate(igs, 0)
        if self.bbox_clip_border:
            b = clip_(b, [2 * sh, 2 * sw])
        keep = is_inside(b, [2 * sh, 2 * sw])
        results['img'] = mosaic_img
        results['gt_bboxes'] = b[keep]
        results['gt_bboxes_labels'] = l[keep]
        results['gt_ignore_flags'] = g[keep]
        return results, True


# ---------------------------------------------------------------- CachedMixUp (transforms.py, class CachedMixUp)

class CachedMixUp:
    def __init__(self, img_scale=(640, 640), ratio_range=(0.5, 1.5), flip_ratio=0.5, pad_val=114.0, max_iters=15,
                 bbox_clip_border=True, max_cached_images=20, random_pop=True, prob=1.0):
        assert isinstance(img_scale, tuple)
        assert max_cached_images >= 2
        assert 0 <= prob <= 1.0
        self.dynamic_scale = img_scale
        self.ratio_range = ratio_range
        self.flip_ratio = flip_ratio
        self.pad_val = pad_val
        self.max_iters = max_iters
        self.bbox_clip_border = bbox_clip_border
        self.results_cache = []
        self.max_cached_images = max_cached_images
        self.random_pop = random_pop
        self.prob = prob

    def get_indexes(self, cache, d):
        """CachedMixUp.get_indexes: up to max_iters random.randint(0, len(cache) - 1) until len(gt_bboxes) != 0."""
        for i in range(self.max_iters):
            index = d.int('indexes', 0, len(cache) - 1)
            if len(cache[index]['gt_bboxes']) != 0:
                break
        return index

    def transform(self, results, d):
        """CachedMixUp.transform (no masks); returns (results, cache index mixed in or -1)."""
        self.results_cache.append(copy.deepcopy(results))
        if len(self.results_cache) > self.max_cached_images:
            if self.random_pop:
                index = d.int('pop', 0, len(self.results_cache) - 1)
            else:
                index = 0
            self.results_cache.pop(index)
        if len(self.results_cache) <= 1:
            return results, -1
        if uniform(0, 1, d.unit('u_prob')) > self.prob:
            return results, -1
        index = self.get_indexes(self.results_cache, d)
        retrieve_results = copy.deepcopy(self.results_cache[index])
        if retrieve_results['gt_bboxes'].shape[0] == 0:
            return results, -1
        retrieve_img = retrieve_results['img']
        jit_factor = uniform(*self.ratio_range, d.unit('u_jit'))
        is_flip = uniform(0, 1, d.unit('u_flip')) > self.flip_ratio
        out_img = np.ones((self.dynamic_scale[1], self.dynamic_scale[0], 3), dtype=retrieve_img.dtype) * self.pad_val
        scale_ratio = min(self.dynamic_scale[1] / retrieve_img.shape[0], self.dynamic_scale[0] / retrieve_img.shape[1])
        retrieve_img = imresize(retrieve_img, (int(retrieve_img.shape[1] * scale_ratio),
                                               int(retrieve_img.shape[0] * scale_ratio)))
        out_img[:retrieve_img.shape[0], :retrieve_img.shape[1]] = retrieve_img
        scale_ratio *= jit_factor
        out_img = imresize(out_img, (int(out_img.shape[1] * jit_factor), int(out_img.shape[0] * jit_factor)))
        if is_flip:
            out_img = out_img[:, ::-1, :]
        ori_img = results['img']
        origin_h, origin_w = out_img.shape[:2]
        target_h, target_w = ori_img.shape[:2]
        padded_img = np.ones((max(origin_h, target_h), max(origin_w, target_w), 3)) * self.pad_val
        padded_img = padded_img.astype(np.uint8)
        padded_img[:origin_h, :origin_w] = out_img
        x_offset, y_offset = 0, 0
        if padded_img.shape[0] > target_h:
            y_offset = d.int('y_offset', 0, padded_img.shape[0] - target_h)
        if padded_img.shape[1] > target_w:
            x_offset = d.int('x_offset', 0, padded_img.shape[1] - target_w)
        padded_cropped_img = padded_img[y_offset:y_offset + target_h, x_offset:x_offset + target_w]
        b = rescale_(retrieve_results['gt_bboxes'], scale_ratio)
        if self.bbox_clip_border:
            b = clip_(b, [origin_h, origin_w])
        if is_flip:
            b = flip_(b, [origin_h, origin_w], 'horizontal')
        cp = translate_(b, [-x_offset, -y_offset])
        if self.bbox_clip_border:
            cp = clip_(cp, [target_h, target_w])
        ori_img = ori_img.astype(np.float32)
        mixup_img = 0.5 * ori_img + 0.5 * padded_cropped_img.astype(np.float32)
        assert mixup_img.dtype == np.float32
        allb = np.concatenate((results['gt_bboxes'], cp), 0).astype(F32)
        alll = np.concatenate((results['gt_bboxes_labels'], retrieve_results['gt_bboxes_labels']), 0)
        allg = np.concatenate((results['gt_ignore_flags'], retrieve_results['gt_ignore_flags']), 0)
        keep = is_inside(allb, [target_h, target_w])
        assert mixup_img.min() >= 0 and mixup_img.max() < 256  # astype(uint8) of other values is platform-defined
        results['img'] = mixup_img.astype(np.uint8)
        results['gt_bboxes'] = allb[keep]
        results['gt_bboxes_labels'] = alll[keep]
        results['gt_ignore_flags'] = allg[keep]
        return results, index


# ---------------------------------------------------------------- HorizontalBoxes.flip_ / RandomFlip

def flip_(boxes, img_shape, direction):
    """HorizontalBoxes.flip_(img_shape, direction): an int minus float32 coordinates, in float32."""
    out = boxes.copy()
    h, w = img_shape
    if direction in ('horizontal', 'diagonal'):
        out[:, 0] = w - boxes[:, 2]
        out[:, 2] = w - boxes[:, 0]
    if direction in ('vertical', 'diagonal'):
        out[:, 1] = h - boxes[:, 3]
        out[:, 3] = h - boxes[:, 1]
    return out.astype(F32)


def flip_lists(prob, direction):
    """MMCV RandomFlip.__init__ asserts + _choose_direction's direction_list / prob_list."""
    if isinstance(prob, list):
        assert all(isinstance(p, float) for p in prob)
        assert 0 <= sum(prob) <= 1
    elif isinstance(prob, float):
        assert 0 <= prob <= 1
    else:
        raise ValueError('probs must be float or list of float')
    if isinstance(direction, list):
        direction_list = list(direction) + [None]
    else:
        direction_list = [direction, None]
    if isinstance(prob, list):
        assert len(prob) == len(direction)
        non_prob = 1 - sum(prob)
        prob_list = prob + [non_prob]
    else:
        non_prob = 1. - prob
        single_ratio = prob / (len(direction_list) - 1)
        prob_list = [single_ratio] * (len(direction_list) - 1) + [non_prob]
    return direction_list, prob_list


def choice(direction_list, prob_list, u):
    """numpy RandomState.choice(a, p=p) (mtrand.pyx, size None): cdf = p.cumsum(); cdf /= cdf[-1];
    idx = cdf.searchsorted(random_sample(), side='right')."""
    p = np.array(prob_list, dtype=np.float64)
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return direction_list[int(cdf.searchsorted(u, side='right'))], cdf


def check_choice():
    """choice() against NumPy's own np.random.choice for the same seeds."""
    for prob, direction in [(0.5, 'horizontal'), ([0.3, 0.2, 0.1], ['horizontal', 'vertical', 'diagonal']),
                            (0.411, ['vertical', 'diagonal', 'horizontal']), ([0.0, 0.7], ['diagonal', 'vertical']),
                            (1.0, ['horizontal', 'vertical'])]:
        dl, pl = flip_lists(prob, direction)
        for seed in range(300):
            want = np.random.RandomState(seed).choice(dl, p=pl)
            got, _ = choice(dl, pl, np.random.RandomState(seed).random_sample())
            assert want == got, (prob, direction, seed)


def random_flip(r, cfg, draw):
    """RandomFlip.transform: _choose_direction with the given unit, then _flip (mmcv.imflip, HorizontalBoxes.flip_)."""
    dl, pl = flip_lists(cfg['prob'], cfg['direction'])
    cur_dir, cdf = choice(dl, pl, draw['u'])
    draw['prob_list'] = [float(p) for p in pl]
    draw['cdf'] = [float(c) for c in cdf]
    draw['direction'] = cur_dir
    if cur_dir is None:
        return r
    axis = {'horizontal': 1, 'vertical': 0, 'diagonal': (0, 1)}[cur_dir]
    r['img'] = np.ascontiguousarray(np.flip(r['img'], axis=axis))
    r['gt_bboxes'] = flip_(r['gt_bboxes'], r['img'].shape[:2], cur_dir)
    return r


# ---------------------------------------------------------------- Pad (MMCV Pad._pad_img + mmcv.impad)

def cv2_value(pad_val, dtype):
    """What cv2.copyMakeBorder's Python binding makes of `value`: the border of a float64 1x1 image, 4 channels."""
    probe = cv2.copyMakeBorder(np.zeros((1, 1, 4), np.float64), 0, 1, 0, 0, cv2.BORDER_CONSTANT, value=pad_val)
    return [float(v) for v in probe[1, 0]]


def pad(r, cfg, draw):
    """mmcv Pad.__init__ + Pad._pad_img (mmdet's Pad subclass only adds masks); boxes are not touched."""
    size, size_divisor, pad_to_square = cfg.get('size'), cfg.get('size_divisor'), cfg.get('pad_to_square', False)
    pad_val = cfg.get('pad_val', dict(img=0, seg=255))
    if isinstance(pad_val, list):
        pad_val = tuple(pad_val)
    if isinstance(pad_val, int):
        pad_val = dict(img=pad_val, seg=255)
    assert isinstance(pad_val, dict), 'pad_val '
    if pad_to_square:
        assert size is None
    else:
        assert size is not None or size_divisor is not None
        assert size is None or size_divisor is None
    pad_val = pad_val.get('img', 0)
    if isinstance(pad_val, list):
        pad_val = tuple(pad_val)  # a config tuple (JSON has lists only)
    img = r['img']
    s = None
    if pad_to_square:
        max_size = max(img.shape[:2])
        s = (max_size, max_size)
    if size_divisor is not None:
        if s is None:
            s = (img.shape[0], img.shape[1])
        pad_h = int(np.ceil(s[0] / size_divisor)) * size_divisor
        pad_w = int(np.ceil(s[1] / size_divisor)) * size_divisor
        s = (pad_h, pad_w)
    elif size is not None:
        s = tuple(size)[::-1]
    if isinstance(pad_val, int) and img.ndim == 3:
        pad_val = tuple(pad_val for _ in range(img.shape[2]))
    # mmcv.impad(img, shape=s, pad_val=pad_val, padding_mode='constant')
    width = max(s[1] - img.shape[1], 0)
    height = max(s[0] - img.shape[0], 0)
    if isinstance(pad_val, tuple):
        assert len(pad_val) == img.shape[-1]
    draw['cv2_value'] = cv2_value(pad_val, img.dtype)
    draw['target'] = [int(s[0]), int(s[1])]
    r['img'] = cv2.copyMakeBorder(img, 0, height, 0, width, cv2.BORDER_CONSTANT, value=pad_val)
    return r


# ---------------------------------------------------------------- FilterAnnotations (loading.py)

def filter_annotations(r, cfg, draw):
    """FilterAnnotations.transform with by_box (masks are not loaded): widths / heights are float32 tensors compared
    with Python numbers (in float32, as torch's type promotion does; NumPy 1.24's value-based casting does the same)."""
    min_wh = cfg.get('min_gt_bbox_wh', (1, 1))
    keep_empty = cfg.get('keep_empty', True)
    b = r['gt_bboxes']
    if b.shape[0] == 0:
        return r
    widths, heights = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    keep = (widths > min_wh[0]) & (heights > min_wh[1])
    draw['keep'] = [bool(v) for v in keep]
    if not keep.any():
        if keep_empty:
            return None
    r['gt_bboxes'] = b[keep]
    r['gt_bboxes_labels'] = r['gt_bboxes_labels'][keep]
    r['gt_ignore_flags'] = r['gt_ignore_flags'][keep]
    return r


# ---------------------------------------------------------------- cases

def smooth_image(rng, h, w, dtype):
    base = rng.randint(0, 256, size=(max(2, h // 3), max(2, w // 3), 3)).astype(np.uint8)
    img = cv2.resize(base, (w, h), interpolation=cv2.INTER_CUBIC)
    if dtype == 'float32':  # inside [0, 255]: astype(uint8) of other values is platform-defined
        return (img.astype(F32) * F32(0.93) + F32(7.25)).astype(F32)
    return img


def rand_boxes(rng, h, w, n):
    x1 = rng.uniform(-0.3 * w, 0.9 * w, n)
    y1 = rng.uniform(-0.3 * h, 0.9 * h, n)
    bw = rng.uniform(0.5, 0.7 * w, n)
    bh = rng.uniform(0.5, 0.7 * h, n)
    return np.stack([x1, y1, x1 + bw, y1 + bh], 1).astype(F32).reshape(-1, 4)


def img_json(img):
    conv = int if img.dtype == np.uint8 else float
    return dict(h=int(img.shape[0]), w=int(img.shape[1]), dtype=str(img.dtype), data=[conv(v) for v in img.reshape(-1)])


def results_json(r):
    return dict(image=img_json(r['img']), boxes=[float(v) for v in r['gt_bboxes'].reshape(-1)],
                labels=[int(v) for v in r['gt_bboxes_labels']], ignore=[bool(v) for v in r['gt_ignore_flags']])


def sequence(out, name, t, cfg, rng, inputs, draws):
    """Calls t.transform on each input with its draws; writes the case."""
    calls = []
    for k, ((h, w, dtype, nbox, nign), given) in enumerate(zip(inputs, draws)):
        img = smooth_image(rng, h, w, dtype)
        b = rand_boxes(rng, h, w, nbox)
        ign = np.zeros(nbox, dtype=bool)
        ign[:nign] = True
        rng.shuffle(ign)
        r = dict(img=img, gt_bboxes=b, gt_bboxes_labels=np.arange(nbox, dtype=np.int64) + 100 * k,
                 gt_ignore_flags=ign, dataset_index=k)
        call = dict(dataset_index=k, input=results_json(r))
        d = Draws(given)
        res, mixed = t.transform(r, d)
        call['draws'] = d.used
        call['cache'] = [int(c['dataset_index']) for c in t.results_cache]
        call['mixed'] = mixed if isinstance(mixed, bool) else int(mixed)
        call['output'] = results_json(res)
        calls.append(call)
    case = dict(name=name, cfg=cfg, calls=calls, numpy=np.__version__, cv2=cv2.__version__, mmdet=MMDET)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, name + '.json'), 'w') as f:
        json.dump(case, f)
        f.write('\n')
    print(os.path.basename(out), name, [c['mixed'] for c in calls], [c['cache'] for c in calls][-1])


def mosaic_cases(out, rng):
    def cfg(**kw):
        c = dict(img_scale=[12, 10], center_ratio_range=[0.5, 1.5], bbox_clip_border=True, pad_val=114.0, prob=1.0,
                 max_cached_images=40, random_pop=True)
        c.update(kw)
        return c

    def make(c):
        return CachedMosaic(tuple(c['img_scale']), tuple(c['center_ratio_range']), c['bbox_clip_border'], c['pad_val'],
                            c['prob'], c['max_cached_images'], c['random_pop'])

    sizes = lambda n, dtype='uint8': [(int(rng.randint(6, 17)), int(rng.randint(6, 17)), dtype, int(rng.randint(0, 4)), 1)
                                      for _ in range(n)]
    # max_cached_images 4: the cache never holds more than 4, so the mosaic is never made (len <= 4 returns)
    c = cfg(max_cached_images=4)
    sequence(out, 'max4_never_mixes', make(c), c, rng, sizes(6), [dict(pop=p) for p in [0, 3, 2, 1, 0, 2]])
    # random pop: randint(0, len - 1) never pops the entry just added; three cache indexes, the input's copy excluded
    c = cfg(max_cached_images=5)
    mix = lambda pop, idx, ux, uy: dict(pop=pop, u_prob=0.3, indexes=idx, u_cx=ux, u_cy=uy)
    sequence(out, 'random_pop', make(c), c, rng, sizes(8),
             [{}, {}, {}, {}, mix(0, [0, 3, 1], 0.5, 0.5), mix(4, [3, 3, 0], 0.02, 0.97), mix(1, [2, 0, 3], 0.999, 0.001),
              mix(3, [1, 2, 3], 0.4, 0.71)])
    # FIFO pop (random_pop False): no pop draw; non-square scale, extreme centres
    c = cfg(max_cached_images=5, random_pop=False, img_scale=[14, 8], center_ratio_range=[0.2, 1.8])
    sequence(out, 'fifo_pop_nonsquare', make(c), c, rng, sizes(7),
             [{}, {}, {}, {}, mix(0, [3, 2, 1], 0.0, 0.999), mix(0, [0, 0, 0], 0.999, 0.0), mix(0, [1, 3, 2], 0.33, 0.66)])
    # prob: skipped when uniform(0, 1) > prob (u == prob is mixed); no index draw when skipped
    c = cfg(prob=0.5, max_cached_images=6)
    p = lambda u, idx=None: dict(u_prob=u, indexes=idx or [0, 1, 2], u_cx=0.45, u_cy=0.55, pop=2)
    sequence(out, 'prob_skip', make(c), c, rng, sizes(7), [{}, {}, {}, {}, p(0.75), p(0.5, [3, 1, 0]), p(0.9)])
    # float32 images (after PhotoMetricDistortion): a float32 canvas of 114.7, no clip: boxes may leave the canvas
    c = cfg(pad_val=114.7, bbox_clip_border=False, max_cached_images=5, img_scale=[10, 13])
    sequence(out, 'float_no_clip', make(c), c, rng, sizes(6, 'float32'),
             [{}, {}, {}, {}, mix(1, [0, 2, 3], 0.1, 0.9), mix(2, [1, 1, 3], 0.8, 0.2)])


def mixup_cases(out, rng):
    def cfg(**kw):
        c = dict(img_scale=[16, 12], ratio_range=[0.5, 1.5], flip_ratio=0.5, pad_val=114.0, max_iters=15,
                 bbox_clip_border=True, max_cached_images=20, random_pop=True, prob=1.0)
        c.update(kw)
        return c

    def make(c):
        pv = tuple(c['pad_val']) if isinstance(c['pad_val'], list) else c['pad_val']
        return CachedMixUp(tuple(c['img_scale']), tuple(c['ratio_range']), c['flip_ratio'], pv, c['max_iters'],
                           c['bbox_clip_border'], c['max_cached_images'], c['random_pop'], c['prob'])

    def sizes(n, dtype='uint8', boxes=None):
        out = []
        for i in range(n):
            nb = int(rng.randint(1, 4)) if boxes is None else boxes[i][0]
            ni = 1 if boxes is None else boxes[i][1]
            out.append((int(rng.randint(8, 19)), int(rng.randint(8, 19)), dtype, nb, min(ni, nb)))
        return out

    m = lambda idx, uj, uf, y=0.5, x=0.5, pop=0, u=0.2: dict(pop=pop, u_prob=u, indexes=idx, u_jit=uj, u_flip=uf,
                                                        y_offset=y, x_offset=x)
    # the first call only fills the cache; later ones mix with an earlier entry (never the input's own copy)
    c = cfg(max_cached_images=3)
    sequence(out, 'mix_and_random_pop', make(c), c, rng, sizes(6),
             [{}, m([0], 0.5, 0.2, 0.9, 0.3), m([1], 0.95, 0.7, 0.1, 0.0), m([0], 0.05, 0.9, 0.0, 0.99, pop=1),
              m([1], 0.7, 0.1, 0.6, 0.6, pop=2), m([1], 0.3, 0.6, 0.2, 0.8, pop=0)])
    # get_indexes retries entries without boxes (max_iters); the last try's entry without boxes returns the input
    c = cfg(max_iters=3, max_cached_images=4, random_pop=False)
    bx = [(0, 0), (2, 1), (0, 0), (0, 0), (3, 0), (1, 0), (2, 2)]
    sequence(out, 'retry_entries_without_boxes', make(c), c, rng, sizes(7, boxes=bx),
             [{}, m([0, 0, 0], 0.5, 0.6), m([0, 1], 0.25, 0.4, 0.7, 0.3), m([0, 2, 2], 0.5, 0.5), m([2, 1, 0], 0.8, 0.8),
              m([2], 0.6, 0.3, 0.9, 0.0), m([0, 1], 0.45, 0.55, 0.4, 0.1)])
    # prob: skipped when uniform(0, 1) > prob, before get_indexes; an entry whose only box is ignored counts as boxed
    c = cfg(prob=0.3, max_iters=2)
    bx = [(1, 1), (0, 0), (2, 0), (1, 1), (2, 1)]
    sequence(out, 'prob_and_ignored_only', make(c), c, rng, sizes(5, boxes=bx),
             [{}, m([0], 0.5, 0.2, u=0.31), m([1, 0], 0.9, 0.9, 0.2, 0.7, u=0.3), m([0], 0.1, 0.1, u=0.0),
              m([2], 0.66, 0.51, u=0.99)])
    # RTMDet's stage-1 CachedMixUp: pad_val (114, 114, 114) (an int64 canvas, its same-size cv2.resize a copy), ratio 1
    c = cfg(img_scale=[14, 14], ratio_range=[1.0, 1.0], pad_val=[114, 114, 114], max_cached_images=20)
    sequence(out, 'rtmdet_tuple_pad', make(c), c, rng, sizes(4),
             [{}, m([0], 0.5, 0.3, 0.2, 0.3), m([1], 0.5, 0.9, 0.0, 0.99), m([0], 0.5, 0.5)])
    # float32 images: a float32 jitter canvas of 114.5, the crop canvas 114 (astype uint8), the blend in float32, uint8 out
    c = cfg(pad_val=114.5, bbox_clip_border=False, flip_ratio=0.25, img_scale=[12, 18])
    sequence(out, 'float_images_no_clip', make(c), c, rng, sizes(4, 'float32'),
             [{}, m([0], 0.9, 0.3, 0.8, 0.1), m([1], 0.2, 0.2, 0.0, 0.7), m([2], 0.55, 0.26, 0.3, 0.6)])


def flip_cases(out, rng):
    b = [[0, 0, 3, 4], [2.5, 1.25, 9.75, 6.5], [-2, 3, 4.5, 8.25], [8, 5, 11, 7], [1.1, 0.3, 10.7, 6.9]]
    ign = [0, 0, 1, 0, 1]
    c = lambda prob, d: dict(prob=prob, direction=d)
    run(random_flip, out, 'horizontal_default', rng, 7, 11, 'uint8', c(0.5, 'horizontal'), dict(u=0.2), b, ign)
    run(random_flip, out, 'horizontal_u_equals_prob', rng, 7, 11, 'uint8', c(0.5, 'horizontal'), dict(u=0.5), b, ign)
    run(random_flip, out, 'vertical_odd', rng, 9, 5, 'uint8', c(0.8, 'vertical'), dict(u=0.7999), b, ign)
    run(random_flip, out, 'diagonal_float', rng, 7, 11, 'float32', c(1.0, 'diagonal'), dict(u=0.9999999), b, ign)
    run(random_flip, out, 'never', rng, 7, 11, 'uint8', c(0.0, 'horizontal'), dict(u=0.0), b, ign)
    three = ['horizontal', 'vertical', 'diagonal']
    dl, pl = flip_lists([0.3, 0.2, 0.1], three)
    _, cdf = choice(dl, pl, 0.0)
    run(random_flip, out, 'list_probs_second', rng, 7, 11, 'uint8', c([0.3, 0.2, 0.1], three), dict(u=0.45), b, ign)
    run(random_flip, out, 'list_probs_at_first_edge', rng, 7, 11, 'uint8', c([0.3, 0.2, 0.1], three),
        dict(u=float(cdf[0])), b, ign)  # side='right': u == cdf[0] is the next direction
    run(random_flip, out, 'list_probs_none_at_edge', rng, 7, 11, 'uint8', c([0.3, 0.2, 0.1], three),
        dict(u=float(cdf[2])), b, ign)  # u == cdf[2] (0.6000000000000001): no flip
    run(random_flip, out, 'list_probs_zero_entry', rng, 7, 11, 'uint8', c([0.0, 0.7], ['diagonal', 'vertical']),
        dict(u=0.0), b, ign)  # cdf[0] == 0 is not > 0: the zero-probability direction is never chosen
    # float prob over a list: prob / n each, and 1. - prob (not 1 - the sum of the shares) for no flip; with 0.411 / 3 the
    # two differ in the last bit, and u = the sum-based edge picks the third direction only with MMCV's arithmetic
    dirs = ['vertical', 'diagonal', 'horizontal']
    share = 0.411 / 3
    s = 0.0
    for _ in range(3):
        s += share
    alt = np.cumsum(np.array([share] * 3 + [1 - s]))
    alt /= alt[-1]
    run(random_flip, out, 'float_prob_shared_last_bit', rng, 9, 7, 'uint8', c(0.411, dirs), dict(u=float(alt[2])), b, ign)
    run(random_flip, out, 'float_prob_shared_first', rng, 9, 7, 'float32', c(0.75, dirs), dict(u=0.1), b, ign)


def pad_cases(out, rng):
    b = [[0, 0, 3, 4], [2.5, 1.25, 12.75, 9.5], [-2, 3, 4.5, 8.25]]
    ign = [0, 1, 0]
    run(pad, out, 'size_divisor_default_fill', rng, 13, 21, 'uint8', dict(size_divisor=8), {}, b, ign)
    run(pad, out, 'size_wh_int', rng, 13, 21, 'uint8', dict(size=[25, 17], pad_val=114), {}, b, ign)
    run(pad, out, 'size_smaller_side_kept', rng, 13, 21, 'uint8', dict(size=[10, 30], pad_val=7), {}, b, ign)
    run(pad, out, 'square_dict_int', rng, 13, 21, 'uint8', dict(pad_to_square=True, pad_val=dict(img=114, seg=255)), {}, b, ign)
    run(pad, out, 'square_then_divisor', rng, 21, 13, 'uint8', dict(pad_to_square=True, size_divisor=8, pad_val=3), {}, b, ign)
    run(pad, out, 'dict_float_blue_only', rng, 13, 21, 'uint8', dict(size_divisor=5, pad_val=dict(img=114.5)), {}, b, ign)
    run(pad, out, 'dict_float_blue_only_float_image', rng, 13, 21, 'float32', dict(size_divisor=5, pad_val=dict(img=114.7)),
        {}, b, ign)
    run(pad, out, 'dict_tuple_rounding', rng, 13, 21, 'uint8', dict(size=[24, 14], pad_val=dict(img=[0.5, 1.5, 254.5])), {}, b,
        ign)
    run(pad, out, 'dict_tuple_saturate', rng, 13, 21, 'uint8', dict(size=[24, 14], pad_val=dict(img=[-3, 300, 7.6])), {}, b, ign)
    run(pad, out, 'float_image_int', rng, 13, 21, 'float32', dict(size_divisor=4, pad_val=114), {}, b, ign)
    run(pad, out, 'already_aligned', rng, 16, 24, 'uint8', dict(size_divisor=8, pad_val=114), {}, b, ign)


def filter_cases(out, rng):
    c = lambda wh=(1, 1), keep_empty=True: dict(min_gt_bbox_wh=list(wh), keep_empty=keep_empty, by_box=True, by_mask=False)
    # widths / heights exactly at the threshold are dropped (strictly greater); crowd boxes filtered in step
    b = [[0, 0, 1, 5], [1, 1, 3, 2], [2, 2, 3.0000002, 3.5], [4, 4, 9, 9], [0.5, 0.5, 2.5, 1.5], [3, 3, 3.5, 9]]
    run(filter_annotations, out, 'default_strict', rng, 10, 12, 'uint8', c(), {}, b, [0, 0, 1, 0, 1, 0])
    # 0.1 as float32 equals the float32 width 0.1: dropped (a float64 comparison would keep it)
    b = [[0, 1, 0.1, 3], [1, 1, 2.6, 1.3], [0, 0, 5, 5], [2, 2, 3.5000002, 2.25]]
    run(filter_annotations, out, 'float32_threshold', rng, 10, 12, 'uint8', c((0.1, 0.25)), {}, b, [0, 0, 0, 1])
    run(filter_annotations, out, 'float32_threshold_wide', rng, 10, 12, 'uint8', c((1.5, 0.1)), {}, b, [0, 1, 0, 0])
    small = [[0, 0, 1, 1], [2, 2, 2.5, 8]]
    run(filter_annotations, out, 'none_left_keep_empty_true', rng, 10, 12, 'uint8', c(), {}, small, [0, 1])
    run(filter_annotations, out, 'none_left_keep_empty_false', rng, 10, 12, 'uint8', c(keep_empty=False), {}, small, [0, 1])
    run(filter_annotations, out, 'no_boxes_untouched', rng, 10, 12, 'uint8', c(), {}, [], [])
    run(filter_annotations, out, 'only_crowd_kept', rng, 10, 12, 'uint8', c((2, 2)), {}, [[0, 0, 1, 9], [0, 0, 5, 5]], [0, 1])


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'test', 'resources', 'goldens')
    check_uniform()
    check_choice()
    rng = np.random.RandomState(20261128)
    mosaic_cases(os.path.join(root, 'cached_mosaic'), rng)
    mixup_cases(os.path.join(root, 'cached_mixup'), rng)
    flip_cases(os.path.join(root, 'random_flip'), rng)
    pad_cases(os.path.join(root, 'pad'), rng)
    filter_cases(os.path.join(root, 'filter_annotations'), rng)


if __name__ == '__main__':
    main()
