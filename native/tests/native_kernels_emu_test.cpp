// native_kernels_emu_test.cpp — the native kernels (native/src/*.cu) on the CPU through cuda_emu.h, against the
// CPU twins (ref/aa_ref.h) with gpu_check's comparisons: normwise relative error max|got - ref| / max|ref| <= 1e-3,
// exact argmax / NMS keep lists / counts / top-k candidate lists. Launch sequences, workspaces and grids are
// gpu_check.cu's (through the C wrappers: aa_groupnorm_fwd/bwd, aa_loss_forward/backward, aa_postprocess, ...),
// at small sizes. No GPU or CUDA toolkit needed.
//
// The sources are the build's copies of native/src (emu_src/, native/CMakeLists.txt): only the launch syntax
// `k<<<g, b, 0, s>>>(args)` is rewritten, to cuda_emu::kernel_call. Every kernel runs here, the warp-collective
// ones (aa::block_sum/block_min/block_max/warp_sum users, the loss's warp-per-point row builder, the top-k scan
// and bin select) through the emulator's full-mask collectives; check_emulator() first checks those collectives
// against CUDA's documented rules and that misuse (partial mask, partial or divergent warp, deadlock) aborts;
// check_coverage() last, that every kernel of native/src was launched.
#include "cuda_emu.h"
#include "aa_all.cu"  // emu_src/aa_all.cu, which includes the emu_src copies of every src/*.cu
#include "aa_ref.h"
#include "check_support.h"  // gpu_check's helpers: TOL, g_rng, randn/randu, nrel/srel, levels, loss/NMS/SGD

#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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

// ---------------------------------------------------------------- this test's report (host memory here)
static int g_cases = 0, g_failed = 0;

static void report(const std::string& op, const std::string& size, double err, bool extra_ok = true) {
  bool pass = passes(err, extra_ok);
  ++g_cases;
  g_failed += !pass;
  std::printf("  %-38s %-42s err %.3e  %s\n", op.c_str(), size.c_str(), err, pass ? "PASS" : "FAIL");
  std::fflush(stdout);
}
static std::vector<double> bytes_ws(size_t bytes) { return std::vector<double>(bytes / 8 + 2, -7.0); }  // 8-aligned
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

  // the reductions (aa::block_sum: warp_sum's __shfl_xor_sync): bias grad over C blocks, accumulate 0 then 1
  std::vector<float> gb(C, -7.f);
  std::vector<double> gr(C, 0.0);
  for (long long i = 0; i < n; ++i) gr[(i / HW) % C] += dy[i];
  rc = aa_bias_grad_nchw(gb.data(), dy.data(), N, C, HW, 0, 0);
  report("bias_grad_nchw", "[2,5,17,19]", nrel(gb, gr), rc == 0);
  rc = aa_bias_grad_nchw(gb.data(), dy.data(), N, C, HW, 1, 0);
  for (auto& v : gr) v *= 2;
  report("bias_grad_nchw accumulate=1", "[2,5,17,19]", nrel(gb, gr), rc == 0);
  // head distance backward: draw + dscale through grid_1d(n) partials and aa_sum_partials_f64 (gpu_check's case)
  std::vector<double> ws(AA_REDUCE_BLOCKS, -7.0);
  std::vector<float> dsg{-7.f};
  double gs = 0;
  for (long long i = 0; i < hn; ++i) {
    bool on = a[i] * sc[0] >= 0;
    hr[i] = on ? (double)dy[i] * 8 * sc[0] : 0;
    gs += on ? (double)dy[i] * 8 * a[i] : 0;
  }
  std::fill(out.begin(), out.end(), -7.f);
  rc = aa_head_dist_bwd(out.data(), dsg.data(), dy.data(), a.data(), sc.data(), 8.f, hn, 0, ws.data(), 0);
  report("head_dist_bwd (+dscale)", "n=" + std::to_string(hn) + " grid " + std::to_string(aa::grid_1d(hn)),
         std::max(nrel(prefix(out, hn), hr), srel(dsg[0], gs)), rc == 0 && out[hn] == -7.f);
  rc = aa_head_dist_bwd(out.data(), dsg.data(), dy.data(), a.data(), sc.data(), 8.f, hn, 1, ws.data(), 0);
  report("head_dist_bwd accumulate=1", "n=" + std::to_string(hn), srel(dsg[0], 2 * gs), rc == 0);
  // 2 blocks: the grid-stride loop feeding the block sums, then 2 partials
  launch(aa_head_dist_bwd_f32, dim3(2), dim3(AA_BLOCK), out.data(), ws.data(), dy.data(), a.data(), sc.data(), 8.f, hn);
  launch(aa_sum_partials_f64, dim3(1), dim3(AA_BLOCK), dsg.data(), ws.data(), 2, 0);
  report("head_dist_bwd_f32 grid 2 + sum_partials", "n=" + std::to_string(hn),
         std::max(nrel(prefix(out, hn), hr), srel(dsg[0], gs)));
  // aa_sum_partials_f64 over 700 partials (each thread strides), accumulate=1 onto 0.5
  std::vector<double> parts(700);
  double ps = 0.5;
  for (auto& v : parts) v = (double)randn(1, 0, 1)[0], ps += v;
  dsg[0] = 0.5f;
  launch(aa_sum_partials_f64, dim3(1), dim3(AA_BLOCK), dsg.data(), parts.data(), 700, 1);
  report("sum_partials_f64 accumulate=1", "700 partials", srel(dsg[0], ps));
}

