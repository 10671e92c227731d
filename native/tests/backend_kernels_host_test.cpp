// backend_kernels_host_test.cpp — runs the Java CUDA backend's own kernels (the real source of
// src/main/resources/autoassign/backend/cuda/backend_kernels.cu) on the CPU through cuda_emu.h and compares
// each with a plain reference loop that follows the CPU twin (autoassign.backend.cpu.CpuBackend).
// Grids are the ones CudaBackend.java launches, plus a deliberately small grid where the grid-stride loops
// matter. One line per case; exit status 1 on any failure. No GPU or CUDA toolkit needed.
#include "cuda_emu.h"
#include "backend_kernels.cu"  // include path set by CMake (src/main/resources/autoassign/backend/cuda)

#include <cfloat>
#include <cstddef>
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
  long long items = hw % 4 == 0 ? hw / 4 : hw;               // a thread per float4 where the kernels vectorise
  return dim3((unsigned)std::max(1LL, std::min((items + BLOCK - 1) / BLOCK, 1024LL)), (unsigned)std::min(planes, 65535LL));
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

// ---------------------------------------------------------------- hardtanh / hardtanhBackward (ReLU6)
static void test_hardtanh(long long n, float lo, float hi, dim3 grid) {
  Vec x = clamp_input(n, lo), y(n, -7.f), want(n);
  x[5] = hi; x[6] = std::nextafter(hi, 0.f); x[7] = std::nextafter(lo, 0.f); x[n - 2] = hi;
  for (long long i = 0; i < n; ++i) {  // CpuBackend.hardtanh: Math.min(Math.max(x, lo), hi)
    float v = java_max(x[i], lo);  // Java's max: NaN propagates, max(-0, 0) is +0
    want[i] = v > hi ? hi : v;
  }
  launch(aaj_hardtanh, grid, dim3(BLOCK), y.data(), x.data(), lo, hi, n);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_hardtanh n=%lld lo=%g hi=%g %s", n, lo, hi, gstr(grid).c_str());
  check(name, y, want, 0);
}

static void test_hardtanh_backward(long long n, float lo, float hi, dim3 grid) {
  Vec x = clamp_input(n, lo), g = rand_vec(n, 12), y(n, -7.f), want(n);
  x[5] = hi; x[6] = std::nextafter(hi, 0.f); x[7] = std::nextafter(lo, 0.f); x[n - 2] = hi;
  for (long long i = 0; i < n; ++i)  // PyTorch's hardtanh_backward: zero at and beyond both bounds
    want[i] = (x[i] <= lo || x[i] >= hi) ? 0.f : g[i];
  launch(aaj_hardtanh_backward, grid, dim3(BLOCK), y.data(), g.data(), x.data(), lo, hi, n);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_hardtanh_backward n=%lld lo=%g hi=%g %s", n, lo, hi, gstr(grid).c_str());
  check(name, y, want, 0);
}

// ---------------------------------------------------------------- leakyRelu / leakyReluBackward
static void test_leaky_relu(long long n, float slope, dim3 grid) {
  Vec x = rand_vec(n, 13), y(n, -7.f), want(n);
  x[0] = 0.f; x[1] = -0.f; x[2] = std::nextafter(0.f, 1.f); x[3] = std::nextafter(0.f, -1.f);
  for (long long i = 0; i < n; ++i) want[i] = x[i] > 0.f ? x[i] : x[i] * slope;  // CpuBackend.leakyRelu
  launch(aaj_leaky_relu, grid, dim3(BLOCK), y.data(), x.data(), slope, n);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_leaky_relu n=%lld slope=%g %s", n, slope, gstr(grid).c_str());
  check(name, y, want, 0);
}

static void test_leaky_relu_backward(long long n, float slope, dim3 grid) {
  Vec x = rand_vec(n, 14), g = rand_vec(n, 15), y(n, -7.f), want(n);
  x[0] = 0.f; x[1] = -0.f; x[2] = std::nextafter(0.f, 1.f);
  for (long long i = 0; i < n; ++i)  // PyTorch's leaky_relu_backward: the slope at x = 0
    want[i] = x[i] > 0.f ? g[i] : g[i] * slope;
  launch(aaj_leaky_relu_backward, grid, dim3(BLOCK), y.data(), g.data(), x.data(), slope, n);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_leaky_relu_backward n=%lld slope=%g %s", n, slope, gstr(grid).c_str());
  check(name, y, want, 0);
}

// ---------------------------------------------------------------- swish / swishBackward
static void test_swish(long long n, dim3 grid) {
  Vec x = rand_vec(n, 16, -12.f, 12.f), y(n, -7.f), want(n);
  x[0] = 0.f; x[1] = -0.f; x[2] = 90.f; x[3] = -90.f; x[4] = QNAN;
  for (long long i = 0; i < n; ++i)  // CpuBackend.swish
    want[i] = x[i] * (float)(1.0 / (1.0 + std::exp(-(double)x[i])));
  launch(aaj_swish, grid, dim3(BLOCK), y.data(), x.data(), n);
  check("aaj_swish n=" + std::to_string(n) + " " + gstr(grid), y, want, 0);
}

static void test_swish_backward(long long n, dim3 grid) {
  Vec x = rand_vec(n, 17, -12.f, 12.f), g = rand_vec(n, 18), y(n, -7.f), want(n);
  x[0] = 0.f; x[1] = 90.f; x[2] = -90.f;
  for (long long i = 0; i < n; ++i) {  // CpuBackend.swishBackward (torch's silu_backward)
    float s = (float)(1.0 / (1.0 + std::exp(-(double)x[i])));
    want[i] = g[i] * s * (1.f + x[i] * (1.f - s));
  }
  launch(aaj_swish_backward, grid, dim3(BLOCK), y.data(), g.data(), x.data(), n);
  check("aaj_swish_backward n=" + std::to_string(n) + " " + gstr(grid), y, want, 0);
}

// ---------------------------------------------------------------- hardsigmoid / hardsigmoidBackward (ChannelAttention)
static void test_hardsigmoid(long long n, dim3 grid) {
  Vec x = rand_vec(n, 19, -5.f, 5.f), y(n, -7.f), want(n);
  x[0] = -3.f; x[1] = 3.f; x[2] = 0.f; x[3] = -0.f; x[4] = QNAN; x[5] = 90.f; x[6] = -90.f;
  for (long long i = 0; i < n; ++i) {  // CpuBackend.hardsigmoid (torch's CPU kernel: clamp(x + 3, 0, 6) / 6)
    float t = std::min(std::max(x[i] + 3.f, 0.f), 6.f);
    want[i] = std::isnan(x[i]) ? x[i] : t / 6.f;
  }
  launch(aaj_hardsigmoid, grid, dim3(BLOCK), y.data(), x.data(), n);
  check("aaj_hardsigmoid n=" + std::to_string(n) + " " + gstr(grid), y, want, 0);
  if (!(y[0] == 0.f && y[1] == 1.f && y[2] == 0.5f && std::isnan(y[4])))
    check("aaj_hardsigmoid at -3, 3, 0, NaN", Vec{y[0], y[1], y[2], 0.f}, Vec{0.f, 1.f, 0.5f, 1.f}, 0);
}

static void test_hardsigmoid_backward(long long n, dim3 grid) {
  Vec x = rand_vec(n, 20, -5.f, 5.f), g = rand_vec(n, 21), y(n, -7.f), want(n);
  x[0] = -3.f; x[1] = 3.f; x[2] = QNAN; x[3] = 2.9999998f;
  for (long long i = 0; i < n; ++i)  // CpuBackend.hardsigmoidBackward (torch's hardsigmoid_backward)
    want[i] = (x[i] > -3.f && x[i] < 3.f) ? g[i] * (1.0f / 6.0f) : 0.f;
  launch(aaj_hardsigmoid_backward, grid, dim3(BLOCK), y.data(), g.data(), x.data(), n);
  check("aaj_hardsigmoid_backward n=" + std::to_string(n) + " " + gstr(grid), y, want, 0);
}

// ---------------------------------------------------------------- rowMean / rowBroadcast (the spatial mean)
// Reference: CpuLineOps.rowMean (per row the sum of (double) x * (double) inv, rounded once) and rowBroadcast.
static void test_row_mean(int rows, long long cols) {
  Vec x = rand_vec(rows * cols, 22), out(rows, -7.f), want(rows);
  float inv = 1.f / (float)cols;
  for (int r = 0; r < rows; ++r) {
    double acc = 0.0;
    for (long long j = 0; j < cols; ++j) acc += (double)x[r * cols + j] * (double)inv;
    want[r] = (float)acc;
  }
  launch(aaj_row_mean, dim3(rows), dim3(BLOCK), out.data(), x.data(), cols, inv);
  check("aaj_row_mean rows=" + std::to_string(rows) + " cols=" + std::to_string(cols), out, want, 1e-6);
}

static void test_row_broadcast(int rows, long long cols, dim3 grid) {
  long long n = rows * cols;
  Vec sv = rand_vec(rows, 23), y(n, -7.f), want(n);
  float factor = 1.f / (float)cols;
  for (long long i = 0; i < n; ++i) want[i] = sv[i / cols] * factor;
  launch(aaj_row_broadcast, grid, dim3(BLOCK), y.data(), sv.data(), factor, cols, n);
  check("aaj_row_broadcast rows=" + std::to_string(rows) + " cols=" + std::to_string(cols) + " " + gstr(grid), y, want, 0);
}

// ---------------------------------------------------------------- spaceToDepth / spaceToDepthBackward (Focus)
// Reference: SpaceToDepthCpu's loops (block q reads rows 2i + (q & 1), columns 2j + (q >> 1)); both directions exact.
static void test_space_to_depth(int N, int C, int h, int w, dim3 grid) {
  long long total = 4LL * N * C * h * w;
  Vec x = rand_vec(total, 19), y(total, -7.f), want(total), gx(total, -7.f), wantg(total);
  for (int b = 0; b < N; ++b)
    for (int q = 0; q < 4; ++q)
      for (int c = 0; c < C; ++c)
        for (int i = 0; i < h; ++i)
          for (int j = 0; j < w; ++j) {
            long long small = (((long long)b * 4 * C + q * C + c) * h + i) * w + j;
            long long big = (((long long)b * C + c) * 2 * h + 2 * i + (q & 1)) * 2 * w + 2 * j + (q >> 1);
            want[small] = x[big];
            wantg[big] = x[small];  // the backward of x read as a gradient [N, 4C, h, w]
          }
  launch(aaj_space_to_depth, grid, dim3(BLOCK), y.data(), x.data(), C, h, w, total);
  launch(aaj_space_to_depth_backward, grid, dim3(BLOCK), gx.data(), x.data(), C, h, w, total);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_space_to_depth N=%d C=%d out %dx%d %s", N, C, h, w, gstr(grid).c_str());
  check(name, y, want, 0);
  std::snprintf(name, sizeof name, "aaj_space_to_depth_backward N=%d C=%d in %dx%d %s", N, C, h, w, gstr(grid).c_str());
  check(name, gx, wantg, 0);
}

