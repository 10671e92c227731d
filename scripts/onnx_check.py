#!/usr/bin/env python3
"""Runs exported ONNX models with ONNX Runtime and compares them with the engine's own outputs.

For every NAME_*.safetensors file in DIR (written by the Java side:
  mvn test -Dtest=OnnxRuntimeCases -Donnx.check.dir=DIR -DbuildDir=...)
it loads the model named by the file's metadata ("model": NAME.onnx), checks it with onnx.checker
(full_check: shape inference too), runs it on the stored "image" with the CPU execution provider and prints,
per output, the max absolute difference and the max difference relative to the output's scale
(max|ort - engine| / max|engine|). Exit code 1 when any relative difference exceeds --tol.
A --postprocess model (outputs dets [N, max_per_img, 5], labels [N, max_per_img]: each image's detections first,
then padding rows of 0,0,0,0,0 and label -1) is compared as detections instead: the padding checked, then per image
one-to-one matching by label within 1e-2 px and 1e-5 in score, with the largest differences; then its
post-processing nodes alone (onnx.utils.extract_model) run on the head outputs stored in the case (the engine's
forward, or for a "heads": "stress" case OnnxTestModels.stressHeads of it, compared with head_dets / head_labels),
which must give the engine's detections bit for bit, in order, padding included; exit code 1 when any detection stays
unmatched or that comparison differs.

Needs numpy, onnx and onnxruntime (e.g. pip install --target /tmp/ort onnxruntime onnx;
PYTHONPATH=/tmp/ort python3 scripts/onnx_check.py DIR).
"""
import argparse
import json
import pathlib
import struct
import sys

import numpy as np


def read_safetensors(path):
    """(tensors, metadata) of a safetensors file (float32 / int64 only), without the safetensors package."""
    data = pathlib.Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = data[8 + n:]
    dtypes = {"F32": np.float32, "I64": np.int64}
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(body[b:end], dtype=dtypes[e["dtype"]]).reshape(e["shape"])
    return out, meta


def write_safetensors(path, tensors, metadata):
    """Writes float32 and int64 tensors (in the given order; others as float32) and string metadata as a safetensors file."""
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name, a in tensors.items():
        a = np.ascontiguousarray(a, dtype=np.int64 if a.dtype == np.int64 else np.float32)
        dtype = "I64" if a.dtype == np.int64 else "F32"
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    pathlib.Path(path).write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def run(model_path, image):
    """ONNX Runtime (CPU, all graph optimisations) outputs by name, after onnx.checker."""
    import onnx
    import onnxruntime as ort
    onnx.checker.check_model(onnx.load(str(model_path)), full_check=True)
    sess = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, {"image": image})))


def split_padded(dets, labels):
    """Per image of dets [N, P, 5] / labels [N, P]: (dets [K, 5], labels [K]) of its rows with a label >= 0, which
    must come first; raises ValueError when a row after them is not padding (0,0,0,0,0 as +0.0 bits, label -1)."""
    out = []
    for b in range(dets.shape[0]):
        valid = labels[b] >= 0
        k = int(valid.sum())
        if not valid[:k].all():
            raise ValueError(f"image {b}: a padding row before a detection")
        if (labels[b, k:] != -1).any() or (dets[b, k:].view(np.uint32) != 0).any():
            raise ValueError(f"image {b}: padding rows are not 0,0,0,0,0 / -1")
        out.append((dets[b, :k], labels[b, :k]))
    return out


def match_detections(dets, labels, want_dets, want_labels, box_tol=1e-2, score_tol=1e-5):
    """--postprocess outputs against the engine's, image by image: each engine detection (in its order) takes the
    closest unmatched ONNX Runtime detection of the same label within box_tol (pixels) and score_tol; returns
    (matched, unmatched on either side, max box difference, max score difference, detections per image)."""
    box = score = 0.0
    matched = unmatched = 0
    counts = []
    for (g, gl), (w, wl) in zip(split_padded(dets, labels), split_padded(want_dets, want_labels)):
        got, want = g.astype(np.float64), w.astype(np.float64)
        used = np.zeros(len(got), bool)
        m = 0
        for i in range(len(want)):
            cand = [j for j in range(len(got)) if not used[j] and gl[j] == wl[i]]
            errs = [(np.max(np.abs(got[j, :4] - want[i, :4])), abs(got[j, 4] - want[i, 4]), j) for j in cand]
            errs = [e for e in errs if e[0] <= box_tol and e[1] <= score_tol]
            if not errs:
                continue
            b, sc, j = min(errs, key=lambda e: e[0] + e[1])
            used[j] = True
            m += 1
            box, score = max(box, b), max(score, sc)
        matched += m
        unmatched += len(want) - m + len(got) - m
        counts.append(len(got))
    return matched, unmatched, box, score, counts