// ---------------------------------------------------------------- GroupNorm (aa_groupnorm.cu)
// gpu_check.check_groupnorm: the wrappers (stats / reduce with aa::block_sum, then norm / dx / params) vs
// aaref::groupnorm_fwd / groupnorm_bwd; the per-plane sums the stats kernel leaves in ws vs the host's. Then
// aa_gn_fwd_norm on a (1, N*C) grid (its HW loop strides) and aa_gn_bwd_params with accumulate = 1.
static void check_groupnorm(int N, int C, int G, long long HW) {
  const long long n = N * C * HW;
  auto x = randn(n, 0.3f, 1.7f), dy = randn(n, 0, 1), ga = randn(C, 1, 0.3f), be = randn(C, 0, 0.3f);
  std::vector<float> y(n, -7.f), gx(n, -7.f), mean(N * G, -7.f), rstd(N * G, -7.f), dg(C, -7.f), db(C, -7.f);
  std::vector<double> ws(2 * N * C, -7.0), wsr(2 * N * C);
  for (int nc = 0; nc < N * C; ++nc) {
    double s1 = 0, s2 = 0;
    for (long long i = 0; i < HW; ++i) s1 += x[nc * HW + i], s2 += (double)x[nc * HW + i] * x[nc * HW + i];
    wsr[2 * nc] = s1, wsr[2 * nc + 1] = s2;
  }
  int rc = aa_groupnorm_fwd(y.data(), mean.data(), rstd.data(), x.data(), ga.data(), be.data(), N, C, HW, G, 1e-5f,
                            ws.data(), 0);
  std::vector<double> yr, mr, rr;
  aaref::groupnorm_fwd(x.data(), ga.data(), be.data(), N, C, HW, G, 1e-5, yr, mr, rr);
  char sz[96];
  std::snprintf(sz, sizeof sz, "[%d,%d,%lld] G=%d", N, C, HW, G);
  report("groupnorm_fwd", sz, std::max({nrel(y, yr), nrel(mean, mr), nrel(rstd, rr)}), rc == 0);
  report("gn_fwd_stats (ws sums)", sz, nrel(ws, wsr));
  std::vector<float> y1(n, -7.f);
  launch(aa_gn_fwd_norm, dim3(1, N * C), dim3(AA_BLOCK), y1.data(), mean.data(), rstd.data(), x.data(), ga.data(),
         be.data(), ws.data(), C, HW, G, 1e-5f);
  report("gn_fwd_norm grid (1,N*C)", sz, nrel(y1, yr));
  for (int nc = 0; nc < N * C; ++nc) {
    double s1 = 0, s2 = 0;
    for (long long i = 0; i < HW; ++i) s1 += (double)dy[nc * HW + i] * x[nc * HW + i], s2 += dy[nc * HW + i];
    wsr[2 * nc] = s1, wsr[2 * nc + 1] = s2;
  }
  rc = aa_groupnorm_bwd(gx.data(), dg.data(), db.data(), dy.data(), x.data(), mean.data(), rstd.data(), ga.data(), N,
                        C, HW, G, 0, ws.data(), 0);
  std::vector<double> dxr, dgr, dbr;
  aaref::groupnorm_bwd(dy.data(), x.data(), ga.data(), N, C, HW, G, 1e-5, dxr, dgr, dbr);
  report("groupnorm_bwd", sz, std::max({nrel(gx, dxr), nrel(dg, dgr), nrel(db, dbr)}), rc == 0);
  report("gn_bwd_reduce (ws sums)", sz, nrel(ws, wsr));
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

// ---------------------------------------------------------------- loss (aa_loss.cu)
// F1 aa_loss_fwd_maxiou (launched as aa_loss_forward does): m[p] = max_g IoU(pred_p, target_pg), vs the twin's
// double IoU (aaref::giou, as in aaref::loss). B3 aa_loss_bwd_prior: dmean/dsigma = Σ of the per-GT partials.
static void check_loss_kernels() {
  Levels lv = make_levels(64, 96);
  const int P = lv.P, G = 6, C = 300;
  const float IW = 96, IH = 64;
  std::vector<float> dist = loss_dists(lv.pts, P), gt;
  std::uniform_real_distribution<float> U(0, 1);
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

// The fused loss end to end, as gpu_check.check_loss_case runs it: aa_loss_forward (maxiou, per-GT block sums,
// warp-per-point negatives, finalize) then aa_loss_backward (per-GT prior partials, warp-per-point gradients,
// prior sums), vs aaref::loss with the same weights. Returns the kernel's results for the golden comparison.
struct LossOut {
  std::vector<double> stats;
  std::vector<float> dcls, ddist, dobj;
  double err = 0;  // vs the twin: max of the forward and gradient errors
  bool ok = true;
};
static LossOut run_loss(const std::string& name, const std::vector<float>& pts, int P, int C, int G,
                        const std::vector<float>& cls, const std::vector<float>& dist, const std::vector<float>& obj,
                        const std::vector<float>& gt, const std::vector<int>& lab, const std::vector<float>& mean,
                        const std::vector<float>& sigma, double wpos, double wneg, double wctr,
                        std::vector<float>& dmean, std::vector<float>& dsigma, int accumulate_prior, bool print) {
  LossOut o;
  std::vector<double> ws = bytes_ws(aa_loss_workspace_bytes(P, G));
  o.stats.assign(8, -7.0);
  o.dcls.assign((size_t)P * C, -7.f);
  o.ddist.assign((size_t)P * 4, -7.f);
  o.dobj.assign(P, -7.f);
  const float* gtp = G ? gt.data() : nullptr;
  const int* labp = G ? lab.data() : nullptr;
  int rc = aa_loss_forward(cls.data(), dist.data(), obj.data(), pts.data(), gtp, labp, mean.data(), sigma.data(), P, C,
                           G, ws.data(), o.stats.data(), 0);
  rc |= aa_loss_backward(cls.data(), dist.data(), obj.data(), pts.data(), gtp, labp, mean.data(), sigma.data(), P, C, G,
                         ws.data(), o.stats.data(), (float)wpos, (float)wneg, (float)wctr, o.dcls.data(),
                         o.ddist.data(), o.dobj.data(), dmean.data(), dsigma.data(), accumulate_prior, 0);
  auto r = aaref::loss(cls.data(), dist.data(), obj.data(), pts.data(), gtp, labp, mean.data(), sigma.data(), P, C, G,
                       wpos, wneg, wctr);
  const auto& st = o.stats;
  double ef = loss_fwd_err(st.data(), r, G);
  bool count_ok = (long)st[4] == r.npairs && st[3] == G && st[6] == 0 && st[7] == 0;
  if (print) print_loss_fwd(name.c_str(), st.data(), r);
  std::string sz = loss_size(P, C, G);
  if (print) report("loss_fwd " + name, sz, ef, count_ok && rc == 0);
  std::vector<double> wm = r.dmean, wsg = r.dsigma;
  if (accumulate_prior) wm.clear(), wsg.clear();  // the caller compares the accumulated prior gradients
  double ec = nrel(o.dcls, r.dcls), ed = nrel(o.ddist, r.ddist), eo = nrel(o.dobj, r.dobj),
         em = wm.empty() ? 0 : nrel(dmean, wm), es = wsg.empty() ? 0 : nrel(dsigma, wsg);
  if (print) {
    print_loss_grads(name.c_str(), ec, ed, eo, em, es);
    report("loss_bwd " + name, sz, std::max({ec, ed, eo, em, es}), rc == 0);
  }
  o.err = std::max({ef, ec, ed, eo, em, es});
  o.ok = o.err <= TOL && count_ok && rc == 0;
  if (!print && !o.ok)
    std::printf("    %s vs twin: fwd %.2e (counts %s) cls %.2e dist %.2e obj %.2e rc %d\n", name.c_str(), ef,
                count_ok ? "ok" : "BAD", ec, ed, eo, rc);
  return o;
}
// Two levels (strides 8, 16) over IW x IH: (x, y, stride) per point.
static std::vector<float> two_levels(int IW, int IH, int* P) {
  std::vector<float> pts;
  for (int s : {8, 16})
    for (int i = 0; i < IH / s; ++i)
      for (int j = 0; j < IW / s; ++j) pts.insert(pts.end(), {(float)(j * s), (float)(i * s), (float)s});
  *P = (int)pts.size() / 3;
  return pts;
}
// gpu_check's random inputs; gts: x1 y1 x2 y2 per GT (chosen to overlap), labels as given.
static void check_loss_case(const char* name, int IW, int IH, int C, const std::vector<float>& gt,
                            const std::vector<int>& lab) {
  int P;
  const int G = (int)lab.size();
  auto pts = two_levels(IW, IH, &P);
  auto cls = randn((size_t)P * C, -4.6f, 1.5f), obj = randn(P, 0, 1.5f);
  auto dist = loss_dists(pts, P);
  auto mean = randu(2 * C, -0.3f, 0.3f), sigma = randu(2 * C, 0.7f, 1.5f);
  const LossWeights w = single_image_weights(cls.data(), dist.data(), obj.data(), pts.data(), gt.data(), lab.data(),
                                             mean.data(), sigma.data(), P, C, G);
  std::vector<float> dmean(2 * C, -7.f), dsigma(2 * C, -7.f);
  run_loss(name, pts, P, C, G, cls, dist, obj, gt, lab, mean, sigma, w.wpos, w.wneg, w.wctr, dmean, dsigma, 0, true);
}

// The MMDetection loss goldens of host_tests (tests/data/c*.txt): every image through the kernels with
// host_tests' batch weights, vs the twin (gpu_check's tolerance), and the batch totals (Σ over images, the prior
// gradients accumulated by the kernel with accumulate_prior = 1 after the first image) vs the golden values.
static bool read_golden(const std::string& path, int& B, int& C, int& P, std::vector<float>& pts,
                        std::vector<float>& mean, std::vector<float>& sigma, std::vector<std::vector<float>>& gt,
                        std::vector<std::vector<int>>& lab, std::vector<std::vector<float>>& cls,
                        std::vector<std::vector<float>>& dist, std::vector<std::vector<float>>& obj,
                        std::vector<double>& losses, std::vector<std::vector<double>>& grads) {
  std::ifstream f(path);
  std::string tag, name;
  int L;
  if (!(f >> tag >> name >> B >> C >> L) || tag != "AAGOLD1") return false;
  std::vector<int> hs(L), wds(L), st(L);
  for (int l = 0; l < L; ++l) f >> hs[l] >> wds[l];
  for (int& s : st) f >> s;
  auto rd = [&](size_t n) {
    std::vector<float> v(n);
    double d;
    for (auto& x : v) f >> d, x = (float)d;
    return v;
  };
  auto rdd = [&](size_t n) {
    std::vector<double> v(n);
    for (auto& x : v) f >> x;
    return v;
  };
  P = 0;
  pts.clear();
  for (int l = 0; l < L; ++l)
    for (int i = 0; i < hs[l]; ++i)
      for (int j = 0; j < wds[l]; ++j, ++P)
        pts.insert(pts.end(), {(float)(j * st[l]), (float)(i * st[l]), (float)st[l]});
  mean = rd(2 * C);
  sigma = rd(2 * C);
  gt.assign(B, {});
  lab.assign(B, {});
  for (int b = 0; b < B; ++b) {
    int n;
    f >> n;
    for (int i = 0; i < n; ++i) {
      auto bx = rd(4);
      gt[b].insert(gt[b].end(), bx.begin(), bx.end());
      int l;
      f >> l;
      lab[b].push_back(l);
    }
  }
  cls.clear(), dist.clear(), obj.clear(), grads.clear();
  for (int b = 0; b < B; ++b) {
    cls.push_back(rd((size_t)P * C));
    dist.push_back(rd((size_t)P * 4));
    obj.push_back(rd(P));
  }
  losses = rdd(3);
  for (int b = 0; b < B; ++b)
    for (size_t n : {(size_t)P * C, (size_t)P * 4, (size_t)P}) grads.push_back(rdd(n));
  grads.push_back(rdd(2 * C));  // d mean
  grads.push_back(rdd(2 * C));  // d sigma
  return (bool)f;
}
static void check_loss_goldens(const std::string& dir) {
  for (const char* name :
       {"c01_single_gt", "c02_two_images_overlap", "c03_empty_image", "c07_random_a", "c11_all_empty"}) {
    int B, C, P;
    std::vector<float> pts, mean, sigma;
    std::vector<std::vector<float>> gt, cls, dist, obj;
    std::vector<std::vector<int>> lab;
    std::vector<double> gl;
    std::vector<std::vector<double>> gg;
    if (!read_golden(dir + "/" + name + ".txt", B, C, P, pts, mean, sigma, gt, lab, cls, dist, obj, gl, gg)) {
      report(std::string("loss golden ") + name, "cannot read " + dir, INFINITY, false);
      continue;
    }
    double sumG = 0, sumC = 0;  // pass 1 (the twin): the batch normalisers, as host_tests
    std::string gs;
    for (int b = 0; b < B; ++b) {
      int G = (int)lab[b].size();
      sumG += G;
      sumC += aaref::loss(cls[b].data(), dist[b].data(), obj[b].data(), pts.data(), gt[b].data(), lab[b].data(),
                          mean.data(), sigma.data(), P, C, G, 0, 0, 0).sumC;
      gs += (b ? "," : "") + std::to_string(G);
    }
    const double pos_norm = std::max(sumG, 1.0), neg_norm = std::max(sumC, 1.0);
    const bool no_gt = sumG == 0;
    const double wpos = no_gt ? 0 : 1 / pos_norm, wneg = 1 / neg_norm, wctr = no_gt ? 0 : 0.75 / B;
    std::vector<float> dmean(2 * C, -7.f), dsigma(2 * C, -7.f);
    double lp = 0, ln = 0, lc = 0, eg = 0, et = 0;
    bool twin_ok = true;
    for (int b = 0; b < B; ++b) {
      int G = (int)lab[b].size();
      LossOut o = run_loss(std::string(name) + "[" + std::to_string(b) + "]", pts, P, C, G, cls[b], dist[b], obj[b],
                           gt[b], lab[b], mean, sigma, wpos, wneg, wctr, dmean, dsigma, b > 0, false);
      twin_ok &= o.ok;
      et = std::max(et, o.err);
      lp += o.stats[0], ln += o.stats[1], lc += o.stats[5];
      eg = std::max({eg, nrel(o.dcls, gg[3 * b]), nrel(o.ddist, gg[3 * b + 1]), nrel(o.dobj, gg[3 * b + 2])});
    }
    lp = no_gt ? 0 : lp / pos_norm;
    ln /= neg_norm;
    lc = no_gt ? 0 : 0.75 * lc / B;
    eg = std::max({eg, nrel(dmean, gg[3 * B]), nrel(dsigma, gg[3 * B + 1])});
    double el = std::max({srel(lp, gl[0]), srel(ln, gl[1]), srel(lc, gl[2])});
    std::printf("    %s: loss_pos %.6g/%.6g loss_neg %.6g/%.6g loss_center %.6g/%.6g (kernels/MMDet)\n", name, lp,
                gl[0], ln, gl[1], lc, gl[2]);
    std::string sz = std::to_string(B) + " img P=" + std::to_string(P) + " C=" + std::to_string(C) + " G=" + gs;
    report(std::string("loss golden ") + name + " vs twin", sz, et, twin_ok);
    report(std::string("loss golden ") + name + " vs MMDet", "losses + grads, batch totals", std::max(el, eg));
  }
}

// ---------------------------------------------------------------- post-processing + NMS (aa_postprocess.cu)
// aa_postprocess end to end (gpu_check.check_postprocess, smaller): top-k per level (aa_pp_topk_levels: radix
// select over 1024 threads, block scans with __shfl_up_sync, bin select with __shfl_sync/__ballot_sync, bitonic
// sort), decode, NMS, vs aaref::postprocess. The top-k output left in the workspace (cand_idx/cand_prob/cand_count:
// per level the cells with prob > thr by prob desc then cell asc, at most K) must equal the host's exactly.
// ties: logits on a 0.25 grid, so many cells share a probability and the K-th candidate sits in a tie group.
static void check_postprocess(int H, int W, int L, int C, int K, int max_out, float cls_mean, bool ties) {
  Levels lv = make_levels(H, W);  // the first L of its 5 levels
  lv.start.resize(L + 1);
  lv.P = lv.start[L];
  lv.pts.resize(3 * (size_t)lv.P);
  const int P = lv.P, n = L * K;
  auto cls = randn((size_t)P * C, cls_mean, 1.5f), obj = randn(P, 0, 1.5f);
  auto dist = pp_dists(lv.pts, P);
  if (ties) {  // (after the draws: the same random stream as without ties)
    for (auto& v : cls) v = std::round(v * 4) / 4;
    for (auto& v : obj) v = std::round(v * 2) / 2;
  }
  const float img_w = W - 17.f, img_h = (float)H, isw = 1.f / 1.874f, ish = 1.f / 1.8735f, thr = 0.05f;
  std::vector<double> wsv = bytes_ws(aa_pp_workspace_bytes(L, K));
  std::vector<float> ob(4 * max_out, -7.f), os(max_out, -7.f);
  std::vector<int> ol(max_out, -7), oc(1, -7);
  int rc = aa_postprocess(cls.data(), dist.data(), obj.data(), lv.pts.data(), C, lv.start.data(), L, thr, K, img_w,
                          img_h, isw, ish, 0.6f, max_out, wsv.data(), ob.data(), os.data(), ol.data(), oc.data(), 0);
  // the top-k candidates, from the wrapper's workspace carve
  const char* b = (const char*)wsv.data() + nms_ws_bytes(n);
  const int* cand_idx = (const int*)b;
  const float* cand_prob = (const float*)(b + 4 * (size_t)n);
  const int* cand_count = (const int*)(b + 4 * (size_t)n * (1 + 1 + 4 + 1 + 1));
  int truncated = 0, tie_cut = 0, bad_levels = 0, most = 0;
  for (int l = 0; l < L; ++l) {
    std::vector<std::pair<float, int>> v;
    for (long long e = (long long)lv.start[l] * C; e < (long long)lv.start[l + 1] * C; ++e) {
      float pr = aa::sigmoid_fwd(cls[e]);
      if (pr > thr) v.push_back({pr, (int)e});
    }
    std::stable_sort(v.begin(), v.end(), [](auto& x, auto& y) { return x.first > y.first; });
    truncated += (int)v.size() > K;
    most = std::max(most, (int)v.size());
    tie_cut += (int)v.size() > K && v[K - 1].first == v[K].first;
    int cnt = std::min((int)v.size(), K);
    bool same = cand_count[l] == cnt;
    for (int i = 0; same && i < cnt; ++i)
      same = cand_idx[l * K + i] == v[i].second && cand_prob[l * K + i] == v[i].first;
    if (!same) {
      std::printf("    level %d: top-k differs from the host's (count %d vs %d)\n", l, cand_count[l], cnt);
      ++bad_levels;
    }
  }
  auto ref = aaref::postprocess(cls.data(), dist.data(), obj.data(), lv.pts.data(), C, lv.start, thr, K, img_w, img_h,
                                isw, ish, 0.6f, max_out, [](float x) { return aa::sigmoid_fwd(x); });
  double err;
  bool ok = same_dets(ref, ob, os, ol, oc[0], &err);
  char sz[112];
  std::snprintf(sz, sizeof sz, "L=%d P=%d C=%d K=%d%s: %d lvl>K (max %d), %d tie at K", L, P, C, K,
                ties ? " ties" : "", truncated, most, tie_cut);
  report("pp_topk_levels (candidates exact)", sz, bad_levels ? 1.0 : 0.0, bad_levels == 0 && rc == 0);
  std::snprintf(sz, sizeof sz, "L=%d P=%d C=%d K=%d%s: %d dets", L, P, C, K, ties ? " ties" : "", oc[0]);
  report("postprocess (topk+decode+nms)", sz, err, ok && rc == 0);
}

// aa_nms (every kernel runs here: init, sort, mask, select) on random boxes, vs aaref::nms (gpu_check's case)
static void check_nms_random(int nb) {
  NmsBoxes in = rand_nms_boxes(nb, 400, 300, 150);  // 8 classes among 80, exact score ties
  std::vector<float> o_b(4 * nb, -7.f), o_s(nb, -7.f);
  std::vector<int> o_l(nb, -7), o_c(1, -7);
  std::vector<double> w = bytes_ws(aa_nms_workspace_bytes(nb));
  int rc = aa_nms(in.bx.data(), in.sc.data(), in.lb.data(), nb, 0.6f, nb, w.data(), o_b.data(), o_s.data(), o_l.data(),
                  o_c.data(), 0);
  auto r2 = aaref::nms(in.dets, 0.6f, nb);
  double e2;
  bool ok = same_dets(r2, o_b, o_s, o_l, o_c[0], &e2);
  report("nms (class-aware)", std::to_string(nb) + " boxes -> " + std::to_string(o_c[0]) + " kept", e2, ok && rc == 0);
  // max_out cuts the walk: the first 7 of the same list
  rc = aa_nms(in.bx.data(), in.sc.data(), in.lb.data(), nb, 0.6f, 7, w.data(), o_b.data(), o_s.data(), o_l.data(),
              o_c.data(), 0);
  ok = same_dets(aaref::nms(in.dets, 0.6f, 7), o_b, o_s, o_l, o_c[0], &e2);
  report("nms max_out=7", std::to_string(nb) + " boxes", e2, ok && rc == 0);
}

// the MMCV goldens (tests/data/nms_case*.txt, from shared goldens): gpu_check.check_nms_goldens, keep lists exact
static void check_nms_goldens(const std::string& dir) {
  for (const char* name : {"nms_case1", "nms_case2"}) {
    NmsGolden g;
    if (!read_nms_golden(dir + "/" + name + ".txt", g)) {
      report(std::string("nms golden ") + name, "not found in " + dir, INFINITY, false);
      continue;
    }
    const int n = g.n;
    std::vector<float> o_b(4 * n, -7.f), o_s(n, -7.f);
    std::vector<int> o_l(n, -7), o_c(1, -7);
    std::vector<double> w = bytes_ws(aa_nms_workspace_bytes(n));
    int rc = aa_nms(g.bx.data(), g.sc.data(), g.lb.data(), n, (float)g.thr, n, w.data(), o_b.data(), o_s.data(),
                    o_l.data(), o_c.data(), 0);
    int m = o_c[0];
    bool ok = rc == 0 && g.same_keep(o_b, m);
    report(std::string("nms golden ") + name, std::to_string(n) + " boxes -> " + std::to_string(m) + " (mmcv keep " +
                                                  std::to_string(g.keep.size()) + ")", ok ? 0.0 : 1.0, ok);
  }
}

// ---------------------------------------------------------------- SGD (aa_sgd.cu): gpu_check.check_sgd, smaller
static void check_sgd() {
  const long long total = 23456;
  const long long sizes[] = {1, 7, 256, 300, 2048, 2049, 4000};
  std::vector<float> Pv(total), Gv(total), Bv(total, 0.f);
  std::vector<AaSgdSeg> segs = make_sgd_segs(total, sizes, 7, Pv.data(), Gv.data(), Bv.data());
  auto p0 = randn(total, 0, 0.05f), g0 = randn(total, 0, 0.01f), g1 = randn(total, 0, 0.01f);
  Pv = p0;
  Gv = g0;
  int ns = (int)segs.size();
  int rc = aa_sgd_update(segs.data(), ns, total, 0.01f, 0.9f, 0);  // step 1 (first)
  for (auto& s : segs) s.first = 0;
  Gv = g1;
  rc |= aa_sgd_update(segs.data(), ns, total, 0.005f, 0.9f, 0);  // step 2
  std::vector<double> pr, br;
  sgd_twin_two_steps(segs, p0, g0, g1, 0.01, 0.005, 0.9, pr, br);
  double e = sgd_err(Pv, Bv, p0, pr, br);  // p, buf and the update itself (p - p0)
  report("sgd_update (two steps)", std::to_string(total) + " params, " + std::to_string(ns) + " tensors", e, rc == 0);
}

// ---------------------------------------------------------------- the emulator's warp primitives
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
// Every shuffle mode x width x offset case (ncase rows of {op, width, b}), back to back with no other
// synchronisation (the emulator's double-buffered slot), in double, float and int; then ballot/any/all.
__global__ void emu_shuffles(const int* cases, int ncase, double* out) {
  const int t = threadIdx.x, nt = blockDim.x;
  for (int k = 0; k < ncase; ++k) {
    const int op = cases[3 * k], w = cases[3 * k + 1], b = cases[3 * k + 2];
    double v = blockIdx.x * 1e6 + k * 1000 + t + 0.25;
    float f = (float)(k * 100 + t) + 0.5f;
    int i = -(k * 100 + t);
    double r;
    float rf;
    int ri;
    if (op == 0) {
      r = __shfl_sync(0xffffffffu, v, b, w), rf = __shfl_sync(0xffffffffu, f, b, w);
      ri = __shfl_sync(0xffffffffu, i, b, w);
    } else if (op == 1) {
      r = __shfl_up_sync(0xffffffffu, v, b, w), rf = __shfl_up_sync(0xffffffffu, f, b, w);
      ri = __shfl_up_sync(0xffffffffu, i, b, w);
    } else if (op == 2) {
      r = __shfl_down_sync(0xffffffffu, v, b, w), rf = __shfl_down_sync(0xffffffffu, f, b, w);
      ri = __shfl_down_sync(0xffffffffu, i, b, w);
    } else {
      r = __shfl_xor_sync(0xffffffffu, v, b, w), rf = __shfl_xor_sync(0xffffffffu, f, b, w);
      ri = __shfl_xor_sync(0xffffffffu, i, b, w);
    }
    double* o = out + ((size_t)blockIdx.x * (ncase + 1) + k) * 3 * nt;
    o[t] = r, o[nt + t] = rf, o[2 * nt + t] = ri;
  }
  const int pred = (t * 7 + blockIdx.x) % 5 < 2, lane = t & 31;
  double* o = out + ((size_t)blockIdx.x * (ncase + 1) + ncase) * 3 * nt;
  o[t] = __ballot_sync(0xffffffffu, pred);
  o[nt + t] = __any_sync(0xffffffffu, lane == 29 && blockIdx.x == 1) + 2 * __any_sync(0xffffffffu, 0);
  o[2 * nt + t] = __all_sync(0xffffffffu, lane != 3 || blockIdx.x == 1) + 2 * __all_sync(0xffffffffu, 1);
}
// CUDA's documented rules (Programming Guide, warp shuffle functions), written independently of the emulator's
// PTX-style arithmetic: the lane whose value `lane` gets, for 0 <= b < 32 (idx: any int).
static int doc_source(int op, int lane, int w, int b) {
  int base = lane / w * w, sub = lane % w;
  switch (op) {
    case 0: return base + (b & (w - 1));                // srcLane modulo width, within the lane's group
    case 1: return sub >= b ? lane - b : lane;          // shfl_up: below the group start -> own value
    case 2: return sub + b < w ? lane + b : lane;       // shfl_down: past the group end -> own value
    default: return (lane ^ b) < base + w ? lane ^ b : lane;  // xor: earlier groups yes, later groups -> own
  }
}
__global__ void emu_bad_mask(int* out) { out[threadIdx.x] = __shfl_sync(0x0000ffffu, (int)threadIdx.x, 0); }
__global__ void emu_bad_width(int* out) { out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, (int)threadIdx.x, 1, 12); }
__global__ void emu_all_lanes(int* out) { out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, (int)threadIdx.x, 1); }
__global__ void emu_exited(int* out) {
  if ((threadIdx.x & 31) >= 16) return;
  out[threadIdx.x] = __shfl_sync(0xffffffffu, (int)threadIdx.x, 0);
}
__global__ void emu_exit_later(int* out) {
  if ((threadIdx.x & 31) == 31) {
    for (volatile int i = 0; i < 2000000; ++i) {
    }
    return;
  }
  out[threadIdx.x] = __ballot_sync(0xffffffffu, 1);
}
__global__ void emu_two_sites(int* out) {
  int v = threadIdx.x;
  if ((threadIdx.x & 31) < 16)
    v = __shfl_sync(0xffffffffu, v, 0);
  else
    v = __shfl_sync(0xffffffffu, v, 1);
  out[threadIdx.x] = v;
}
__global__ void emu_deadlock(int* out) {
  int v = threadIdx.x;
  if ((threadIdx.x & 31) < 16) v = __shfl_sync(0xffffffffu, v, 0);
  __syncthreads();
  out[threadIdx.x] = v;
}
// Misuse must fail loudly, never return a made-up value: each case runs in a child process (this executable with
// --abort-case NAME, spawned, so no multi-threaded fork) that must die of SIGABRT with the emulator's message.
struct AbortCase {
  const char* name;
  std::function<void(int*)> run;
  const char* needle;  // in the message
};
static const std::vector<AbortCase>& abort_cases() {
  static const std::vector<AbortCase> cases = {
      {"partial mask", [](int* o) { launch(emu_bad_mask, dim3(1), dim3(32), o); }, "only the full mask"},
      {"width 12", [](int* o) { launch(emu_bad_width, dim3(1), dim3(32), o); }, "power of 2"},
      {"block of 48 (partial warp)", [](int* o) { launch(emu_all_lanes, dim3(1), dim3(48), o); }, "only 16 lanes"},
      {"lanes returned before", [](int* o) { launch(emu_exited, dim3(1), dim3(32), o); }, "returned from the kernel"},
      {"lane returns while waited for", [](int* o) { launch(emu_exit_later, dim3(1), dim3(32), o); },
       "returned from the kernel"},
      {"divergent call sites", [](int* o) { launch(emu_two_sites, dim3(1), dim3(32), o); },
       "different warp-synchronous calls"},
      {"shfl vs __syncthreads", [](int* o) { launch(emu_deadlock, dim3(1), dim3(64), o); }, "deadlock"},
  };
  return cases;
}
static int run_abort_case(const char* name) {  // in the child
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  prctl(PR_SET_DUMPABLE, 0);  // no core file for the expected abort
  alarm(20);                  // a hang fails the case (SIGALRM, not SIGABRT)
  std::vector<int> out(64);
  for (auto& c : abort_cases())
    if (std::strcmp(c.name, name) == 0) c.run(out.data());
  return 0;  // not aborted
}
static void expect_abort(const AbortCase& c) {
  std::fflush(stdout);
  int fd[2];
  posix_spawn_file_actions_t fa;
  pid_t pid = -1;
  bool spawned = pipe(fd) == 0 && posix_spawn_file_actions_init(&fa) == 0;
  if (spawned) {
    posix_spawn_file_actions_adddup2(&fa, fd[1], 2);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    char exe[] = "/proc/self/exe", flag[] = "--abort-case";
    char* argv[] = {exe, flag, const_cast<char*>(c.name), nullptr};
    spawned = posix_spawn(&pid, exe, &fa, nullptr, argv, environ) == 0;
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
  }
  std::string msg;
  char buf[4096];
  for (ssize_t k; spawned && (k = read(fd[0], buf, sizeof buf)) > 0;) msg.append(buf, (size_t)k);
  if (spawned) close(fd[0]);
  int status = 0;
  if (spawned) waitpid(pid, &status, 0);
  bool ok = spawned && WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT &&
            msg.find("cuda_emu: ") != std::string::npos && msg.find(c.needle) != std::string::npos;
  std::string first = msg.substr(0, msg.find('\n'));
  report(std::string("cuda_emu aborts: ") + c.name, ok ? "abort + message" : "NOT as expected", ok ? 0.0 : 1.0, ok);
  std::printf("      %s\n", first.size() > 150 ? (first.substr(0, 147) + "...").c_str() : first.c_str());
  if (!ok) std::printf("      spawned %d, status 0x%x, output:\n%s\n", spawned, status, msg.c_str());
}
static void check_emulator() {
  std::vector<int> out(2 * 3 * 64, -7);
  launch(emu_syncwarp, dim3(2), dim3(64), out.data());
  bool ok = true;
  for (int b = 0; b < 2; ++b)
    for (int r = 0; r < 3; ++r)
      for (int t = 0; t < 64; ++t) ok &= out[(b * 3 + r) * 64 + t] == b * 1000 + r * 100 + (t & ~31) + 31 - (t & 31);
  report("cuda_emu __syncwarp exchange", "2 blocks x 64", ok ? 0.0 : 1.0, ok);

  std::vector<int> cases;
  for (int op = 0; op < 4; ++op)
    for (int w : {1, 2, 4, 8, 16, 32}) {
      std::vector<int> bs = op == 0 ? std::vector<int>{0, 3, 31, 37, -1} : std::vector<int>{0, 1, 5, 16, 31};
      for (int b : bs) cases.insert(cases.end(), {op, w, b});
    }
  const int nc = (int)cases.size() / 3, nt = 64, nb = 2;
  std::vector<double> so((size_t)nb * (nc + 1) * 3 * nt, -7);
  launch(emu_shuffles, dim3(nb), dim3(nt), cases.data(), nc, so.data());
  long bad = 0, bad_vote = 0;
  for (int blk = 0; blk < nb; ++blk) {
    for (int k = 0; k < nc; ++k) {
      const double* o = so.data() + ((size_t)blk * (nc + 1) + k) * 3 * nt;
      for (int t = 0; t < nt; ++t) {
        int src = (t & ~31) + doc_source(cases[3 * k], t & 31, cases[3 * k + 1], cases[3 * k + 2]);
        bool good = o[t] == blk * 1e6 + k * 1000 + src + 0.25 && o[nt + t] == (float)(k * 100 + src) + 0.5f &&
                    o[2 * nt + t] == -(k * 100 + src);
        if (!good && bad++ < 5)
          std::printf("    block %d op %d width %d b %d thread %d: got %.2f, want lane %d\n", blk, cases[3 * k],
                      cases[3 * k + 1], cases[3 * k + 2], t, o[t], src);
      }
    }
    const double* o = so.data() + ((size_t)blk * (nc + 1) + nc) * 3 * nt;
    for (int t = 0; t < nt; ++t) {
      unsigned want = 0;
      for (int l = 0; l < 32; ++l) want |= (unsigned)(((t & ~31) + l) * 7 + blk) % 5 < 2 ? 1u << l : 0u;
      bad_vote += o[t] != (double)want;
      bad_vote += o[nt + t] != (blk == 1 ? 1 : 0);      // any: lane 29 in block 1 only; any(0) = 0
      bad_vote += o[2 * nt + t] != (blk == 1 ? 3 : 2);  // all: lane 3 false except in block 1; all(1) = 1
    }
  }
  report("cuda_emu shfl idx/up/down/xor", std::to_string(nc) + " cases x 3 types, widths 1..32", bad ? 1.0 : 0.0,
         bad == 0);
  report("cuda_emu ballot/any/all", "2 blocks x 64", bad_vote ? 1.0 : 0.0, bad_vote == 0);

  for (auto& c : abort_cases()) expect_abort(c);
}

