"""Writes src/test/resources/goldens/openimages_eval/<case>.json for OpenImagesEvalGoldenTest: the files of a small Open
Images dataset (V6 csv layout, or the challenge 2019 txt layout), the detections of each image, and what MMDetection
3.3's OpenImagesDataset / OpenImagesChallengeDataset load and OpenImagesMetric makes of them.

MMDetection and mmengine are not installed here, so the functions they run are transcribed below (numpy only) from
these sources:
  * mmdetection  mmdet/datasets/openimages.py  OpenImagesDataset.load_data_list, _parse_label_file, _parse_img_level_ann,
                 _get_relation_matrix, _convert_hierarchy_tree; OpenImagesChallengeDataset.load_data_list,
                 _parse_label_file, _parse_img_level_ann, _get_relation_matrix (np.load(...)[1:, 1:])
  * mmdetection  mmdet/evaluation/functional/bbox_overlaps.py  bbox_overlaps ('iou' and 'iof', float32, eps 1e-6)
  * mmdetection  mmdet/evaluation/functional/mean_ap.py  average_precision ('area'), tpfp_openimages, get_cls_results,
                 get_cls_group_ofs, eval_map (the Pool's starmap replaced by a loop: the same results in the same order),
                 print_map_summary (the table, via a transcription of terminaltables 3.1's AsciiTable)
  * mmdetection  mmdet/evaluation/metrics/openimages_metric.py  OpenImagesMetric._get_supercategory_ann,
                 _process_predictions, process, compute_metrics
The code keeps MMDetection's structure and names so that it can be compared line by line. Three choices (marked CHANGED):
  * print_map_summary names the classes by get_classes('oid_v6' / 'oid_challenge'), MMDetection's built-in lists of
    the real label files' names in the same order; the tiny label files here have other names, so the table names the
    classes by the label file (what the built-in list is for the real files).
  * OpenImagesChallengeDataset stores the group-of flag as 'is_group_ofs' and OpenImagesMetric.process reads
    'is_group_of' (a KeyError in MMDetection 3.3); here the challenge loader stores it as 'is_group_of'.
  * OpenImagesDataset.load_data_list gives the last image the path computed on its last row from the row before:
    when the last image of the csv has a single box, MMDetection reads the previous image's file for it; here its own.

No case has tied scores within a class: np.argsort(-scores) orders equal keys as the machine's numpy sorts them.

Each case holds "kind" (v6 / challenge), "files" (label_file, ann_file, image_level_ann_file or null as text,
hierarchy as json (v6) or base64 of the .npy bytes (challenge), meta_file as base64 of the pickle MMEngine's dump
writes: protocol 2, a list of dicts {filename, ori_shape}), "params" (iou_thrs, ioa_thrs, get_supercategory,
filter_labels), "predictions" (per image: bboxes [x1, y1, x2, y2] and scores as float32 values, labels) and
"expected": "classes", "relation" (the relation matrix as 0/1), "data_list" (per image: img_id, img_path relative to the
image folder, height, width, instances {bbox (float32 of the denormalized values), bbox_label, is_group_of},
image_level_labels or null), "metrics" (compute_metrics' dict, without the 'openimages/' prefix), "mean_aps" (per
threshold pair), "classes_table" (per pair, per class: gts, dets, recall = the last recall or 0, ap) and "printed" (the
logged lines: compute_metrics' messages split at their newlines, print_map_summary's table).

Run: /usr/bin/python3 scripts/goldens/openimages_eval.py [GOLDENS_DIR]   (numpy 1.24; default src/test/resources/goldens)
"""
import base64
import copy
import csv
import io
import json
import os
import pickle
import sys
from collections import OrderedDict, defaultdict

import numpy as np


# ---- mmdet/datasets/openimages.py (files read from strings instead of paths) ----
class OpenImagesDataset:
    METAINFO = dict(dataset_type='oid_v6')

    def __init__(self, ann_file, label_file, meta_file, hierarchy_file, image_level_ann_file=None, img_prefix=''):
        self.ann_file = ann_file
        self.label_file = label_file
        self.meta_file = meta_file  # the pickle's bytes
        self.hierarchy_file = hierarchy_file
        self.image_level_ann_file = image_level_ann_file
        self.data_prefix = dict(img=img_prefix)
        self._metainfo = dict(self.METAINFO)
        self.data_list = self.load_data_list()

    def load_data_list(self):
        classes_names, label_id_mapping = self._parse_label_file(self.label_file)
        self._metainfo['classes'] = classes_names
        self.label_id_mapping = label_id_mapping
        if self.image_level_ann_file is not None:
            img_level_anns = self._parse_img_level_ann(self.image_level_ann_file)
        else:
            img_level_anns = None
        relation_matrix = self._get_relation_matrix(self.hierarchy_file)
        self._metainfo['RELATION_MATRIX'] = relation_matrix
        data_list = []
        reader = csv.reader(io.StringIO(self.ann_file, newline=None))
        last_img_id = None
        instances = []
        for i, line in enumerate(reader):
            if i == 0:
                continue
            img_id = line[0]
            if last_img_id is None:
                last_img_id = img_id
            label_id = line[2]
            assert label_id in self.label_id_mapping
            label = int(self.label_id_mapping[label_id])
            bbox = [float(line[4]), float(line[6]), float(line[5]), float(line[7])]
            is_occluded = True if int(line[8]) == 1 else False
            is_truncated = True if int(line[9]) == 1 else False
            is_group_of = True if int(line[10]) == 1 else False
            is_depiction = True if int(line[11]) == 1 else False
            is_inside = True if int(line[12]) == 1 else False
            instance = dict(bbox=bbox, bbox_label=label, ignore_flag=0, is_occluded=is_occluded,
                            is_truncated=is_truncated, is_group_of=is_group_of, is_depiction=is_depiction,
                            is_inside=is_inside)
            last_img_path = os.path.join(self.data_prefix['img'], f'{last_img_id}.jpg')
            if img_id != last_img_id:
                data_info = dict(img_path=last_img_path, img_id=last_img_id, instances=instances)
                data_list.append(data_info)
                instances = []
            instances.append(instance)
            last_img_id = img_id
        # CHANGED: MMDetection appends img_path=last_img_path, which the last row set from the row before it: when the
        # last image has a single box, its path is the previous image's (see the docstring)
        data_list.append(dict(img_path=os.path.join(self.data_prefix['img'], f'{last_img_id}.jpg'), img_id=last_img_id,
                              instances=instances))
        img_metas = pickle.loads(self.meta_file)
        assert len(img_metas) == len(data_list)
        for i, meta in enumerate(img_metas):
            img_id = data_list[i]['img_id']
            assert f'{img_id}.jpg' == os.path.split(meta['filename'])[-1]
            h, w = meta['ori_shape'][:2]
            data_list[i]['height'] = h
            data_list[i]['width'] = w
            for j in range(len(data_list[i]['instances'])):
                data_list[i]['instances'][j]['bbox'][0] *= w
                data_list[i]['instances'][j]['bbox'][2] *= w
                data_list[i]['instances'][j]['bbox'][1] *= h
                data_list[i]['instances'][j]['bbox'][3] *= h
            if img_level_anns is not None:
                img_labels = []
                confidences = []
                img_ann_list = img_level_anns.get(img_id, [])
                for ann in img_ann_list:
                    img_labels.append(int(ann['image_level_label']))
                    confidences.append(float(ann['confidence']))
                data_list[i]['image_level_labels'] = np.array(img_labels, dtype=np.int64)
                data_list[i]['confidences'] = np.array(confidences, dtype=np.float32)
        return data_list

    def _parse_label_file(self, label_file):
        index_list = []
        classes_names = []
        for line in csv.reader(io.StringIO(label_file, newline=None)):
            classes_names.append(line[1])
            index_list.append(line[0])
        index_mapping = {index: i for i, index in enumerate(index_list)}
        return classes_names, index_mapping

    def _parse_img_level_ann(self, img_level_ann_file):
        item_lists = defaultdict(list)
        for i, line in enumerate(csv.reader(io.StringIO(img_level_ann_file, newline=None))):
            if i == 0:
                continue
            img_id = line[0]
            item_lists[img_id].append(dict(image_level_label=int(self.label_id_mapping[line[2]]),
                                           confidence=float(line[3])))
        return item_lists

    def _get_relation_matrix(self, hierarchy_file):
        hierarchy = hierarchy_file  # load(hierarchy_file, file_format='json'): the parsed json
        class_num = len(self._metainfo['classes'])
        relation_matrix = np.eye(class_num, class_num)
        relation_matrix = self._convert_hierarchy_tree(hierarchy, relation_matrix)
        return relation_matrix

    def _convert_hierarchy_tree(self, hierarchy_map, relation_matrix, parents=[], get_all_parents=True):
        if 'Subcategory' in hierarchy_map:
            for node in hierarchy_map['Subcategory']:
                if 'LabelName' in node:
                    children_name = node['LabelName']
                    children_index = self.label_id_mapping[children_name]
                    children = [children_index]
                else:
                    continue
                if len(parents) > 0:
                    for parent_index in parents:
                        if get_all_parents:
                            children.append(parent_index)
                        relation_matrix[children_index, parent_index] = 1
                relation_matrix = self._convert_hierarchy_tree(node, relation_matrix, parents=children)
        return relation_matrix


