"""Writes src/test/resources/goldens/resize_modes/*.json: MMDetection 3.3's Resize (keep_ratio False and True) and
FixShapeResize (keep_ratio False and True) on small random uint8 images with boxes, for ResizeModesGoldenTest.

MMCV / MMDetection are not installed here, so their code is transcribed (numpy + cv2 only):

  mmcv/image/geometric.py (MMCV 2.x):  _scale_size, rescale_size, imresize (cv2 backend, 'bilinear' = INTER_LINEAR),
                                       imrescale, impad (shape=, padding_mode='constant')
  mmcv/transforms/processing.py:       Resize.__init__ (int scale -> (s, s); float scale_factor -> (f, f)),
                                       Resize.transform (scale, else _scale_size(img_shape[::-1], scale_factor)),
                                       Resize._resize_img; Pad.__init__ (int pad_val -> dict(img=v, seg=255)),
                                       Pad._pad_img (fixed size: size[::-1]; int pad_val on a 3-channel image -> tuple)
  mmdet/datasets/transforms/transforms.py (3.x, stored copy at commit 00e07a9c):
                                       Resize._resize_bboxes (HorizontalBoxes.rescale_ then clip_ when
                                       clip_object_border), FixShapeResize.__init__ / FixShapeResize.transform
  mmdet/structures/bbox/horizontal_boxes.py: rescale_ (boxes * tensor(scale_factor).repeat(2), float32),
                                       clip_ (x clamped to [0, img_shape[1]], y to [0, img_shape[0]])

Needs numpy and cv2. Run: /usr/bin/python3 scripts/goldens/resize_modes.py [OUT_DIR]
"""
import json
import numbers
import os
import sys

import cv2
import numpy as np


# ---------------------------------------------------------------- mmcv/image/geometric.py
def _scale_size(size, scale):
    if isinstance(scale, (float, int)):
        scale = (scale, scale)
    w, h = size
    return int(w * float(scale[0]) + 0.5), int(h * float(scale[1]) + 0.5)


def rescale_size(old_size, scale, return_scale=False):
    w, h = old_size
    if isinstance(scale, (float, int)):
        if scale <= 0:
            raise ValueError(f'Invalid scale {scale}, must be positive.')
        scale_factor = scale
    elif isinstance(scale, tuple):
        max_long_edge = max(scale)
        max_short_edge = min(scale)
        scale_factor = min(max_long_edge / max(h, w), max_short_edge / min(h, w))
    else:
        raise TypeError(f'Scale must be a number or tuple of int, but got {type(scale)}')
    new_size = _scale_size((w, h), scale_factor)
    if return_scale:
        return new_size, scale_factor
    return new_size


def imresize(img, size, return_scale=False):
    h, w = img.shape[:2]
    resized_img = cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)
    if not return_scale:
        return resized_img
    w_scale = size[0] / w
    h_scale = size[1] / h
    return resized_img, w_scale, h_scale


def imrescale(img, scale, return_scale=False):
    h, w = img.shape[:2]
    new_size, scale_factor = rescale_size((w, h), scale, return_scale=True)
    rescaled_img = imresize(img, new_size)
    if return_scale:
        return rescaled_img, scale_factor
    return rescaled_img


def impad(img, shape, pad_val=0):
    padding = (0, 0, shape[1] - img.shape[1], shape[0] - img.shape[0])
    if isinstance(pad_val, tuple):
        assert len(pad_val) == img.shape[-1]
    elif not isinstance(pad_val, numbers.Number):
        raise TypeError('pad_val must be a int or a tuple.')
    return cv2.copyMakeBorder(img, padding[1], padding[3], padding[0], padding[2], cv2.BORDER_CONSTANT, value=pad_val)


# ---------------------------------------------------------------- mmdet HorizontalBoxes
def rescale_(boxes, scale_factor):
    return boxes * np.tile(np.array(scale_factor, dtype=np.float32), 2)  # float32 tensor * float32 tensor


def clip_(boxes, img_shape):
    boxes = boxes.copy()
    boxes[:, 0::2] = np.clip(boxes[:, 0::2], np.float32(0), np.float32(img_shape[1]))
    boxes[:, 1::2] = np.clip(boxes[:, 1::2], np.float32(0), np.float32(img_shape[0]))
    return boxes


