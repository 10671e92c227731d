// check_support.h — the host-side helpers that gpu_check.cu (nvcc, device memory) and
// tests/native_kernels_emu_test.cpp (g++ over cuda_emu.h, host memory) share: the tolerance and pass rule,
// the random inputs, the error measures, the level/point grid, the loss weights and forward error, the NMS
// comparison and golden reader, the SGD segments and twin. Plain C++17, no CUDA API (device memory stays in
// each program). Each program is one translation unit that includes this once, with its own g_rng: the helpers
// draw from it in the order the callers' code did before they were shared, so every random input is unchanged.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "aa_kernels.h"  // AaSgdSeg
#include "aa_ref.h"

constexpr double TOL = 1e-3;
static std::mt19937 g_rng(12345);

// PASS: the error within TOL (and finite) and the case's own exact checks held
inline bool passes(double err, bool extra_ok) { return err <= TOL && extra_ok && std::isfinite(err); }

inline std::vector<float> randn(size_t n, float mu, float sd) {
  std::normal_distribution<float> d(mu, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g_rng);
  return v;
}
inline std::vector<float> randu(size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g_rng);
  return v;
}

// normwise relative error: max|got - ref| / max|ref| (elementwise relative error is meaningless near 0)
template <typename A, typename B>
double nrel(const std::vector<A>& a, const std::vector<B>& b) {
  if (a.size() != b.size()) return INFINITY;
  double d = 0, m = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double x = (double)a[i], y = (double)b[i];
    if (std::isnan(x) != std::isnan(y)) return INFINITY;
    if (std::isnan(x)) continue;
    d = std::max(d, std::fabs(x - y));
    m = std::max(m, std::fabs(y));
  }
  return m > 0 ? d / m : d;
}
inline double srel(double a, double b) { return std::fabs(a - b) / std::max(std::fabs(b), 1e-30); }

// ---- levels: strides 8..128 over an H x W image, (x, y, stride) per point, level l = points [start[l], start[l+1])
struct Levels {
  std::vector<int> start;
  std::vector<float> pts;
  int P = 0;
};
inline Levels make_levels(int H, int W) {
  Levels L;
  int h = H / 8, w = W / 8;
  for (int l = 0; l < 5; ++l) {
    int s = 8 << l;
    if (l <= 2) {
      h = H / s;
      w = W / s;
    } else {
      h = (h + 1) / 2;
      w = (w + 1) / 2;
    }
    L.start.push_back(L.P);
    for (int i = 0; i < h; ++i)
      for (int j = 0; j < w; ++j) L.pts.insert(L.pts.end(), {(float)(j * s), (float)(i * s), (float)s});
    L.P += h * w;
  }
  L.start.push_back(L.P);
  return L;
}

// ---- random distances (l, t, r, b) per point, in units of the point's stride
// the loss cases: 0 with probability 0.05, else stride x U(0.5, 6)
inline std::vector<float> loss_dists(const std::vector<float>& pts, int P) {
  std::vector<float> dist((size_t)P * 4);
  std::uniform_real_distribution<float> U(0, 1);
  for (int p = 0; p < P; ++p)
    for (int k = 0; k < 4; ++k) dist[4 * p + k] = U(g_rng) < 0.05f ? 0.f : pts[3 * p + 2] * (0.5f + 5.5f * U(g_rng));
  return dist;
}
// the post-processing cases: 0 with probability 0.02, else stride x U(0, 4)
inline std::vector<float> pp_dists(const std::vector<float>& pts, int P) {
  std::vector<float> dist((size_t)P * 4);
  std::uniform_real_distribution<float> U(0, 1);
  for (int p = 0; p < P; ++p)
    for (int k = 0; k < 4; ++k) dist[4 * p + k] = U(g_rng) < 0.02f ? 0.f : pts[3 * p + 2] * 4 * U(g_rng);
  return dist;
}