// ---------------------------------------------------------------- softmax / softmaxBackward / rowScale
// CpuLineOps.softmax: per line the max (Math.max: NaN wins), exp of the float difference in double, float sum, divide
static void ref_softmax(float* y, const float* x, long long outer, int n, long long inner) {
  for (long long l = 0; l < outer * inner; ++l) {
    long long base = (l / inner) * n * inner + l % inner;
    float m = x[base];
    for (int j = 1; j < n; ++j) m = java_max(m, x[base + j * inner]);
    float sum = 0.f;
    for (int j = 0; j < n; ++j) sum += y[base + j * inner] = (float)std::exp((double)(x[base + j * inner] - m));
    for (int j = 0; j < n; ++j) y[base + j * inner] /= sum;
  }
}

static void test_softmax(long long outer, int n, long long inner, dim3 grid) {
  const long long total = outer * n * inner;
  Vec x = rand_vec(total, 31, -8.f, 8.f), y(total, -7.f), want(total);
  x[0] = QNAN;                               // the first line becomes NaN
  if (total > 5 * inner) x[total - 1] = 90.f;  // exp would overflow without the max subtracted
  ref_softmax(want.data(), x.data(), outer, n, inner);
  launch(aaj_softmax, grid, dim3(BLOCK), y.data(), x.data(), n, inner, outer * inner);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_softmax [%lld,%d,%lld] %s", outer, n, inner, gstr(grid).c_str());
  check(name, y, want, 0);
}

static void test_softmax_backward(long long outer, int n, long long inner, dim3 grid) {
  const long long total = outer * n * inner;
  Vec x = rand_vec(total, 32, -3.f, 3.f), g = rand_vec(total, 33), s(total), y(total, -7.f), want(total);
  ref_softmax(s.data(), x.data(), outer, n, inner);
  for (long long l = 0; l < outer * inner; ++l) {  // CpuLineOps.softmaxBackward
    long long base = (l / inner) * n * inner + l % inner;
    float dot = 0.f;
    for (int j = 0; j < n; ++j) dot += g[base + j * inner] * s[base + j * inner];
    for (int j = 0; j < n; ++j) want[base + j * inner] = s[base + j * inner] * (g[base + j * inner] - dot);
  }
  launch(aaj_softmax_backward, grid, dim3(BLOCK), y.data(), g.data(), s.data(), n, inner, outer * inner);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_softmax_backward [%lld,%d,%lld] %s", outer, n, inner, gstr(grid).c_str());
  check(name, y, want, RTOL);  // the device may fuse g * y + dot into an FMA
}

static void test_row_scale(long long rows, long long cols, dim3 grid) {
  const long long total = rows * cols;
  Vec x = rand_vec(total, 34), s = rand_vec(rows, 35), y(total, -7.f), want(total);
  x[1] = QNAN;
  for (long long i = 0; i < total; ++i) want[i] = x[i] * s[i / cols];  // CpuLineOps.rowScale
  launch(aaj_row_scale, grid, dim3(BLOCK), y.data(), x.data(), s.data(), cols, total);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_row_scale rows=%lld cols=%lld %s", rows, cols, gstr(grid).c_str());
  check(name, y, want, 0);
}

