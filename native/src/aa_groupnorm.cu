// aa_groupnorm.cu — GroupNorm forward/backward, NCHW, per-(n,c) double partial sums.
#include "aa_common.cuh"

// Planes whose length is a multiple of 4 and whose start is 16-byte aligned are read as float4 (4x fewer loads in
// flight for the same bytes: these kernels are memory-bound); others element by element. Sums stay double, in a
// fixed order per thread and block: deterministic run to run.
namespace {
__device__ __forceinline__ bool aa_vec4(const void* p, long long HW) { return (HW & 3) == 0 && ((size_t)p & 15) == 0; }
}  // namespace

// grid: N*C blocks; ws[2*nc] = sum x, ws[2*nc+1] = sum x^2 over the plane
AA_KERNEL void aa_gn_fwd_stats(const float* x, double* ws, long long HW) {
  __shared__ double sh[32];
  const float* p = x + (long long)blockIdx.x * HW;
  double s1 = 0.0, s2 = 0.0;
  if (aa_vec4(p, HW)) {
    const float4* p4 = reinterpret_cast<const float4*>(p);
    for (long long i = threadIdx.x; i < (HW >> 2); i += blockDim.x) {
      float4 v = p4[i];
      double a = v.x, b = v.y, c = v.z, d = v.w;
      s1 += (a + b) + (c + d);
      s2 += (a * a + b * b) + (c * c + d * d);
    }
  } else {
    for (long long i = threadIdx.x; i < HW; i += blockDim.x) {
      double v = p[i];
      s1 += v;
      s2 += v * v;
    }
  }
  s1 = aa::block_sum(s1, sh);
  s2 = aa::block_sum(s2, sh);
  if (threadIdx.x == 0) {
    ws[2 * blockIdx.x] = s1;
    ws[2 * blockIdx.x + 1] = s2;
  }
}
// grid: (chunks over HW, N*C). mean/rstd [N*G] written by the first block of each group.
AA_KERNEL void aa_gn_fwd_norm(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                              const float* beta, const double* ws, int C, long long HW, int G, float eps) {
  int nc = blockIdx.y, c = nc % C, n = nc / C, cpg = C / G, g = c / cpg;
  const double* w = ws + 2 * ((long long)n * C + (long long)g * cpg);
  double s1 = 0.0, s2 = 0.0;
  for (int k = 0; k < cpg; ++k) {
    s1 += w[2 * k];
    s2 += w[2 * k + 1];
  }
  double M = (double)cpg * (double)HW;
  double mu = s1 / M, var = s2 / M - mu * mu;
  if (var < 0.0) var = 0.0;
  float mf = (float)mu, rf = (float)(1.0 / sqrt(var + (double)eps));
  if (blockIdx.x == 0 && threadIdx.x == 0 && c % cpg == 0) {
    mean[n * G + g] = mf;
    rstd[n * G + g] = rf;
  }
  float ga = gamma[c], be = beta[c];
  const float* xp = x + (long long)nc * HW;
  float* yp = y + (long long)nc * HW;
  long long i0 = (long long)blockIdx.x * blockDim.x + threadIdx.x, step = (long long)gridDim.x * blockDim.x;
  if (aa_vec4(xp, HW) && aa_vec4(yp, HW)) {
    const float4* x4 = reinterpret_cast<const float4*>(xp);
    float4* y4 = reinterpret_cast<float4*>(yp);
    for (long long i = i0; i < (HW >> 2); i += step) {
      float4 v = x4[i], o;
      o.x = aa::gn_norm(v.x, mf, rf, ga, be);
      o.y = aa::gn_norm(v.y, mf, rf, ga, be);
      o.z = aa::gn_norm(v.z, mf, rf, ga, be);
      o.w = aa::gn_norm(v.w, mf, rf, ga, be);
      y4[i] = o;
    }
  } else {
    for (long long i = i0; i < HW; i += step) yp[i] = aa::gn_norm(xp[i], mf, rf, ga, be);
  }
}
// grid: N*C blocks; ws[2*nc] = sum dy*x, ws[2*nc+1] = sum dy
AA_KERNEL void aa_gn_bwd_reduce(const float* dy, const float* x, double* ws, long long HW) {
  __shared__ double sh[32];
  const float* d = dy + (long long)blockIdx.x * HW;
  const float* p = x + (long long)blockIdx.x * HW;
  double s1 = 0.0, s2 = 0.0;
  if (aa_vec4(d, HW) && aa_vec4(p, HW)) {
    const float4* d4 = reinterpret_cast<const float4*>(d);
    const float4* p4 = reinterpret_cast<const float4*>(p);
    for (long long i = threadIdx.x; i < (HW >> 2); i += blockDim.x) {
      float4 dv = d4[i], xv = p4[i];
      double a = dv.x, b = dv.y, c = dv.z, e = dv.w;
      s1 += (a * (double)xv.x + b * (double)xv.y) + (c * (double)xv.z + e * (double)xv.w);
      s2 += (a + b) + (c + e);
    }
  } else {
    for (long long i = threadIdx.x; i < HW; i += blockDim.x) {
      double dv = d[i];
      s1 += dv * (double)p[i];
      s2 += dv;
    }
  }
  s1 = aa::block_sum(s1, sh);
  s2 = aa::block_sum(s2, sh);
  if (threadIdx.x == 0) {
    ws[2 * blockIdx.x] = s1;
    ws[2 * blockIdx.x + 1] = s2;
  }
}
// grid: (chunks over HW, N*C)
AA_KERNEL void aa_gn_bwd_dx(float* dx, const float* dy, const float* x, const float* mean, const float* rstd,
                            const float* gamma, const double* ws, int C, long long HW, int G) {
  int nc = blockIdx.y, c = nc % C, n = nc / C, cpg = C / G, g = c / cpg;
  const double* w = ws + 2 * ((long long)n * C + (long long)g * cpg);
  double sds = 0.0, sdb = 0.0;
  for (int k = 0; k < cpg; ++k) {
    double ga = gamma[g * cpg + k];
    sds += ga * w[2 * k];
    sdb += ga * w[2 * k + 1];
  }
  double mu = mean[n * G + g], rs = rstd[n * G + g], c2, c3;
  aa::gn_bwd_coeffs(sds, sdb, mu, rs, (double)cpg * (double)HW, &c2, &c3);
  float c1 = (float)(rs * (double)gamma[c]), c2f = (float)c2, c3f = (float)c3;
  const float* xp = x + (long long)nc * HW;
  const float* dp = dy + (long long)nc * HW;
  float* op = dx + (long long)nc * HW;
  long long i0 = (long long)blockIdx.x * blockDim.x + threadIdx.x, step = (long long)gridDim.x * blockDim.x;
  if (aa_vec4(xp, HW) && aa_vec4(dp, HW) && aa_vec4(op, HW)) {
    const float4* x4 = reinterpret_cast<const float4*>(xp);
    const float4* d4 = reinterpret_cast<const float4*>(dp);
    float4* o4 = reinterpret_cast<float4*>(op);
    for (long long i = i0; i < (HW >> 2); i += step) {
      float4 xv = x4[i], dv = d4[i], o;
      o.x = aa::gn_dx(dv.x, xv.x, c1, c2f, c3f);
      o.y = aa::gn_dx(dv.y, xv.y, c1, c2f, c3f);
      o.z = aa::gn_dx(dv.z, xv.z, c1, c2f, c3f);
      o.w = aa::gn_dx(dv.w, xv.w, c1, c2f, c3f);
      o4[i] = o;
    }
  } else {
    for (long long i = i0; i < HW; i += step) op[i] = aa::gn_dx(dp[i], xp[i], c1, c2f, c3f);
  }
}
// grid: ceil(C/256) blocks; dgamma[c] (=|+=) sum_n (ds - db*mean)*rstd ; dbeta[c] (=|+=) sum_n db
AA_KERNEL void aa_gn_bwd_params(float* dgamma, float* dbeta, const float* mean, const float* rstd, const double* ws,
                                int N, int C, int G, int accumulate) {
  int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  int g = c / (C / G);
  double dg = 0.0, db = 0.0;
  for (int n = 0; n < N; ++n) {
    const double* w = ws + 2 * ((long long)n * C + c);
    dg += (w[0] - w[1] * (double)mean[n * G + g]) * (double)rstd[n * G + g];
    db += w[1];
  }
  if (accumulate) {
    dg += dgamma[c];
    db += dbeta[c];
  }
  dgamma[c] = (float)dg;
  dbeta[c] = (float)db;
}