# ---------------------------------------------------------------- mmcv Resize + mmdet Resize
class Resize:
    def __init__(self, scale=None, scale_factor=None, keep_ratio=False, clip_object_border=True):
        assert scale is not None or scale_factor is not None
        if scale is None:
            self.scale = None
        else:
            self.scale = (scale, scale) if isinstance(scale, int) else scale
        self.keep_ratio = keep_ratio
        self.clip_object_border = clip_object_border
        if scale_factor is None:
            self.scale_factor = None
        elif isinstance(scale_factor, float):
            self.scale_factor = (scale_factor, scale_factor)
        elif isinstance(scale_factor, tuple):
            assert len(scale_factor) == 2
            self.scale_factor = scale_factor
        else:
            raise TypeError(f'expect scale_factor is float or Tuple(float), but get {type(scale_factor)}')

    def _resize_img(self, results):
        if self.keep_ratio:
            img, scale_factor = imrescale(results['img'], results['scale'], return_scale=True)
            new_h, new_w = img.shape[:2]
            h, w = results['img'].shape[:2]
            w_scale = new_w / w
            h_scale = new_h / h
        else:
            img, w_scale, h_scale = imresize(results['img'], results['scale'], return_scale=True)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['scale_factor'] = (w_scale, h_scale)
        results['keep_ratio'] = self.keep_ratio

    def _resize_bboxes(self, results):
        results['gt_bboxes'] = rescale_(results['gt_bboxes'], results['scale_factor'])
        if self.clip_object_border:
            results['gt_bboxes'] = clip_(results['gt_bboxes'], results['img_shape'])

    def transform(self, results):
        if self.scale:
            results['scale'] = self.scale
        else:
            img_shape = results['img'].shape[:2]
            results['scale'] = _scale_size(img_shape[::-1], self.scale_factor)
        self._resize_img(results)
        self._resize_bboxes(results)
        return results


class Pad:  # mmcv Pad with a fixed size (what FixShapeResize builds)
    def __init__(self, size, pad_val=dict(img=0, seg=255)):
        self.size = size
        if isinstance(pad_val, int):
            pad_val = dict(img=pad_val, seg=255)
        assert isinstance(pad_val, dict)
        self.pad_val = pad_val

    def __call__(self, results):
        pad_val = self.pad_val.get('img', 0)
        size = self.size[::-1]
        if isinstance(pad_val, int) and results['img'].ndim == 3:
            pad_val = tuple(pad_val for _ in range(results['img'].shape[2]))
        padded_img = impad(results['img'], shape=size, pad_val=pad_val)
        results['img'] = padded_img
        results['pad_shape'] = padded_img.shape
        results['img_shape'] = padded_img.shape[:2]
        return results


class FixShapeResize(Resize):
    def __init__(self, width, height, pad_val=dict(img=0, seg=255), keep_ratio=False, clip_object_border=True):
        self.width = width
        self.height = height
        self.scale = (width, height)
        self.keep_ratio = keep_ratio
        self.clip_object_border = clip_object_border
        if keep_ratio is True:
            self.pad_transform = Pad(size=self.scale, pad_val=pad_val)

    def transform(self, results):
        img = results['img']
        h, w = img.shape[:2]
        if self.keep_ratio:
            scale_factor = min(self.width / w, self.height / h)
            results['scale_factor'] = (scale_factor, scale_factor)
            real_w, real_h = int(w * float(scale_factor) + 0.5), int(h * float(scale_factor) + 0.5)
            img, scale_factor = imrescale(results['img'], (real_w, real_h), return_scale=True)
            results['img'] = img
            results['img_shape'] = img.shape[:2]
            results['keep_ratio'] = self.keep_ratio
            results['scale'] = (real_w, real_h)
        else:
            results['scale'] = (self.width, self.height)
            results['scale_factor'] = (self.width / w, self.height / h)
            super()._resize_img(results)
        self._resize_bboxes(results)
        if self.keep_ratio:
            self.pad_transform(results)
        return results


