"""Writes src/test/resources/goldens/numpy_random/*.json: numpy's legacy RandomState draws, the ones
tools/misc/split_coco.py (MMDetection 3.3.0) makes: np.random.seed(fold); np.random.choice(range(n), size=k).

Each case: a seed, the first raw 32-bit outputs of MT19937 after np.random.seed(seed) (read back through
randint(0, 2**32, dtype=uint64), which numpy fills with plain 32-bit draws), and for several `high` values
np.random.choice(range(high), size) after re-seeding (equal to randint(0, high, size) for the legacy RandomState;
checked here). Needs numpy (checked with 1.24). Run: /usr/bin/python3 scripts/goldens/numpy_random.py [OUT_DIR]
"""
import json
import os
import sys

import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'src', 'test',
                                                          'resources', 'goldens', 'numpy_random')
SEEDS = [0, 1, 2, 3, 5, 10, 42, 12345, 2**31 - 1, 2**31, 2**32 - 1]
# 118287 = COCO train2017's image count; powers of two and their neighbours exercise the mask and the rejection
HIGHS = [1, 2, 3, 5, 7, 8, 9, 10, 100, 127, 128, 129, 1000, 65535, 65536, 65537, 118287, 2**31 - 1, 2**31, 2**31 + 1,
         3 * 2**30 + 7, 2**32 - 1, 2**32]


def main():
    os.makedirs(OUT, exist_ok=True)
    for seed in SEEDS:
        np.random.seed(seed)
        raw = np.random.randint(0, 2**32, size=1300 if seed in (0, 5, 2**32 - 1) else 40, dtype=np.uint64)  # 1300 spans two reloads
        draws = []
        for i, high in enumerate(HIGHS):
            size = [0, 1, 5, 40, 300][i % 5] if high > 1 else 7
            np.random.seed(seed)
            choice = np.random.choice(range(high), size=size) if high <= 2**20 else None  # choice builds the range as an array
            np.random.seed(seed)
            values = np.random.randint(0, high, size=size)
            if choice is not None:
                assert (choice == values).all(), (seed, high)
            draws.append(dict(high=high, size=size, values=[int(v) for v in values]))
        with open(os.path.join(OUT, f'seed_{seed}.json'), 'w') as f:
            json.dump(dict(seed=seed, numpy=np.__version__, raw_uint32=[int(v) for v in raw], draws=draws), f)
    print('wrote', len(SEEDS), 'cases to', OUT)


if __name__ == '__main__':
    main()
