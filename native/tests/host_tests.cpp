// host_tests.cpp — CPU-only tests of the kernels' per-element math (aa_math.h, compiled as plain C++)
// against double-precision formulas, and of the CPU twins (aa_ref.h) against the MMDetection goldens.
// No GPU, no CUDA toolkit needed. Usage: aa_host_tests [DATA_DIR]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "aa_math.h"
#include "aa_ref.h"

static int g_fail = 0, g_checks = 0;
#define CHECK(cond, ...)                                   \
  do {                                                     \
    ++g_checks;                                            \
    if (!(cond)) {                                         \
      ++g_fail;                                            \
      std::printf("  FAIL %s:%d: ", __FILE__, __LINE__);   \
      std::printf(__VA_ARGS__);                            \
      std::printf("\n");                                   \
    }                                                      \
  } while (0)
static bool close_rel(double a, double b, double rel, double abs_tol = 0) {
  return std::fabs(a - b) <= rel * std::fabs(b) + abs_tol;
}
// normwise relative error max|a-b| / max|b|
static double norm_rel(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0, m = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    d = std::max(d, std::fabs(a[i] - b[i]));
    m = std::max(m, std::fabs(b[i]));
  }
  return m > 0 ? d / m : d;
}

static void test_bce() {
  std::printf("[bce]\n");
  CHECK(aa::bce_fwd(0.f, 1.f) == 100.f, "BCE(0,1)=%g", aa::bce_fwd(0.f, 1.f));
  CHECK(aa::bce_fwd((float)1e-50, 1.f) == 100.f, "BCE(1e-50,1)");
  CHECK(close_rel(aa::bce_bwd(0.f, 1.f), -1e12, 1e-6), "dBCE(0,1)=%g", aa::bce_bwd(0.f, 1.f));
  CHECK(aa::bce_fwd(1.f, 1.f) == 0.f && aa::bce_bwd(1.f, 1.f) == 0.f, "BCE(1,1)");
  CHECK(aa::bce_fwd(1.f, 0.f) == 100.f && close_rel(aa::bce_bwd(1.f, 0.f), 1e12, 1e-6), "BCE(1,0)");
  CHECK(close_rel(aa::bce_fwd(0.999999f, 0.f), 13.802318, 1e-6), "BCE(0.999999,0)=%.8g", aa::bce_fwd(0.999999f, 0.f));
  CHECK(close_rel(aa::bce_bwd(0.999999f, 0.f), 986895.06, 1e-6), "dBCE(0.999999,0)=%.8g", aa::bce_bwd(0.999999f, 0.f));
  CHECK(aa::bce_fwd(0.f, 0.f) == 0.f && aa::bce_bwd(0.f, 0.f) == 0.f, "BCE(0,0)");
  CHECK(close_rel(aa::bce_fwd(1e-6f, 0.f), 1.0132795e-06, 1e-5), "BCE(1e-6,0)=%.8g", aa::bce_fwd(1e-6f, 0.f));
  // q^2 BCE(q,0) derivative vs central differences (double)
  for (double q : {0.01, 0.1, 0.3, 0.5, 0.8, 0.95}) {
    double h = 1e-6, f1 = (q + h) * (q + h) * aaref::bce(q + h, 0), f0 = (q - h) * (q - h) * aaref::bce(q - h, 0);
    CHECK(close_rel(aa::neg_cell_bwd((float)q), (f1 - f0) / (2 * h), 1e-4), "neg_cell_bwd(%g)", q);
    CHECK(close_rel(aa::neg_cell_fwd((float)q), q * q * aaref::bce(q, 0), 1e-5), "neg_cell_fwd(%g)", q);
  }
}

