"""Golden cases for Mosaic and MixUp (autoassign.data.Mosaic / MixUp, MosaicMixUpGoldenTest).

MMDetection itself is not installed here: this script transcribes the image and box arithmetic of MMDetection 3.3's
``Mosaic.transform`` / ``_mosaic_combine`` and ``MixUp.transform`` (mmdet/datasets/transforms/transforms.py) with NumPy
and OpenCV (mmcv.imresize = cv2.resize, INTER_LINEAR), taking the random draws as given: the mosaic centre, the MixUp
jitter factor, flip and crop offsets. Boxes follow HorizontalBoxes in float32 (rescale_ with a float32 factor,
translate_, clip_, flip_, is_inside).

``img_scale`` is (w, h), as MMDetection 3.x reads it: Mosaic's canvas is ``np.full((int(img_scale[1] * 2),
int(img_scale[0] * 2), 3), pad_val)``, its centre ``int(uniform(*center_ratio_range) * img_scale[0])`` (x) and
``* img_scale[1]`` (y), each image's factor ``min(img_scale[1] / h_i, img_scale[0] / w_i)``; MixUp's canvas is
``np.ones((img_scale[1], img_scale[0], 3)) * pad_val`` with ``min(img_scale[1] / h, img_scale[0] / w)``
(2.x read img_scale as (h, w)); the canvas the jittered image is cropped from is
``(np.ones((max(oh, th), max(ow, tw), 3)) * pad_val).astype(np.uint8)`` (3.x, PR #9259; 2.x used zeros). The cases store it as (w, h).

Run: python3 scripts/goldens/mosaic_mixup.py src/test/resources/goldens/mosaic_mixup
"""
import json
import os
import sys

import cv2
import numpy as np


