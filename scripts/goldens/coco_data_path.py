"""Writes src/test/resources/goldens/coco_data_path/*.json for CocoDataPathGoldenTest: what MMDetection 3.3's COCO data
path makes of small inputs, from annotation parsing to the normalised, padded batch and the sampler's batches.

MMDetection, MMCV, MMEngine and pycocotools are not installed here, so the functions that path runs are transcribed
below (NumPy 1.24, Python's OpenCV 4.6, torch 1.13), from these sources:
  * pycocotools  coco.py            COCO.createIndex (anns, imgToAnns, catToImgs, imgs, cats), getAnnIds, getCatIds,
                                    getImgIds, loadAnns, loadImgs
  * mmdetection  mmdet/datasets/api_wrappers/coco_api.py   COCO: cat_img_map = catToImgs, get_* / load_* aliases
  * mmdetection  mmdet/datasets/coco.py    CocoDataset.METAINFO classes, load_data_list, parse_data_info, filter_data
  * mmdetection  mmdet/datasets/transforms/loading.py      LoadAnnotations._load_bboxes (float32 boxes, ignore flags)
  * mmcv         mmcv/image/geometric.py   _scale_size, rescale_size, imrescale, imresize (backend cv2, 'bilinear'),
                                           imflip (np.flip)
  * mmdetection  mmdet/datasets/transforms/transforms.py   Resize._resize_img (keep_ratio: w_scale = new_w / w),
                                           Resize._resize_bboxes (rescale_ then clip_ with clip_object_border),
                                           RandomFlip._flip (flip_ with the flipped image's shape)
  * mmdetection  mmdet/structures/bbox/horizontal_boxes.py  rescale_, clip_, flip_
  * mmdetection  mmdet/structures/bbox/transforms.py        scale_boxes (detections mapped back by [1 / s])
  * mmengine     mmengine/model/base_model/data_preprocessor.py  ImgDataPreprocessor.forward ((x - mean) / std in
                                           float32), mmengine/model/utils.py stack_batch (pad bottom / right)
  * mmengine     mmengine/dataset/sampler.py   DefaultSampler.__iter__ (round_up, rank::world_size)
  * mmdetection  mmdet/datasets/samplers/batch_sampler.py  AspectRatioBatchSampler.__iter__ / __len__
The code keeps the sources' names so that it can be compared line by line.

Cases:
  * dataset_*.json   "coco" (an annotation file), "classes" (metainfo.classes, null: CocoDataset's 80), "filter_cfg",
                     "test_mode"; expected "data_list": per image img_id, width, height, file_name, instances
                     (bbox as float32 values, bbox_label, ignore_flag), in order.
  * resize_*.json    an image ("image": base64 HWC BGR uint8 with "h", "w"; or "parity": the name of a
                     ../shared/data/parity_samples/<name>.decoded.png), the Resize scale, boxes; expected new size,
                     scale_factor, sha256 of the resized and of the flipped bytes, boxes after Resize and after the
                     flip, detections mapped back, and the data preprocessor's batch (shape, sha256 of its float32
                     little-endian bytes, a few values).
  * sampler_*.json   json sizes, batch size, world size: per rank the DefaultSampler indices (shuffle=False) and the
                     AspectRatioBatchSampler batches.

Run: /usr/bin/python3 scripts/goldens/coco_data_path.py [OUT_DIR] [PARITY_DIR]
     (default src/test/resources/goldens/coco_data_path and ../shared/data/parity_samples)
"""
import base64
import copy
import hashlib
import itertools
import json
import math
import os
import sys
from collections import defaultdict

import cv2
import numpy as np
import torch
import torch.nn.functional as F

COCO_CLASSES = ('person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
                'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
                'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee',
                'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard',
                'tennis racket', 'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple',
                'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch',
                'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard',
                'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase',
                'scissors', 'teddy bear', 'hair drier', 'toothbrush')


