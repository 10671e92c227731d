// aa_math.h — per-element math of every autoassign-native kernel.
//
// llm.c habit: each op's arithmetic lives here as an inline function that is compiled both for
// the GPU (nvcc: __host__ __device__) and for the host (plain g++), so the host test suite checks
// exactly the code the kernels run. No CUDA header is needed to include this file.
//
// Semantics follow the specs in shared/spec (AA_2 model ops, AA_3 loss, AA_4 NMS, AA_5 SGD);
// every function states the PyTorch/MMCV behaviour it reproduces. All math is float32, in the
// evaluation order of the PyTorch reference, unless a comment says otherwise.
#ifndef AA_MATH_H
#define AA_MATH_H

#include <math.h>

#if defined(__CUDACC__)
#define AA_HD __host__ __device__ __forceinline__
#else
#define AA_HD inline
#endif

namespace aa {

// ---- constants (AA_3 §0, §3, §10; AA_4 §3) ----
constexpr float kEps = 1e-12f;          // AutoAssign EPS
constexpr float kIouEps = 1e-6f;        // bbox_overlaps eps for IoU / GIoU
constexpr float kBceLogMin = -100.f;    // F.binary_cross_entropy log clamp
constexpr float kBceGradEps = 1e-12f;   // BCE backward denominator clamp
constexpr float kGiouWeight = 5.f;      // GIoULoss loss_weight
constexpr float kPosWeight = 0.25f;     // pos loss weight
constexpr float kNegWeight = 0.75f;     // neg loss weight
constexpr float kCenterWeight = 0.75f;  // center loss weight

AA_HD float max_f(float a, float b) { return a > b ? a : b; }
AA_HD float min_f(float a, float b) { return a < b ? a : b; }

// ---- elementwise ----
AA_HD float add_f(float a, float b) { return a + b; }
AA_HD float scale_f(float x, float alpha) { return alpha * x; }
// torch.relu: NaN propagates (x > 0 is false for NaN, but NaN is returned as is).
AA_HD float relu_fwd(float x) { return (x > 0.f || x != x) ? x : 0.f; }
// threshold_backward(grad, output, 0): gradient where the OUTPUT is > 0.
AA_HD float relu_bwd(float dy, float y) { return y > 0.f ? dy : 0.f; }
AA_HD float sigmoid_fwd(float x) { return 1.f / (1.f + expf(-x)); }
// sigmoid_backward(grad, output) = grad * (1 - y) * y
AA_HD float sigmoid_bwd(float dy, float y) { return dy * (1.f - y) * y; }
// torch.clamp(min=lo): NaN propagates; backward passes where x >= lo (inclusive, AA_2 §3).
AA_HD float clamp_min_fwd(float x, float lo) { return x < lo ? lo : x; }
AA_HD float clamp_min_bwd(float dy, float x, float lo) { return x >= lo ? dy : 0.f; }
// Head transform dist = max(raw*scale, 0) * stride (AA_2 §3, AA_3 §11).
AA_HD float head_dist_fwd(float raw, float scale, float stride) {
  return clamp_min_fwd(raw * scale, 0.f) * stride;
}
// d dist / d raw (times dy); the d/d scale term is dy*stride*raw*[raw*scale >= 0].
AA_HD float head_dist_bwd_raw(float dy, float raw, float scale, float stride) {
  return (raw * scale >= 0.f) ? dy * stride * scale : 0.f;
}
AA_HD float head_dist_bwd_scale(float dy, float raw, float scale, float stride) {
  return (raw * scale >= 0.f) ? dy * stride * raw : 0.f;
}

// ---- BCE (AA_3 §10) ----
AA_HD float clamped_log(float v) { return max_f(logf(v), kBceLogMin); }
// F.binary_cross_entropy(x, y): (y - 1) * max(log(1 - x), -100) - y * max(log(x), -100)
AA_HD float bce_fwd(float x, float y) {
  return (y - 1.f) * clamped_log(1.f - x) - y * clamped_log(x);
}
// backward: (x - y) / max((1 - x) * x, 1e-12), independent of the forward clamp.
AA_HD float bce_bwd(float x, float y) { return (x - y) / max_f((1.f - x) * x, kBceGradEps); }
// negative-loss cell f(q) = q^2 * BCE(q, 0) and its derivative (AA_3 §6, §11)
AA_HD float neg_cell_fwd(float q) { return q * q * bce_fwd(q, 0.f); }
AA_HD float neg_cell_bwd(float q) { return 2.f * q * bce_fwd(q, 0.f) + q * q * bce_bwd(q, 0.f); }

// ---- min/max with PyTorch gradient rules: ties split 0.5 / 0.5 ----
AA_HD float max_grad_first(float a, float b) { return a > b ? 1.f : (a == b ? 0.5f : 0.f); }
AA_HD float min_grad_first(float a, float b) { return a < b ? 1.f : (a == b ? 0.5f : 0.f); }

// ---- boxes (xyxy) ----
// distance2bbox: point + (l,t,r,b) -> (px-l, py-t, px+r, py+b)
AA_HD void decode_box(float px, float py, const float* d, float* box) {
  box[0] = px - d[0];
  box[1] = py - d[1];
  box[2] = px + d[2];
  box[3] = py + d[3];
}
// AA_3 §1: encode the GT relative to the point; inside is STRICT (min > 0). The encoded targets
// decoded again give the target box used for GIoU/IoU (px - (px - X1), ...).
AA_HD bool encode_target(float px, float py, const float* gt, float* tbox) {
  float l = px - gt[0], t = py - gt[1], r = gt[2] - px, b = gt[3] - py;
  tbox[0] = px - l;
  tbox[1] = py - t;
  tbox[2] = px + r;
  tbox[3] = py + b;
  return min_f(min_f(l, t), min_f(r, b)) > 0.f;
}

// MMDet bbox_overlaps(aligned, mode='iou'/'giou', eps=1e-6). Returns GIoU, writes IoU.
AA_HD float giou_fwd(const float* p, const float* t, float* iou_out) {
  float area1 = (p[2] - p[0]) * (p[3] - p[1]);
  float area2 = (t[2] - t[0]) * (t[3] - t[1]);
  float ltx = max_f(p[0], t[0]), lty = max_f(p[1], t[1]);
  float rbx = min_f(p[2], t[2]), rby = min_f(p[3], t[3]);
  float whx = clamp_min_fwd(rbx - ltx, 0.f), why = clamp_min_fwd(rby - lty, 0.f);
  float overlap = whx * why;
  float uni = max_f(area1 + area2 - overlap, kIouEps);
  float iou = overlap / uni;
  float elx = min_f(p[0], t[0]), ely = min_f(p[1], t[1]);
  float erx = max_f(p[2], t[2]), ery = max_f(p[3], t[3]);
  float ewx = clamp_min_fwd(erx - elx, 0.f), ewy = clamp_min_fwd(ery - ely, 0.f);
  float earea = max_f(ewx * ewy, kIouEps);
  if (iou_out) *iou_out = iou;
  return iou - (earea - uni) / earea;
}
AA_HD float iou_aligned(const float* p, const float* t) {
  float iou;
  giou_fwd(p, t, &iou);
  return iou;
}

// Backward of giou_fwd w.r.t. the predicted corners p (the target gets no gradient), torch rules:
// maximum/minimum split ties, clamp(min) passes at >= bound, max(U,eps)/max(E,eps) pass at >= eps.
AA_HD void giou_bwd(const float* p, const float* t, float dg, float* dp) {
  float area1 = (p[2] - p[0]) * (p[3] - p[1]);
  float area2 = (t[2] - t[0]) * (t[3] - t[1]);
  float ltx = max_f(p[0], t[0]), lty = max_f(p[1], t[1]);
  float rbx = min_f(p[2], t[2]), rby = min_f(p[3], t[3]);
  float rawx = rbx - ltx, rawy = rby - lty;
  float whx = clamp_min_fwd(rawx, 0.f), why = clamp_min_fwd(rawy, 0.f);
  float overlap = whx * why;
  float uraw = area1 + area2 - overlap;
  float uni = max_f(uraw, kIouEps);
  float elx = min_f(p[0], t[0]), ely = min_f(p[1], t[1]);
  float erx = max_f(p[2], t[2]), ery = max_f(p[3], t[3]);
  float erawx = erx - elx, erawy = ery - ely;
  float ewx = clamp_min_fwd(erawx, 0.f), ewy = clamp_min_fwd(erawy, 0.f);
  float eraw = ewx * ewy;
  float earea = max_f(eraw, kIouEps);
  // giou = iou - (earea - uni) / earea
  float d_iou = dg;
  float d_frac = -dg;                              // frac = (earea - uni) / earea
  float d_num = d_frac / earea;                    // num = earea - uni
  float d_earea = d_num - d_frac * (earea - uni) / (earea * earea);
  float d_uni = -d_num;
  // iou = overlap / uni
  float d_overlap = d_iou / uni;
  d_uni += -d_iou * overlap / (uni * uni);
  // uni = max(uraw, eps) ; uraw = area1 + area2 - overlap
  float d_uraw = uraw >= kIouEps ? d_uni : 0.f;
  float d_area1 = d_uraw;
  d_overlap += -d_uraw;
  // earea = max(eraw, eps) ; eraw = ewx * ewy
  float d_eraw = eraw >= kIouEps ? d_earea : 0.f;
  float d_ewx = d_eraw * ewy, d_ewy = d_eraw * ewx;
  float d_erawx = erawx >= 0.f ? d_ewx : 0.f, d_erawy = erawy >= 0.f ? d_ewy : 0.f;
  float d_erx = d_erawx, d_elx = -d_erawx, d_ery = d_erawy, d_ely = -d_erawy;
  // overlap = whx * why
  float d_whx = d_overlap * why, d_why = d_overlap * whx;
  float d_rawx = rawx >= 0.f ? d_whx : 0.f, d_rawy = rawy >= 0.f ? d_why : 0.f;
  float d_rbx = d_rawx, d_ltx = -d_rawx, d_rby = d_rawy, d_lty = -d_rawy;
  float w1 = p[2] - p[0], h1 = p[3] - p[1];
  dp[0] = d_ltx * max_grad_first(p[0], t[0]) + d_elx * min_grad_first(p[0], t[0]) - d_area1 * h1;
  dp[1] = d_lty * max_grad_first(p[1], t[1]) + d_ely * min_grad_first(p[1], t[1]) - d_area1 * w1;
  dp[2] = d_rbx * min_grad_first(p[2], t[2]) + d_erx * max_grad_first(p[2], t[2]) + d_area1 * h1;
  dp[3] = d_rby * min_grad_first(p[3], t[3]) + d_ery * max_grad_first(p[3], t[3]) + d_area1 * w1;
}
// corners -> distances: x1 = px - l, y1 = py - t, x2 = px + r, y2 = py + b
AA_HD void box_grad_to_dist(const float* dbox, float* dd) {
  dd[0] = -dbox[0];
  dd[1] = -dbox[1];
  dd[2] = dbox[2];
  dd[3] = dbox[3];
}

// ---- center prior (AA_3 §2), one (point, GT) pair ----
struct CenterPrior {
  float c;       // C~ = ex * ey (before the inside mask)
  float dx, dy;  // delta - mu per axis
};
AA_HD CenterPrior center_prior(float px, float py, float stride, const float* gt, float mux, float muy,
                               float sx, float sy) {
  float cx = (gt[0] + gt[2]) / 2.f, cy = (gt[1] + gt[3]) / 2.f;
  CenterPrior r;
  r.dx = (px - cx) / stride - mux;
  r.dy = (py - cy) / stride - muy;
  float ex = expf(-(r.dx * r.dx) / (2.f * (sx * sx)));
  float ey = expf(-(r.dy * r.dy) / (2.f * (sy * sy)));
  r.c = ex * ey;
  return r;
}
// dC/dmu_a = C*(delta_a - mu_a)/sigma_a^2 ; dC/dsigma_a = C*(delta_a - mu_a)^2/sigma_a^3
AA_HD float center_prior_dmu(float c, float d, float s) { return c * d / (s * s); }
AA_HD float center_prior_dsigma(float c, float d, float s) { return c * (d * d) / (s * s * s); }

// ---- positive loss pieces (AA_3 §5, §11) ----
// joint confidence S = Pcls * Ploc, Pcls = sigma(cls)*sigma(obj), Ploc = exp(-5 (1 - GIoU))
AA_HD float reg_loss(float giou) { return kGiouWeight * (1.f - giou); }
// dR/dS_p and dR/dC_p given the per-GT sums. clamped: sum_p a < EPS (w = a / EPS, no grad via sum)
AA_HD float dR_dS(float S, float a, float A, float R, bool clamped) {
  if (clamped) return a * (1.f + 3.f * S) / kEps;
  float w = a / A;
  return w * (1.f + 3.f * (S - R));
}
AA_HD float dR_dC(float S, float e3s, float A, float R, bool clamped) {
  if (clamped) return e3s * S / kEps;
  return (e3s / A) * (S - R);
}
// d(0.25*BCE(R,1))/dR
AA_HD float dLpos_dR(float R) { return kPosWeight * bce_bwd(R, 1.f); }

// ---- negative weights (AA_3 §6) ----
AA_HD float neg_u(float m) { return 1.f / max_f(1.f - m, kEps); }
AA_HD float neg_v(float u, float umin, float umax) { return (u - umin + kEps) / (umax - umin + kEps); }

// ---- GroupNorm (AA_2 §3), NCHW, biased variance ----
AA_HD float gn_norm(float x, float mean, float rstd, float gamma, float beta) {
  return (x - mean) * rstd * gamma + beta;
}
// torch's GN backward in the "c1*dy + c2*x + c3" form:
//   c1 = rstd*gamma_c ; c2 = (sum_db*mean - sum_ds)*rstd^3/M ; c3 = -c2*mean - sum_db*rstd/M
// with sum_ds = sum_{c in g} gamma_c * sum_hw dy*x, sum_db = sum_{c in g} gamma_c * sum_hw dy.
AA_HD void gn_bwd_coeffs(double sum_ds, double sum_db, double mean, double rstd, double M, double* c2,
                         double* c3) {
  double a = (sum_db * mean - sum_ds) * rstd * rstd * rstd / M;
  *c2 = a;
  *c3 = -a * mean - sum_db * rstd / M;
}
AA_HD float gn_dx(float dy, float x, float c1, float c2, float c3) { return c1 * dy + c2 * x + c3; }

// ---- nearest upsample (AA_2 §2): src = floor(dst * in / out) (integer form, exact) ----
AA_HD int nearest_src(int dst, int in, int out) {
  long long s = (long long)dst * in / out;
  return (int)(s < in - 1 ? s : in - 1);
}
// first dst index whose src >= s: ceil(s*out/in)
AA_HD int nearest_dst_begin(int s, int in, int out) {
  return (int)(((long long)s * out + in - 1) / in);
}

// ---- max-pool 3x3 / stride 2 / pad 1 output size ----
AA_HD int pool_out_size(int n) { return (n + 2 * 1 - 3) / 2 + 1; }

// ---- NMS (AA_4 §3): IoU without +1, float32, suppress when IoU > thr (strict) ----
AA_HD float nms_iou(const float* a, const float* b) {
  float area_a = (a[2] - a[0]) * (a[3] - a[1]);
  float area_b = (b[2] - b[0]) * (b[3] - b[1]);
  float w = max_f(0.f, min_f(a[2], b[2]) - max_f(a[0], b[0]));
  float h = max_f(0.f, min_f(a[3], b[3]) - max_f(a[1], b[1]));
  float inter = w * h;
  return inter / (area_a + area_b - inter);
}
AA_HD bool nms_suppresses(const float* kept, const float* other, float thr) {
  return nms_iou(kept, other) > thr;
}
// Post-processing decode (AA_4 §2-3): decode, clip to the unpadded image, rescale.
AA_HD void pp_decode(float px, float py, const float* d, float img_w, float img_h, float inv_sw, float inv_sh,
                     float* box) {
  decode_box(px, py, d, box);
  box[0] = min_f(max_f(box[0], 0.f), img_w);
  box[1] = min_f(max_f(box[1], 0.f), img_h);
  box[2] = min_f(max_f(box[2], 0.f), img_w);
  box[3] = min_f(max_f(box[3], 0.f), img_h);
  box[0] *= inv_sw;
  box[1] *= inv_sh;
  box[2] *= inv_sw;
  box[3] *= inv_sh;
}
AA_HD bool pp_size_ok(const float* box) { return (box[2] - box[0] > 0.f) && (box[3] - box[1] > 0.f); }

// ---- SGD (AA_5 §3), PyTorch torch.optim.SGD, dampening 0, nesterov off ----
AA_HD void sgd_step(float* p, float g, float* buf, float lr, float momentum, float wd, bool first) {
  float gd = g + wd * (*p);
  float b = first ? gd : momentum * (*buf) + gd;
  *buf = b;
  *p = *p - lr * b;
}

}  // namespace aa

#endif  // AA_MATH_H
