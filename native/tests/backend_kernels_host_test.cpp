// backend_kernels_host_test.cpp — runs the Java CUDA backend's own kernels (the real source of
// src/main/resources/autoassign/backend/cuda/backend_kernels.cu) on the CPU through cuda_emu.h and compares
// each with a plain reference loop that follows the CPU twin (autoassign.backend.cpu.CpuBackend).
// Grids are the ones CudaBackend.java launches, plus a deliberately small grid where the grid-stride loops
// matter. One line per case; exit status 1 on any failure. No GPU or CUDA toolkit needed.
#include "cuda_emu.h"
#include "backend_kernels.cu"  // include path set by CMake (src/main/resources/autoassign/backend/cuda)

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using Vec = std::vector<float>;
static int g_cases = 0, g_failed = 0;

// ---------------------------------------------------------------- launch geometry of CudaBackend / Kernels
static const unsigned BLOCK = 256;  // Kernels.BLOCK
static unsigned grid1d(long long n) {  // Kernels.grid1d
  long long g = (n + BLOCK - 1) / BLOCK;
  return (unsigned)std::max(1LL, std::min(g, 1LL << 16));
}
static dim3 grid_planes(long long hw, long long planes) {  // CudaBackend.launchPlanes
  return dim3((unsigned)std::min((hw + BLOCK - 1) / BLOCK, 1024LL), (unsigned)std::min(planes, 65535LL));
}
static std::string gstr(dim3 g) {
  return g.y == 1 ? "grid " + std::to_string(g.x) : "grid (" + std::to_string(g.x) + "," + std::to_string(g.y) + ")";
}

