// native_kernels_emu_test.cpp — the native kernels (native/src/*.cu) on the CPU through cuda_emu.h, against the
// CPU twins (ref/aa_ref.h) with gpu_check's comparisons: normwise relative error max|got - ref| / max|ref| <= 1e-3,
// exact argmax / NMS keep lists / counts. Launch sequences, workspaces and grids are gpu_check.cu's (through the C
// wrappers where every kernel of a wrapper can run here), at small sizes. No GPU or CUDA toolkit needed.
//
// The sources are the build's copies of native/src (emu_src/, native/CMakeLists.txt): only the launch syntax
// `k<<<g, b, 0, s>>>(args)` is rewritten, to cuda_emu::kernel_call. Kernels that need the warp collectives
// (__shfl_*_sync, __ballot_sync: everything that calls aa::block_sum/block_min/block_max/warp_sum, the loss's
// warp-per-point row builder, the top-k scan) compile (CUDA_EMU_WARP_TRAPS) but are not run: kNotRun lists them.
#include "cuda_emu.h"
#include "aa_all.cu"  // emu_src/aa_all.cu, which includes the emu_src copies of every src/*.cu
#include "aa_ref.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

// ---------------------------------------------------------------- gpu_check's helpers (host memory here)
static const double TOL = 1e-3;
static int g_cases = 0, g_failed = 0;
static std::mt19937 g_rng(12345);

