// backend_kernels.cu — the Java CUDA backend's own kernels (autoassign.backend.cuda).
//
// These cover the Backend ops that the native/ fatbin (aa_kernels.fatbin) does not provide with the
// exact semantics of the CPU twin (autoassign.backend.cpu.CpuBackend), plus fallbacks for all other
// ops so that the backend runs when only this file is available. Compiled either by nvcc at build
// time (scripts/build_cuda_kernels.sh -> native/backend_kernels.fatbin in the jar) or at run time by
// NVRTC from this resource. No #include: NVRTC compiles it without any header.
//
// Launch contract (see CudaBackend): 1-D kernels use 256 threads and a grid-stride loop, so any grid
// size works; reductions use 256 threads per block (the shared arrays below assume it).
//
// Rounding: nvcc and NVRTC contract a*b + c into one fused multiply-add by default (--fmad=true), which the Java
// twins never do, so results agree with the CPU to an ulp or so, not bit for bit (the GPU checks allow 1e-3).

#define GRID_STRIDE(i, n) \
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)gridDim.x * blockDim.x)
#define RB 256

// Block-wide sum of doubles; every thread gets the result. blockDim.x == RB.
__device__ __forceinline__ double block_sum_d(double v, double* sh) {
  sh[threadIdx.x] = v;
  __syncthreads();
  for (int s = RB / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
    __syncthreads();
  }
  double r = sh[0];
  __syncthreads();
  return r;
}

