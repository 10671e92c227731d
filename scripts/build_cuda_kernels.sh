#!/usr/bin/env bash
# build_cuda_kernels.sh OUTDIR — builds the CUDA kernels that go into the jar as resources (run by Maven in
# generate-resources; OUTDIR is target/classes/native):
#   OUTDIR/aa_kernels.fatbin       the native/ kernels (native/build_fatbin.sh)
#   OUTDIR/backend_kernels.fatbin  the Java backend's own kernels (src/main/resources/autoassign/backend/cuda/backend_kernels.cu)
# Without nvcc it prints one line and succeeds: the jar then has no fatbin, and at --device cuda the engine
# says so (or compiles backend_kernels.cu with NVRTC when libnvrtc is available). Skips up-to-date outputs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: build_cuda_kernels.sh OUTDIR}"
if [ "${AA_SKIP_CUDA_KERNELS:-}" = "1" ]; then echo "build_cuda_kernels.sh: AA_SKIP_CUDA_KERNELS=1, building without CUDA kernels"; exit 0; fi
nvcc="${NVCC:-$(command -v nvcc || true)}"
for c in "${CUDA_HOME:-}/bin/nvcc" /usr/local/cuda/bin/nvcc; do
  if [ -z "$nvcc" ] && [ -x "$c" ]; then nvcc="$c"; fi
done
if [ -z "$nvcc" ]; then
  echo "build_cuda_kernels.sh: nvcc not found: the jar will have no CUDA kernels (--device cuda will say so)"
  exit 0
fi
export NVCC="$nvcc"
mkdir -p "$out"

# newer(target, sources...): true when target is missing or older than any source
stale() { local t="$1"; shift; [ ! -f "$t" ] && return 0; for s in "$@"; do [ "$s" -nt "$t" ] && return 0; done; return 1; }

src="$root/src/main/resources/autoassign/backend/cuda/backend_kernels.cu"
if stale "$out/backend_kernels.fatbin" "$src" "$0"; then
  "$nvcc" -fatbin -O3 -gencode arch=compute_75,code=sm_75 -gencode arch=compute_80,code=sm_80 \
    -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90 "$src" -o "$out/backend_kernels.fatbin.tmp"
  mv -f "$out/backend_kernels.fatbin.tmp" "$out/backend_kernels.fatbin"
  echo "build_cuda_kernels.sh: built backend_kernels.fatbin"
fi

if [ -x "$root/native/build_fatbin.sh" ]; then
  if stale "$out/aa_kernels.fatbin" "$root"/native/src/* "$root"/native/include/* "$root/native/build_fatbin.sh"; then
    if "$root/native/build_fatbin.sh" "$out/aa_kernels.fatbin"; then
      echo "build_cuda_kernels.sh: built aa_kernels.fatbin"
    else
      # the native kernels are optional for the Java backend (it has its own for every op): never fail the build
      rm -f "$out/aa_kernels.fatbin"
      echo "build_cuda_kernels.sh: WARNING: native/build_fatbin.sh failed; the jar has no native kernels"
    fi
  fi
else
  echo "build_cuda_kernels.sh: native/build_fatbin.sh missing; the jar has no native kernels"
fi