// CudaBackend.rowScaleBackward: aaj_channel_dot with N = 1, C = rows (one block per row)
static void test_row_scale_backward(int rows, long long cols) {
  Vec g = rand_vec(rows * cols, 36), x = rand_vec(rows * cols, 37), out(rows, -7.f), want(rows);
  for (int r = 0; r < rows; ++r) {  // CpuLineOps.rowScaleBackward
    double acc = 0;
    for (long long j = r * cols; j < (r + 1) * cols; ++j) acc += (double)g[j] * x[j];
    want[r] = (float)acc;
  }
  launch(aaj_channel_dot, dim3(rows), dim3(BLOCK), out.data(), g.data(), x.data(), 1, rows, cols);
  check("rowScaleBackward (aaj_channel_dot N=1) rows=" + std::to_string(rows) + " cols=" + std::to_string(cols), out, want,
        RTOL);
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

// ---------------------------------------------------------------- aaj_adam_multi
// Three tensors in one launch (AdamW-style decay on one, Adam's L2 on another, neither on the third), two steps,
// against the loop of CpuBackend.adamStepAll; 1 - beta1 below and above 0.5 (both branches of ATen's lerp).
static_assert(offsetof(AajAdamSeg, start) == 32 && offsetof(AajAdamSeg, n) == 40 && offsetof(AajAdamSeg, decay) == 48 &&
                  offsetof(AajAdamSeg, l2) == 52 && offsetof(AajAdamSeg, step) == 56 && offsetof(AajAdamSeg, bc2) == 60,
              "AajAdamSeg field offsets changed: update CudaBackend.adamSegments");
static void test_adam(dim3 grid, float omb1) {
  const long long ns[3] = {1001, 7, 2050};
  const float decay[3] = {1.f - 1e-3f * 0.05f, 1.f, 1.f}, l2[3] = {0.f, 1e-2f, 0.f};
  const float b2 = 0.999f, omb2 = (float)(1.0 - 0.999), eps = 1e-8f;
  long long total = 0;
  std::vector<Vec> p, m, v, pw, mw, vw;
  for (int k = 0; k < 3; ++k) {
    p.push_back(rand_vec(ns[k], 40 + k));
    m.push_back(Vec(ns[k], 0.f));
    v.push_back(Vec(ns[k], 0.f));
    total += ns[k];
  }
  pw = p, mw = m, vw = v;
  for (int step = 1; step <= 2; ++step) {
    std::vector<Vec> g;
    std::vector<AajAdamSeg> segs;
    long long start = 0;
    for (int k = 0; k < 3; ++k) {
      g.push_back(rand_vec(ns[k], 50 + 3 * step + k));
      float stepsize = (float)(1e-3 / (1 - std::pow(1.0 - omb1, step))), bc2 = (float)std::sqrt(1 - std::pow(0.999, step));
      segs.push_back(AajAdamSeg{p[k].data(), g[k].data(), m[k].data(), v[k].data(), start, ns[k], decay[k], l2[k],
                                stepsize, bc2});
      start += ns[k];
      for (long long i = 0; i < ns[k]; ++i) {  // CpuBackend.adamStepAll
        float pi = pw[k][i] * decay[k];
        float gi = g[k][i] + l2[k] * pi;
        float mi = std::fabs(omb1) < 0.5f ? mw[k][i] + omb1 * (gi - mw[k][i]) : gi - (gi - mw[k][i]) * (1.f - omb1);
        float vi = vw[k][i] * b2 + omb2 * (gi * gi);
        float denom = std::sqrt(vi) / bc2 + eps;
        mw[k][i] = mi;
        vw[k][i] = vi;
        pw[k][i] = pi - stepsize * mi / denom;
      }
    }
    launch(aaj_adam_multi, grid, dim3(BLOCK), segs.data(), 3, total, omb1, b2, omb2, eps);
    for (int k = 0; k < 3; ++k) {
      std::string name = "aaj_adam_multi 1-beta1=" + std::to_string(omb1) + " step " + std::to_string(step) + " tensor " +
                         std::to_string(k) + " " + gstr(grid);
      check(name + " param", p[k], pw[k], RTOL);
      check(name + " exp_avg", m[k], mw[k], RTOL);
      check(name + " exp_avg_sq", v[k], vw[k], RTOL);
    }
  }
}

// ---------------------------------------------------------------- aaj_opt_multi
// Every element-wise torch.optim rule of aaj_opt_multi, three tensors in one launch (L2 decay on one, decoupled
// decay or maximize on another, neither on the third), three steps, against the textbook formulas of torch's
// documentation computed in double with double state (so within float rounding, not bit for bit). The host
// scalars are packed as the optimizer classes (autoassign.train) pack them.
static_assert(offsetof(AajOptSeg, start) == 40 && offsetof(AajOptSeg, n) == 48 && offsetof(AajOptSeg, rule) == 56 &&
                  offsetof(AajOptSeg, flags) == 60 && offsetof(AajOptSeg, c) == 64,
              "AajOptSeg field offsets changed: update CudaBackend.optSegments");
struct OptCase {
  const char* name;
  int rule, flags;  // flags: CENTERED / MOMENTUM / RECTIFIED-capable options; MAXIMIZE and DECOUPLED set per tensor
  double lr, a, b, eps, extra;  // a, b: alpha/rho/beta1, beta2; extra: momentum, lr_decay, momentum_decay
  // Rprop: a etaminus, b etaplus, eps step_size_min, extra step_size_max; ASGD: a lambd, b alpha, extra t0
};
static void test_opt(const OptCase& oc, dim3 grid) {
  const long long ns[3] = {1001, 7, 2050};
  const double wd[3] = {oc.rule == 7 ? 0.0 : 0.05, oc.rule == 7 ? 0.0 : 0.1, 0.0};  // Rprop takes no weight decay
  const bool decoupled[3] = {false, oc.rule == 4 || oc.rule == 5 || oc.rule == 6, false};
  const bool maximize[3] = {false, false, oc.rule != 6};
  long long total = 0;
  std::vector<Vec> p(3), s0(3), s1(3), s2(3);
  std::vector<std::vector<double>> P(3), S0(3), S1(3), S2(3);
  float mu_product[3] = {1.f, 1.f, 1.f};
  float asgd_eta[3] = {(float)oc.lr, (float)oc.lr, (float)oc.lr}, asgd_mu[3] = {1.f, 1.f, 1.f};  // ASGD's float32 states
  for (int k = 0; k < 3; ++k) {
    p[k] = rand_vec(ns[k], 70 + k);
    float init = oc.rule == 1 ? 0.1f : 0.f;  // Adagrad's initial_accumulator_value
    float init1 = oc.rule == 7 ? (float)oc.lr : 0.f;  // Rprop's step_size starts at the lr
    s0[k] = Vec(ns[k], init), s1[k] = Vec(ns[k], init1), s2[k] = Vec(ns[k], 0.f);
    P[k].assign(p[k].begin(), p[k].end());
    S0[k].assign(ns[k], init), S1[k].assign(ns[k], init1), S2[k].assign(ns[k], 0.0);
    total += ns[k];
  }
  for (int t = 1; t <= 3; ++t) {
    std::vector<Vec> g(3);
    std::vector<AajOptSeg> segs;
    long long start = 0;
    for (int k = 0; k < 3; ++k) {
      g[k] = rand_vec(ns[k], 80 + 3 * t + k);
      AajOptSeg sg{};
      sg.p = p[k].data(), sg.g = g[k].data(), sg.s0 = s0[k].data(), sg.s1 = s1[k].data(), sg.s2 = s2[k].data();
      sg.start = start, sg.n = ns[k], sg.rule = oc.rule;
      sg.flags = oc.flags | (maximize[k] ? AAJ_OPT_MAXIMIZE : 0) | (decoupled[k] ? AAJ_OPT_DECOUPLED : 0);
      double lr = oc.lr, b1 = oc.a, b2 = oc.b;
      sg.c[0] = decoupled[k] ? 0.f : (float)wd[k];
      sg.c[1] = (float)(1 - lr * wd[k]);
      double mu = 0, mu_next = 0, rect = 0, rho_t = 0;
      switch (oc.rule) {
        case 0: sg.c[2] = (float)oc.a, sg.c[3] = (float)(1 - oc.a), sg.c[4] = (float)oc.eps, sg.c[5] = (float)oc.extra, sg.c[6] = (float)-lr; break;
        case 1: sg.c[2] = (float)oc.eps, sg.c[3] = (float)(-lr / (1 + (t - 1) * oc.extra)); break;
        case 2: sg.c[2] = (float)oc.a, sg.c[3] = (float)(1 - oc.a), sg.c[4] = (float)oc.eps, sg.c[5] = (float)-lr; break;
        case 3: sg.c[2] = (float)(1 - b1), sg.c[3] = (float)b2, sg.c[4] = (float)oc.eps, sg.c[5] = (float)(-lr / (1 - std::pow(b1, t))); break;
        case 4: {
          mu = b1 * (1 - 0.5 * std::pow(0.96, t * oc.extra));
          mu_next = b1 * (1 - 0.5 * std::pow(0.96, (t + 1) * oc.extra));
          mu_product[k] = mu_product[k] * (float)mu;
          double mpn = (double)mu_product[k] * mu_next;
          sg.c[2] = (float)(1 - b1), sg.c[3] = (float)b2, sg.c[4] = (float)(1 - b2), sg.c[5] = (float)(1 - std::pow(b2, t));
          sg.c[6] = (float)oc.eps, sg.c[7] = (float)(-lr * (1 - mu) / (1 - (double)mu_product[k]));
          sg.c[8] = (float)(-lr * mu_next / (1 - mpn));
          break;
        }
        case 5: {
          double bc2 = 1 - std::pow(b2, t), rho_inf = 2 / (1 - b2) - 1;
          rho_t = rho_inf - 2 * t * std::pow(b2, t) / bc2;
          rect = rho_t > 5 ? std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) : 0;
          if (rho_t > 5) sg.flags |= AAJ_OPT_RECTIFIED;
          sg.c[2] = (float)(1 - b1), sg.c[3] = (float)b2, sg.c[4] = (float)(1 - b2), sg.c[5] = (float)(1 - std::pow(b1, t));
          sg.c[6] = (float)lr, sg.c[7] = (float)oc.eps, sg.c[8] = (float)std::sqrt(bc2), sg.c[9] = (float)rect;
          break;
        }
        case 6:
          sg.c[2] = (float)(1 - b1), sg.c[3] = (float)b2, sg.c[4] = (float)(1 - b2), sg.c[5] = (float)(lr / (1 - std::pow(b1, t)));
          sg.c[6] = (float)std::sqrt(1 - std::pow(b2, t)), sg.c[7] = (float)oc.eps;
          break;
        case 7: sg.c[2] = (float)oc.b, sg.c[3] = (float)oc.a, sg.c[4] = (float)oc.eps, sg.c[5] = (float)oc.extra; break;
        case 8:
          sg.c[2] = (float)(1 - oc.a * (double)asgd_eta[k]), sg.c[3] = -asgd_eta[k], sg.c[4] = asgd_mu[k];
          break;
      }
      segs.push_back(sg);
      start += ns[k];
      for (long long i = 0; i < ns[k]; ++i) {  // torch's documented algorithm, in double
        double gi = maximize[k] ? -(double)g[k][i] : g[k][i], &pi = P[k][i], &a0 = S0[k][i], &a1 = S1[k][i], &a2 = S2[k][i];
        if (decoupled[k]) pi *= 1 - lr * wd[k];
        else gi += wd[k] * pi;
        switch (oc.rule) {
          case 0: {
            a0 = oc.a * a0 + (1 - oc.a) * gi * gi;
            double avg = a0;
            if (oc.flags & AAJ_OPT_CENTERED) a2 = oc.a * a2 + (1 - oc.a) * gi, avg -= a2 * a2;
            avg = std::sqrt(avg) + oc.eps;
            if (oc.flags & AAJ_OPT_MOMENTUM) a1 = oc.extra * a1 + gi / avg, pi -= lr * a1;
            else pi -= lr * gi / avg;
            break;
          }
          case 1: a0 += gi * gi, pi -= lr / (1 + (t - 1) * oc.extra) * gi / (std::sqrt(a0) + oc.eps); break;
          case 2: {
            a0 = oc.a * a0 + (1 - oc.a) * gi * gi;
            double d = std::sqrt(a1 + oc.eps) / std::sqrt(a0 + oc.eps) * gi;
            a1 = oc.a * a1 + (1 - oc.a) * d * d;
            pi -= lr * d;
            break;
          }
          case 3:
            a0 = b1 * a0 + (1 - b1) * gi, a1 = std::max(b2 * a1, std::fabs(gi) + oc.eps);
            pi -= lr / (1 - std::pow(b1, t)) * a0 / a1;
            break;
          case 4: {
            a0 = b1 * a0 + (1 - b1) * gi, a1 = b2 * a1 + (1 - b2) * gi * gi;
            double mp = mu_product[k], denom = std::sqrt(a1 / (1 - std::pow(b2, t))) + oc.eps;
            pi -= lr * ((1 - mu) / (1 - mp) * gi + mu_next / (1 - mp * mu_next) * a0) / denom;
            break;
          }
          case 5: {
            a0 = b1 * a0 + (1 - b1) * gi, a1 = b2 * a1 + (1 - b2) * gi * gi;
            double mhat = a0 / (1 - std::pow(b1, t));
            if (rho_t > 5) pi -= lr * mhat * rect * std::sqrt(1 - std::pow(b2, t)) / (std::sqrt(a1) + oc.eps);
            else pi -= lr * mhat;
            break;
          }
          case 6:
            a0 = b1 * a0 + (1 - b1) * gi, a1 = b2 * a1 + (1 - b2) * gi * gi, a2 = std::max(a2, a1);
            pi -= lr / (1 - std::pow(b1, t)) * a0 / (std::sqrt(a2) / std::sqrt(1 - std::pow(b2, t)) + oc.eps);
            break;
          case 7: {  // torch's Rprop algorithm: a0 prev, a1 step size
            double prod = gi * a0;
            if (prod > 0) a1 = std::min(a1 * oc.b, oc.extra);
            else if (prod < 0) a1 = std::max(a1 * oc.a, oc.eps), gi = 0;
            pi -= (gi > 0 ? 1 : gi < 0 ? -1 : 0) * a1;
            a0 = gi;
            break;
          }
          case 8: {  // ASGD: a0 ax
            double eta = asgd_eta[k], mu = asgd_mu[k];
            pi = pi * (1 - oc.a * eta) - eta * gi;
            a0 = mu != 1 ? a0 + mu * (pi - a0) : pi;
            break;
          }
        }
      }
      if (oc.rule == 8) {  // torch: the next step's eta and mu from this step's t and lr, kept as float32
        asgd_eta[k] = (float)(lr / std::pow(1 + oc.a * lr * t, oc.b));
        asgd_mu[k] = (float)(1 / std::max(1.0, t - oc.extra));
      }
    }
    launch(aaj_opt_multi, grid, dim3(BLOCK), segs.data(), 3, total);
    for (int k = 0; k < 3; ++k) {
      std::string name = std::string("aaj_opt_multi ") + oc.name + " step " + std::to_string(t) + " tensor " +
                         std::to_string(k) + " " + gstr(grid);
      Vec pw(P[k].begin(), P[k].end()), w0(S0[k].begin(), S0[k].end()), w1(S1[k].begin(), S1[k].end()),
          w2(S2[k].begin(), S2[k].end());
      check(name + " param", p[k], pw, 2e-5);
      check(name + " s0", s0[k], w0, 2e-5);
      if ((oc.rule >= 2 && oc.rule != 8) || (oc.flags & AAJ_OPT_MOMENTUM)) check(name + " s1", s1[k], w1, 2e-5);
      if (oc.rule == 6 || (oc.flags & AAJ_OPT_CENTERED)) check(name + " s2", s2[k], w2, 2e-5);
    }
  }
}
static void test_opt_all(bool small_grid) {
  const OptCase cases[] = {
      {"RMSprop", 0, 0, 1e-2, 0.99, 0, 1e-8, 0},
      {"RMSprop centered momentum", 0, AAJ_OPT_CENTERED | AAJ_OPT_MOMENTUM, 1e-2, 0.9, 0, 1e-8, 0.8},
      {"Adagrad lr_decay", 1, 0, 1e-2, 0, 0, 1e-10, 0.1},
      {"Adadelta", 2, 0, 1.0, 0.9, 0, 1e-6, 0},
      {"Adamax", 3, 0, 2e-3, 0.9, 0.999, 1e-8, 0},
      {"Adamax beta1 0.3", 3, 0, 2e-3, 0.3, 0.99, 1e-8, 0},  // lerp's other branch (weight 0.7)
      {"NAdam", 4, 0, 2e-3, 0.9, 0.999, 1e-8, 4e-3},
      {"RAdam", 5, 0, 1e-3, 0.9, 0.999, 1e-8, 0},
      {"RAdam rectified", 5, 0, 1e-3, 0.9, 0.5, 1e-8, 0},  // beta2 0.5: rho_t > 5 from the first steps
      {"Adam amsgrad", 6, 0, 1e-3, 0.9, 0.999, 1e-8, 0},
      {"Rprop", 7, 0, 1e-2, 0.5, 1.2, 1e-6, 50},
      {"Rprop clamped", 7, 0, 1e-2, 0.5, 1.2, 4e-3, 1.3e-2},  // 1.2 twice hits the max, 0.5 twice the min
      {"ASGD", 8, 0, 1e-2, 1e-4, 0.75, 0, 1e6},
      {"ASGD averaging", 8, 0, 5e-2, 0.5, 0.5, 0, 0.5},  // t0 0.5: mu = 1 / (t - 0.5) < 1 from step 3
  };
  for (const OptCase& c : cases) test_opt(c, small_grid ? dim3(3) : dim3(grid1d(3058)));
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

static void test_channel_dot(Shape4 s) {
  Vec a = rand_vec(s.numel(), 23), b = rand_vec(s.numel(), 24), out(s.C, -7.f), want(s.C);
  for (int c = 0; c < s.C; ++c) {  // CpuBackend.channelDot
    double acc = 0;
    for (int n = 0; n < s.N; ++n)
      for (long long j = 0; j < s.hw(); ++j) {
        long long i = ((long long)n * s.C + c) * s.hw() + j;
        acc += (double)a[i] * (double)b[i];
      }
    want[c] = (float)acc;
  }
  launch(aaj_channel_dot, dim3(s.C), dim3(BLOCK), out.data(), a.data(), b.data(), s.N, s.C, s.hw());
  check("aaj_channel_dot " + s.str() + " grid " + std::to_string(s.C), out, want, RTOL);
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


// ---------------------------------------------------------------- average pool
// ATen's pooling_output_shape (dilation 1), written here independently of the kernels and of AvgPool2dParams.java
static int ref_avg_out(int in, int k, int s, int pad, bool ceil) {
  int num = in + 2 * pad - k + (ceil ? s - 1 : 0);
  int out = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
  if (ceil && (long long)(out - 1) * s >= in + pad) --out;
  return out;
}

// The per-element math (avg_pool_axis, avg_pool_outputs) against brute force over every window position, for every
// small geometry PyTorch accepts (pad <= k/2): clipped bounds, the divisor's extent with and without the padding,
// and the set of windows that contain each input index (the backward gather's range).
static void test_avg_pool_math() {
  int bad = 0, n = 0;
  for (int in = 1; in <= 13; ++in)
    for (int k = 1; k <= 6; ++k)
      for (int s = 1; s <= 4; ++s)
        for (int pad = 0; 2 * pad <= k; ++pad)
          for (int ceil = 0; ceil < 2; ++ceil) {
            int out = ref_avg_out(in, k, s, pad, ceil);
            if (out < 1) continue;
            for (int cip = 0; cip < 2; ++cip)
              for (int o = 0; o < out; ++o) {
                int lo = -1, hi = -1, inside = 0, padded = 0;
                for (int t = o * s - pad; t < o * s - pad + k; ++t) {
                  if (t < in + pad) ++padded;  // ATen: min(start + k, in + pad) - start
                  if (t >= 0 && t < in) {
                    if (lo < 0) lo = t;
                    hi = t + 1;
                    ++inside;
                  }
                }
                AvgPoolAxis a = avg_pool_axis(o, in, k, s, pad, cip);
                ++n;
                if (inside == 0 || a.lo != lo || a.hi != hi || a.span != (cip ? padded : inside)) ++bad;
              }
            for (int i = 0; i < in; ++i) {
              int o0 = -1, o1 = -1;
              for (int o = 0; o < out; ++o)
                if (o * s - pad <= i && i < o * s - pad + k) {
                  if (o0 < 0) o0 = o;
                  o1 = o + 1;
                }
              if (o0 < 0) o0 = o1 = 0;  // no window holds i (stride > kernel): an empty range
              int g0, g1;
              avg_pool_outputs(i, out, k, s, pad, &g0, &g1);
              ++n;
              if (g1 <= g0 ? o1 != o0 : (g0 != o0 || g1 != o1)) ++bad;
            }
          }
  ++g_cases;
  if (bad) ++g_failed;
  std::printf("%s avg_pool_axis / avg_pool_outputs vs brute force: %d checks, %d wrong\n", bad ? "FAIL" : "ok  ", n, bad);
}

// The kernels against the CPU twin's loops: forward = float sum in row-major order / divisor; backward = PyTorch's
// scatter (each output adds gy/divisor to its window, outputs in row-major order), which the kernel's gather must
// reproduce bit for bit. Inputs include NaN and infinities (they propagate the same way).
static void test_avg_pool(Shape4 sh, int k, int st, int pad, bool ceil, bool cip, bool small_grid) {
  const int H = sh.H, W = sh.W, OH = ref_avg_out(H, k, st, pad, ceil), OW = ref_avg_out(W, k, st, pad, ceil);
  const long long total = sh.planes() * OH * OW, plane = (long long)H * W;
  Vec x = rand_vec(sh.numel(), 30), gy = rand_vec(total, 31), y(total, -7.f), gx(sh.numel(), -7.f);
  x[1] = QNAN;
  x[plane + W] = INFINITY;
  Vec want_y(total), want_gx(sh.numel(), 0.f);
  for (long long pl = 0; pl < sh.planes(); ++pl)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        int y0 = std::max(oy * st - pad, 0), y1 = std::min(oy * st - pad + k, H);
        int x0 = std::max(ox * st - pad, 0), x1 = std::min(ox * st - pad + k, W);
        int dy = cip ? std::min(oy * st - pad + k, H + pad) - (oy * st - pad) : y1 - y0;
        int dx = cip ? std::min(ox * st - pad + k, W + pad) - (ox * st - pad) : x1 - x0;
        float sum = 0.f;
        for (int iy = y0; iy < y1; ++iy)
          for (int ix = x0; ix < x1; ++ix) sum += x[pl * plane + iy * W + ix];
        long long o = (pl * OH + oy) * OW + ox;
        want_y[o] = sum / (float)(dy * dx);
        float d = gy[o] / (float)(dy * dx);
        for (int iy = y0; iy < y1; ++iy)
          for (int ix = x0; ix < x1; ++ix) want_gx[pl * plane + iy * W + ix] += d;
      }
  char what[200];
  dim3 gf(small_grid ? 2 : grid1d(total)), gb(small_grid ? 3 : grid1d(sh.numel()));
  std::snprintf(what, sizeof what, " %s k%d s%d p%d%s%s %s", sh.str().c_str(), k, st, pad, ceil ? " ceil" : "",
                cip ? " count_pad" : " exclude_pad", gstr(gf).c_str());
  launch(aaj_avg_pool_fwd, gf, dim3(BLOCK), y.data(), x.data(), H, W, OH, OW, k, st, pad, cip ? 1 : 0, total);
  check(std::string("aaj_avg_pool_fwd") + what, y, want_y, 0);
  launch(aaj_avg_pool_bwd, gb, dim3(BLOCK), gx.data(), gy.data(), H, W, OH, OW, k, st, pad, cip ? 1 : 0, sh.numel());
  check(std::string("aaj_avg_pool_bwd") + what, gx, want_gx, 0);
}

// ---------------------------------------------------------------- elementwise: fill, add, mul, sigmoid, broadcast
// Specials in the inputs: NaN (payloads), infinities, signed zeros, subnormals; the last element is reached by the
// last grid-stride step of the small grids.
static Vec special_input(long long n, uint64_t seed) {
  Vec x = rand_vec(n, seed);
  const float specials[] = {QNAN, NEG_NAN, INFINITY, -INFINITY, 0.f, -0.f, FLT_TRUE_MIN, -FLT_MIN, FLT_MAX, 88.f, -104.f};
  for (int i = 0; i < 11; ++i)
    if (19 * i + 2 < n) x[19 * i + 2] = specials[i];
  x[n - 1] = QNAN2;
  return x;
}

static void test_fill(long long n, float v, dim3 grid) {
  Vec y(n, -7.f), want(n, v);
  launch(aaj_fill, grid, dim3(BLOCK), y.data(), v, n);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_fill n=%lld v=%g %s", n, v, gstr(grid).c_str());
  check(name, y, want, 0);
}

// CudaBackend.add (y = a + b) and addInPlace (y aliases a)
static void test_add(long long n, bool in_place, dim3 grid) {
  Vec a = special_input(n, 30), b = special_input(n, 31), want(n);
  if (n > 5) a[5] = b[5] = -0.f;  // -0 + -0 = -0
  for (long long i = 0; i < n; ++i) want[i] = a[i] + b[i];
  Vec y(n, -7.f);
  float* out = in_place ? a.data() : y.data();
  launch(aaj_add, grid, dim3(BLOCK), out, a.data(), b.data(), n);
  std::string name = std::string("aaj_add n=") + std::to_string(n) + (in_place ? " in place " : " ") + gstr(grid);
  check(name, in_place ? a : y, want, 0);
}

static void test_mul_scalar(long long n, float s, dim3 grid) {
  Vec x = special_input(n, 32), y(n, -7.f), want(n);
  for (long long i = 0; i < n; ++i) want[i] = x[i] * s;  // CpuBackend.mulScalar
  launch(aaj_mul_scalar, grid, dim3(BLOCK), y.data(), x.data(), s, n);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_mul_scalar n=%lld s=%g %s", n, s, gstr(grid).c_str());
  check(name, y, want, 0);
}

// CudaBackend.mulByTensorScalar: the scale is a one-element device tensor (CpuBackend: mulScalar(x, s[0]))
static void test_mul_dev_scalar(long long n, float s, dim3 grid) {
  Vec x = special_input(n, 33), y(n, -7.f), want(n), sd(1, s);
  for (long long i = 0; i < n; ++i) want[i] = x[i] * s;
  launch(aaj_mul_dev_scalar, grid, dim3(BLOCK), y.data(), x.data(), sd.data(), n);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_mul_dev_scalar n=%lld s=%g %s", n, s, gstr(grid).c_str());
  check(name, y, want, 0);
}

static void test_sigmoid(long long n, dim3 grid) {
  Vec x = special_input(n, 34), y(n, -7.f), want(n);
  for (long long i = 0; i < n; ++i) want[i] = (float)(1.0 / (1.0 + std::exp(-(double)x[i])));  // CpuBackend.sigmoid
  launch(aaj_sigmoid, grid, dim3(BLOCK), y.data(), x.data(), n);
  check("aaj_sigmoid n=" + std::to_string(n) + " " + gstr(grid), y, want, RTOL);
  // sigmoidBackward(gradOut, y) with y = the forward's output: g * s * (1 - s), in that order
  Vec g = special_input(n, 35), gx(n, -7.f), want_gx(n);
  for (long long i = 0; i < n; ++i) want_gx[i] = g[i] * y[i] * (1.f - y[i]);
  launch(aaj_sigmoid_backward, grid, dim3(BLOCK), gx.data(), g.data(), y.data(), n);
  check("aaj_sigmoid_backward n=" + std::to_string(n) + " " + gstr(grid), gx, want_gx, 0);
}

// CpuBackend.broadcastScalar: fill with s[0] * factor
static void test_broadcast_scalar(long long n, float s, float factor, dim3 grid) {
  Vec sd(1, s), y(n, -7.f), want(n, s * factor);
  launch(aaj_broadcast_scalar, grid, dim3(BLOCK), y.data(), sd.data(), factor, n);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_broadcast_scalar n=%lld s=%g factor=%g %s", n, s, factor, gstr(grid).c_str());
  check(name, y, want, 0);
}

// ---------------------------------------------------------------- group norm (CudaBackend's fallback path)
// GroupNormCpu.forward / backward; gamma, beta may be null (the native GN path needs both, so nulls always come here).
static void test_group_norm(Shape4 s, int G, bool affine) {
  const int N = s.N, C = s.C, cpg = C / G;
  const long long hw = s.hw(), len = cpg * hw, n = s.numel();
  const float eps = 1e-5f;
  Vec x = rand_vec(n, 40, -1.f, 3.f), gy = rand_vec(n, 41), gamma = rand_vec(C, 42, 0.5f, 1.5f), beta = rand_vec(C, 43);
  for (long long j = 0; j < len; ++j) x[j] = 0.75f;  // group (0,0) constant: variance 0 (clamped), rstd = 1/sqrt(eps)
  const float* gp = affine ? gamma.data() : nullptr;
  const float* bp = affine ? beta.data() : nullptr;
  // forward reference
  Vec want_y(n), want_m(N * G), want_r(N * G);
  for (int ng = 0; ng < N * G; ++ng) {
    const long long base = ng * len;
    double sum = 0, sq = 0;
    for (long long j = 0; j < len; ++j) sum += x[base + j], sq += (double)x[base + j] * x[base + j];
    double mu = sum / len, var = std::max(sq / len - mu * mu, 0.0);
    float m = (float)mu, r = (float)(1.0 / std::sqrt(var + eps));
    want_m[ng] = m;
    want_r[ng] = r;
    for (int cc = 0; cc < cpg; ++cc) {
      int ch = ng % G * cpg + cc;
      float k = (gp ? gp[ch] : 1.f) * r, b = (bp ? bp[ch] : 0.f) - m * k;
      for (long long j = 0; j < hw; ++j) want_y[base + cc * hw + j] = x[base + cc * hw + j] * k + b;
    }
  }
  Vec y(n, -7.f), mean(N * G, -7.f), rstd(N * G, -7.f);
  launch(aaj_group_norm_fwd, dim3(N * G), dim3(BLOCK), y.data(), mean.data(), rstd.data(), x.data(), gp, bp, C, G, hw, eps);
  std::string what = " " + s.str() + " G=" + std::to_string(G) + (affine ? " gamma+beta" : " no affine") + " grid " +
                     std::to_string(N * G);
  check("aaj_group_norm_fwd y" + what, y, want_y, RTOL);
  check("aaj_group_norm_fwd mean" + what, mean, want_m, RTOL);
  check("aaj_group_norm_fwd rstd" + what, rstd, want_r, RTOL);
  // backward reference (GroupNormCpu.backward, with the forward's mean / rstd)
  Vec want_gx(n), want_gg(C), want_gb(C);
  std::vector<double> dG((size_t)N * C), dB((size_t)N * C);
  for (int ng = 0; ng < N * G; ++ng) {
    const long long base = ng * len;
    const int gi = ng % G, img = ng / G;
    const double m = want_m[ng], r = want_r[ng];
    double sumDy = 0, sumDyXhat = 0;
    for (int cc = 0; cc < cpg; ++cc) {
      int ch = gi * cpg + cc;
      long long o = base + cc * hw;
      double k = gp ? gp[ch] : 1.0, dbs = 0, dxs = 0;
      for (long long j = 0; j < hw; ++j) dbs += gy[o + j], dxs += gy[o + j] * (x[o + j] - m);
      dG[(size_t)img * C + ch] = dxs * r;
      dB[(size_t)img * C + ch] = dbs;
      sumDy += dbs * k;
      sumDyXhat += dxs * r * k;
    }
    double meanDy = sumDy / len, meanDyXhat = sumDyXhat / len, bCoef = -r * r * meanDyXhat, cCoef = -r * meanDy;
    for (int cc = 0; cc < cpg; ++cc) {
      long long o = base + cc * hw;
      double aCoef = r * (gp ? gp[gi * cpg + cc] : 1.0);
      for (long long j = 0; j < hw; ++j) want_gx[o + j] = (float)(aCoef * gy[o + j] + bCoef * (x[o + j] - m) + cCoef);
    }
  }
  for (int ch = 0; ch < C; ++ch) {
    double a = 0, b = 0;
    for (int i = 0; i < N; ++i) a += dG[(size_t)i * C + ch], b += dB[(size_t)i * C + ch];
    want_gg[ch] = (float)a;
    want_gb[ch] = (float)b;
  }
  Vec gx(n, -7.f), gg(C, -7.f), gb(C, -7.f);
  std::vector<double> dgp((size_t)N * C, -7.0), dbp((size_t)N * C, -7.0);  // CudaBackend: one 16·N·C scratch
  launch(aaj_group_norm_bwd, dim3(N * G), dim3(BLOCK), gx.data(), dgp.data(), dbp.data(), gy.data(), x.data(),
         mean.data(), rstd.data(), gp, C, G, hw);
  launch(aaj_group_norm_affine_grad, dim3((C + 255) / 256), dim3(BLOCK), gg.data(), gb.data(), dgp.data(), dbp.data(), N, C);
  check("aaj_group_norm_bwd gx" + what, gx, want_gx, RTOL);
  check("aaj_group_norm_bwd+affine_grad gamma" + what, gg, want_gg, RTOL);
  check("aaj_group_norm_bwd+affine_grad beta" + what, gb, want_gb, RTOL);
}

// aaj_group_norm_affine_grad alone with more channels than one block (C = 300: 2 blocks, the second partial)
static void test_group_norm_affine_grad(int N, int C) {
  std::vector<double> dgp((size_t)N * C), dbp((size_t)N * C);
  Rng r(44);
  for (size_t i = 0; i < dgp.size(); ++i) dgp[i] = r.uni(-3.f, 3.f) / 3.0, dbp[i] = r.uni(-3.f, 3.f) / 7.0;
  Vec gg(C, -7.f), gb(C, -7.f), want_gg(C), want_gb(C);
  for (int c = 0; c < C; ++c) {
    double a = 0, b = 0;
    for (int n = 0; n < N; ++n) a += dgp[(size_t)n * C + c], b += dbp[(size_t)n * C + c];
    want_gg[c] = (float)a;
    want_gb[c] = (float)b;
  }
  dim3 grid((C + 255) / 256);
  launch(aaj_group_norm_affine_grad, grid, dim3(BLOCK), gg.data(), gb.data(), dgp.data(), dbp.data(), N, C);
  std::string what = " N=" + std::to_string(N) + " C=" + std::to_string(C) + " " + gstr(grid);
  check("aaj_group_norm_affine_grad gamma" + what, gg, want_gg, RTOL);
  check("aaj_group_norm_affine_grad beta" + what, gb, want_gb, RTOL);
}

// ---------------------------------------------------------------- nearest upsample (Pooling.upsampleNearest*)
static std::vector<int> nearest_index(int in, int out) {  // Pooling.nearestIndex: float scale, as PyTorch
  std::vector<int> idx(out);
  float scale = (float)in / (float)out;
  for (int i = 0; i < out; ++i) idx[i] = std::min((int)std::floor((float)i * scale), in - 1);
  return idx;
}

static void test_upsample(Shape4 s, int OH, int OW, bool small_grid) {
  const int H = s.H, W = s.W;
  const long long total = s.planes() * OH * OW;
  std::vector<int> iy = nearest_index(H, OH), ix = nearest_index(W, OW);
  Vec x = special_input(s.numel(), 50), y(total, -7.f), want_y(total);
  Vec gy = rand_vec(total, 51), gx(s.numel(), 0.f), want_gx(s.numel(), 0.f);  // CudaBackend zeroes gx first
  for (long long p = 0; p < s.planes(); ++p)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        long long src = p * H * W + (long long)iy[oy] * W + ix[ox], dst = (p * OH + oy) * OW + ox;
        want_y[dst] = x[src];
        want_gx[src] += gy[dst];
      }
  dim3 grid(small_grid ? 2 : grid1d(total));
  char what[160];
  std::snprintf(what, sizeof what, " %s -> %dx%d %s", s.str().c_str(), OH, OW, gstr(grid).c_str());
  launch(aaj_upsample_nearest_fwd, grid, dim3(BLOCK), y.data(), x.data(), H, W, OH, OW, total);
  check(std::string("aaj_upsample_nearest_fwd") + what, y, want_y, 0);
  launch(aaj_upsample_nearest_bwd, grid, dim3(BLOCK), gx.data(), gy.data(), H, W, OH, OW, total);
  check(std::string("aaj_upsample_nearest_bwd") + what, gx, want_gx, RTOL);  // atomics: the summation order differs
}

