"""Writes src/test/resources/goldens/random_center_crop_pad/*.json: MMDetection 3.3's RandomCenterCropPad (CornerNet /
CenterNet), training and test mode, with its random draws RECORDED.

MMDetection is not installed here, so the class is transcribed method by method (__init__'s asserts, _get_border,
_filter_boxes, _crop_image_and_paste, _train_aug, _test_aug, transform) from mmdet/datasets/transforms/transforms.py,
stored copy at commit c944df925dd5a7ab92405c82115cae810e701a45 (a 3.1+ revision; RandomCenterCropPad is the same in 3.3.0),
with the box ops of mmdet/structures/bbox/horizontal_boxes.py (translate_, clip_, is_inside, centers: imported from
crop_expand_shift.py, float32 as torch's). Only `random` is replaced: the legacy NumPy RandomState calls the class makes
(random.choice(self.ratios), random.randint(low=..., high=...)) go through Draws, which takes them from a seeded
RandomState (or from values a case forces, each checked to lie in NumPy's [low, high)) and records them. The Java test
(RandomCenterCropPadGoldenTest) gives the engine the same values, round by round, and checks its ranges are NumPy's.

Image float32 (the transform asserts it); boxes float32, labels their index, ignore flags the engine's crowd boxes.
Needs numpy. Run: /usr/bin/python3 scripts/goldens/random_center_crop_pad.py [OUT_ROOT]
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crop_expand_shift import centers, clip_, image, is_inside, translate_  # noqa: E402

UPSTREAM = 'mmdet/datasets/transforms/transforms.py @ c944df925dd5a7ab92405c82115cae810e701a45'


class Draws:
    """numpy.random as RandomCenterCropPad calls it, recording each value by round of the ratio loop.

    ratio: the index random.choice(ratios) picks (legacy choice with uniform p is randint(0, len), checked in
    check_choice); centres[round] = [[center_x, center_y], ...]; ranges = the [low, high) of each randint.
    forced: {(round, trial): (cx, cy)} and {round: ratio index} values used instead of the RandomState's."""

    def __init__(self, seed, forced_centres=None, forced_ratios=None, max_rounds=None):
        self.rs = np.random.RandomState(seed)
        self.forced_centres = forced_centres or {}
        self.forced_ratios = forced_ratios or {}
        self.max_rounds = max_rounds
        self.ratio_idx, self.centres, self.ranges = [], [], []
        self.trial = 0

    def choice(self, ratios):
        k = len(self.ratio_idx)
        if self.max_rounds is not None and k >= self.max_rounds:
            raise StopIteration  # a case that shows the `while True` never ends
        i = self.forced_ratios.get(k, None)
        if i is None:
            i = self.rs.randint(0, len(ratios))
        assert 0 <= i < len(ratios)
        self.ratio_idx.append(int(i))
        self.centres.append([])
        self.trial = 0
        return np.array(ratios)[i]  # choice converts the tuple to a float64 array

    def randint(self, low, high):
        k = len(self.ratio_idx) - 1
        cur = self.centres[k]
        if not cur or len(cur[-1]) == 2:  # center_x of a new trial
            cur.append([])
        which = len(cur[-1])
        trial = len(cur) - 1
        forced = self.forced_centres.get((k, trial), None)
        v = forced[which] if forced is not None else self.rs.randint(low=low, high=high)
        assert int(low) <= v < int(high), (low, high, v)
        rng = [int(low), int(high)]
        if len(self.ranges) < 2:
            self.ranges.append(rng)
        assert self.ranges[which] == rng
        cur[-1].append(int(v))
        return int(v)

    def record(self):
        return dict(ratio=self.ratio_idx, centres=self.centres, ranges=self.ranges)


def check_choice():
    for seed in range(100):
        r = (0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3)
        assert np.random.RandomState(seed).choice(r) == r[np.random.RandomState(seed).randint(0, len(r))]
        # randint with float64 bounds (_get_border returns border // i, a float64) draws as with the ints
        assert np.random.RandomState(seed).randint(low=np.float64(16.0), high=np.float64(48.0)) == \
            np.random.RandomState(seed).randint(low=16, high=48)