// Every kernel of native/src (gpu_check's kKernelNames, the fatbin's contract) must have been launched above.
static void check_coverage() {
#define AA_K(f) {reinterpret_cast<void (*)()>(&f), #f}
  const std::pair<void (*)(), const char*> all[] = {
      AA_K(aa_fill_f32), AA_K(aa_add_f32), AA_K(aa_scale_f32), AA_K(aa_relu_fwd_f32), AA_K(aa_relu_bwd_f32),
      AA_K(aa_sigmoid_fwd_f32), AA_K(aa_sigmoid_bwd_f32), AA_K(aa_clamp_min_fwd_f32), AA_K(aa_clamp_min_bwd_f32),
      AA_K(aa_bias_add_nchw_f32), AA_K(aa_bias_grad_nchw_f32), AA_K(aa_head_dist_fwd_f32), AA_K(aa_head_dist_bwd_f32),
      AA_K(aa_sum_partials_f64), AA_K(aa_gn_fwd_stats), AA_K(aa_gn_fwd_norm), AA_K(aa_gn_bwd_reduce),
      AA_K(aa_gn_bwd_dx), AA_K(aa_gn_bwd_params), AA_K(aa_maxpool3s2_fwd_f32), AA_K(aa_maxpool3s2_bwd_f32),
      AA_K(aa_upsample_nearest_fwd_f32), AA_K(aa_upsample_nearest_bwd_f32), AA_K(aa_loss_fwd_maxiou),
      AA_K(aa_loss_fwd_gt), AA_K(aa_loss_fwd_neg), AA_K(aa_loss_fwd_finalize), AA_K(aa_loss_bwd_gt),
      AA_K(aa_loss_bwd_point), AA_K(aa_loss_bwd_prior), AA_K(aa_pp_topk_levels), AA_K(aa_pp_decode),
      AA_K(aa_nms_init), AA_K(aa_nms_sort), AA_K(aa_nms_mask), AA_K(aa_nms_select), AA_K(aa_sgd_multi)};
#undef AA_K
  std::string missing;
  for (auto& k : all)
    if (std::find(cuda_emu::launched.begin(), cuda_emu::launched.end(), k.first) == cuda_emu::launched.end())
      missing += std::string(" ") + k.second;
  report("every native/src kernel launched", std::to_string(sizeof all / sizeof all[0]) + " kernels" +
                                                 (missing.empty() ? "" : ", not run:" + missing),
         missing.empty() ? 0.0 : 1.0, missing.empty());
}

