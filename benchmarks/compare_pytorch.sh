#!/usr/bin/env bash
# Times our engine (`java -jar target/autoassign-native.jar bench`) and the PyTorch eager baseline
# (benchmarks/pytorch/autoassign_torch.py) on the same cases, interleaved A B A B, and prints the ratio
# ours / PyTorch. Installs nothing. Run from anywhere:  benchmarks/compare_pytorch.sh
#
# Cases (issue 11):
#   r50_infer      R50 config, inference (forward + post-processing), 1x3x800x1216
#   r50_train      R50 config, training step (fwd + loss + bwd + SGD),  1x3x800x1216
#   r50_train_512  R50 config, training step,                           2x3x512x512
#   tiny_train     tiny synthetic config, training step,                4x3x256x256
#   tiny_infer     tiny synthetic config, inference, 1x3x256x256 (not in the default list)
#
# Environment (all optional):
#   CASES=r50_infer,r50_train,r50_train_512,tiny_train   comma list of the cases above
#   RUNS=5        interleaved rounds; each round runs ours then PyTorch once (a fresh process each)
#   ITERS=1       timed iterations per process per round (each process also does WARMUP iterations first)
#   WARMUP=       untimed iterations per process, the same for both sides; default per case: 2 for the R50 cases,
#                 20 for the tiny ones (our JIT compiles the code around sgemm during the first ~17 tiny steps:
#                 WARMUP=1 times that warm-up, not the step; see docs/performance.md)
#   THREADS=nproc compute threads for both (torch.set_num_threads + OMP_NUM_THREADS; -Dautoassign.cpu.threads)
#   DEVICE=cpu    cpu | cuda (both sides)
#   JAR=target/autoassign-native.jar   JAVA=java   JAVA_OPTS=   PYTHON=(first python3 that imports torch)
#   OURS=1        0: run the PyTorch side only (e.g. before the jar has a `bench` command)
#   OUT_DIR=target/compare-pytorch     per-run JSON files and summary.json go here
#   OMP_WAIT_POLICY=PASSIVE  (the PyTorch script's default; see benchmarks/pytorch/README.md)
#
# Quick run:  RUNS=1 CASES=tiny_train benchmarks/compare_pytorch.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CASES="${CASES:-r50_infer,r50_train,r50_train_512,tiny_train}"
RUNS="${RUNS:-5}"
ITERS="${ITERS:-1}"
WARMUP="${WARMUP:-}"
THREADS="${THREADS:-$(nproc)}"
DEVICE="${DEVICE:-cpu}"
JAR="${JAR:-target/autoassign-native.jar}"
JAVA="${JAVA:-java}"
JAVA_OPTS="${JAVA_OPTS:-}"
OURS="${OURS:-1}"
OUT_DIR="${OUT_DIR:-target/compare-pytorch}"
TORCH_SCRIPT="benchmarks/pytorch/autoassign_torch.py"

die() { echo "compare_pytorch: $*" >&2; exit 1; }

# --- find a python3 with torch ------------------------------------------------------------------------------
if [[ -z "${PYTHON:-}" ]]; then
  for cand in python3 /usr/bin/python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import torch' >/dev/null 2>&1; then PYTHON="$cand"; break; fi
  done
fi
if [[ -z "${PYTHON:-}" ]] || ! "$PYTHON" -c 'import torch' >/dev/null 2>&1; then
  cat >&2 <<'MSG'
compare_pytorch: no python3 with torch found.
  Debian/Ubuntu (CPU baseline, torch 1.13):  apt-get install -y python3-torch python3-torchvision libopenblas0-pthread
  (python3-torchvision gives the C++ NMS, libopenblas0-pthread replaces the reference BLAS); then run again,
  or point PYTHON=/path/to/python3 at an environment that has torch.
MSG
  exit 2
fi

[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$RUNS'"
[[ "$ITERS" =~ ^[1-9][0-9]*$ ]] || die "ITERS must be a positive integer, got '$ITERS'"
[[ -z "$WARMUP" || "$WARMUP" =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer, got '$WARMUP'"
[[ "$THREADS" =~ ^[1-9][0-9]*$ ]] || die "THREADS must be a positive integer, got '$THREADS'"

# case -> "config_key yaml mode size batch default_warmup"
case_spec() {
  case "$1" in
    r50_infer)     echo "r50  configs/autoassign_r50-caffe_fpn_1x_coco.yaml infer 800x1216 1 2" ;;
    r50_train)     echo "r50  configs/autoassign_r50-caffe_fpn_1x_coco.yaml train 800x1216 1 2" ;;
    r50_train_512) echo "r50  configs/autoassign_r50-caffe_fpn_1x_coco.yaml train 512x512 2 2" ;;
    tiny_train)    echo "tiny configs/autoassign_tiny_synthetic.yaml train 256x256 4 20" ;;
    tiny_infer)    echo "tiny configs/autoassign_tiny_synthetic.yaml infer 256x256 1 20" ;;
    *) return 1 ;;
  esac
}
IFS=',' read -r -a CASE_LIST <<< "$CASES"
for c in "${CASE_LIST[@]}"; do case_spec "$c" >/dev/null || die "unknown case '$c' (known: r50_infer r50_train r50_train_512 tiny_train tiny_infer)"; done