class RandomCenterCropPad:
    """transforms.py RandomCenterCropPad, method by method; `random` is the Draws object."""

    def __init__(self, random, crop_size=None, ratios=(0.9, 1.0, 1.1), border=128, mean=None, std=None, to_rgb=None,
                 test_mode=False, test_pad_mode=('logical_or', 127), test_pad_add_pix=0, bbox_clip_border=True):
        self.random = random
        if test_mode:
            assert crop_size is None, 'crop_size must be None in test mode'
            assert ratios is None, 'ratios must be None in test mode'
            assert border is None, 'border must be None in test mode'
            assert isinstance(test_pad_mode, (list, tuple))
            assert test_pad_mode[0] in ['logical_or', 'size_divisor']
        else:
            assert isinstance(crop_size, (list, tuple))
            assert crop_size[0] > 0 and crop_size[1] > 0, (
                'crop_size must > 0 in train mode')
            assert isinstance(ratios, (list, tuple))
            assert test_pad_mode is None, (
                'test_pad_mode must be None in train mode')
        self.crop_size = crop_size
        self.ratios = ratios
        self.border = border
        assert mean is not None and std is not None and to_rgb is not None
        self.to_rgb = to_rgb
        self.input_mean = mean
        self.input_std = std
        if to_rgb:
            self.mean = mean[::-1]
            self.std = std[::-1]
        else:
            self.mean = mean
            self.std = std
        self.test_mode = test_mode
        self.test_pad_mode = test_pad_mode
        self.test_pad_add_pix = test_pad_add_pix
        self.bbox_clip_border = bbox_clip_border

    def _get_border(self, border, size):
        k = 2 * border / size
        i = pow(2, np.ceil(np.log2(np.ceil(k))) + (k == int(k)))
        return border // i

    def _filter_boxes(self, patch, boxes):
        center = centers(boxes)  # boxes.centers.numpy()
        mask = (center[:, 0] > patch[0]) * (center[:, 1] > patch[1]) * (
            center[:, 0] < patch[2]) * (
                center[:, 1] < patch[3])
        return mask

    def _crop_image_and_paste(self, image, center, size):
        center_y, center_x = center
        target_h, target_w = size
        img_h, img_w, img_c = image.shape

        x0 = max(0, center_x - target_w // 2)
        x1 = min(center_x + target_w // 2, img_w)
        y0 = max(0, center_y - target_h // 2)
        y1 = min(center_y + target_h // 2, img_h)
        patch = np.array((int(x0), int(y0), int(x1), int(y1)))

        left, right = center_x - x0, x1 - center_x
        top, bottom = center_y - y0, y1 - center_y

        cropped_center_y, cropped_center_x = target_h // 2, target_w // 2
        cropped_img = np.zeros((target_h, target_w, img_c), dtype=image.dtype)
        for i in range(img_c):
            cropped_img[:, :, i] += self.mean[i]
        y_slice = slice(cropped_center_y - top, cropped_center_y + bottom)
        x_slice = slice(cropped_center_x - left, cropped_center_x + right)
        cropped_img[y_slice, x_slice, :] = image[y0:y1, x0:x1, :]

        border = np.array([
            cropped_center_y - top, cropped_center_y + bottom,
            cropped_center_x - left, cropped_center_x + right
        ], dtype=np.float32)

        return cropped_img, border, patch

    def _train_aug(self, results):
        random = self.random
        img = results['img']
        h, w, c = img.shape
        gt_bboxes = results['gt_bboxes']
        while True:
            scale = random.choice(self.ratios)
            new_h = int(self.crop_size[1] * scale)
            new_w = int(self.crop_size[0] * scale)
            h_border = self._get_border(self.border, h)
            w_border = self._get_border(self.border, w)

            for i in range(50):
                center_x = random.randint(low=w_border, high=w - w_border)
                center_y = random.randint(low=h_border, high=h - h_border)

                cropped_img, border, patch = self._crop_image_and_paste(
                    img, [center_y, center_x], [new_h, new_w])

                if len(gt_bboxes) == 0:
                    results['img'] = cropped_img
                    results['img_shape'] = cropped_img.shape[:2]
                    return results

                # if image do not have valid bbox, any crop patch is valid.
                mask = self._filter_boxes(patch, gt_bboxes)
                if not mask.any():
                    continue

                results['img'] = cropped_img
                results['img_shape'] = cropped_img.shape[:2]

                x0, y0, x1, y1 = patch

                left_w, top_h = center_x - x0, center_y - y0
                cropped_center_x, cropped_center_y = new_w // 2, new_h // 2

                # crop bboxes accordingly and clip to the image boundary
                gt_bboxes = gt_bboxes[mask]
                gt_bboxes = translate_(gt_bboxes, [
                    cropped_center_x - left_w - x0,
                    cropped_center_y - top_h - y0
                ])
                if self.bbox_clip_border:
                    gt_bboxes = clip_(gt_bboxes, [new_h, new_w])
                keep = is_inside(gt_bboxes, [new_h, new_w])
                gt_bboxes = gt_bboxes[keep]

                results['gt_bboxes'] = gt_bboxes

                # ignore_flags
                if results.get('gt_ignore_flags', None) is not None:
                    gt_ignore_flags = results['gt_ignore_flags'][mask]
                    results['gt_ignore_flags'] = \
                        gt_ignore_flags[keep]

                # labels
                if results.get('gt_bboxes_labels', None) is not None:
                    gt_labels = results['gt_bboxes_labels'][mask]
                    results['gt_bboxes_labels'] = gt_labels[keep]

                return results

    def _test_aug(self, results):
        img = results['img']
        h, w, c = img.shape
        if self.test_pad_mode[0] in ['logical_or']:
            # self.test_pad_add_pix is only used for centernet
            target_h = (h | self.test_pad_mode[1]) + self.test_pad_add_pix
            target_w = (w | self.test_pad_mode[1]) + self.test_pad_add_pix
        elif self.test_pad_mode[0] in ['size_divisor']:
            divisor = self.test_pad_mode[1]
            target_h = int(np.ceil(h / divisor)) * divisor
            target_w = int(np.ceil(w / divisor)) * divisor
        else:
            raise NotImplementedError(
                'RandomCenterCropPad only support two testing pad mode:'
                'logical-or and size_divisor.')

        cropped_img, border, _ = self._crop_image_and_paste(
            img, [h // 2, w // 2], [target_h, target_w])
        results['img'] = cropped_img
        results['img_shape'] = cropped_img.shape[:2]
        results['border'] = border
        return results

    def transform(self, results):
        img = results['img']
        assert img.dtype == np.float32, (
            'RandomCenterCropPad needs the input image of dtype np.float32,'
            ' please set "to_float32=True" in "LoadImageFromFile" pipeline')
        h, w, c = img.shape
        assert c == len(self.mean)
        if self.test_mode:
            return self._test_aug(results)
        else:
            return self._train_aug(results)


# ---------------------------------------------------------------- cases

CORNERNET_MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]
CENTERNET_RATIOS = [0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3]


def train_cfg(crop_size, ratios=CENTERNET_RATIOS, border=128, mean=CORNERNET_MEAN, to_rgb=True, clip=True):
    return dict(crop_size=list(crop_size), ratios=list(ratios), border=border, mean=list(mean), std=STD, to_rgb=to_rgb,
                test_mode=False, test_pad_mode=None, test_pad_add_pix=0, bbox_clip_border=clip)


def test_cfg(pad_mode, add_pix=0, mean=CORNERNET_MEAN, to_rgb=True):
    return dict(crop_size=None, ratios=None, border=None, mean=list(mean), std=STD, to_rgb=to_rgb, test_mode=True,
                test_pad_mode=list(pad_mode), test_pad_add_pix=add_pix, bbox_clip_border=True)


def run(out, name, rng, h, w, cfg, draws, boxes, ignore):
    img = image(rng, h, w, 'float32')
    b = np.array(boxes, dtype=np.float32).reshape(-1, 4)
    r = dict(img=img.copy(), img_shape=img.shape[:2], gt_bboxes=b.copy(), gt_bboxes_labels=np.arange(len(b), dtype=np.int64),
             gt_ignore_flags=np.array(ignore, dtype=bool).reshape(-1))
    kwargs = dict(cfg)
    if not cfg['test_mode']:
        kwargs['crop_size'] = tuple(cfg['crop_size'])
        kwargs['ratios'] = tuple(cfg['ratios'])
    t = RandomCenterCropPad(draws, **kwargs)
    case = dict(name=name, h=h, w=w, dtype='float32', cfg=cfg, input=[float(v) for v in img.reshape(-1)],
                boxes=[float(v) for v in b.reshape(-1)], ignore=[bool(v) for v in np.array(ignore, dtype=bool)],
                numpy=np.__version__, mmdet=UPSTREAM)
    try:
        res = t.transform(r)
    except StopIteration:  # the `while True` of _train_aug: no (ratio, centre) ever keeps a box
        res = None
    case['draw'] = draws.record() if draws is not None else {}
    case['loops'] = res is None
    if res is not None:
        o = res['img']
        assert o.dtype == np.float32
        case.update(out_h=int(o.shape[0]), out_w=int(o.shape[1]), output=[float(v) for v in o.reshape(-1)],
                    out_boxes=[float(v) for v in res['gt_bboxes'].astype(np.float32).reshape(-1)],
                    out_labels=[int(v) for v in res['gt_bboxes_labels']],
                    out_ignore=[bool(v) for v in res['gt_ignore_flags']])
        if 'border' in res:
            case['border'] = [float(v) for v in res['border']]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, name + '.json'), 'w') as f:
        json.dump(case, f, separators=(',', ':'))
        f.write('\n')
    d = case['draw']
    print(name, 'loops' if res is None else (case['out_h'], case['out_w'], case.get('out_labels'), case.get('border'),
                                               'rounds', len(d.get('ratio', [])),
                                               'trials', len(d['centres'][-1]) if d.get('centres') else 0))


BOXES = [[3, 4, 15, 13], [20.5, 2.25, 33.75, 20.5], [40, 30, 47.5, 39], [1.1, 22.3, 9.7, 35.9], [28.6, 14.2, 46.5, 37.9],
         [0, 0, 6, 5]]
IGNORE = [0, 0, 1, 0, 0, 1]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'test', 'resources', 'goldens')
    out = os.path.join(root, 'random_center_crop_pad')
    check_choice()
    rng = np.random.RandomState(20261127)
    # CenterNet's ratios and border 128 on a 40 x 48 image (_get_border: 16 and 16 here), CornerNet's mean in RGB order
    run(out, 'centernet_ratios', rng, 40, 48, train_cfg((24, 24)), Draws(1), BOXES, IGNORE)
    run(out, 'centernet_ratios_seed2', rng, 40, 48, train_cfg((24, 24)), Draws(2), BOXES, IGNORE)
    # mean taken in the config's order (to_rgb False): channel 0 of the BGR image gets mean[0]
    run(out, 'mean_bgr_order', rng, 40, 48, train_cfg((20, 16), to_rgb=False), Draws(3), BOXES, IGNORE)
    # boxes on the image borders, partly outside the output: clipped to the output (not to the pasted image)
    # (border 4: the centre range is [4, w - 4), so the crop can reach the corner)
    near = [[0, 0, 8, 30], [0.5, 0.5, 25.5, 3.5], [30, 20, 36, 30], [8, 10, 20, 18.5], [2, 26, 12, 30]]
    run(out, 'boxes_near_borders', rng, 30, 36, train_cfg((20, 20), ratios=[1.0], border=4),
        Draws(4, forced_centres={(0, 0): (6, 6)}), near, [0, 0, 0, 1, 0])
    run(out, 'no_clip', rng, 30, 36, train_cfg((20, 20), ratios=[1.0], border=4, clip=False),
        Draws(4, forced_centres={(0, 0): (6, 6)}), near, [0, 0, 0, 1, 0])
    # no boxes at all: the first centre is taken
    run(out, 'no_boxes', rng, 26, 34, train_cfg((18, 14)), Draws(5), [], [])
    # only an ignored box: it counts as a box (MMDetection's gt_bboxes hold the ignored ones)
    run(out, 'only_ignored_box', rng, 26, 34, train_cfg((18, 14)), Draws(6), [[20, 15, 30, 24]], [1])
    # the first ratio's 50 centres miss the one box (forced to the far corner), then a new ratio draw
    far = {(0, i): (31, 23) for i in range(50)}
    run(out, 'ratio_exhausted_then_next', rng, 40, 48, train_cfg((16, 16), ratios=[0.5, 1.0]),
        Draws(7, forced_centres=far, forced_ratios={0: 0, 1: 1}), [[8, 8, 16, 14]], [0])
    # a box centre exactly on the patch edge is not inside (strict); the next trial keeps it
    run(out, 'centre_on_patch_edge', rng, 40, 48, train_cfg((16, 16), ratios=[1.0]),
        Draws(8, forced_centres={(0, 0): (20, 20), (0, 1): (19, 20)}), [[10, 18, 14, 22]], [0])
    # odd output sizes: target // 2 on both sides, so the last row / column is always the mean
    run(out, 'odd_output', rng, 40, 48, train_cfg((31, 25), ratios=[1.0, 0.9]), Draws(9), BOXES, IGNORE)
    # ratios > 1 on a small image: the output is larger than the image, padded all around
    run(out, 'ratios_above_one', rng, 14, 18, train_cfg((16, 12), ratios=[1.3, 1.7, 2.0]), Draws(10),
        [[2, 3, 9, 11], [10.5, 1.5, 17.5, 13.25]], [0, 0])
    # a tiny image: _get_border(128, 3) = 1, _get_border(128, 5) = 2
    run(out, 'tiny_image', rng, 5, 3, train_cfg((8, 6), ratios=[0.6, 1.0]), Draws(11), [[0, 0, 2, 3]], [0])
    # size exactly 2 * border: _get_border's (k == int(k)) doubles the divisor
    run(out, 'border_k_integer', rng, 32, 64, train_cfg((24, 24), border=16), Draws(12), BOXES[:3], IGNORE[:3])
    # a zero-width box on the left edge is the only box: no centre ever holds it, MMDetection's loop never ends
    run(out, 'no_centre_ever', rng, 20, 24, train_cfg((12, 12)), Draws(13, max_rounds=4), [[0, 5, 0, 9]], [0])
    # test mode: CenterNet's ('logical_or', 31) + 1 pixel, and ('logical_or', 15) (the default 127 makes large files)
    run(out, 'test_logical_or_centernet', rng, 17, 22, test_cfg(('logical_or', 31), add_pix=1, mean=[0, 0, 0]), None, BOXES, IGNORE)
    run(out, 'test_logical_or_15', rng, 21, 40, test_cfg(('logical_or', 15)), None, BOXES, IGNORE)
    run(out, 'test_size_divisor', rng, 17, 21, test_cfg(('size_divisor', 8)), None, BOXES, IGNORE)
    # an odd side already a multiple: the output has the image's size, but w // 2 + w // 2 = w - 1 columns are pasted
    run(out, 'test_size_divisor_odd_exact', rng, 15, 21, test_cfg(('size_divisor', 3), to_rgb=False), None, BOXES[:2], IGNORE[:2])


if __name__ == '__main__':
    main()
