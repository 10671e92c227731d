#!/usr/bin/env bash
# gpu_nccl_check.sh — the data-parallel GPU path on the lent machine (one GPU, no Java, no internet):
# autoassign.train.dist.NcclSelfCheck — NCCL loads, ncclCommInitAll and ncclCommInitRank (unique id through the TCP
# rendezvous on loopback), all-reduce / broadcast / all-gather values, the all-reduce of a 36.15M-float buffer (the
# R50 gradient set) and the bucketed gradient path of a step timed (median of --reps), then one epoch of
# `train --gpus 1` on the tiny synthetic config through the real NCCL code path.
# Needs .gpu/java from scripts/package_gpu_check.sh (run where Java and Maven are; carry ".gpu/java").
# Extra arguments go to NcclSelfCheck (--reps N, --floats N, --no-train). Log also in $OUT/gpu_nccl_check.log.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pkg="${AA_GPU_JAVA:-$root/.gpu/java}"
work="${AA_GPU_WORK:-/tmp/aa-gpu-java}"
log="${OUT:+$OUT/gpu_nccl_check.log}"
[ -n "$log" ] && exec > >(tee "$log") 2>&1

if [ ! -f "$pkg/jrt.tgz" ]; then echo "gpu_nccl_check.sh: $pkg/jrt.tgz missing: run scripts/package_gpu_check.sh first and carry .gpu/java"; exit 2; fi
mkdir -p "$work" && tar xzf "$pkg/jrt.tgz" -C "$work" || { echo "gpu_nccl_check.sh: cannot unpack the runtime"; exit 2; }
java="$work/jrt/bin/java"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
nvidia-smi topo -m 2>/dev/null | head -5

dirs=()
if command -v python3 >/dev/null; then
  while IFS= read -r d; do [ -n "$d" ] && dirs+=("$d"); done < <(python3 - <<'PY' 2>/dev/null
import glob, os
try:
    import nvidia
    for p in list(nvidia.__path__):
        for d in sorted(glob.glob(os.path.join(p, '*', 'lib'))):
            print(d)
except Exception:
    pass
PY
)
fi
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/nvidia/lib64 /usr/lib/x86_64-linux-gnu; do
  [ -d "$d" ] && dirs+=("$d")
done
libpath="$(IFS=:; echo "${dirs[*]}")"
export LD_LIBRARY_PATH="$libpath${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
for so in libcuda.so.1 libcudart.so.13 libcudnn.so.9 libcublas.so.13 libnccl.so.2; do
  f=""
  for d in "${dirs[@]}"; do [ -e "$d/$so" ] && { f="$d/$so"; break; }; done
  echo "  $so: ${f:-NOT FOUND}"
done

cd "$work"
timeout 420 "$java" --add-modules jdk.incubator.vector -Xmx24g -XX:+UseParallelGC \
  "-Dorg.bytedeco.javacpp.platform.preloadpath=$libpath" "-Dorg.bytedeco.javacpp.cachedir=$work/javacpp-cache" \
  -cp "$pkg/lib/*" autoassign.train.dist.NcclSelfCheck --work "$work/nccl" "$@"
rc=$?
echo "gpu_nccl_check.sh: exit $rc"
exit $rc