// ---- loss: one image's weights (as a batch of one: wpos = 1/G, wneg = 1/max(sumC, 1), wctr = 0.75/2, 0 without GTs)
struct LossWeights {
  double wpos, wneg, wctr;
};
inline LossWeights single_image_weights(const float* cls, const float* dist, const float* obj, const float* pts,
                                        const float* gt, const int* lab, const float* mean, const float* sigma, int P,
                                        int C, int G) {
  auto r0 = aaref::loss(cls, dist, obj, pts, gt, lab, mean, sigma, P, C, G, 0, 0, 0);
  return {G > 0 ? 1.0 / G : 0, 1.0 / std::max(r0.sumC, 1.0), G > 0 ? 0.75 / 2 : 0};
}
// the forward statistics (st: Lpos, Lneg, sumC, G, npairs, z, ...) vs the twin: relative error of the sums (absolute
// without GTs, where sumC and z are 0); the pair count is checked exactly by the caller
inline double loss_fwd_err(const double* st, const aaref::LossResult& r, int G) {
  return std::max({srel(st[0], r.Lpos), srel(st[1], r.Lneg), G ? srel(st[2], r.sumC) : std::fabs(st[2]),
                   G ? srel(st[5], r.z) : std::fabs(st[5])});
}
inline void print_loss_fwd(const char* name, const double* st, const aaref::LossResult& r) {
  std::printf("    %s: Lpos %.6g/%.6g Lneg %.6g/%.6g sumC %.6g/%.6g z %.6g/%.6g pairs %ld/%ld\n", name, st[0], r.Lpos,
              st[1], r.Lneg, st[2], r.sumC, st[5], r.z, (long)st[4], r.npairs);
}
inline void print_loss_grads(const char* name, double ec, double ed, double eo, double em, double es) {
  std::printf("    %s grads: cls %.2e dist %.2e obj %.2e mean %.2e sigma %.2e\n", name, ec, ed, eo, em, es);
}
inline std::string loss_size(int P, int C, int G) {
  return "P=" + std::to_string(P) + " C=" + std::to_string(C) + " G=" + std::to_string(G);
}