# ---- pycocotools coco.py (with mmdet's api_wrappers/coco_api.py names) ----
def _isArrayLike(obj):
    return hasattr(obj, '__iter__') and hasattr(obj, '__len__')


class COCO:
    def __init__(self, dataset):
        self.dataset = dataset
        self.createIndex()
        self.img_ann_map = self.imgToAnns
        self.cat_img_map = self.catToImgs

    def createIndex(self):
        anns, cats, imgs = {}, {}, {}
        imgToAnns, catToImgs = defaultdict(list), defaultdict(list)
        if 'annotations' in self.dataset:
            for ann in self.dataset['annotations']:
                imgToAnns[ann['image_id']].append(ann)
                anns[ann['id']] = ann
        if 'images' in self.dataset:
            for img in self.dataset['images']:
                imgs[img['id']] = img
        if 'categories' in self.dataset:
            for cat in self.dataset['categories']:
                cats[cat['id']] = cat
        if 'annotations' in self.dataset and 'categories' in self.dataset:
            for ann in self.dataset['annotations']:
                catToImgs[ann['category_id']].append(ann['image_id'])
        self.anns = anns
        self.imgToAnns = imgToAnns
        self.catToImgs = catToImgs
        self.imgs = imgs
        self.cats = cats

    def getAnnIds(self, imgIds=[], catIds=[], areaRng=[], iscrowd=None):
        imgIds = imgIds if _isArrayLike(imgIds) else [imgIds]
        catIds = catIds if _isArrayLike(catIds) else [catIds]
        if len(imgIds) == len(catIds) == len(areaRng) == 0:
            anns = self.dataset['annotations']
        else:
            if not len(imgIds) == 0:
                lists = [self.imgToAnns[imgId] for imgId in imgIds if imgId in self.imgToAnns]
                anns = list(itertools.chain.from_iterable(lists))
            else:
                anns = self.dataset['annotations']
            anns = anns if len(catIds) == 0 else [ann for ann in anns if ann['category_id'] in catIds]
            anns = anns if len(areaRng) == 0 else [ann for ann in anns if ann['area'] > areaRng[0] and ann['area'] < areaRng[1]]
        if not iscrowd == None:
            ids = [ann['id'] for ann in anns if ann['iscrowd'] == iscrowd]
        else:
            ids = [ann['id'] for ann in anns]
        return ids

    def getCatIds(self, catNms=[], supNms=[], catIds=[]):
        catNms = catNms if _isArrayLike(catNms) else [catNms]
        supNms = supNms if _isArrayLike(supNms) else [supNms]
        catIds = catIds if _isArrayLike(catIds) else [catIds]
        if len(catNms) == len(supNms) == len(catIds) == 0:
            cats = self.dataset['categories']
        else:
            cats = self.dataset['categories']
            cats = cats if len(catNms) == 0 else [cat for cat in cats if cat['name'] in catNms]
            cats = cats if len(supNms) == 0 else [cat for cat in cats if cat['supercategory'] in supNms]
            cats = cats if len(catIds) == 0 else [cat for cat in cats if cat['id'] in catIds]
        ids = [cat['id'] for cat in cats]
        return ids

    def getImgIds(self, imgIds=[], catIds=[]):
        assert len(imgIds) == len(catIds) == 0  # the only call MMDetection makes
        return list(self.imgs.keys())

    def loadAnns(self, ids=[]):
        return [self.anns[id] for id in ids]

    def loadImgs(self, ids=[]):
        return [self.imgs[id] for id in ids]

    def get_ann_ids(self, img_ids=[], cat_ids=[], area_rng=[], iscrowd=None):
        return self.getAnnIds(img_ids, cat_ids, area_rng, iscrowd)

    def get_img_ids(self, img_ids=[], cat_ids=[]):
        return self.getImgIds(img_ids, cat_ids)

    def get_cat_ids(self, cat_names=[], sup_names=[], cat_ids=[]):
        return self.getCatIds(cat_names, sup_names, cat_ids)

    def load_anns(self, ids):
        return self.loadAnns(ids)

    def load_imgs(self, ids):
        return self.loadImgs(ids)