extern "C" {

// ---------------- elementwise ----------------
__global__ void aaj_fill(float* y, float v, long long n) { GRID_STRIDE(i, n) y[i] = v; }

__global__ void aaj_add(float* y, const float* a, const float* b, long long n) { GRID_STRIDE(i, n) y[i] = a[i] + b[i]; }

__global__ void aaj_mul_scalar(float* y, const float* x, float s, long long n) { GRID_STRIDE(i, n) y[i] = x[i] * s; }

// y = x * s[0] * factor... kept simple: s is a one-element device tensor.
__global__ void aaj_mul_dev_scalar(float* y, const float* x, const float* s, long long n) {
  float k = s[0];
  GRID_STRIDE(i, n) y[i] = x[i] * k;
}

// CpuBackend.clampMin: Math.max(x, min) (NaN propagates)
__global__ void aaj_clamp_min(float* y, const float* x, float lo, long long n) {
  GRID_STRIDE(i, n) {
    float v = x[i];
    y[i] = (v != v) ? v : (v > lo ? v : lo);
  }
}

// CpuBackend.clampMinBackward: gradient where x >= min (PyTorch's clamp; ReLU passes FLT_TRUE_MIN, i.e. x > 0)
__global__ void aaj_clamp_min_backward(float* y, const float* g, const float* x, float lo, long long n) {
  GRID_STRIDE(i, n) y[i] = x[i] >= lo ? g[i] : 0.f;
}

// CpuBackend.hardtanh: Math.min(Math.max(x, lo), hi) (NaN propagates); ReLU6 is lo 0, hi 6
__host__ __device__ __forceinline__ float aaj_hardtanh_value(float v, float lo, float hi) {
  if (v != v) return v;
  v = v > lo ? v : lo;
  return v < hi ? v : hi;
}

// CpuBackend.hardtanhBackward: PyTorch's hardtanh_backward, 0 where x <= lo or x >= hi (a NaN x passes g)
__host__ __device__ __forceinline__ float aaj_hardtanh_grad(float g, float v, float lo, float hi) {
  return (v <= lo || v >= hi) ? 0.f : g;
}

__global__ void aaj_hardtanh(float* y, const float* x, float lo, float hi, long long n) {
  GRID_STRIDE(i, n) y[i] = aaj_hardtanh_value(x[i], lo, hi);
}

__global__ void aaj_hardtanh_backward(float* y, const float* g, const float* x, float lo, float hi, long long n) {
  GRID_STRIDE(i, n) y[i] = aaj_hardtanh_grad(g[i], x[i], lo, hi);
}

// CpuBackend.leakyRelu: PyTorch's leaky_relu, x > 0 ? x : x * slope (NaN stays NaN, -0 stays -0)
__host__ __device__ __forceinline__ float aaj_leaky_relu_value(float v, float slope) {
  return v > 0.f ? v : v * slope;
}

// CpuBackend.leakyReluBackward: PyTorch's leaky_relu_backward, x > 0 ? g : g * slope (slope at 0 and for NaN)
__host__ __device__ __forceinline__ float aaj_leaky_relu_grad(float g, float v, float slope) {
  return v > 0.f ? g : g * slope;
}

__global__ void aaj_leaky_relu(float* y, const float* x, float slope, long long n) {
  GRID_STRIDE(i, n) y[i] = aaj_leaky_relu_value(x[i], slope);
}

__global__ void aaj_leaky_relu_backward(float* y, const float* g, const float* x, float slope, long long n) {
  GRID_STRIDE(i, n) y[i] = aaj_leaky_relu_grad(g[i], x[i], slope);
}

// CpuBackend.swish: MMCV's Swish x * sigmoid(x), the sigmoid as aaj_sigmoid (double exp, rounded to float)
__host__ __device__ __forceinline__ float aaj_swish_sigmoid(float v) { return (float)(1.0 / (1.0 + exp(-(double)v))); }

__host__ __device__ __forceinline__ float aaj_swish_value(float v) { return v * aaj_swish_sigmoid(v); }

// CpuBackend.swishBackward: torch's silu_backward g * s * (1 + x * (1 - s)), left to right
__host__ __device__ __forceinline__ float aaj_swish_grad(float g, float v) {
  float s = aaj_swish_sigmoid(v);
  return g * s * (1.f + v * (1.f - s));
}

__global__ void aaj_swish(float* y, const float* x, long long n) {
  GRID_STRIDE(i, n) y[i] = aaj_swish_value(x[i]);
}

__global__ void aaj_swish_backward(float* y, const float* g, const float* x, long long n) {
  GRID_STRIDE(i, n) y[i] = aaj_swish_grad(g[i], x[i]);
}

// CpuBackend.hardsigmoid (HardSigmoid.value): torch's nn.Hardsigmoid as its CPU kernel rounds it, min(max(x + 3, 0), 6) / 6;
// comparisons rather than fminf / fmaxf so that a NaN stays NaN
__host__ __device__ __forceinline__ float aaj_hardsigmoid_value(float v) {
  float t = v + 3.f;
  t = t < 0.f ? 0.f : t;
  t = t > 6.f ? 6.f : t;
  return t / 6.f;
}

// CpuBackend.hardsigmoidBackward (HardSigmoid.grad): torch's hardsigmoid_backward, -3 < x < 3 ? g * (1/6) : 0
__host__ __device__ __forceinline__ float aaj_hardsigmoid_grad(float g, float v) {
  return (v > -3.f && v < 3.f) ? g * (1.0f / 6.0f) : 0.f;
}

__global__ void aaj_hardsigmoid(float* y, const float* x, long long n) {
  GRID_STRIDE(i, n) y[i] = aaj_hardsigmoid_value(x[i]);
}

__global__ void aaj_hardsigmoid_backward(float* y, const float* g, const float* x, long long n) {
  GRID_STRIDE(i, n) y[i] = aaj_hardsigmoid_grad(g[i], x[i]);
}

// Focus's slicing (autoassign.backend.SpaceToDepth): small [N, 4C, h, w] element i <-> its element of big
// [N, C, 2h, 2w]; channel block q = 0..3 is top-left, bottom-left, top-right, bottom-right (dy = q & 1, dx = q >> 1)
__host__ __device__ __forceinline__ long long aaj_space_to_depth_source(long long i, int C, int h, int w) {
  int j = (int)(i % w), r = (int)((i / w) % h);
  long long p = i / ((long long)w * h);
  int oc = (int)(p % (4LL * C)), q = oc / C, c = oc % C;
  long long b = p / (4LL * C);
  return ((b * C + c) * 2LL * h + (2 * r + (q & 1))) * 2LL * w + 2 * j + (q >> 1);
}

// inverse map: big element i -> its element of small
__host__ __device__ __forceinline__ long long aaj_space_to_depth_target(long long i, int C, int h, int w) {
  int x = (int)(i % (2 * w)), yy = (int)((i / (2 * w)) % (2 * h));
  long long p = i / (4LL * w * h);
  int c = (int)(p % C);
  long long b = p / C;
  int q = (yy & 1) | ((x & 1) << 1);
  return ((b * 4LL * C + (long long)q * C + c) * h + (yy >> 1)) * w + (x >> 1);
}

__global__ void aaj_space_to_depth(float* y, const float* x, int C, int h, int w, long long total) {
  GRID_STRIDE(i, total) y[i] = x[aaj_space_to_depth_source(i, C, h, w)];
}

// one thread per input element: a gather, so no atomics and deterministic
__global__ void aaj_space_to_depth_backward(float* gx, const float* g, int C, int h, int w, long long total) {
  GRID_STRIDE(i, total) gx[i] = g[aaj_space_to_depth_target(i, C, h, w)];
}

__global__ void aaj_sigmoid(float* y, const float* x, long long n) {
  GRID_STRIDE(i, n) y[i] = (float)(1.0 / (1.0 + exp(-(double)x[i])));
}

__global__ void aaj_sigmoid_backward(float* y, const float* g, const float* s, long long n) {
  GRID_STRIDE(i, n) y[i] = g[i] * s[i] * (1.f - s[i]);
}

// CpuLineOps.softmax: one line of [outer, n, inner] (n elements `inner` apart): max-subtracted exp, float sum, then
// each divided by the sum (torch's float softmax); the maximum follows Java's Math.max (a NaN wins).
__host__ __device__ __forceinline__ void aaj_softmax_line(float* y, const float* x, int n, long long inner) {
  if (n <= 0) return;
  float m = x[0];
  for (int j = 1; j < n; ++j) {
    float v = x[(long long)j * inner];
    m = (v != v || v > m) ? v : m;
  }
  float sum = 0.f;
  for (int j = 0; j < n; ++j) {
    float v = (float)exp((double)(x[(long long)j * inner] - m));
    y[(long long)j * inner] = v;
    sum += v;
  }
  for (int j = 0; j < n; ++j) y[(long long)j * inner] = y[(long long)j * inner] / sum;
}

// CpuLineOps.softmaxBackward: gx = y * (g - sum_j g_j * y_j) along one line, the sum in float
__host__ __device__ __forceinline__ void aaj_softmax_backward_line(float* gx, const float* g, const float* y, int n,
                                                                  long long inner) {
  float dot = 0.f;
  for (int j = 0; j < n; ++j) dot += g[(long long)j * inner] * y[(long long)j * inner];
  for (int j = 0; j < n; ++j) {
    long long i = (long long)j * inner;
    gx[i] = y[i] * (g[i] - dot);
  }
}

// a thread per line: line l = (o, i) starts at o * n * inner + i
__global__ void aaj_softmax(float* y, const float* x, int n, long long inner, long long lines) {
  GRID_STRIDE(l, lines) {
    long long base = (l / inner) * n * inner + l % inner;
    aaj_softmax_line(y + base, x + base, n, inner);
  }
}

__global__ void aaj_softmax_backward(float* gx, const float* g, const float* y, int n, long long inner, long long lines) {
  GRID_STRIDE(l, lines) {
    long long base = (l / inner) * n * inner + l % inner;
    aaj_softmax_backward_line(gx + base, g + base, y + base, n, inner);
  }
}

// CpuLineOps.rowScale: x viewed as [rows, cols], row r times s[r] (its gradient for s is aaj_channel_dot, N = 1)
__global__ void aaj_row_scale(float* y, const float* x, const float* s, long long cols, long long n) {
  GRID_STRIDE(i, n) y[i] = x[i] * s[i / cols];
}

// y[n,c,j] = x[n,c,j] * scale[c] + shift[c]; scale and/or shift may be NULL (1 and 0)
__global__ void aaj_channel_affine(float* y, const float* x, const float* scale, const float* shift, int C,
                                   long long hw, long long n) {
  GRID_STRIDE(i, n) {
    int c = (int)((i / hw) % C);
    float k = scale ? scale[c] : 1.f, b = shift ? shift[c] : 0.f;
    y[i] = x[i] * k + b;
  }
}

// CpuBackend.channelAffineActInPlace: x = act((x*scale[c] + shift[c]) + res), in place; scale, shift, res may be
// NULL. One block row per (n, c) plane (no per-element division); planes beyond gridDim.y loop.
// Plane kernels read float4 where every plane allows it: length % 4 == 0 and 16-byte aligned bases (then every
// plane start is); same per-element arithmetic, so the results are those of the element-by-element loop.
__device__ __forceinline__ bool aaj_vec4(const void* p, long long hw) {
  return p == 0 || ((hw & 3) == 0 && ((unsigned long long)p & 15ull) == 0);
}

// CpuBackend.channelAffineActInPlace per element: t = x*k + b (x + b without scale, x alone without either),
// + r with a residual, then ReLU (NaN stays NaN)
__device__ __forceinline__ float aaj_affine_act1(float v, float r, bool hasScale, bool hasShift, bool hasRes, float k,
                                                  float b, int relu) {
  float t = hasScale ? v * k + b : (hasShift ? v + b : v);  // no shift: -0 stays -0, as on the CPU
  if (hasRes) t += r;
  return (relu && !(t != t)) ? (t > 0.f ? t : 0.f) : t;
}

__global__ void aaj_affine_act(float* x, const float* scale, const float* shift, const float* res, int relu, int C,
                               long long hw, long long planes) {
  bool vec = (hw & 3) == 0 && aaj_vec4(x, hw) && aaj_vec4(res, hw);
  bool hs = scale != 0, hb = shift != 0, hr = res != 0;
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    int c = (int)(p % C);
    float k = hs ? scale[c] : 1.f, b = hb ? shift[c] : 0.f;
    float* xp = x + p * hw;
    const float* rp = hr ? res + p * hw : 0;
    long long j0 = (long long)blockIdx.x * blockDim.x + threadIdx.x, step = (long long)gridDim.x * blockDim.x;
    if (vec) {
      float4* x4 = (float4*)xp;
      const float4* r4 = (const float4*)rp;
      for (long long j = j0; j < (hw >> 2); j += step) {
        float4 v = x4[j], r = hr ? r4[j] : v;
        v.x = aaj_affine_act1(v.x, r.x, hs, hb, hr, k, b, relu);
        v.y = aaj_affine_act1(v.y, r.y, hs, hb, hr, k, b, relu);
        v.z = aaj_affine_act1(v.z, r.z, hs, hb, hr, k, b, relu);
        v.w = aaj_affine_act1(v.w, r.w, hs, hb, hr, k, b, relu);
        x4[j] = v;
      }
    } else {
      for (long long j = j0; j < hw; j += step) xp[j] = aaj_affine_act1(xp[j], hr ? rp[j] : 0.f, hs, hb, hr, k, b, relu);
    }
  }
}

// CpuBackend.actAffineBackward: out = g * [y > 0 when relu] * scale[c]; scale may be NULL
__device__ __forceinline__ float aaj_act_affine_bwd1(float v, float y, int relu, bool hasScale, float k) {
  if (relu && !(y > 0.f)) v = 0.f;
  return hasScale ? v * k : v;
}

__global__ void aaj_act_affine_backward(float* out, const float* g, const float* y, const float* scale, int relu, int C,
                                        long long hw, long long planes) {
  bool vec = (hw & 3) == 0 && aaj_vec4(out, hw) && aaj_vec4(g, hw) && aaj_vec4(y, hw);
  bool hs = scale != 0;
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    float k = hs ? scale[(int)(p % C)] : 1.f;
    long long base = p * hw;
    long long j0 = (long long)blockIdx.x * blockDim.x + threadIdx.x, step = (long long)gridDim.x * blockDim.x;
    if (vec) {
      const float4* g4 = (const float4*)(g + base);
      const float4* y4 = (const float4*)(y + base);
      float4* o4 = (float4*)(out + base);
      for (long long j = j0; j < (hw >> 2); j += step) {
        float4 v = g4[j], yy = y4[j];
        v.x = aaj_act_affine_bwd1(v.x, yy.x, relu, hs, k);
        v.y = aaj_act_affine_bwd1(v.y, yy.y, relu, hs, k);
        v.z = aaj_act_affine_bwd1(v.z, yy.z, relu, hs, k);
        v.w = aaj_act_affine_bwd1(v.w, yy.w, relu, hs, k);
        o4[j] = v;
      }
    } else {
      for (long long j = j0; j < hw; j += step) out[base + j] = aaj_act_affine_bwd1(g[base + j], y[base + j], relu, hs, k);
    }
  }
}

