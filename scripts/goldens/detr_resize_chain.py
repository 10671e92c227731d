"""Writes src/test/resources/goldens/detr_resize_chain/*.json: the second branch of DETR's train_pipeline
(MMDetection 3.3 configs/detr/detr_r50_8xb2-150e_coco.py, also deformable_detr / dino):
RandomChoiceResize(scales_a, keep_ratio) -> RandomCrop(crop_type='absolute_range', crop_size, allow_negative_crop=True)
-> RandomChoiceResize(scales_b, keep_ratio), with given draws, on small random uint8 images with boxes, for
DetrResizeChainGoldenTest. Scales are shrunk to the test images' size.

MMCV / MMDetection are not installed here, so their code is transcribed (numpy + cv2 only), reusing the transcripts of
scripts/goldens/resize_modes.py (mmcv imresize / imrescale, mmcv + mmdet Resize: _resize_img sets
results['scale_factor'] = (new_w / w, new_h / h) of ITS input and _resize_bboxes rescales the CURRENT boxes by it, so
a second resize overwrites the factor, never composes it) and scripts/goldens/crop_expand_shift.py (mmdet RandomCrop):

  mmcv/transforms/processing.py RandomChoiceResize: _random_select: scale_idx = np.random.randint(len(self.scales)),
      target_scale = self.scales[scale_idx]; transform: self.resize.scale = target_scale; results = self.resize(results)
      (the Resize built from resize_type='Resize' with keep_ratio / clip_object_border)

The draws (scale indices, crop size, crop offsets) are given in each case's 'draw'. Output as crop_expand_shift.py's
cases, plus 'scale_factor' (the last resize's) and 'sizes' (h, w after each step).

Needs numpy and cv2. Run: /usr/bin/python3 scripts/goldens/detr_resize_chain.py [OUT_DIR]
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crop_expand_shift as ces  # noqa: E402
import resize_modes as rm  # noqa: E402


def random_choice_resize(r, scales, idx, keep_ratio, clip):
    """mmcv RandomChoiceResize.transform with scale_idx = idx (np.random.randint(len(scales)) given)."""
    assert 0 <= idx < len(scales)
    return rm.Resize(scale=tuple(scales[idx]), keep_ratio=keep_ratio, clip_object_border=clip).transform(r)


def chain(r, cfg, draw):
    sizes = []
    r = random_choice_resize(r, cfg['scales_a'], draw['idx_a'], cfg['keep_ratio'], cfg['clip_object_border'])
    sizes.append(list(r['img'].shape[:2]))
    crop = dict(crop_type='absolute_range', crop_size=cfg['crop_size'], allow_negative_crop=cfg['allow_negative_crop'],
                bbox_clip_border=True)
    # the crop's randint draws from the case's fractions f = [size_h, size_w, offset_h, offset_w] in [0, 1) of their
    # ranges at this size (the ranges depend on the first resize's draw)
    h, w = r['img'].shape[:2]
    lo_h, hi_h = min(h, cfg['crop_size'][0]), min(h, cfg['crop_size'][1]) + 1
    lo_w, hi_w = min(w, cfg['crop_size'][0]), min(w, cfg['crop_size'][1]) + 1
    f = draw['f']
    draw['crop_h'], draw['crop_w'] = lo_h + int(f[0] * (hi_h - lo_h)), lo_w + int(f[1] * (hi_w - lo_w))
    draw['offset_h'] = int(f[2] * (max(h - draw['crop_h'], 0) + 1))
    draw['offset_w'] = int(f[3] * (max(w - draw['crop_w'], 0) + 1))
    r = ces.random_crop(r, crop, draw)
    if r is None:
        return None
    sizes.append(list(r['img'].shape[:2]))
    r = random_choice_resize(r, cfg['scales_b'], draw['idx_b'], cfg['keep_ratio'], cfg['clip_object_border'])
    sizes.append(list(r['img'].shape[:2]))
    draw['sizes'] = sizes
    draw['scale_factor'] = [float(v) for v in r['scale_factor']]
    return r


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'test', 'resources', 'goldens', 'detr_resize_chain')
    rng = np.random.RandomState(20261128)
    # DETR: first [(400, 1333), (500, 1333), (600, 1333)], crop (384, 600), then [(480, 1333), ..., (800, 1333)]: / 20
    detr = dict(scales_a=[[20, 67], [25, 67], [30, 67]], crop_size=[19, 30], scales_b=[[24, 67], [28, 67], [32, 67], [40, 67]],
                keep_ratio=True, clip_object_border=True, allow_negative_crop=True)
    stretch = dict(detr, keep_ratio=False, scales_a=[[36, 22], [30, 26]], scales_b=[[27, 19], [41, 33]])
    ces.run(chain, out, 'detr_keep_ratio_down_up', rng, 18, 32, 'uint8', detr,
            dict(idx_a=0, f=[0.9, 0.5, 0.3, 0.6], idx_b=3))
    ces.run(chain, out, 'detr_keep_ratio_mid', rng, 23, 31, 'uint8', detr,
            dict(idx_a=2, f=[0.2, 0.99, 0.8, 0.4], idx_b=1))
    ces.run(chain, out, 'detr_portrait', rng, 34, 20, 'uint8', detr,
            dict(idx_a=1, f=[0.5, 0.0, 0.99, 0.0], idx_b=0))
    # a crop keeping no box: allow_negative_crop keeps the image, the second resize still applies
    ces.run(chain, out, 'detr_crop_keeps_no_box', rng, 18, 32, 'uint8', detr,
            dict(idx_a=2, f=[0.0, 0.0, 0.0, 0.999], idx_b=2), boxes=[[0, 0, 6, 6], [1, 2, 5, 9]], ignore=[0, 1])
    ces.run(chain, out, 'stretch_no_keep_ratio', rng, 18, 32, 'uint8', stretch,
            dict(idx_a=1, f=[0.7, 0.3, 0.5, 0.5], idx_b=1))
    ces.run(chain, out, 'no_clip', rng, 18, 32, 'uint8', dict(detr, clip_object_border=False),
            dict(idx_a=0, f=[0.4, 0.6, 0.0, 0.2], idx_b=2),
            boxes=[[-2, 1, 35, 12], [2.5, 3.25, 17.75, 12.5], [20, 1, 29, 9]], ignore=[0, 0, 1])


if __name__ == '__main__':
    main()
