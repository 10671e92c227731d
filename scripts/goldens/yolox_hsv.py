"""Writes src/test/resources/goldens/yolox_hsv/*.json: MMDetection's YOLOXHSVRandomAug on small images with GIVEN draws.

MMDetection itself is not installed here, so its formulas are transcribed from mmdet/datasets/transforms/transforms.py
(3.x, YOLOXHSVRandomAug):

    gains = uniform(-1, 1, 3) * [hue_delta, saturation_delta, value_delta]; gains *= flags (randint(0, 2, 3));
    gains = gains.astype(np.int16)
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV).astype(np.int16)
    hsv[..., 0] = (hsv[..., 0] + gains[0]) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] + gains[1], 0, 255);  hsv[..., 2] = np.clip(hsv[..., 2] + gains[2], 0, 255)
    img = cv2.cvtColor(hsv.astype(img.dtype), cv2.COLOR_HSV2BGR)

The uniforms and flags are given (stored in each case) instead of drawn by NumPy. Cases of dtype float32 run the same
lines on a float image (as PhotoMetricDistortion leaves it). Needs numpy and cv2 (Debian: python3-opencv).
Run: python3 scripts/goldens/yolox_hsv.py [OUT_DIR]
"""
import json
import os
import sys

import cv2
import numpy as np


def gains(d):
    g = np.array(d['uniforms']) * [d['hue_delta'], d['saturation_delta'], d['value_delta']]
    g *= np.array(d['flags'])
    return g.astype(np.int16)


def hsv_aug(img, g):
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV).astype(np.int16)
    hsv[..., 0] = (hsv[..., 0] + g[0]) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] + g[1], 0, 255)
    hsv[..., 2] = np.clip(hsv[..., 2] + g[2], 0, 255)
    out = img.copy()
    cv2.cvtColor(hsv.astype(img.dtype), cv2.COLOR_HSV2BGR, dst=out)
    return out


def image(rng, h, w, dtype):
    img = rng.randint(0, 256, size=(h, w, 3)).astype(np.uint8)
    flat = img.reshape(-1, 3)
    # grey (S = 0), black, white, each channel the maximum, two channels tied, extremes
    special = [(0, 0, 0), (255, 255, 255), (128, 128, 128), (255, 0, 0), (0, 255, 0), (0, 0, 255), (10, 200, 200),
               (200, 10, 200), (200, 200, 10), (1, 2, 3), (254, 255, 253), (5, 5, 250)]
    for i, p in enumerate(special[:len(flat)]):
        flat[i * 7 % len(flat)] = p
    if dtype == 'float32':
        return (img.astype(np.float32) * 1.37 - 41.5)  # beyond [0, 255], as after PhotoMetricDistortion
    return img


def draws(rng, **fixed):
    d = dict(hue_delta=5, saturation_delta=30, value_delta=30, uniforms=[float(u) for u in rng.uniform(-1, 1, 3)],
             flags=[1, 1, 1])
    d.update(fixed)
    return d


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'test', 'resources', 'goldens', 'yolox_hsv')
    os.makedirs(out, exist_ok=True)
    rng = np.random.RandomState(20240608)
    cases = [
        ('all_gains_1', 7, 9, 'uint8', {}),
        ('all_gains_2', 16, 33, 'uint8', {}),  # rows longer than a SIMD block: vector loop and scalar tail
        ('hue_wraps_below_0', 5, 11, 'uint8', dict(uniforms=[-0.99, 0.0, 0.0], hue_delta=60)),
        ('hue_wraps_above_179', 5, 11, 'uint8', dict(uniforms=[0.99, 0.0, 0.0], hue_delta=60)),
        ('saturation_value_clip', 6, 10, 'uint8', dict(uniforms=[0.2, 0.95, -0.97], saturation_delta=200, value_delta=200)),
        ('flags_off', 4, 6, 'uint8', dict(flags=[0, 1, 0])),
        ('zero_gains_round_trip', 9, 17, 'uint8', dict(flags=[0, 0, 0])),
        ('truncation_toward_zero', 5, 7, 'uint8', dict(uniforms=[-0.19, 0.033, -0.999], hue_delta=5)),
        ('float_image', 8, 12, 'float32', {}),
        ('float_zero_gains', 6, 9, 'float32', dict(flags=[0, 0, 0])),
    ]
    for name, h, w, dtype, fixed in cases:
        img = image(rng, h, w, dtype)
        d = draws(rng, **fixed)
        g = gains(d)
        res = hsv_aug(img, g)
        case = dict(name=name, h=h, w=w, dtype=dtype, input=[float(v) for v in img.reshape(-1)], draw=d,
                    gains=[int(v) for v in g], output=[float(v) for v in res.reshape(-1)], opencv=cv2.__version__,
                    numpy=np.__version__)
        with open(os.path.join(out, name + '.json'), 'w') as f:
            json.dump(case, f)
            f.write('\n')
        print(name, h, w, dtype, 'gains', [int(v) for v in g])


if __name__ == '__main__':
    main()
