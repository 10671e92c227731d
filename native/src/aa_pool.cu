// aa_pool.cu — max-pool 3x3/s2/p1 (argmax) and nearest upsample, forward and backward (gather, no atomics).
#include "aa_common.cuh"

// grid-stride over NC*Ho*Wo
AA_KERNEL void aa_maxpool3s2_fwd_f32(float* y, int* argmax, const float* x, int NC, int H, int W) {
  int Ho = aa::pool_out_size(H), Wo = aa::pool_out_size(W);
  long long total = (long long)NC * Ho * Wo;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
    int ow = (int)(i % Wo);
    long long t = i / Wo;
    int oh = (int)(t % Ho);
    long long plane = t / Ho;
    const float* xp = x + plane * H * W;
    int h0 = oh * 2 - 1, w0 = ow * 2 - 1;
    float best = -INFINITY;
    int bi = -1;
    // PyTorch: scan rows then cols, take val > max or NaN (first max wins on ties, last NaN wins)
    for (int h = h0; h < h0 + 3; ++h) {
      if (h < 0 || h >= H) continue;
      for (int w = w0; w < w0 + 3; ++w) {
        if (w < 0 || w >= W) continue;
        float v = xp[h * W + w];
        if (v > best || v != v || bi < 0) {
          best = v;
          bi = h * W + w;
        }
      }
    }
    y[i] = best;
    argmax[i] = bi;
  }
}
// grid-stride over NC*H*W input cells: dx = sum of dy over the (<= 2x2) windows whose argmax is this cell
AA_KERNEL void aa_maxpool3s2_bwd_f32(float* dx, const float* dy, const int* argmax, int NC, int H, int W) {
  int Ho = aa::pool_out_size(H), Wo = aa::pool_out_size(W);
  long long total = (long long)NC * H * W;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
    int w = (int)(i % W);
    long long t = i / W;
    int h = (int)(t % H);
    long long plane = t / H;
    int me = h * W + w;
    // windows oh with 2*oh-1 <= h <= 2*oh+1  ->  oh in [ceil((h-1)/2), floor((h+1)/2)]
    int oh0 = h / 2, oh1 = (h + 1) / 2;
    int ow0 = w / 2, ow1 = (w + 1) / 2;
    float acc = 0.f;
    for (int oh = oh0; oh <= oh1 && oh < Ho; ++oh)
      for (int ow = ow0; ow <= ow1 && ow < Wo; ++ow) {
        long long o = (plane * Ho + oh) * Wo + ow;
        if (argmax[o] == me) acc += dy[o];
      }
    dx[i] = acc;
  }
}
AA_KERNEL void aa_upsample_nearest_fwd_f32(float* y, const float* x, int NC, int Hin, int Win, int Hout, int Wout,
                                           int accumulate) {
  long long total = (long long)NC * Hout * Wout;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
    int ow = (int)(i % Wout);
    long long t = i / Wout;
    int oh = (int)(t % Hout);
    long long plane = t / Hout;
    float v = x[(plane * Hin + aa::nearest_src(oh, Hin, Hout)) * Win + aa::nearest_src(ow, Win, Wout)];
    y[i] = accumulate ? y[i] + v : v;
  }
}
AA_KERNEL void aa_upsample_nearest_bwd_f32(float* dx, const float* dy, int NC, int Hin, int Win, int Hout, int Wout,
                                           int accumulate) {
  long long total = (long long)NC * Hin * Win;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
    int iw = (int)(i % Win);
    long long t = i / Win;
    int ih = (int)(t % Hin);
    long long plane = t / Hin;
    int oh0 = aa::nearest_dst_begin(ih, Hin, Hout), oh1 = aa::nearest_dst_begin(ih + 1, Hin, Hout);
    int ow0 = aa::nearest_dst_begin(iw, Win, Wout), ow1 = aa::nearest_dst_begin(iw + 1, Win, Wout);
    if (ih == Hin - 1) oh1 = Hout;
    if (iw == Win - 1) ow1 = Wout;
    float acc = 0.f;
    const float* dp = dy + plane * Hout * Wout;
    for (int oh = oh0; oh < oh1; ++oh)
      for (int ow = ow0; ow < ow1; ++ow) acc += dp[(long long)oh * Wout + ow];
    dx[i] = accumulate ? dx[i] + acc : acc;
  }
}

extern "C" {
int aa_maxpool3s2_fwd(float* y, int* argmax, const float* x, int NC, int H, int W, aa_stream_t s) {
  long long n = (long long)NC * aa::pool_out_size(H) * aa::pool_out_size(W);
  if (n <= 0) return 0;
  aa_maxpool3s2_fwd_f32<<<aa::grid_1d(n), AA_BLOCK, 0, s>>>(y, argmax, x, NC, H, W);
  return aa::launch_status();
}
int aa_maxpool3s2_bwd(float* dx, const float* dy, const int* argmax, int NC, int H, int W, aa_stream_t s) {
  long long n = (long long)NC * H * W;
  if (n <= 0) return 0;
  aa_maxpool3s2_bwd_f32<<<aa::grid_1d(n), AA_BLOCK, 0, s>>>(dx, dy, argmax, NC, H, W);
  return aa::launch_status();
}
int aa_upsample_nearest_fwd(float* y, const float* x, int NC, int Hin, int Win, int Hout, int Wout, int accumulate,
                            aa_stream_t s) {
  long long n = (long long)NC * Hout * Wout;
  if (n <= 0) return 0;
  aa_upsample_nearest_fwd_f32<<<aa::grid_1d(n), AA_BLOCK, 0, s>>>(y, x, NC, Hin, Win, Hout, Wout, accumulate);
  return aa::launch_status();
}
int aa_upsample_nearest_bwd(float* dx, const float* dy, int NC, int Hin, int Win, int Hout, int Wout, int accumulate,
                            aa_stream_t s) {
  long long n = (long long)NC * Hin * Win;
  if (n <= 0) return 0;
  aa_upsample_nearest_bwd_f32<<<aa::grid_1d(n), AA_BLOCK, 0, s>>>(dx, dy, NC, Hin, Win, Hout, Wout, accumulate);
  return aa::launch_status();
}
}