# ---- mmdet/datasets/coco.py CocoDataset (3.3) ----
class CocoDataset:
    def __init__(self, coco, classes, filter_cfg, test_mode, data_prefix_img=''):
        self.metainfo = {'classes': COCO_CLASSES if classes is None else tuple(classes)}
        self.filter_cfg = filter_cfg
        self.test_mode = test_mode
        self.data_prefix = {'img': data_prefix_img}
        self.coco_dict = coco
        self.data_list = self.load_data_list()
        self.data_list = self.filter_data()

    def load_data_list(self):
        self.coco = COCO(copy.deepcopy(self.coco_dict))
        self.cat_ids = self.coco.get_cat_ids(cat_names=self.metainfo['classes'])
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}
        self.cat_img_map = copy.deepcopy(self.coco.cat_img_map)
        img_ids = self.coco.get_img_ids()
        data_list = []
        total_ann_ids = []
        for img_id in img_ids:
            raw_img_info = self.coco.load_imgs([img_id])[0]
            raw_img_info['img_id'] = img_id
            ann_ids = self.coco.get_ann_ids(img_ids=[img_id])
            raw_ann_info = self.coco.load_anns(ann_ids)
            total_ann_ids.extend(ann_ids)
            parsed_data_info = self.parse_data_info({'raw_ann_info': raw_ann_info, 'raw_img_info': raw_img_info})
            data_list.append(parsed_data_info)
        assert len(set(total_ann_ids)) == len(total_ann_ids)
        del self.coco
        return data_list

    def parse_data_info(self, raw_data_info):
        img_info = raw_data_info['raw_img_info']
        ann_info = raw_data_info['raw_ann_info']
        data_info = {}
        img_path = os.path.join(self.data_prefix['img'], img_info['file_name'])
        data_info['img_path'] = img_path
        data_info['img_id'] = img_info['img_id']
        data_info['height'] = img_info['height']
        data_info['width'] = img_info['width']
        instances = []
        for i, ann in enumerate(ann_info):
            instance = {}
            if ann.get('ignore', False):
                continue
            x1, y1, w, h = ann['bbox']
            inter_w = max(0, min(x1 + w, img_info['width']) - max(x1, 0))
            inter_h = max(0, min(y1 + h, img_info['height']) - max(y1, 0))
            if inter_w * inter_h == 0:
                continue
            if ann['area'] <= 0 or w < 1 or h < 1:
                continue
            if ann['category_id'] not in self.cat_ids:
                continue
            bbox = [x1, y1, x1 + w, y1 + h]
            if ann.get('iscrowd', False):
                instance['ignore_flag'] = 1
            else:
                instance['ignore_flag'] = 0
            instance['bbox'] = bbox
            instance['bbox_label'] = self.cat2label[ann['category_id']]
            instances.append(instance)
        data_info['instances'] = instances
        return data_info

    def filter_data(self):
        if self.test_mode:
            return self.data_list
        if self.filter_cfg is None:
            return self.data_list
        filter_empty_gt = self.filter_cfg.get('filter_empty_gt', False)
        min_size = self.filter_cfg.get('min_size', 0)
        ids_with_ann = set(data_info['img_id'] for data_info in self.data_list)
        ids_in_cat = set()
        for i, class_id in enumerate(self.cat_ids):
            ids_in_cat |= set(self.cat_img_map[class_id])
        ids_in_cat &= ids_with_ann
        valid_data_infos = []
        for i, data_info in enumerate(self.data_list):
            img_id = data_info['img_id']
            width = data_info['width']
            height = data_info['height']
            if filter_empty_gt and img_id not in ids_in_cat:
                continue
            if min(width, height) >= min_size:
                valid_data_infos.append(data_info)
        return valid_data_infos