static void test_giou() {
  std::printf("[giou]\n");
  struct Row {
    float p[4], t[4];
    double iou, giou;
  } rows[] = {{{0, 0, 10, 10}, {0, 0, 10, 10}, 1, 1},
              {{0, 0, 10, 10}, {5, 0, 15, 10}, 0.3333333, 0.3333333},
              {{0, 0, 10, 10}, {20, 0, 30, 10}, 0, -0.3333333},
              {{2, 2, 8, 8}, {0, 0, 10, 10}, 0.36, 0.36},
              {{5, 5, 5, 5}, {0, 0, 10, 10}, 0, 0}};
  for (auto& r : rows) {
    float iou, g = aa::giou_fwd(r.p, r.t, &iou);
    CHECK(close_rel(iou, r.iou, 1e-6, 1e-7) && close_rel(g, r.giou, 1e-6, 1e-7), "giou table: iou %g giou %g", iou, g);
    CHECK(close_rel(aa::reg_loss(g), 5 * (1 - r.giou), 1e-6, 1e-6), "reg");
  }
  // backward: float kernel math vs double twin vs central differences
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> U(0.f, 50.f), S(1.f, 40.f);
  double worst_fd = 0, worst_twin = 0;
  for (int it = 0; it < 500; ++it) {
    float p[4], t[4];
    p[0] = U(rng); p[1] = U(rng); p[2] = p[0] + S(rng); p[3] = p[1] + S(rng);
    t[0] = U(rng); t[1] = U(rng); t[2] = t[0] + S(rng); t[3] = t[1] + S(rng);
    float dp[4];
    aa::giou_bwd(p, t, 1.f, dp);
    double pd[4] = {p[0], p[1], p[2], p[3]}, td[4] = {t[0], t[1], t[2], t[3]}, dd[4];
    aaref::giou_grad(pd, td, 1.0, dd);
    std::vector<double> a(4), b(4), fd(4);
    for (int k = 0; k < 4; ++k) {
      double h = 1e-5, q1[4], q0[4];
      for (int j = 0; j < 4; ++j) q1[j] = q0[j] = pd[j];
      q1[k] += h;
      q0[k] -= h;
      fd[k] = (aaref::giou(q1, td).giou - aaref::giou(q0, td).giou) / (2 * h);
      a[k] = dp[k];
      b[k] = dd[k];
    }
    bool near_kink = false;  // skip FD where a max/min switches within h
    for (int k = 0; k < 4; ++k) near_kink |= std::fabs(pd[k] - td[k]) < 1e-3;
    near_kink |= std::fabs(std::min(pd[2], td[2]) - std::max(pd[0], td[0])) < 1e-3 ||
                 std::fabs(std::min(pd[3], td[3]) - std::max(pd[1], td[1])) < 1e-3;
    if (!near_kink) worst_fd = std::max(worst_fd, norm_rel(b, fd));
    worst_twin = std::max(worst_twin, norm_rel(a, b));
  }
  CHECK(worst_fd < 1e-5, "giou twin vs finite differences: %g", worst_fd);
  CHECK(worst_twin < 1e-4, "giou_bwd (float) vs twin: %g", worst_twin);
  // tie split: identical boxes -> gradient of (min,max) ties split 0.5/0.5, giou=1 stationary
  float b0[4] = {0, 0, 10, 10}, d0[4];
  aa::giou_bwd(b0, b0, 1.f, d0);
  CHECK(std::fabs(d0[0]) < 1e-6 && std::fabs(d0[2]) < 1e-6, "giou grad at perfect match ~0: %g %g", d0[0], d0[2]);
  // strict inside
  float gt[4] = {8, 8, 24, 24}, tb[4];
  CHECK(!aa::encode_target(8, 16, gt, tb), "point on the left edge is outside");
  CHECK(aa::encode_target(16, 16, gt, tb) && tb[0] == 8 && tb[2] == 24, "inside + decoded target");
}