__global__ void aaj_broadcast_scalar(float* y, const float* s, float factor, long long n) {
  float v = s[0] * factor;
  GRID_STRIDE(i, n) y[i] = v;
}

// PyTorch SGD: d = g + wd*p; buf = first ? d : momentum*buf + d; p -= lr*buf
__global__ void aaj_sgd_step(float* p, const float* g, float* buf, float lr, float momentum, float wd, int first,
                             long long n) {
  GRID_STRIDE(i, n) {
    float d = g[i] + wd * p[i];
    float v = first ? d : momentum * buf[i] + d;
    buf[i] = v;
    p[i] -= lr * v;
  }
}

// ATen's lerp (scalar weight): self + w * (end - self) for |w| < 0.5, else end - (end - self) * (1 - w)
__host__ __device__ __forceinline__ float aaj_lerp(float self, float end, float w) {
  return fabsf(w) < 0.5f ? self + w * (end - self) : end - (end - self) * (1.f - w);
}

// torch.optim.Adam / AdamW over every parameter tensor in one launch. One record per tensor (64 bytes, written by
// CudaBackend.adamSegments), sorted by start and dense: start[k+1] = start[k] + n[k]. Per element the CPU twin's
// order of float32 operations (CpuBackend.adamStepAll; products followed by a sum may be fused, see the top): decoupled decay, L2 into the gradient, lerp for the first
// moment, the second moment, then p - step * m / (sqrt(v) / bc2 + eps).
struct AajAdamSeg {
  float* p;
  const float* g;
  float* m;
  float* v;
  long long start, n;
  float decay, l2, step, bc2;
};
static_assert(sizeof(AajAdamSeg) == 64, "AajAdamSeg must be 64 bytes (CudaBackend.adamSegments writes it)");

__global__ void aaj_adam_multi(const AajAdamSeg* segs, int nseg, long long total, float omb1, float b2, float omb2,
                               float eps) {
  GRID_STRIDE(e, total) {
    int lo = 0, hi = nseg - 1;  // the last segment with start <= e
    while (lo < hi) {
      int mid = (lo + hi + 1) >> 1;
      if (segs[mid].start <= e) lo = mid;
      else hi = mid - 1;
    }
    const AajAdamSeg& s = segs[lo];
    long long i = e - s.start;
    float p = s.p[i] * s.decay;
    float g = s.g[i] + s.l2 * p;
    float m = aaj_lerp(s.m[i], g, omb1);  // torch 2.x's exp_avg.lerp_(grad, 1 - beta1), both of ATen's branches
    float v = s.v[i] * b2 + omb2 * (g * g);
    float denom = sqrtf(v) / s.bc2 + eps;
    s.m[i] = m;
    s.v[i] = v;
    s.p[i] = p - s.step * m / denom;
  }
}

// The element-wise torch.optim rules (autoassign.backend.OptimRule: RMSprop, Adagrad, Adadelta, Adamax, NAdam,
// RAdam, Adam with amsgrad, Rprop, ASGD) over every parameter tensor in one launch. One record per tensor (128 bytes, written by
// CudaBackend.optSegments), sorted by start and dense. Per element the float32 operations of torch's
// _single_tensor_<rule> in ATen's scalar order, the same code as the CPU twin OptimRule.apply; the per-tensor scalars
// c[] (layout per rule on OptimRule) come from the host, computed in double as torch does.
#define AAJ_OPT_MAXIMIZE 1
#define AAJ_OPT_CENTERED 2
#define AAJ_OPT_MOMENTUM 4
#define AAJ_OPT_DECOUPLED 8
#define AAJ_OPT_RECTIFIED 16
struct AajOptSeg {
  float* p;
  const float* g;
  float* s0;  // null where the rule keeps no such state
  float* s1;
  float* s2;
  long long start, n;
  int rule, flags;
  float c[16];
};
static_assert(sizeof(AajOptSeg) == 128, "AajOptSeg must be 128 bytes (CudaBackend.optSegments writes it)");

// torch.maximum / amax: NaN wins
__host__ __device__ __forceinline__ float aaj_nan_max(float a, float b) {
  return (a != a || b != b) ? (a != a ? a : b) : (a > b ? a : b);
}

// ATen's sign for float: (0 < x) - (x < 0), 0 for +-0 and NaN
__host__ __device__ __forceinline__ float aaj_sign(float x) { return (float)(0.f < x) - (float)(x < 0.f); }

// One element i of one tensor: OptimRule.apply
__host__ __device__ __forceinline__ void aaj_opt_element(int rule, int flags, const float* c, float* P, const float* G,
                                                         float* S0, float* S1, float* S2, long long i) {
  float g = (flags & AAJ_OPT_MAXIMIZE) ? -G[i] : G[i];
  float p = P[i];
  if (flags & AAJ_OPT_DECOUPLED) p = p * c[1];
  if (c[0] != 0.f) g = g + c[0] * p;
  switch (rule) {
    case 0: {  // RMSprop
      float sq = S0[i] * c[2] + c[3] * g * g;
      S0[i] = sq;
      float avg;
      if (flags & AAJ_OPT_CENTERED) {
        float ga = aaj_lerp(S2[i], g, c[3]);
        S2[i] = ga;
        avg = sqrtf(sq + -1.f * ga * ga);
      } else {
        avg = sqrtf(sq);
      }
      avg = avg + c[4];
      if (flags & AAJ_OPT_MOMENTUM) {
        float buf = S1[i] * c[5] + 1.f * g / avg;
        S1[i] = buf;
        p = p + c[6] * buf;
      } else {
        p = p + c[6] * g / avg;
      }
      break;
    }
    case 1: {  // Adagrad
      float sum = S0[i] + 1.f * g * g;
      S0[i] = sum;
      float sd = sqrtf(sum) + c[2];
      p = p + c[3] * g / sd;
      break;
    }
    case 2: {  // Adadelta
      float sq = S0[i] * c[2] + c[3] * g * g;
      S0[i] = sq;
      float sd = sqrtf(sq + c[4]);
      float delta = sqrtf(S1[i] + c[4]) / sd * g;
      S1[i] = S1[i] * c[2] + c[3] * delta * delta;
      p = p + c[5] * delta;
      break;
    }
    case 3: {  // Adamax
      float m = aaj_lerp(S0[i], g, c[2]);
      S0[i] = m;
      float u = aaj_nan_max(S1[i] * c[3], fabsf(g) + c[4]);
      S1[i] = u;
      p = p + c[5] * m / u;
      break;
    }
    case 4: {  // NAdam
      float m = aaj_lerp(S0[i], g, c[2]);
      float v = S1[i] * c[3] + c[4] * g * g;
      S0[i] = m;
      S1[i] = v;
      float denom = sqrtf(v / c[5]) + c[6];
      p = p + c[7] * g / denom;
      p = p + c[8] * m / denom;
      break;
    }
    case 5: {  // RAdam
      float m = aaj_lerp(S0[i], g, c[2]);
      float v = S1[i] * c[3] + c[4] * g * g;
      S0[i] = m;
      S1[i] = v;
      float corrected = m / c[5];
      if (flags & AAJ_OPT_RECTIFIED) {
        float adaptive_lr = 1.f / (sqrtf(v) + c[7]) * c[8];  // torch: scalar / tensor = reciprocal() * scalar
        p = p - corrected * c[6] * adaptive_lr * c[9];
      } else {
        p = p - corrected * c[6];
      }
      break;
    }
    case 6: {  // Adam / AdamW with amsgrad
      float m = aaj_lerp(S0[i], g, c[2]);
      float v = S1[i] * c[3] + c[4] * g * g;
      float vmax = aaj_nan_max(S2[i], v);
      S0[i] = m;
      S1[i] = v;
      S2[i] = vmax;
      float denom = sqrtf(vmax) / c[6] + c[7];
      p = p + -c[5] * m / denom;
      break;
    }
    case 7: {  // Rprop: s0 prev, s1 step_size
      float sg = aaj_sign(g * S0[i]);
      if (sg > 0.f) sg = c[2];  // etaplus
      if (sg < 0.f) sg = c[3];  // etaminus
      if (sg == 0.f) sg = 1.f;
      float st = S1[i] * sg;  // clamp_(min, max) as ATen: min(max(x, lo), hi), NaN stays NaN
      st = st < c[4] ? c[4] : st;
      st = st > c[5] ? c[5] : st;
      S1[i] = st;
      if (sg == c[3]) g = 0.f;  // grad[sign.eq(etaminus)] = 0
      p = p + -1.f * aaj_sign(g) * st;
      S0[i] = g;
      break;
    }
    case 8: {  // ASGD: s0 ax
      p = p * c[2];      // 1 - lambd * eta
      p = p + c[3] * g;  // -eta
      S0[i] = c[4] != 1.f ? S0[i] + (p - S0[i]) * c[4] : p;  // mu
      break;
    }
  }
  P[i] = p;
}