int main(int argc, char** argv) {
  if (argc > 2 && std::strcmp(argv[1], "--abort-case") == 0) return run_abort_case(argv[2]);
  std::string dir = argc > 1 ? argv[1] : AA_TEST_DATA_DIR;
  auto t0 = std::chrono::steady_clock::now();
  auto lap = [&, t = t0](const char* what) mutable {
    auto now = std::chrono::steady_clock::now();
    std::printf("  -- %s: %.2f s\n", what, std::chrono::duration<double>(now - t).count());
    t = now;
  };
  std::printf("native kernels (native/src) under cuda_emu vs aa_ref.h, tolerance %.0e (normwise)\n", TOL);
  check_emulator();
  lap("emulator");
  check_elementwise();
  lap("elementwise");
  check_groupnorm(2, 4, 2, 300);  // 8 planes
  check_groupnorm(1, 6, 3, 300);
  check_groupnorm(1, 3, 1, 7);    // HW < one warp: most lanes add nothing
  lap("groupnorm");
  check_maxpool(6, 23, 29, false);
  check_maxpool(4, 24, 30, true);
  check_upsample(6, 5, 7, 10, 14);   // exact 2x (FPN)
  check_upsample(4, 13, 19, 25, 38);  // non-integer ratio
  check_upsample(3, 10, 9, 4, 5);     // downsampling: some inputs get no gradient
  lap("pool/upsample");
  check_loss_kernels();
  check_loss_case("zero-GT", 64, 64, 6, {}, {});  // small: the goldens have three more G = 0 images
  check_loss_case("G1", 128, 120, 5, {20, 12, 84, 70}, {3});
  // three overlapping GTs, two of one class (W's last write wins where both cover a point); C = 40: two passes of
  // the lane-strided class loop, and classes 5 and 37 share owner lane 5 (the goldens below have C = 3..7)
  check_loss_case("G3 same-class C40", 128, 120, 40, {8, 8, 80, 72, 40, 24, 124, 112, 0, 56, 64, 118}, {37, 37, 5});
  lap("loss (random)");
  check_loss_goldens(dir);
  lap("loss (goldens)");
  // levels 0-2 have more than K candidates, level 0 more than AA_PP_MAX_K (1024: the radix select decides, not
  // take-all); max_out stops the NMS walk
  check_postprocess(128, 192, 5, 8, 50, 100, -2.f, false);
  check_postprocess(64, 96, 3, 8, 40, 100, -5.f, true);  // L = 3, ties at the K-th candidate; fewer dets than max_out
  lap("postprocess");
  check_nms_random(300);
  check_nms_goldens(dir);
  check_sgd();
  lap("nms/sgd");
  check_coverage();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("native kernels under cuda_emu: %d cases, %d failed (%.2f s)\n", g_cases, g_failed, s);
  return g_failed ? 1 : 0;
}
