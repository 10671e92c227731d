// aa_loss.cu — fused AutoAssign loss (AA_3), forward and backward, one image per call.
//
// Forward:  F1 aa_loss_fwd_maxiou  thread/point : m[p] = max_g IoU(pred_p, target_pg)
//           F2 aa_loss_fwd_gt      block/GT     : sums over inside points (A=sum a, B=sum S a, sum C,
//                                                 count, min/max u) -> R_g, dLpos/dR_g
//           F3 aa_loss_fwd_neg     warp/point   : W row (GT-major last write wins) + sum q^2 BCE(q,0)
//           F4 aa_loss_fwd_finalize 1 block     : Lpos_i, Lneg_i, sum C, z_i -> stats[8]
// Backward: B1 aa_loss_bwd_gt      block/GT     : per-GT partial d mu / d sigma
//           B2 aa_loss_bwd_point   warp/point   : d cls (neg + pos), d obj, d dist (pos: all GTs of the point)
//           B3 aa_loss_bwd_prior   thread/class : d mean, d sigma = sum of the per-GT partials (g ascending)
// All sums over points are double and in a fixed order (deterministic, no float atomics).
#include "aa_common.cuh"

#define AA_LOSS_WARPS 8  // warps per block of the warp-per-point kernels (256 threads)

namespace {
struct GtStat {  // layout of gt_stats[g*8 + k] (doubles)
  enum { A = 0, B = 1, SUMC = 2, COUNT = 3, UMIN = 4, UMAX = 5, R = 6, DLDR = 7 };
};
__device__ __forceinline__ void load_point(const float* pts, int p, float& px, float& py, float& st) {
  px = pts[3 * p];
  py = pts[3 * p + 1];
  st = pts[3 * p + 2];
}
// Positive-loss quantities of one inside (point, GT) pair.
struct PosPair {
  float sc, Pcls, Ploc, S, C, e3s, a, giou;
  aa::CenterPrior cp;
};
__device__ __forceinline__ PosPair pos_pair(const float* pbox, const float* tbox, float sc, float so, float px, float py,
                                            float st, const float* gtb, float mux, float muy, float sx, float sy) {
  PosPair r;
  r.sc = sc;
  r.Pcls = sc * so;
  r.giou = aa::giou_fwd(pbox, tbox, nullptr);
  r.Ploc = expf(-aa::reg_loss(r.giou));
  r.S = r.Pcls * r.Ploc;
  r.cp = aa::center_prior(px, py, st, gtb, mux, muy, sx, sy);
  r.C = r.cp.c;
  r.e3s = expf(r.S * 3.f);
  r.a = r.e3s * r.C;
  return r;
}
}  // namespace

// F1: grid ceil(P/256) x 256
AA_KERNEL void aa_loss_fwd_maxiou(const float* dist, const float* pts, const float* gt, int P, int G, float* m) {
  int p = blockIdx.x * blockDim.x + threadIdx.x;
  if (p >= P) return;
  float px, py, st, pbox[4], tbox[4], d[4] = {dist[4 * p], dist[4 * p + 1], dist[4 * p + 2], dist[4 * p + 3]};
  load_point(pts, p, px, py, st);
  aa::decode_box(px, py, d, pbox);
  float best = 0.f;
  for (int g = 0; g < G; ++g) {
    aa::encode_target(px, py, gt + 4 * g, tbox);
    float iou = aa::iou_aligned(pbox, tbox);
    best = g == 0 ? iou : aa::max_f(best, iou);
  }
  m[p] = best;
}

