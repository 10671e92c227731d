"""Writes src/test/resources/goldens/photometric_distortion/*.json: MMDetection's PhotoMetricDistortion applied to
small uint8 BGR images with given draws, computed with NumPy float32 arithmetic and OpenCV's float BGR <-> HSV
conversions, operation for operation as mmdet/datasets/transforms/transforms.py (3.3.0) does after _random_flags():

    img = img.astype(np.float32)
    brightness: img += delta            contrast first (mode 1): img *= alpha
    img = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)          (mmcv.bgr2hsv)
    saturation: img[..., 1] *= s        hue: img[..., 0] += h, then -360 where > 360, +360 where < 0
    img = cv2.cvtColor(img, cv2.COLOR_HSV2BGR)          (mmcv.hsv2bgr)
    contrast last (mode 0): img *= alpha               swap: img = img[..., perm]

The draws are Python floats, as numpy.random.uniform returns them, so NumPy rounds them to float32 before each
operation. Each case stores its input, its draws and the float32 output. Needs numpy and cv2 (Debian: python3-opencv).
Run: python3 scripts/goldens/photometric_distortion.py [OUT_DIR]
"""
import json
import os
import sys

import cv2
import numpy as np


def distort(img, d):
    img = img.astype(np.float32)
    if d['brightness']:
        img += d['delta']
    if d['mode'] == 1 and d['contrast']:
        img *= d['alpha']
    img = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    if d['saturation']:
        img[..., 1] *= d['saturation_value']
        if d['saturation_value'] > 1:  # mmdet 3.x clips a float image's saturation to its valid range
            img[..., 1] = img[..., 1].clip(0, 1)
    if d['hue']:
        img[..., 0] += d['hue_value']
        img[..., 0][img[..., 0] > 360] -= 360
        img[..., 0][img[..., 0] < 0] += 360
    img = cv2.cvtColor(img, cv2.COLOR_HSV2BGR)
    if d['mode'] == 0 and d['contrast']:
        img *= d['alpha']
    if d['swap']:
        img = img[..., d['permutation']]
    return np.ascontiguousarray(img, dtype=np.float32)


def draws(rng, **fixed):
    """MMDetection's default ranges: delta in [-32, 32), alpha and saturation in [0.5, 1.5), hue in [-18, 18)."""
    d = dict(mode=int(rng.randint(2)), brightness=True, contrast=True, saturation=True, hue=True, swap=True,
             delta=float(rng.uniform(-32, 32)), alpha=float(rng.uniform(0.5, 1.5)),
             saturation_value=float(rng.uniform(0.5, 1.5)), hue_value=float(rng.uniform(-18, 18)),
             permutation=[int(x) for x in rng.permutation(3)])
    d.update(fixed)
    return d


def image(rng, h, w):
    img = rng.randint(0, 256, size=(h, w, 3)).astype(np.uint8)
    flat = img.reshape(-1, 3)
    # pixels that take every branch of the conversions: grey (S = 0), black, white, each channel the maximum,
    # ties between two channels, extremes
    special = [(0, 0, 0), (255, 255, 255), (128, 128, 128), (255, 0, 0), (0, 255, 0), (0, 0, 255), (10, 200, 200),
               (200, 10, 200), (200, 200, 10), (1, 2, 3), (254, 255, 253), (5, 5, 250)]
    for i, p in enumerate(special[:len(flat)]):
        flat[i * 7 % len(flat)] = p
    return img


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'test', 'resources', 'goldens', 'photometric_distortion')
    os.makedirs(out, exist_ok=True)
    rng = np.random.RandomState(20240105)
    cases = [
        ('all_contrast_first', 7, 9, dict(mode=1)),
        ('all_contrast_last', 16, 33, dict(mode=0)),  # rows longer than a SIMD block: vector loop and scalar tail
        ('hue_wraps_above_360', 5, 11, dict(mode=0, brightness=False, contrast=False, saturation=False, swap=False,
                                            hue_value=17.75)),
        ('hue_wraps_below_0', 5, 11, dict(mode=0, brightness=False, contrast=False, saturation=False, swap=False,
                                          hue_value=-17.9)),
        ('round_trip_only', 9, 17, dict(brightness=False, contrast=False, saturation=False, hue=False, swap=False)),
        ('negative_and_large_values', 6, 19, dict(mode=1, delta=-31.9, alpha=1.49, saturation_value=1.45)),
        ('brightness_up_contrast_last', 8, 8, dict(mode=0, delta=31.7, alpha=1.45, saturation=False, hue=False)),
        ('swap_only', 4, 5, dict(brightness=False, contrast=False, saturation=False, hue=False, permutation=[2, 0, 1])),
        ('random_draws_1', 12, 21, {}),
        ('random_draws_2', 3, 40, {}),
    ]
    for name, h, w, fixed in cases:
        img = image(rng, h, w)
        d = draws(rng, **fixed)
        res = distort(img, d)
        case = dict(name=name, h=h, w=w, input=[int(v) for v in img.reshape(-1)], draw=d,
                    output=[float(v) for v in res.reshape(-1)], opencv=cv2.__version__, numpy=np.__version__)
        with open(os.path.join(out, name + '.json'), 'w') as f:
            json.dump(case, f)
            f.write('\n')
        print(name, h, w, 'range', float(res.min()), float(res.max()))


if __name__ == '__main__':
    main()
