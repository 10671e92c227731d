#!/usr/bin/env bash
# Configure native/ with CMake into native/build, build the host tests (and the fatbin when nvcc exists),
# run the host tests with CTest. Works without a GPU; without nvcc the CUDA targets are skipped.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${AA_BUILD_DIR:-$here/build}"
if ! command -v cmake >/dev/null 2>&1; then
  echo "run_host_tests: cmake not found - skipping native host tests"
  exit 0
fi
if ! command -v "${CXX:-c++}" >/dev/null 2>&1 && ! command -v g++ >/dev/null 2>&1; then
  echo "run_host_tests: no C++ compiler found - skipping native host tests"
  exit 0
fi
nvcc_path="$(command -v nvcc || true)"
[ -z "$nvcc_path" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc_path=/usr/local/cuda/bin/nvcc
[ -n "${AA_NO_NVCC:-}" ] && nvcc_path=""  # force the no-CUDA path (for testing it)
if [ -z "$nvcc_path" ]; then
  echo "run_host_tests: nvcc not found - skipping the CUDA fatbin; running the host tests only"
  extra=(-DAA_BUILD_FATBIN=OFF)
else
  extra=(-DAA_NVCC="$nvcc_path")
fi
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release "${extra[@]}" ${AA_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "${AA_JOBS:-2}"
[ -f "$build/aa_kernels.fatbin" ] && echo "run_host_tests: built $build/aa_kernels.fatbin ($(stat -c %s "$build/aa_kernels.fatbin") bytes)"
cd "$build" && ctest --output-on-failure
