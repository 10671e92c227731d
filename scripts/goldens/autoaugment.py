"""Writes src/test/resources/goldens/autoaugment/*.json: MMDetection 3.3's AutoAugment transforms at GIVEN levels.

MMDetection and MMCV are not installed here, so their functions are transcribed below, each naming its source:

  level_to_mag                  mmdet/datasets/transforms/augment_wrappers.py
  ShearX/ShearY/Rotate/
  TranslateX/TranslateY         mmdet/datasets/transforms/geometric.py (_get_mag, _get_homography_matrix, _transform_img,
                                _transform_bboxes -> bbox_project = HorizontalBoxes.project_ + clip_)
  imshear/imrotate/imtranslate  mmcv/image/geometric.py (2.x, with `interpolation`)
  Color ... Invert              mmdet/datasets/transforms/colorspace.py (_transform_img, `.astype(img.dtype)`)
  adjust_color ... iminvert     mmcv/image/photometric.py

The random part (prob, a drawn level, the reversal) is not here: each case gives the level and whether the magnitude is
reversed, and the Java test computes the magnitude from them with the engine's level_to_mag. HorizontalBoxes.project_
multiplies in torch float32; NumPy float32 products stand in for it (as in random_affine.py).
Needs numpy and cv2 (python3-opencv). Run: /usr/bin/python3 scripts/goldens/autoaugment.py [OUT_DIR]
"""
import json
import math
import os
import sys

import cv2
import numpy as np

_MAX_LEVEL = 10
CV2_INTERP = {'nearest': cv2.INTER_NEAREST, 'bilinear': cv2.INTER_LINEAR, 'bicubic': cv2.INTER_CUBIC,
              'area': cv2.INTER_AREA, 'lanczos': cv2.INTER_LANCZOS4}
# MMDetection's defaults: (min_mag, max_mag)
DEFAULTS = dict(ShearX=(0.0, 30.0), ShearY=(0.0, 30.0), Rotate=(0.0, 30.0), TranslateX=(0.0, 0.1), TranslateY=(0.0, 0.1),
                Color=(0.1, 1.9), Brightness=(0.1, 1.9), Contrast=(0.1, 1.9), Sharpness=(0.1, 1.9), Solarize=(0.0, 256.0),
                SolarizeAdd=(0.0, 110.0), Posterize=(0.0, 4.0), Equalize=(0.1, 1.9), AutoContrast=(0.1, 1.9),
                Invert=(0.1, 1.9))


def level_to_mag(level, min_mag, max_mag):
    return round(level / _MAX_LEVEL * (max_mag - min_mag) + min_mag, 1)


# ---------------------------------------------------------------- mmcv/image/geometric.py

def imshear(img, magnitude, direction, border_value, interpolation):
    height, width = img.shape[:2]
    if direction == 'horizontal':
        m = np.float32([[1, magnitude, 0], [0, 1, 0]])
    else:
        m = np.float32([[1, 0, 0], [magnitude, 1, 0]])
    return cv2.warpAffine(img, m, (width, height), borderValue=border_value[:3], flags=CV2_INTERP[interpolation])


def imtranslate(img, offset, direction, border_value, interpolation):
    height, width = img.shape[:2]
    if direction == 'horizontal':
        m = np.float32([[1, 0, offset], [0, 1, 0]])
    else:
        m = np.float32([[1, 0, 0], [0, 1, offset]])
    return cv2.warpAffine(img, m, (width, height), borderValue=border_value[:3], flags=CV2_INTERP[interpolation])


def imrotate(img, angle, border_value, interpolation):
    h, w = img.shape[:2]
    center = ((w - 1) * 0.5, (h - 1) * 0.5)
    matrix = cv2.getRotationMatrix2D(center, -angle, 1.0)
    return cv2.warpAffine(img, matrix, (w, h), flags=CV2_INTERP[interpolation], borderValue=border_value)


# ---------------------------------------------------------------- mmdet/datasets/transforms/geometric.py