# ---- mmdet/datasets/transforms/loading.py LoadAnnotations._load_bboxes ----
def load_bboxes(instances):
    gt_bboxes = []
    gt_ignore_flags = []
    for instance in instances:
        gt_bboxes.append(instance['bbox'])
        gt_ignore_flags.append(instance['ignore_flag'])
    return np.array(gt_bboxes, dtype=np.float32).reshape((-1, 4)), np.array(gt_ignore_flags, dtype=bool)


# ---- mmcv/image/geometric.py ----
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
    else:
        return new_size


def imresize(img, size, return_scale=False, interpolation='bilinear', out=None, backend='cv2'):
    h, w = img.shape[:2]
    resized_img = cv2.resize(img, size, dst=out, interpolation=cv2.INTER_LINEAR)  # cv2_interp_codes['bilinear']
    if not return_scale:
        return resized_img
    w_scale = size[0] / w
    h_scale = size[1] / h
    return resized_img, w_scale, h_scale


def imrescale(img, scale, return_scale=False, interpolation='bilinear', backend='cv2'):
    h, w = img.shape[:2]
    new_size, scale_factor = rescale_size((w, h), scale, return_scale=True)
    rescaled_img = imresize(img, new_size, interpolation=interpolation, backend=backend)
    if return_scale:
        return rescaled_img, scale_factor
    else:
        return rescaled_img


def imflip(img, direction='horizontal'):
    assert direction == 'horizontal'
    return np.flip(img, axis=1)


# ---- mmdet/structures/bbox/horizontal_boxes.py ----
def rescale_(boxes, scale_factor):
    scale_factor = boxes.new_tensor(scale_factor).repeat(2)
    return boxes * scale_factor


def clip_(boxes, img_shape):
    boxes = boxes.clone()
    boxes[..., 0::2] = boxes[..., 0::2].clamp(0, img_shape[1])
    boxes[..., 1::2] = boxes[..., 1::2].clamp(0, img_shape[0])
    return boxes


def flip_(boxes, img_shape, direction='horizontal'):
    assert direction == 'horizontal'
    flipped = boxes.clone()
    flipped[..., 0] = img_shape[1] - boxes[..., 2]
    flipped[..., 2] = img_shape[1] - boxes[..., 0]
    return flipped


# ---- mmdet/structures/bbox/transforms.py scale_boxes ----
def scale_boxes(boxes, scale_factor):
    repeat_num = int(boxes.size(-1) / 2)
    scale_factor = boxes.new_tensor(scale_factor).repeat((1, repeat_num))
    return boxes * scale_factor


# ---- mmdet Resize (keep_ratio=True) + RandomFlip on one image ----
def resize(results, scale, clip_object_border=True):
    img, scale_factor = imrescale(results['img'], scale, interpolation='bilinear', return_scale=True, backend='cv2')
    new_h, new_w = img.shape[:2]
    h, w = results['img'].shape[:2]
    w_scale = new_w / w
    h_scale = new_h / h
    results['img'] = img
    results['img_shape'] = img.shape[:2]
    results['scale_factor'] = (w_scale, h_scale)
    results['gt_bboxes'] = rescale_(results['gt_bboxes'], results['scale_factor'])
    if clip_object_border:
        results['gt_bboxes'] = clip_(results['gt_bboxes'], results['img_shape'])
    return results


def flip(results):
    results['img'] = imflip(results['img'], direction='horizontal')
    img_shape = results['img'].shape[:2]
    results['gt_bboxes'] = flip_(results['gt_bboxes'], img_shape, 'horizontal')
    return results