static std::vector<float> randn(size_t n, float mu, float sd) {
  std::normal_distribution<float> d(mu, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g_rng);
  return v;
}
// normwise relative error: max|got - ref| / max|ref|
template <typename A, typename B>
static double nrel(const std::vector<A>& a, const std::vector<B>& b) {
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
static double srel(double a, double b) { return std::fabs(a - b) / std::max(std::fabs(b), 1e-30); }
static void report(const std::string& op, const std::string& size, double err, bool extra_ok = true) {
  bool pass = err <= TOL && extra_ok && std::isfinite(err);
  ++g_cases;
  g_failed += !pass;
  std::printf("  %-34s %-40s err %.3e  %s\n", op.c_str(), size.c_str(), err, pass ? "PASS" : "FAIL");
  std::fflush(stdout);
}
template <typename T>
static std::vector<T> prefix(const std::vector<T>& v, size_t n) { return std::vector<T>(v.begin(), v.begin() + n); }

// ---------------------------------------------------------------- elementwise (aa_elementwise.cu)
// gpu_check.check_elementwise at n = 3230 (grid_1d: 13 blocks), plus a grid-3 direct launch (grid-stride loop).
static void check_elementwise() {
  const int N = 2, C = 5;
  const long long HW = 17 * 19, n = N * C * HW;
  const std::string sz = "n=" + std::to_string(n);
  auto a = randn(n, 0, 2), b = randn(n, 0, 2), dy = randn(n, 0, 1);
  std::vector<float> out(n);
  std::vector<double> ref(n);
  auto run = [&](const char* name, const std::function<int()>& f, const std::function<double(size_t)>& r) {
    std::fill(out.begin(), out.end(), -7.f);
    int rc = f();
    for (long long i = 0; i < n; ++i) ref[i] = r(i);
    report(name, sz, nrel(out, ref), rc == 0);
  };
  run("fill", [&] { return aa_fill(out.data(), 0.25f, n, 0); }, [&](size_t) { return 0.25; });
  run("add", [&] { return aa_add(out.data(), a.data(), b.data(), n, 0); }, [&](size_t i) { return (double)a[i] + b[i]; });
  run("scale", [&] { return aa_scale(out.data(), a.data(), 0.37f, n, 0); }, [&](size_t i) { return 0.37 * a[i]; });
  run("relu_fwd", [&] { return aa_relu_fwd(out.data(), a.data(), n, 0); }, [&](size_t i) { return std::max(0.0, (double)a[i]); });
  run("relu_bwd", [&] { return aa_relu_bwd(out.data(), dy.data(), a.data(), n, 0); },
      [&](size_t i) { return a[i] > 0 ? (double)dy[i] : 0.0; });
  run("sigmoid_fwd", [&] { return aa_sigmoid_fwd(out.data(), a.data(), n, 0); }, [&](size_t i) { return aaref::sigmoid(a[i]); });
  std::vector<float> y(n);
  for (long long i = 0; i < n; ++i) y[i] = aa::sigmoid_fwd(a[i]);
  run("sigmoid_bwd", [&] { return aa_sigmoid_bwd(out.data(), dy.data(), y.data(), n, 0); },
      [&](size_t i) { return (double)dy[i] * y[i] * (1.0 - y[i]); });
  run("clamp_min_fwd", [&] { return aa_clamp_min_fwd(out.data(), a.data(), 0.1f, n, 0); },
      [&](size_t i) { return std::max(0.1, (double)a[i]) == 0.1 ? (double)0.1f : (double)a[i]; });
  run("clamp_min_bwd", [&] { return aa_clamp_min_bwd(out.data(), dy.data(), a.data(), 0.1f, n, 0); },
      [&](size_t i) { return a[i] >= 0.1f ? (double)dy[i] : 0.0; });
  auto bias = randn(C, 0, 1);
  run("bias_add_nchw", [&] { return aa_bias_add_nchw(out.data(), a.data(), bias.data(), N, C, HW, 0); },
      [&](size_t i) { return (double)a[i] + bias[(i / HW) % C]; });
  // aa_bias_add_nchw_f32 with grid (1, N*C): one block strides over the plane
  std::fill(out.begin(), out.end(), -7.f);
  launch(aa_bias_add_nchw_f32, dim3(1, N * C), dim3(AA_BLOCK), out.data(), a.data(), bias.data(), C, HW);
  for (long long i = 0; i < n; ++i) ref[i] = (double)a[i] + bias[(i / HW) % C];
  report("bias_add_nchw_f32 grid (1,N*C)", sz, nrel(out, ref));
  // head distance transform, scale 1.3 (device scalar), stride 8
  const long long hn = 2LL * 4 * 97;
  std::vector<float> sc{1.3f};
  std::fill(out.begin(), out.end(), -7.f);
  int rc = aa_head_dist_fwd(out.data(), a.data(), sc.data(), 8.f, hn, 0);
  std::vector<double> hr(hn);
  for (long long i = 0; i < hn; ++i) hr[i] = std::max((double)(a[i] * sc[0]), 0.0) * 8;
  report("head_dist_fwd", "n=" + std::to_string(hn), nrel(prefix(out, hn), hr), rc == 0 && out[hn] == -7.f);
  // the grid-stride loop: aa_add_f32 on 3 blocks
  std::fill(out.begin(), out.end(), -7.f);
  launch(aa_add_f32, dim3(3), dim3(AA_BLOCK), out.data(), a.data(), b.data(), n);
  for (long long i = 0; i < n; ++i) ref[i] = (double)a[i] + b[i];
  report("add_f32 grid 3", sz, nrel(out, ref));
}

// ---------------------------------------------------------------- GroupNorm (aa_groupnorm.cu)
// aa_gn_fwd_stats / aa_gn_bwd_reduce (aa::block_sum: __shfl_xor_sync) do not run here: ws holds what they write
// (per plane Σx, Σx² / Σdy·x, Σdy in double), the rest of aa_groupnorm_fwd / aa_groupnorm_bwd runs as the wrappers
// launch it, against aaref::groupnorm_fwd / groupnorm_bwd.
static void check_groupnorm(int N, int C, int G, long long HW, bool small_grid) {
  const long long n = N * C * HW;
  auto x = randn(n, 0.3f, 1.7f), dy = randn(n, 0, 1), ga = randn(C, 1, 0.3f), be = randn(C, 0, 0.3f);
  std::vector<float> y(n, -7.f), gx(n, -7.f), mean(N * G, -7.f), rstd(N * G, -7.f), dg(C, -7.f), db(C, -7.f);
  std::vector<double> ws(2 * N * C);
  for (int nc = 0; nc < N * C; ++nc) {
    double s1 = 0, s2 = 0;
    for (long long i = 0; i < HW; ++i) s1 += x[nc * HW + i], s2 += (double)x[nc * HW + i] * x[nc * HW + i];
    ws[2 * nc] = s1, ws[2 * nc + 1] = s2;
  }
  dim3 grid(small_grid ? 1 : aa::grid_1d(HW, AA_BLOCK, 64), (unsigned)(N * C));
  launch(aa_gn_fwd_norm, grid, dim3(AA_BLOCK), y.data(), mean.data(), rstd.data(), x.data(), ga.data(), be.data(),
         ws.data(), C, HW, G, 1e-5f);
  std::vector<double> yr, mr, rr;
  aaref::groupnorm_fwd(x.data(), ga.data(), be.data(), N, C, HW, G, 1e-5, yr, mr, rr);
  char sz[96];
  std::snprintf(sz, sizeof sz, "[%d,%d,%lld] G=%d grid (%u,%u)", N, C, HW, G, grid.x, grid.y);
  report("gn_fwd_norm (ws from host)", sz, std::max({nrel(y, yr), nrel(mean, mr), nrel(rstd, rr)}));
  for (int nc = 0; nc < N * C; ++nc) {
    double s1 = 0, s2 = 0;
    for (long long i = 0; i < HW; ++i) s1 += (double)dy[nc * HW + i] * x[nc * HW + i], s2 += dy[nc * HW + i];
    ws[2 * nc] = s1, ws[2 * nc + 1] = s2;
  }
  launch(aa_gn_bwd_dx, grid, dim3(AA_BLOCK), gx.data(), dy.data(), x.data(), mean.data(), rstd.data(), ga.data(),
         ws.data(), C, HW, G);
  launch(aa_gn_bwd_params, dim3((C + AA_BLOCK - 1) / AA_BLOCK), dim3(AA_BLOCK), dg.data(), db.data(), mean.data(),
         rstd.data(), ws.data(), N, C, G, 0);
  std::vector<double> dxr, dgr, dbr;
  aaref::groupnorm_bwd(dy.data(), x.data(), ga.data(), N, C, HW, G, 1e-5, dxr, dgr, dbr);
  report("gn_bwd_dx + gn_bwd_params", sz, std::max({nrel(gx, dxr), nrel(dg, dgr), nrel(db, dbr)}));
  // accumulate = 1 adds to the previous dgamma / dbeta
  launch(aa_gn_bwd_params, dim3((C + AA_BLOCK - 1) / AA_BLOCK), dim3(AA_BLOCK), dg.data(), db.data(), mean.data(),
         rstd.data(), ws.data(), N, C, G, 1);
  for (int c = 0; c < C; ++c) dgr[c] *= 2, dbr[c] *= 2;
  report("gn_bwd_params accumulate=1", sz, std::max(nrel(dg, dgr), nrel(db, dbr)));
}

// ---------------------------------------------------------------- pool / upsample (aa_pool.cu), wrappers as gpu_check
static void check_maxpool(int NC, int H, int W, bool ties) {
  int Ho = aa::pool_out_size(H), Wo = aa::pool_out_size(W);
  long long n = (long long)NC * H * W, no = (long long)NC * Ho * Wo;
  auto x = randn(n, 0, 1), dy = randn(no, 0, 1);
  if (ties)
    for (auto& v : x) v = std::round(v);  // values in a few integers: first maximum wins
  std::vector<float> y(no, -7.f), gx(n, -7.f);
  std::vector<int> arg(no, -7);
  int rc = aa_maxpool3s2_fwd(y.data(), arg.data(), x.data(), NC, H, W, 0);
  std::vector<double> yr, dxr;
  std::vector<int> ar;
  aaref::maxpool3s2_fwd(x.data(), NC, H, W, yr, ar);
  long bad = 0;
  for (long long i = 0; i < no; ++i) bad += arg[i] != ar[i];
  std::string sz = "[" + std::to_string(NC) + "," + std::to_string(H) + "," + std::to_string(W) + "]" + (ties ? " ties" : "");
  report("maxpool3s2_fwd (+argmax)", sz, nrel(y, yr), bad == 0 && rc == 0);
  if (bad) std::printf("    argmax mismatches: %ld\n", bad);
  rc = aa_maxpool3s2_bwd(gx.data(), dy.data(), arg.data(), NC, H, W, 0);
  aaref::maxpool3s2_bwd(dy.data(), ar.data(), NC, H, W, dxr);
  report("maxpool3s2_bwd", sz, nrel(gx, dxr), rc == 0);
}
static void check_upsample(int NC, int Hi, int Wi, int Ho, int Wo) {
  long long ni = (long long)NC * Hi * Wi, nout = (long long)NC * Ho * Wo;
  auto xi = randn(ni, 0, 1), dyo = randn(nout, 0, 1), base = randn(nout, 0, 1), gbase = randn(ni, 0, 1);
  std::string sz = "[" + std::to_string(NC) + "," + std::to_string(Hi) + "," + std::to_string(Wi) + "]->" +
                   std::to_string(Ho) + "x" + std::to_string(Wo);
  std::vector<double> ur, ubr;
  aaref::upsample_fwd(xi.data(), NC, Hi, Wi, Ho, Wo, ur);
  aaref::upsample_bwd(dyo.data(), NC, Hi, Wi, Ho, Wo, ubr);
  for (int acc = 0; acc < 2; ++acc) {  // accumulate = 1: the FPN's L += up(x)
    std::vector<float> y = base, gx = gbase;
    int rc = aa_upsample_nearest_fwd(y.data(), xi.data(), NC, Hi, Wi, Ho, Wo, acc, 0);
    std::vector<double> want = ur;
    if (acc)
      for (long long i = 0; i < nout; ++i) want[i] += base[i];
    report(acc ? "upsample_nearest_fwd accumulate" : "upsample_nearest_fwd", sz, nrel(y, want), rc == 0);
    rc = aa_upsample_nearest_bwd(gx.data(), dyo.data(), NC, Hi, Wi, Ho, Wo, acc, 0);
    want = ubr;
    if (acc)
      for (long long i = 0; i < ni; ++i) want[i] += gbase[i];
    report(acc ? "upsample_nearest_bwd accumulate" : "upsample_nearest_bwd", sz, nrel(gx, want), rc == 0);
  }
}

// ---------------------------------------------------------------- loss (aa_loss.cu): the two kernels without warps
struct Levels {
  std::vector<int> start;
  std::vector<float> pts;
  int P = 0;
};
static Levels make_levels(int H, int W) {  // gpu_check.make_levels: strides 8..128, (x, y, stride) per point
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
// F1 aa_loss_fwd_maxiou (launched as aa_loss_forward does): m[p] = max_g IoU(pred_p, target_pg), vs the twin's
// double IoU (aaref::giou, as in aaref::loss). B3 aa_loss_bwd_prior: dmean/dsigma = Σ of the per-GT partials.
static void check_loss_kernels() {
  Levels lv = make_levels(64, 96);
  const int P = lv.P, G = 6, C = 300;
  const float IW = 96, IH = 64;
  std::vector<float> dist((size_t)P * 4), gt;
  std::uniform_real_distribution<float> U(0, 1);
  for (int p = 0; p < P; ++p)
    for (int k = 0; k < 4; ++k) dist[4 * p + k] = U(g_rng) < 0.05f ? 0.f : lv.pts[3 * p + 2] * (0.5f + 5.5f * U(g_rng));
  for (int g = 0; g < G; ++g) {
    float cx = IW * U(g_rng), cy = IH * U(g_rng), bw = 4 + 40 * U(g_rng), bh = 4 + 40 * U(g_rng);
    float x1 = std::max(0.f, cx - bw / 2), y1 = std::max(0.f, cy - bh / 2);
    gt.insert(gt.end(), {x1, y1, std::min(IW, x1 + bw), std::min(IH, y1 + bh)});
  }
  std::vector<float> m(P, -7.f);
  launch(aa_loss_fwd_maxiou, dim3(aa::grid_1d(P)), dim3(AA_BLOCK), dist.data(), lv.pts.data(), gt.data(), P, G, m.data());
  std::vector<double> mr(P);
  for (int p = 0; p < P; ++p) {
    double px = lv.pts[3 * p], py = lv.pts[3 * p + 1];
    double pb[4] = {px - (double)dist[4 * p], py - (double)dist[4 * p + 1], px + (double)dist[4 * p + 2],
                    py + (double)dist[4 * p + 3]};
    for (int g = 0; g < G; ++g) {
      double l = px - gt[4 * g], t = py - gt[4 * g + 1], r = gt[4 * g + 2] - px, b = gt[4 * g + 3] - py;
      double tb[4] = {px - l, py - t, px + r, py + b};
      double iou = aaref::giou(pb, tb).iou;
      mr[p] = g == 0 ? iou : std::max(mr[p], iou);
    }
  }
  report("loss_fwd_maxiou", "P=" + std::to_string(P) + " G=" + std::to_string(G), nrel(m, mr));
  // B3 with C = 300 (2 blocks), 40 GTs over 7 labels (several GTs per class), accumulate 0 then 1
  const int G2 = 40;
  std::vector<int> labels(G2);
  std::vector<double> gt_grad(4 * G2);
  for (int g = 0; g < G2; ++g) labels[g] = (int)(U(g_rng) * 7) * 41 % C;
  for (auto& v : gt_grad) v = U(g_rng) - 0.5;
  std::vector<float> dmean(2 * C, -7.f), dsigma(2 * C, -7.f);
  std::vector<double> rm(2 * C, 0.0), rs(2 * C, 0.0);
  for (int g = 0; g < G2; ++g) {
    int c = labels[g];
    rm[2 * c] += gt_grad[4 * g], rm[2 * c + 1] += gt_grad[4 * g + 1];
    rs[2 * c] += gt_grad[4 * g + 2], rs[2 * c + 1] += gt_grad[4 * g + 3];
  }
  for (int acc = 0; acc < 2; ++acc) {
    launch(aa_loss_bwd_prior, dim3((C + AA_BLOCK - 1) / AA_BLOCK), dim3(AA_BLOCK), labels.data(), gt_grad.data(), C, G2,
           dmean.data(), dsigma.data(), acc);
    std::vector<double> wm = rm, wsg = rs;
    if (acc)
      for (int i = 0; i < 2 * C; ++i) wm[i] *= 2, wsg[i] *= 2;
    report(acc ? "loss_bwd_prior accumulate=1" : "loss_bwd_prior", "C=300 G=40", std::max(nrel(dmean, wm), nrel(dsigma, wsg)));
  }
}

// ---------------------------------------------------------------- post-processing + NMS (aa_postprocess.cu)
static bool same_dets(const std::vector<aaref::Det>& ref, const std::vector<float>& b, const std::vector<float>& s,
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
static std::vector<double> bytes_ws(size_t bytes) { return std::vector<double>(bytes / 8 + 2, -7.0); }  // 8-aligned

// aa_postprocess's sequence after its top-k launch: aa_pp_topk_levels needs __shfl_up_sync / __shfl_sync /
// __ballot_sync, so its output (cand_idx/cand_prob/cand_count: per level the cells with prob > thr, by prob desc
// then cell asc, at most K) comes from the host; then aa_pp_decode and nms_run (sort, mask, select) on the wrapper's
// workspace carve, vs aaref::postprocess as gpu_check compares it.
static void check_postprocess(int H, int W, int C, int K, int max_out) {
  Levels lv = make_levels(H, W);
  const int P = lv.P, L = 5, n = L * K;
  auto cls = randn((size_t)P * C, -5.f, 1.5f), obj = randn(P, 0, 1.5f);
  std::vector<float> dist((size_t)P * 4);
  std::uniform_real_distribution<float> U(0, 1);
  for (int p = 0; p < P; ++p)
    for (int k = 0; k < 4; ++k) dist[4 * p + k] = U(g_rng) < 0.02f ? 0.f : lv.pts[3 * p + 2] * 4 * U(g_rng);
  const float img_w = W - 17.f, img_h = (float)H, isw = 1.f / 1.874f, ish = 1.f / 1.8735f, thr = 0.05f;
  std::vector<double> wsv = bytes_ws(aa_pp_workspace_bytes(L, K));
  void* ws = wsv.data();
  NmsWs w = nms_carve(ws, n);  // the carve of aa_postprocess
  char* b = (char*)ws + nms_ws_bytes(n);
  int* cand_idx = (int*)b;
  b += 4 * (size_t)n;
  float* cand_prob = (float*)b;
  b += 4 * (size_t)n;
  float* boxes = (float*)b;
  b += 16 * (size_t)n;
  float* scores = (float*)b;
  b += 4 * (size_t)n;
  int* labels = (int*)b;
  b += 4 * (size_t)n;
  int* cand_count = (int*)b;
  cudaMemsetAsync(w.counters, 0, 2 * sizeof(unsigned), 0);
  int truncated = 0;
  for (int l = 0; l < L; ++l) {  // host stand-in of aa_pp_topk_levels
    std::vector<std::pair<float, int>> v;
    for (long long e = (long long)lv.start[l] * C; e < (long long)lv.start[l + 1] * C; ++e) {
      float pr = aa::sigmoid_fwd(cls[e]);
      if (pr > thr) v.push_back({pr, (int)e});
    }
    std::stable_sort(v.begin(), v.end(), [](auto& x, auto& y) { return x.first > y.first; });
    truncated += (int)v.size() > K;
    int cnt = std::min((int)v.size(), K);
    for (int i = 0; i < cnt; ++i) cand_idx[l * K + i] = v[i].second, cand_prob[l * K + i] = v[i].first;
    cand_count[l] = cnt;
  }
  launch(aa_pp_decode, dim3((n + AA_BLOCK - 1) / AA_BLOCK), dim3(AA_BLOCK), cand_idx, cand_prob, cand_count, L, K, C,
         dist.data(), obj.data(), lv.pts.data(), img_w, img_h, isw, ish, boxes, scores, labels, w.valid, w.counters);
  std::vector<float> ob(4 * max_out, -7.f), os(max_out, -7.f);
  std::vector<int> ol(max_out, -7), oc(1, -7);
  int rc = nms_run(boxes, scores, labels, n, 0.6f, max_out, w, ob.data(), os.data(), ol.data(), oc.data(), 0);
  auto ref = aaref::postprocess(cls.data(), dist.data(), obj.data(), lv.pts.data(), C, lv.start, thr, K, img_w, img_h,
                                isw, ish, 0.6f, max_out, [](float x) { return aa::sigmoid_fwd(x); });
  double err;
  bool ok = same_dets(ref, ob, os, ol, oc[0], &err);
  char sz[96];
  std::snprintf(sz, sizeof sz, "P=%d C=%d K=%d: %d dets, %d lvl>K", P, C, K, oc[0], truncated);
  report("postprocess (host topk)+decode+nms", sz, err, ok && rc == 0);
}

// aa_nms (every kernel runs here: init, sort, mask, select) on random boxes, vs aaref::nms (gpu_check's case)
static void check_nms_random(int nb) {
  std::vector<aaref::Det> dets(nb);
  std::vector<float> bx, sc;
  std::vector<int> lb;
  std::uniform_real_distribution<float> U(0, 1);
  for (auto& d : dets) {
    float cx = 400 * U(g_rng), cy = 300 * U(g_rng), w = 10 + 150 * U(g_rng), h = 10 + 150 * U(g_rng);
    int cl = (int)(U(g_rng) * 8) % 8 * 10;  // 8 distinct classes among 80 -> many same-class overlaps
    float b[4] = {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
    for (int k = 0; k < 4; ++k) d.box[k] = b[k], bx.push_back(b[k]);
    d.score = std::round(U(g_rng) * 200) / 200;  // exact ties
    d.label = cl;
    sc.push_back(d.score);
    lb.push_back(cl);
  }
  std::vector<float> o_b(4 * nb, -7.f), o_s(nb, -7.f);
  std::vector<int> o_l(nb, -7), o_c(1, -7);
  std::vector<double> w = bytes_ws(aa_nms_workspace_bytes(nb));
  int rc = aa_nms(bx.data(), sc.data(), lb.data(), nb, 0.6f, nb, w.data(), o_b.data(), o_s.data(), o_l.data(), o_c.data(), 0);
  auto r2 = aaref::nms(dets, 0.6f, nb);
  double e2;
  bool ok = same_dets(r2, o_b, o_s, o_l, o_c[0], &e2);
  report("nms (class-aware)", std::to_string(nb) + " boxes -> " + std::to_string(o_c[0]) + " kept", e2, ok && rc == 0);
  // max_out cuts the walk: the first 7 of the same list
  rc = aa_nms(bx.data(), sc.data(), lb.data(), nb, 0.6f, 7, w.data(), o_b.data(), o_s.data(), o_l.data(), o_c.data(), 0);
  ok = same_dets(aaref::nms(dets, 0.6f, 7), o_b, o_s, o_l, o_c[0], &e2);
  report("nms max_out=7", std::to_string(nb) + " boxes", e2, ok && rc == 0);
}

// the MMCV goldens (tests/data/nms_case*.txt, from shared goldens): gpu_check.check_nms_goldens, keep lists exact
static void check_nms_goldens(const std::string& dir) {
  for (const char* name : {"nms_case1", "nms_case2"}) {
    std::ifstream f(dir + "/" + name + ".txt");
    std::string tag;
    int n;
    double thr;
    if (!(f >> tag >> n >> thr)) {
      report(std::string("nms golden ") + name, "not found in " + dir, INFINITY, false);
      continue;
    }
    std::vector<float> bx(4 * n), sc(n);
    std::vector<int> lb(n);
    for (int i = 0; i < n; ++i) {
      double v;
      for (int k = 0; k < 4; ++k) f >> v, bx[4 * i + k] = (float)v;
      f >> v;
      sc[i] = (float)v;
      f >> lb[i];
    }
    int k;
    f >> k;
    std::vector<int> keep(k);
    for (int& i : keep) f >> i;
    std::vector<float> o_b(4 * n, -7.f), o_s(n, -7.f);
    std::vector<int> o_l(n, -7), o_c(1, -7);
    std::vector<double> w = bytes_ws(aa_nms_workspace_bytes(n));
    int rc = aa_nms(bx.data(), sc.data(), lb.data(), n, (float)thr, n, w.data(), o_b.data(), o_s.data(), o_l.data(),
                    o_c.data(), 0);
    int m = o_c[0];
    bool ok = m == k && rc == 0;
    for (int i = 0; ok && i < m; ++i) ok = std::memcmp(&o_b[4 * i], &bx[4 * keep[i]], 16) == 0;
    report(std::string("nms golden ") + name, std::to_string(n) + " boxes -> " + std::to_string(m) + " (mmcv keep " +
                                                  std::to_string(k) + ")", ok ? 0.0 : 1.0, ok);
  }
}

// ---------------------------------------------------------------- SGD (aa_sgd.cu): gpu_check.check_sgd, smaller
static void check_sgd() {
  const long long total = 23456;
  const long long sizes[] = {1, 7, 256, 300, 2048, 2049, 4000};
  std::uniform_int_distribution<int> pick(0, 6);
  std::vector<float> Pv(total), Gv(total), Bv(total, 0.f);
  std::vector<AaSgdSeg> segs;
  long long off = 0;
  while (off < total) {
    long long n = std::min(sizes[pick(g_rng)], total - off);
    AaSgdSeg s;
    s.p = Pv.data() + off;
    s.g = (segs.size() % 7 == 3) ? nullptr : Gv.data() + off;
    s.buf = Bv.data() + off;
    s.start = off;
    s.n = n;
    s.wd = n <= 2048 ? 0.f : 1e-4f;
    s.first = 1;
    segs.push_back(s);
    off += n;
  }
  auto p0 = randn(total, 0, 0.05f), g0 = randn(total, 0, 0.01f), g1 = randn(total, 0, 0.01f);
  Pv = p0;
  Gv = g0;
  int ns = (int)segs.size();
  int rc = aa_sgd_update(segs.data(), ns, total, 0.01f, 0.9f, 0);  // step 1 (first)
  for (auto& s : segs) s.first = 0;
  Gv = g1;
  rc |= aa_sgd_update(segs.data(), ns, total, 0.005f, 0.9f, 0);  // step 2
  std::vector<double> pr(total), br(total, 0);
  for (auto& s : segs)
    for (long long i = s.start; i < s.start + s.n; ++i) {
      pr[i] = p0[i];
      if (!s.g) continue;
      aaref::sgd(pr[i], g0[i], br[i], 0.01, 0.9, s.wd, true);
      aaref::sgd(pr[i], g1[i], br[i], 0.005, 0.9, s.wd, false);
    }
  double e = std::max(nrel(Pv, pr), nrel(Bv, br));
  std::vector<double> du(total), dr(total);  // the update itself (p - p0)
  for (long long i = 0; i < total; ++i) du[i] = (double)Pv[i] - p0[i], dr[i] = pr[i] - p0[i];
  e = std::max(e, nrel(du, dr));
  report("sgd_update (two steps)", std::to_string(total) + " params, " + std::to_string(ns) + " tensors", e, rc == 0);
}

// ---------------------------------------------------------------- the emulator's __syncwarp
// Two warps exchange within themselves through shared memory, separated by __syncwarp only (no __syncthreads).
__global__ void emu_syncwarp(int* out) {
  __shared__ int sh[64];
  int lane = threadIdx.x & 31, base = threadIdx.x & ~31;
  for (int r = 0; r < 3; ++r) {
    sh[threadIdx.x] = (int)(blockIdx.x * 1000 + r * 100 + threadIdx.x);
    __syncwarp();
    out[(blockIdx.x * 3 + r) * 64 + threadIdx.x] = sh[base + (31 - lane)];
    __syncwarp();
  }
}
static void check_emulator() {
  std::vector<int> out(2 * 3 * 64, -7);
  launch(emu_syncwarp, dim3(2), dim3(64), out.data());
  bool ok = true;
  for (int b = 0; b < 2; ++b)
    for (int r = 0; r < 3; ++r)
      for (int t = 0; t < 64; ++t) ok &= out[(b * 3 + r) * 64 + t] == b * 1000 + r * 100 + (t & ~31) + 31 - (t & 31);
  report("cuda_emu __syncwarp exchange", "2 blocks x 64", ok ? 0.0 : 1.0, ok);
}

// Kernels compiled here but not run: each needs a warp collective the emulator does not fake.
static const char* kNotRun[] = {
    "aa_bias_grad_nchw_f32, aa_head_dist_bwd_f32, aa_sum_partials_f64 (aa::block_sum -> __shfl_xor_sync)",
    "aa_gn_fwd_stats, aa_gn_bwd_reduce (aa::block_sum -> __shfl_xor_sync; ws from the host instead)",
    "aa_loss_fwd_gt, aa_loss_fwd_finalize, aa_loss_bwd_gt (block_sum/min/max -> __shfl_xor_sync)",
    "aa_loss_fwd_neg, aa_loss_bwd_point (warp per point: __ballot_sync, __shfl_sync, warp_sum)",
    "aa_pp_topk_levels (block_excl_scan: __shfl_up_sync; bin select: __shfl_sync, __ballot_sync; candidates from the host instead)",
};

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : AA_TEST_DATA_DIR;
  auto t0 = std::chrono::steady_clock::now();
  std::printf("native kernels (native/src) under cuda_emu vs aa_ref.h, tolerance %.0e (normwise)\n", TOL);
  check_emulator();
  check_elementwise();
  check_groupnorm(2, 8, 4, 300, false);  // grid (2, 16)
  check_groupnorm(2, 6, 2, 300, true);   // grid (1, 12): the HW loop strides
  check_groupnorm(1, 3, 1, 7, false);
  check_maxpool(6, 23, 29, false);
  check_maxpool(4, 24, 30, true);
  check_upsample(6, 5, 7, 10, 14);   // exact 2x (FPN)
  check_upsample(4, 13, 19, 25, 38);  // non-integer ratio
  check_upsample(3, 10, 9, 4, 5);     // downsampling: some inputs get no gradient
  check_loss_kernels();
  check_postprocess(128, 192, 8, 50, 100);  // level 0 has more than K candidates; max_out stops the walk
  check_postprocess(64, 96, 3, 20, 100);    // fewer detections than max_out
  check_nms_random(300);
  check_nms_goldens(dir);
  check_sgd();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("not run (warp collectives):\n");
  for (const char* k : kNotRun) std::printf("  %s\n", k);
  std::printf("native kernels under cuda_emu: %d cases, %d failed (%.2f s)\n", g_cases, g_failed, s);
  return g_failed ? 1 : 0;
}