// ---- post-processing / NMS: n kept detections (boxes b [n,4], scores s, labels l) vs the twin's list: the count
// and labels exactly, boxes and scores by relative error (*err; boxes at exactly 0 are skipped)
inline bool same_dets(const std::vector<aaref::Det>& ref, const std::vector<float>& b, const std::vector<float>& s,
                      const std::vector<int>& l, int n, double* err) {
  *err = 0;
  if ((int)ref.size() != n) {
    std::printf("    count %d vs twin %zu\n", n, ref.size());
    *err = INFINITY;
    return false;
  }
  bool ok = true;
  for (int i = 0; i < n; ++i) {
    ok &= ref[i].label == l[i];
    for (int k = 0; k < 4; ++k) *err = std::max(*err, srel(b[4 * i + k], ref[i].box[k]) * (ref[i].box[k] != 0));
    *err = std::max(*err, srel(s[i], ref[i].score));
  }
  if (!ok) std::printf("    label mismatch\n");
  return ok;
}
// nb random boxes in a W x H image, sides 10 + U(0, side_span), 8 distinct classes among 80 (many same-class
// overlaps), scores on a 1/200 grid (exact ties): as the twin's dets and as the kernel's arrays
struct NmsBoxes {
  std::vector<aaref::Det> dets;
  std::vector<float> bx, sc;
  std::vector<int> lb;
};
inline NmsBoxes rand_nms_boxes(int nb, float W, float H, float side_span) {
  NmsBoxes r;
  r.dets.resize(nb);
  std::uniform_real_distribution<float> U(0, 1);
  for (auto& d : r.dets) {
    float cx = W * U(g_rng), cy = H * U(g_rng), w = 10 + side_span * U(g_rng), h = 10 + side_span * U(g_rng);
    int cl = (int)(U(g_rng) * 8) % 8 * 10;
    float b[4] = {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
    for (int k = 0; k < 4; ++k) d.box[k] = b[k], r.bx.push_back(b[k]);
    d.score = std::round(U(g_rng) * 200) / 200;
    d.label = cl;
    r.sc.push_back(d.score);
    r.lb.push_back(cl);
  }
  return r;
}
// an MMCV golden (tests/data/nms_case*.txt): "tag n thr", n lines "x1 y1 x2 y2 score label", then "k" and the keep list
struct NmsGolden {
  int n = 0;
  double thr = 0;
  std::vector<float> bx, sc;
  std::vector<int> lb, keep;
  // the kernel kept m boxes (out_boxes [m,4]): exactly the golden's keep list, bit for bit
  bool same_keep(const std::vector<float>& out_boxes, int m) const {
    bool ok = m == (int)keep.size();
    for (int i = 0; ok && i < m; ++i) ok = std::memcmp(&out_boxes[4 * i], &bx[4 * keep[i]], 16) == 0;
    return ok;
  }
};
inline bool read_nms_golden(const std::string& path, NmsGolden& g) {  // false: no file (or no header line)
  std::ifstream f(path);
  std::string tag;
  if (!(f >> tag >> g.n >> g.thr)) return false;
  const int n = g.n;
  g.bx.assign(4 * (size_t)n, 0.f);
  g.sc.assign(n, 0.f);
  g.lb.assign(n, 0);
  for (int i = 0; i < n; ++i) {
    double v;
    for (int k = 0; k < 4; ++k) f >> v, g.bx[4 * i + k] = (float)v;
    f >> v;
    g.sc[i] = (float)v;
    f >> g.lb[i];
  }
  int k = 0;
  f >> k;
  g.keep.assign(k, 0);
  for (int& i : g.keep) f >> i;
  return true;
}

// ---- SGD: the model's parameters as segments of one flat buffer of `total` (p, g, buf: device or host pointers,
// only offset here), sizes drawn from sizes[0..nsizes), every 7th segment (index 3 mod 7) without a gradient,
// weight decay 1e-4 above 2048 elements, first = 1
inline std::vector<AaSgdSeg> make_sgd_segs(long long total, const long long* sizes, int nsizes, float* p, float* g,
                                           float* buf) {
  std::vector<AaSgdSeg> segs;
  std::uniform_int_distribution<int> pick(0, nsizes - 1);
  long long off = 0;
  while (off < total) {
    long long n = std::min(sizes[pick(g_rng)], total - off);
    AaSgdSeg s;
    s.p = p + off;
    s.g = (segs.size() % 7 == 3) ? nullptr : g + off;
    s.buf = buf + off;
    s.start = off;
    s.n = n;
    s.wd = n <= 2048 ? 0.f : 1e-4f;
    s.first = 1;
    segs.push_back(s);
    off += n;
  }
  return segs;
}
// the twin of two steps from p0 (buffers 0): gradient g0 at lr1 (first), then g1 at lr2; pr, br: parameters, buffers
inline void sgd_twin_two_steps(const std::vector<AaSgdSeg>& segs, const std::vector<float>& p0,
                               const std::vector<float>& g0, const std::vector<float>& g1, double lr1, double lr2,
                               double mom, std::vector<double>& pr, std::vector<double>& br) {
  pr.assign(p0.size(), 0.0);
  br.assign(p0.size(), 0.0);
  for (auto& s : segs)
    for (long long i = s.start; i < s.start + s.n; ++i) {
      pr[i] = p0[i];
      if (!s.g) continue;
      aaref::sgd(pr[i], g0[i], br[i], lr1, mom, s.wd, true);
      aaref::sgd(pr[i], g1[i], br[i], lr2, mom, s.wd, false);
    }
}
// the kernel's parameters p and buffers buf vs the twin's, and the update itself (p - p0, which is what a 1e-3
// tolerance should judge)
inline double sgd_err(const std::vector<float>& p, const std::vector<float>& buf, const std::vector<float>& p0,
                      const std::vector<double>& pr, const std::vector<double>& br) {
  double e = std::max(nrel(p, pr), nrel(buf, br));
  std::vector<double> du(p0.size()), dr(p0.size());
  for (size_t i = 0; i < p0.size(); ++i) du[i] = (double)p[i] - p0[i], dr[i] = pr[i] - p0[i];
  return std::max(e, nrel(du, dr));
}