def geometric(kind, img, boxes, mag, border_value, interpolation):
    """GeomTransform.transform after the draws: mag is the signed magnitude (_get_mag's result)."""
    h, w = img.shape[:2]
    if kind == 'ShearX':
        hm = np.array([[1, mag, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
        out = imshear(img, mag, 'horizontal', border_value, interpolation)
    elif kind == 'ShearY':
        hm = np.array([[1, 0, 0], [mag, 1, 0], [0, 0, 1]], dtype=np.float32)
        out = imshear(img, mag, 'vertical', border_value, interpolation)
    elif kind == 'Rotate':
        center = ((w - 1) * 0.5, (h - 1) * 0.5)
        hm = np.concatenate([cv2.getRotationMatrix2D(center, -mag, 1.0), np.array([0, 0, 1]).reshape((1, 3))],
                            dtype=np.float32)
        out = imrotate(img, mag, border_value, interpolation)
    elif kind == 'TranslateX':
        off = int(w * mag)
        hm = np.array([[1, 0, off], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
        out = imtranslate(img, off, 'horizontal', border_value, interpolation)
    else:
        off = int(h * mag)
        hm = np.array([[1, 0, 0], [0, 1, off], [0, 0, 1]], dtype=np.float32)
        out = imtranslate(img, off, 'vertical', border_value, interpolation)
    return out, bbox_project(boxes, hm, (h, w)), hm


def bbox_project(boxes, m, img_shape):
    """HorizontalBoxes.project_ then clip_: the box around the projected corners, clipped to the image."""
    x1, y1, x2, y2 = np.split(boxes, 4, axis=-1)
    corners = np.concatenate([x1, y1, x2, y1, x1, y2, x2, y2], axis=-1).reshape(-1, 4, 2)
    corners = np.concatenate([corners, np.ones((*corners.shape[:-1], 1), np.float32)], axis=-1)
    corners = np.matmul(m, corners.transpose(0, 2, 1)).transpose(0, 2, 1)
    corners = corners[..., :2] / corners[..., 2:3]
    out = np.concatenate([corners.min(axis=-2), corners.max(axis=-2)], axis=-1).astype(np.float32)
    out[:, 0::2] = out[:, 0::2].clip(0, img_shape[1])
    out[:, 1::2] = out[:, 1::2].clip(0, img_shape[0])
    return out


# ---------------------------------------------------------------- mmcv/image/photometric.py

def bgr2gray(img):
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


def gray2bgr(img):
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)


def adjust_color(img, alpha=1, beta=None, gamma=0):
    gray_img = bgr2gray(img)
    gray_img = np.tile(gray_img[..., None], [1, 1, 3])
    if beta is None:
        beta = 1 - alpha
    colored_img = cv2.addWeighted(img, alpha, gray_img, beta, gamma)
    if not colored_img.dtype == np.uint8:
        colored_img = np.clip(colored_img, 0, 255)
    return colored_img


def adjust_brightness(img, factor=1.):
    degenerated = np.zeros_like(img)
    brightened_img = cv2.addWeighted(img.astype(np.float32), factor, degenerated.astype(np.float32), 1 - factor, 0)
    brightened_img = np.clip(brightened_img, 0, 255)
    return brightened_img.astype(img.dtype)


def adjust_contrast(img, factor=1.):
    gray_img = bgr2gray(img)
    hist = np.histogram(gray_img, 256, (0, 255))[0]
    mean = round(np.sum(gray_img) / np.sum(hist))
    degenerated = (np.ones_like(img[..., 0]) * mean).astype(img.dtype)
    degenerated = gray2bgr(degenerated)
    contrasted_img = cv2.addWeighted(img.astype(np.float32), factor, degenerated.astype(np.float32), 1 - factor, 0)
    contrasted_img = np.clip(contrasted_img, 0, 255)
    return contrasted_img.astype(img.dtype)


def adjust_sharpness(img, factor=1., kernel=None):
    if kernel is None:
        kernel = np.array([[1., 1., 1.], [1., 5., 1.], [1., 1., 1.]]) / 13
    degenerated = cv2.filter2D(img, -1, kernel)
    sharpened_img = cv2.addWeighted(img.astype(np.float32), factor, degenerated.astype(np.float32), 1 - factor, 0)
    sharpened_img = np.clip(sharpened_img, 0, 255)
    return sharpened_img.astype(img.dtype)


def solarize(img, thr=128):
    return np.where(img < thr, img, 255 - img)


def posterize(img, bits):
    shift = 8 - bits
    return np.left_shift(np.right_shift(img, shift), shift)


def imequalize(img):
    def _scale_channel(im, c):
        im = im[:, :, c]
        histo = np.histogram(im, 256, (0, 255))[0]
        nonzero_histo = histo[histo > 0]
        step = (np.sum(nonzero_histo) - nonzero_histo[-1]) // 255
        if not step:
            lut = np.array(range(256))
        else:
            lut = (np.cumsum(histo) + (step // 2)) // step
            lut = np.concatenate([[0], lut[:-1]], 0)
            lut[lut > 255] = 255
        return np.where(np.equal(step, 0), im, lut[im])

    s1, s2, s3 = _scale_channel(img, 0), _scale_channel(img, 1), _scale_channel(img, 2)
    return np.stack([s1, s2, s3], axis=-1).astype(img.dtype)


def auto_contrast(img, cutoff=0):
    def _auto_contrast_channel(im, c, cutoff):
        im = im[:, :, c]
        histo = np.histogram(im, 256, (0, 255))[0]
        histo_sum = np.cumsum(histo)
        cut_low = histo_sum[-1] * cutoff[0] // 100
        cut_high = histo_sum[-1] - histo_sum[-1] * cutoff[1] // 100
        histo_sum = np.clip(histo_sum, cut_low, cut_high) - cut_low
        histo = np.concatenate([[histo_sum[0]], np.diff(histo_sum)], 0)
        low, high = np.nonzero(histo)[0][0], np.nonzero(histo)[0][-1]
        if low >= high:
            return im
        scale = 255.0 / (high - low)
        offset = -low * scale
        lut = np.array(range(256))
        lut = lut * scale + offset
        lut = np.clip(lut, 0, 255)
        return lut[im]

    cutoff = (cutoff, cutoff)
    s1, s2, s3 = (_auto_contrast_channel(img, c, cutoff) for c in range(3))
    return np.stack([s1, s2, s3], axis=-1).astype(img.dtype)


def iminvert(img):
    return np.full_like(img, 255) - img


# ---------------------------------------------------------------- mmdet/datasets/transforms/colorspace.py

def colour(kind, img, mag):
    """ColorTransform._transform_img of each transform, with its `.astype(img.dtype)`."""
    if kind == 'Color':
        return adjust_color(img, mag).astype(img.dtype)
    if kind == 'Brightness':
        return adjust_brightness(img, mag).astype(img.dtype)
    if kind == 'Contrast':
        return adjust_contrast(img, mag).astype(img.dtype)
    if kind == 'Sharpness':
        return adjust_sharpness(img, mag).astype(img.dtype)
    if kind == 'Solarize':
        return solarize(img, mag).astype(img.dtype)
    if kind == 'SolarizeAdd':
        return np.where(img < 128, np.minimum(img + mag, 255), img).astype(img.dtype)
    if kind == 'Posterize':
        return posterize(img, math.ceil(mag)).astype(img.dtype)
    if kind == 'Equalize':
        return imequalize(img).astype(img.dtype)
    if kind == 'AutoContrast':
        return auto_contrast(img).astype(img.dtype)
    return iminvert(img).astype(img.dtype)


# ---------------------------------------------------------------- cases

def values(a):
    """A flat list: integers for an 8-bit array (shorter files), the float32 values' exact doubles otherwise."""
    return [int(v) for v in a.reshape(-1)] if a.dtype == np.uint8 else [float(v) for v in a.reshape(-1)]


def image(rng, h, w, dtype, lo=0, hi=255):
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx * 255.0 / max(w - 1, 1), yy * 255.0 / max(h - 1, 1), (xx + yy) * 127.0 / (h + w)], axis=-1)
    noisy = lo + (base + rng.uniform(-40, 40, size=(h, w, 3))) * (hi - lo) / 255.0
    if dtype == 'uint8':
        return np.clip(noisy, 0, 255).astype(np.uint8)
    return (noisy * 1.3 - 30).astype(np.float32)  # a float image as PhotoMetricDistortion leaves it: beyond [0, 255]


def boxes_for(rng, h, w, n):
    x1, y1 = rng.uniform(-4, w - 2, n), rng.uniform(-4, h - 2, n)
    return np.stack([x1, y1, x1 + rng.uniform(0.5, w / 2, n), y1 + rng.uniform(0.5, h / 2, n)], axis=1).astype(np.float32)


GEOMETRIC = ('ShearX', 'ShearY', 'Rotate', 'TranslateX', 'TranslateY')
GREY = (128.0, 128.0, 128.0)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'test', 'resources', 'goldens', 'autoaugment')
    os.makedirs(out, exist_ok=True)
    rng = np.random.RandomState(20240611)
    cases = [
        # name, type, h, w, dtype, level, (min_mag, max_mag) or None, reversed, extra
        ('shear_x_level6', 'ShearX', 24, 32, 'uint8', 6, None, False, {}),
        ('shear_x_reversed_bicubic', 'ShearX', 20, 26, 'uint8', 9, None, True,
         dict(img_border_value=(10.0, 200.0, 30.0), interpolation='bicubic')),
        ('shear_y_level4', 'ShearY', 22, 30, 'uint8', 4, None, False, {}),
        ('shear_y_float_reversed', 'ShearY', 18, 22, 'float32', 7, None, True, {}),
        ('rotate_level8', 'Rotate', 24, 32, 'uint8', 8, None, False, {}),
        ('rotate_reversed_nearest', 'Rotate', 27, 19, 'uint8', 5, None, True, dict(interpolation='nearest')),
        ('rotate_float_custom_range', 'Rotate', 20, 24, 'float32', 3, (5.0, 45.0), False, dict(img_border_value=(0.0, 0.0, 0.0))),
        ('rotate_wide_rows_area', 'Rotate', 12, 70, 'uint8', 10, None, True, dict(interpolation='area')),
        ('translate_x_level9', 'TranslateX', 24, 40, 'uint8', 9, (0.0, 0.5), False, {}),
        ('translate_x_reversed', 'TranslateX', 24, 40, 'uint8', 10, (0.0, 0.3), True, dict(img_border_value=(1.0, 2.0, 3.0))),
        ('translate_y_level9', 'TranslateY', 30, 20, 'uint8', 9, (0.0, 0.5), False, dict(interpolation='lanczos')),
        ('translate_y_float_reversed', 'TranslateY', 30, 20, 'float32', 5, (0.0, 0.4), True, {}),
        ('translate_y_everything_out', 'TranslateY', 16, 16, 'uint8', 10, (0.0, 1.0), False, {}),
        ('color_level9', 'Color', 24, 32, 'uint8', 9, None, False, {}),
        ('color_level1', 'Color', 24, 32, 'uint8', 1, None, False, {}),
        ('color_float', 'Color', 18, 22, 'float32', 3, None, False, {}),
        ('brightness_level2', 'Brightness', 24, 32, 'uint8', 2, None, False, {}),
        ('brightness_level8', 'Brightness', 24, 32, 'uint8', 8, None, False, {}),
        ('brightness_float', 'Brightness', 18, 22, 'float32', 6, None, False, {}),
        ('contrast_level0', 'Contrast', 24, 32, 'uint8', 0, None, False, {}),
        ('contrast_level10', 'Contrast', 24, 32, 'uint8', 10, None, False, {}),
        ('contrast_float', 'Contrast', 18, 22, 'float32', 7, None, False, {}),
        ('sharpness_level7', 'Sharpness', 24, 32, 'uint8', 7, None, False, {}),
        ('sharpness_level0', 'Sharpness', 24, 32, 'uint8', 0, None, False, {}),
        ('sharpness_float', 'Sharpness', 18, 22, 'float32', 9, None, False, {}),
        ('solarize_level3', 'Solarize', 24, 32, 'uint8', 3, None, False, {}),
        ('solarize_level8', 'Solarize', 24, 32, 'uint8', 8, None, False, {}),
        ('solarize_float', 'Solarize', 18, 22, 'float32', 5, None, False, {}),
        ('solarize_add_level3', 'SolarizeAdd', 24, 32, 'uint8', 3, None, False, {}),
        ('solarize_add_level7', 'SolarizeAdd', 24, 32, 'uint8', 7, None, False, {}),
        ('solarize_add_float', 'SolarizeAdd', 18, 22, 'float32', 5, None, False, {}),
        ('posterize_level6', 'Posterize', 24, 32, 'uint8', 6, None, False, {}),
        ('posterize_level2', 'Posterize', 24, 32, 'uint8', 2, None, False, {}),
        ('posterize_level0_black', 'Posterize', 16, 16, 'uint8', 0, None, False, {}),
        ('posterize_level10', 'Posterize', 24, 32, 'uint8', 10, None, False, {}),
        ('equalize', 'Equalize', 24, 32, 'uint8', 5, None, False, {}),
        ('equalize_narrow', 'Equalize', 40, 36, 'uint8', 5, None, False, dict(lo=60, hi=140)),
        ('equalize_flat', 'Equalize', 8, 8, 'uint8', 5, None, False, dict(flat=77)),
        ('auto_contrast_narrow', 'AutoContrast', 24, 32, 'uint8', 5, None, False, dict(lo=50, hi=150)),
        ('auto_contrast_full', 'AutoContrast', 24, 32, 'uint8', 5, None, False, {}),
        ('auto_contrast_flat_channel', 'AutoContrast', 16, 20, 'uint8', 5, None, False, dict(lo=80, hi=120, flat_channel=1)),
        ('invert', 'Invert', 24, 32, 'uint8', 5, None, False, {}),
        ('invert_float', 'Invert', 18, 22, 'float32', 5, None, False, {}),
    ]
    for name, kind, h, w, dtype, level, mags, reversed_, extra in cases:
        img = image(rng, h, w, dtype, extra.get('lo', 0), extra.get('hi', 255))
        if 'flat' in extra:
            img[:] = extra['flat']
        if 'flat_channel' in extra:
            img[..., extra['flat_channel']] = 99
        boxes = boxes_for(rng, h, w, 6)
        min_mag, max_mag = mags if mags is not None else DEFAULTS[kind]
        mag = level_to_mag(level, min_mag, max_mag)
        case = dict(name=name, type=kind, h=h, w=w, dtype=dtype, level=level, min_mag=min_mag, max_mag=max_mag,
                    reversed=reversed_, level_mag=mag, input=values(img),
                    boxes=[float(v) for v in boxes.reshape(-1)], opencv=cv2.__version__, numpy=np.__version__)
        if kind in GEOMETRIC:
            if kind in ('ShearX', 'ShearY'):
                mag = np.tan(mag * np.pi / 180)  # ShearX._get_mag
            mag = -mag if reversed_ else mag
            border = extra.get('img_border_value', GREY)
            interpolation = extra.get('interpolation', 'bilinear')
            res, new_boxes, hm = geometric(kind, img, boxes.copy(), mag, border, interpolation)
            case.update(img_border_value=list(border), interpolation=interpolation,
                        homography=[float(v) for v in hm.reshape(-1)])
        else:
            res, new_boxes = colour(kind, img, mag), boxes
        assert res.dtype == img.dtype and res.shape == img.shape, name
        case.update(mag=float(mag), output=values(res),
                    out_boxes=[float(v) for v in new_boxes.reshape(-1)])
        with open(os.path.join(out, name + '.json'), 'w') as f:
            json.dump(case, f)
            f.write('\n')
        print(name, kind, dtype, 'mag', case['mag'], 'changed', int((res != img).sum()), 'of', res.size)


if __name__ == '__main__':
    main()