def fix_shape_rounding_case():
    """A FixShapeResize(keep_ratio=True) where imrescale's own rounding gives another size than (real_w, real_h)."""
    for h in range(5, 60):
        for w in range(5, 60):
            for width, height in ((32, 24), (24, 32), (40, 40), (33, 17)):
                sf = min(width / w, height / h)
                real = (int(w * sf + 0.5), int(h * sf + 0.5))
                new = rescale_size((w, h), real)
                if new != real and new[0] <= width and new[1] <= height:
                    return h, w, width, height
    raise AssertionError('no rounding case found')


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'test', 'resources', 'goldens', 'resize_modes')
    os.makedirs(out, exist_ok=True)
    rng = np.random.RandomState(20261127)
    rh, rw, rwidth, rheight = fix_shape_rounding_case()
    boxes_a = [[0, 0, 10, 10], [2.5, 3.25, 17.75, 12.5], [-2, 3, 31.5, 18.25], [20.1, 1.7, 28.9, 16.3], [5, 5, 5, 9]]
    cases = [
        # name, h, w, step (type, args), boxes
        ('resize_stretch_up', 17, 29, ('Resize', dict(scale=(40, 23), keep_ratio=False)), boxes_a),
        ('resize_stretch_order_matters', 20, 30, ('Resize', dict(scale=(12, 35), keep_ratio=False)), boxes_a),
        ('resize_stretch_down_no_clip', 21, 33, ('Resize', dict(scale=(13, 9), keep_ratio=False, clip_object_border=False)),
         boxes_a),
        ('resize_stretch_int_scale', 15, 26, ('Resize', dict(scale=19, keep_ratio=False)), boxes_a),
        ('resize_stretch_identity', 16, 24, ('Resize', dict(scale=(24, 16), keep_ratio=False)), boxes_a),
        ('resize_keep_ratio', 17, 29, ('Resize', dict(scale=(40, 23), keep_ratio=True)), boxes_a),
        ('resize_keep_ratio_order_free', 17, 29, ('Resize', dict(scale=(23, 40), keep_ratio=True)), boxes_a),
        ('fixshape_stretch', 17, 29, ('FixShapeResize', dict(width=24, height=24)), boxes_a),
        ('fixshape_keep_ratio_pad', 17, 29, ('FixShapeResize', dict(width=32, height=24, keep_ratio=True, pad_val=114)),
         boxes_a),
        ('fixshape_keep_ratio_portrait_tuple_pad', 31, 13,
         ('FixShapeResize', dict(width=20, height=20, keep_ratio=True, pad_val=dict(img=(10, 20, 30)))),
         [[0, 0, 13, 31], [1.5, 2.5, 7.25, 30.5], [-3, -3, 20, 40]]),
        ('fixshape_keep_ratio_no_clip', 17, 29,
         ('FixShapeResize', dict(width=32, height=24, keep_ratio=True, clip_object_border=False)), boxes_a),
        ('fixshape_keep_ratio_rounding', rh, rw, ('FixShapeResize', dict(width=rwidth, height=rheight, keep_ratio=True)),
         [[0, 0, rw, rh], [1.5, 1.5, rw - 1.25, rh - 2.5]]),
        ('no_boxes', 9, 14, ('Resize', dict(scale=(7, 20), keep_ratio=False)), []),
        ('scale_factor_stretch', 17, 29, ('Resize', dict(scale_factor=(1.5, 0.62), keep_ratio=False)), boxes_a),
        ('scale_factor_keep_ratio', 17, 29, ('Resize', dict(scale_factor=(1.5, 0.62), keep_ratio=True)), boxes_a),
        ('scale_factor_float', 21, 33, ('Resize', dict(scale_factor=0.37, keep_ratio=True)), boxes_a),
        ('scale_factor_float_stretch_rounding', 19, 27, ('Resize', dict(scale_factor=1.5, keep_ratio=False)), boxes_a),
        ('scale_wins_over_scale_factor', 17, 29, ('Resize', dict(scale=(30, 12), scale_factor=2.0, keep_ratio=False)), boxes_a),
    ]
    for name, h, w, (kind, args), boxes in cases:
        img = rng.randint(0, 256, size=(h, w, 3)).astype(np.uint8)
        b = np.array(boxes, dtype=np.float32).reshape(-1, 4)
        step = Resize(**args) if kind == 'Resize' else FixShapeResize(**args)
        r = step.transform(dict(img=img.copy(), gt_bboxes=b.copy()))
        pad_val = args.get('pad_val', 0)
        if isinstance(pad_val, dict):
            pad_val = pad_val.get('img', 0)
        if isinstance(pad_val, int):
            pad_val = (pad_val,) * 3
        scale = args.get('scale', (0, 0)) if kind == 'Resize' else (args['width'], args['height'])
        if isinstance(scale, int):
            scale = (scale, scale)
        factor = None
        if kind == 'Resize' and 'scale' not in args:
            factor = list(step.scale_factor)
        case = dict(name=name, h=h, w=w, dtype='uint8', input=[int(v) for v in img.reshape(-1)],
                    type=kind, scale=list(scale), scale_factor_arg=factor,
                    keep_ratio=args.get('keep_ratio', False), clip_object_border=args.get('clip_object_border', True),
                    pad_val=[float(v) for v in pad_val],
                    boxes=[float(v) for v in b.reshape(-1)],
                    img_shape=list(r['img_shape']), scale_factor=list(r['scale_factor']),
                    output=[int(v) for v in r['img'].reshape(-1)],
                    out_boxes=[float(v) for v in r['gt_bboxes'].reshape(-1)],
                    numpy=np.__version__, cv2=cv2.__version__)
        with open(os.path.join(out, name + '.json'), 'w') as f:
            json.dump(case, f)
            f.write('\n')
        print(name, (h, w), '->', r['img_shape'], 'scale_factor', r['scale_factor'])


if __name__ == '__main__':
    main()
