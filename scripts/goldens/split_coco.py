"""Writes the expected outputs of src/test/resources/goldens/split_coco/<case>/: MMDetection 3.3.0's
tools/misc/split_coco.py run on each case's annotation file.

split_coco() below is the script's function transcribed with the standard library in place of mmcv (which is not
installed here, and whose 2.x release, MMDetection 3.3.0's requirement, no longer has mmcv.load / mmcv.dump: they
moved to mmengine): mmcv.load / mmengine.load of a .json path is json.load of the file read as UTF-8, and
mmcv.dump(obj, path) is json.dump(obj, f) (their json handler adds only default=set_default, for numpy and set values
that a loaded json does not hold). The argument list is built as the script's __main__ (folds 1..K outer, percents
inner; each percent through float(), as argparse's type=float), run one after the other instead of in a pool.

Each case folder has case.json: {"ann_file": FILE (relative to the case folder, or a path starting with ../shared/
taken from the repository root), "fold": K, "labeled_percent": [P, ...] (as typed on the command line; null: the default),
"store_outputs": bool}. This script adds "sha256": {output file name: sha256 of its bytes} and, when store_outputs,
writes the outputs to <case>/expected/. Needs numpy (checked with 1.24).
Run: /usr/bin/python3 scripts/goldens/split_coco.py [GOLDEN_DIR]
"""
import hashlib
import json
import os
import os.path as osp
import shutil
import sys
import tempfile

import numpy as np

ROOT = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..')
GOLDEN = sys.argv[1] if len(sys.argv) > 1 else osp.join(ROOT, 'src', 'test', 'resources', 'goldens', 'split_coco')


def split_coco(ann_file, out_dir, percent, fold):
    """tools/misc/split_coco.py's split_coco(), with ann_file given instead of data_root."""

    def save_anns(name, images, annotations):
        sub_anns = dict()
        sub_anns['images'] = images
        sub_anns['annotations'] = annotations
        sub_anns['licenses'] = anns['licenses']
        sub_anns['categories'] = anns['categories']
        sub_anns['info'] = anns['info']

        os.makedirs(out_dir, exist_ok=True)  # mmcv.mkdir_or_exist
        with open(f'{out_dir}/{name}.json', 'w', encoding='utf-8') as f:  # mmcv.dump
            json.dump(sub_anns, f)

    # set random seed with the fold
    np.random.seed(fold)
    with open(ann_file, encoding='utf-8') as f:  # mmcv.load
        anns = json.load(f)

    image_list = anns['images']
    labeled_total = int(percent / 100. * len(image_list))
    labeled_inds = set(
        np.random.choice(range(len(image_list)), size=labeled_total))
    labeled_ids, labeled_images, unlabeled_images = [], [], []

    for i in range(len(image_list)):
        if i in labeled_inds:
            labeled_images.append(image_list[i])
            labeled_ids.append(image_list[i]['id'])
        else:
            unlabeled_images.append(image_list[i])

    # get all annotations of labeled images
    labeled_ids = set(labeled_ids)
    labeled_annotations, unlabeled_annotations = [], []

    for ann in anns['annotations']:
        if ann['image_id'] in labeled_ids:
            labeled_annotations.append(ann)
        else:
            unlabeled_annotations.append(ann)

    # save labeled and unlabeled
    labeled_name = f'instances_train2017.{fold}@{percent}'
    unlabeled_name = f'instances_train2017.{fold}@{percent}-unlabeled'

    save_anns(labeled_name, labeled_images, labeled_annotations)
    save_anns(unlabeled_name, unlabeled_images, unlabeled_annotations)


def main():
    for case in sorted(os.listdir(GOLDEN)):
        folder = osp.join(GOLDEN, case)
        spec_file = osp.join(folder, 'case.json')
        if not osp.isfile(spec_file):
            continue
        with open(spec_file) as f:
            spec = json.load(f)
        ann = spec['ann_file']
        ann = osp.join(ROOT, ann) if ann.startswith('../shared/') else osp.join(folder, ann)
        if not osp.isfile(ann):
            print(f'{case}: {ann} not found, skipped')
            continue
        out = tempfile.mkdtemp()
        fold = int(spec['fold'])
        # argparse: type=float converts what is typed; the default [1, 2, 5, 10] stays ints (names @1, not @1.0)
        percents = [1, 2, 5, 10] if spec['labeled_percent'] is None else [float(p) for p in spec['labeled_percent']]
        for f, p in [(f, p) for f in range(1, fold + 1) for p in percents]:
            split_coco(ann, out, p, f)
        spec['sha256'] = {}
        for name in sorted(os.listdir(out)):
            with open(osp.join(out, name), 'rb') as f:
                spec['sha256'][name] = hashlib.sha256(f.read()).hexdigest()
        expected = osp.join(folder, 'expected')
        shutil.rmtree(expected, ignore_errors=True)
        if spec.get('store_outputs'):
            shutil.copytree(out, expected)
        shutil.rmtree(out)
        with open(spec_file, 'w') as f:
            json.dump(spec, f, indent=1)
            f.write('\n')
        print(f'{case}: {len(spec["sha256"])} outputs')


if __name__ == '__main__':
    main()