static void test_center_prior_and_pos() {
  std::printf("[center prior / positive loss pieces]\n");
  std::mt19937 rng(2);
  std::uniform_real_distribution<double> U(-1, 1);
  double worst = 0;
  for (int it = 0; it < 200; ++it) {
    float gt[4] = {100.f + 30 * (float)U(rng), 80.f + 30 * (float)U(rng), 0, 0};
    gt[2] = gt[0] + 60 + 40 * (float)U(rng);
    gt[3] = gt[1] + 50 + 40 * (float)U(rng);
    float px = gt[0] + 20, py = gt[1] + 16, st = 8;
    float mux = 0.3f * (float)U(rng), muy = 0.3f * (float)U(rng), sx = 1 + 0.5f * (float)U(rng), sy = 1 + 0.5f * (float)U(rng);
    aa::CenterPrior cp = aa::center_prior(px, py, st, gt, mux, muy, sx, sy);
    auto Cd = [&](double mx, double my, double ssx, double ssy) {
      double dx = (px - (gt[0] + (double)gt[2]) / 2) / st - mx, dy = (py - (gt[1] + (double)gt[3]) / 2) / st - my;
      return std::exp(-dx * dx / (2 * ssx * ssx)) * std::exp(-dy * dy / (2 * ssy * ssy));
    };
    double c = Cd(mux, muy, sx, sy), h = 1e-6;
    worst = std::max(worst, std::fabs(cp.c - c) / c);
    double fdm = (Cd(mux + h, muy, sx, sy) - Cd(mux - h, muy, sx, sy)) / (2 * h);
    double fds = (Cd(mux, muy, sx, sy + h) - Cd(mux, muy, sx, sy - h)) / (2 * h);
    CHECK(close_rel(aa::center_prior_dmu(cp.c, cp.dx, sx), fdm, 1e-3, 1e-6), "dC/dmu %g vs %g",
          aa::center_prior_dmu(cp.c, cp.dx, sx), fdm);
    CHECK(close_rel(aa::center_prior_dsigma(cp.c, cp.dy, sy), fds, 1e-3, 1e-6), "dC/dsigma");
  }
  CHECK(worst < 1e-4, "center prior rel err %g", worst);  // float exp of a large exponent
  float g0[4] = {0, 0, 16, 16};
  CHECK(aa::center_prior(8, 8, 8, g0, 0, 0, 1, 1).c == 1.f, "point at the center with mu=0 gives C=1");
  // dR/dS, dR/dC vs finite differences of R = sum S a / sum a, a = exp(3S) C
  std::vector<double> Sv = {0.1, 0.35, 0.02, 0.6}, Cv = {0.4, 0.9, 0.1, 0.7};
  auto Rf = [&](const std::vector<double>& s, const std::vector<double>& c) {
    double A = 0, B = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      double a = std::exp(3 * s[i]) * c[i];
      A += a;
      B += s[i] * a;
    }
    return B / A;
  };
  double A = 0, R = Rf(Sv, Cv);
  for (size_t i = 0; i < Sv.size(); ++i) A += std::exp(3 * Sv[i]) * Cv[i];
  for (size_t i = 0; i < Sv.size(); ++i) {
    double h = 1e-6;
    auto s1 = Sv, s0 = Sv, c1 = Cv, c0 = Cv;
    s1[i] += h; s0[i] -= h; c1[i] += h; c0[i] -= h;
    double e3 = std::exp(3 * Sv[i]);
    CHECK(close_rel(aa::dR_dS((float)Sv[i], (float)(e3 * Cv[i]), (float)A, (float)R, false), (Rf(s1, Cv) - Rf(s0, Cv)) / (2 * h), 1e-4),
          "dR/dS[%zu]", i);
    CHECK(close_rel(aa::dR_dC((float)Sv[i], (float)e3, (float)A, (float)R, false), (Rf(Sv, c1) - Rf(Sv, c0)) / (2 * h), 1e-4, 1e-7),
          "dR/dC[%zu]", i);
  }
}