if [[ "$OURS" != 0 ]]; then
  [[ -f "$JAR" ]] || die "$JAR not found: build it first (mvn -q -DskipTests package), or run with OURS=0 for PyTorch only"
  command -v "$JAVA" >/dev/null 2>&1 || die "java not found (JAVA=$JAVA)"
fi

mkdir -p "$OUT_DIR"
# thread settings for the PyTorch process only (ours gets -Dautoassign.cpu.threads; its bundled OpenBLAS must not
# see foreign OMP/OpenBLAS variables)
TORCH_ENV=(OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}")

echo "compare_pytorch: cases=$CASES rounds=$RUNS iters/process=$ITERS warmup=${WARMUP:-per case} threads=$THREADS device=$DEVICE"
echo "compare_pytorch: python=$PYTHON ($("$PYTHON" -c 'import torch; print("torch", torch.__version__)')), ours=$([[ $OURS != 0 ]] && echo "$JAR" || echo off)"
echo "compare_pytorch: load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs; results in $OUT_DIR"

for c in "${CASE_LIST[@]}"; do
  read -r key yaml mode size batch case_warmup <<< "$(case_spec "$c")"
  warm="${WARMUP:-$case_warmup}"
  rm -f "$OUT_DIR/$c".*.json
  for ((r = 1; r <= RUNS; r++)); do
    if [[ "$OURS" != 0 ]]; then
      # shellcheck disable=SC2086
      "$JAVA" $JAVA_OPTS -Dautoassign.cpu.threads="$THREADS" -jar "$JAR" bench --config "$yaml" --mode "$mode" \
        --size "$size" --batch "$batch" --runs "$ITERS" --warmup "$warm" --device "$DEVICE" \
        --json "$OUT_DIR/$c.ours.$r.json" > "$OUT_DIR/$c.ours.$r.log" 2>&1 \
        || die "ours failed on $c round $r (see $OUT_DIR/$c.ours.$r.log): $(tail -n 3 "$OUT_DIR/$c.ours.$r.log")"
    fi
    env "${TORCH_ENV[@]}" "$PYTHON" "$TORCH_SCRIPT" --config "$key" --mode "$mode" --size "$size" --batch "$batch" --runs "$ITERS" \
      --warmup "$warm" --device "$DEVICE" --threads "$THREADS" \
      --json "$OUT_DIR/$c.torch.$r.json" > "$OUT_DIR/$c.torch.$r.log" 2>&1 \
      || die "PyTorch failed on $c round $r (see $OUT_DIR/$c.torch.$r.log): $(tail -n 3 "$OUT_DIR/$c.torch.$r.log")"
    echo "  $c round $r/$RUNS done (warm-up $warm, load $(cut -d' ' -f1 /proc/loadavg))"
  done
done

# --- table --------------------------------------------------------------------------------------------------
"$PYTHON" - "$OUT_DIR" "$RUNS" "${CASE_LIST[@]}" <<'PY'
import json, os, statistics, sys
out_dir, rounds, cases = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def load(case, side, r):
    p = os.path.join(out_dir, "%s.%s.%d.json" % (case, side, r))
    return json.load(open(p)) if os.path.exists(p) else None

def fmt(v, spec="%.1f"):
    return spec % v if v is not None else "-"

rows, summary = [], {}
for c in cases:
    ours_all, torch_all, ratios, mem_o, mem_t = [], [], [], [], []
    for r in range(1, rounds + 1):
        o, t = load(c, "ours", r), load(c, "torch", r)
        if t: torch_all += t["runs_ms"]; mem_t.append(t.get("peak_mem_mb") or 0)
        if o: ours_all += o["runs_ms"]; mem_o.append(o.get("peak_mem_mb") or 0)
        if o and t: ratios.append(statistics.median(o["runs_ms"]) / statistics.median(t["runs_ms"]))
    mo = statistics.median(ours_all) if ours_all else None
    mt = statistics.median(torch_all) if torch_all else None
    pooled = mo / mt if (mo and mt) else None
    per_round = statistics.median(ratios) if ratios else None
    summary[c] = dict(ours_median_ms=mo, torch_median_ms=mt, ratio=pooled, ratio_median_of_rounds=per_round,
                      round_ratios=ratios, ours_runs_ms=ours_all, torch_runs_ms=torch_all,
                      ours_peak_mem_mb=max(mem_o) if mem_o else None, torch_peak_mem_mb=max(mem_t) if mem_t else None)
    rows.append((c, fmt(mo), fmt(mt), fmt(pooled, "%.2f"), fmt(per_round, "%.2f"),
                 "%d/%d" % (len(ours_all), len(torch_all))))
hdr = ("case", "ours ms", "pytorch ms", "ratio", "ratio (rounds)", "n ours/torch")
w = [max(len(x[i]) for x in rows + [hdr]) for i in range(len(hdr))]
print()
for row in [hdr] + rows:
    print("  ".join(v.ljust(w[i]) if i == 0 else v.rjust(w[i]) for i, v in enumerate(row)))
print("\nratio = median(ours) / median(PyTorch) over all timed runs; ratio (rounds) = median over rounds of the")
print("per-round ratio (A B interleaved, robust to load drifting between rounds). < 1 means ours is faster.")
with open(os.path.join(out_dir, "summary.json"), "w") as f:
    json.dump(summary, f, indent=1)
PY