// F2: grid G x 256
AA_KERNEL void aa_loss_fwd_gt(const float* cls, const float* dist, const float* obj, const float* pts, const float* gt,
                              const int* labels, const float* mean, const float* sigma, const float* m, int P, int C,
                              int G, double* gt_stats) {
  __shared__ double shd[32];
  __shared__ float shf[32];
  int g = blockIdx.x, lab = labels[g];
  float gtb[4] = {gt[4 * g], gt[4 * g + 1], gt[4 * g + 2], gt[4 * g + 3]};
  float mux = mean[2 * lab], muy = mean[2 * lab + 1], sx = sigma[2 * lab], sy = sigma[2 * lab + 1];
  double A = 0.0, B = 0.0, SC = 0.0, cnt = 0.0;
  float umin = INFINITY, umax = -INFINITY;
  for (int p = threadIdx.x; p < P; p += blockDim.x) {
    float px, py, st, tbox[4];
    load_point(pts, p, px, py, st);
    if (!aa::encode_target(px, py, gtb, tbox)) continue;
    float d[4] = {dist[4 * p], dist[4 * p + 1], dist[4 * p + 2], dist[4 * p + 3]}, pbox[4];
    aa::decode_box(px, py, d, pbox);
    float so = aa::sigmoid_fwd(obj[p]), sc = aa::sigmoid_fwd(cls[(long long)p * C + lab]);
    PosPair q = pos_pair(pbox, tbox, sc, so, px, py, st, gtb, mux, muy, sx, sy);
    A += (double)q.a;
    B += (double)q.S * (double)q.a;
    SC += (double)q.C;
    cnt += 1.0;
    float u = aa::neg_u(m[p]);
    umin = aa::min_f(umin, u);
    umax = aa::max_f(umax, u);
  }
  A = aa::block_sum(A, shd);
  B = aa::block_sum(B, shd);
  SC = aa::block_sum(SC, shd);
  cnt = aa::block_sum(cnt, shd);
  umin = aa::block_min(umin, shf);
  umax = aa::block_max(umax, shf);
  if (threadIdx.x == 0) {
    bool clamped = A < (double)aa::kEps;
    float R = (float)(B / (clamped ? (double)aa::kEps : A));
    double* o = gt_stats + 8 * g;
    o[GtStat::A] = A;
    o[GtStat::B] = B;
    o[GtStat::SUMC] = SC;
    o[GtStat::COUNT] = cnt;
    o[GtStat::UMIN] = umin;
    o[GtStat::UMAX] = umax;
    o[GtStat::R] = R;
    o[GtStat::DLDR] = cnt > 0 ? aa::dLpos_dR(R) : 0.f;
  }
}

// Builds the negative-weight row W[p, :] of one point in shared memory (lane-strided ownership:
// class c belongs to lane c & 31). Inside GTs are applied in ascending g order: last write wins.
// If pos != nullptr also accumulates the positive-loss gradients of the point's inside pairs.
struct PosGradCtx {
  const float *cls, *dist, *mean, *sigma;
  const double* gt_stats;
  float wpos, so;
  float* dcls_row;  // shared, x-space d cls contributions (per class)
  float dso;        // per-lane sigma(obj)-space accumulator
  float dd[4];      // per-lane d dist accumulator
};
__device__ __forceinline__ void build_w_row(int p, int C, int G, float px, float py, float st, const float* gt,
                                            const int* labels, const float* m, const double* gt_stats, float* wrow,
                                            PosGradCtx* pos) {
  int lane = threadIdx.x & 31;
  for (int c = lane; c < C; c += 32) {
    wrow[c] = 1.f;
    if (pos) pos->dcls_row[c] = 0.f;
  }
  __syncwarp();
  if (G == 0) return;
  float u = aa::neg_u(m[p]);
  for (int g0 = 0; g0 < G; g0 += 32) {
    int g = g0 + lane;
    float tbox[4], v = 0.f, dci = 0.f;
    int lab = 0;
    bool ins = false;
    if (g < G) {
      const float* gtb = gt + 4 * g;
      ins = aa::encode_target(px, py, gtb, tbox);
      if (ins) {
        lab = labels[g];
        const double* gs = gt_stats + 8 * g;
        v = aa::neg_v(u, (float)gs[GtStat::UMIN], (float)gs[GtStat::UMAX]);
        if (pos) {
          float d[4] = {pos->dist[4 * p], pos->dist[4 * p + 1], pos->dist[4 * p + 2], pos->dist[4 * p + 3]}, pbox[4];
          aa::decode_box(px, py, d, pbox);
          float sc = aa::sigmoid_fwd(pos->cls[(long long)p * C + lab]);
          PosPair q = pos_pair(pbox, tbox, sc, pos->so, px, py, st, gtb, pos->mean[2 * lab], pos->mean[2 * lab + 1],
                               pos->sigma[2 * lab], pos->sigma[2 * lab + 1]);
          float A = (float)gs[GtStat::A], R = (float)gs[GtStat::R];
          bool clamped = gs[GtStat::A] < (double)aa::kEps;
          float dS = pos->wpos * (float)gs[GtStat::DLDR] * aa::dR_dS(q.S, q.a, A, R, clamped);
          float dPcls = dS * q.Ploc, dPloc = dS * q.Pcls;
          float dreg = -dPloc * q.Ploc;
          float dgiou = -aa::kGiouWeight * dreg;
          float dbox[4], dd[4];
          aa::giou_bwd(pbox, tbox, dgiou, dbox);
          aa::box_grad_to_dist(dbox, dd);
          for (int k = 0; k < 4; ++k) pos->dd[k] += dd[k];
          pos->dso += dPcls * sc;
          dci = aa::sigmoid_bwd(dPcls * pos->so, sc);
        }
      }
    }
    unsigned mask = __ballot_sync(0xffffffffu, ins);
    while (mask) {
      int i = __ffs(mask) - 1;
      mask &= mask - 1;
      int li = __shfl_sync(0xffffffffu, lab, i);
      float vi = __shfl_sync(0xffffffffu, v, i);
      float di = __shfl_sync(0xffffffffu, dci, i);
      if (lane == (li & 31)) {
        wrow[li] = 1.f - vi;
        if (pos) pos->dcls_row[li] += di;
      }
    }
  }
  __syncwarp();
}

