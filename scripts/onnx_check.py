#!/usr/bin/env python3
"""Runs exported ONNX models with ONNX Runtime and compares them with the engine's own outputs.

For every NAME_*.safetensors file in DIR (written by the Java side:
  mvn test -Dtest=OnnxRuntimeCases -Donnx.check.dir=DIR -DbuildDir=...)
it loads the model named by the file's metadata ("model": NAME.onnx), checks it with onnx.checker
(full_check: shape inference too), runs it on the stored "image" with the CPU execution provider and prints,
per output, the max absolute difference and the max difference relative to the output's scale
(max|ort - engine| / max|engine|). Exit code 1 when any relative difference exceeds --tol.
A --postprocess model (outputs dets, labels) is compared as detections instead: one-to-one matching by label within
1e-2 px and 1e-5 in score (tie order is open), with the largest differences; then its post-processing nodes alone
(onnx.utils.extract_model) run on the engine's head outputs stored in the case, which should give the engine's
detections bit for bit; exit code 1 when any detection stays unmatched.

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


def match_detections(dets, labels, want_dets, want_labels, box_tol=1e-2, score_tol=1e-5):
    """--postprocess outputs against the engine's: each engine detection (in its order) takes the closest unmatched
    ONNX Runtime detection of the same label within box_tol (pixels) and score_tol; returns (matched, unmatched on
    either side, max box difference, max score difference, sorted lists bit-identical)."""
    got, want = dets[0].astype(np.float64), want_dets[0].astype(np.float64)
    used = np.zeros(len(got), bool)
    box = score = 0.0
    matched = 0
    for i in range(len(want)):
        cand = [j for j in range(len(got)) if not used[j] and labels[0][j] == want_labels[0][i]]
        errs = [(np.max(np.abs(got[j, :4] - want[i, :4])), abs(got[j, 4] - want[i, 4]), j) for j in cand]
        errs = [e for e in errs if e[0] <= box_tol and e[1] <= score_tol]
        if not errs:
            continue
        b, sc, j = min(errs, key=lambda e: e[0] + e[1])
        used[j] = True
        matched += 1
        box, score = max(box, b), max(score, sc)

    def rows(d, lab):
        return sorted(zip(d[0][:, 4].tolist(), lab[0].tolist(), map(tuple, d[0][:, :4].tolist())), reverse=True)
    identical = dets.shape == want_dets.shape and rows(dets, labels) == rows(want_dets, want_labels)
    return matched, len(want) - matched + len(got) - matched, box, score, identical


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
            matched, unmatched, box, score, identical = match_detections(got["dets"], got["labels"], tensors["dets"], tensors["labels"])
            print(f"  dets/labels: ONNX Runtime {got['dets'].shape[1]}, engine {tensors['dets'].shape[1]}, matched {matched}, "
                  f"unmatched {unmatched}, max |box diff| {box:.3e} px, max |score diff| {score:.3e}, bit-identical sorted lists: {identical}"
                  f"  ({meta.get('postprocess')})")
            exact_dets, exact_labels = run_postprocess_only(model, tensors)
            matched, unmatched2, box, score, identical = match_detections(exact_dets, exact_labels, tensors["dets"], tensors["labels"])
            print(f"  post-processing alone on the engine's head outputs: ONNX Runtime {exact_dets.shape[1]}, matched {matched}, "
                  f"unmatched {unmatched2}, max |box diff| {box:.3e} px, max |score diff| {score:.3e}, bit-identical sorted lists: {identical}")
            if unmatched or unmatched2 or not identical:  # alone on the engine's heads it must be bit for bit
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