class OpenImagesChallengeDataset(OpenImagesDataset):
    METAINFO = dict(dataset_type='oid_challenge')

    def load_data_list(self):
        classes_names, label_id_mapping = self._parse_label_file(self.label_file)
        self._metainfo['classes'] = classes_names
        self.label_id_mapping = label_id_mapping
        if self.image_level_ann_file is not None:
            img_level_anns = self._parse_img_level_ann(self.image_level_ann_file)
        else:
            img_level_anns = None
        relation_matrix = self._get_relation_matrix(self.hierarchy_file)
        self._metainfo['RELATION_MATRIX'] = relation_matrix
        data_list = []
        lines = io.StringIO(self.ann_file, newline=None).readlines()
        i = 0
        while i < len(lines):
            instances = []
            filename = lines[i].rstrip()
            i += 2
            img_gt_size = int(lines[i])
            i += 1
            for j in range(img_gt_size):
                sp = lines[i + j].split()
                instances.append(dict(bbox=[float(sp[1]), float(sp[2]), float(sp[3]), float(sp[4])],
                                      bbox_label=int(sp[0]) - 1, ignore_flag=0,
                                      # CHANGED: MMDetection 3.3 names this key 'is_group_ofs' (see the docstring)
                                      is_group_of=True if int(sp[5]) == 1 else False))
            i += img_gt_size
            data_list.append(dict(img_path=os.path.join(self.data_prefix['img'], filename), instances=instances))
        img_metas = pickle.loads(self.meta_file)
        assert len(img_metas) == len(data_list)
        for i, meta in enumerate(img_metas):
            img_id = os.path.split(data_list[i]['img_path'])[-1][:-4]
            assert img_id == os.path.split(meta['filename'])[-1][:-4]
            h, w = meta['ori_shape'][:2]
            data_list[i]['height'] = h
            data_list[i]['width'] = w
            data_list[i]['img_id'] = img_id
            for j in range(len(data_list[i]['instances'])):
                data_list[i]['instances'][j]['bbox'][0] *= w
                data_list[i]['instances'][j]['bbox'][2] *= w
                data_list[i]['instances'][j]['bbox'][1] *= h
                data_list[i]['instances'][j]['bbox'][3] *= h
            if img_level_anns is not None:
                img_labels = []
                confidences = []
                img_ann_list = img_level_anns.get(img_id, [])
                for ann in img_ann_list:
                    img_labels.append(int(ann['image_level_label']))
                    confidences.append(float(ann['confidence']))
                data_list[i]['image_level_labels'] = np.array(img_labels, dtype=np.int64)
                data_list[i]['confidences'] = np.array(confidences, dtype=np.float32)
        return data_list

    def _parse_label_file(self, label_file):
        label_list = []
        id_list = []
        index_mapping = {}
        for line in csv.reader(io.StringIO(label_file, newline=None)):
            label_name = line[0]
            label_id = int(line[2])
            label_list.append(line[1])
            id_list.append(label_id)
            index_mapping[label_name] = label_id - 1
        indexes = np.argsort(id_list)
        classes_names = []
        for index in indexes:
            classes_names.append(label_list[index])
        return classes_names, index_mapping

    def _parse_img_level_ann(self, image_level_ann_file):
        item_lists = defaultdict(list)
        i = -1
        for line in csv.reader(io.StringIO(image_level_ann_file, newline=None)):
            i += 1
            if i == 0:
                continue
            else:
                img_id = line[0]
                label_id = line[1]
                assert label_id in self.label_id_mapping
                image_level_label = int(self.label_id_mapping[label_id])
                confidence = float(line[2])
                item_lists[img_id].append(dict(image_level_label=image_level_label, confidence=confidence))
        return item_lists

    def _get_relation_matrix(self, hierarchy_file):
        class_label_tree = np.load(io.BytesIO(hierarchy_file), allow_pickle=True)
        return class_label_tree[1:, 1:]