// F3: grid ceil(P/8) x 256 (warp per point); neg_partial[blockIdx.x] = sum of q^2 BCE(q,0) (unweighted)
AA_KERNEL void aa_loss_fwd_neg(const float* cls, const float* obj, const float* pts, const float* gt,
                               const int* labels, const float* m, const double* gt_stats, int P, int C, int G,
                               double* neg_partial) {
  __shared__ float wsh[AA_LOSS_WARPS][AA_LOSS_MAX_CLASSES];
  __shared__ double shd[32];
  int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  int p = blockIdx.x * AA_LOSS_WARPS + warp;
  double acc = 0.0;
  if (p < P) {
    float px, py, st;
    load_point(pts, p, px, py, st);
    float* wrow = wsh[warp];
    build_w_row(p, C, G, px, py, st, gt, labels, m, gt_stats, wrow, nullptr);
    float so = aa::sigmoid_fwd(obj[p]);
    const float* row = cls + (long long)p * C;
    for (int c = lane; c < C; c += 32) {
      float q = aa::sigmoid_fwd(row[c]) * so * wrow[c];
      acc += (double)aa::neg_cell_fwd(q);
    }
  }
  acc = aa::block_sum(acc, shd);
  if (threadIdx.x == 0) neg_partial[blockIdx.x] = acc;
}

// F4: 1 block x 256
AA_KERNEL void aa_loss_fwd_finalize(const double* gt_stats, const double* neg_partial, int nparts, int G,
                                    double* stats) {
  __shared__ double shd[32];
  double lpos = 0.0, sumc = 0.0, cnt = 0.0, lneg = 0.0;
  for (int g = threadIdx.x; g < G; g += blockDim.x) {
    const double* o = gt_stats + 8 * g;
    lpos += (double)(aa::kPosWeight * aa::bce_fwd((float)o[GtStat::R], 1.f));
    sumc += o[GtStat::SUMC];
    cnt += o[GtStat::COUNT];
  }
  for (int i = threadIdx.x; i < nparts; i += blockDim.x) lneg += neg_partial[i];
  lpos = aa::block_sum(lpos, shd);
  sumc = aa::block_sum(sumc, shd);
  cnt = aa::block_sum(cnt, shd);
  lneg = aa::block_sum(lneg, shd);
  if (threadIdx.x == 0) {
    stats[0] = lpos;
    stats[1] = (double)aa::kNegWeight * lneg;
    stats[2] = sumc;
    stats[3] = (double)G;
    stats[4] = cnt;
    stats[5] = cnt > 0 ? (double)G / (sumc > (double)aa::kEps ? sumc : (double)aa::kEps) : 0.0;
    stats[6] = 0.0;
    stats[7] = 0.0;
  }
}

