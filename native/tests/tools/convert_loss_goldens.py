#!/usr/bin/env python3
"""Convert shared/goldens/autoassign_loss/*.json (MMDetection v3.3.0 float64) into the plain-text
format read by native/tests/host_tests.cpp (image-major layouts, no JSON parser needed in C++).

usage: convert_loss_goldens.py GOLDEN_DIR OUT_DIR case1 [case2 ...]
"""
import json, os, sys

def img_major(levels, sizes, B, ch, b):
    """per-level flat NCHW lists -> image b's [P, ch] row-major list"""
    out = []
    for lv, (h, w) in zip(levels, sizes):
        for i in range(h):
            for j in range(w):
                for c in range(ch):
                    out.append(lv[((b * ch + c) * h + i) * w + j])
    return out

def main():
    src, dst, cases = sys.argv[1], sys.argv[2], sys.argv[3:]
    for case in cases:
        d = json.load(open(os.path.join(src, case + '.json')))
        C, strides, sizes = d['num_classes'], d['strides'], d['featmap_sizes']
        inp, out = d['inputs'], d['outputs']
        B = len(inp['gt_bboxes'])
        g = out['grads_total']
        lines = ['AAGOLD1', case, f'{B} {C} {len(sizes)}',
                 ' '.join(f'{h} {w}' for h, w in sizes), ' '.join(str(s) for s in strides),
                 ' '.join(repr(float(v)) for v in inp['center_prior_mean']),
                 ' '.join(repr(float(v)) for v in inp['center_prior_sigma'])]
        for b in range(B):
            boxes, labels = inp['gt_bboxes'][b], inp['gt_labels'][b]
            lines.append(str(len(boxes)))
            for bx, lb in zip(boxes, labels):
                lines.append(' '.join(repr(float(v)) for v in bx) + f' {int(lb)}')
        for b in range(B):
            for key, ch in (('cls_scores', C), ('bbox_preds', 4), ('objectnesses', 1)):
                lines.append(' '.join(repr(float(v)) for v in img_major(inp[key], sizes, B, ch, b)))
        lines.append(f"{out['loss_pos']!r} {out['loss_neg']!r} {out['loss_center']!r}")
        for b in range(B):
            for key, ch in (('cls_scores', C), ('bbox_preds', 4), ('objectnesses', 1)):
                lines.append(' '.join(repr(float(v)) for v in img_major(g[key], sizes, B, ch, b)))
        lines.append(' '.join(repr(float(v)) for v in g['center_prior_mean']))
        lines.append(' '.join(repr(float(v)) for v in g['center_prior_sigma']))
        with open(os.path.join(dst, case + '.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')

if __name__ == '__main__':
    main()