__global__ void aaj_opt_multi(const AajOptSeg* segs, int nseg, long long total) {
  GRID_STRIDE(e, total) {
    int lo = 0, hi = nseg - 1;  // the last segment with start <= e
    while (lo < hi) {
      int mid = (lo + hi + 1) >> 1;
      if (segs[mid].start <= e) lo = mid;
      else hi = mid - 1;
    }
    const AajOptSeg& s = segs[lo];
    aaj_opt_element(s.rule, s.flags, s.c, s.p, s.g, s.s0, s.s1, s.s2, e - s.start);
  }
}

// ---------------- reductions (double accumulation, deterministic) ----------------
// partial[blockIdx.x] = sum over this block's grid-stride share of a[i] (* b[i] when b != NULL)
__global__ void aaj_reduce_partial(double* partial, const float* a, const float* b, long long n) {
  __shared__ double sh[RB];
  double acc = 0.0;
  if (b) {
    GRID_STRIDE(i, n) acc += (double)a[i] * (double)b[i];
  } else {
    GRID_STRIDE(i, n) acc += (double)a[i];
  }
  double t = block_sum_d(acc, sh);
  if (threadIdx.x == 0) partial[blockIdx.x] = t;
}

// one block: out[0] = sum of count partials
__global__ void aaj_reduce_final(float* out, const double* partial, int count) {
  __shared__ double sh[RB];
  double acc = 0.0;
  for (int i = threadIdx.x; i < count; i += RB) acc += partial[i];
  double t = block_sum_d(acc, sh);
  if (threadIdx.x == 0) out[0] = (float)t;
}

// grid C blocks: out[c] = sum_{n,j} g[n,c,j]
__global__ void aaj_channel_sum(float* out, const float* g, int N, int C, long long hw) {
  __shared__ double sh[RB];
  int c = blockIdx.x;
  double acc = 0.0;
  for (int n = 0; n < N; ++n) {
    const float* p = g + ((long long)n * C + c) * hw;
    for (long long j = threadIdx.x; j < hw; j += RB) acc += (double)p[j];
  }
  double t = block_sum_d(acc, sh);
  if (threadIdx.x == 0) out[c] = (float)t;
}

// out[c] = sum over n, hw of a * b in double (CpuBackend.channelDot), one block per channel, like aaj_channel_sum
__global__ void aaj_channel_dot(float* out, const float* a, const float* b, int N, int C, long long hw) {
  __shared__ double sh[RB];
  int c = blockIdx.x;
  double acc = 0.0;
  for (int n = 0; n < N; ++n) {
    long long base = ((long long)n * C + c) * hw;
    for (long long j = threadIdx.x; j < hw; j += RB) acc += (double)a[base + j] * (double)b[base + j];
  }
  double t = block_sum_d(acc, sh);
  if (threadIdx.x == 0) out[c] = (float)t;
}

// CpuLineOps.rowMean: out[r] = sum over the row of x * inv in double (a spatial mean), one block per row
__global__ void aaj_row_mean(float* out, const float* x, long long cols, float inv) {
  __shared__ double sh[RB];
  long long base = (long long)blockIdx.x * cols;
  double acc = 0.0;
  for (long long j = threadIdx.x; j < cols; j += RB) acc += (double)x[base + j] * (double)inv;
  double t = block_sum_d(acc, sh);
  if (threadIdx.x == 0) out[blockIdx.x] = (float)t;
}

// CpuLineOps.rowBroadcast: y[i] = s[i / cols] * factor (rowMean's gradient)
__global__ void aaj_row_broadcast(float* y, const float* s, float factor, long long cols, long long n) {
  GRID_STRIDE(i, n) y[i] = s[i / cols] * factor;
}

// ---------------- group norm (grid N*G blocks) ----------------
__global__ void aaj_group_norm_fwd(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                                   const float* beta, int C, int G, long long hw, float eps) {
  __shared__ double sh[RB];
  int ng = blockIdx.x, g = ng % G, cpg = C / G;
  long long len = (long long)cpg * hw, base = (long long)ng * len;
  double s = 0.0, q = 0.0;
  for (long long j = threadIdx.x; j < len; j += RB) {
    double v = x[base + j];
    s += v;
    q += v * v;
  }
  s = block_sum_d(s, sh);
  q = block_sum_d(q, sh);
  double mu = s / len, var = q / len - mu * mu;
  if (var < 0) var = 0;
  float m = (float)mu, r = (float)(1.0 / sqrt(var + (double)eps));
  if (threadIdx.x == 0) {
    mean[ng] = m;
    rstd[ng] = r;
  }
  for (long long j = threadIdx.x; j < len; j += RB) {
    int ch = g * cpg + (int)(j / hw);
    float k = (gamma ? gamma[ch] : 1.f) * r, b = (beta ? beta[ch] : 0.f) - m * k;
    y[base + j] = x[base + j] * k + b;
  }
}

// dgp, dbp: [N*C] doubles, per-image partial gamma/beta gradients (reduced by aaj_group_norm_affine_grad)
__global__ void aaj_group_norm_bwd(float* gx, double* dgp, double* dbp, const float* gy, const float* x,
                                   const float* mean, const float* rstd, const float* gamma, int C, int G,
                                   long long hw) {
  __shared__ double sh[RB];
  int ng = blockIdx.x, gi = ng % G, img = ng / G, cpg = C / G;
  long long len = (long long)cpg * hw, base = (long long)ng * len;
  double m = mean[ng], r = rstd[ng];
  double sumDy = 0.0, sumDyXhat = 0.0;
  for (int cc = 0; cc < cpg; ++cc) {
    int ch = gi * cpg + cc;
    long long o = base + (long long)cc * hw;
    double k = gamma ? (double)gamma[ch] : 1.0, dg = 0.0, db = 0.0;
    for (long long j = threadIdx.x; j < hw; j += RB) {
      double dy = gy[o + j], xh = (x[o + j] - m) * r;
      dg += dy * xh;
      db += dy;
    }
    dg = block_sum_d(dg, sh);
    db = block_sum_d(db, sh);
    if (threadIdx.x == 0) {
      dgp[(long long)img * C + ch] = dg;
      dbp[(long long)img * C + ch] = db;
    }
    sumDy += db * k;
    sumDyXhat += dg * k;
  }
  double meanDy = sumDy / len, meanDyXhat = sumDyXhat / len;
  for (long long j = threadIdx.x; j < len; j += RB) {
    int ch = gi * cpg + (int)(j / hw);
    double k = gamma ? (double)gamma[ch] : 1.0;
    double xh = (x[base + j] - m) * r;
    gx[base + j] = (float)(r * (gy[base + j] * k - meanDy - xh * meanDyXhat));
  }
}

