#!/usr/bin/env bash
# build_fatbin.sh OUT.fatbin — thin nvcc call that builds aa_kernels.fatbin (the kernels of src/aa_all.cu,
# extern "C" names, loaded by the Java backend with cuModuleLoadData) without CMake. Same flags as the
# CMake target aa_fatbin (cmake/AaCuda.cmake): sm_80 + sm_90 SASS and compute_90 PTX.
# Written by the Java-backend side for the Maven build (scripts/build_cuda_kernels.sh calls it);
# exit 3 when nvcc is missing, so the caller can skip the CUDA kernels gracefully.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build_fatbin.sh OUT.fatbin}"
nvcc="${NVCC:-$(command -v nvcc || true)}"
for c in "${CUDA_HOME:-}/bin/nvcc" /usr/local/cuda/bin/nvcc; do
  if [ -z "$nvcc" ] && [ -x "$c" ]; then nvcc="$c"; fi
done
[ -n "$nvcc" ] || { echo "build_fatbin.sh: nvcc not found"; exit 3; }
mkdir -p "$(dirname "$out")"
"$nvcc" -fatbin -O3 -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_90,code=compute_90 -I "$here/include" "$here/src/aa_all.cu" -o "$out.tmp"
mv -f "$out.tmp" "$out"