// B1: grid G x 256; gt_grad[g*4 + {0,1,2,3}] = d/d mu_x, mu_y, sigma_x, sigma_y of GT g's class
AA_KERNEL void aa_loss_bwd_gt(const float* cls, const float* dist, const float* obj, const float* pts,
                              const float* gt, const int* labels, const float* mean, const float* sigma,
                              const double* gt_stats, const double* stats, int P, int C, int G, float wpos,
                              float wctr, double* gt_grad) {
  __shared__ double shd[32];
  int g = blockIdx.x, lab = labels[g];
  float gtb[4] = {gt[4 * g], gt[4 * g + 1], gt[4 * g + 2], gt[4 * g + 3]};
  float mux = mean[2 * lab], muy = mean[2 * lab + 1], sx = sigma[2 * lab], sy = sigma[2 * lab + 1];
  const double* gs = gt_stats + 8 * g;
  float A = (float)gs[GtStat::A], R = (float)gs[GtStat::R], dLdR = (float)gs[GtStat::DLDR];
  bool clamped = gs[GtStat::A] < (double)aa::kEps;
  double sumc = stats[2], npairs = stats[4];
  float dzdC = (npairs > 0 && sumc >= (double)aa::kEps) ? (float)(-(double)G / (sumc * sumc)) : 0.f;
  double gmx = 0.0, gmy = 0.0, gsx = 0.0, gsy = 0.0;
  for (int p = threadIdx.x; p < P; p += blockDim.x) {
    float px, py, st, tbox[4];
    load_point(pts, p, px, py, st);
    if (!aa::encode_target(px, py, gtb, tbox)) continue;
    float d[4] = {dist[4 * p], dist[4 * p + 1], dist[4 * p + 2], dist[4 * p + 3]}, pbox[4];
    aa::decode_box(px, py, d, pbox);
    float so = aa::sigmoid_fwd(obj[p]), sc = aa::sigmoid_fwd(cls[(long long)p * C + lab]);
    PosPair q = pos_pair(pbox, tbox, sc, so, px, py, st, gtb, mux, muy, sx, sy);
    float dC = wpos * dLdR * aa::dR_dC(q.S, q.e3s, A, R, clamped) + wctr * dzdC;
    gmx += (double)(dC * aa::center_prior_dmu(q.C, q.cp.dx, sx));
    gmy += (double)(dC * aa::center_prior_dmu(q.C, q.cp.dy, sy));
    gsx += (double)(dC * aa::center_prior_dsigma(q.C, q.cp.dx, sx));
    gsy += (double)(dC * aa::center_prior_dsigma(q.C, q.cp.dy, sy));
  }
  gmx = aa::block_sum(gmx, shd);
  gmy = aa::block_sum(gmy, shd);
  gsx = aa::block_sum(gsx, shd);
  gsy = aa::block_sum(gsy, shd);
  if (threadIdx.x == 0) {
    gt_grad[4 * g] = gmx;
    gt_grad[4 * g + 1] = gmy;
    gt_grad[4 * g + 2] = gsx;
    gt_grad[4 * g + 3] = gsy;
  }
}

// B2: grid ceil(P/8) x 256 (warp per point). Overwrites dcls[p,:], ddist[p,:], dobj[p].
AA_KERNEL void aa_loss_bwd_point(const float* cls, const float* dist, const float* obj, const float* pts,
                                 const float* gt, const int* labels, const float* mean, const float* sigma,
                                 const float* m, const double* gt_stats, int P, int C, int G, float wpos, float wneg,
                                 float* dcls, float* ddist, float* dobj) {
  __shared__ float wsh[AA_LOSS_WARPS][AA_LOSS_MAX_CLASSES];
  __shared__ float dsh[AA_LOSS_WARPS][AA_LOSS_MAX_CLASSES];
  int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  int p = blockIdx.x * AA_LOSS_WARPS + warp;
  if (p >= P) return;  // whole warp leaves together
  float px, py, st;
  load_point(pts, p, px, py, st);
  PosGradCtx ctx;
  ctx.cls = cls;
  ctx.dist = dist;
  ctx.mean = mean;
  ctx.sigma = sigma;
  ctx.gt_stats = gt_stats;
  ctx.wpos = wpos;
  ctx.so = aa::sigmoid_fwd(obj[p]);
  ctx.dcls_row = dsh[warp];
  ctx.dso = 0.f;
  ctx.dd[0] = ctx.dd[1] = ctx.dd[2] = ctx.dd[3] = 0.f;
  float* wrow = wsh[warp];
  build_w_row(p, C, G, px, py, st, gt, labels, m, gt_stats, wrow, &ctx);
  float so = ctx.so, gneg = wneg * aa::kNegWeight;
  const float* row = cls + (long long)p * C;
  float* drow = dcls + (long long)p * C;
  for (int c = lane; c < C; c += 32) {
    float sc = aa::sigmoid_fwd(row[c]);
    float W = wrow[c];
    float q = sc * so * W;
    float dJ = gneg * aa::neg_cell_bwd(q) * W;
    ctx.dso += dJ * sc;
    drow[c] = aa::sigmoid_bwd(dJ * so, sc) + ctx.dcls_row[c];
  }
  float dso = aa::warp_sum(ctx.dso);
  float d0 = aa::warp_sum(ctx.dd[0]), d1 = aa::warp_sum(ctx.dd[1]), d2 = aa::warp_sum(ctx.dd[2]),
        d3 = aa::warp_sum(ctx.dd[3]);
  if (lane == 0) {
    dobj[p] = aa::sigmoid_bwd(dso, so);
    ddist[4 * p] = d0;
    ddist[4 * p + 1] = d1;
    ddist[4 * p + 2] = d2;
    ddist[4 * p + 3] = d3;
  }
}