// one thread per channel: gg[c] = sum_n dgp[n*C+c], gb likewise
__global__ void aaj_group_norm_affine_grad(float* gg, float* gb, const double* dgp, const double* dbp, int N, int C) {
  int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  double a = 0.0, b = 0.0;
  for (int n = 0; n < N; ++n) {
    a += dgp[(long long)n * C + c];
    b += dbp[(long long)n * C + c];
  }
  gg[c] = (float)a;
  gb[c] = (float)b;
}

// ---------------- max pool (any kernel / stride / pad) ----------------
// index within the plane of the first maximum of the window (PyTorch order; NaN wins)
__device__ __forceinline__ int pool_argmax(const float* p, int H, int W, int oy, int ox, int k, int s, int pad) {
  int best = -1;
  float bv = 0.f;
  for (int ky = 0; ky < k; ++ky) {
    int iy = oy * s - pad + ky;
    if (iy < 0 || iy >= H) continue;
    for (int kx = 0; kx < k; ++kx) {
      int ix = ox * s - pad + kx;
      if (ix < 0 || ix >= W) continue;
      float v = p[iy * W + ix];
      if (best < 0 || v > bv || v != v) {
        bv = v;
        best = iy * W + ix;
      }
    }
  }
  return best;
}

__global__ void aaj_max_pool_fwd(float* y, const float* x, int H, int W, int OH, int OW, int k, int s, int pad,
                                 long long total) {
  GRID_STRIDE(i, total) {
    int ox = (int)(i % OW), oy = (int)((i / OW) % OH);
    long long pl = i / ((long long)OW * OH);
    const float* p = x + pl * H * W;
    y[i] = p[pool_argmax(p, H, W, oy, ox, k, s, pad)];
  }
}

// gx must be zeroed; one thread per output element, atomic scatter to the argmax
__global__ void aaj_max_pool_bwd(float* gx, const float* gy, const float* x, int H, int W, int OH, int OW, int k,
                                 int s, int pad, long long total) {
  GRID_STRIDE(i, total) {
    int ox = (int)(i % OW), oy = (int)((i / OW) % OH);
    long long pl = i / ((long long)OW * OH);
    const float* p = x + pl * H * W;
    atomicAdd(gx + pl * H * W + pool_argmax(p, H, W, oy, ox, k, s, pad), gy[i]);
  }
}

// ---------------- average pool (PyTorch avg_pool2d: kernel k, stride s, pad, ceil_mode, count_include_pad) ----------------
// Per-element math shared with the host test (native/tests/backend_kernels_host_test.cpp) and mirrored by
// autoassign.backend.AvgPool2dParams: window o covers [o*s - pad, min(o*s - pad + k, in + pad)), clipped to [0, in);
// the divisor spans the unclipped extent with count_include_pad, else the clipped one.
struct AvgPoolAxis {
  int lo, hi, span;  // clipped window [lo, hi) and the divisor's extent along this axis
};

__host__ __device__ __forceinline__ AvgPoolAxis avg_pool_axis(int o, int in, int k, int s, int pad, int count_include_pad) {
  int a = o * s - pad;
  int b = a + k < in + pad ? a + k : in + pad;
  AvgPoolAxis r;
  r.lo = a > 0 ? a : 0;
  r.hi = b < in ? b : in;
  r.span = count_include_pad ? b - a : r.hi - r.lo;
  return r;
}

// Outputs [*o0, *o1) along an axis of `out` whose windows contain input index i.
__host__ __device__ __forceinline__ void avg_pool_outputs(int i, int out, int k, int s, int pad, int* o0, int* o1) {
  int a = i + pad - k + 1;
  *o0 = a <= 0 ? 0 : (a + s - 1) / s;
  int e = (i + pad) / s + 1;
  *o1 = e < out ? e : out;
}

// One thread per output: float sum of the window in row-major order / divisor (the CPU twin's order).
__global__ void aaj_avg_pool_fwd(float* y, const float* x, int H, int W, int OH, int OW, int k, int s, int pad,
                                 int count_include_pad, long long total) {
  GRID_STRIDE(i, total) {
    int ox = (int)(i % OW), oy = (int)((i / OW) % OH);
    long long pl = i / ((long long)OW * OH);
    const float* p = x + pl * H * W;
    AvgPoolAxis ay = avg_pool_axis(oy, H, k, s, pad, count_include_pad);
    AvgPoolAxis ax = avg_pool_axis(ox, W, k, s, pad, count_include_pad);
    float sum = 0.f;
    for (int iy = ay.lo; iy < ay.hi; ++iy)
      for (int ix = ax.lo; ix < ax.hi; ++ix) sum += p[iy * W + ix];
    y[i] = (ay.lo >= ay.hi || ax.lo >= ax.hi) ? 0.f : sum / (float)(ay.span * ax.span);
  }
}

// One thread per input element: gather of gy/divisor over the windows containing it, in row-major output order
// (deterministic, no atomics; gx is overwritten).
__global__ void aaj_avg_pool_bwd(float* gx, const float* gy, int H, int W, int OH, int OW, int k, int s, int pad,
                                 int count_include_pad, long long total) {
  GRID_STRIDE(i, total) {
    int ix = (int)(i % W), iy = (int)((i / W) % H);
    long long pl = i / ((long long)W * H);
    const float* g = gy + pl * OH * OW;
    int oy0, oy1, ox0, ox1;
    avg_pool_outputs(iy, OH, k, s, pad, &oy0, &oy1);
    avg_pool_outputs(ix, OW, k, s, pad, &ox0, &ox1);
    float acc = 0.f;
    for (int oy = oy0; oy < oy1; ++oy) {
      int sy = avg_pool_axis(oy, H, k, s, pad, count_include_pad).span;
      for (int ox = ox0; ox < ox1; ++ox) {
        int sx = avg_pool_axis(ox, W, k, s, pad, count_include_pad).span;
        acc += g[oy * OW + ox] / (float)(sy * sx);
      }
    }
    gx[i] = acc;
  }
}

// ---------------- nearest upsample (PyTorch 'nearest': src = min(floor(dst * (float)in/out), in-1)) ----------------
__device__ __forceinline__ int nearest_src(int dst, int in, int out) {
  float scale = (float)in / (float)out;
  int s = (int)floorf((float)dst * scale);
  return s < in - 1 ? s : in - 1;
}

__global__ void aaj_upsample_nearest_fwd(float* y, const float* x, int H, int W, int OH, int OW, long long total) {
  GRID_STRIDE(i, total) {
    int ox = (int)(i % OW), oy = (int)((i / OW) % OH);
    long long pl = i / ((long long)OW * OH);
    y[i] = x[pl * H * W + (long long)nearest_src(oy, H, OH) * W + nearest_src(ox, W, OW)];
  }
}

// gx must be zeroed
__global__ void aaj_upsample_nearest_bwd(float* gx, const float* gy, int H, int W, int OH, int OW, long long total) {
  GRID_STRIDE(i, total) {
    int ox = (int)(i % OW), oy = (int)((i / OW) % OH);
    long long pl = i / ((long long)OW * OH);
    atomicAdd(gx + pl * H * W + (long long)nearest_src(oy, H, OH) * W + nearest_src(ox, W, OW), gy[i]);
  }
}

// ---------------- bilinear upsample (PyTorch upsample_bilinear2d, align_corners=False) ----------------
// Per-element math shared with the host test and mirrored by autoassign.backend.BilinearResize.tap: ratio is ATen's
// float (1/scale_factor, or in/out); src = max(ratio*(d+0.5) - 0.5, 0) in double (ATen's CPU acc type), i0 = (int)src,
// i1 = i0 + (i0 < in-1), l1 = (float)(src - i0), l0 = 1 - l1; out == in copies. The products and sums are rounded
// one by one (no fused multiply-add) so that the kernels equal the CPU twin bit for bit.
#ifdef __CUDA_ARCH__
#define AAJ_DMUL(a, b) __dmul_rn(a, b)
#define AAJ_FMUL(a, b) __fmul_rn(a, b)
#define AAJ_FADD(a, b) __fadd_rn(a, b)
#else
#define AAJ_DMUL(a, b) ((a) * (b))
#define AAJ_FMUL(a, b) ((a) * (b))
#define AAJ_FADD(a, b) ((a) + (b))
#endif
struct BilinearTap {
  int i0, i1;
  float l0, l1;
};