# ---- mmdet/evaluation/functional/bbox_overlaps.py ----
def bbox_overlaps(bboxes1, bboxes2, mode='iou', eps=1e-6, use_legacy_coordinate=False):
    assert mode in ['iou', 'iof']
    if not use_legacy_coordinate:
        extra_length = 0.
    else:
        extra_length = 1.
    bboxes1 = bboxes1.astype(np.float32)
    bboxes2 = bboxes2.astype(np.float32)
    rows = bboxes1.shape[0]
    cols = bboxes2.shape[0]
    ious = np.zeros((rows, cols), dtype=np.float32)
    if rows * cols == 0:
        return ious
    exchange = False
    if bboxes1.shape[0] > bboxes2.shape[0]:
        bboxes1, bboxes2 = bboxes2, bboxes1
        ious = np.zeros((cols, rows), dtype=np.float32)
        exchange = True
    area1 = (bboxes1[:, 2] - bboxes1[:, 0] + extra_length) * (bboxes1[:, 3] - bboxes1[:, 1] + extra_length)
    area2 = (bboxes2[:, 2] - bboxes2[:, 0] + extra_length) * (bboxes2[:, 3] - bboxes2[:, 1] + extra_length)
    for i in range(bboxes1.shape[0]):
        x_start = np.maximum(bboxes1[i, 0], bboxes2[:, 0])
        y_start = np.maximum(bboxes1[i, 1], bboxes2[:, 1])
        x_end = np.minimum(bboxes1[i, 2], bboxes2[:, 2])
        y_end = np.minimum(bboxes1[i, 3], bboxes2[:, 3])
        overlap = np.maximum(x_end - x_start + extra_length, 0) * np.maximum(y_end - y_start + extra_length, 0)
        if mode == 'iou':
            union = area1[i] + area2 - overlap
        else:
            union = area1[i] if not exchange else area2
        union = np.maximum(union, eps)
        ious[i, :] = overlap / union
    if exchange:
        ious = ious.T
    return ious


# ---- mmdet/evaluation/functional/mean_ap.py ----
def average_precision(recalls, precisions, mode='area'):
    no_scale = False
    if recalls.ndim == 1:
        no_scale = True
        recalls = recalls[np.newaxis, :]
        precisions = precisions[np.newaxis, :]
    assert recalls.shape == precisions.shape and recalls.ndim == 2
    num_scales = recalls.shape[0]
    ap = np.zeros(num_scales, dtype=np.float32)
    if mode == 'area':
        zeros = np.zeros((num_scales, 1), dtype=recalls.dtype)
        ones = np.ones((num_scales, 1), dtype=recalls.dtype)
        mrec = np.hstack((zeros, recalls, ones))
        mpre = np.hstack((zeros, precisions, zeros))
        for i in range(mpre.shape[1] - 1, 0, -1):
            mpre[:, i - 1] = np.maximum(mpre[:, i - 1], mpre[:, i])
        for i in range(num_scales):
            ind = np.where(mrec[i, 1:] != mrec[i, :-1])[0]
            ap[i] = np.sum((mrec[i, ind + 1] - mrec[i, ind]) * mpre[i, ind + 1])
    elif mode == '11points':
        for i in range(num_scales):
            for thr in np.arange(0, 1 + 1e-3, 0.1):
                precs = precisions[i, recalls[i, :] >= thr]
                prec = precs.max() if precs.size > 0 else 0
                ap[i] += prec
        ap /= 11
    else:
        raise ValueError('Unrecognized mode, only "area" and "11points" are supported')
    if no_scale:
        ap = ap[0]
    return ap


def tpfp_openimages(det_bboxes, gt_bboxes, gt_bboxes_ignore=None, iou_thr=0.5, area_ranges=None,
                    use_legacy_coordinate=False, gt_bboxes_group_of=None, use_group_of=True, ioa_thr=0.5, **kwargs):
    if not use_legacy_coordinate:
        extra_length = 0.
    else:
        extra_length = 1.
    gt_ignore_inds = np.concatenate((np.zeros(gt_bboxes.shape[0], dtype=bool),
                                     np.ones(gt_bboxes_ignore.shape[0], dtype=bool)))
    gt_bboxes = np.vstack((gt_bboxes, gt_bboxes_ignore))
    num_dets = det_bboxes.shape[0]
    num_gts = gt_bboxes.shape[0]
    if area_ranges is None:
        area_ranges = [(None, None)]
    num_scales = len(area_ranges)
    tp = np.zeros((num_scales, num_dets), dtype=np.float32)
    fp = np.zeros((num_scales, num_dets), dtype=np.float32)
    if gt_bboxes.shape[0] == 0:
        if area_ranges == [(None, None)]:
            fp[...] = 1
        else:
            det_areas = (det_bboxes[:, 2] - det_bboxes[:, 0] + extra_length) * (
                det_bboxes[:, 3] - det_bboxes[:, 1] + extra_length)
            for i, (min_area, max_area) in enumerate(area_ranges):
                fp[i, (det_areas >= min_area) & (det_areas < max_area)] = 1
        return tp, fp, det_bboxes
    if gt_bboxes_group_of is not None and use_group_of:
        assert gt_bboxes_group_of.shape[0] == gt_bboxes.shape[0]
        non_group_gt_bboxes = gt_bboxes[~gt_bboxes_group_of]
        group_gt_bboxes = gt_bboxes[gt_bboxes_group_of]
        num_gts_group = group_gt_bboxes.shape[0]
        ious = bbox_overlaps(det_bboxes, non_group_gt_bboxes)
        ioas = bbox_overlaps(det_bboxes, group_gt_bboxes, mode='iof')
    else:
        ious = bbox_overlaps(det_bboxes, gt_bboxes, use_legacy_coordinate=use_legacy_coordinate)
        ioas = None
    if ious.shape[1] > 0:
        ious_max = ious.max(axis=1)
        ious_argmax = ious.argmax(axis=1)
        sort_inds = np.argsort(-det_bboxes[:, -1])
        for k, (min_area, max_area) in enumerate(area_ranges):
            gt_covered = np.zeros(num_gts, dtype=bool)
            if min_area is None:
                gt_area_ignore = np.zeros_like(gt_ignore_inds, dtype=bool)
            else:
                gt_areas = (gt_bboxes[:, 2] - gt_bboxes[:, 0] + extra_length) * (
                    gt_bboxes[:, 3] - gt_bboxes[:, 1] + extra_length)
                gt_area_ignore = (gt_areas < min_area) | (gt_areas >= max_area)
            for i in sort_inds:
                if ious_max[i] >= iou_thr:
                    matched_gt = ious_argmax[i]
                    if not (gt_ignore_inds[matched_gt] or gt_area_ignore[matched_gt]):
                        if not gt_covered[matched_gt]:
                            gt_covered[matched_gt] = True
                            tp[k, i] = 1
                        else:
                            fp[k, i] = 1
                elif min_area is None:
                    fp[k, i] = 1
                else:
                    bbox = det_bboxes[i, :4]
                    area = (bbox[2] - bbox[0] + extra_length) * (bbox[3] - bbox[1] + extra_length)
                    if area >= min_area and area < max_area:
                        fp[k, i] = 1
    else:
        if area_ranges == [(None, None)]:
            fp[...] = 1
        else:
            det_areas = (det_bboxes[:, 2] - det_bboxes[:, 0] + extra_length) * (
                det_bboxes[:, 3] - det_bboxes[:, 1] + extra_length)
            for i, (min_area, max_area) in enumerate(area_ranges):
                fp[i, (det_areas >= min_area) & (det_areas < max_area)] = 1
    if ioas is None or ioas.shape[1] <= 0:
        return tp, fp, det_bboxes
    else:
        det_bboxes_group = np.zeros((num_scales, ioas.shape[1], det_bboxes.shape[1]), dtype=float)
        match_group_of = np.zeros((num_scales, num_dets), dtype=bool)
        tp_group = np.zeros((num_scales, num_gts_group), dtype=np.float32)
        ioas_max = ioas.max(axis=1)
        ioas_argmax = ioas.argmax(axis=1)
        sort_inds = np.argsort(-det_bboxes[:, -1])
        for k, (min_area, max_area) in enumerate(area_ranges):
            box_is_covered = tp[k]
            if min_area is None:
                gt_area_ignore = np.zeros_like(gt_ignore_inds, dtype=bool)
            else:
                gt_areas = (gt_bboxes[:, 2] - gt_bboxes[:, 0]) * (gt_bboxes[:, 3] - gt_bboxes[:, 1])
                gt_area_ignore = (gt_areas < min_area) | (gt_areas >= max_area)
            for i in sort_inds:
                matched_gt = ioas_argmax[i]
                if not box_is_covered[i]:
                    if ioas_max[i] >= ioa_thr:
                        if not (gt_ignore_inds[matched_gt] or gt_area_ignore[matched_gt]):
                            if not tp_group[k, matched_gt]:
                                tp_group[k, matched_gt] = 1
                                match_group_of[k, i] = True
                            else:
                                match_group_of[k, i] = True
                            if det_bboxes_group[k, matched_gt, -1] < det_bboxes[i, -1]:
                                det_bboxes_group[k, matched_gt] = det_bboxes[i]
        fp_group = (tp_group <= 0).astype(float)
        tps = []
        fps = []
        for i in range(num_scales):
            tps.append(np.concatenate((tp[i][~match_group_of[i]], tp_group[i])))
            fps.append(np.concatenate((fp[i][~match_group_of[i]], fp_group[i])))
            det_bboxes = np.concatenate((det_bboxes[~match_group_of[i]], det_bboxes_group[i]))
        tp = np.vstack(tps)
        fp = np.vstack(fps)
        return tp, fp, det_bboxes