// B3: grid ceil(C/256) x 256
AA_KERNEL void aa_loss_bwd_prior(const int* labels, const double* gt_grad, int C, int G, float* dmean, float* dsigma,
                                 int accumulate) {
  int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (int g = 0; g < G; ++g)
    if (labels[g] == c) {
      a0 += gt_grad[4 * g];
      a1 += gt_grad[4 * g + 1];
      a2 += gt_grad[4 * g + 2];
      a3 += gt_grad[4 * g + 3];
    }
  if (accumulate) {
    a0 += dmean[2 * c];
    a1 += dmean[2 * c + 1];
    a2 += dsigma[2 * c];
    a3 += dsigma[2 * c + 1];
  }
  dmean[2 * c] = (float)a0;
  dmean[2 * c + 1] = (float)a1;
  dsigma[2 * c] = (float)a2;
  dsigma[2 * c + 1] = (float)a3;
}

// ---------------- wrappers ----------------
namespace {
struct LossWs {
  double *gt_stats, *gt_grad, *neg_partial;
  float* m;
  int nparts;
};
LossWs carve(void* ws, int P, int G) {
  LossWs w;
  w.nparts = (P + AA_LOSS_WARPS - 1) / AA_LOSS_WARPS;
  if (w.nparts < 1) w.nparts = 1;
  char* b = (char*)ws;
  w.gt_stats = (double*)b;
  w.gt_grad = w.gt_stats + 8 * (size_t)G;
  w.neg_partial = w.gt_grad + 4 * (size_t)G;
  w.m = (float*)(w.neg_partial + w.nparts);
  return w;
}
}  // namespace

extern "C" {
size_t aa_loss_workspace_bytes(int P, int G) {
  size_t nparts = P > 0 ? (size_t)(P + AA_LOSS_WARPS - 1) / AA_LOSS_WARPS : 1;
  return sizeof(double) * (12 * (size_t)G + nparts) + sizeof(float) * (size_t)(P > 0 ? P : 1);
}
int aa_loss_forward(const float* cls, const float* dist, const float* obj, const float* pts, const float* gt,
                    const int* labels, const float* mean, const float* sigma, int P, int C, int G, void* ws,
                    double* stats, aa_stream_t s) {
  if (C > AA_LOSS_MAX_CLASSES || C <= 0 || P < 0 || G < 0) return 1;
  LossWs w = carve(ws, P, G);
  if (G > 0 && P > 0) {
    aa_loss_fwd_maxiou<<<aa::grid_1d(P), AA_BLOCK, 0, s>>>(dist, pts, gt, P, G, w.m);
    aa_loss_fwd_gt<<<G, AA_BLOCK, 0, s>>>(cls, dist, obj, pts, gt, labels, mean, sigma, w.m, P, C, G, w.gt_stats);
  }
  if (P > 0)
    aa_loss_fwd_neg<<<w.nparts, AA_BLOCK, 0, s>>>(cls, obj, pts, gt, labels, w.m, w.gt_stats, P, C, G,
                                                  w.neg_partial);
  aa_loss_fwd_finalize<<<1, AA_BLOCK, 0, s>>>(w.gt_stats, w.neg_partial, P > 0 ? w.nparts : 0, G, stats);
  return aa::launch_status();
}
int aa_loss_backward(const float* cls, const float* dist, const float* obj, const float* pts, const float* gt,
                     const int* labels, const float* mean, const float* sigma, int P, int C, int G, const void* ws,
                     const double* stats, float wpos, float wneg, float wctr, float* dcls, float* ddist, float* dobj,
                     float* dmean, float* dsigma, int accumulate_prior, aa_stream_t s) {
  if (C > AA_LOSS_MAX_CLASSES || C <= 0 || P < 0 || G < 0) return 1;
  LossWs w = carve((void*)ws, P, G);
  if (G > 0 && P > 0)
    aa_loss_bwd_gt<<<G, AA_BLOCK, 0, s>>>(cls, dist, obj, pts, gt, labels, mean, sigma, w.gt_stats, stats, P, C, G,
                                          wpos, wctr, w.gt_grad);
  if (P > 0)
    aa_loss_bwd_point<<<w.nparts, AA_BLOCK, 0, s>>>(cls, dist, obj, pts, gt, labels, mean, sigma, w.m, w.gt_stats,
                                                    P, C, G, wpos, wneg, dcls, ddist, dobj);
  aa_loss_bwd_prior<<<(C + AA_BLOCK - 1) / AA_BLOCK, AA_BLOCK, 0, s>>>(labels, w.gt_grad, C, P > 0 ? G : 0, dmean,
                                                                       dsigma, accumulate_prior);
  return aa::launch_status();
}
}