__host__ __device__ __forceinline__ BilinearTap bilinear_tap(int dst, int in, int out, float ratio) {
  BilinearTap t;
  if (out == in) {
    t.i0 = t.i1 = dst;
    t.l0 = 1.f;
    t.l1 = 0.f;
    return t;
  }
  double src = AAJ_DMUL((double)ratio, (double)dst + 0.5) - 0.5;
  if (src < 0) src = 0;
  t.i0 = (int)src;
  t.i1 = t.i0 + (t.i0 < in - 1 ? 1 : 0);
  t.l1 = (float)(src - t.i0);
  t.l0 = 1.f - t.l1;
  return t;
}

// Outputs [*o0, *o1) along an axis whose taps reach input index i (i0 or i1 == i; both are non-decreasing in the
// output index): a start below the first such output, then a scan.
__host__ __device__ __forceinline__ void bilinear_outputs(int i, int in, int out, float ratio, int* o0, int* o1) {
  double guess = (double)(i - 1) / (double)ratio - 2.0;
  int o = guess <= 0 ? 0 : (guess >= out ? out : (int)guess);
  while (o > 0 && bilinear_tap(o, in, out, ratio).i1 >= i) --o;  // the guess may overshoot by rounding
  while (o < out && bilinear_tap(o, in, out, ratio).i1 < i) ++o;
  *o0 = o;
  while (o < out && bilinear_tap(o, in, out, ratio).i0 <= i) ++o;
  *o1 = o;
}

__host__ __device__ __forceinline__ float bilinear_value(const float* p, int W, BilinearTap a, BilinearTap b) {
  float top = AAJ_FADD(AAJ_FMUL(p[a.i0 * W + b.i0], b.l0), AAJ_FMUL(p[a.i0 * W + b.i1], b.l1));
  float bottom = AAJ_FADD(AAJ_FMUL(p[a.i1 * W + b.i0], b.l0), AAJ_FMUL(p[a.i1 * W + b.i1], b.l1));
  return AAJ_FADD(AAJ_FMUL(top, a.l0), AAJ_FMUL(bottom, a.l1));
}

// One thread per output: the CPU twin's (ATen's) float order, height outermost.
__global__ void aaj_upsample_bilinear_fwd(float* y, const float* x, int H, int W, int OH, int OW, float rh, float rw,
                                          long long total) {
  GRID_STRIDE(i, total) {
    int ox = (int)(i % OW), oy = (int)((i / OW) % OH);
    long long pl = i / ((long long)OW * OH);
    y[i] = bilinear_value(x + pl * H * W, W, bilinear_tap(oy, H, OH, rh), bilinear_tap(ox, W, OW, rw));
  }
}

// One thread per input element: gather of lh*lw*g over the outputs whose corners include it, in the CPU twin's
// scatter order (outputs row-major, corners 00, 01, 10, 11): deterministic, no atomics, gx overwritten.
__global__ void aaj_upsample_bilinear_bwd(float* gx, const float* gy, int H, int W, int OH, int OW, float rh, float rw,
                                          long long total) {
  GRID_STRIDE(i, total) {
    int ix = (int)(i % W), iy = (int)((i / W) % H);
    long long pl = i / ((long long)W * H);
    const float* g = gy + pl * OH * OW;
    int oy0, oy1, ox0, ox1;
    bilinear_outputs(iy, H, OH, rh, &oy0, &oy1);
    bilinear_outputs(ix, W, OW, rw, &ox0, &ox1);
    float acc = 0.f;
    for (int oy = oy0; oy < oy1; ++oy) {
      BilinearTap a = bilinear_tap(oy, H, OH, rh);
      for (int ox = ox0; ox < ox1; ++ox) {
        BilinearTap b = bilinear_tap(ox, W, OW, rw);
        float v = g[oy * OW + ox];
        if (a.i0 == iy && b.i0 == ix) acc = AAJ_FADD(acc, AAJ_FMUL(AAJ_FMUL(a.l0, b.l0), v));
        if (a.i0 == iy && b.i1 == ix) acc = AAJ_FADD(acc, AAJ_FMUL(AAJ_FMUL(a.l0, b.l1), v));
        if (a.i1 == iy && b.i0 == ix) acc = AAJ_FADD(acc, AAJ_FMUL(AAJ_FMUL(a.l1, b.l0), v));
        if (a.i1 == iy && b.i1 == ix) acc = AAJ_FADD(acc, AAJ_FMUL(AAJ_FMUL(a.l1, b.l1), v));
      }
    }
    gx[i] = acc;
  }
}

// ---------------- GEMM fallback (used only when cuBLAS cannot be loaded) ----------------
// Row-major C[M,N] = op(A)·op(B); lda/ldb are the row lengths of A and B as stored. 16x16 tiles, block (16,16).
__global__ void aaj_gemm(float* Cm, const float* A, const float* B, int M, int N, int K, int lda, int ldb, int transA,
                         int transB) {
  __shared__ float ta[16][17];
  __shared__ float tb[16][17];
  int row = blockIdx.y * 16 + threadIdx.y, col = blockIdx.x * 16 + threadIdx.x;
  float acc = 0.f;
  for (int k0 = 0; k0 < K; k0 += 16) {
    int ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
    ta[threadIdx.y][threadIdx.x] =
        (row < M && ka < K) ? (transA ? A[(long long)ka * lda + row] : A[(long long)row * lda + ka]) : 0.f;
    tb[threadIdx.y][threadIdx.x] =
        (kb < K && col < N) ? (transB ? B[(long long)col * ldb + kb] : B[(long long)kb * ldb + col]) : 0.f;
    __syncthreads();
    for (int kk = 0; kk < 16; ++kk) acc += ta[threadIdx.y][kk] * tb[kk][threadIdx.x];
    __syncthreads();
  }
  if (row < M && col < N) Cm[(long long)row * N + col] = acc;
}

// ---------------- fused AutoAssign loss: layout and input checks (CudaAutoAssignLoss) ----------------
// The native loss kernels (aa_loss_*) read image-major arrays [B][P,K]; the head writes per-level NCHW
// [B,K,HW]. One launch per level; P = points of all levels, off = first point of this level.
// levels -> points: out[(b*P + off + q)*K + k] = in[(b*K + k)*HW + q], i enumerates (b, q, k), k fastest
// (coalesced writes); n = B*HW*K.
__global__ void aaj_level_to_points(float* out, const float* in, int K, long long HW, long long P, long long off,
                                    long long n) {
  GRID_STRIDE(i, n) {
    long long k = i % K, r = i / K;
    long long q = r % HW, b = r / HW;
    out[(b * P + off + q) * K + k] = in[(b * K + k) * HW + q];
  }
}

// points -> level (the inverse, for gradients): out[(b*K + k)*HW + q] = in[(b*P + off + q)*K + k]; n = B*K*HW.
__global__ void aaj_points_to_level(float* out, const float* in, int K, long long HW, long long P, long long off,
                                    long long n) {
  GRID_STRIDE(i, n) {
    long long q = i % HW, r = i / HW;
    long long k = r % K, b = r / K;
    out[i] = in[(b * P + off + q) * K + k];
  }
}

// flag[0] = 1 when some x is NaN or +-Inf (or 0 when zero_too != 0); flag must be zeroed first. The
// concurrent stores all write the same value.
__global__ void aaj_flag_nonfinite(double* flag, const float* x, int zero_too, long long n) {
  GRID_STRIDE(i, n) {
    float v = x[i];
    if (!(fabsf(v) <= 3.402823466e38f) || (zero_too && v == 0.f)) flag[0] = 1.0;
  }
}

}  // extern "C"

// ---------------- deformable convolution (MMCV's DCN / DCNv2) ----------------
// The kernels of mmcv/ops/csrc/common/cuda/modulated_deform_conv_cuda_kernel.cuh (deform_conv_cuda_kernel.cuh for DCN,
// the same arithmetic without the mask), for one image at a time as the CPU twin (autoassign.backend.cpu.DeformConv)
// runs them: columns col[(c*kh + i)*kw + j][y*Wo + x]; offsets [dg][kh*kw][2][Ho*Wo] (dy, dx), mask [dg][kh*kw][Ho*Wo].
// has_mask 0 (DCN): mask is unread and 1. Per-element math shared with the host test and the Java twin.