def get_cls_results(det_results, annotations, class_id):
    cls_dets = [img_res[class_id] for img_res in det_results]
    cls_gts = []
    cls_gts_ignore = []
    for ann in annotations:
        gt_inds = ann['labels'] == class_id
        cls_gts.append(ann['bboxes'][gt_inds, :])
        if ann.get('labels_ignore', None) is not None:
            ignore_inds = ann['labels_ignore'] == class_id
            cls_gts_ignore.append(ann['bboxes_ignore'][ignore_inds, :])
        else:
            cls_gts_ignore.append(np.empty((0, 4), dtype=np.float32))
    return cls_dets, cls_gts, cls_gts_ignore


def get_cls_group_ofs(annotations, class_id):
    gt_group_ofs = []
    for ann in annotations:
        gt_inds = ann['labels'] == class_id
        if ann.get('gt_is_group_ofs', None) is not None:
            gt_group_ofs.append(ann['gt_is_group_ofs'][gt_inds])
        else:
            gt_group_ofs.append(np.empty((0, 1), dtype=bool))
    return gt_group_ofs


def eval_map(det_results, annotations, scale_ranges=None, iou_thr=0.5, ioa_thr=None, dataset=None, logger=None,
             tpfp_fn=None, nproc=4, use_legacy_coordinate=False, use_group_of=False, eval_mode='area'):
    assert len(det_results) == len(annotations)
    assert eval_mode in ['area', '11points']
    if not use_legacy_coordinate:
        extra_length = 0.
    else:
        extra_length = 1.
    num_imgs = len(det_results)
    num_scales = len(scale_ranges) if scale_ranges is not None else 1
    num_classes = len(det_results[0])
    area_ranges = ([(rg[0]**2, rg[1]**2) for rg in scale_ranges] if scale_ranges is not None else None)
    eval_results = []
    for i in range(num_classes):
        cls_dets, cls_gts, cls_gts_ignore = get_cls_results(det_results, annotations, i)
        if tpfp_fn is None:
            if dataset in ['det', 'vid']:
                raise NotImplementedError('tpfp_imagenet: not an Open Images case')
            elif dataset in ['oid_challenge', 'oid_v6'] or use_group_of is True:
                tpfp_fn = tpfp_openimages
            else:
                raise NotImplementedError('tpfp_default: not an Open Images case')
        if num_imgs > 1:
            args = []
            if use_group_of:
                gt_group_ofs = get_cls_group_ofs(annotations, i)
                args.append(gt_group_ofs)
                args.append([use_group_of for _ in range(num_imgs)])
            if ioa_thr is not None:
                args.append([ioa_thr for _ in range(num_imgs)])
            # pool.starmap(tpfp_fn, zip(...)): a loop gives the same list
            tpfp = [tpfp_fn(*a) for a in zip(cls_dets, cls_gts, cls_gts_ignore, [iou_thr for _ in range(num_imgs)],
                                             [area_ranges for _ in range(num_imgs)],
                                             [use_legacy_coordinate for _ in range(num_imgs)], *args)]
        else:
            tpfp = tpfp_fn(cls_dets[0], cls_gts[0], cls_gts_ignore[0], iou_thr, area_ranges, use_legacy_coordinate,
                           gt_bboxes_group_of=(get_cls_group_ofs(annotations, i)[0] if use_group_of else None),
                           use_group_of=use_group_of, ioa_thr=ioa_thr)
            tpfp = [tpfp]
        if use_group_of:
            tp, fp, cls_dets = tuple(zip(*tpfp))
        else:
            tp, fp = tuple(zip(*tpfp))
        num_gts = np.zeros(num_scales, dtype=int)
        for j, bbox in enumerate(cls_gts):
            if area_ranges is None:
                num_gts[0] += bbox.shape[0]
            else:
                gt_areas = (bbox[:, 2] - bbox[:, 0] + extra_length) * (bbox[:, 3] - bbox[:, 1] + extra_length)
                for k, (min_area, max_area) in enumerate(area_ranges):
                    num_gts[k] += np.sum((gt_areas >= min_area) & (gt_areas < max_area))
        cls_dets = np.vstack(cls_dets)
        num_dets = cls_dets.shape[0]
        sort_inds = np.argsort(-cls_dets[:, -1])
        tp = np.hstack(tp)[:, sort_inds]
        fp = np.hstack(fp)[:, sort_inds]
        tp = np.cumsum(tp, axis=1)
        fp = np.cumsum(fp, axis=1)
        eps = np.finfo(np.float32).eps
        recalls = tp / np.maximum(num_gts[:, np.newaxis], eps)
        precisions = tp / np.maximum((tp + fp), eps)
        if scale_ranges is None:
            recalls = recalls[0, :]
            precisions = precisions[0, :]
            num_gts = num_gts.item()
        ap = average_precision(recalls, precisions, eval_mode)
        eval_results.append({'num_gts': num_gts, 'num_dets': num_dets, 'recall': recalls,
                             'precision': precisions, 'ap': ap})
    if scale_ranges is not None:
        raise NotImplementedError('OpenImagesMetric fails on scale_ranges (round() of a list); not a case here')
    aps = []
    for cls_result in eval_results:
        if cls_result['num_gts'] > 0:
            aps.append(cls_result['ap'])
    mean_ap = np.array(aps).mean().item() if aps else 0.0
    print_map_summary(mean_ap, eval_results, dataset, area_ranges, logger=logger)
    return mean_ap, eval_results


