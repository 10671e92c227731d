// gpu_check.cu — validates every autoassign-native kernel against its CPU twin (aa_ref.h) on random
// inputs at real sizes, prints the max relative error per op, PASS/FAIL at 1e-3 and the median kernel
// time (cudaEvent, N runs). Also loads aa_kernels.fatbin through the driver API (the Java path) and
// resolves every documented kernel name. Usage: gpu_check [path/to/aa_kernels.fatbin] [tests/data dir]
#include <cuda_runtime.h>
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "aa_kernels.h"
#include "aa_math.h"
#include "aa_ref.h"
#include "tests/check_support.h"  // TOL, g_rng, randn/randu, nrel/srel, levels, loss/NMS/SGD helpers

#define CK(x)                                                                                   \
  do {                                                                                          \
    cudaError_t e_ = (x);                                                                       \
    if (e_ != cudaSuccess) {                                                                    \
      std::fprintf(stderr, "CUDA error %s at %s:%d: %s\n", cudaGetErrorString(e_), __FILE__, __LINE__, #x); \
      std::exit(2);                                                                             \
    }                                                                                           \
  } while (0)
#define CKI(x) CK((cudaError_t)(x))

struct Row {
  std::string op, size;
  double err;
  bool pass;
  double ms;
};
static std::vector<Row> g_rows;

template <typename T>
static T* dalloc(size_t n) {
  T* p = nullptr;
  CK(cudaMalloc(&p, std::max<size_t>(n, 1) * sizeof(T)));
  return p;
}
template <typename T>
static T* upload(const std::vector<T>& v) {
  T* p = dalloc<T>(v.size());
  CK(cudaMemcpy(p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  return p;
}
template <typename T>
static std::vector<T> download(const T* p, size_t n) {
  std::vector<T> v(n);
  CK(cudaMemcpy(v.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
  return v;
}
static double time_ms(const std::function<void()>& f, int reps = 20) {
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a));
  CK(cudaEventCreate(&b));
  f();
  f();
  CK(cudaDeviceSynchronize());
  std::vector<float> t;
  for (int i = 0; i < reps; ++i) {
    CK(cudaEventRecord(a));
    f();
    CK(cudaEventRecord(b));
    CK(cudaEventSynchronize(b));
    float ms;
    CK(cudaEventElapsedTime(&ms, a, b));
    t.push_back(ms);
  }
  CK(cudaGetLastError());
  std::sort(t.begin(), t.end());
  CK(cudaEventDestroy(a));
  CK(cudaEventDestroy(b));
  return t[t.size() / 2];
}
static void report(const std::string& op, const std::string& size, double err, double ms, bool extra_ok = true) {
  bool pass = passes(err, extra_ok);
  g_rows.push_back({op, size, err, pass, ms});
  std::printf("  %-28s %-26s err %.3e  %s  %9.4f ms\n", op.c_str(), size.c_str(), err, pass ? "PASS" : "FAIL", ms);
  std::fflush(stdout);
}

// ---------------- elementwise ----------------
static void check_elementwise() {
  const long long n = 2LL * 256 * 100 * 152;
  const std::string sz = "n=7,782,400";
  auto a = randn(n, 0, 2), b = randn(n, 0, 2), dy = randn(n, 0, 1);
  float *da = upload(a), *db = upload(b), *ddy = upload(dy), *out = dalloc<float>(n);
  std::vector<double> ref(n);
  auto run = [&](const char* name, std::function<void()> f, std::function<double(size_t)> r) {
    f();
    CK(cudaDeviceSynchronize());
    auto o = download(out, n);
    for (long long i = 0; i < n; ++i) ref[i] = r(i);
    report(name, sz, nrel(o, ref), time_ms(f));
  };
  run("fill", [&] { CKI(aa_fill(out, 0.25f, n, 0)); }, [&](size_t) { return 0.25; });
  run("add", [&] { CKI(aa_add(out, da, db, n, 0)); }, [&](size_t i) { return (double)a[i] + b[i]; });
  run("scale", [&] { CKI(aa_scale(out, da, 0.37f, n, 0)); }, [&](size_t i) { return 0.37 * a[i]; });
  run("relu_fwd", [&] { CKI(aa_relu_fwd(out, da, n, 0)); }, [&](size_t i) { return std::max(0.0, (double)a[i]); });
  run("relu_bwd", [&] { CKI(aa_relu_bwd(out, ddy, da, n, 0)); }, [&](size_t i) { return a[i] > 0 ? (double)dy[i] : 0.0; });
  run("sigmoid_fwd", [&] { CKI(aa_sigmoid_fwd(out, da, n, 0)); }, [&](size_t i) { return aaref::sigmoid(a[i]); });
  std::vector<float> y(n);
  for (long long i = 0; i < n; ++i) y[i] = aa::sigmoid_fwd(a[i]);
  float* dyv = upload(y);
  run("sigmoid_bwd", [&] { CKI(aa_sigmoid_bwd(out, ddy, dyv, n, 0)); },
      [&](size_t i) { return (double)dy[i] * y[i] * (1.0 - y[i]); });
  run("clamp_min_fwd", [&] { CKI(aa_clamp_min_fwd(out, da, 0.1f, n, 0)); },
      [&](size_t i) { return std::max(0.1, (double)a[i]) == 0.1 ? (double)0.1f : (double)a[i]; });
  run("clamp_min_bwd", [&] { CKI(aa_clamp_min_bwd(out, ddy, da, 0.1f, n, 0)); },
      [&](size_t i) { return a[i] >= 0.1f ? (double)dy[i] : 0.0; });
  // bias add / bias grad: [2,256,100,152]
  int N = 2, C = 256;
  long long HW = 15200;
  auto bias = randn(C, 0, 1);
  float* dbias = upload(bias);
  run("bias_add_nchw", [&] { CKI(aa_bias_add_nchw(out, da, dbias, N, C, HW, 0)); },
      [&](size_t i) { return (double)a[i] + bias[(i / HW) % C]; });
  float* gb = dalloc<float>(C);
  auto fb = [&] { CKI(aa_bias_grad_nchw(gb, ddy, N, C, HW, 0, 0)); };
  fb();
  auto g = download(gb, C);
  std::vector<double> gr(C, 0);
  for (long long i = 0; i < n; ++i) gr[(i / HW) % C] += dy[i];
  report("bias_grad_nchw", "[2,256,100,152]", nrel(g, gr), time_ms(fb));
  // head distance transform on [2,4,100,152] with scale 1.3, stride 8
  long long hn = 2LL * 4 * 15200;
  float sc = 1.3f, *dsc = upload(std::vector<float>{sc}), *dsg = dalloc<float>(1);
  double* ws = dalloc<double>(AA_REDUCE_BLOCKS);
  auto fh = [&] { CKI(aa_head_dist_fwd(out, da, dsc, 8.f, hn, 0)); };
  fh();
  auto o = download(out, hn);
  std::vector<double> hr(hn);
  for (long long i = 0; i < hn; ++i) hr[i] = std::max((double)(a[i] * sc), 0.0) * 8;
  report("head_dist_fwd", "n=121,600", nrel(o, hr), time_ms(fh));
  auto fhb = [&] { CKI(aa_head_dist_bwd(out, dsg, ddy, da, dsc, 8.f, hn, 0, ws, 0)); };
  fhb();
  o = download(out, hn);
  double gs = 0;
  for (long long i = 0; i < hn; ++i) {
    bool on = a[i] * sc >= 0;
    hr[i] = on ? (double)dy[i] * 8 * sc : 0;
    gs += on ? (double)dy[i] * 8 * a[i] : 0;
  }
  double e = std::max(nrel(o, hr), srel(download(dsg, 1)[0], gs));
  report("head_dist_bwd (+dscale)", "n=121,600", e, time_ms(fhb));
  for (void* p : std::vector<void*>{da, db, ddy, out, dyv, dbias, gb, dsc, dsg, ws}) CK(cudaFree(p));
}

// ---------------- GroupNorm ----------------
static void check_groupnorm() {
  int N = 2, C = 256, G = 32;
  long long HW = 100 * 152, n = N * C * HW;
  auto x = randn(n, 0.3f, 1.7f), dy = randn(n, 0, 1), ga = randn(C, 1, 0.3f), be = randn(C, 0, 0.3f);
  float *dx = upload(x), *ddy = upload(dy), *dga = upload(ga), *dbe = upload(be), *y = dalloc<float>(n),
        *gx = dalloc<float>(n), *mean = dalloc<float>(N * G), *rstd = dalloc<float>(N * G), *dg = dalloc<float>(C),
        *dbb = dalloc<float>(C);
  double* ws = dalloc<double>(2 * N * C);
  auto ff = [&] { CKI(aa_groupnorm_fwd(y, mean, rstd, dx, dga, dbe, N, C, HW, G, 1e-5f, ws, 0)); };
  ff();
  CK(cudaDeviceSynchronize());
  std::vector<double> yr, mr, rr;
  aaref::groupnorm_fwd(x.data(), ga.data(), be.data(), N, C, HW, G, 1e-5, yr, mr, rr);
  double e = std::max({nrel(download(y, n), yr), nrel(download(mean, N * G), mr), nrel(download(rstd, N * G), rr)});
  report("groupnorm_fwd", "[2,256,100,152] G=32", e, time_ms(ff));
  auto fb = [&] { CKI(aa_groupnorm_bwd(gx, dg, dbb, ddy, dx, mean, rstd, dga, N, C, HW, G, 0, ws, 0)); };
  fb();
  CK(cudaDeviceSynchronize());
  std::vector<double> dxr, dgr, dbr;
  aaref::groupnorm_bwd(dy.data(), x.data(), ga.data(), N, C, HW, G, 1e-5, dxr, dgr, dbr);
  e = std::max({nrel(download(gx, n), dxr), nrel(download(dg, C), dgr), nrel(download(dbb, C), dbr)});
  report("groupnorm_bwd", "[2,256,100,152] G=32", e, time_ms(fb));
  for (void* p : std::vector<void*>{dx, ddy, dga, dbe, y, gx, mean, rstd, dg, dbb, ws}) CK(cudaFree(p));
}

// ---------------- pool / upsample ----------------
static void check_pool() {
  int NC = 2 * 64, H = 400, W = 608, Ho = aa::pool_out_size(H), Wo = aa::pool_out_size(W);
  long long n = (long long)NC * H * W, no = (long long)NC * Ho * Wo;
  auto x = randn(n, 0, 1), dy = randn(no, 0, 1);
  float *dx = upload(x), *ddy = upload(dy), *y = dalloc<float>(no), *gx = dalloc<float>(n);
  int* arg = dalloc<int>(no);
  auto ff = [&] { CKI(aa_maxpool3s2_fwd(y, arg, dx, NC, H, W, 0)); };
  ff();
  std::vector<double> yr, dxr;
  std::vector<int> ar;
  aaref::maxpool3s2_fwd(x.data(), NC, H, W, yr, ar);
  auto ag = download(arg, no);
  long bad = 0;
  for (long long i = 0; i < no; ++i) bad += ag[i] != ar[i];
  report("maxpool3s2_fwd (+argmax)", "[2,64,400,608]", nrel(download(y, no), yr), time_ms(ff), bad == 0);
  if (bad) std::printf("    argmax mismatches: %ld\n", bad);
  auto fb = [&] { CKI(aa_maxpool3s2_bwd(gx, ddy, arg, NC, H, W, 0)); };
  fb();
  aaref::maxpool3s2_bwd(dy.data(), ar.data(), NC, H, W, dxr);
  report("maxpool3s2_bwd", "[2,64,400,608]", nrel(download(gx, n), dxr), time_ms(fb));
  CK(cudaFree(dx)); CK(cudaFree(ddy)); CK(cudaFree(y)); CK(cudaFree(gx)); CK(cudaFree(arg));
  // nearest upsample [2,256,50,76] -> [100,152], plus a non-integer ratio case
  struct Cs { int NC, Hi, Wi, Ho, Wo; const char* s; } cs[] = {{512, 50, 76, 100, 152, "[2,256,50,76]->100x152"},
                                                              {64, 13, 19, 25, 38, "[64,13,19]->25x38"}};
  for (auto& c : cs) {
    long long ni = (long long)c.NC * c.Hi * c.Wi, nout = (long long)c.NC * c.Ho * c.Wo;
    auto xi = randn(ni, 0, 1), dyo = randn(nout, 0, 1), base = randn(nout, 0, 1);
    float *d_x = upload(xi), *d_dy = upload(dyo), *d_y = upload(base), *d_gx = dalloc<float>(ni);
    auto fu = [&] { CKI(aa_upsample_nearest_fwd(d_y, d_x, c.NC, c.Hi, c.Wi, c.Ho, c.Wo, 0, 0)); };
    fu();
    std::vector<double> ur, ubr;
    aaref::upsample_fwd(xi.data(), c.NC, c.Hi, c.Wi, c.Ho, c.Wo, ur);
    report("upsample_nearest_fwd", c.s, nrel(download(d_y, nout), ur), time_ms(fu));
    auto fub = [&] { CKI(aa_upsample_nearest_bwd(d_gx, d_dy, c.NC, c.Hi, c.Wi, c.Ho, c.Wo, 0, 0)); };
    fub();
    aaref::upsample_bwd(dyo.data(), c.NC, c.Hi, c.Wi, c.Ho, c.Wo, ubr);
    report("upsample_nearest_bwd", c.s, nrel(download(d_gx, ni), ubr), time_ms(fub));
    CK(cudaFree(d_x)); CK(cudaFree(d_dy)); CK(cudaFree(d_y)); CK(cudaFree(d_gx));
  }
}

// ---------------- loss ----------------
static void check_loss_case(const char* name, const Levels& lv, float IW, float IH, int C, int G, int nlab, bool timed) {
  int P = lv.P;
  auto cls = randn((size_t)P * C, -4.6f, 1.5f), obj = randn(P, 0, 1.5f);
  auto dist = loss_dists(lv.pts, P);
  std::uniform_real_distribution<float> U(0, 1);
  std::vector<float> gt;
  std::vector<int> lab;
  for (int g = 0; g < G; ++g) {
    float cx = IW * U(g_rng), cy = IH * U(g_rng);
    float smax = std::max(IW, IH) / 8;  // sizes log-uniform in [4, max(IW,IH)/2]
    float bw = 4 * std::pow(smax, U(g_rng)), bh = 4 * std::pow(smax, U(g_rng));
    float x1 = std::max(0.f, cx - bw / 2), y1 = std::max(0.f, cy - bh / 2);
    gt.insert(gt.end(), {x1, y1, std::min(IW, x1 + bw), std::min(IH, y1 + bh)});
    lab.push_back((int)(U(g_rng) * nlab) % nlab);
  }
  auto mean = randu(2 * C, -0.3f, 0.3f), sigma = randu(2 * C, 0.7f, 1.5f);
  float *d_cls = upload(cls), *d_obj = upload(obj), *d_dist = upload(dist), *d_pts = upload(lv.pts),
        *d_gt = upload(gt), *d_mean = upload(mean), *d_sigma = upload(sigma);
  int* d_lab = upload(lab);
  float *g_cls = dalloc<float>((size_t)P * C), *g_dist = dalloc<float>((size_t)P * 4), *g_obj = dalloc<float>(P),
        *g_mean = dalloc<float>(2 * C), *g_sigma = dalloc<float>(2 * C);
  double* d_stats = dalloc<double>(8);
  void* ws = dalloc<char>(aa_loss_workspace_bytes(P, G));
  const LossWeights w = single_image_weights(cls.data(), dist.data(), obj.data(), lv.pts.data(), gt.data(),
                                             lab.data(), mean.data(), sigma.data(), P, C, G);
  auto r = aaref::loss(cls.data(), dist.data(), obj.data(), lv.pts.data(), gt.data(), lab.data(), mean.data(),
                       sigma.data(), P, C, G, w.wpos, w.wneg, w.wctr);
  auto ff = [&] {
    CKI(aa_loss_forward(d_cls, d_dist, d_obj, d_pts, d_gt, d_lab, d_mean, d_sigma, P, C, G, ws, d_stats, 0));
  };
  auto fb = [&] {
    CKI(aa_loss_backward(d_cls, d_dist, d_obj, d_pts, d_gt, d_lab, d_mean, d_sigma, P, C, G, ws, d_stats,
                         (float)w.wpos, (float)w.wneg, (float)w.wctr, g_cls, g_dist, g_obj, g_mean, g_sigma, 0, 0));
  };
  ff();
  fb();
  CK(cudaDeviceSynchronize());
  auto st = download(d_stats, 8);
  double ef = loss_fwd_err(st.data(), r, G);
  bool count_ok = (long)st[4] == r.npairs;
  print_loss_fwd(name, st.data(), r);
  std::string sz = loss_size(P, C, G);
  double tf = timed ? time_ms(ff) : 0;
  report(std::string("loss_fwd ") + name, sz, ef, tf, count_ok);
  double ec = nrel(download(g_cls, (size_t)P * C), r.dcls), ed = nrel(download(g_dist, (size_t)P * 4), r.ddist),
         eo = nrel(download(g_obj, P), r.dobj), em = nrel(download(g_mean, 2 * C), r.dmean),
         es = nrel(download(g_sigma, 2 * C), r.dsigma);
  print_loss_grads(name, ec, ed, eo, em, es);
  double tb = timed ? time_ms(fb) : 0;
  report(std::string("loss_bwd ") + name, sz, std::max({ec, ed, eo, em, es}), tb);
  for (void* p : std::vector<void*>{d_cls, d_obj, d_dist, d_pts, d_gt, d_mean, d_sigma, d_lab, g_cls, g_dist, g_obj,
                                    g_mean, g_sigma, d_stats, ws})
    CK(cudaFree(p));
}
static void check_loss() {
  Levels big = make_levels(800, 1216);
  check_loss_case("coco", big, 1216, 800, 80, 50, 10, true);        // same-class overlaps (10 labels)
  Levels small = make_levels(128, 192);
  check_loss_case("small-G3", small, 192, 128, 80, 3, 1, false);   // 3 GTs of one class
  check_loss_case("zero-GT", small, 192, 128, 80, 0, 1, false);    // W == 1, unnormalised negatives
}

// ---------------- post-processing + NMS ----------------
static void check_postprocess() {
  Levels lv = make_levels(800, 1216);
  int P = lv.P, C = 80, L = 5, K = 1000, max_out = 100;
  auto cls = randn((size_t)P * C, -5.f, 1.5f), obj = randn(P, 0, 1.5f);
  auto dist = pp_dists(lv.pts, P);
  float img_w = 1199.f, img_h = 800.f, isw = 1.f / 1.874f, ish = 1.f / 1.8735f;
  float *d_cls = upload(cls), *d_obj = upload(obj), *d_dist = upload(dist), *d_pts = upload(lv.pts);
  int* d_ls = upload(lv.start);
  void* ws = dalloc<char>(aa_pp_workspace_bytes(L, K));
  float *ob = dalloc<float>(4 * max_out), *os = dalloc<float>(max_out);
  int *ol = dalloc<int>(max_out), *oc = dalloc<int>(1);
  auto f = [&] {
    CKI(aa_postprocess(d_cls, d_dist, d_obj, d_pts, C, d_ls, L, 0.05f, K, img_w, img_h, isw, ish, 0.6f, max_out, ws,
                       ob, os, ol, oc, 0));
  };
  f();
  CK(cudaDeviceSynchronize());
  auto ref = aaref::postprocess(cls.data(), dist.data(), obj.data(), lv.pts.data(), C, lv.start, 0.05f, K, img_w,
                                img_h, isw, ish, 0.6f, max_out, [](float x) { return aa::sigmoid_fwd(x); });
  int n = download(oc, 1)[0];
  double err;
  bool ok = same_dets(ref, download(ob, 4 * max_out), download(os, max_out), download(ol, max_out), n, &err);
  report("postprocess (topk+decode+nms)", "P=20267 C=80 K=1000", err, time_ms(f), ok);
  CK(cudaFree(d_cls)); CK(cudaFree(d_obj)); CK(cudaFree(d_dist)); CK(cudaFree(d_pts)); CK(cudaFree(d_ls));
  CK(cudaFree(ws));
  // standalone NMS: random boxes x 80 classes (8 of them used: many same-class overlaps), exact score ties
  for (int nb : {1000, 5000}) {
    NmsBoxes in = rand_nms_boxes(nb, 1216, 800, 200);
    float *db = upload(in.bx), *ds = upload(in.sc), *o_b = dalloc<float>(4 * nb), *o_s = dalloc<float>(nb);
    int *dl = upload(in.lb), *o_l = dalloc<int>(nb), *o_c = dalloc<int>(1);
    void* w = dalloc<char>(aa_nms_workspace_bytes(nb));
    auto fn = [&] { CKI(aa_nms(db, ds, dl, nb, 0.6f, nb, w, o_b, o_s, o_l, o_c, 0)); };
    fn();
    auto r2 = aaref::nms(in.dets, 0.6f, nb);
    int n2 = download(o_c, 1)[0];
    double e2;
    bool ok2 = same_dets(r2, download(o_b, 4 * nb), download(o_s, nb), download(o_l, nb), n2, &e2);
    report("nms (class-aware)", std::to_string(nb) + " boxes, 80-class ids", e2, time_ms(fn), ok2);
    for (void* p : std::vector<void*>{db, ds, o_b, o_s, dl, o_l, o_c, w}) CK(cudaFree(p));
  }
}
static void check_nms_goldens(const std::string& dir) {
  for (const char* name : {"nms_case1", "nms_case2"}) {
    NmsGolden g;
    if (!read_nms_golden(dir + "/" + name + ".txt", g)) {
      std::printf("    (golden %s not found in %s; skipped)\n", name, dir.c_str());
      continue;
    }
    const int n = g.n;
    float *db = upload(g.bx), *ds = upload(g.sc), *o_b = dalloc<float>(4 * n), *o_s = dalloc<float>(n);
    int *dl = upload(g.lb), *o_l = dalloc<int>(n), *o_c = dalloc<int>(1);
    void* w = dalloc<char>(aa_nms_workspace_bytes(n));
    CKI(aa_nms(db, ds, dl, n, (float)g.thr, n, w, o_b, o_s, o_l, o_c, 0));
    int m = download(o_c, 1)[0];
    bool ok = g.same_keep(download(o_b, 4 * (size_t)n), m);
    report(std::string("nms golden ") + name, std::to_string(n) + " boxes (mmcv keep)", ok ? 0.0 : 1.0, 0, ok);
    for (void* p : std::vector<void*>{db, ds, o_b, o_s, dl, o_l, o_c, w}) CK(cudaFree(p));
  }
}

// ---------------- SGD ----------------
static void check_sgd() {
  const long long total = 36150938;  // trainable parameters of the COCO model (AA_2 §8)
  const long long sizes[] = {256, 512, 2048, 65536, 147456, 262144, 589824, 1048576, 2359296};
  float* P = dalloc<float>(total);
  float* Gd = dalloc<float>(total);
  float* B = dalloc<float>(total);
  std::vector<AaSgdSeg> segs = make_sgd_segs(total, sizes, 9, P, Gd, B);
  auto p0 = randn(total, 0, 0.05f), g0 = randn(total, 0, 0.01f), g1 = randn(total, 0, 0.01f);
  CK(cudaMemcpy(P, p0.data(), total * 4, cudaMemcpyHostToDevice));
  CK(cudaMemcpy(Gd, g0.data(), total * 4, cudaMemcpyHostToDevice));
  CK(cudaMemset(B, 0, total * 4));
  AaSgdSeg* dsegs = upload(segs);
  int ns = (int)segs.size();
  CKI(aa_sgd_update(dsegs, ns, total, 0.01f, 0.9f, 0));  // step 1 (first)
  for (auto& s : segs) s.first = 0;
  CK(cudaMemcpy(dsegs, segs.data(), segs.size() * sizeof(AaSgdSeg), cudaMemcpyHostToDevice));
  CK(cudaMemcpy(Gd, g1.data(), total * 4, cudaMemcpyHostToDevice));
  CKI(aa_sgd_update(dsegs, ns, total, 0.005f, 0.9f, 0));  // step 2
  CK(cudaDeviceSynchronize());
  std::vector<double> pr, br;
  sgd_twin_two_steps(segs, p0, g0, g1, 0.01, 0.005, 0.9, pr, br);
  double e = sgd_err(download(P, total), download(B, total), p0, pr, br);  // p, buf and the update p - p0
  double t = time_ms([&] { CKI(aa_sgd_update(dsegs, ns, total, 0.005f, 0.9f, 0)); }, 10);
  report("sgd_update (one launch)", std::to_string(total) + " params, " + std::to_string(ns) + " tensors", e, t);
  CK(cudaFree(P)); CK(cudaFree(Gd)); CK(cudaFree(B)); CK(cudaFree(dsegs));
}

// ---------------- fatbin via the driver API (the Java path) ----------------
static const char* kKernelNames[] = {
    "aa_fill_f32", "aa_add_f32", "aa_scale_f32", "aa_relu_fwd_f32", "aa_relu_bwd_f32", "aa_sigmoid_fwd_f32",
    "aa_sigmoid_bwd_f32", "aa_clamp_min_fwd_f32", "aa_clamp_min_bwd_f32", "aa_bias_add_nchw_f32",
    "aa_bias_grad_nchw_f32", "aa_head_dist_fwd_f32", "aa_head_dist_bwd_f32", "aa_sum_partials_f64",
    "aa_gn_fwd_stats", "aa_gn_fwd_norm", "aa_gn_bwd_reduce", "aa_gn_bwd_dx", "aa_gn_bwd_params",
    "aa_maxpool3s2_fwd_f32", "aa_maxpool3s2_bwd_f32", "aa_upsample_nearest_fwd_f32", "aa_upsample_nearest_bwd_f32",
    "aa_loss_fwd_maxiou", "aa_loss_fwd_gt", "aa_loss_fwd_neg", "aa_loss_fwd_finalize", "aa_loss_bwd_gt",
    "aa_loss_bwd_point", "aa_loss_bwd_prior", "aa_pp_topk_levels", "aa_pp_decode", "aa_nms_init", "aa_nms_sort",
    "aa_nms_mask", "aa_nms_select", "aa_sgd_multi"};
static void check_fatbin(const char* path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::printf("  fatbin %s not found: driver-API check skipped\n", path);
    return;
  }
  std::vector<char> img((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  void* lib = dlopen("libcuda.so.1", RTLD_NOW);
  if (!lib) {
    std::printf("  libcuda.so.1 not loadable: driver-API check skipped\n");
    return;
  }
  typedef int (*LoadData)(void**, const void*);
  typedef int (*GetFunc)(void**, void*, const char*);
  typedef int (*Launch)(void*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void*, void**,
                        void**);
  auto load = (LoadData)dlsym(lib, "cuModuleLoadData");
  auto getf = (GetFunc)dlsym(lib, "cuModuleGetFunction");
  auto launch = (Launch)dlsym(lib, "cuLaunchKernel");
  CK(cudaFree(0));  // primary context current
  void* mod = nullptr;
  int rc = load(&mod, img.data());
  int found = 0, total = sizeof(kKernelNames) / sizeof(kKernelNames[0]);
  if (rc == 0)
    for (const char* k : kKernelNames) {
      void* fn = nullptr;
      if (getf(&fn, mod, k) == 0) ++found;
      else std::printf("    missing kernel %s\n", k);
    }
  // launch aa_scale_f32 through cuLaunchKernel, as Java will
  long long n = 1000;
  auto x = randn(n, 0, 1);
  float *dx = upload(x), *dy = dalloc<float>(n), alpha = 2.5f;
  void* fn = nullptr;
  double err = INFINITY;
  if (rc == 0 && getf(&fn, mod, "aa_scale_f32") == 0) {
    void* args[] = {&dy, &dx, &alpha, &n};
    int lr = launch(fn, (unsigned)((n + 255) / 256), 1, 1, 256, 1, 1, 0, nullptr, args, nullptr);
    CK(cudaDeviceSynchronize());
    std::vector<double> r(n);
    for (long long i = 0; i < n; ++i) r[i] = 2.5 * x[i];
    err = lr == 0 ? nrel(download(dy, n), r) : INFINITY;
  }
  std::printf("  fatbin: cuModuleLoadData rc=%d, %d/%d kernels resolved\n", rc, found, total);
  report("fatbin via driver API", std::to_string(found) + "/" + std::to_string(total) + " kernels", err, 0,
         rc == 0 && found == total);
  CK(cudaFree(dx));
  CK(cudaFree(dy));
}

int main(int argc, char** argv) {
  const char* fatbin = argc > 1 ? argv[1] : "native/build/aa_kernels.fatbin";
  std::string data = argc > 2 ? argv[2] : "native/tests/data";
  int dev = 0;
  cudaDeviceProp prop;
  if (cudaGetDeviceCount(&dev) != cudaSuccess || dev == 0) {
    std::printf("gpu_check: no CUDA device found\n");
    return 3;
  }
  CK(cudaGetDeviceProperties(&prop, 0));
  std::printf("gpu_check on %s (sm_%d%d, %d SMs, %.1f GiB)\n", prop.name, prop.major, prop.minor,
              prop.multiProcessorCount, prop.totalGlobalMem / 1073741824.0);
  const char* only = std::getenv("AA_ONLY");
  auto want = [&](const char* s) { return !only || std::strstr(only, s); };
  if (want("fatbin")) check_fatbin(fatbin);
  if (want("elementwise")) check_elementwise();
  if (want("groupnorm")) check_groupnorm();
  if (want("pool")) check_pool();
  if (want("loss")) check_loss();
  if (want("post")) check_postprocess();
  if (want("nms")) check_nms_goldens(data);
  if (want("sgd")) check_sgd();
  int fails = 0;
  std::printf("\n| op | size | max rel err | result | median ms |\n|---|---|---|---|---|\n");
  for (auto& r : g_rows) {
    std::printf("| %s | %s | %.2e | %s | %.4f |\n", r.op.c_str(), r.size.c_str(), r.err, r.pass ? "PASS" : "FAIL", r.ms);
    fails += !r.pass;
  }
  std::printf("\n%s: %zu ops, %d failed (tolerance %.0e, error = max|gpu-cpu| / max|cpu|)\n", fails ? "FAIL" : "PASS",
              g_rows.size(), fails, TOL);
  return fails ? 1 : 0;
}