def bit_identical(dets, labels, want_dets, want_labels):
    """The same shape, float32 bits and labels, row for row (order and padding included)."""
    return (dets.shape == want_dets.shape and labels.shape == want_labels.shape
            and np.array_equal(np.ascontiguousarray(dets).view(np.uint32), np.ascontiguousarray(want_dets).view(np.uint32))
            and np.array_equal(labels, want_labels))


def run_postprocess_only(model_path, tensors):
    """dets, labels of a --postprocess model's post-processing nodes alone, fed the engine's head outputs
    (cls_score_l, bbox_pred_l, objectness_l of the case) instead of ONNX Runtime's own network."""
    import tempfile
    import onnx.utils
    import onnxruntime as ort
    heads = [k for k in tensors if k.split("_")[0] in ("cls", "bbox", "objectness")]
    with tempfile.TemporaryDirectory() as tmp:
        part = pathlib.Path(tmp) / "postprocess.onnx"
        onnx.utils.extract_model(str(model_path), str(part), ["image"] + heads, ["dets", "labels"], check_model=False)
        sess = ort.InferenceSession(str(part), providers=["CPUExecutionProvider"])
        return sess.run(["dets", "labels"], {k: tensors[k] for k in ["image"] + heads})


def compare(got, want):
    diff = float(np.max(np.abs(got.astype(np.float64) - want))) if want.size else 0.0
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    return diff, diff / scale if scale else diff


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", type=pathlib.Path)
    ap.add_argument("--tol", type=float, default=1e-4, help="largest relative difference accepted (default 1e-4)")
    args = ap.parse_args()
    import onnxruntime as ort
    print(f"onnxruntime {ort.__version__}")
    worst, failed = 0.0, False
    cases = sorted(args.dir.glob("*.safetensors"))
    if not cases:
        sys.exit(f"no .safetensors case in {args.dir}")
    for case in cases:
        tensors, meta = read_safetensors(case)
        model = args.dir / meta["model"]
        got = run(model, tensors["image"])
        print(f"{case.name} ({model.name}, image {list(tensors['image'].shape)})")
        if "dets" in got:
            stress = meta.get("heads") == "stress"
            try:
                matched, unmatched, box, score, counts = match_detections(got["dets"], got["labels"], tensors["dets"], tensors["labels"])
            except ValueError as e:
                print(f"  dets/labels: {e}")
                failed = True
                continue
            print(f"  dets {list(got['dets'].shape)}: ONNX Runtime {counts} per image, engine "
                  f"{[int((l >= 0).sum()) for l in tensors['labels']]}, matched {matched}, unmatched {unmatched}, "
                  f"max |box diff| {box:.3e} px, max |score diff| {score:.3e}  ({meta.get('postprocess')})")
            exact_dets, exact_labels = run_postprocess_only(model, tensors)
            want_dets, want_labels = (tensors["head_dets"], tensors["head_labels"]) if stress else (tensors["dets"], tensors["labels"])
            identical = bit_identical(exact_dets, exact_labels, want_dets, want_labels)
            print(f"  post-processing alone on the {'stressed ' if stress else ''}head outputs: ONNX Runtime "
                  f"{[int((l >= 0).sum()) for l in exact_labels]} per image, bit-identical to the engine's (order and padding included): {identical}")
            if unmatched or not identical:  # alone on the same heads it must be bit for bit
                failed = True
            continue
        for name, value in got.items():
            if value.shape != tensors[name].shape:
                sys.exit(f"  {name}: shape {value.shape} vs engine {tensors[name].shape}")
            diff, rel = compare(value, tensors[name])
            worst = max(worst, rel)
            print(f"  {name:14s} {str(list(value.shape)):20s} max abs diff {diff:.3e}  rel {rel:.3e}  (max |engine| {np.max(np.abs(tensors[name])):.4g})")
    print(f"worst relative difference {worst:.3e} (tolerance {args.tol:g})" + ("; unmatched detections" if failed else ""))
    sys.exit(0 if worst <= args.tol and not failed else 1)


if __name__ == "__main__":
    main()