// AA_8 §4: write order of the negative weights (6 points, 2 GTs of class 2)
static void test_neg_weight_order() {
  std::printf("[negative weight write order]\n");
  int ins[6][2] = {{1, 0}, {1, 1}, {1, 1}, {0, 1}, {0, 0}, {1, 0}};
  float m[6] = {0.1f, 0.5f, 0.3f, 0.8f, 0.0f, 0.2f};
  float W[6] = {1, 1, 1, 1, 1, 1};
  for (int g = 0; g < 2; ++g) {  // the kernel's order: GTs ascending, last write wins
    float umin = INFINITY, umax = -INFINITY;
    for (int p = 0; p < 6; ++p)
      if (ins[p][g]) {
        umin = std::min(umin, aa::neg_u(m[p]));
        umax = std::max(umax, aa::neg_u(m[p]));
      }
    for (int p = 0; p < 6; ++p)
      if (ins[p][g]) W[p] = 1.f - aa::neg_v(aa::neg_u(m[p]), umin, umax);
  }
  double expect[6] = {1.0, 0.84, 1.0, 0.0, 1.0, 0.84375};
  for (int p = 0; p < 6; ++p) CHECK(std::fabs(W[p] - expect[p]) < 1e-6, "W[%d]=%.7g expected %g", p, W[p], expect[p]);
}

static void test_groupnorm() {
  std::printf("[groupnorm]\n");
  int N = 2, C = 8, G = 4, cpg = 2;
  long HW = 15;
  std::mt19937 rng(3);
  std::normal_distribution<float> D(0.5f, 2.f);
  std::vector<float> x(N * C * HW), dy(N * C * HW), ga(C), be(C);
  for (auto& v : x) v = D(rng);
  for (auto& v : dy) v = D(rng);
  for (auto& v : ga) v = D(rng);
  for (auto& v : be) v = D(rng);
  std::vector<double> yr, mr, rr, dxr, dgr, dbr;
  aaref::groupnorm_fwd(x.data(), ga.data(), be.data(), N, C, HW, G, 1e-5, yr, mr, rr);
  aaref::groupnorm_bwd(dy.data(), x.data(), ga.data(), N, C, HW, G, 1e-5, dxr, dgr, dbr);
  // emulate the kernels: per-(n,c) double sums -> group stats -> aa::gn_norm / gn_bwd_coeffs / gn_dx
  std::vector<double> y(x.size()), dx(x.size()), dg(C, 0), db(C, 0);
  for (int n = 0; n < N; ++n)
    for (int g = 0; g < G; ++g) {
      double s1 = 0, s2 = 0, M = cpg * HW;
      for (int c = g * cpg; c < (g + 1) * cpg; ++c)
        for (long i = 0; i < HW; ++i) {
          double v = x[(n * C + c) * HW + i];
          s1 += v;
          s2 += v * v;
        }
      double mu = s1 / M, var = s2 / M - mu * mu;
      float mf = (float)mu, rf = (float)(1.0 / std::sqrt(var + 1e-5));
      double sds = 0, sdb = 0;
      for (int c = g * cpg; c < (g + 1) * cpg; ++c) {
        double ds = 0, dbb = 0;
        for (long i = 0; i < HW; ++i) {
          ds += (double)dy[(n * C + c) * HW + i] * x[(n * C + c) * HW + i];
          dbb += dy[(n * C + c) * HW + i];
        }
        sds += ga[c] * ds;
        sdb += ga[c] * dbb;
        dg[c] += (ds - dbb * mf) * rf;
        db[c] += dbb;
      }
      double c2, c3;
      aa::gn_bwd_coeffs(sds, sdb, mf, rf, M, &c2, &c3);
      for (int c = g * cpg; c < (g + 1) * cpg; ++c)
        for (long i = 0; i < HW; ++i) {
          size_t k = (n * C + c) * HW + i;
          y[k] = aa::gn_norm(x[k], mf, rf, ga[c], be[c]);
          dx[k] = aa::gn_dx(dy[k], x[k], rf * ga[c], (float)c2, (float)c3);
        }
    }
  CHECK(norm_rel(y, yr) < 1e-5, "gn fwd %g", norm_rel(y, yr));
  CHECK(norm_rel(dx, dxr) < 1e-4, "gn bwd dx %g", norm_rel(dx, dxr));
  CHECK(norm_rel(dg, dgr) < 1e-5, "gn bwd dgamma %g", norm_rel(dg, dgr));
  CHECK(norm_rel(db, dbr) < 1e-6, "gn bwd dbeta %g", norm_rel(db, dbr));
}