// dmcn_im2col_bilinear: the bilinear sample at (h, w) of one channel; corners outside the image read 0.
__host__ __device__ __forceinline__ float aaj_dcn_bilinear(const float* im, int height, int width, float h, float w) {
  int h_low = (int)floorf(h), w_low = (int)floorf(w);
  int h_high = h_low + 1, w_high = w_low + 1;
  float lh = h - h_low, lw = w - w_low;
  float hh = 1 - lh, hw = 1 - lw;
  float v1 = 0, v2 = 0, v3 = 0, v4 = 0;
  if (h_low >= 0 && w_low >= 0) v1 = im[h_low * width + w_low];
  if (h_low >= 0 && w_high <= width - 1) v2 = im[h_low * width + w_high];
  if (h_high <= height - 1 && w_low >= 0) v3 = im[h_high * width + w_low];
  if (h_high <= height - 1 && w_high <= width - 1) v4 = im[h_high * width + w_high];
  float w1 = hh * hw, w2 = hh * lw, w3 = lh * hw, w4 = lh * lw;
  return w1 * v1 + w2 * v2 + w3 * v3 + w4 * v4;
}

// dmcn_get_gradient_weight: the bilinear weight of pixel (h, w) in the sample at (ah, aw); 0 off the image.
__host__ __device__ __forceinline__ float aaj_dcn_gradient_weight(float ah, float aw, int h, int w, int height, int width) {
  if (ah <= -1 || ah >= height || aw <= -1 || aw >= width) return 0;
  int h_low = (int)floorf(ah), w_low = (int)floorf(aw);
  int h_high = h_low + 1, w_high = w_low + 1;
  float weight = 0;
  if (h == h_low && w == w_low) weight = (h + 1 - ah) * (w + 1 - aw);
  if (h == h_low && w == w_high) weight = (h + 1 - ah) * (aw + 1 - w);
  if (h == h_high && w == w_low) weight = (ah + 1 - h) * (w + 1 - aw);
  if (h == h_high && w == w_high) weight = (ah + 1 - h) * (aw + 1 - w);
  return weight;
}

// dmcn_get_coordinate_weight: d sample / dh (bp_dir 0) or dw (1) of the bilinear sample at (ah, aw); 0 off the image.
__host__ __device__ __forceinline__ float aaj_dcn_coordinate_weight(float ah, float aw, int height, int width,
                                                                    const float* im, int bp_dir) {
  if (ah <= -1 || ah >= height || aw <= -1 || aw >= width) return 0;
  int h_low = (int)floorf(ah), w_low = (int)floorf(aw);
  int h_high = h_low + 1, w_high = w_low + 1;
  float weight = 0;
  if (bp_dir == 0) {
    if (h_low >= 0 && w_low >= 0) weight += -1 * (w_low + 1 - aw) * im[h_low * width + w_low];
    if (h_low >= 0 && w_high <= width - 1) weight += -1 * (aw - w_low) * im[h_low * width + w_high];
    if (h_high <= height - 1 && w_low >= 0) weight += (w_low + 1 - aw) * im[h_high * width + w_low];
    if (h_high <= height - 1 && w_high <= width - 1) weight += (aw - w_low) * im[h_high * width + w_high];
  } else {
    if (h_low >= 0 && w_low >= 0) weight += -1 * (h_low + 1 - ah) * im[h_low * width + w_low];
    if (h_low >= 0 && w_high <= width - 1) weight += (h_low + 1 - ah) * im[h_low * width + w_high];
    if (h_high <= height - 1 && w_low >= 0) weight += -1 * (ah - h_low) * im[h_high * width + w_low];
    if (h_high <= height - 1 && w_high <= width - 1) weight += (ah - h_low) * im[h_high * width + w_high];
  }
  return weight;
}