def ascii_table(table_data):
    """terminaltables 3.1 AsciiTable(table_data) with inner_footing_row_border = True, .table."""
    widths = [max(len(str(row[k])) for row in table_data) for k in range(len(table_data[0]))]
    rule = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'
    lines = [rule]
    for n, row in enumerate(table_data):
        lines.append('|' + '|'.join(' ' + str(c).ljust(w) + ' ' for c, w in zip(row, widths)) + '|')
        if n == 0 or n == len(table_data) - 2:
            lines.append(rule)
    lines.append(rule)
    return '\n'.join(lines)


def print_log(msg, logger):
    logger.extend(msg.split('\n'))


def print_map_summary(mean_ap, results, dataset=None, scale_ranges=None, logger=None):
    if logger == 'silent':
        return
    if isinstance(results[0]['ap'], np.ndarray):
        num_scales = len(results[0]['ap'])
    else:
        num_scales = 1
    num_classes = len(results)
    recalls = np.zeros((num_scales, num_classes), dtype=np.float32)
    aps = np.zeros((num_scales, num_classes), dtype=np.float32)
    num_gts = np.zeros((num_scales, num_classes), dtype=int)
    for i, cls_result in enumerate(results):
        if cls_result['recall'].size > 0:
            recalls[:, i] = np.array(cls_result['recall'], ndmin=2)[:, -1]
        aps[:, i] = cls_result['ap']
        num_gts[:, i] = cls_result['num_gts']
    # CHANGED: get_classes(dataset) in MMDetection (see the docstring); the label file's names here
    label_names = logger.class_names
    if not isinstance(mean_ap, list):
        mean_ap = [mean_ap]
    header = ['class', 'gts', 'dets', 'recall', 'ap']
    for i in range(num_scales):
        table_data = [header]
        for j in range(num_classes):
            row_data = [label_names[j], num_gts[i, j], results[j]['num_dets'], f'{recalls[i, j]:.3f}', f'{aps[i, j]:.3f}']
            table_data.append(row_data)
        table_data.append(['mAP', '', '', '', f'{mean_ap[i]:.3f}'])
        print_log('\n' + ascii_table(table_data), logger=logger)


class Printed(list):
    """The logger: a list of the logged lines, and the class names the table uses."""
    class_names = None


# ---- mmdet/evaluation/metrics/openimages_metric.py ----
class OpenImagesMetric:
    default_prefix = 'openimages'

    def __init__(self, iou_thrs=0.5, ioa_thrs=0.5, scale_ranges=None, use_group_of=True, get_supercategory=True,
                 filter_labels=True):
        self.iou_thrs = [iou_thrs] if isinstance(iou_thrs, float) else iou_thrs
        self.ioa_thrs = [ioa_thrs] if (isinstance(ioa_thrs, float) or ioa_thrs is None) else ioa_thrs
        assert isinstance(self.iou_thrs, list) and isinstance(self.ioa_thrs, list)
        assert len(self.iou_thrs) == len(self.ioa_thrs)
        self.scale_ranges = scale_ranges
        self.use_group_of = use_group_of
        self.get_supercategory = get_supercategory
        self.filter_labels = filter_labels
        self.results = []
        self.dataset_meta = None

    def _get_supercategory_ann(self, instances):
        supercat_instances = []
        relation_matrix = self.dataset_meta['RELATION_MATRIX']
        for instance in instances:
            labels = np.where(relation_matrix[instance['bbox_label']])[0]
            for label in labels:
                if label == instance['bbox_label']:
                    continue
                new_instance = copy.deepcopy(instance)
                new_instance['bbox_label'] = label
                supercat_instances.append(new_instance)
        return supercat_instances

    def _process_predictions(self, pred_bboxes, pred_scores, pred_labels, gt_instances, image_level_labels):
        processed_bboxes = copy.deepcopy(pred_bboxes)
        processed_scores = copy.deepcopy(pred_scores)
        processed_labels = copy.deepcopy(pred_labels)
        gt_labels = np.array([ins['bbox_label'] for ins in gt_instances], dtype=np.int64)
        if image_level_labels is not None:
            allowed_classes = np.unique(np.append(gt_labels, image_level_labels))
        else:
            allowed_classes = np.unique(gt_labels)
        relation_matrix = self.dataset_meta['RELATION_MATRIX']
        pred_classes = np.unique(pred_labels)
        for pred_class in pred_classes:
            classes = np.where(relation_matrix[pred_class])[0]
            for cls in classes:
                if (cls in allowed_classes and cls != pred_class and self.get_supercategory):
                    index = np.where(pred_labels == pred_class)[0]
                    processed_scores = np.concatenate([processed_scores, pred_scores[index]])
                    processed_bboxes = np.concatenate([processed_bboxes, pred_bboxes[index]])
                    extend_labels = np.full(index.shape, cls, dtype=np.int64)
                    processed_labels = np.concatenate([processed_labels, extend_labels])
                elif cls not in allowed_classes and self.filter_labels:
                    index = np.where(processed_labels != cls)[0]
                    processed_scores = processed_scores[index]
                    processed_bboxes = processed_bboxes[index]
                    processed_labels = processed_labels[index]
        return processed_bboxes, processed_scores, processed_labels

    def process(self, data_batch, data_samples):
        for data_sample in data_samples:
            gt = copy.deepcopy(data_sample)
            instances = gt['instances']
            if self.get_supercategory:
                supercat_instances = self._get_supercategory_ann(instances)
                instances.extend(supercat_instances)
            gt_labels = []
            gt_bboxes = []
            is_group_ofs = []
            for ins in instances:
                gt_labels.append(ins['bbox_label'])
                gt_bboxes.append(ins['bbox'])
                is_group_ofs.append(ins['is_group_of'])
            ann = dict(labels=np.array(gt_labels, dtype=np.int64),
                       bboxes=np.array(gt_bboxes, dtype=np.float32).reshape((-1, 4)),
                       gt_is_group_ofs=np.array(is_group_ofs, dtype=bool))
            image_level_labels = gt.get('image_level_labels', None)
            pred = data_sample['pred_instances']
            pred_bboxes = pred['bboxes']  # .cpu().numpy(): float32 arrays here
            pred_scores = pred['scores']
            pred_labels = pred['labels']
            pred_bboxes, pred_scores, pred_labels = self._process_predictions(
                pred_bboxes, pred_scores, pred_labels, instances, image_level_labels)
            dets = []
            for label in range(len(self.dataset_meta['classes'])):
                index = np.where(pred_labels == label)[0]
                pred_bbox_scores = np.hstack([pred_bboxes[index], pred_scores[index].reshape((-1, 1))])
                dets.append(pred_bbox_scores)
            self.results.append((ann, dets))

    def compute_metrics(self, results, logger):
        gts, preds = zip(*results)
        eval_results = OrderedDict()
        dataset_type = self.dataset_meta.get('dataset_type')
        if dataset_type not in ['oid_challenge', 'oid_v6']:
            dataset_type = 'oid_v6'
            print_log('Cannot infer dataset type from the length of the classes. Set `oid_v6` as dataset type.', logger)
        mean_aps = []
        details = []
        for i, (iou_thr, ioa_thr) in enumerate(zip(self.iou_thrs, self.ioa_thrs)):
            if self.use_group_of:
                assert ioa_thr is not None, 'ioa_thr must have value when using group_of in evaluation.'
            print_log(f'\n{"-" * 15}iou_thr, ioa_thr: {iou_thr}, {ioa_thr}{"-" * 15}', logger)
            mean_ap, detail = eval_map(preds, gts, scale_ranges=self.scale_ranges, iou_thr=iou_thr, ioa_thr=ioa_thr,
                                       dataset=dataset_type, logger=logger, use_group_of=self.use_group_of)
            mean_aps.append(mean_ap)
            details.append(detail)
            eval_results[f'AP{int(iou_thr * 100):02d}'] = round(mean_ap, 3)
        eval_results['mAP'] = sum(mean_aps) / len(mean_aps)
        return eval_results, mean_aps, details