static void test_misc() {
  std::printf("[elementwise / pool / upsample / sgd]\n");
  CHECK(aa::relu_fwd(-1.f) == 0.f && aa::relu_fwd(2.f) == 2.f && aa::relu_bwd(3.f, 0.f) == 0.f, "relu");
  CHECK(close_rel(aa::sigmoid_fwd(0.7f), aaref::sigmoid(0.7), 1e-6), "sigmoid");
  float y = aa::sigmoid_fwd(-1.3f);
  CHECK(close_rel(aa::sigmoid_bwd(2.f, y), 2 * y * (1 - y), 1e-6), "sigmoid bwd");
  CHECK(aa::clamp_min_fwd(-1.f, 0.f) == 0.f && aa::clamp_min_bwd(5.f, 0.f, 0.f) == 5.f, "clamp(min) passes at the bound");
  CHECK(aa::head_dist_bwd_raw(1.f, 0.f, 1.f, 8.f) == 8.f && aa::head_dist_fwd(-2.f, 1.f, 8.f) == 0.f, "head dist");
  CHECK(aa::pool_out_size(800) == 400 && aa::pool_out_size(7) == 4 && aa::pool_out_size(1) == 1, "pool size");
  bool ok = true;
  for (int in = 1; in <= 40; ++in)
    for (int out = 1; out <= 90; ++out)
      for (int d = 0; d < out; ++d) {
        int s = aa::nearest_src(d, in, out);
        ok &= s == aaref::nearest(d, in, out);
        ok &= (aa::nearest_dst_begin(s, in, out) <= d) && (s + 1 >= in || aa::nearest_dst_begin(s + 1, in, out) > d);
      }
  CHECK(ok, "nearest index mapping / inverse ranges");
  // SGD: three steps vs double twin
  float p = 0.5f, buf = 0.f;
  double pd = 0.5, bd = 0;
  float gs[3] = {0.1f, -0.3f, 0.2f};
  for (int s = 0; s < 3; ++s) {
    aa::sgd_step(&p, gs[s], &buf, 0.01f, 0.9f, 1e-4f, s == 0);
    aaref::sgd(pd, gs[s], bd, 0.01, 0.9, 1e-4, s == 0);
  }
  CHECK(close_rel(p, pd, 1e-6) && close_rel(buf, bd, 1e-5), "sgd p %g/%g buf %g/%g", p, pd, buf, bd);
}