extern "C" {

// One thread per (channel c, output y, x): the kh*kw column entries of that input channel (MMCV's im2col with
// batch 1); n = C*Ho*Wo. cpg = C / deform_groups.
__global__ void aaj_dcn_im2col(float* col, const float* x, const float* off, const float* mask, int has_mask,
                               int H, int W, int kh, int kw, int pad_h, int pad_w, int stride_h, int stride_w,
                               int dil_h, int dil_w, int cpg, int Ho, int Wo, long long n) {
  GRID_STRIDE(idx, n) {
    int xo = (int)(idx % Wo), y = (int)((idx / Wo) % Ho), c = (int)(idx / ((long long)Wo * Ho));
    int kk = kh * kw, hw = Ho * Wo, pos = y * Wo + xo, dg = c / cpg;
    const float* im = x + (long long)c * H * W;
    const float* o = off + (long long)dg * 2 * kk * hw;
    const float* m = has_mask ? mask + (long long)dg * kk * hw : 0;
    for (int i = 0; i < kh; ++i)
      for (int j = 0; j < kw; ++j) {
        int k = i * kw + j;
        float h_im = y * stride_h - pad_h + i * dil_h + o[2 * k * hw + pos];
        float w_im = xo * stride_w - pad_w + j * dil_w + o[(2 * k + 1) * hw + pos];
        float val = 0;
        if (h_im > -1 && w_im > -1 && h_im < H && w_im < W) val = aaj_dcn_bilinear(im, H, W, h_im, w_im);
        col[((long long)c * kk + k) * hw + pos] = has_mask ? val * m[k * hw + pos] : val;
      }
  }
}

// One thread per column entry (c, i, j, y, x): its gradient (times the mask) scattered with atomicAdd to the input
// pixels within distance 1 of its sample (MMCV's col2im); gx must be zeroed. n = C*kh*kw*Ho*Wo.
__global__ void aaj_dcn_col2im(float* gx, const float* gcol, const float* off, const float* mask, int has_mask,
                               int H, int W, int kh, int kw, int pad_h, int pad_w, int stride_h, int stride_w,
                               int dil_h, int dil_w, int cpg, int Ho, int Wo, long long n) {
  GRID_STRIDE(idx, n) {
    int hw = Ho * Wo, kk = kh * kw;
    int pos = (int)(idx % hw);
    int k = (int)((idx / hw) % kk), c = (int)(idx / ((long long)hw * kk));
    int xo = pos % Wo, y = pos / Wo, i = k / kw, j = k % kw, dg = c / cpg;
    const float* o = off + (long long)dg * 2 * kk * hw;
    float inv_h = y * stride_h - pad_h + i * dil_h + o[2 * k * hw + pos];
    float inv_w = xo * stride_w - pad_w + j * dil_w + o[(2 * k + 1) * hw + pos];
    float top = has_mask ? gcol[idx] * mask[(long long)dg * kk * hw + k * hw + pos] : gcol[idx];
    int cur_h = (int)inv_h, cur_w = (int)inv_w;
    for (int dy = -2; dy <= 2; ++dy)
      for (int dx = -2; dx <= 2; ++dx) {
        int hh = cur_h + dy, ww = cur_w + dx;
        if (hh >= 0 && hh < H && ww >= 0 && ww < W && fabsf(inv_h - hh) < 1 && fabsf(inv_w - ww) < 1)
          atomicAdd(gx + ((long long)c * H + hh) * W + ww, aaj_dcn_gradient_weight(inv_h, inv_w, hh, ww, H, W) * top);
      }
  }
}

// One thread per offset channel (deform group, tap k, dy or dx) and output position (MMCV's col2im_coord): the
// offset's gradient, and (dy threads, has_mask) the mask's. n = dg*2*kh*kw*Ho*Wo.
__global__ void aaj_dcn_col2im_coord(float* goff, float* gmask, const float* gcol, const float* x, const float* off,
                                     const float* mask, int has_mask, int H, int W, int kh, int kw, int pad_h,
                                     int pad_w, int stride_h, int stride_w, int dil_h, int dil_w, int cpg, int Ho,
                                     int Wo, long long n) {
  GRID_STRIDE(idx, n) {
    int hw = Ho * Wo, kk = kh * kw;
    int pos = (int)(idx % hw), c = (int)(idx / hw);
    int dg = c / (2 * kk), oc = c - dg * 2 * kk, k = oc / 2, bp_dir = oc % 2;
    int xo = pos % Wo, y = pos / Wo, i = k / kw, j = k % kw;
    const float* o = off + (long long)dg * 2 * kk * hw;
    float m = has_mask ? mask[(long long)dg * kk * hw + k * hw + pos] : 1.f;
    float inv_h = y * stride_h - pad_h + i * dil_h + o[2 * k * hw + pos];
    float inv_w = xo * stride_w - pad_w + j * dil_w + o[(2 * k + 1) * hw + pos];
    int outside = inv_h <= -1 || inv_w <= -1 || inv_h >= H || inv_w >= W;
    if (outside) inv_h = inv_w = -2;
    float val = 0, mval = 0;
    for (int cc = 0; cc < cpg; ++cc) {  // MMCV's col_c = k, k + kk, ...: the group's channels in order
      float g = gcol[((long long)(dg * cpg + cc) * kk + k) * hw + pos];
      const float* im = x + (long long)(dg * cpg + cc) * H * W;
      if (!outside && has_mask) mval += g * aaj_dcn_bilinear(im, H, W, inv_h, inv_w);
      float weight = aaj_dcn_coordinate_weight(inv_h, inv_w, H, W, im, bp_dir);
      val += has_mask ? weight * g * m : weight * g;
    }
    goff[idx] = val;
    if (has_mask && bp_dir == 0) gmask[(long long)dg * kk * hw + k * hw + pos] = mval;
  }
}

// ---------------- window transformers (Swin): gather, batched GEMM fallback, GELU ----------------
// GatherCpu.forward: output row i = source row rows[i] (block floats), zeros where rows[i] < 0; n = out rows * block
__global__ void aaj_gather(float* y, const float* x, const int* rows, long long block, long long n) {
  GRID_STRIDE(i, n) {
    int r = rows[i / block];
    y[i] = r < 0 ? 0.f : x[(long long)r * block + i % block];
  }
}

// GatherCpu.backward: source row s = the gradient rows of the outputs reading it (CSR offsets / list, increasing
// output order), the first copied and the others added in order, zeros where none reads it; n = source rows * block.
// Deterministic: a gather over the inverse index, no atomics.
__global__ void aaj_gather_backward(float* gx, const float* g, const int* offsets, const int* list, long long block,
                                    long long n) {
  GRID_STRIDE(i, n) {
    long long s = i / block, j = i % block;
    int a = offsets[s], b = offsets[s + 1];
    float acc = a == b ? 0.f : g[(long long)list[a] * block + j];
    for (int k = a + 1; k < b; ++k) acc += g[(long long)list[k] * block + j];
    gx[i] = acc;
  }
}

// TransposeCpu.forward: y [batch, cols, rows] = x [batch, rows, cols] transposed per matrix. 32x32 tiles through shared
// memory (+1 column of padding: the column reads hit 32 banks), block (32, 8), each thread 4 rows of its tile; grid x the
// column tiles, y the row tiles (<= 65535, loops), z the matrices (<= 65535, loops). Offsets in 64 bits.
__global__ void aaj_transpose2d(float* y, const float* x, int rows, int cols, long long batch) {
  __shared__ float tile[32][33];
  int c0 = blockIdx.x * 32;
  long long plane = (long long)rows * cols;
  for (long long z = blockIdx.z; z < batch; z += gridDim.z) {
    const float* xb = x + z * plane;
    float* yb = y + z * plane;
    for (int r0 = blockIdx.y * 32; r0 < rows; r0 += gridDim.y * 32) {
      for (int j = threadIdx.y; j < 32; j += 8) {
        int r = r0 + j, c = c0 + threadIdx.x;
        if (r < rows && c < cols) tile[j][threadIdx.x] = xb[(long long)r * cols + c];
      }
      __syncthreads();
      for (int j = threadIdx.y; j < 32; j += 8) {
        int c = c0 + j, r = r0 + threadIdx.x;
        if (c < cols && r < rows) yb[(long long)c * rows + r] = tile[threadIdx.x][j];
      }
      __syncthreads();
    }
  }
}

// BatchedGemm without cuBLAS: aaj_gemm's tiles with the batch in grid z (C[z] = op(A[z])·op(B[z]), strides in floats)
__global__ void aaj_bmm(float* Cm, const float* A, const float* B, int M, int N, int K, int lda, int ldb, int transA,
                        int transB, long long strideA, long long strideB, long long strideC) {
  __shared__ float ta[16][17];
  __shared__ float tb[16][17];
  const float* Ab = A + blockIdx.z * strideA;
  const float* Bb = B + blockIdx.z * strideB;
  int row = blockIdx.y * 16 + threadIdx.y, col = blockIdx.x * 16 + threadIdx.x;
  float acc = 0.f;
  for (int k0 = 0; k0 < K; k0 += 16) {
    int ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
    ta[threadIdx.y][threadIdx.x] =
        (row < M && ka < K) ? (transA ? Ab[(long long)ka * lda + row] : Ab[(long long)row * lda + ka]) : 0.f;
    tb[threadIdx.y][threadIdx.x] =
        (kb < K && col < N) ? (transB ? Bb[(long long)col * ldb + kb] : Bb[(long long)kb * ldb + col]) : 0.f;
    __syncthreads();
    for (int kk = 0; kk < 16; ++kk) acc += ta[threadIdx.y][kk] * tb[kk][threadIdx.x];
    __syncthreads();
  }
  if (row < M && col < N) Cm[blockIdx.z * strideC + (long long)row * N + col] = acc;
}

// GeluMath.gelu: torch's exact GELU in ATen's float order, erf in double rounded to float
__host__ __device__ __forceinline__ float aaj_gelu_value(float x) {
  float e = (float)erf((double)(x * 0.70710678118654752440f));
  return x * 0.5f * (1.f + e);
}

// GeluMath.geluBackward: g * (cdf + x * pdf), pdf = (1/sqrt(2 pi)) * exp(-x^2/2), exp in double rounded to float
__host__ __device__ __forceinline__ float aaj_gelu_grad(float g, float x) {
  const float alpha = (float)(1.12837916709551257390 * 0.70710678118654752440 * 0.5);
  float cdf = 0.5f * (1.f + (float)erf((double)(x * 0.70710678118654752440f)));
  float pdf = alpha * (float)exp((double)(x * x * -0.5f));
  return g * (cdf + x * pdf);
}

__global__ void aaj_gelu(float* y, const float* x, long long n) {
  GRID_STRIDE(i, n) y[i] = aaj_gelu_value(x[i]);
}

__global__ void aaj_gelu_backward(float* y, const float* g, const float* x, long long n) {
  GRID_STRIDE(i, n) y[i] = aaj_gelu_grad(g[i], x[i]);
}

// DropoutMath.bits: 24 random bits of element i under seed (SplitMix64's finaliser of seed + (i + 1) * golden gamma);
// a counter-based draw, so the CPU twin and this kernel give the same mask and the backward re-derives it from the seed
__host__ __device__ __forceinline__ unsigned int aaj_dropout_bits(unsigned long long seed, unsigned long long i) {
  unsigned long long z = seed + (i + 1ULL) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return (unsigned int)(z >> 40);
}

// DropoutMath.apply: x * scale when kept (bits >= threshold = ceil(p * 2^24)), x * 0 when dropped (NaN stays NaN)
__host__ __device__ __forceinline__ float aaj_dropout_value(float x, unsigned long long seed, unsigned long long i,
                                                            unsigned int threshold, float scale) {
  return x * (aaj_dropout_bits(seed, i) >= threshold ? scale : 0.f);
}

// Backend.dropout (its backward is the same kernel on the output gradient with the same seed)
__global__ void aaj_dropout(float* y, const float* x, long long seed, int threshold, float scale, long long n) {
  GRID_STRIDE(i, n) y[i] = aaj_dropout_value(x[i], (unsigned long long)seed, (unsigned long long)i, (unsigned int)threshold, scale);
}

}  // extern "C"