// ---------------------------------------------------------------- bilinear upsample (aaj_upsample_bilinear_*)
// The CPU twin (autoassign.backend.cpu.BilinearUpsample) written out: taps in double from ATen's float ratio
// (1/scale, or in/out when out == in copies), forward (x00*lw0 + x01*lw1)*lh0 + (x10*lw0 + x11*lw1)*lh1 in float,
// backward the scatter of lh*lw*g to the corners 00, 01, 10, 11 in row-major output order; the kernels' gather must
// reproduce both bit for bit. Also bilinear_outputs against the brute-force list of outputs reaching each input.
struct RefTap {
  int i0, i1;
  float l0, l1;
};
static RefTap ref_bilinear_tap(int d, int in, int out, float ratio) {
  if (out == in) return {d, d, 1.f, 0.f};
  double src = (double)ratio * (d + 0.5) - 0.5;
  if (src < 0) src = 0;
  int i0 = (int)src;
  float l1 = (float)(src - i0);
  return {i0, i0 + (i0 < in - 1 ? 1 : 0), 1.f - l1, l1};
}

static void test_upsample_bilinear(Shape4 s, double sh, double sw, bool small_grid) {
  const int H = s.H, W = s.W, OH = (int)(H * sh), OW = (int)(W * sw);
  const float rh = (float)(1.0 / sh), rw = (float)(1.0 / sw);
  const long long total = s.planes() * OH * OW;
  Vec x = rand_vec(s.numel(), 52), gy = rand_vec(total, 53), y(total, -7.f), gx(s.numel(), -7.f);
  Vec want_y(total), want_gx(s.numel(), 0.f);
  int bad_range = 0;
  for (int axis = 0; axis < 2; ++axis) {  // bilinear_outputs vs brute force
    int in = axis ? W : H, out = axis ? OW : OH;
    float r = axis ? rw : rh;
    for (int i = 0; i < in; ++i) {
      int o0, o1, lo = out, hi = 0;
      bilinear_outputs(i, in, out, r, &o0, &o1);
      for (int o = 0; o < out; ++o) {
        RefTap t = ref_bilinear_tap(o, in, out, r);
        if (t.i0 == i || t.i1 == i) lo = std::min(lo, o), hi = o + 1;
      }
      if (hi == 0) lo = hi = o0;  // no output reaches i: any empty range
      if (o0 != lo || o1 != hi) ++bad_range;
    }
  }
  for (long long p = 0; p < s.planes(); ++p)
    for (int oy = 0; oy < OH; ++oy) {
      RefTap a = ref_bilinear_tap(oy, H, OH, rh);
      for (int ox = 0; ox < OW; ++ox) {
        RefTap b = ref_bilinear_tap(ox, W, OW, rw);
        const float* q = x.data() + p * H * W;
        float top = q[a.i0 * W + b.i0] * b.l0 + q[a.i0 * W + b.i1] * b.l1;
        float bottom = q[a.i1 * W + b.i0] * b.l0 + q[a.i1 * W + b.i1] * b.l1;
        long long o = (p * OH + oy) * OW + ox;
        want_y[o] = top * a.l0 + bottom * a.l1;
        float* gq = want_gx.data() + p * H * W;
        gq[a.i0 * W + b.i0] += a.l0 * b.l0 * gy[o];
        gq[a.i0 * W + b.i1] += a.l0 * b.l1 * gy[o];
        gq[a.i1 * W + b.i0] += a.l1 * b.l0 * gy[o];
        gq[a.i1 * W + b.i1] += a.l1 * b.l1 * gy[o];
      }
    }
  dim3 gf(small_grid ? 2 : grid1d(total)), gb(small_grid ? 3 : grid1d(s.numel()));
  char what[200];
  std::snprintf(what, sizeof what, " %s scale %gx%g -> %dx%d %s", s.str().c_str(), sh, sw, OH, OW, gstr(gf).c_str());
  ++g_cases;
  if (bad_range) ++g_failed;
  std::printf("%s bilinear_outputs%s: %d wrong ranges\n", bad_range ? "FAIL" : "ok  ", what, bad_range);
  launch(aaj_upsample_bilinear_fwd, gf, dim3(BLOCK), y.data(), x.data(), H, W, OH, OW, rh, rw, total);
  check(std::string("aaj_upsample_bilinear_fwd") + what, y, want_y, 0);
  launch(aaj_upsample_bilinear_bwd, gb, dim3(BLOCK), gx.data(), gy.data(), H, W, OH, OW, rh, rw, s.numel());
  check(std::string("aaj_upsample_bilinear_bwd") + what, gx, want_gx, 0);
}