// ---------------- goldens ----------------
static bool read_nms_case(const std::string& path, std::vector<aaref::Det>& dets, float& thr, std::vector<int>& keep) {
  std::ifstream f(path);
  std::string tag;
  int n;
  double t;
  if (!(f >> tag >> n >> t) || tag != "AANMS1") return false;
  thr = (float)t;
  dets.resize(n);
  for (auto& d : dets) {
    double v[5];
    for (double& x : v) f >> x;
    for (int k = 0; k < 4; ++k) d.box[k] = (float)v[k];
    d.score = (float)v[4];
    f >> d.label;
  }
  int k;
  f >> k;
  keep.resize(k);
  for (int& i : keep) f >> i;
  return (bool)f;
}
static void test_nms_goldens(const std::string& dir) {
  std::printf("[nms goldens (mmcv semantics)]\n");
  for (const char* name : {"nms_case1", "nms_case2"}) {
    std::vector<aaref::Det> dets;
    std::vector<int> keep;
    float thr = 0.f;
    if (!read_nms_case(dir + "/" + name + ".txt", dets, thr, keep)) {
      CHECK(false, "cannot read %s", name);
      continue;
    }
    // tag each det with its index via the score order: run twin NMS, map back by exact match
    auto out = aaref::nms(dets, thr, (int)dets.size());
    bool same = out.size() == keep.size();
    for (size_t i = 0; same && i < out.size(); ++i)
      same = std::memcmp(out[i].box, dets[keep[i]].box, 16) == 0 && out[i].label == dets[keep[i]].label;
    CHECK(same, "%s: twin keeps %zu, golden %zu", name, out.size(), keep.size());
    if (std::string(name) == "nms_case1") {
      float iou = aa::nms_iou(dets[0].box, dets[1].box);
      CHECK(iou == 0.6f && !aa::nms_suppresses(dets[0].box, dets[1].box, thr), "IoU==0.6f is not suppressed (%.9g)", iou);
    }
  }
}