# ---- mmengine stack_batch + ImgDataPreprocessor.forward (bgr_to_rgb False) ----
def stack_batch(tensor_list, pad_size_divisor=1, pad_value=0):
    dim = tensor_list[0].dim()
    num_img = len(tensor_list)
    all_sizes = torch.Tensor([tensor.shape for tensor in tensor_list])
    max_sizes = torch.ceil(torch.max(all_sizes, dim=0)[0] / pad_size_divisor) * pad_size_divisor
    padded_sizes = max_sizes - all_sizes
    padded_sizes[:, 0] = 0
    if padded_sizes.sum() == 0:
        return torch.stack(tensor_list)
    pad = torch.zeros(num_img, 2 * dim, dtype=torch.int)
    pad[:, 1::2] = padded_sizes[:, range(dim - 1, -1, -1)]
    batch_tensor = []
    for idx, tensor in enumerate(tensor_list):
        batch_tensor.append(F.pad(tensor, tuple(pad[idx].tolist()), value=pad_value))
    return torch.stack(batch_tensor)


def preprocess(imgs_hwc, mean, std, pad_size_divisor):
    mean_t = torch.tensor(mean).view(-1, 1, 1)
    std_t = torch.tensor(std).view(-1, 1, 1)
    batch_inputs = []
    for img in imgs_hwc:
        # PackDetInputs: HWC -> CHW tensor
        img = np.ascontiguousarray(img)
        _batch_input = torch.from_numpy(img).permute(2, 0, 1).contiguous()
        _batch_input = _batch_input.float()
        _batch_input = (_batch_input - mean_t) / std_t
        batch_inputs.append(_batch_input)
    return stack_batch(batch_inputs, pad_size_divisor, 0)


# ---- mmengine/dataset/sampler.py DefaultSampler (shuffle=False) ----
def default_sampler(n, rank, world_size, round_up=True):
    if round_up:
        num_samples = math.ceil(n / world_size)
        total_size = num_samples * world_size
    else:
        num_samples = math.ceil((n - rank) / world_size)
        total_size = n
    indices = list(range(n))
    if round_up:
        indices = (indices * int(total_size / len(indices) + 1))[:total_size]
    indices = indices[rank:total_size:world_size]
    return indices


# ---- mmdet/datasets/samplers/batch_sampler.py AspectRatioBatchSampler ----
def aspect_ratio_batches(sampler_indices, sizes, batch_size, drop_last=False):
    buckets = [[] for _ in range(2)]
    out = []
    for idx in sampler_indices:
        width, height = sizes[idx]
        bucket_id = 0 if width < height else 1
        bucket = buckets[bucket_id]
        bucket.append(idx)
        if len(bucket) == batch_size:
            out.append(bucket[:])
            del bucket[:]
    left_data = buckets[0] + buckets[1]
    while len(left_data) > 0:
        if len(left_data) <= batch_size:
            if not drop_last:
                out.append(left_data[:])
            left_data = []
        else:
            out.append(left_data[:batch_size])
            left_data = left_data[batch_size:]
    return out


# ------------------------------------------------------------------------------------------------ cases
def f32(values):
    return [float(v) for v in np.asarray(values, dtype=np.float32).reshape(-1)]


def dataset_case(name, coco, classes, filter_cfg, test_mode):
    ds = CocoDataset(coco, classes, filter_cfg, test_mode)
    data_list = []
    for d in ds.data_list:
        boxes, flags = load_bboxes(d['instances'])
        data_list.append(dict(img_id=d['img_id'], width=d['width'], height=d['height'],
                              file_name=os.path.basename(d['img_path']), bboxes=f32(boxes),
                              labels=[i['bbox_label'] for i in d['instances']], ignore_flags=[int(f) for f in flags]))
    return dict(name=name, coco=coco, classes=classes, filter_cfg=filter_cfg, test_mode=test_mode,
                expected=dict(cat_ids=ds.cat_ids, data_list=data_list))


