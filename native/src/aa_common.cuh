// aa_common.cuh — device helpers shared by the kernels (reductions, launch sizing).
#pragma once
#include <cuda_runtime.h>
#include <stdint.h>
#include "aa_kernels.h"
#include "aa_math.h"

#define AA_KERNEL extern "C" __global__

namespace aa {

static inline unsigned grid_1d(long long n, int block = AA_BLOCK, long long cap = 65535LL * 32) {
  long long g = (n + block - 1) / block;
  if (g < 1) g = 1;
  if (g > cap) g = cap;
  return (unsigned)g;
}
static inline int launch_status() { return (int)cudaGetLastError(); }

template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ __forceinline__ float warp_min(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fminf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
// Deterministic block sum (fixed tree). All threads must call; result valid in every thread.
// blockDim.x must be a multiple of 32 and <= 1024. `sh` needs 32 slots.
template <typename T>
__device__ __forceinline__ T block_sum(T v, T* sh) {
  int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
  v = warp_sum(v);
  __syncthreads();
  if (lane == 0) sh[wid] = v;
  __syncthreads();
  T r = (lane < nw) ? sh[lane] : T(0);
  r = warp_sum(r);
  return r;
}
__device__ __forceinline__ float block_min(float v, float* sh) {
  int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
  v = warp_min(v);
  __syncthreads();
  if (lane == 0) sh[wid] = v;
  __syncthreads();
  float r = (lane < nw) ? sh[lane] : INFINITY;
  return warp_min(r);
}
__device__ __forceinline__ float block_max(float v, float* sh) {
  int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) sh[wid] = v;
  __syncthreads();
  float r = (lane < nw) ? sh[lane] : -INFINITY;
  return warp_max(r);
}

}  // namespace aa
