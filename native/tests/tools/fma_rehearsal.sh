#!/usr/bin/env bash
# GPU rounding rehearsal on the CPU (opt-in, not part of CTest): builds aa_backend_kernels_host_test with the kernels
# of backend_kernels.cu contracted as nvcc and NVRTC contract them (--fmad=true: a*b + c becomes one fused
# multiply-add) while the test's reference loops stay uncontracted like the Java twins, then runs it. A kernel whose
# exactness rests on separate roundings fails here where a GPU would differ from its CPU twin; the explicit
# __fmul_rn / __fadd_rn / __dmul_rn of the bilinear taps are honoured (nvcc never contracts those intrinsics).
# Only the contraction is emulated: CUDA's exp / erf (within 1-2 ulp in double) stay glibc's.
#
# Usage: bash native/tests/tools/fma_rehearsal.sh [build-dir]   (x86-64 with FMA, g++; about 1 min to build, 30 s to run)
# Exit 0 when every failing case is one of EXPECTED below (contracted on a GPU too, and compared there with a tolerance).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"          # native/tests
root="$(cd "$here/../.." && pwd)"
cu="${AA_BACKEND_CU:-$root/src/main/resources/autoassign/backend/cuda/backend_kernels.cu}"  # another copy: a mutation check
out="${1:-${TMPDIR:-/tmp}/aa_fma_rehearsal}"
if [ "$(uname -m)" != x86_64 ] || ! grep -qw fma /proc/cpuinfo 2>/dev/null; then
  echo "fma_rehearsal: needs an x86-64 CPU with FMA - skipped"
  exit 0
fi
mkdir -p "$out/shim"
# A backend_kernels.cu found before the real one: the real file inside a contracted, FMA-enabled region, with
# __CUDA_ARCH__ set so that AAJ_DMUL / AAJ_FMUL / AAJ_FADD take their device (round-to-nearest, uncontracted) form.
cat > "$out/shim/backend_kernels.cu" <<EOF
#define __CUDA_ARCH__ 900
__attribute__((noinline, optimize("fp-contract=off"))) static double __dmul_rn(double a, double b) { return a * b; }
__attribute__((noinline, optimize("fp-contract=off"))) static float __fmul_rn(float a, float b) { return a * b; }
__attribute__((noinline, optimize("fp-contract=off"))) static float __fadd_rn(float a, float b) { return a + b; }
#pragma GCC push_options
#pragma GCC target("fma")
#pragma GCC optimize("fp-contract=fast")
#include "$cu"
#pragma GCC pop_options
#undef __CUDA_ARCH__
EOF
"${CXX:-g++}" -std=c++17 -O2 -ffp-contract=off -Wno-attributes -I "$out/shim" -I "$here" \
  -o "$out/aa_backend_kernels_fma_test" "$here/backend_kernels_host_test.cpp" -lpthread
set +e
"$out/aa_backend_kernels_fma_test" > "$out/fma_rehearsal.log" 2>&1
set -e
# Cases that differ once contracted, as on a GPU, and are compared there with a tolerance (OpChecks: 1e-3 relative):
#   aaj_swish_backward   g*s*(1 + x*(1 - s)): the inner multiply-add; the host test compares bits
#   aaj_group_norm_fwd y x*k + (beta - m*k): both multiply-adds; off by an ulp of |x*k|, not of |y|, when the mean
#                        is large against the spread (the twin's own rounding there is as large)
# and any case whose first difference is a NaN against a NaN of another sign: x86's FMA forms propagate NaN signs
# their own way (a GPU's arithmetic NaN is always the canonical 0x7fffffff); no twin promises a NaN's bits.
EXPECTED='^(aaj_swish_backward |aaj_group_norm_fwd y )|got -?nan want -?nan\)$'
fails="$(grep ' FAIL ' "$out/fma_rehearsal.log" || true)"
unexpected="$(printf '%s\n' "$fails" | grep -v -E "$EXPECTED" | grep . || true)"
grep -E 'cases, [0-9]+ failed' "$out/fma_rehearsal.log" | tail -1
[ -n "$fails" ] && printf 'contracted as on a GPU, expected to differ:\n%s\n' "$(printf '%s\n' "$fails" | grep -E "$EXPECTED")"
if [ -n "$unexpected" ]; then
  printf 'fma_rehearsal: UNEXPECTED differences under contraction (a GPU would show them):\n%s\n' "$unexpected"
  exit 1
fi
echo "fma_rehearsal: OK (log: $out/fma_rehearsal.log)"