def coco_file():
    cats = [dict(id=1, name='person', supercategory='person'), dict(id=3, name='car', supercategory='vehicle'),
            dict(id=18, name='dog', supercategory='animal'), dict(id=2, name='bicycle', supercategory='vehicle'),
            dict(id=44, name='bottle', supercategory='kitchen')]
    imgs = [dict(id=11, file_name='a.jpg', width=640, height=480), dict(id=12, file_name='thin.jpg', width=30, height=500),
            dict(id=13, file_name='crowd_only.jpg', width=400, height=300), dict(id=14, file_name='no_anns.jpg', width=300, height=400),
            dict(id=15, file_name='bottle_only.jpg', width=500, height=500), dict(id=16, file_name='ignored_only.jpg', width=320, height=320),
            dict(id=17, file_name='tiny_boxes_only.jpg', width=333, height=222), dict(id=18, file_name='min_size.jpg', width=32, height=32),
            dict(id=7, file_name='late_small_id.jpg', width=427, height=640)]
    a = []

    def ann(image_id, cat, bbox, **kw):
        d = dict(id=len(a) + 100, image_id=image_id, category_id=cat, bbox=bbox, area=kw.pop('area', bbox[2] * bbox[3]),
                 iscrowd=kw.pop('iscrowd', 0), segmentation=[[0, 0, 1, 0, 1, 1]])
        d.update(kw)
        a.append(d)

    ann(11, 1, [10.1, 20.2, 100.3, 200.7])            # plain; x1 + w formed in double, then float32
    ann(11, 3, [0.1, 0.2, 0.3 + 5, 0.7 + 9])
    ann(11, 18, [300, 200, 50, 40], iscrowd=1)         # crowd -> ignore_flag 1
    ann(11, 1, [5, 5, 50, 50], ignore=1)               # 'ignore' truthy: skipped
    ann(11, 1, [6, 6, 50, 50], ignore=0)               # 'ignore' falsy: kept
    ann(11, 3, [10, 10, 0.5, 30])                      # w < 1
    ann(11, 3, [10, 10, 30, 0.99])                     # h < 1
    ann(11, 3, [10, 10, 30, 30], area=0)               # area <= 0
    ann(11, 3, [700, 10, 30, 30])                      # outside on the right: no overlap
    ann(11, 3, [640, 10, 30, 30])                      # touches the border only: overlap 0
    ann(11, 3, [-10.5, -20.25, 30, 40.5])              # partly outside: kept, not clipped
    ann(11, 2, [600.5, 400.25, 100, 100.5])            # crosses right and bottom: kept, not clipped
    ann(11, 44, [1, 2, 3, 4])                          # a class only when 'bottle' is one
    ann(12, 1, [1, 1, 20, 20])                         # image below min_size
    ann(13, 1, [10, 10, 100, 100], iscrowd=1)          # crowd-only image: kept, no gt
    ann(13, 18, [50, 50, 100, 100], iscrowd=1)
    ann(15, 44, [10, 10, 100, 100])                    # only a bottle
    ann(16, 3, [10, 10, 100, 100], ignore=1)           # only ignored: still in cat_img_map
    ann(17, 1, [10, 10, 0.5, 0.5])                     # only too small: still in cat_img_map
    ann(18, 18, [0, 0, 32, 32])
    ann(7, 2, [100, 100, 200, 300])
    ann(7, 1, [0, 0, 427, 640], iscrowd=1)
    ann(11, 1, [400, 300, 20, 10])                     # a later annotation of image 11, after other images'
    return dict(images=imgs, annotations=a, categories=cats)