// ---------------------------------------------------------------- GEMM fallback (no cuBLAS)
// CudaBackend.gemm: C[M,N] = op(A)·op(B), lda/ldb = the stored row lengths, grid ((N+15)/16, (M+15)/16), block (16,16).
// Reference: float sums in k order, the kernel's order (the zero padding of the tiles adds +0).
static void test_gemm(int M, int N, int K, bool ta, bool tb) {
  Vec A = rand_vec((size_t)M * K, 60), B = rand_vec((size_t)K * N, 61), Cm((size_t)M * N, -7.f), want((size_t)M * N);
  const int lda = ta ? M : K, ldb = tb ? K : N;  // A stored [K,M] when transposed, B stored [N,K]
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      float acc = 0.f;
      for (int k = 0; k < K; ++k)
        acc += (ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]) * (tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j]);
      want[(size_t)i * N + j] = acc;
    }
  dim3 grid((N + 15) / 16, (M + 15) / 16);
  launch(aaj_gemm, grid, dim3(16, 16), Cm.data(), A.data(), B.data(), M, N, K, lda, ldb, ta ? 1 : 0, tb ? 1 : 0);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_gemm M=%d N=%d K=%d transA=%d transB=%d %s block (16,16)", M, N, K, ta, tb,
                gstr(grid).c_str());
  check(name, Cm, want, RTOL);
}

