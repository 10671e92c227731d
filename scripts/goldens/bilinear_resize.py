"""Writes src/test/resources/goldens/bilinear_resize/*.json: torch.nn.functional.interpolate(mode='bilinear',
align_corners=False) of small random NCHW float32 inputs (what MMDetection's BatchSyncRandomResize runs on a batch),
for BatchSyncRandomResizeGoldenTest. Needs torch. Run: python3 scripts/goldens/bilinear_resize.py [OUT_DIR]
"""
import json
import os
import sys

import torch
import torch.nn.functional as F


def case(name, shape, size, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g) * 50
    y = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    return dict(name=name, torch=torch.__version__, shape=list(shape), size=list(size),
                x=x.flatten().tolist(), y=y.flatten().tolist())


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/goldens/bilinear_resize"
    os.makedirs(out, exist_ok=True)
    cases = [case("up_2x3x8x12_to_11x17", (2, 3, 8, 12), (11, 17), 1),
             case("down_1x3x20x16_to_7x9", (1, 3, 20, 16), (7, 9), 2),
             case("mixed_1x2x9x10_to_14x6", (1, 2, 9, 10), (14, 6), 3),
             case("wide_1x3x16x32_to_24x48", (1, 3, 16, 32), (24, 48), 4)]
    for c in cases:
        with open(os.path.join(out, c["name"] + ".json"), "w") as f:
            json.dump(c, f)
    print("wrote", len(cases), "cases to", out)


if __name__ == "__main__":
    main()
