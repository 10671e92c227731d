"""Writes src/test/resources/goldens/mmdet_results/: MMDetection 3.x `tools/test.py --out results.pkl` files as
DumpDetResults writes them (mmengine.dump: pickle protocol 2, one dict per image with its meta and
`pred_instances` of CPU tensors), each beside `<case>.expected.json`, the COCO results that CocoMetric.results2json
makes of them, and the ground truth `gt.json` they refer to; for DetResultsPickleGoldenTest.

- dump_protocol2.pkl: as MMDetection writes it (contiguous tensors, one image without detections);
- dump_protocol4_views.pkl: `pickle.dump` at protocol 4 (BINBYTES, memo), tensors that are views (storage offsets,
  transposed strides, a storage shared by two tensors), as a user's own script could write them;
- java_written.pkl is written by the engine (DetResultsPickleGoldenTest.WRITTEN, `eval --out`): `--check` loads it
  with torch and asserts that it holds exactly JAVA_WRITTEN below.

Needs torch (1.13 here). Run: python3 scripts/goldens/mmdet_results.py [GOLDENS_DIR]
                          or: python3 scripts/goldens/mmdet_results.py --check [GOLDENS_DIR]
"""
import json
import os
import pickle
import sys

import torch

CAT_IDS = [1, 3, 7]  # label k -> CAT_IDS[k] (the categories in id order)

GT = {
    'images': [{'id': 5, 'file_name': 'a.jpg', 'height': 60, 'width': 80},
               {'id': 17, 'file_name': 'b.jpg', 'height': 100, 'width': 50},
               {'id': 42, 'file_name': 'c.jpg', 'height': 30, 'width': 30}],
    'categories': [{'id': 1, 'name': 'cat'}, {'id': 3, 'name': 'dog'}, {'id': 7, 'name': 'bird'}],
    'annotations': [{'id': 1, 'image_id': 5, 'category_id': 1, 'bbox': [10, 10, 20, 15], 'area': 300, 'iscrowd': 0},
                    {'id': 2, 'image_id': 17, 'category_id': 7, 'bbox': [5, 40, 30, 40], 'area': 1200, 'iscrowd': 0}],
}


def meta(img_id, name, ori, img, scale):
    return {'img_id': img_id, 'img_path': 'data/images/' + name, 'ori_shape': ori, 'img_shape': img,
            'scale_factor': scale, 'batch_input_shape': (800, 1216), 'pad_shape': (800, 1216)}


def results2json(results):
    """CocoMetric.results2json (bbox part) with xyxy2xywh."""
    out = []
    for r in results:
        p = r['pred_instances']
        bboxes, scores, labels = p['bboxes'].numpy(), p['scores'].numpy(), p['labels'].numpy()
        for i, label in enumerate(labels):
            b = bboxes[i].tolist()
            out.append({'image_id': r['img_id'], 'bbox': [b[0], b[1], b[2] - b[0], b[3] - b[1]],
                        'score': float(scores[i]), 'category_id': CAT_IDS[label]})
    return out


def case_protocol2():
    g = torch.Generator().manual_seed(0)
    xy = torch.rand(4, 2, generator=g) * 40
    boxes = torch.cat([xy, xy + 1 + torch.rand(4, 2, generator=g) * 30], 1)
    return [dict(meta(5, 'a.jpg', (60, 80), (800, 1067), (13.3375, 13.333333)), pred_instances={
                'bboxes': boxes, 'scores': torch.tensor([0.91, 0.5, 0.25, 0.0625]),
                'labels': torch.tensor([0, 2, 2, 1])}),
            dict(meta(17, 'b.jpg', (100, 50), (1333, 667), (13.34, 13.33)), pred_instances={
                'bboxes': torch.zeros(0, 4), 'scores': torch.zeros(0), 'labels': torch.zeros(0, dtype=torch.long)}),
            dict(meta(42, 'c.jpg', (30, 30), (800, 800), (26.666666, 26.666666)), pred_instances={
                'bboxes': torch.tensor([[1.5, 2.25, 29.0, 28.125]]), 'scores': torch.tensor([0.75]),
                'labels': torch.tensor([1])})]


def case_views():
    g = torch.Generator().manual_seed(1)
    big = torch.rand(6, 4, generator=g) * 20
    big[:, 2:] += big[:, :2] + 1
    boxes_t = big[1:4].t().contiguous().t()  # strides (1, 3)
    shared = torch.tensor([0.9, 0.8, 0.7, 0.6, 2.0, 1.0, 0.0, 2.0])  # scores and labels-as-float share one storage
    return [dict(meta(17, 'b.jpg', (100, 50), (1333, 667), (13.34, 13.33)), pred_instances={
                'bboxes': boxes_t, 'scores': shared[1:4], 'labels': torch.tensor([9, 2, 0, 1])[1:]}),
            dict(meta(5, 'a.jpg', (60, 80), (800, 1067), (13.3375, 13.333333)), pred_instances={
                'bboxes': big[4:], 'scores': shared[:2], 'labels': torch.arange(2)})]


# what DetResultsPickleGoldenTest writes through DetResultsPickle.write (eval --out)
JAVA_WRITTEN = [
    {'img_id': 5, 'img_path': 'data/images/a.jpg', 'ori_shape': (60, 80), 'img_shape': (800, 1067),
     'scale_factor': (13.3375, 13.333333333333334), 'batch_input_shape': (800, 1088), 'pad_shape': (800, 1088),
     'pred_instances': {'bboxes': torch.tensor([[1.0, 2.5, 30.25, 40.0], [0.0, 0.0, 80.0, 60.0]]),
                        'scores': torch.tensor([0.875, 0.0625]), 'labels': torch.tensor([2, 0])}},
    {'img_id': 42, 'img_path': 'data/images/c.jpg', 'ori_shape': (30, 30), 'img_shape': (800, 800),
     'scale_factor': (26.666666666666668, 26.666666666666668), 'batch_input_shape': (800, 1088), 'pad_shape': (800, 800),
     'pred_instances': {'bboxes': torch.zeros(0, 4), 'scores': torch.zeros(0), 'labels': torch.zeros(0, dtype=torch.long)}},
]


def same(a, b):
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def main():
    args = [a for a in sys.argv[1:] if a != '--check']
    out = os.path.join(args[0] if args else 'src/test/resources/goldens', 'mmdet_results')
    if '--check' in sys.argv:
        with open(os.path.join(out, 'java_written.pkl'), 'rb') as f:
            got = pickle.load(f)
        assert same(JAVA_WRITTEN, got), got
        print('java_written.pkl: torch', torch.__version__, 'loads exactly the expected results')
        return
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, 'gt.json'), 'w') as f:
        json.dump(GT, f)
    for name, results, protocol in [('dump_protocol2', case_protocol2(), 2), ('dump_protocol4_views', case_views(), 4)]:
        with open(os.path.join(out, name + '.pkl'), 'wb') as f:
            pickle.dump(results, f, protocol=protocol)
        with open(os.path.join(out, name + '.expected.json'), 'w') as f:
            json.dump(results2json(results), f)
        print(name, sum(len(r['pred_instances']['labels']) for r in results), 'detections')


if __name__ == '__main__':
    main()