// ---------------------------------------------------------------- fused-loss layout (CudaAutoAssignLoss)
// forwardPlan: per level l, aaj_level_to_points(out = [B][P,K] image-major, in = level NCHW [B,K,hw_l], K, hw_l, P,
// off_l, n = B*K*hw_l) for cls (K = classes), dist (4), obj (1); toLevelsPlan: aaj_points_to_level back, per level.
static void test_layout(int B, int K, const std::vector<long long>& hw, bool small_grid) {
  long long P = 0;
  std::vector<long long> off;
  for (long long h : hw) off.push_back(P), P += h;
  std::vector<Vec> in;
  Vec want((size_t)(B * P * K));
  for (size_t l = 0; l < hw.size(); ++l) {
    in.push_back(special_input(B * K * hw[l], 70 + l));
    for (int b = 0; b < B; ++b)
      for (int k = 0; k < K; ++k)
        for (long long q = 0; q < hw[l]; ++q) want[((b * P + off[l] + q) * K + k)] = in[l][(b * K + k) * hw[l] + q];
  }
  Vec pts(want.size(), -7.f);
  std::string what = " B=" + std::to_string(B) + " K=" + std::to_string(K) + " P=" + std::to_string(P) + " levels";
  for (long long h : hw) what += " " + std::to_string(h);
  what += small_grid ? " grid 1" : " grid1d(n)";
  for (size_t l = 0; l < hw.size(); ++l) {
    long long n = (long long)B * K * hw[l];
    launch(aaj_level_to_points, dim3(small_grid ? 1 : grid1d(n)), dim3(BLOCK), pts.data(), in[l].data(), K, hw[l], P, off[l], n);
  }
  check("aaj_level_to_points" + what, pts, want, 0);  // every [B][P,K] entry written exactly once
  bool all = true;
  for (size_t l = 0; l < hw.size(); ++l) {
    long long n = (long long)B * K * hw[l];
    Vec back(n, -7.f);
    launch(aaj_points_to_level, dim3(small_grid ? 1 : grid1d(n)), dim3(BLOCK), back.data(), pts.data(), K, hw[l], P, off[l], n);
    all &= std::memcmp(back.data(), in[l].data(), 4 * n) == 0;
  }
  Vec ok(1, all ? 1.f : 0.f), one(1, 1.f);
  check("aaj_points_to_level (round trip, all levels)" + what, ok, one, 0);
}

// ---------------------------------------------------------------- aaj_flag_nonfinite
// flag (zeroed before) = 1 when some x is NaN/±Inf, or 0 with zero_too; FLT_MAX and subnormals are finite.
static void test_flag_nonfinite(long long n, dim3 grid) {
  Vec base = rand_vec(n, 80);
  base[3] = FLT_MAX, base[4] = -FLT_MAX, base[5] = FLT_TRUE_MIN, base[6] = -FLT_MIN;
  struct Case { const char* what; long long at; float v; int zero_too; double want; };
  const Case cases[] = {{"finite", -1, 0, 0, 0}, {"finite zero_too", -1, 0, 1, 0},   {"NaN last", n - 1, QNAN, 0, 1},
                        {"-NaN first", 0, NEG_NAN, 0, 1}, {"+Inf", n / 2, INFINITY, 0, 1}, {"-Inf last", n - 1, -INFINITY, 1, 1},
                        {"+0 zero_too=0", n - 1, 0.f, 0, 0}, {"-0 last zero_too", n - 1, -0.f, 1, 1}, {"+0 zero_too", 7, 0.f, 1, 1}};
  Vec got, want;
  for (const Case& c : cases) {
    Vec x = base;
    if (c.at >= 0) x[c.at] = c.v;
    double flag = 0;
    launch(aaj_flag_nonfinite, grid, dim3(BLOCK), &flag, x.data(), c.zero_too, n);
    got.push_back((float)flag);
    want.push_back((float)c.want);
  }
  // forwardPlan's prior check: mean (zero_too = 0) then sigma (zero_too = 1) into one flag; a set flag stays set
  Vec ok = base;
  double flag = 0;
  ok[9] = QNAN;
  launch(aaj_flag_nonfinite, grid, dim3(BLOCK), &flag, ok.data(), 0, n);
  launch(aaj_flag_nonfinite, grid, dim3(BLOCK), &flag, base.data(), 1, n);
  got.push_back((float)flag);
  want.push_back(1.f);
  check("aaj_flag_nonfinite n=" + std::to_string(n) + " (10 cases) " + gstr(grid), got, want, 0);
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

// ---------------------------------------------------------------- gather / gatherBackward / bmm / gelu (Swin)
static std::vector<int> gather_rows(long long out_rows, int src_rows, uint64_t seed) {
  Rng r(seed);
  std::vector<int> rows(out_rows);
  for (auto& v : rows) v = (int)(r.next() % (uint64_t)(src_rows + 1)) - 1;  // -1 (zeros) .. src_rows-1, repeats
  return rows;
}
static Vec int_bits(const std::vector<int>& v) {  // GatherIndexCache uploads the ints as float bits
  Vec f(v.size());
  for (size_t i = 0; i < v.size(); ++i) f[i] = bits_to_float((uint32_t)v[i]);
  return f;
}

static void test_gather(long long out_rows, int src_rows, long long block, dim3 grid) {
  std::vector<int> rows = gather_rows(out_rows, src_rows, 41);
  Vec x = rand_vec(src_rows * block, 42), y(out_rows * block, -7.f), want(out_rows * block);
  for (long long i = 0; i < out_rows; ++i)  // GatherCpu.forward
    for (long long j = 0; j < block; ++j) want[i * block + j] = rows[i] < 0 ? 0.f : x[rows[i] * block + j];
  Vec rb = int_bits(rows);
  launch(aaj_gather, grid, dim3(BLOCK), y.data(), x.data(), (const int*)rb.data(), block, out_rows * block);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_gather rows=%lld src=%d block=%lld %s", out_rows, src_rows, block, gstr(grid).c_str());
  check(name, y, want, 0);
}

static void test_gather_backward(long long out_rows, int src_rows, long long block, dim3 grid) {
  std::vector<int> rows = gather_rows(out_rows, src_rows, 43);
  std::vector<int> off(src_rows + 1, 0), list;
  for (int r : rows) if (r >= 0) off[r + 1]++;
  for (int s = 0; s < src_rows; ++s) off[s + 1] += off[s];
  list.resize(off[src_rows]);
  std::vector<int> fill(off.begin(), off.end() - 1);
  for (long long i = 0; i < out_rows; ++i) if (rows[i] >= 0) list[fill[rows[i]]++] = (int)i;
  Vec g = rand_vec(out_rows * block, 44), gx(src_rows * block, -7.f), want(src_rows * block);
  for (int s = 0; s < src_rows; ++s)  // GatherCpu.backward: the first copied, the others added in output order
    for (long long j = 0; j < block; ++j) {
      float acc = off[s] == off[s + 1] ? 0.f : g[list[off[s]] * block + j];
      for (int k = off[s] + 1; k < off[s + 1]; ++k) acc += g[list[k] * block + j];
      want[s * block + j] = acc;
    }
  Vec ob = int_bits(off), lb = int_bits(list.empty() ? std::vector<int>{0} : list);
  launch(aaj_gather_backward, grid, dim3(BLOCK), gx.data(), g.data(), (const int*)ob.data(), (const int*)lb.data(), block,
         (long long)src_rows * block);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_gather_backward rows=%lld src=%d block=%lld %s", out_rows, src_rows, block,
                gstr(grid).c_str());
  check(name, gx, want, 0);
}

static void test_bmm(int batch, int m, int n, int k, bool ta, bool tb) {
  Vec a = rand_vec((size_t)batch * m * k, 45), b = rand_vec((size_t)batch * k * n, 46), c((size_t)batch * m * n, -7.f),
      want((size_t)batch * m * n);
  int lda = ta ? m : k, ldb = tb ? k : n;
  for (int p = 0; p < batch; ++p)
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        double s = 0;
        for (int t = 0; t < k; ++t)
          s += (double)(ta ? a[(size_t)p * m * k + (size_t)t * lda + i] : a[(size_t)p * m * k + (size_t)i * lda + t]) *
               (tb ? b[(size_t)p * k * n + (size_t)j * ldb + t] : b[(size_t)p * k * n + (size_t)t * ldb + j]);
        want[((size_t)p * m + i) * n + j] = (float)s;
      }
  launch(aaj_bmm, dim3((n + 15) / 16, (m + 15) / 16, batch), dim3(16, 16), c.data(), a.data(), b.data(), m, n, k, lda, ldb,
         ta ? 1 : 0, tb ? 1 : 0, (long long)m * k, (long long)k * n, (long long)m * n);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_bmm batch=%d m=%d n=%d k=%d ta=%d tb=%d", batch, m, n, k, ta, tb);
  check(name, c, want, 1e-5);
}

// CudaBackend.transpose2d's grid: x the column tiles, y the row tiles (<= 65535), z the matrices (<= 65535); block (32, 8)
static dim3 grid_transpose(int batch, int rows, int cols) {
  return dim3((cols + 31) / 32, std::min((rows + 31) / 32, 65535), std::min(batch, 65535));
}

static void test_transpose2d(int batch, int rows, int cols, dim3 grid) {
  size_t n = (size_t)batch * rows * cols;
  Vec x = rand_vec(n, 50), y(n, -7.f), want(n);
  for (int b = 0; b < batch; ++b)  // TransposeCpu.forward
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) want[((size_t)b * cols + c) * rows + r] = x[((size_t)b * rows + r) * cols + c];
  launch(aaj_transpose2d, grid, dim3(32, 8), y.data(), x.data(), rows, cols, (long long)batch);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_transpose2d batch=%d rows=%d cols=%d %s", batch, rows, cols, gstr(grid).c_str());
  check(name, y, want, 0);
}

static void test_gelu(long long n, dim3 grid) {
  Vec x = rand_vec(n, 47, -7.f, 7.f), y(n, -7.f), want(n);
  x[0] = 0.f; x[1] = -0.f; x[2] = 30.f; x[3] = -30.f; x[4] = QNAN;
  for (long long i = 0; i < n; ++i) {  // GeluMath.gelu
    float e = (float)std::erf((double)(x[i] * 0.70710678118654752440f));
    want[i] = x[i] * 0.5f * (1.f + e);
  }
  launch(aaj_gelu, grid, dim3(BLOCK), y.data(), x.data(), n);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_gelu n=%lld %s", n, gstr(grid).c_str());
  check(name, y, want, 0);
}

