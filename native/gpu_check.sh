#!/usr/bin/env bash
# Build and run gpu_check on a machine with an NVIDIA GPU (no Java, no internet needed).
# Works from a clean copy of the repo: builds the fatbin and gpu_check with the local nvcc into
# native/build-gpu, for the GPU's own arch (nvidia-smi compute_cap, default sm_90), then runs it.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${AA_GPU_BUILD_DIR:-$here/build-gpu}"
nvcc="${NVCC:-$(command -v nvcc || true)}"
for c in "${CUDA_HOME:-}/bin/nvcc" /usr/local/cuda/bin/nvcc /usr/local/cuda-*/bin/nvcc; do
  [ -z "$nvcc" ] && [ -x "$c" ] && nvcc="$c"
done
if [ -z "$nvcc" ]; then echo "gpu_check.sh: nvcc not found"; exit 2; fi
cap="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')"
arch="sm_${cap:-90}"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>/dev/null || true
echo "gpu_check.sh: $("$nvcc" --version | grep release) ; arch $arch ; build dir $out"
mkdir -p "$out"
t0=$(date +%s)
"$nvcc" -fatbin -O3 -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_90,code=compute_90 -I "$here/include" "$here/src/aa_all.cu" -o "$out/aa_kernels.fatbin" &
pid=$!
"$nvcc" -O3 -std=c++17 -arch="$arch" -I "$here/include" -I "$here/ref" "$here/gpu_check.cu" "$here/src/aa_all.cu" \
  -ldl -o "$out/gpu_check" || { echo "gpu_check.sh: build of gpu_check failed"; exit 2; }
wait $pid || echo "gpu_check.sh: fatbin build failed (driver-API check will be skipped)"
echo "gpu_check.sh: built in $(( $(date +%s) - t0 )) s"
# one process per group, so that a crash or hang in one group cannot hide the others' results
rc=0
: > "$out/table.md"
for g in fatbin elementwise groupnorm pool loss post nms sgd; do
  echo "== $g"
  AA_ONLY=$g timeout "${AA_GROUP_TIMEOUT:-90}" "$out/gpu_check" "$out/aa_kernels.fatbin" "$here/tests/data" > "$out/$g.log" 2>&1
  r=$?
  grep -v '^|' "$out/$g.log" | grep -v '^PASS:\|^FAIL:' | sed '/^$/d'
  grep '^| [a-z]' "$out/$g.log" | grep -v '^| op ' >> "$out/table.md"
  if [ $r -ne 0 ] && [ $r -ne 1 ]; then echo "| $g | (process exited with $r) | - | FAIL | - |" >> "$out/table.md"; fi
  [ $r -ne 0 ] && rc=1
done
echo
echo "| op | size | max rel err | result | median ms |"
echo "|---|---|---|---|---|"
cat "$out/table.md"
echo
fails=$(grep -c '| FAIL |' "$out/table.md" || true)
echo "gpu_check.sh: $(grep -c '^|' "$out/table.md") rows, $fails FAIL (tolerance 1e-3; error = max|gpu-cpu| / max|cpu|)"
exit $rc
