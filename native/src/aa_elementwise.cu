// aa_elementwise.cu — elementwise ops, bias add / bias-grad, head distance transform.
#include "aa_common.cuh"

#define AA_GRID_STRIDE(i, n) \
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)gridDim.x * blockDim.x)

AA_KERNEL void aa_fill_f32(float* out, float v, long long n) { AA_GRID_STRIDE(i, n) out[i] = v; }
AA_KERNEL void aa_add_f32(float* out, const float* a, const float* b, long long n) {
  AA_GRID_STRIDE(i, n) out[i] = aa::add_f(a[i], b[i]);
}
AA_KERNEL void aa_scale_f32(float* out, const float* x, float alpha, long long n) {
  AA_GRID_STRIDE(i, n) out[i] = aa::scale_f(x[i], alpha);
}
AA_KERNEL void aa_relu_fwd_f32(float* y, const float* x, long long n) { AA_GRID_STRIDE(i, n) y[i] = aa::relu_fwd(x[i]); }
AA_KERNEL void aa_relu_bwd_f32(float* dx, const float* dy, const float* y, long long n) {
  AA_GRID_STRIDE(i, n) dx[i] = aa::relu_bwd(dy[i], y[i]);
}
AA_KERNEL void aa_sigmoid_fwd_f32(float* y, const float* x, long long n) {
  AA_GRID_STRIDE(i, n) y[i] = aa::sigmoid_fwd(x[i]);
}
AA_KERNEL void aa_sigmoid_bwd_f32(float* dx, const float* dy, const float* y, long long n) {
  AA_GRID_STRIDE(i, n) dx[i] = aa::sigmoid_bwd(dy[i], y[i]);
}
AA_KERNEL void aa_clamp_min_fwd_f32(float* y, const float* x, float lo, long long n) {
  AA_GRID_STRIDE(i, n) y[i] = aa::clamp_min_fwd(x[i], lo);
}
AA_KERNEL void aa_clamp_min_bwd_f32(float* dx, const float* dy, const float* x, float lo, long long n) {
  AA_GRID_STRIDE(i, n) dx[i] = aa::clamp_min_bwd(dy[i], x[i], lo);
}
// grid: (ceil(HW/256) capped, N*C)
AA_KERNEL void aa_bias_add_nchw_f32(float* y, const float* x, const float* bias, int C, long long HW) {
  long long plane = blockIdx.y;
  float b = bias[plane % C];
  const float* xp = x + plane * HW;
  float* yp = y + plane * HW;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < HW; i += (long long)gridDim.x * blockDim.x)
    yp[i] = aa::add_f(xp[i], b);
}
// grid: C blocks of 256 threads; dbias[c] (=|+=) sum_{n,hw} dy
AA_KERNEL void aa_bias_grad_nchw_f32(float* dbias, const float* dy, int N, int C, long long HW, int accumulate) {
  __shared__ double sh[32];
  int c = blockIdx.x;
  double acc = 0.0;
  for (int n = 0; n < N; ++n) {
    const float* p = dy + ((long long)n * C + c) * HW;
    for (long long i = threadIdx.x; i < HW; i += blockDim.x) acc += (double)p[i];
  }
  double t = aa::block_sum(acc, sh);
  if (threadIdx.x == 0) dbias[c] = (float)(accumulate ? (double)dbias[c] + t : t);
}
AA_KERNEL void aa_head_dist_fwd_f32(float* dist, const float* raw, const float* scale, float stride, long long n) {
  float sc = *scale;
  AA_GRID_STRIDE(i, n) dist[i] = aa::head_dist_fwd(raw[i], sc, stride);
}
// grid <= AA_REDUCE_BLOCKS blocks of 256; partial[blockIdx.x] = block sum of the d/dscale terms
AA_KERNEL void aa_head_dist_bwd_f32(float* draw, double* partial, const float* dy, const float* raw,
                                    const float* scale, float stride, long long n) {
  __shared__ double sh[32];
  float sc = *scale;
  double acc = 0.0;
  AA_GRID_STRIDE(i, n) {
    draw[i] = aa::head_dist_bwd_raw(dy[i], raw[i], sc, stride);
    acc += (double)aa::head_dist_bwd_scale(dy[i], raw[i], sc, stride);
  }
  double t = aa::block_sum(acc, sh);
  if (threadIdx.x == 0) partial[blockIdx.x] = t;
}
// 1 block of 256: out[0] (=|+=) sum of nparts doubles (fixed order, deterministic)
AA_KERNEL void aa_sum_partials_f64(float* out, const double* partial, int nparts, int accumulate) {
  __shared__ double sh[32];
  double acc = 0.0;
  for (int i = threadIdx.x; i < nparts; i += blockDim.x) acc += partial[i];
  double t = aa::block_sum(acc, sh);
  if (threadIdx.x == 0) out[0] = (float)(accumulate ? (double)out[0] + t : t);
}

