#!/usr/bin/env python3
"""Golden for the ONNX export: ONNX Runtime's outputs for an exported tiny model, for OnnxRuntimeGoldenTest.

Reads a case the Java side wrote (scripts/onnx_check.py describes it: NAME.onnx and NAME_*.safetensors with the
input "image" and the engine's outputs), runs the .onnx with ONNX Runtime (CPU) and writes, into OUT_DIR, a
safetensors file of the same name holding "image" and ONNX Runtime's outputs (the engine's are dropped), with
metadata: config, model_seed (the test rebuilds the model from them: OnnxTestModels.tiny(seed)), onnxruntime
version and the SHA-256 of the .onnx file that ran.

A --postprocess case (pp_*, outputs dets [N, max_per_img, 5] and labels [N, max_per_img], padding rows 0 / -1) keeps
instead: "image", ONNX Runtime's "dets" / "labels" from the image, the head outputs of the case ("cls_score_l", ...:
the engine's forward, or OnnxTestModels.stressHeads of it for metadata "heads": "stress") and "exact_dets" /
"exact_labels": ONNX Runtime's post-processing nodes alone run on those head outputs; metadata also "postprocess",
"cls_bias" (OnnxTestModels.shiftClassBias) and "heads".

  PYTHONPATH=/tmp/ort python3 scripts/goldens/onnx_runtime.py /tmp/onnx-check/pp_tiny_seed7_1x3x96x128.safetensors \
      --config autoassign_tiny_synthetic --seed 7 --out src/test/resources/goldens/onnx
  PYTHONPATH=/tmp/ort python3 scripts/goldens/onnx_runtime.py \
      /tmp/onnx-check/pp_tiny_batch_seed7_stress_3x3x64x80.safetensors \
      --config autoassign_tiny_synthetic --seed 7 --out src/test/resources/goldens/onnx

  mvn -q -o test -DbuildDir=/tmp/build-onnx -Dtest=OnnxRuntimeCases -Donnx.check.dir=/tmp/onnx-check \
      -Dsurefire.failIfNoSpecifiedTests=false
  PYTHONPATH=/tmp/ort python3 scripts/goldens/onnx_runtime.py /tmp/onnx-check/tiny_seed7_2x3x64x80.safetensors \
      --config autoassign_tiny_synthetic --seed 7 --out src/test/resources/goldens/onnx
"""
import argparse
import hashlib
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from onnx_check import read_safetensors, run, run_postprocess_only, write_safetensors  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", type=pathlib.Path, help="NAME_*.safetensors written by OnnxRuntimeCases")
    ap.add_argument("--config", required=True, help="config the model was built from")
    ap.add_argument("--seed", required=True, help="model seed (OnnxTestModels.tiny(seed))")
    ap.add_argument("--out", type=pathlib.Path, required=True)
    args = ap.parse_args()
    import onnxruntime as ort
    tensors, meta = read_safetensors(args.case)
    model = args.case.parent / meta["model"]
    outputs = run(model, tensors["image"])
    golden = {"image": tensors["image"], **outputs}
    extra = {}
    if "dets" in outputs:
        heads = {k: v for k, v in tensors.items() if k.split("_")[0] in ("cls", "bbox", "objectness")}
        exact_dets, exact_labels = run_postprocess_only(model, tensors)
        golden.update(heads)
        golden.update({"exact_dets": exact_dets, "exact_labels": exact_labels})
        extra = {"postprocess": meta["postprocess"], "cls_bias": meta["cls_bias"], "heads": meta.get("heads", "forward")}
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / args.case.name
    write_safetensors(target, golden, {
        "config": args.config,
        "model_seed": str(args.seed),
        **extra,
        "onnxruntime": ort.__version__,
        "onnx_sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
        "source": "scripts/goldens/onnx_runtime.py",
    })
    print(f"{target}: {len(outputs)} outputs of onnxruntime {ort.__version__}")


if __name__ == "__main__":
    main()