static void test_gelu_backward(long long n, dim3 grid) {
  Vec x = rand_vec(n, 48, -7.f, 7.f), g = rand_vec(n, 49), y(n, -7.f), want(n);
  x[0] = 0.f; x[1] = 30.f; x[2] = -30.f;
  const float alpha = (float)(1.12837916709551257390 * 0.70710678118654752440 * 0.5);
  for (long long i = 0; i < n; ++i) {  // GeluMath.geluBackward
    float cdf = 0.5f * (1.f + (float)std::erf((double)(x[i] * 0.70710678118654752440f)));
    float pdf = alpha * (float)std::exp((double)(x[i] * x[i] * -0.5f));
    want[i] = g[i] * (cdf + x[i] * pdf);
  }
  launch(aaj_gelu_backward, grid, dim3(BLOCK), y.data(), g.data(), x.data(), n);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_gelu_backward n=%lld %s", n, gstr(grid).c_str());
  check(name, y, want, 0);
}

// ---------------------------------------------------------------- dropout (Swin's drop_rate / attn_drop_rate)
// DropoutMath's bits against values from an independent Python transcription of SplitMix64's finaliser (the same
// numbers DropoutMathTest pins on the Java side), then the kernel against the per-element rule.
static void test_dropout_bits() {
  const unsigned long long seeds[3] = {0ULL, 12345ULL, (unsigned long long)-7LL};
  const unsigned int want[3][5] = {{14819496u, 7239838u, 443485u, 16288696u, 13506518u},
                                   {2232706u, 3436252u, 2005591u, 2954766u, 13308621u},
                                   {7085592u, 8030196u, 15216959u, 2674358u, 15920994u}};
  const unsigned long long at[5] = {0, 1, 2, 3, 1000000};
  Vec got(15), w(15);
  for (int s = 0; s < 3; ++s)
    for (int k = 0; k < 5; ++k) {
      got[s * 5 + k] = (float)aaj_dropout_bits(seeds[s], at[k]);
      w[s * 5 + k] = (float)want[s][k];
    }
  check("aaj_dropout_bits (pinned values)", got, w, 0);
}

static void test_dropout(long long n, double p, long long seed, dim3 grid) {
  Vec x = rand_vec(n, 51), y(n, -7.f), want(n);
  x[0] = QNAN;
  const unsigned int thr = (unsigned int)std::ceil(p * 16777216.0);
  const float scale = 1.f / (float)(1.0 - p);
  long long kept = 0;
  for (long long i = 0; i < n; ++i) {  // DropoutMath.apply
    unsigned long long z = (unsigned long long)seed + (unsigned long long)(i + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    bool keep = (unsigned int)(z >> 40) >= thr;
    kept += keep;
    want[i] = x[i] * (keep ? scale : 0.f);
  }
  launch(aaj_dropout, grid, dim3(BLOCK), y.data(), x.data(), seed, (int)thr, scale, n);
  char name[160];
  std::snprintf(name, sizeof name, "aaj_dropout n=%lld p=%g seed=%lld %s", n, p, seed, gstr(grid).c_str());
  check(name, y, want, 0);
  // the kept fraction is 1 - p within 5 standard deviations
  double frac = (double)kept / n, sd = std::sqrt(p * (1 - p) / n);
  Vec f(1, (float)(std::fabs(frac - (1 - p)) <= 5 * sd + 1e-12 ? 1 : 0)), one(1, 1.f);
  std::snprintf(name, sizeof name, "aaj_dropout kept fraction %.4f for p=%g", frac, p);
  check(name, f, one, 0);
}

int main() {
  test_emulator();
  // transpose2d: one tile, ragged edges on both axes, batch > 1, PatchMerging's [T', 4, C] -> [T', C, 4], a grid
  // smaller than the tiles (y and z loop)
  test_transpose2d(1, 32, 32, grid_transpose(1, 32, 32));
  test_transpose2d(3, 45, 70, grid_transpose(3, 45, 70));
  test_transpose2d(5, 4, 37, grid_transpose(5, 4, 37));
  test_transpose2d(2, 33, 1, grid_transpose(2, 33, 1));
  test_transpose2d(4, 100, 40, dim3(2, 1, 3));
  // hw = 529 > 256: 3 blocks per plane row; the small grid (2,4) loops over both hw (529 > 2*256) and planes (6 > 4)
  // odd planes run element by element; planes of a multiple of 4 floats as float4 (vec: 20x40, 2x8; the harness needs 103+ values)
  const Shape4 big{2, 3, 23, 23}, small{2, 3, 5, 7}, vec{2, 3, 20, 40}, vec_small{1, 7, 2, 8};
  for (Shape4 s : {small, big, vec, vec_small}) test_affine_act(s, grid_planes(s.hw(), s.planes()));
  test_affine_act(big, dim3(2, 4));
  test_affine_act(vec, dim3(1, 2));
  for (Shape4 s : {small, big, vec, vec_small}) test_act_affine_backward(s, grid_planes(s.hw(), s.planes()));
  test_act_affine_backward(vec, dim3(1, 2));
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

  for (float hi : {6.f, 0.5f}) {
    test_hardtanh(n, 0.f, hi, dim3(grid1d(n)));
    test_hardtanh(n, 0.f, hi, dim3(3));
    test_hardtanh_backward(n, 0.f, hi, dim3(grid1d(n)));
    test_hardtanh_backward(n, 0.f, hi, dim3(3));
  }
  for (float slope : {0.1f, 0.01f}) {
    test_leaky_relu(n, slope, dim3(grid1d(n)));
    test_leaky_relu(n, slope, dim3(3));
    test_leaky_relu_backward(n, slope, dim3(grid1d(n)));
    test_leaky_relu_backward(n, slope, dim3(3));
  }
  for (dim3 g : {dim3(grid1d(517 * 7)), dim3(3)}) {
    test_gather(517, 200, 7, g);   // rows of 7 (a Swin token row), repeats and zero rows
    test_gather(300, 40, 1, g);    // element-wise (a table lookup)
    test_gather_backward(517, 200, 7, g);
    test_gather_backward(300, 40, 1, g);
  }
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      test_bmm(3, 49, 49, 32, ta, tb);  // window attention: 49 tokens, head dim 32
      test_bmm(2, 5, 17, 3, ta, tb);
    }
  test_gelu(n, dim3(grid1d(n)));
  test_gelu(n, dim3(3));
  test_gelu_backward(n, dim3(grid1d(n)));
  test_gelu_backward(n, dim3(3));
  test_dropout_bits();
  test_dropout(n, 0.1, 42, dim3(grid1d(n)));
  test_dropout(n, 0.5, -3, dim3(3));
  test_dropout(n, 0.0, 7, dim3(grid1d(n)));
  test_swish(n, dim3(grid1d(n)));
  test_swish(n, dim3(3));
  test_swish_backward(n, dim3(grid1d(n)));
  test_swish_backward(n, dim3(3));
  test_hardsigmoid(n, dim3(grid1d(n)));
  test_hardsigmoid(n, dim3(3));
  test_hardsigmoid_backward(n, dim3(grid1d(n)));
  test_hardsigmoid_backward(n, dim3(3));
  test_row_mean(6, 1000);
  test_row_mean(3, 1);
  test_row_broadcast(6, 1000, dim3(grid1d(6000)));
  test_row_broadcast(5, 7, dim3(2));
  test_space_to_depth(2, 3, 5, 7, dim3(grid1d(4LL * 2 * 3 * 5 * 7)));
  test_space_to_depth(1, 5, 3, 11, dim3(2));
  test_softmax(2, 7, 3, dim3(grid1d(2 * 3)));  // a line per (outer, inner): 6 lines, one block
  test_softmax_backward(2, 7, 3, dim3(grid1d(2 * 3)));
  for (dim3 g : {dim3(grid1d(300)), dim3(1)}) {
    test_softmax(300, 49, 1, g);   // attention rows (inner = 1)
    test_softmax_backward(300, 49, 1, g);
    test_softmax(3, 2, 100, g);    // radix 2, a line per (sample, channel, pixel)
    test_softmax_backward(3, 2, 100, g);
  }
  for (dim3 g : {dim3(grid1d(24 * 77)), dim3(3)}) {
    test_row_scale(24, 77, g);     // per (sample, channel) over H*W
    test_row_scale(2, 924, g);     // per sample (drop path)
  }
  test_row_scale_backward(24, 77);
  test_row_scale_backward(2, 1000);  // each thread strides past 256
  test_sgd(n, dim3(grid1d(n)));
  test_sgd(n, dim3(2));
  test_adam(dim3(grid1d(3058)), 0.1f);
  test_adam(dim3(3), 0.1f);
  test_adam(dim3(grid1d(3058)), 0.7f);
  test_opt_all(false);
  test_opt_all(true);

  for (bool dot : {false, true}) {
    for (long long m : {1LL, 200LL, 5000LL}) test_reduce(m, dot, std::min(grid1d(m), 1024u));
    test_reduce(5000, dot, 3);
  }
  test_reduce_final(700);

  test_channel_sum({3, 5, 17, 19});  // hw = 323: each thread strides past 256
  test_channel_sum({2, 4, 3, 3});    // hw = 9: most threads add nothing
  test_channel_dot({3, 5, 17, 19});
  test_channel_dot({2, 4, 3, 3});

  for (Shape4 s : {Shape4{2, 3, 9, 11}, Shape4{2, 4, 40, 40}}) {
    test_max_pool(s, 3, 2, 1, false);
    test_max_pool(s, 3, 2, 1, true);
  }

  test_avg_pool_math();
  for (bool small_grid : {false, true}) {
    test_avg_pool({2, 3, 7, 9}, 2, 2, 0, true, false, small_grid);    // ResLayer avg_down: partial last row / column
    test_avg_pool({2, 4, 40, 38}, 2, 2, 0, true, false, small_grid);  // avg_down, several blocks
    test_avg_pool({1, 2, 7, 5}, 2, 2, 0, true, true, small_grid);
    test_avg_pool({2, 2, 9, 10}, 3, 2, 1, false, true, small_grid);
    test_avg_pool({2, 2, 9, 10}, 3, 2, 1, false, false, small_grid);
    test_avg_pool({1, 3, 8, 11}, 3, 2, 1, true, false, small_grid);
    test_avg_pool({1, 2, 5, 10}, 3, 3, 1, true, true, small_grid);    // ceil's last window dropped (height)
    test_avg_pool({2, 2, 5, 6}, 3, 1, 1, false, false, small_grid);   // overlapping windows
    test_avg_pool({1, 2, 9, 9}, 1, 3, 0, false, true, small_grid);    // stride > kernel: inputs outside every window
  }

  for (long long m : {1LL, 3001LL}) {
    for (dim3 g : {dim3(grid1d(m)), dim3(3)}) {
      test_fill(m, 0.25f, g);
      test_fill(m, -0.f, g);
      test_add(m, false, g);
      test_add(m, true, g);
      test_mul_scalar(m, 2.5f, g);
      test_mul_scalar(m, -0.f, g);
      test_mul_dev_scalar(m, -1.75f, g);
      test_sigmoid(m, g);
      test_broadcast_scalar(m, 3.f, 1.f / 3.f, g);
      test_flag_nonfinite(m + 9, g);
    }
  }

  // hw = 323 > 256 with 2 channels per group: every thread strides; G = 1 and cpg = 1 extremes on a small plane
  for (bool affine : {true, false}) test_group_norm({2, 4, 17, 19}, 2, affine);
  test_group_norm({1, 3, 3, 5}, 1, true);
  test_group_norm({2, 3, 4, 4}, 3, false);
  test_group_norm_affine_grad(3, 300);

  for (bool small_grid : {false, true}) {
    test_upsample({2, 3, 5, 7}, 10, 14, small_grid);    // exact 2x (FPN)
    test_upsample({2, 3, 13, 19}, 25, 38, small_grid);  // non-integer ratio
    test_upsample({1, 2, 10, 9}, 4, 5, small_grid);     // downsampling: some inputs get no gradient
    test_upsample({1, 1, 3, 3}, 7, 11, small_grid);
  }
  for (bool small_grid : {false, true}) {
    test_upsample_bilinear({2, 3, 5, 7}, 2, 2, small_grid);      // HRFPN's 2^i
    test_upsample_bilinear({1, 2, 4, 3}, 8, 4, small_grid);
    test_upsample_bilinear({1, 2, 13, 9}, 1.7, 2.3, small_grid);  // non-integer: ratio 1/scale, not in/out
    test_upsample_bilinear({1, 3, 10, 9}, 0.45, 0.6, small_grid); // downsampling: some inputs get no gradient
    test_upsample_bilinear({1, 2, 3, 4}, 1.2, 1.1, small_grid);   // out == in: copied
  }

  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      test_gemm(20, 18, 35, ta, tb);  // partial tiles in M, N and K
      test_gemm(33, 5, 17, ta, tb);
    }
  test_gemm(1, 1, 1, false, false);
  test_gemm(16, 16, 16, true, false);

  for (bool small_grid : {false, true})
    for (int K : {3, 4, 1}) test_layout(2, K, {100, 25, 7, 2}, small_grid);

  std::printf("backend_kernels.cu under cuda_emu: %d cases, %d failed\n", g_cases, g_failed);
  return g_failed ? 1 : 0;
}

