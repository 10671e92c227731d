/* aa_kernels.h — C ABI of the autoassign-native CUDA kernels.
 *
 * Two ways in:
 *  1. These launch wrappers (host functions in libaa_kernels.so / linked into gpu_check): each takes
 *     device pointers, sizes and a stream, launches the kernel(s) and returns 0 or the cudaError_t.
 *  2. The raw `extern "C" __global__` kernels in aa_kernels.fatbin, loaded through the driver API
 *     (cuModuleLoadData + cuModuleGetFunction + cuLaunchKernel). Their names, parameter lists,
 *     grid/block rules and workspace layouts are the contract, documented in native/README.md.
 *     The wrappers below are the reference for how each kernel must be launched.
 *
 * Layouts: NCHW float32 for feature maps; per-image "image-major" layouts for the loss and
 * post-processing (cls [P,C], dist [P,4] (l,t,r,b pixels), obj [P], pts [P,3] = (x, y, stride)).
 * No CUDA header is needed to include this file.
 */
#ifndef AA_KERNELS_H
#define AA_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct CUstream_st* aa_stream_t; /* == cudaStream_t / CUstream; NULL = default stream */

/* Limits baked into the kernels (static shared memory). */
#define AA_BLOCK 256            /* threads per block of every 1-D kernel */
#define AA_LOSS_MAX_CLASSES 256 /* loss: C <= 256 */
#define AA_PP_THREADS 1024      /* post-processing top-k: threads per block (one block per level) */
#define AA_PP_MAX_CAND 8192     /* post-processing: L*K <= 8192 candidates */
#define AA_REDUCE_BLOCKS 1024   /* max blocks (and partials) of the generic reductions */

/* ---------------- elementwise (n elements, any n >= 0; out may alias an input) ---------------- */
int aa_fill(float* out, float value, long long n, aa_stream_t s);
int aa_add(float* out, const float* a, const float* b, long long n, aa_stream_t s);
int aa_scale(float* out, const float* x, float alpha, long long n, aa_stream_t s);
int aa_relu_fwd(float* y, const float* x, long long n, aa_stream_t s);
int aa_relu_bwd(float* dx, const float* dy, const float* y, long long n, aa_stream_t s);
int aa_sigmoid_fwd(float* y, const float* x, long long n, aa_stream_t s);
int aa_sigmoid_bwd(float* dx, const float* dy, const float* y, long long n, aa_stream_t s);
int aa_clamp_min_fwd(float* y, const float* x, float lo, long long n, aa_stream_t s);
int aa_clamp_min_bwd(float* dx, const float* dy, const float* x, float lo, long long n, aa_stream_t s);
/* y[n,c,:] = x[n,c,:] + bias[c]  (NCHW, HW = H*W) */
int aa_bias_add_nchw(float* y, const float* x, const float* bias, int N, int C, long long HW, aa_stream_t s);
/* dbias[c] (=|+=) sum_{n,hw} dy[n,c,hw]   (double accumulation, deterministic) */
int aa_bias_grad_nchw(float* dbias, const float* dy, int N, int C, long long HW, int accumulate, aa_stream_t s);
/* head transform dist = max(raw*scale,0)*stride with scale a device scalar (AA_2 §3) */
int aa_head_dist_fwd(float* dist, const float* raw, const float* scale, float stride, long long n, aa_stream_t s);
/* draw = dy*stride*scale*[raw*scale>=0]; dscale (=|+=) sum dy*stride*raw*[...]; ws: AA_REDUCE_BLOCKS doubles */
int aa_head_dist_bwd(float* draw, float* dscale, const float* dy, const float* raw, const float* scale, float stride,
                     long long n, int accumulate, double* ws, aa_stream_t s);

/* ---------------- GroupNorm (NCHW, G groups, C % G == 0, biased variance) ---------------- */
/* mean, rstd: [N*G] saved for backward. ws: N*C*2 doubles. */
int aa_groupnorm_fwd(float* y, float* mean, float* rstd, const float* x, const float* gamma, const float* beta,
                     int N, int C, long long HW, int G, float eps, double* ws, aa_stream_t s);
/* dgamma, dbeta (=|+=) ; dx overwritten. ws: N*C*2 doubles. */
int aa_groupnorm_bwd(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x, const float* mean,
                     const float* rstd, const float* gamma, int N, int C, long long HW, int G, int accumulate,
                     double* ws, aa_stream_t s);

