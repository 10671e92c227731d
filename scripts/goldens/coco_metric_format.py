"""Writes src/test/resources/goldens/coco_metric_format/cases.json: what MMDetection 3.3's CocoMetric writes and logs
around COCOeval's numbers, for CocoMetricFormatGoldenTest. Needs only Python 3 and numpy 1.x (no MMDetection).

Transcribed from mmdet/evaluation/metrics/coco_metric.py (v3.3.0):
* results2json / xyxy2xywh: per image, per detection dict(image_id, bbox=[x1, y1, x2 - x1, y2 - y1] of
  `bboxes[i].tolist()` (float32 widened, subtracted in double), score=float(scores[i]), category_id=cat_ids[label]),
  dumped by mmengine.dump (json.dump with default separators, no indent, no trailing newline);
* compute_metrics: `eval_results[f'bbox_{item}'] = float(f'{round(val, 3)}')` with `val` a numpy.float64 of
  COCOeval.stats, so numpy's round (x * 1000, rint, / 1000), not Python's correctly rounded one; the classwise cells
  `f'{round(ap, 3)}'` and `<name>_precision = round(ap, 3)` with `ap = np.mean(...)` likewise (nan stays nan);
  `bbox_mAP_copypaste: {ap[0]:.3f} ...`;
and from mmengine/runner/log_processor.py (v0.10): each float of the `Epoch(val)` line as f'{val:.4f}'.

Run: python3 scripts/goldens/coco_metric_format.py [GOLDENS_DIR]   (default src/test/resources/goldens)
"""
import json
import os
import random
import struct
import sys

import numpy as np


def xyxy2xywh(bbox):
    _bbox = bbox.tolist()
    return [_bbox[0], _bbox[1], _bbox[2] - _bbox[0], _bbox[3] - _bbox[1]]


def results2json(results, cat_ids):
    out = []
    for idx, result in enumerate(results):
        image_id = result.get('img_id', idx)
        for i, label in enumerate(result['labels']):
            data = dict()
            data['image_id'] = image_id
            data['bbox'] = xyxy2xywh(result['bboxes'][i])
            data['score'] = float(result['scores'][i])
            data['category_id'] = cat_ids[label]
            out.append(data)
    return out


def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]


def main():
    goldens = sys.argv[1] if len(sys.argv) > 1 else 'src/test/resources/goldens'
    out_dir = os.path.join(goldens, 'coco_metric_format')
    os.makedirs(out_dir, exist_ok=True)
    rng = random.Random(20240607)

    # 1. metric values: near-ties of the third decimal (where numpy's round and Python's differ), plain values, -1, nan
    values = [0.3885, 0.2725, 0.9925, 0.3535, 0.7795, 0.0625, 0.1875, 0.0005, 0.0015, 0.4045, 0.40449999999999997,
              0.5, 1.0, 0.0, -1.0, 0.404, 0.123456789, 0.99951, 0.9995, float('nan')]
    for _ in range(300):
        k = rng.randrange(0, 1000)
        values.append(float(np.nextafter((k + 0.5) / 1000, rng.choice([0.0, 1.0])) if rng.random() < 0.3
                            else (k + 0.5) / 1000))
    for _ in range(100):
        values.append(rng.random())
    metrics = []
    for v in values:
        x = np.float64(v)
        r = round(x, 3)
        reported = float(f'{r}')
        metrics.append({'hex': float(v).hex(), 'cell': f'{r}', 'reported_repr': repr(reported),
                        'copypaste': f'{x:.3f}', 'log4': f'{reported:.4f}'})

    # 2. Python's repr of doubles: float32 values widened (coordinates, scores, differences) and doubles
    doubles = [1e-05, 1e-4, 5e-324, 2.2250738585072014e-308, 1e16, 1e15, 123456789012345678.0, 2.82879384806159e17,
               1e23, 2e23, 0.1, 0.3, 1 / 3, 100.0, 1.5, -0.0, -2.5e-07, 9.5367431640625e-07, 2.0 ** 60, 2.0 ** -30]
    for _ in range(400):
        doubles.append(f32(rng.uniform(0, 1333)))
        doubles.append(f32(rng.uniform(0, 800)) - f32(rng.uniform(0, 800)))
        doubles.append(f32(10 ** rng.uniform(-9, 0)))
        doubles.append(struct.unpack('<d', struct.pack('<Q', rng.getrandbits(63)))[0])
    doubles = [d for d in doubles if d == d and abs(d) != float('inf')]
    reprs = [{'hex': d.hex(), 'repr': repr(d)} for d in doubles]

    # 3. results2json of two images (float32 boxes / scores as the model gives them), the bytes mmengine.dump writes
    cat_ids = [1, 2, 3, 5, 90]
    results = []
    for img_id in (397133, 42):
        n = 6
        x1 = np.array([rng.uniform(0, 600) for _ in range(n)], dtype=np.float32)
        y1 = np.array([rng.uniform(0, 400) for _ in range(n)], dtype=np.float32)
        w = np.array([rng.uniform(0.001, 300) for _ in range(n)], dtype=np.float32)
        h = np.array([rng.uniform(0.001, 300) for _ in range(n)], dtype=np.float32)
        bboxes = np.stack([x1, y1, x1 + w, y1 + h], axis=1).astype(np.float32)
        scores = np.array([10 ** rng.uniform(-6, 0) for _ in range(n)], dtype=np.float32)
        labels = np.array([rng.randrange(len(cat_ids)) for _ in range(n)], dtype=np.int64)
        results.append({'img_id': img_id, 'bboxes': bboxes, 'scores': scores, 'labels': labels})
    dets = results2json(results, cat_ids)
    results_case = {'cat_ids': cat_ids, 'images': [
        {'img_id': r['img_id'], 'bboxes_hex': [[float(v).hex() for v in b] for b in r['bboxes']],
         'scores_hex': [float(s).hex() for s in r['scores']], 'labels': [int(l) for l in r['labels']]} for r in results],
        'text': json.dumps(dets), 'empty_text': json.dumps(results2json([], cat_ids))}

    with open(os.path.join(out_dir, 'cases.json'), 'w') as f:
        json.dump({'metrics': metrics, 'repr': reprs, 'results2json': results_case}, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