# ---- a case: files → dataset → metric ----
def f32(v):
    return float(np.float32(v))


def meta_pickle(filenames, shapes):
    metas = [dict(filename=f, ori_shape=(h, w, 3)) for f, (h, w) in zip(filenames, shapes)]
    return pickle.dumps(metas, protocol=2)  # mmengine's PickleHandler: protocol 2


def run_case(kind, files, params, predictions):
    meta = base64.b64decode(files['meta_file'])
    if kind == 'v6':
        ds = OpenImagesDataset(files['ann_file'], files['label_file'], meta, files['hierarchy'],
                               files['image_level_ann_file'])
    else:
        ds = OpenImagesChallengeDataset(files['ann_file'], files['label_file'], meta,
                                        base64.b64decode(files['hierarchy_npy']), files['image_level_ann_file'])
    metric = OpenImagesMetric(iou_thrs=params['iou_thrs'], ioa_thrs=params['ioa_thrs'],
                              get_supercategory=params['get_supercategory'], filter_labels=params['filter_labels'])
    metric.dataset_meta = ds._metainfo
    samples = []
    for info, pred in zip(ds.data_list, predictions):
        sample = copy.deepcopy(info)  # PackDetInputs' meta_keys: instances, image_level_labels
        sample['pred_instances'] = dict(
            bboxes=np.array(pred['bboxes'], dtype=np.float32).reshape(-1, 4),
            scores=np.array(pred['scores'], dtype=np.float32),
            labels=np.array(pred['labels'], dtype=np.int64))
        samples.append(sample)
    metric.process(None, samples)
    printed = Printed()
    printed.class_names = ds._metainfo['classes']
    metrics, mean_aps, details = metric.compute_metrics(metric.results, printed)
    data_list = []
    for info in ds.data_list:
        data_list.append(dict(
            img_id=info['img_id'], img_path=info['img_path'], height=int(info['height']), width=int(info['width']),
            instances=[dict(bbox=[f32(v) for v in ins['bbox']], bbox_label=int(ins['bbox_label']),
                            is_group_of=bool(ins['is_group_of'])) for ins in info['instances']],
            image_level_labels=(info['image_level_labels'].tolist() if 'image_level_labels' in info else None)))
    table = [[dict(name=ds._metainfo['classes'][j], gts=int(d['num_gts']), dets=int(d['num_dets']),
                   recall=float(d['recall'][-1]) if d['recall'].size > 0 else 0.0, ap=float(d['ap']))
              for j, d in enumerate(detail)] for detail in details]
    return dict(classes=ds._metainfo['classes'],
                relation=(np.asarray(ds._metainfo['RELATION_MATRIX']) != 0).astype(int).tolist(),
                data_list=data_list, metrics=dict(metrics), mean_aps=mean_aps, classes_table=table,
                printed=list(printed))


# ---- the cases ----
HEADER_V6 = 'ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside'


class V6Builder:
    def __init__(self, mids, names, hierarchy):
        self.mids, self.names, self.hierarchy = mids, names, hierarchy
        self.rows, self.images, self.shapes, self.levels, self.preds = [], [], [], [], {}

    def image(self, img_id, h, w):
        self.images.append(img_id)
        self.shapes.append((h, w))
        self.preds[img_id] = dict(bboxes=[], scores=[], labels=[])

    def box(self, img_id, cls, xmin, xmax, ymin, ymax, group=0, occluded=0, truncated=0, depiction=0, inside=0):
        self.rows.append(f'{img_id},xclick,{self.mids[cls]},1,{xmin},{xmax},{ymin},{ymax},{occluded},{truncated},'
                         f'{group},{depiction},{inside}')

    def level(self, img_id, cls, conf=1):
        self.levels.append(f'{img_id},verification,{self.mids[cls]},{conf}')

    def det(self, img_id, cls, box, score):
        p = self.preds[img_id]
        p['bboxes'].append([f32(v) for v in box])
        p['scores'].append(f32(score))
        p['labels'].append(cls)

    def files(self, with_levels=True):
        label = ''.join(f'{m},"{n}"\r\n' if ',' in n else f'{m},{n}\r\n' for m, n in zip(self.mids, self.names))
        return dict(label_file=label, ann_file=HEADER_V6 + '\n' + '\n'.join(self.rows) + '\n',
                    image_level_ann_file=('ImageID,Source,LabelName,Confidence\n' + '\n'.join(self.levels) + '\n')
                    if with_levels else None,
                    hierarchy=self.hierarchy,
                    meta_file=base64.b64encode(meta_pickle([f'validation/{i}.jpg' for i in self.images],
                                                           self.shapes)).decode())

    def predictions(self):
        return [self.preds[i] for i in self.images]


def node(mid, *subs):
    n = dict(LabelName=mid)
    if subs:
        n['Subcategory'] = list(subs)
    return n


