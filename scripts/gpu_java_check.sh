#!/usr/bin/env bash
# gpu_java_check.sh — the Java CUDA backend on a GPU machine that has no Java and no internet (the lent one):
# every Backend op on CUDA against its CPU twin (autoassign.backend.cuda.CudaSelfCheck: rel. error, tolerance,
# CPU ms, CUDA ms, implementation), three times:
#   1. default kernels (native/ fatbin + the backend's own fatbin), TF32 and FP32 variants of conv/gemm
#   2. -Dautoassign.cuda.kernels=backend: the backend's own kernels for every op (the fallbacks)
#   3. -Dautoassign.cuda.kernels=backend,nvrtc --device auto: the kernels compiled by NVRTC at run time, and
#      the default device choice (one op only)
# Needs .gpu/java from scripts/package_gpu_check.sh (run where Java and Maven are; carry ".gpu/java").
# cuDNN/cuBLAS/NCCL/NVRTC/cudart come from the Python venv's nvidia/*/lib (found through python3) and the CUDA
# toolkit; they are put on LD_LIBRARY_PATH and -Dorg.bytedeco.javacpp.platform.preloadpath.
# Output also goes to $OUT/gpu_java_check.log when $OUT is set. Exit status: 0 when all runs pass.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log="${OUT:+$OUT/gpu_java_check.log}"
[ -n "$log" ] && exec > >(tee "$log") 2>&1

source "$root/scripts/gpu_env.sh" || exit 2
status=0
run() { # run TITLE SECONDS [jvm -D options...] -- [self-check args...]
  local title="$1" secs="$2"; shift 2
  local d=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do d+=("$1"); shift; done
  shift
  echo
  echo "=== $title"
  local t0=$(date +%s)
  timeout "$secs" "$java" "${jopts[@]}" "${d[@]}" -cp "$cp" autoassign.backend.cuda.CudaSelfCheck "$@"
  local rc=$?
  echo "=== $title: exit $rc after $(( $(date +%s) - t0 )) s"
  [ $rc -eq 0 ] || status=1
}
run "1/3 default kernels" 240 -- --device cuda:0 --reps 5 "$@"
run "2/3 backend kernels only" 150 -Dautoassign.cuda.kernels=backend -- --device cuda:0 --reps 3 "$@"
run "3/3 NVRTC-compiled backend kernels, default device" 90 -Dautoassign.cuda.kernels=backend,nvrtc -- --device auto --reps 3 --filter sigmoid
echo
echo "gpu_java_check.sh: $([ $status -eq 0 ] && echo ALL RUNS PASSED || echo SOME RUNS FAILED)"
exit $status