/* ---------------- max-pool 3x3 / stride 2 / pad 1, nearest upsample ---------------- */
/* Ho = (H-1)/2+1, Wo = (W-1)/2+1 ; argmax = h*W+w inside the input plane (first max in scan order) */
int aa_maxpool3s2_fwd(float* y, int* argmax, const float* x, int NC, int H, int W, aa_stream_t s);
int aa_maxpool3s2_bwd(float* dx, const float* dy, const int* argmax, int NC, int H, int W, aa_stream_t s);
/* y (=|+=) x[src], src = floor(dst*in/out) per axis */
int aa_upsample_nearest_fwd(float* y, const float* x, int NC, int Hin, int Win, int Hout, int Wout, int accumulate,
                            aa_stream_t s);
int aa_upsample_nearest_bwd(float* dx, const float* dy, int NC, int Hin, int Win, int Hout, int Wout, int accumulate,
                            aa_stream_t s);

/* ---------------- fused AutoAssign loss (AA_3), one image ----------------
 * Inputs: cls [P,C] logits, dist [P,4] pixels, obj [P] logits, pts [P,3] (x,y,stride), gt [G,4] xyxy,
 * labels [G] int32 in 0..C-1, mean [C,2], sigma [C,2].
 * stats (double[8]) written by forward:
 *   [0] Lpos_i = 0.25*sum_g BCE(R_g,1)   [1] Lneg_i = 0.75*sum q^2 BCE(q,0)   [2] sum_{p,g} C (detached)
 *   [3] G_i   [4] number of inside pairs   [5] z_i (= G_i/max(sumC,EPS) if pairs>0 else 0)   [6],[7] 0
 * The caller forms the normalisers and passes d total/d Lpos_i = wpos (e.g. 1/pos_norm),
 * d total/d Lneg_i = wneg (1/neg_norm), d total/d z_i = wctr (0.75/images) to backward.
 * Backward overwrites dcls, ddist, dobj; dmean/dsigma (=|+=) per accumulate_prior.
 * ws: aa_loss_workspace_bytes(P, G) bytes, written by forward and read by backward. */
size_t aa_loss_workspace_bytes(int P, int G);
int aa_loss_forward(const float* cls, const float* dist, const float* obj, const float* pts, const float* gt,
                    const int* labels, const float* mean, const float* sigma, int P, int C, int G, void* ws,
                    double* stats, aa_stream_t s);
int aa_loss_backward(const float* cls, const float* dist, const float* obj, const float* pts, const float* gt,
                     const int* labels, const float* mean, const float* sigma, int P, int C, int G, const void* ws,
                     const double* stats, float wpos, float wneg, float wctr, float* dcls, float* ddist, float* dobj,
                     float* dmean, float* dsigma, int accumulate_prior, aa_stream_t s);

/* ---------------- post-processing (AA_4), one image ----------------
 * level_start: device int[L+1], point offsets of the levels in cls/dist/obj/pts. K = nms_pre (1000).
 * Outputs up to max_out detections sorted by score desc: out_boxes [max_out,4] (original-image pixels),
 * out_scores, out_labels, out_count (device int). ws: aa_pp_workspace_bytes(L, K) bytes. */
size_t aa_pp_workspace_bytes(int L, int K);
int aa_postprocess(const float* cls, const float* dist, const float* obj, const float* pts, int C,
                   const int* level_start, int L, float score_thr, int K, float img_w, float img_h, float inv_w_scale,
                   float inv_h_scale, float iou_thr, int max_out, void* ws, float* out_boxes, float* out_scores,
                   int* out_labels, int* out_count, aa_stream_t s);
/* NMS alone on n boxes (xyxy, any order) with scores/labels; class-aware via the MMCV offset trick.
 * Writes kept detections (score desc, ties by index asc), at most max_out. ws: aa_nms_workspace_bytes(n). */
size_t aa_nms_workspace_bytes(int n);
int aa_nms(const float* boxes, const float* scores, const int* labels, int n, float iou_thr, int max_out, void* ws,
           float* out_boxes, float* out_scores, int* out_labels, int* out_count, aa_stream_t s);

/* ---------------- SGD over all parameters, one launch (AA_5 §3) ---------------- */
typedef struct AaSgdSeg {
  float* p;        /* parameter */
  const float* g;  /* gradient; NULL = no gradient this step, tensor skipped */
  float* buf;      /* momentum buffer */
  long long start; /* prefix offset of this segment in the global element numbering (sorted, dense) */
  long long n;     /* elements */
  float wd;        /* weight decay of this tensor (1e-4 or 0 for norm params) */
  int first;       /* 1: first step for this tensor (buf = g') */
} AaSgdSeg;        /* 48 bytes, same on host and device */
int aa_sgd_update(const AaSgdSeg* segs_dev, int nseg, long long total, float lr, float momentum, aa_stream_t s);

#ifdef __cplusplus
}
#endif

#endif /* AA_KERNELS_H */