def case_group_of():
    """Group-of boxes: several detections inside one (one TP carried by the best), an unmatched one (an FP of score 0),
    a detection that matches a plain box first, a duplicate on a plain box then absorbed by a group-of box."""
    mids = ['/m/01', '/m/02', '/m/03']
    b = V6Builder(mids, ['Flower', 'Person', 'Car'], dict(LabelName='/m/0bl9f', Subcategory=[node(m) for m in mids]))
    b.image('img0001', 480, 640)
    b.box('img0001', 0, 0.1, 0.5, 0.1, 0.6, group=1)       # a bed of flowers
    b.box('img0001', 1, 0.6, 0.7, 0.2, 0.5)
    b.box('img0001', 1, 0.62, 0.72, 0.21, 0.52)            # near duplicate plain person
    b.box('img0001', 1, 0.0, 1.0, 0.0, 1.0, group=1)      # a crowd over the whole image
    b.det('img0001', 0, [70, 60, 120, 110], 0.91)          # inside the flower group
    b.det('img0001', 0, [150, 150, 250, 250], 0.62)        # inside too: absorbed
    b.det('img0001', 0, [400, 300, 500, 400], 0.33)        # outside: FP
    b.det('img0001', 1, [385, 97, 449, 241], 0.88)         # person 1
    b.det('img0001', 1, [386, 98, 450, 242], 0.71)         # duplicate of person 1 (or 2) -> crowd
    b.det('img0001', 1, [10, 10, 40, 40], 0.55)            # in the crowd
    b.image('img0002', 300, 400)
    b.box('img0002', 2, 0.25, 0.5, 0.3, 0.6, group=1)      # a group of cars nobody finds
    b.box('img0002', 2, 0.6, 0.9, 0.6, 0.9)
    b.det('img0002', 2, [241, 181, 359, 268], 0.77)
    b.det('img0002', 0, [0, 0, 50, 50], 0.44)              # flower not annotated here: filtered
    b.level('img0002', 0, 0)                               # ... unless image-level: verified absent still allows
    b.image('img0003', 500, 333)
    b.box('img0003', 1, 0.1, 0.3, 0.1, 0.3, group=1)
    b.box('img0003', 1, 0.5, 0.9, 0.5, 0.9, group=1)
    b.det('img0003', 1, [40, 55, 90, 140], 0.66)           # group 1
    b.det('img0003', 1, [200, 300, 290, 420], 0.58)        # group 2
    b.det('img0003', 1, [210, 310, 280, 410], 0.81)        # group 2, better
    return 'v6', b.files(), b.predictions()


def case_hierarchy():
    """A 3-level hierarchy: GT expanded to every ancestor; predictions expanded to the ancestors the image holds (GT
    or image-level labels) and, with filter_labels, dropped for classes the image does not hold."""
    mids = ['/m/a', '/m/dog', '/m/puppy', '/m/cat', '/m/veh', '/m/car', '/m/bike']
    names = ['Animal', 'Dog', 'Puppy', 'Cat', 'Vehicle', 'Car', 'Bicycle']
    hier = dict(LabelName='/m/0bl9f', Subcategory=[
        node('/m/a', node('/m/dog', node('/m/puppy')), node('/m/cat')),
        node('/m/veh', node('/m/car'), node('/m/bike')),
        dict(LabelName='/m/cat', Part=[dict(LabelName='/m/dog')])])  # a node listed twice; 'Part' is not read
    b = V6Builder(mids, names, hier)
    b.image('h1', 400, 600)
    b.box('h1', 2, 0.1, 0.4, 0.2, 0.8)                     # a puppy: also Dog, Animal
    b.box('h1', 3, 0.5, 0.9, 0.5, 0.9, group=1)            # cats (group): also Animal (group)
    b.det('h1', 2, [61, 81, 239, 321], 0.9)                # puppy -> Dog, Animal
    b.det('h1', 1, [300, 200, 540, 360], 0.95)             # a dog on the cats: Dog FP first, Animal in the group
    b.det('h1', 5, [0, 0, 100, 100], 0.7)                  # a car: not in the image: dropped (and its ancestors)
    b.det('h1', 3, [320, 210, 500, 350], 0.6)
    b.image('h2', 240, 320)
    b.box('h2', 5, 0.0, 0.5, 0.0, 0.5)
    b.level('h2', 4)                                       # Vehicle verified: allowed
    b.level('h2', 6, 0)                                    # Bicycle verified absent: still allowed
    b.det('h2', 5, [1, 1, 160, 121], 0.85)
    b.det('h2', 6, [170, 10, 300, 200], 0.5)               # bike: allowed via image-level, no GT: FP
    b.det('h2', 0, [0, 0, 20, 20], 0.4)                    # Animal: not allowed: dropped
    b.image('h3', 100, 100)
    b.box('h3', 0, 0.2, 0.6, 0.2, 0.6)                     # only an Animal box
    b.det('h3', 2, [21, 19, 61, 59], 0.95)                 # Puppy not allowed (dropped) but expanded to Animal
    b.det('h3', 3, [22, 20, 60, 60], 0.35)                 # Cat likewise -> a second Animal (FP)
    return 'v6', b.files(), b.predictions()


def case_empty_images():
    """Images without detections, an image whose boxes are all of other classes, a class with detections only and a
    class with ground truth only, and no image-level file."""
    mids = ['/m/x', '/m/y', '/m/z', '/m/w']
    b = V6Builder(mids, ['Apple', 'Pear, ripe', 'Plum', 'Fig'],
                  dict(LabelName='/m/0bl9f', Subcategory=[node('/m/x', node('/m/y')), node('/m/z'), node('/m/w')]))
    b.image('e1', 200, 200)
    b.box('e1', 0, 0.1, 0.2, 0.1, 0.2)
    b.image('e2', 300, 100)
    b.box('e2', 2, 0.1, 0.9, 0.1, 0.9)
    b.det('e2', 2, [11, 31, 89, 269], 0.8)
    b.det('e2', 3, [0, 0, 10, 10], 0.7)                    # Fig: no GT anywhere (filtered: not allowed)
    b.image('e3', 50, 80)
    b.box('e3', 1, 0.0, 1.0, 0.0, 1.0, group=1)            # Pear group -> also Apple group
    b.image('e4', 120, 90)
    b.box('e4', 2, 0.5, 0.6, 0.5, 0.6)
    b.det('e4', 0, [0, 0, 30, 30], 0.6)                    # Apple not in e4: dropped
    return 'v6', b.files(with_levels=False), b.predictions()


