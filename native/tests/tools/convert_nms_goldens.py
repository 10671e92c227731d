#!/usr/bin/env python3
"""Convert shared/goldens/nms/*.json into text for native tests:
line1 'AANMS1 n thr', then n lines 'x1 y1 x2 y2 score label', then 'k' and the keep_mmcv indices sorted
by (score desc, index asc)."""
import json, os, sys
src, dst, cases = sys.argv[1], sys.argv[2], sys.argv[3:]
for case in cases:
    d = json.load(open(os.path.join(src, case + '.json')))
    n = len(d['boxes'])
    keep = sorted(d['keep_mmcv'], key=lambda i: (-d['scores'][i], i))
    lines = [f"AANMS1 {n} {d['iou_threshold']!r}"]
    for b, s, l in zip(d['boxes'], d['scores'], d['labels']):
        lines.append(' '.join(repr(float(v)) for v in b) + f' {float(s)!r} {int(l)}')
    lines.append(str(len(keep)) + ' ' + ' '.join(str(i) for i in keep))
    open(os.path.join(dst, case + '.txt'), 'w').write('\n'.join(lines) + '\n')
