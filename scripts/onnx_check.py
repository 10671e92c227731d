#!/usr/bin/env python3
"""Runs exported ONNX models with ONNX Runtime and compares them with the engine's own outputs.

For every NAME_*.safetensors file in DIR (written by the Java side:
  mvn test -Dtest=OnnxRuntimeCases -Donnx.check.dir=DIR -DbuildDir=...)
it loads the model named by the file's metadata ("model": NAME.onnx), checks it with onnx.checker
(full_check: shape inference too), runs it on the stored "image" with the CPU execution provider and prints,
per output, the max absolute difference and the max difference relative to the output's scale
(max|ort - engine| / max|engine|). Exit code 1 when any relative difference exceeds --tol.

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
    """Writes float32 tensors (in the given order) and string metadata as a safetensors file."""
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name, a in tensors.items():
        a = np.ascontiguousarray(a, dtype=np.float32)
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
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
    worst = 0.0
    cases = sorted(args.dir.glob("*.safetensors"))
    if not cases:
        sys.exit(f"no .safetensors case in {args.dir}")
    for case in cases:
        tensors, meta = read_safetensors(case)
        model = args.dir / meta["model"]
        got = run(model, tensors["image"])
        print(f"{case.name} ({model.name}, image {list(tensors['image'].shape)})")
        for name, value in got.items():
            diff, rel = compare(value, tensors[name])
            if value.shape != tensors[name].shape:
                sys.exit(f"  {name}: shape {value.shape} vs engine {tensors[name].shape}")
            worst = max(worst, rel)
            print(f"  {name:14s} {str(list(value.shape)):20s} max abs diff {diff:.3e}  rel {rel:.3e}  (max |engine| {np.max(np.abs(tensors[name])):.4g})")
    print(f"worst relative difference {worst:.3e} (tolerance {args.tol:g})")
    sys.exit(0 if worst <= args.tol else 1)


if __name__ == "__main__":
    main()