def coco_quirks_file():
    """What pycocotools and Python make of unusual but readable files: a repeated image id (the later record, at the
    first one's place: imgs[id] = img), ids written as integral floats (11.0 == 11 as a dict key and in 'in'), and
    'iscrowd' / 'ignore' values whose truth is Python's (an empty list or mapping is false)."""
    cats = [dict(id=1, name='person', supercategory='person'), dict(id=3, name='car', supercategory='vehicle')]
    imgs = [dict(id=21, file_name='first.jpg', width=100, height=80), dict(id=22, file_name='b.jpg', width=200, height=100),
            dict(id=21, file_name='second.jpg', width=300, height=240), dict(id=23, file_name='c.jpg', width=20, height=300)]
    a = [dict(id=1, image_id=21, category_id=1, bbox=[150, 100, 40, 30], area=1200, iscrowd=0),  # outside the first 21 only
         dict(id=2, image_id=21.0, category_id=3.0, bbox=[10, 10, 20, 20], area=400, iscrowd=0),
         dict(id=3, image_id=22, category_id=3, bbox=[10, 10, 20, 20], area=400, iscrowd=[]),
         dict(id=4, image_id=22, category_id=1, bbox=[30, 10, 20, 20], area=400, iscrowd=[0]),
         dict(id=5, image_id=22, category_id=1, bbox=[50, 10, 20, 20], area=400, iscrowd=0, ignore={}),
         dict(id=6, image_id=22, category_id=1, bbox=[70, 10, 20, 20], area=400, iscrowd=0, ignore=''),
         dict(id=7, image_id=22, category_id=3, bbox=[90, 10, 20, 20], area=400, iscrowd={'a': 1}),
         dict(id=8, image_id=23, category_id=1, bbox=[1, 1, 10, 10], area=100, iscrowd=0)]
    return dict(images=imgs, annotations=a, categories=cats)


def b64(img):
    return base64.b64encode(np.ascontiguousarray(img).tobytes()).decode()