namespace {
// blocks per plane of the norm / dx kernels (CudaBackend.gnPlaneBlocks): a thread per float4 where they vectorise
unsigned aa_plane_blocks(long long HW) { return aa::grid_1d((HW & 3) == 0 ? HW >> 2 : HW, AA_BLOCK, 64); }
}  // namespace

extern "C" {
int aa_groupnorm_fwd(float* y, float* mean, float* rstd, const float* x, const float* gamma, const float* beta, int N,
                     int C, long long HW, int G, float eps, double* ws, aa_stream_t s) {
  if (N <= 0 || C <= 0 || HW <= 0 || G <= 0 || C % G) return N <= 0 || C <= 0 || HW <= 0 ? 0 : 1;
  aa_gn_fwd_stats<<<N * C, AA_BLOCK, 0, s>>>(x, ws, HW);
  dim3 grid(aa_plane_blocks(HW), (unsigned)(N * C));
  aa_gn_fwd_norm<<<grid, AA_BLOCK, 0, s>>>(y, mean, rstd, x, gamma, beta, ws, C, HW, G, eps);
  return aa::launch_status();
}
int aa_groupnorm_bwd(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x, const float* mean,
                     const float* rstd, const float* gamma, int N, int C, long long HW, int G, int accumulate,
                     double* ws, aa_stream_t s) {
  if (N <= 0 || C <= 0 || HW <= 0 || G <= 0 || C % G) return N <= 0 || C <= 0 || HW <= 0 ? 0 : 1;
  aa_gn_bwd_reduce<<<N * C, AA_BLOCK, 0, s>>>(dy, x, ws, HW);
  dim3 grid(aa_plane_blocks(HW), (unsigned)(N * C));
  aa_gn_bwd_dx<<<grid, AA_BLOCK, 0, s>>>(dx, dy, x, mean, rstd, gamma, ws, C, HW, G);
  aa_gn_bwd_params<<<(C + AA_BLOCK - 1) / AA_BLOCK, AA_BLOCK, 0, s>>>(dgamma, dbeta, mean, rstd, ws, N, C, G,
                                                                     accumulate);
  return aa::launch_status();
}
}