struct GoldenCase {
  std::string name;
  int B, C, L;
  std::vector<int> hs, ws, strides;
  std::vector<double> mean, sigma;
  std::vector<std::vector<double>> gt;
  std::vector<std::vector<int>> labels;
  std::vector<std::vector<double>> cls, dist, obj, gcls, gdist, gobj;
  double loss_pos, loss_neg, loss_center;
  std::vector<double> gmean, gsigma;
  int P() const {
    int p = 0;
    for (int l = 0; l < L; ++l) p += hs[l] * ws[l];
    return p;
  }
};
static bool read_golden(const std::string& path, GoldenCase& g) {
  std::ifstream f(path);
  std::string tag;
  if (!(f >> tag) || tag != "AAGOLD1") return false;
  f >> g.name >> g.B >> g.C >> g.L;
  g.hs.resize(g.L);
  g.ws.resize(g.L);
  g.strides.resize(g.L);
  for (int l = 0; l < g.L; ++l) f >> g.hs[l] >> g.ws[l];
  for (int& s : g.strides) f >> s;
  auto rd = [&](size_t n) {
    std::vector<double> v(n);
    for (double& x : v) f >> x;
    return v;
  };
  g.mean = rd(2 * g.C);
  g.sigma = rd(2 * g.C);
  int P = g.P();
  for (int b = 0; b < g.B; ++b) {
    int n;
    f >> n;
    std::vector<double> bx;
    std::vector<int> lb;
    for (int i = 0; i < n; ++i) {
      for (int k = 0; k < 4; ++k) {
        double v;
        f >> v;
        bx.push_back(v);
      }
      int l;
      f >> l;
      lb.push_back(l);
    }
    g.gt.push_back(bx);
    g.labels.push_back(lb);
  }
  for (int b = 0; b < g.B; ++b) {
    g.cls.push_back(rd((size_t)P * g.C));
    g.dist.push_back(rd((size_t)P * 4));
    g.obj.push_back(rd(P));
  }
  f >> g.loss_pos >> g.loss_neg >> g.loss_center;
  for (int b = 0; b < g.B; ++b) {
    g.gcls.push_back(rd((size_t)P * g.C));
    g.gdist.push_back(rd((size_t)P * 4));
    g.gobj.push_back(rd(P));
  }
  g.gmean = rd(2 * g.C);
  g.gsigma = rd(2 * g.C);
  return (bool)f;
}
static std::vector<double> make_points(const GoldenCase& g) {
  std::vector<double> pts;
  for (int l = 0; l < g.L; ++l)
    for (int i = 0; i < g.hs[l]; ++i)
      for (int j = 0; j < g.ws[l]; ++j) {
        pts.push_back((double)j * g.strides[l]);
        pts.push_back((double)i * g.strides[l]);
        pts.push_back(g.strides[l]);
      }
  return pts;
}
static void test_loss_goldens(const std::string& dir) {
  std::printf("[loss twin vs MMDetection goldens]\n");
  for (const char* name : {"c01_single_gt", "c02_two_images_overlap", "c03_empty_image", "c07_random_a", "c11_all_empty"}) {
    GoldenCase g;
    if (!read_golden(dir + "/" + name + ".txt", g)) {
      CHECK(false, "cannot read golden %s", name);
      continue;
    }
    int P = g.P();
    auto pts = make_points(g);
    // pass 1: normalisers
    double sumG = 0, sumC = 0;
    std::vector<aaref::LossResult> r0;
    for (int b = 0; b < g.B; ++b) {
      int G = (int)g.labels[b].size();
      r0.push_back(aaref::loss(g.cls[b].data(), g.dist[b].data(), g.obj[b].data(), pts.data(), g.gt[b].data(),
                               g.labels[b].data(), g.mean.data(), g.sigma.data(), P, g.C, G, 0, 0, 0));
      sumG += G;
      sumC += r0.back().sumC;
    }
    double pos_norm = std::max(sumG, 1.0), neg_norm = std::max(sumC, 1.0);
    bool no_gt = sumG == 0;
    double wpos = no_gt ? 0 : 1 / pos_norm, wneg = 1 / neg_norm, wctr = no_gt ? 0 : 0.75 / g.B;
    double lp = 0, ln = 0, lc = 0;
    std::vector<double> gm(2 * g.C, 0), gsg(2 * g.C, 0);
    double worst = 0;
    for (int b = 0; b < g.B; ++b) {
      int G = (int)g.labels[b].size();
      auto r = aaref::loss(g.cls[b].data(), g.dist[b].data(), g.obj[b].data(), pts.data(), g.gt[b].data(),
                           g.labels[b].data(), g.mean.data(), g.sigma.data(), P, g.C, G, wpos, wneg, wctr);
      lp += r.Lpos;
      ln += r.Lneg;
      lc += r.z;
      for (int i = 0; i < 2 * g.C; ++i) {
        gm[i] += r.dmean[i];
        gsg[i] += r.dsigma[i];
      }
      worst = std::max({worst, norm_rel(r.dcls, g.gcls[b]), norm_rel(r.ddist, g.gdist[b]), norm_rel(r.dobj, g.gobj[b])});
    }
    lp = no_gt ? 0 : lp / pos_norm;
    ln /= neg_norm;
    lc = no_gt ? 0 : 0.75 * lc / g.B;
    worst = std::max({worst, norm_rel(gm, g.gmean), norm_rel(gsg, g.gsigma)});
    CHECK(close_rel(lp, g.loss_pos, 1e-9, 1e-12), "%s loss_pos %.12g vs %.12g", name, lp, g.loss_pos);
    CHECK(close_rel(ln, g.loss_neg, 1e-9, 1e-12), "%s loss_neg %.12g vs %.12g", name, ln, g.loss_neg);
    CHECK(close_rel(lc, g.loss_center, 1e-9, 1e-12), "%s loss_center %.12g vs %.12g", name, lc, g.loss_center);
    CHECK(worst < 1e-8, "%s gradients normwise rel err %g", name, worst);
    std::printf("  %-24s loss_pos %.10g loss_neg %.10g loss_center %.10g  grad err %.2e\n", name, lp, ln, lc, worst);
  }
}

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : AA_TEST_DATA_DIR;
  test_bce();
  test_giou();
  test_center_prior_and_pos();
  test_neg_weight_order();
  test_groupnorm();
  test_misc();
  test_nms_goldens(dir);
  test_loss_goldens(dir);
  std::printf("%d checks, %d failed\n", g_checks, g_fail);
  std::printf(g_fail ? "HOST TESTS FAILED\n" : "HOST TESTS PASSED\n");
  return g_fail ? 1 : 0;
}