def sha(arr):
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def resize_case(name, img, source, scale, boxes, dets, mean, std, divisor, partner=None):
    """One image through Resize (keep_ratio) and RandomFlip, alone and (with a partner image) in a batch of two."""
    results = dict(img=img, gt_bboxes=torch.tensor(np.asarray(boxes, dtype=np.float32).reshape(-1, 4)))
    results = resize(results, tuple(scale))
    resized = results['img']
    boxes_resized = results['gt_bboxes']
    flipped = flip(dict(img=resized, gt_bboxes=boxes_resized))
    det = torch.tensor(np.asarray(dets, dtype=np.float32).reshape(-1, 4))
    back = scale_boxes(det, [1 / s for s in results['scale_factor']])
    imgs = [resized] + ([partner] if partner is not None else [])
    batch = preprocess(imgs, mean, std, divisor)
    flat = batch.numpy().reshape(-1)
    probe = [0, 1, len(flat) // 3, len(flat) // 2 + 7, len(flat) - 1]
    case = dict(name=name, scale=list(scale), boxes=f32(boxes), detections=f32(dets), mean=mean, std=std,
                pad_size_divisor=divisor,
                expected=dict(new_w=resized.shape[1], new_h=resized.shape[0], scale_factor=list(results['scale_factor']),
                              resized_sha256=sha(resized), flipped_sha256=sha(flipped['img']),
                              boxes=f32(boxes_resized.numpy()), flipped_boxes=f32(flipped['gt_bboxes'].numpy()),
                              detections_back=f32(back.numpy()), batch_shape=list(batch.shape),
                              batch_sha256=sha(flat.astype('<f4')), batch_probe=[[i, float(flat[i])] for i in probe]))
    case.update(source)
    if partner is not None:
        case['partner'] = dict(h=partner.shape[0], w=partner.shape[1], image=b64(partner))
    return case


def sampler_case(name, sizes, batch_size, world_size):
    ranks = []
    for r in range(world_size):
        idx = default_sampler(len(sizes), r, world_size)
        ranks.append(dict(indices=idx, batches=aspect_ratio_batches(idx, sizes, batch_size)))
    return dict(name=name, sizes=[list(s) for s in sizes], batch_size=batch_size, world_size=world_size,
                expected=dict(ranks=ranks))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else 'src/test/resources/goldens/coco_data_path'
    parity = sys.argv[2] if len(sys.argv) > 2 else '../shared/data/parity_samples'
    os.makedirs(out, exist_ok=True)
    cases = []
    coco = coco_file()
    cases.append(dataset_case('dataset_default_classes_filtered', coco, None, dict(filter_empty_gt=True, min_size=32), False))
    cases.append(dataset_case('dataset_classes_subset_filtered', coco, ['dog', 'person', 'bottle', 'car'],
                              dict(filter_empty_gt=True, min_size=32), False))
    cases.append(dataset_case('dataset_min_size_only', coco, ['car', 'bicycle'], dict(filter_empty_gt=False, min_size=31), False))
    cases.append(dataset_case('dataset_test_mode', coco, None, dict(filter_empty_gt=True, min_size=32), True))
    cases.append(dataset_case('dataset_quirks_filtered', coco_quirks_file(), None, dict(filter_empty_gt=True, min_size=32), False))

    caffe = [102.9801, 115.9465, 122.7717]
    rng = np.random.RandomState(7)
    small = rng.randint(0, 256, size=(45, 61, 3)).astype(np.uint8)
    tall = rng.randint(0, 256, size=(97, 31, 3)).astype(np.uint8)
    square = rng.randint(0, 256, size=(50, 50, 3)).astype(np.uint8)
    boxes = [0, 0, 61, 45, 10.5, 3.25, 70.75, 50.5, -4, -2, 20, 30, 30.1, 20.2, 30.3, 20.4]
    dets = [1.5, 2.5, 100.25, 200.75, 0, 0, 1333, 800, 13.37, 7.77, 42.42, 99.99]
    cases.append(resize_case('resize_small_up_1333x800', small, dict(h=45, w=61, image=b64(small)), (1333, 800), boxes, dets,
                             caffe, [1, 1, 1], 32, partner=tall))
    cases.append(resize_case('resize_tall_up_800x1333_std', tall, dict(h=97, w=31, image=b64(tall)), (800, 1333), boxes, dets,
                             [123.675, 116.28, 103.53], [58.395, 57.12, 57.375], 32, partner=small))
    cases.append(resize_case('resize_square_down_33x20', square, dict(h=50, w=50, image=b64(square)), (33, 20), boxes, dets,
                             caffe, [1, 1, 1], 1))
    cases.append(resize_case('resize_small_odd_scale_divisor_7', small, dict(h=45, w=61, image=b64(small)), (641, 479), boxes,
                             dets, caffe, [1, 1, 1], 7, partner=square))
    if os.path.isdir(parity):
        for stem, scale in (('000000116740', (1333, 800)), ('000000417285', (1333, 800)), ('BloodImage_00000', (1333, 800)),
                            ('000000417285', (1000, 600)), ('BloodImage_00000', (512, 384))):
            img = cv2.imread(os.path.join(parity, stem + '.decoded.png'), cv2.IMREAD_UNCHANGED)
            h, w = img.shape[:2]
            pb = [5, 6, w - 5, h - 6, 0, 0, w, h, w * 0.25, h * 0.5, w * 0.75 + 0.3, h * 0.9 + 0.1]
            cases.append(resize_case('resize_parity_%s_%dx%d' % (stem, scale[0], scale[1]), img, dict(parity=stem), scale, pb,
                                     dets, caffe, [1, 1, 1], 32))
    else:
        print('warning: no parity samples at', parity, '- their cases are not written')

    sizes = [(640, 480), (480, 640), (500, 500), (427, 640), (640, 427), (333, 500), (500, 333), (612, 612), (640, 360),
             (360, 640), (200, 640), (640, 200), (499, 500), (501, 500), (300, 300)]
    cases.append(sampler_case('sampler_batch2_world1', sizes, 2, 1))
    cases.append(sampler_case('sampler_batch2_world4', sizes, 2, 4))
    cases.append(sampler_case('sampler_batch3_world2', sizes, 3, 2))
    cases.append(sampler_case('sampler_batch4_world8', sizes[:13], 4, 8))
    for c in cases:
        c['versions'] = dict(numpy=np.__version__, cv2=cv2.__version__, torch=torch.__version__)
        with open(os.path.join(out, c['name'] + '.json'), 'w') as f:
            json.dump(c, f)
    print('wrote', len(cases), 'cases to', out)


if __name__ == '__main__':
    main()
