// aa_ref.h — CPU twins of the kernels: straightforward, unfused, double-precision reference
// implementations written directly from the specs (AA_2..AA_5), independent of the kernels' code paths.
// Used by the host tests (checked against MMDetection goldens) and by gpu_check (GPU vs CPU twin).
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <vector>

namespace aaref {

constexpr double EPS = 1e-12;

inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline double bce(double x, double y) {  // PyTorch BCE with log clamp at -100
  double lx = std::max(std::log(x), -100.0), l1x = std::max(std::log(1.0 - x), -100.0);
  return -(y * lx + (1.0 - y) * l1x);
}
inline double bce_grad(double x, double y) { return (x - y) / std::max(x * (1.0 - x), 1e-12); }

// ---- GIoU / IoU in double with PyTorch gradient rules ----
struct Giou {
  double iou, giou;
};
inline Giou giou(const double* p, const double* t) {
  const double eps = 1e-6;
  double a1 = (p[2] - p[0]) * (p[3] - p[1]), a2 = (t[2] - t[0]) * (t[3] - t[1]);
  double iw = std::max(std::min(p[2], t[2]) - std::max(p[0], t[0]), 0.0);
  double ih = std::max(std::min(p[3], t[3]) - std::max(p[1], t[1]), 0.0);
  double I = iw * ih, U = std::max(a1 + a2 - I, eps);
  double ew = std::max(std::max(p[2], t[2]) - std::min(p[0], t[0]), 0.0);
  double eh = std::max(std::max(p[3], t[3]) - std::min(p[1], t[1]), 0.0);
  double E = std::max(ew * eh, eps);
  return {I / U, I / U - (E - U) / E};
}
// d giou / d p (4 corners)
inline void giou_grad(const double* p, const double* t, double g, double* dp) {
  const double eps = 1e-6;
  auto selmax = [](double a, double b) { return a > b ? 1.0 : (a == b ? 0.5 : 0.0); };
  auto selmin = [](double a, double b) { return a < b ? 1.0 : (a == b ? 0.5 : 0.0); };
  double w1 = p[2] - p[0], h1 = p[3] - p[1];
  double a1 = w1 * h1, a2 = (t[2] - t[0]) * (t[3] - t[1]);
  double rx = std::min(p[2], t[2]) - std::max(p[0], t[0]), ry = std::min(p[3], t[3]) - std::max(p[1], t[1]);
  double iw = std::max(rx, 0.0), ih = std::max(ry, 0.0);
  double I = iw * ih, Ur = a1 + a2 - I, U = std::max(Ur, eps);
  double ex = std::max(p[2], t[2]) - std::min(p[0], t[0]), ey = std::max(p[3], t[3]) - std::min(p[1], t[1]);
  double ew = std::max(ex, 0.0), eh = std::max(ey, 0.0), Er = ew * eh, E = std::max(Er, eps);
  // giou = I/U - 1 + U/E
  double dI = g / U, dU = -g * I / (U * U) + g / E, dE = -g * U / (E * E);
  double dUr = Ur >= eps ? dU : 0.0;
  double da1 = dUr;
  dI -= dUr;
  double dEr = Er >= eps ? dE : 0.0;
  double dex = ex >= 0 ? dEr * eh : 0.0, dey = ey >= 0 ? dEr * ew : 0.0;
  double drx = rx >= 0 ? dI * ih : 0.0, dry = ry >= 0 ? dI * iw : 0.0;
  dp[0] = -drx * selmax(p[0], t[0]) - dex * selmin(p[0], t[0]) - da1 * h1;
  dp[1] = -dry * selmax(p[1], t[1]) - dey * selmin(p[1], t[1]) - da1 * w1;
  dp[2] = drx * selmin(p[2], t[2]) + dex * selmax(p[2], t[2]) + da1 * h1;
  dp[3] = dry * selmin(p[3], t[3]) + dey * selmax(p[3], t[3]) + da1 * w1;
}

// ---- fused-loss twin: AA_3 for one image, forward and closed-form backward ----
struct LossResult {
  double Lpos = 0, Lneg = 0, sumC = 0, z = 0;
  long npairs = 0;
  std::vector<double> dcls, ddist, dobj, dmean, dsigma, W;  // W: final negative weights [P,C]
};
// pts: [P,3] (x, y, stride). wpos/wneg/wctr: d total / d (Lpos_i, Lneg_i, z_i).
template <typename T>
LossResult loss(const T* cls, const T* dist, const T* obj, const T* pts, const T* gt, const int* labels,
                const T* mean, const T* sigma, int P, int C, int G, double wpos, double wneg, double wctr) {
  LossResult r;
  r.dcls.assign((size_t)P * C, 0.0);
  r.ddist.assign((size_t)P * 4, 0.0);
  r.dobj.assign(P, 0.0);
  r.dmean.assign((size_t)C * 2, 0.0);
  r.dsigma.assign((size_t)C * 2, 0.0);
  r.W.assign((size_t)P * C, 1.0);
  std::vector<double> sc((size_t)P * C), so(P);
  for (size_t i = 0; i < sc.size(); ++i) sc[i] = sigmoid(cls[i]);
  for (int p = 0; p < P; ++p) so[p] = sigmoid(obj[p]);
  // pairwise quantities [P][G]
  std::vector<char> inside((size_t)P * G, 0);
  std::vector<double> Cm((size_t)P * G, 0), S((size_t)P * G, 0), Ploc((size_t)P * G, 0), iou((size_t)P * G, 0),
      dx((size_t)P * G), dy((size_t)P * G);
  std::vector<double> m(P, 0.0);
  for (int p = 0; p < P; ++p) {
    double px = pts[3 * p], py = pts[3 * p + 1], st = pts[3 * p + 2];
    double pb[4] = {px - (double)dist[4 * p], py - (double)dist[4 * p + 1], px + (double)dist[4 * p + 2],
                    py + (double)dist[4 * p + 3]};
    for (int g = 0; g < G; ++g) {
      size_t k = (size_t)p * G + g;
      double X1 = gt[4 * g], Y1 = gt[4 * g + 1], X2 = gt[4 * g + 2], Y2 = gt[4 * g + 3];
      double l = px - X1, t = py - Y1, rr = X2 - px, b = Y2 - py;
      inside[k] = std::min(std::min(l, t), std::min(rr, b)) > 0;
      double tb[4] = {px - l, py - t, px + rr, py + b};
      Giou gi = giou(pb, tb);
      iou[k] = gi.iou;
      int c = labels[g];
      double ddx = (px - (X1 + X2) / 2) / st - (double)mean[2 * c], ddy = (py - (Y1 + Y2) / 2) / st - (double)mean[2 * c + 1];
      double sx = sigma[2 * c], sy = sigma[2 * c + 1];
      dx[k] = ddx;
      dy[k] = ddy;
      Cm[k] = inside[k] ? std::exp(-ddx * ddx / (2 * sx * sx)) * std::exp(-ddy * ddy / (2 * sy * sy)) : 0.0;
      Ploc[k] = std::exp(-5.0 * (1.0 - gi.giou));
      S[k] = sc[(size_t)p * C + c] * so[p] * Ploc[k];
    }
    for (int g = 0; g < G; ++g) m[p] = g == 0 ? iou[(size_t)p * G] : std::max(m[p], iou[(size_t)p * G + g]);
  }
  for (size_t k = 0; k < Cm.size(); ++k) {
    r.sumC += Cm[k];
    r.npairs += inside[k];
  }
  r.z = r.npairs > 0 ? G / std::max(r.sumC, EPS) : 0.0;
  double dzdC = (r.npairs > 0 && r.sumC >= EPS) ? -G / (r.sumC * r.sumC) : 0.0;
  std::vector<double> dsc((size_t)P * C, 0.0), dso(P, 0.0);
  // positive loss, per GT
  for (int g = 0; g < G; ++g) {
    int c = labels[g];
    double A = 0, B = 0;
    for (int p = 0; p < P; ++p) {
      size_t k = (size_t)p * G + g;
      double a = std::exp(3 * S[k]) * Cm[k];
      A += a;
      B += S[k] * a;
    }
    bool clamped = A < EPS;
    double An = clamped ? EPS : A, R = B / An;
    r.Lpos += 0.25 * bce(R, 1.0);
    double gR = wpos * 0.25 * bce_grad(R, 1.0);
    for (int p = 0; p < P; ++p) {
      size_t k = (size_t)p * G + g;
      if (!inside[k]) continue;
      double e3 = std::exp(3 * S[k]), a = e3 * Cm[k];
      double dRdS = clamped ? a * (1 + 3 * S[k]) / EPS : (a / A) * (1 + 3 * (S[k] - R));
      double dRdC = clamped ? e3 * S[k] / EPS : e3 / A * (S[k] - R);
      double dS = gR * dRdS, dC = gR * dRdC + wctr * dzdC;
      double Pcls = sc[(size_t)p * C + c] * so[p];
      double dPcls = dS * Ploc[k], dPloc = dS * Pcls;
      double dgiou = 5.0 * Ploc[k] * dPloc;  // Ploc = exp(-5(1-giou))
      double px = pts[3 * p], py = pts[3 * p + 1];
      double pb[4] = {px - (double)dist[4 * p], py - (double)dist[4 * p + 1], px + (double)dist[4 * p + 2],
                      py + (double)dist[4 * p + 3]};
      double l = px - (double)gt[4 * g], t = py - (double)gt[4 * g + 1], rr = (double)gt[4 * g + 2] - px,
             b = (double)gt[4 * g + 3] - py;
      double tb[4] = {px - l, py - t, px + rr, py + b}, dpb[4];
      giou_grad(pb, tb, dgiou, dpb);
      r.ddist[4 * p] -= dpb[0];
      r.ddist[4 * p + 1] -= dpb[1];
      r.ddist[4 * p + 2] += dpb[2];
      r.ddist[4 * p + 3] += dpb[3];
      dsc[(size_t)p * C + c] += dPcls * so[p];
      dso[p] += dPcls * sc[(size_t)p * C + c];
      double sx = sigma[2 * c], sy = sigma[2 * c + 1];
      r.dmean[2 * c] += dC * Cm[k] * dx[k] / (sx * sx);
      r.dmean[2 * c + 1] += dC * Cm[k] * dy[k] / (sy * sy);
      r.dsigma[2 * c] += dC * Cm[k] * dx[k] * dx[k] / (sx * sx * sx);
      r.dsigma[2 * c + 1] += dC * Cm[k] * dy[k] * dy[k] / (sy * sy * sy);
    }
  }
  // negative weights: GT-major enumeration, sequential overwrite (last write wins)
  for (int g = 0; g < G; ++g) {
    double umin = INFINITY, umax = -INFINITY;
    bool any = false;
    for (int p = 0; p < P; ++p)
      if (inside[(size_t)p * G + g]) {
        double u = 1.0 / std::max(1.0 - m[p], EPS);
        umin = std::min(umin, u);
        umax = std::max(umax, u);
        any = true;
      }
    if (!any) continue;
    for (int p = 0; p < P; ++p)
      if (inside[(size_t)p * G + g]) {
        double u = 1.0 / std::max(1.0 - m[p], EPS);
        r.W[(size_t)p * C + labels[g]] = 1.0 - (u - umin + EPS) / (umax - umin + EPS);
      }
  }
  for (int p = 0; p < P; ++p)
    for (int c = 0; c < C; ++c) {
      size_t i = (size_t)p * C + c;
      double q = sc[i] * so[p] * r.W[i];
      r.Lneg += 0.75 * q * q * bce(q, 0.0);
      double dq = wneg * 0.75 * (2 * q * bce(q, 0.0) + q * q * bce_grad(q, 0.0));
      dsc[i] += dq * r.W[i] * so[p];
      dso[p] += dq * r.W[i] * sc[i];
    }
  for (size_t i = 0; i < dsc.size(); ++i) r.dcls[i] = dsc[i] * sc[i] * (1 - sc[i]);
  for (int p = 0; p < P; ++p) r.dobj[p] = dso[p] * so[p] * (1 - so[p]);
  return r;
}

// ---- other ops ----
inline void groupnorm_fwd(const float* x, const float* gamma, const float* beta, int N, int C, long HW, int G,
                          double eps, std::vector<double>& y, std::vector<double>& mean, std::vector<double>& rstd) {
  int cpg = C / G;
  y.assign((size_t)N * C * HW, 0);
  mean.assign((size_t)N * G, 0);
  rstd.assign((size_t)N * G, 0);
  for (int n = 0; n < N; ++n)
    for (int g = 0; g < G; ++g) {
      const float* b = x + ((size_t)n * C + (size_t)g * cpg) * HW;
      size_t M = (size_t)cpg * HW;
      double s = 0;
      for (size_t i = 0; i < M; ++i) s += b[i];
      double mu = s / M, v = 0;
      for (size_t i = 0; i < M; ++i) v += (b[i] - mu) * (b[i] - mu);
      v /= M;
      double rs = 1.0 / std::sqrt(v + eps);
      mean[n * G + g] = mu;
      rstd[n * G + g] = rs;
      for (size_t i = 0; i < M; ++i) {
        int c = g * cpg + (int)(i / HW);
        y[((size_t)n * C + (size_t)g * cpg) * HW + i] = (b[i] - mu) * rs * gamma[c] + beta[c];
      }
    }
}
// textbook GN backward: dx = rstd*(dxhat - mean(dxhat) - xhat*mean(dxhat*xhat)), dxhat = dy*gamma
inline void groupnorm_bwd(const float* dy, const float* x, const float* gamma, int N, int C, long HW, int G,
                          double eps, std::vector<double>& dx, std::vector<double>& dgamma, std::vector<double>& dbeta) {
  std::vector<double> y, mean, rstd;
  std::vector<float> ones(C, 1.f), zeros(C, 0.f);
  groupnorm_fwd(x, ones.data(), zeros.data(), N, C, HW, G, eps, y, mean, rstd);  // y = xhat
  int cpg = C / G;
  dx.assign((size_t)N * C * HW, 0);
  dgamma.assign(C, 0);
  dbeta.assign(C, 0);
  for (int n = 0; n < N; ++n)
    for (int g = 0; g < G; ++g) {
      size_t off = ((size_t)n * C + (size_t)g * cpg) * HW, M = (size_t)cpg * HW;
      double s1 = 0, s2 = 0;
      for (size_t i = 0; i < M; ++i) {
        int c = g * cpg + (int)(i / HW);
        double dxh = dy[off + i] * (double)gamma[c];
        s1 += dxh;
        s2 += dxh * y[off + i];
        dgamma[c] += dy[off + i] * y[off + i];
        dbeta[c] += dy[off + i];
      }
      for (size_t i = 0; i < M; ++i) {
        int c = g * cpg + (int)(i / HW);
        double dxh = dy[off + i] * (double)gamma[c];
        dx[off + i] = rstd[n * G + g] * (dxh - s1 / M - y[off + i] * s2 / M);
      }
    }
}
inline void maxpool3s2_fwd(const float* x, int NC, int H, int W, std::vector<double>& y, std::vector<int>& arg) {
  int Ho = (H - 1) / 2 + 1, Wo = (W - 1) / 2 + 1;
  y.assign((size_t)NC * Ho * Wo, 0);
  arg.assign((size_t)NC * Ho * Wo, 0);
  for (int pl = 0; pl < NC; ++pl)
    for (int oh = 0; oh < Ho; ++oh)
      for (int ow = 0; ow < Wo; ++ow) {
        double best = -INFINITY;
        int bi = -1;
        for (int h = oh * 2 - 1; h <= oh * 2 + 1; ++h)
          for (int w = ow * 2 - 1; w <= ow * 2 + 1; ++w) {
            if (h < 0 || w < 0 || h >= H || w >= W) continue;
            double v = x[((size_t)pl * H + h) * W + w];
            if (bi < 0 || v > best) {
              best = v;
              bi = h * W + w;
            }
          }
        y[((size_t)pl * Ho + oh) * Wo + ow] = best;
        arg[((size_t)pl * Ho + oh) * Wo + ow] = bi;
      }
}
inline void maxpool3s2_bwd(const float* dy, const int* arg, int NC, int H, int W, std::vector<double>& dx) {
  int Ho = (H - 1) / 2 + 1, Wo = (W - 1) / 2 + 1;
  dx.assign((size_t)NC * H * W, 0);
  for (int pl = 0; pl < NC; ++pl)
    for (int o = 0; o < Ho * Wo; ++o) dx[(size_t)pl * H * W + arg[(size_t)pl * Ho * Wo + o]] += dy[(size_t)pl * Ho * Wo + o];
}
inline int nearest(int dst, int in, int out) { return std::min((int)std::floor((double)dst * in / out), in - 1); }
inline void upsample_fwd(const float* x, int NC, int Hi, int Wi, int Ho, int Wo, std::vector<double>& y) {
  y.assign((size_t)NC * Ho * Wo, 0);
  for (int pl = 0; pl < NC; ++pl)
    for (int h = 0; h < Ho; ++h)
      for (int w = 0; w < Wo; ++w)
        y[((size_t)pl * Ho + h) * Wo + w] = x[((size_t)pl * Hi + nearest(h, Hi, Ho)) * Wi + nearest(w, Wi, Wo)];
}
inline void upsample_bwd(const float* dy, int NC, int Hi, int Wi, int Ho, int Wo, std::vector<double>& dx) {
  dx.assign((size_t)NC * Hi * Wi, 0);
  for (int pl = 0; pl < NC; ++pl)
    for (int h = 0; h < Ho; ++h)
      for (int w = 0; w < Wo; ++w)
        dx[((size_t)pl * Hi + nearest(h, Hi, Ho)) * Wi + nearest(w, Wi, Wo)] += dy[((size_t)pl * Ho + h) * Wo + w];
}

// ---- post-processing twin (AA_4), float32 box math as specified ----
struct Det {
  float box[4];
  float score;
  int label;
};
inline float iou_f(const float* a, const float* b) {
  float aa = (a[2] - a[0]) * (a[3] - a[1]), ab = (b[2] - b[0]) * (b[3] - b[1]);
  float w = std::max(0.f, std::min(a[2], b[2]) - std::max(a[0], b[0]));
  float h = std::max(0.f, std::min(a[3], b[3]) - std::max(a[1], b[1]));
  float in = w * h;
  return in / (aa + ab - in);
}
// class-aware NMS via offsets; input order = index order; sort (score desc, index asc)
inline std::vector<Det> nms(const std::vector<Det>& in, float thr, int max_out) {
  std::vector<Det> out;
  if (in.empty()) return out;
  float M = -INFINITY;
  for (auto& d : in)
    for (float v : d.box) M = std::max(M, v);
  std::vector<int> order(in.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return in[a].score > in[b].score; });
  std::vector<std::array<float, 4>> ob(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    float off = (float)in[i].label * (M + 1.f);
    for (int k = 0; k < 4; ++k) ob[i][k] = in[i].box[k] + off;
  }
  std::vector<char> sup(in.size(), 0);
  for (size_t a = 0; a < order.size() && (int)out.size() < max_out; ++a) {
    int i = order[a];
    if (sup[i]) continue;
    out.push_back(in[i]);
    for (size_t b = a + 1; b < order.size(); ++b)
      if (!sup[order[b]] && iou_f(ob[i].data(), ob[order[b]].data()) > thr) sup[order[b]] = 1;
  }
  return out;
}
// prob is computed by the caller's sigmoid (pass the same float function the kernel uses to get equal ranks)
template <typename SigF>
std::vector<Det> postprocess(const float* cls, const float* dist, const float* obj, const float* pts, int C,
                             const std::vector<int>& level_start, float thr, int K, float img_w, float img_h,
                             float inv_sw, float inv_sh, float iou_thr, int max_out, SigF sig) {
  std::vector<Det> cand;
  int L = (int)level_start.size() - 1;
  for (int l = 0; l < L; ++l) {
    std::vector<std::pair<float, long>> v;
    for (long e = (long)level_start[l] * C; e < (long)level_start[l + 1] * C; ++e) {
      float pr = sig(cls[e]);
      if (pr > thr) v.push_back({pr, e});
    }
    std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.first > b.first; });
    if ((int)v.size() > K) v.resize(K);
    for (auto& [pr, e] : v) {
      int p = (int)(e / C), c = (int)(e % C);
      float px = pts[3 * p], py = pts[3 * p + 1];
      Det d;
      d.box[0] = std::min(std::max(px - dist[4 * p], 0.f), img_w) * inv_sw;
      d.box[1] = std::min(std::max(py - dist[4 * p + 1], 0.f), img_h) * inv_sh;
      d.box[2] = std::min(std::max(px + dist[4 * p + 2], 0.f), img_w) * inv_sw;
      d.box[3] = std::min(std::max(py + dist[4 * p + 3], 0.f), img_h) * inv_sh;
      d.score = pr * sig(obj[p]);
      d.label = c;
      if (d.box[2] - d.box[0] > 0.f && d.box[3] - d.box[1] > 0.f) cand.push_back(d);
    }
  }
  return nms(cand, iou_thr, max_out);
}

// ---- SGD twin ----
inline void sgd(double& p, double g, double& buf, double lr, double mom, double wd, bool first) {
  double gd = g + wd * p;
  buf = first ? gd : mom * buf + gd;
  p -= lr * buf;
}

}  // namespace aaref