// ---------------------------------------------------------------- data
struct Rng {  // xorshift64*: the same numbers with every compiler
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  uint64_t next() {
    s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
    return s * 0x2545F4914F6CDD1DULL;
  }
  float uni(float lo, float hi) { return lo + (hi - lo) * (float)((next() >> 40) * (1.0 / (1ULL << 24))); }
};
static Vec rand_vec(size_t n, uint64_t seed, float lo = -2.f, float hi = 2.f) {
  Rng r(seed);
  Vec v(n);
  for (auto& x : v) x = r.uni(lo, hi);
  return v;
}
static float bits_to_float(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
static uint32_t float_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
static const float QNAN = bits_to_float(0x7FC00000u), QNAN2 = bits_to_float(0x7FC00002u), NEG_NAN = bits_to_float(0xFFC00001u);

// Java's Math.max(float, float): NaN wins, +0 > -0
static float java_max(float a, float b) {
  if (a != a) return a;
  if (b != b) return b;
  if (a == 0.f && b == 0.f) return std::signbit(a) && std::signbit(b) ? -0.f : 0.f;
  return a > b ? a : b;
}
// CpuBackend's branch-free "x > 0" mask (clampMinBackward with min = Float.MIN_VALUE, actAffineBackward)
static float keep_if_positive(float g, float x) {
  uint64_t b = (uint64_t)(uint32_t)(float_bits(x) - 1u);
  uint32_t mask = b < 0x7F800000ull ? 0xFFFFFFFFu : 0u;
  return bits_to_float(float_bits(g) & mask);
}

// ---------------------------------------------------------------- comparison
// exact: bit-for-bit (copies, compares, masks); otherwise |got - want| <= rtol * max(1, |want|), NaN == NaN.
static void check(const std::string& name, const float* got, const float* want, size_t n, double rtol) {
  double maxabs = 0;
  long long bad = -1;
  for (size_t i = 0; i < n; ++i) {
    float g = got[i], w = want[i];
    bool ok;
    if (rtol == 0) ok = float_bits(g) == float_bits(w);
    else if (w != w || g != g) ok = (w != w) && (g != g);
    else ok = std::fabs((double)g - w) <= rtol * std::max(1.0, std::fabs((double)w));
    if (g == g && w == w) maxabs = std::max(maxabs, std::fabs((double)g - w));
    else if ((g != g) != (w != w)) maxabs = INFINITY;
    if (!ok && bad < 0) bad = (long long)i;
  }
  ++g_cases;
  if (bad >= 0) ++g_failed;
  std::printf("%-72s max abs err %-9.3g %s", name.c_str(), maxabs, bad < 0 ? "PASS" : "FAIL");
  if (bad >= 0) std::printf("  (first at [%lld]: got %.9g want %.9g)", bad, got[bad], want[bad]);
  std::printf("\n");
}
static void check(const std::string& name, const Vec& got, const Vec& want, double rtol) {
  check(name, got.data(), want.data(), want.size(), rtol);
}
static const double RTOL = 1e-6;

// ---------------------------------------------------------------- aaj_affine_act / aaj_act_affine_backward
struct Shape4 {
  int N, C, H, W;
  long long hw() const { return (long long)H * W; }
  long long planes() const { return (long long)N * C; }
  long long numel() const { return planes() * hw(); }
  std::string str() const {
    return std::to_string(N) + "x" + std::to_string(C) + "x" + std::to_string(H) + "x" + std::to_string(W);
  }
};

static void test_affine_act(Shape4 s, dim3 grid) {
  const long long n = s.numel(), hw = s.hw();
  Vec x0 = rand_vec(n, 1), res = rand_vec(n, 2), scale = rand_vec(s.C, 3, -1.5f, 1.5f), shift = rand_vec(s.C, 4);
  x0[7] = QNAN;  // NaN propagates through relu
  x0[n - 1] = NEG_NAN;
  x0[3] = -0.f;
  x0[4] = 0.f;
  if (n > 4 * hw + 300) x0[4 * hw + 300] = QNAN;  // reached by a later grid-stride iteration
  for (int mask = 0; mask < 16; ++mask) {
    bool sc = mask & 1, sh = mask & 2, rs = mask & 4, relu = mask & 8;
    const float* sp = sc ? scale.data() : nullptr;
    const float* hp = sh ? shift.data() : nullptr;
    const float* rp = rs ? res.data() : nullptr;
    Vec x = x0, want(n);
    for (long long p = 0; p < s.planes(); ++p) {  // CpuBackend.affineActImpl
      int c = (int)(p % s.C);
      for (long long j = p * hw; j < (p + 1) * hw; ++j) {
        float t = x0[j];
        if (sp) t = t * sp[c] + (hp ? hp[c] : 0.f);
        else if (hp) t = t + hp[c];
        if (rp) t = t + rp[j];
        want[j] = relu ? java_max(t, 0.f) : t;
      }
    }
    launch(aaj_affine_act, grid, dim3(BLOCK), x.data(), sp, hp, rp, relu ? 1 : 0, s.C, hw, s.planes());
    char name[160];
    std::snprintf(name, sizeof name, "aaj_affine_act %s scale=%d shift=%d res=%d relu=%d %s", s.str().c_str(), sc, sh, rs,
                  relu, gstr(grid).c_str());
    check(name, x, want, RTOL);
  }
}

static void test_act_affine_backward(Shape4 s, dim3 grid) {
  const long long n = s.numel(), hw = s.hw();
  Vec g = rand_vec(n, 5), y = rand_vec(n, 6), scale = rand_vec(s.C, 7, -1.5f, 1.5f);
  const float specials[] = {QNAN, NEG_NAN, 0.f, -0.f, FLT_TRUE_MIN, -FLT_TRUE_MIN, INFINITY, -INFINITY};
  for (int i = 0; i < 8; ++i) y[11 + 13 * i] = specials[i];  // y's sign decides the relu mask
  g[20] = QNAN;
  if (n > 5 * hw + 400) y[5 * hw + 400] = QNAN;
  for (int mask = 0; mask < 4; ++mask) {
    bool sc = mask & 1, relu = mask & 2;
    const float* sp = sc ? scale.data() : nullptr;
    Vec out(n, -7.f), want(n);
    for (long long p = 0; p < s.planes(); ++p) {  // CpuBackend.actAffineBackwardImpl
      float k = sp ? sp[p % s.C] : 1.f;
      for (long long j = p * hw; j < (p + 1) * hw; ++j) {
        float gj = relu ? keep_if_positive(g[j], y[j]) : g[j];
        want[j] = sp ? gj * k : gj;
      }
    }
    launch(aaj_act_affine_backward, grid, dim3(BLOCK), out.data(), g.data(), y.data(), sp, relu ? 1 : 0, s.C, hw, s.planes());
    char name[160];
    std::snprintf(name, sizeof name, "aaj_act_affine_backward %s scale=%d relu=%d %s", s.str().c_str(), sc, relu,
                  gstr(grid).c_str());
    check(name, out, want, RTOL);
  }
}

// ---------------------------------------------------------------- aaj_channel_affine
static void test_channel_affine(Shape4 s, dim3 grid) {
  const long long n = s.numel(), hw = s.hw();
  Vec x = rand_vec(n, 8), scale = rand_vec(s.C, 9, -1.5f, 1.5f), shift = rand_vec(s.C, 10);
  x[5] = QNAN;
  for (int mask = 0; mask < 4; ++mask) {
    bool sc = mask & 1, sh = mask & 2;
    const float* sp = sc ? scale.data() : nullptr;
    const float* hp = sh ? shift.data() : nullptr;
    Vec y(n, -7.f), want(n);
    for (long long i = 0; i < n; ++i) {
      int c = (int)(i / hw % s.C);
      want[i] = x[i] * (sp ? sp[c] : 1.f) + (hp ? hp[c] : 0.f);
    }
    launch(aaj_channel_affine, grid, dim3(BLOCK), y.data(), x.data(), sp, hp, s.C, hw, n);
    char name[160];
    std::snprintf(name, sizeof name, "aaj_channel_affine %s scale=%d shift=%d %s", s.str().c_str(), sc, sh,
                  gstr(grid).c_str());
    check(name, y, want, RTOL);
  }
  // conv2d bias fallback (CudaBackend.addChannelBias): in place, no scale
  Vec y = x, want(n);
  for (long long i = 0; i < n; ++i) want[i] = x[i] + shift[i / hw % s.C];
  launch(aaj_channel_affine, grid, dim3(BLOCK), y.data(), y.data(), nullptr, shift.data(), s.C, hw, n);
  check("aaj_channel_affine " + s.str() + " in-place bias " + gstr(grid), y, want, RTOL);
}

// ---------------------------------------------------------------- clampMin / clampMinBackward
static Vec clamp_input(long long n, float lo) {
  Vec x = rand_vec(n, 11);
  const float specials[] = {QNAN, NEG_NAN, 0.f, -0.f, FLT_TRUE_MIN, -FLT_TRUE_MIN, INFINITY, -INFINITY, lo, lo, lo};
  for (int i = 0; i < 11; ++i) x[17 * i + 1] = specials[i];
  x[n - 1] = lo;  // last element, reached by the last grid-stride step
  return x;
}

static void test_clamp_min(long long n, float lo, dim3 grid) {
  Vec x = clamp_input(n, lo), y(n, -7.f), want(n);
  for (long long i = 0; i < n; ++i) want[i] = java_max(x[i], lo);  // CpuBackend.clampMin: Math.max(x, min)
  launch(aaj_clamp_min, grid, dim3(BLOCK), y.data(), x.data(), lo, n);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_clamp_min n=%lld lo=%g %s", n, lo, gstr(grid).c_str());
  check(name, y, want, 0);
}

static void test_clamp_min_backward(long long n, float lo, dim3 grid) {
  Vec x = clamp_input(n, lo), g = rand_vec(n, 12), y(n, -7.f), want(n);
  g[30] = QNAN;
  for (long long i = 0; i < n; ++i)  // CpuBackend.clampMinBackward: x >= min (bit mask when min = MIN_VALUE)
    want[i] = lo == FLT_TRUE_MIN ? keep_if_positive(g[i], x[i]) : (x[i] >= lo ? g[i] : 0.f);
  launch(aaj_clamp_min_backward, grid, dim3(BLOCK), y.data(), g.data(), x.data(), lo, n);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_clamp_min_backward n=%lld lo=%g %s", n, lo, gstr(grid).c_str());
  check(name, y, want, 0);
}

// ---------------------------------------------------------------- aaj_sgd_step
static void test_sgd(long long n, dim3 grid) {
  const float lr = 0.01f, momentum = 0.9f, wd = 1e-4f;
  Vec p = rand_vec(n, 13), buf(n, 123.f), pw = p, bw(n);
  for (int step = 0; step < 2; ++step) {
    int first = step == 0;
    Vec g = rand_vec(n, 14 + step);
    for (long long i = 0; i < n; ++i) {  // CpuBackend.sgdStep
      float d = g[i] + wd * pw[i];
      float v = first ? d : momentum * bw[i] + d;
      bw[i] = v;
      pw[i] -= lr * v;
    }
    launch(aaj_sgd_step, grid, dim3(BLOCK), p.data(), g.data(), buf.data(), lr, momentum, wd, first, n);
    std::string name = "aaj_sgd_step n=" + std::to_string(n) + (first ? " first" : " momentum") + " " + gstr(grid);
    check(name + " param", p, pw, RTOL);
    check(name + " buf", buf, bw, RTOL);
  }
}

// ---------------------------------------------------------------- reductions
// CudaBackend.reduce: blocks = min(grid1d(n), 1024) partials, then one block of 256 sums them
static void test_reduce(long long n, bool dot, unsigned blocks) {
  Vec a = rand_vec(n, 16, -1.f, 3.f), b = rand_vec(n, 17);
  double ref = 0;
  for (long long i = 0; i < n; ++i) ref += dot ? (double)a[i] * b[i] : (double)a[i];
  std::vector<double> partial(blocks, -1.0);
  Vec out(1, -7.f), want(1, (float)ref);
  launch(aaj_reduce_partial, dim3(blocks), dim3(BLOCK), partial.data(), a.data(), dot ? b.data() : nullptr, n);
  launch(aaj_reduce_final, dim3(1), dim3(BLOCK), out.data(), partial.data(), (int)blocks);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_reduce_partial+final %s n=%lld grid %u", dot ? "dot" : "sum", n, blocks);
  check(name, out, want, RTOL);
}

// aaj_reduce_final alone with more partials than threads (count up to 1024 in CudaBackend)
static void test_reduce_final(int count) {
  std::vector<double> partial(count);
  Rng r(18);
  double ref = 0;
  for (auto& v : partial) ref += v = r.uni(-100.f, 300.f) / 7.0;
  Vec out(1, -7.f), want(1, (float)ref);
  launch(aaj_reduce_final, dim3(1), dim3(BLOCK), out.data(), partial.data(), count);
  check("aaj_reduce_final count=" + std::to_string(count) + " grid 1", out, want, RTOL);
}

// CudaBackend.channelSum fallback: grid C blocks of 256
static void test_channel_sum(Shape4 s) {
  Vec g = rand_vec(s.numel(), 19), out(s.C, -7.f), want(s.C);
  for (int c = 0; c < s.C; ++c) {
    double acc = 0;
    for (int n = 0; n < s.N; ++n)
      for (long long j = 0; j < s.hw(); ++j) acc += g[((long long)n * s.C + c) * s.hw() + j];
    want[c] = (float)acc;
  }
  launch(aaj_channel_sum, dim3(s.C), dim3(BLOCK), out.data(), g.data(), s.N, s.C, s.hw());
  check("aaj_channel_sum " + s.str() + " grid " + std::to_string(s.C), out, want, RTOL);
}

// ---------------------------------------------------------------- max pool
// Reference argmax: the last NaN of the window if it has one, else the first element (row-major) equal to its maximum.
static int ref_argmax(const float* p, int H, int W, int oy, int ox, int k, int st, int pad) {
  int nan_at = -1, first = -1;
  float m = -INFINITY;
  for (int ky = 0; ky < k; ++ky)
    for (int kx = 0; kx < k; ++kx) {
      int iy = oy * st - pad + ky, ix = ox * st - pad + kx;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      float v = p[iy * W + ix];
      if (v != v) nan_at = iy * W + ix;
      else m = std::max(m, v);
    }
  if (nan_at >= 0) return nan_at;
  for (int ky = 0; ky < k && first < 0; ++ky)
    for (int kx = 0; kx < k && first < 0; ++kx) {
      int iy = oy * st - pad + ky, ix = ox * st - pad + kx;
      if (iy >= 0 && iy < H && ix >= 0 && ix < W && p[iy * W + ix] == m) first = iy * W + ix;
    }
  return first;
}

static void test_max_pool(Shape4 s, int k, int st, int pad, bool small_grid) {
  const int H = s.H, W = s.W, OH = (H + 2 * pad - k) / st + 1, OW = (W + 2 * pad - k) / st + 1;
  const long long total = s.planes() * OH * OW, plane = (long long)H * W;
  Rng r(20);
  Vec x(s.numel());
  for (auto& v : x) v = (float)(int)r.uni(-1.f, 3.f);  // values in {-1,0,1,2}: many ties
  x[0] = -0.f;                                         // -0 before +0 in the first window: the first zero wins
  x[W + 2] = QNAN;                                     // two NaNs in one window (payloads differ): the last wins
  x[2 * W + 3] = QNAN2;
  x[plane + 5] = NEG_NAN;
  Vec gy = rand_vec(total, 21), y(total, -7.f), gx(s.numel(), 0.f), want_y(total), want_gx(s.numel(), 0.f);
  for (long long i = 0; i < total; ++i) {
    int ox = (int)(i % OW), oy = (int)(i / OW % OH);
    long long pl = i / ((long long)OW * OH);
    int a = ref_argmax(x.data() + pl * plane, H, W, oy, ox, k, st, pad);
    want_y[i] = x[pl * plane + a];
    want_gx[pl * plane + a] += gy[i];
  }
  dim3 grid(small_grid ? 2 : grid1d(total));
  char what[160];
  std::snprintf(what, sizeof what, " %s k%d s%d p%d %s", s.str().c_str(), k, st, pad, gstr(grid).c_str());
  launch(aaj_max_pool_fwd, grid, dim3(BLOCK), y.data(), x.data(), H, W, OH, OW, k, st, pad, total);
  check(std::string("aaj_max_pool_fwd") + what, y, want_y, 0);
  launch(aaj_max_pool_bwd, grid, dim3(BLOCK), gx.data(), gy.data(), x.data(), H, W, OH, OW, k, st, pad, total);
  check(std::string("aaj_max_pool_bwd") + what, gx, want_gx, RTOL);  // atomics: the summation order differs
}

// ---------------------------------------------------------------- the emulator itself
// Threads that return early must not hold up the others' __syncthreads() (a GPU stops counting exited threads).
__global__ void emu_early_exit(float* out) {
  __shared__ float sh[100];
  if (threadIdx.x >= 100) return;
  sh[threadIdx.x] = (float)(blockIdx.x * 1000 + threadIdx.x);
  __syncthreads();
  out[blockIdx.x * 100 + threadIdx.x] = sh[99 - threadIdx.x];
}
static void test_emulator() {
  Vec out(300, -7.f), want(300);
  for (int i = 0; i < 300; ++i) want[i] = (float)(i / 100 * 1000 + 99 - i % 100);
  launch(emu_early_exit, dim3(3), dim3(BLOCK), out.data());
  check("cuda_emu: early return + __syncthreads + __shared__, grid 3", out, want, 0);
}

int main() {
  test_emulator();
  // hw = 529 > 256: 3 blocks per plane row; the small grid (2,4) loops over both hw (529 > 2*256) and planes (6 > 4)
  const Shape4 big{2, 3, 23, 23}, small{2, 3, 5, 7};
  for (Shape4 s : {small, big}) test_affine_act(s, grid_planes(s.hw(), s.planes()));
  test_affine_act(big, dim3(2, 4));
  for (Shape4 s : {small, big}) test_act_affine_backward(s, grid_planes(s.hw(), s.planes()));
  test_act_affine_backward(big, dim3(2, 4));

  test_channel_affine(big, dim3(grid1d(big.numel())));
  test_channel_affine(big, dim3(2));

  const long long n = 3001;
  for (float lo : {0.f, 0.25f, -1.f}) {
    test_clamp_min(n, lo, dim3(grid1d(n)));
    test_clamp_min(n, lo, dim3(3));
  }
  for (float lo : {FLT_TRUE_MIN, 0.25f, -1.f}) {
    test_clamp_min_backward(n, lo, dim3(grid1d(n)));
    test_clamp_min_backward(n, lo, dim3(3));
  }

  test_sgd(n, dim3(grid1d(n)));
  test_sgd(n, dim3(2));

  for (bool dot : {false, true}) {
    for (long long m : {1LL, 200LL, 5000LL}) test_reduce(m, dot, std::min(grid1d(m), 1024u));
    test_reduce(5000, dot, 3);
  }
  test_reduce_final(700);

  test_channel_sum({3, 5, 17, 19});  // hw = 323: each thread strides past 256
  test_channel_sum({2, 4, 3, 3});    // hw = 9: most threads add nothing

  for (Shape4 s : {Shape4{2, 3, 9, 11}, Shape4{2, 4, 40, 40}}) {
    test_max_pool(s, 3, 2, 1, false);
    test_max_pool(s, 3, 2, 1, true);
  }

  std::printf("backend_kernels.cu under cuda_emu: %d cases, %d failed\n", g_cases, g_failed);
  return g_failed ? 1 : 0;
}