// ---------------------------------------------------------------- deformable convolution (aaj_dcn_*)
// The three kernels of one image against brute force in double, written from the definition (MMCV's DCN / DCNv2):
// the sample of tap (i, j) at (y*s - p + i*d + dy, x*s - p + j*d + dx), bilinear over the corners inside the image
// when -1 < h < H and -1 < w < W (else 0), times the mask; col2im is that map's adjoint, col2im_coord its derivative
// in dy, dx (and the mask). Offsets have fractional parts in [0.2, 0.8]: away from the integer kinks.
struct DcnCase {
  int C, H, W, kh, kw, pad, stride, dil, dg, Ho, Wo;
  bool mask;
  int span;  // offsets' integer parts in [-span, span]
};

static double dcn_sample(const Vec& x, int c, int H, int W, double h, double w, double* dh, double* dw) {
  *dh = *dw = 0;
  if (!(h > -1 && w > -1 && h < H && w < W)) return 0;
  int h0 = (int)std::floor(h), w0 = (int)std::floor(w);
  double lh = h - h0, lw = w - w0, v[2][2];
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      int hh = h0 + a, ww = w0 + b;
      v[a][b] = hh >= 0 && hh < H && ww >= 0 && ww < W ? x[((size_t)c * H + hh) * W + ww] : 0.0;
    }
  *dh = (1 - lw) * (v[1][0] - v[0][0]) + lw * (v[1][1] - v[0][1]);
  *dw = (1 - lh) * (v[0][1] - v[0][0]) + lh * (v[1][1] - v[1][0]);
  return (1 - lh) * (1 - lw) * v[0][0] + (1 - lh) * lw * v[0][1] + lh * (1 - lw) * v[1][0] + lh * lw * v[1][1];
}

static void test_dcn(const DcnCase& t, bool small_grid) {
  const int kk = t.kh * t.kw, hw = t.Ho * t.Wo, cpg = t.C / t.dg;
  Vec x = rand_vec((size_t)t.C * t.H * t.W, 70), off((size_t)t.dg * 2 * kk * hw), mask = rand_vec((size_t)t.dg * kk * hw, 72, 0.1f, 0.9f);
  Rng r(71);
  for (auto& o : off) o = (float)((int)(r.next() % (2 * t.span + 1)) - t.span) + r.uni(0.2f, 0.8f) * (r.next() % 2 ? 1 : -1);
  Vec gcol = rand_vec((size_t)t.C * kk * hw, 73);
  const float* mp = t.mask ? mask.data() : nullptr;
  Vec want_col((size_t)t.C * kk * hw), want_gx(x.size(), 0.f), want_goff(off.size()), want_gmask(mask.size(), 0.f);
  std::vector<double> gx_d(x.size(), 0.0), goff_d(off.size(), 0.0), gmask_d(mask.size(), 0.0);
  for (int c = 0; c < t.C; ++c)
    for (int k = 0; k < kk; ++k)
      for (int pos = 0; pos < hw; ++pos) {
        int g = c / cpg, i = k / t.kw, j = k % t.kw, y = pos / t.Wo, xo = pos % t.Wo;
        size_t ob = (size_t)g * 2 * kk * hw, mi = (size_t)g * kk * hw + (size_t)k * hw + pos;
        double h = y * t.stride - t.pad + i * t.dil + (double)off[ob + 2 * k * hw + pos];
        double w = xo * t.stride - t.pad + j * t.dil + (double)off[ob + (2 * k + 1) * hw + pos];
        double m = t.mask ? mask[mi] : 1.0, dh, dw;
        double v = dcn_sample(x, c, t.H, t.W, h, w, &dh, &dw);
        size_t ci = ((size_t)c * kk + k) * hw + pos;
        want_col[ci] = (float)(m * v);
        double gc = gcol[ci];
        goff_d[ob + 2 * k * hw + pos] += gc * m * dh;
        goff_d[ob + (2 * k + 1) * hw + pos] += gc * m * dw;
        gmask_d[mi] += gc * v;
        if (!(h > -1 && w > -1 && h < t.H && w < t.W)) continue;  // the adjoint: the corners inside the image
        int h0 = (int)std::floor(h), w0 = (int)std::floor(w);
        for (int a = 0; a < 2; ++a)
          for (int b = 0; b < 2; ++b) {
            int hh = h0 + a, ww = w0 + b;
            if (hh < 0 || hh >= t.H || ww < 0 || ww >= t.W) continue;
            gx_d[((size_t)c * t.H + hh) * t.W + ww] += gc * m * (a ? h - h0 : 1 - (h - h0)) * (b ? w - w0 : 1 - (w - w0));
          }
      }
  for (size_t q = 0; q < x.size(); ++q) want_gx[q] = (float)gx_d[q];
  for (size_t q = 0; q < off.size(); ++q) want_goff[q] = (float)goff_d[q];
  for (size_t q = 0; q < mask.size(); ++q) want_gmask[q] = (float)gmask_d[q];

  long long n_im = (long long)t.C * hw, n_col = (long long)t.C * kk * hw, n_coord = (long long)t.dg * 2 * kk * hw;
  char what[200];
  std::snprintf(what, sizeof what, " C%d %dx%d k%dx%d p%d s%d d%d dg%d%s span%d%s", t.C, t.H, t.W, t.kh, t.kw, t.pad,
                t.stride, t.dil, t.dg, t.mask ? " mask" : "", t.span, small_grid ? " grid 3" : "");
  auto grid = [&](long long n) { return dim3(small_grid ? 3 : grid1d(n)); };
  Vec col(want_col.size(), -7.f), gx(x.size(), 0.f), goff(off.size(), -7.f), gmask(mask.size(), -7.f);
  launch(aaj_dcn_im2col, grid(n_im), dim3(BLOCK), col.data(), x.data(), off.data(), mp, t.mask ? 1 : 0, t.H, t.W,
         t.kh, t.kw, t.pad, t.pad, t.stride, t.stride, t.dil, t.dil, cpg, t.Ho, t.Wo, n_im);
  check(std::string("aaj_dcn_im2col") + what, col, want_col, 1e-5);
  launch(aaj_dcn_col2im, grid(n_col), dim3(BLOCK), gx.data(), gcol.data(), off.data(), mp, t.mask ? 1 : 0, t.H, t.W,
         t.kh, t.kw, t.pad, t.pad, t.stride, t.stride, t.dil, t.dil, cpg, t.Ho, t.Wo, n_col);
  check(std::string("aaj_dcn_col2im") + what, gx, want_gx, 1e-5);
  launch(aaj_dcn_col2im_coord, grid(n_coord), dim3(BLOCK), goff.data(), t.mask ? gmask.data() : nullptr, gcol.data(),
         x.data(), off.data(), mp, t.mask ? 1 : 0, t.H, t.W, t.kh, t.kw, t.pad, t.pad, t.stride, t.stride, t.dil,
         t.dil, cpg, t.Ho, t.Wo, n_coord);
  check(std::string("aaj_dcn_col2im_coord offset") + what, goff, want_goff, 1e-5);
  if (t.mask) check(std::string("aaj_dcn_col2im_coord mask") + what, gmask, want_gmask, 1e-5);
}

// The per-element functions at the image border and on integer samples (where the brute force above is not used).
static void test_dcn_math() {
  const int H = 3, W = 4;
  Vec im = rand_vec(H * W, 74);
  // an integer sample reads the pixel exactly; a sample at h = -1 or h = H is off the image for the gradients
  Vec got = {aaj_dcn_bilinear(im.data(), H, W, 1.f, 2.f), aaj_dcn_gradient_weight(-1.f, 1.5f, 0, 1, H, W),
             aaj_dcn_gradient_weight(2.5f, 1.25f, 2, 1, H, W), aaj_dcn_coordinate_weight(3.f, 1.f, H, W, im.data(), 0),
             aaj_dcn_bilinear(im.data(), H, W, -0.5f, 3.5f)};
  Vec want = {im[1 * W + 2], 0.f, 0.5f * 0.75f, 0.f, 0.5f * 0.5f * im[0 * W + 3]};
  check("aaj_dcn_* per-element math at borders and integer samples", got, want, 1e-7);
}

// Runs during static initialisation, before main: this block stays at the end of the file, apart from main's list
// (main's summary line and exit status count these cases too).
static const bool g_dcn_tests_ran = [] {
  test_dcn_math();
  for (bool small_grid : {false, true}) {
    test_dcn({3, 7, 6, 3, 3, 1, 1, 1, 1, 7, 6, false, 1}, small_grid);    // DCN 3x3
    test_dcn({4, 6, 7, 3, 3, 1, 1, 1, 2, 6, 7, true, 1}, small_grid);     // DCNv2, 2 deform groups
    test_dcn({2, 9, 8, 3, 3, 1, 2, 1, 1, 5, 4, true, 1}, small_grid);     // stride 2
    test_dcn({2, 8, 8, 3, 3, 2, 1, 2, 2, 8, 8, false, 1}, small_grid);    // dilation 2
    test_dcn({2, 5, 5, 3, 3, 1, 1, 1, 1, 5, 5, true, 5}, small_grid);     // samples off the image
    test_dcn({2, 6, 9, 3, 2, 1, 1, 1, 1, 6, 10, true, 1}, small_grid);    // non-square kernel
  }
  return true;
}();