def case_random(seed, n_images, n_classes, params_note):
    rng = np.random.default_rng(seed)
    mids = [f'/m/r{k:02d}' for k in range(n_classes)]
    names = [f'class{k}' for k in range(n_classes)]
    # a tree: classes 0..2 roots, each later class a child of a random earlier one
    children = defaultdict(list)
    for k in range(3, n_classes):
        children[int(rng.integers(k))].append(k)

    def tree(k):
        return node(mids[k], *[tree(c) for c in children[k]])
    b = V6Builder(mids, names, dict(LabelName='/m/0bl9f', Subcategory=[tree(k) for k in range(3)]))
    used = set()
    for i in range(n_images):
        img = f'{i:04x}{seed:02d}'
        h, w = int(rng.integers(200, 900)), int(rng.integers(200, 900))
        b.image(img, h, w)
        boxes = []
        for _ in range(int(rng.integers(1, 9))):
            cls = int(rng.integers(n_classes))
            x0, y0 = [round(float(v), 6) for v in rng.uniform(0, 0.8, 2)]
            x1, y1 = round(min(1.0, x0 + float(rng.uniform(0.05, 0.5))), 6), round(min(1.0, y0 + float(rng.uniform(0.05, 0.5))), 6)
            group = int(rng.random() < 0.2)
            b.box(img, cls, x0, x1, y0, y1, group=group, occluded=int(rng.random() < 0.3), truncated=int(rng.random() < 0.2))
            boxes.append((cls, x0 * w, y0 * h, x1 * w, y1 * h))
        for _ in range(int(rng.integers(0, 4))):
            b.level(img, int(rng.integers(n_classes)), int(rng.random() < 0.7))
        for _ in range(int(rng.integers(0, 14))):
            if boxes and rng.random() < 0.7:
                cls, x0, y0, x1, y1 = boxes[int(rng.integers(len(boxes)))]
                bw, bh = x1 - x0, y1 - y0
                j = rng.normal(0, 0.15, 4) * np.array([bw, bh, bw, bh])
                if rng.random() < 0.3:  # a part of the box (inside a group-of one)
                    s = float(rng.uniform(0.2, 0.6))
                    box = [x0 + bw * 0.1, y0 + bh * 0.1, x0 + bw * (0.1 + s), y0 + bh * (0.1 + s)]
                else:
                    box = [x0 + j[0], y0 + j[1], x1 + j[2], y1 + j[3]]
                if rng.random() < 0.25:
                    cls = int(rng.integers(n_classes))
            else:
                cls = int(rng.integers(n_classes))
                x0, y0 = float(rng.uniform(0, w * 0.8)), float(rng.uniform(0, h * 0.8))
                box = [x0, y0, x0 + float(rng.uniform(5, w * 0.3)), y0 + float(rng.uniform(5, h * 0.3))]
            s = f32(rng.random())
            while s in used:
                s = f32(rng.random())
            used.add(s)
            b.det(img, cls, [round(float(v), 3) for v in box], s)
    return 'v6', b.files(), b.predictions()


def case_challenge():
    """The challenge layout: ids in the label file out of order, a txt with an image without boxes, a .npy hierarchy."""
    rows = [('/m/c3', 'Cow', 3), ('/m/c1', 'Mammal', 1), ('/m/c2', 'Horse', 2), ('/m/c4', 'Boat', 4)]
    label = ''.join(f'{m},{n},{i}\n' for m, n, i in rows)
    # class_label_tree.np: (classes + 1) square, row / col 0 a root; label = id - 1
    tree = np.eye(5, dtype=np.float64)
    tree[2, 1] = tree[3, 1] = 1  # Horse, Cow -> Mammal
    tree[1:, 0] = 1
    buf = io.BytesIO()
    np.save(buf, tree)
    imgs = [('c_a.jpg', 400, 500, [(2, 0.1, 0.1, 0.5, 0.5, 0), (3, 0.5, 0.5, 0.9, 0.95, 1)]),
            ('c_b.jpg', 300, 300, []),
            ('c_c.jpg', 256, 512, [(4, 0.0, 0.2, 0.4, 0.6, 0), (1, 0.5, 0.0, 1.0, 0.5, 0)])]
    lines = []
    for f, h, w, boxes in imgs:
        lines.append(f)
        lines.append(f'{w} {h}')
        lines.append(str(len(boxes)))
        for lab, a, bb, c, d, g in boxes:
            lines.append(f'{lab} {a} {bb} {c} {d} {g}')
    levels = 'ImageID,LabelName,Confidence\nc_b,/m/c4,1\nc_c,/m/c2,0\n'
    preds = [dict(bboxes=[[51, 41, 249, 199], [260, 210, 440, 370], [300, 250, 420, 360]], scores=[0.9, 0.8, 0.7],
                  labels=[1, 2, 2]),
             dict(bboxes=[[10, 10, 100, 100]], scores=[0.97], labels=[3]),  # Boat allowed by the image-level label: an FP
             dict(bboxes=[[0, 51, 204, 153], [257, 1, 511, 127], [260, 0, 500, 120]], scores=[0.95, 0.6, 0.3],
                  labels=[3, 0, 1])]
    preds = [dict(bboxes=[[f32(v) for v in bx] for bx in p['bboxes']], scores=[f32(s) for s in p['scores']],
                  labels=p['labels']) for p in preds]
    files = dict(label_file=label, ann_file='\n'.join(lines) + '\n', image_level_ann_file=levels,
                 hierarchy_npy=base64.b64encode(buf.getvalue()).decode(),
                 meta_file=base64.b64encode(meta_pickle([f'challenge2019/validation/{f}' for f, _, _, _ in imgs],
                                                        [(h, w) for _, h, w, _ in imgs])).decode())
    return 'challenge', files, preds


def main():
    out = os.path.join(sys.argv[1] if len(sys.argv) > 1 else 'src/test/resources/goldens', 'openimages_eval')
    os.makedirs(out, exist_ok=True)
    default = dict(iou_thrs=[0.5], ioa_thrs=[0.5], get_supercategory=True, filter_labels=True)
    cases = [
        ('group_of', case_group_of(), default),
        ('hierarchy', case_hierarchy(), default),
        ('hierarchy_no_filter_no_supercategory', case_hierarchy(),
         dict(iou_thrs=[0.5], ioa_thrs=[0.5], get_supercategory=False, filter_labels=False)),
        ('hierarchy_supercategory_no_filter', case_hierarchy(),
         dict(iou_thrs=[0.5], ioa_thrs=[0.5], get_supercategory=True, filter_labels=False)),
        ('empty_images', case_empty_images(), default),
        ('random_two_thresholds', case_random(1, 30, 8, ''),
         dict(iou_thrs=[0.5, 0.75], ioa_thrs=[0.5, 0.6], get_supercategory=True, filter_labels=True)),
        ('random_many', case_random(2, 60, 12, ''), default),
        ('challenge', case_challenge(), default),
    ]
    for name, (kind, files, preds), params in cases:
        expected = run_case(kind, files, params, preds)
        doc = dict(kind=kind, files=files, params=params, predictions=preds, expected=expected)
        with open(os.path.join(out, name + '.json'), 'w') as f:
            json.dump(doc, f, indent=1)
        print(name, expected['metrics'])


if __name__ == '__main__':
    main()