def rand_image(rng, h, w):
    # smooth content so bilinear resizes produce non-trivial values
    base = rng.integers(0, 256, size=(max(2, h // 4), max(2, w // 4), 3), dtype=np.uint8)
    img = cv2.resize(base, (w, h), interpolation=cv2.INTER_CUBIC)
    noise = rng.integers(0, 40, size=(h, w, 3), dtype=np.uint8)
    return (img // 2 + noise).astype(np.uint8)


def rand_boxes(rng, h, w, n):
    x1 = rng.uniform(-0.2 * w, 0.9 * w, n)
    y1 = rng.uniform(-0.2 * h, 0.9 * h, n)
    bw = rng.uniform(1, 0.6 * w, n)
    bh = rng.uniform(1, 0.6 * h, n)
    return np.stack([x1, y1, x1 + bw, y1 + bh], 1).astype(np.float32)


def clip(b, h, w):
    b = b.copy()
    b[:, 0::2] = np.clip(b[:, 0::2], 0, w)
    b[:, 1::2] = np.clip(b[:, 1::2], 0, h)
    return b


def inside(b, h, w):
    return (b[:, 0] < w) & (b[:, 1] < h) & (b[:, 2] > 0) & (b[:, 3] > 0)


def combine(loc, cx, cy, w, h, sh, sw):
    if loc == 0:
        x1, y1, x2, y2 = max(cx - w, 0), max(cy - h, 0), cx, cy
        crop = w - (x2 - x1), h - (y2 - y1), w, h
    elif loc == 1:
        x1, y1, x2, y2 = cx, max(cy - h, 0), min(cx + w, sw * 2), cy
        crop = 0, h - (y2 - y1), min(w, x2 - x1), h
    elif loc == 2:
        x1, y1, x2, y2 = max(cx - w, 0), cy, cx, min(sh * 2, cy + h)
        crop = w - (x2 - x1), 0, w, min(y2 - y1, h)
    else:
        x1, y1, x2, y2 = cx, cy, min(cx + w, sw * 2), min(sh * 2, cy + h)
        crop = 0, 0, min(w, x2 - x1), min(y2 - y1, h)
    return (x1, y1, x2, y2), crop


def mosaic(images, boxes, labels, img_scale, cx, cy, pad_val, clip_border):
    sw, sh = img_scale  # mmdet 3.x: (w, h)
    canvas = np.full((int(sh * 2), int(sw * 2), 3), pad_val, dtype=images[0].dtype)
    out_b, out_l = [], []
    for i in range(4):
        img = images[i]
        h, w = img.shape[:2]
        r = min(sh / h, sw / w)
        img = cv2.resize(img, (int(w * r), int(h * r)), interpolation=cv2.INTER_LINEAR)
        (x1p, y1p, x2p, y2p), (x1c, y1c, x2c, y2c) = combine(i, cx, cy, img.shape[1], img.shape[0], sh, sw)
        canvas[y1p:y2p, x1p:x2p] = img[y1c:y2c, x1c:x2c]
        b = boxes[i] * np.float32(r)
        b = b + np.array([x1p - x1c, y1p - y1c] * 2, dtype=np.float32)
        out_b.append(b.astype(np.float32))
        out_l.append(labels[i])
    b = np.concatenate(out_b, 0)
    l = np.concatenate(out_l, 0)
    if clip_border:
        b = clip(b, 2 * sh, 2 * sw)
    keep = inside(b, 2 * sh, 2 * sw)
    return canvas, b[keep], l[keep], keep


def mixup(ori, ori_b, ori_l, ret, ret_b, ret_l, img_scale, jit, flip, yoff, xoff, pad_val, clip_border):
    sw, sh = img_scale  # mmdet 3.x: (w, h)
    out = np.ones((sh, sw, 3), dtype=ret.dtype) * pad_val
    r = min(sh / ret.shape[0], sw / ret.shape[1])
    ret = cv2.resize(ret, (int(ret.shape[1] * r), int(ret.shape[0] * r)), interpolation=cv2.INTER_LINEAR)
    out[:ret.shape[0], :ret.shape[1]] = ret
    r *= jit
    out = cv2.resize(out, (int(out.shape[1] * jit), int(out.shape[0] * jit)), interpolation=cv2.INTER_LINEAR)
    if flip:
        out = out[:, ::-1, :]
    oh, ow = out.shape[:2]
    th, tw = ori.shape[:2]
    # MMDetection 3.3 (PR #9259, in 3.0.0rc4 and later): the crop canvas is pad_val, not zeros
    padded = np.ones((max(oh, th), max(ow, tw), 3)) * pad_val
    padded = padded.astype(np.uint8)
    padded[:oh, :ow] = out
    yoff = yoff if padded.shape[0] > th else 0
    xoff = xoff if padded.shape[1] > tw else 0
    crop = padded[yoff:yoff + th, xoff:xoff + tw]
    b = ret_b * np.float32(r)
    if clip_border:
        b = clip(b, oh, ow)
    if flip:
        f = b.copy()
        f[:, 0] = ow - b[:, 2]
        f[:, 2] = ow - b[:, 0]
        b = f
    b = b - np.array([xoff, yoff] * 2, dtype=np.float32)
    if clip_border:
        b = clip(b, th, tw)
    mixed = 0.5 * ori.astype(np.float32) + 0.5 * crop.astype(np.float32)
    allb = np.concatenate([ori_b, b.astype(np.float32)], 0)
    alll = np.concatenate([ori_l, ret_l], 0)
    keep = inside(allb, th, tw)
    return mixed.astype(np.uint8), allb[keep], alll[keep], keep, yoff, xoff, (oh, ow)


def img_json(img):
    return {"h": int(img.shape[0]), "w": int(img.shape[1]), "data": img.reshape(-1).tolist()}


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(20261126)
    mosaic_cases = [
        # (img_scale h, w, center ratio x, y, pad, clip)
        (32, 40, 1.0, 1.0, 114.0, True),
        (32, 40, 0.55, 1.45, 114.0, True),
        (24, 24, 1.4, 0.6, 114.7, True),
        (40, 28, 0.8, 1.2, 0.0, False),
        (30, 30, 1.49, 1.49, 114.0, True),
    ]
    for n, (sh, sw, rx, ry, pad, cb) in enumerate(mosaic_cases):
        imgs, boxes, labels = [], [], []
        for i in range(4):
            h, w = int(rng.integers(10, 70)), int(rng.integers(10, 70))
            imgs.append(rand_image(rng, h, w))
            k = int(rng.integers(0, 5))
            boxes.append(rand_boxes(rng, h, w, k))
            labels.append(rng.integers(0, 4, k).astype(np.int64))
        cx, cy = int(rx * sw), int(ry * sh)
        canvas, b, l, keep = mosaic(imgs, boxes, labels, (sw, sh), cx, cy, pad, cb)
        case = {"kind": "mosaic", "img_scale": [sw, sh], "center": [cx, cy], "pad_val": pad, "bbox_clip_border": cb,
                "images": [img_json(i) for i in imgs], "boxes": [x.reshape(-1).tolist() for x in boxes],
                "labels": [x.tolist() for x in labels], "out_image": img_json(canvas),
                "out_boxes": b.reshape(-1).tolist(), "out_labels": l.tolist(), "kept": keep.tolist()}
        with open(os.path.join(out_dir, "mosaic_%02d.json" % n), "w") as f:
            json.dump(case, f)
    mixup_cases = [
        # (img_scale h, w, jit, flip, yoff draw fraction, xoff fraction, pad, clip)
        (40, 40, 1.0, False, 0.0, 0.0, 114.0, True),
        (40, 40, 1.37, True, 0.5, 0.3, 114.0, True),
        (36, 48, 0.63, False, 0.9, 0.9, 114.0, True),
        (36, 48, 1.52, True, 0.99, 0.01, 114, True),
        (30, 50, 1.21, True, 0.25, 0.75, 114.0, False),
    ]
    for n, (sh, sw, jit, flip, fy, fx, pad, cb) in enumerate(mixup_cases):
        th, tw = int(rng.integers(20, 60)), int(rng.integers(20, 60))
        rh, rw = int(rng.integers(10, 70)), int(rng.integers(10, 70))
        ori = rand_image(rng, th, tw)
        ret = rand_image(rng, rh, rw)
        ko, kr = int(rng.integers(0, 4)), int(rng.integers(1, 5))
        ob, rb = rand_boxes(rng, th, tw, ko), rand_boxes(rng, rh, rw, kr)
        ol, rl = rng.integers(0, 4, ko).astype(np.int64), rng.integers(0, 4, kr).astype(np.int64)
        oh, ow = int(int(sh) * jit), int(int(sw) * jit)
        ny, nx = max(oh, th) - th, max(ow, tw) - tw
        yoff = int(fy * ny) if ny > 0 else 0
        xoff = int(fx * nx) if nx > 0 else 0
        mixed, b, l, keep, yoff, xoff, osz = mixup(ori, ob, ol, ret, rb, rl, (sw, sh), jit, flip, yoff, xoff, pad, cb)
        case = {"kind": "mixup", "img_scale": [sw, sh], "jit": jit, "flip": flip, "y_offset": yoff, "x_offset": xoff,
                "pad_val": pad, "pad_is_int": isinstance(pad, int), "bbox_clip_border": cb,
                "image": img_json(ori), "boxes": ob.reshape(-1).tolist(), "labels": ol.tolist(),
                "other": img_json(ret), "other_boxes": rb.reshape(-1).tolist(), "other_labels": rl.tolist(),
                "jittered_size": list(osz), "out_image": img_json(mixed), "out_boxes": b.reshape(-1).tolist(),
                "out_labels": l.tolist(), "kept": keep.tolist()}
        with open(os.path.join(out_dir, "mixup_%02d.json" % n), "w") as f:
            json.dump(case, f)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/goldens/mosaic_mixup")