// ---------------- wrappers ----------------
extern "C" {
int aa_fill(float* out, float v, long long n, aa_stream_t s) {
  if (n <= 0) return 0;
  aa_fill_f32<<<aa::grid_1d(n), AA_BLOCK, 0, s>>>(out, v, n);
  return aa::launch_status();
}
int aa_add(float* out, const float* a, const float* b, long long n, aa_stream_t s) {
  if (n <= 0) return 0;
  aa_add_f32<<<aa::grid_1d(n), AA_BLOCK, 0, s>>>(out, a, b, n);
  return aa::launch_status();
}
int aa_scale(float* out, const float* x, float alpha, long long n, aa_stream_t s) {
  if (n <= 0) return 0;
  aa_scale_f32<<<aa::grid_1d(n), AA_BLOCK, 0, s>>>(out, x, alpha, n);
  return aa::launch_status();
}
int aa_relu_fwd(float* y, const float* x, long long n, aa_stream_t s) {
  if (n <= 0) return 0;
  aa_relu_fwd_f32<<<aa::grid_1d(n), AA_BLOCK, 0, s>>>(y, x, n);
  return aa::launch_status();
}
int aa_relu_bwd(float* dx, const float* dy, const float* y, long long n, aa_stream_t s) {
  if (n <= 0) return 0;
  aa_relu_bwd_f32<<<aa::grid_1d(n), AA_BLOCK, 0, s>>>(dx, dy, y, n);
  return aa::launch_status();
}
int aa_sigmoid_fwd(float* y, const float* x, long long n, aa_stream_t s) {
  if (n <= 0) return 0;
  aa_sigmoid_fwd_f32<<<aa::grid_1d(n), AA_BLOCK, 0, s>>>(y, x, n);
  return aa::launch_status();
}
int aa_sigmoid_bwd(float* dx, const float* dy, const float* y, long long n, aa_stream_t s) {
  if (n <= 0) return 0;
  aa_sigmoid_bwd_f32<<<aa::grid_1d(n), AA_BLOCK, 0, s>>>(dx, dy, y, n);
  return aa::launch_status();
}
int aa_clamp_min_fwd(float* y, const float* x, float lo, long long n, aa_stream_t s) {
  if (n <= 0) return 0;
  aa_clamp_min_fwd_f32<<<aa::grid_1d(n), AA_BLOCK, 0, s>>>(y, x, lo, n);
  return aa::launch_status();
}
int aa_clamp_min_bwd(float* dx, const float* dy, const float* x, float lo, long long n, aa_stream_t s) {
  if (n <= 0) return 0;
  aa_clamp_min_bwd_f32<<<aa::grid_1d(n), AA_BLOCK, 0, s>>>(dx, dy, x, lo, n);
  return aa::launch_status();
}
int aa_bias_add_nchw(float* y, const float* x, const float* bias, int N, int C, long long HW, aa_stream_t s) {
  if ((long long)N * C * HW <= 0) return 0;
  dim3 grid(aa::grid_1d(HW, AA_BLOCK, 1024), (unsigned)(N * C));
  aa_bias_add_nchw_f32<<<grid, AA_BLOCK, 0, s>>>(y, x, bias, C, HW);
  return aa::launch_status();
}
int aa_bias_grad_nchw(float* dbias, const float* dy, int N, int C, long long HW, int accumulate, aa_stream_t s) {
  if (C <= 0) return 0;
  aa_bias_grad_nchw_f32<<<C, AA_BLOCK, 0, s>>>(dbias, dy, N, C, HW, accumulate);
  return aa::launch_status();
}
int aa_head_dist_fwd(float* dist, const float* raw, const float* scale, float stride, long long n, aa_stream_t s) {
  if (n <= 0) return 0;
  aa_head_dist_fwd_f32<<<aa::grid_1d(n), AA_BLOCK, 0, s>>>(dist, raw, scale, stride, n);
  return aa::launch_status();
}
int aa_head_dist_bwd(float* draw, float* dscale, const float* dy, const float* raw, const float* scale, float stride,
                     long long n, int accumulate, double* ws, aa_stream_t s) {
  unsigned g = aa::grid_1d(n, AA_BLOCK, AA_REDUCE_BLOCKS);
  aa_head_dist_bwd_f32<<<g, AA_BLOCK, 0, s>>>(draw, ws, dy, raw, scale, stride, n);
  aa_sum_partials_f64<<<1, AA_BLOCK, 0, s>>>(dscale, ws, (int)g, accumulate);
  return aa::launch_status();
}
}  // extern "C"
