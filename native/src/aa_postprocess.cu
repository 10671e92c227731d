// aa_postprocess.cu — AA_4 post-processing: per-level top-k of prob > thr (one block per level, radix
// select + ordered compaction + bitonic sort), decode/clip/rescale/score/size filter, and class-aware NMS
// (MMCV offset trick, IoU > thr strict, no +1, sorted by (score desc, index asc)).
#include "aa_common.cuh"

#define AA_PP_CPT 8  // cells per thread per tile in the top-k kernel
#define AA_PP_MAX_K 1024
#define AA_NMS_MAX_WORDS (AA_PP_MAX_CAND / 64)

namespace {
// float -> uint with the same total order (for atomicMax on floats of any sign)
__device__ __forceinline__ unsigned ordered_bits(float f) {
  unsigned u = __float_as_uint(f);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
__device__ __forceinline__ float from_ordered_bits(unsigned u) {
  return __uint_as_float((u & 0x80000000u) ? (u & 0x7fffffffu) : ~u);
}
// Exclusive block scan of one int per thread (blockDim.x multiple of 32). sh: 33 ints.
__device__ __forceinline__ int block_excl_scan(int v, int* sh, int* total) {
  int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
  int x = v;
  for (int o = 1; o < 32; o <<= 1) {
    int y = __shfl_up_sync(0xffffffffu, x, o);
    if (lane >= o) x += y;
  }
  __syncthreads();
  if (lane == 31) sh[wid] = x;
  __syncthreads();
  if (wid == 0) {
    int w = lane < nw ? sh[lane] : 0;
    for (int o = 1; o < 32; o <<= 1) {
      int y = __shfl_up_sync(0xffffffffu, w, o);
      if (lane >= o) w += y;
    }
    if (lane < nw) sh[lane] = w;  // inclusive warp totals
  }
  __syncthreads();
  int base = wid > 0 ? sh[wid - 1] : 0;
  *total = sh[nw - 1];
  return base + x - v;
}
}  // namespace

// grid: L blocks x AA_PP_THREADS(1024). For level l (points level_start[l]..level_start[l+1]),
// candidates = cells (p,c) with sigmoid(cls[p*C+c]) > thr; keeps the top K (K <= 1024) by
// (prob desc, cell index asc). Writes cand_idx[l*K+i] (global cell index p*C+c), cand_prob, cand_count[l].
AA_KERNEL void aa_pp_topk_levels(const float* cls, int C, const int* level_start, float thr, int K, int* cand_idx,
                                 float* cand_prob, int* cand_count) {
  __shared__ unsigned hist[2048];
  __shared__ unsigned long long keys[AA_PP_MAX_K];
  __shared__ int shs[33];
  __shared__ unsigned sel_info[4];
  int l = blockIdx.x, tid = threadIdx.x, nt = blockDim.x;
  long long cbeg = (long long)level_start[l] * C, cend = (long long)level_start[l + 1] * C;
  long long tile = (long long)nt * AA_PP_CPT;
  unsigned prefix = 0, pmask = 0;
  int krem = K;
  bool take_all = false;
  const int shifts[3] = {21, 10, 0}, widths[3] = {11, 11, 10};
  for (int pass = 0; pass < 3; ++pass) {
    int sh = shifts[pass], nb = 1 << widths[pass];
    for (int i = tid; i < 2048; i += nt) hist[i] = 0;
    __syncthreads();
    for (long long t0 = cbeg; t0 < cend; t0 += tile) {
      long long b = t0 + (long long)tid * AA_PP_CPT;
#pragma unroll
      for (int j = 0; j < AA_PP_CPT; ++j) {
        long long e = b + j;
        if (e < cend) {
          float pr = aa::sigmoid_fwd(cls[e]);
          unsigned k = __float_as_uint(pr);
          if (pr > thr && (k & pmask) == prefix) atomicAdd(&hist[(k >> sh) & (nb - 1)], 1u);
        }
      }
    }
    __syncthreads();
    if (tid < 32) {  // warp 0: find the bin holding the krem-th largest (from the top)
      int per = nb / 32;
      unsigned s = 0;
      for (int i = 0; i < per; ++i) s += hist[(31 - tid) * per + i];  // lane 0 = highest chunk
      unsigned incl = s;
      for (int o = 1; o < 32; o <<= 1) {
        unsigned y = __shfl_up_sync(0xffffffffu, incl, o);
        if (tid >= o) incl += y;
      }
      unsigned total = __shfl_sync(0xffffffffu, incl, 31);
      if (tid == 0) sel_info[3] = total;
      unsigned excl = incl - s;
      bool here = (excl < (unsigned)krem) && (incl >= (unsigned)krem);
      unsigned ball = __ballot_sync(0xffffffffu, here);
      if (ball && tid == __ffs(ball) - 1) {
        unsigned run = excl;
        int chunk = 31 - tid;
        for (int i = per - 1; i >= 0; --i) {
          unsigned h = hist[chunk * per + i];
          if (run + h >= (unsigned)krem) {
            sel_info[0] = (unsigned)(chunk * per + i);
            sel_info[1] = run;  // count strictly above this bin
            break;
          }
          run += h;
        }
      }
      if (!ball && tid == 0) sel_info[0] = 0xffffffffu;  // fewer than krem candidates
    }
    __syncthreads();
    if (pass == 0 && sel_info[3] <= (unsigned)K) {
      take_all = true;
      break;
    }
    unsigned bin = sel_info[0];
    krem -= (int)sel_info[1];
    prefix |= bin << sh;
    pmask |= (unsigned)(nb - 1) << sh;
    __syncthreads();
  }
  // ordered compaction: keys > kth, plus the first krem ties (key == kth) in index order
  unsigned kth = prefix;
  int out_base = 0, tie_base = 0;
  for (int i = tid; i < AA_PP_MAX_K; i += nt) keys[i] = 0ull;
  __syncthreads();
  for (long long t0 = cbeg; t0 < cend; t0 += tile) {
    long long b = t0 + (long long)tid * AA_PP_CPT;
    unsigned kk[AA_PP_CPT];
    int ngt = 0, ntie = 0;
#pragma unroll
    for (int j = 0; j < AA_PP_CPT; ++j) {
      long long e = b + j;
      kk[j] = 0;
      if (e < cend) {
        float pr = aa::sigmoid_fwd(cls[e]);
        if (pr > thr) kk[j] = __float_as_uint(pr);
        else kk[j] = 0xffffffffu;  // marker: not a candidate
      } else {
        kk[j] = 0xffffffffu;
      }
      if (kk[j] != 0xffffffffu) {
        if (take_all || kk[j] > kth) ++ngt;
        else if (kk[j] == kth) ++ntie;
      }
    }
    int ttot;
    int texcl = block_excl_scan(ntie, shs, &ttot);
    int nsel = ngt;
    {
      int r = tie_base + texcl;
      for (int j = 0; j < ntie; ++j)
        if (r + j < krem) ++nsel;
    }
    int stot;
    int sexcl = block_excl_scan(nsel, shs, &stot);
    int pos = out_base + sexcl, r = tie_base + texcl;
#pragma unroll
    for (int j = 0; j < AA_PP_CPT; ++j) {
      unsigned k = kk[j];
      if (k == 0xffffffffu) continue;
      bool sel = take_all || k > kth;
      if (!sel && k == kth) sel = (r++ < krem);
      if (sel && pos < AA_PP_MAX_K) {
        unsigned local = (unsigned)(b + j - cbeg);
        keys[pos++] = ((unsigned long long)k << 32) | (unsigned long long)(0xffffffffu - local);
      }
    }
    out_base += stot;
    tie_base += ttot;
  }
  __syncthreads();
  // bitonic sort, descending, AA_PP_MAX_K (power of 2) entries
  for (int size = 2; size <= AA_PP_MAX_K; size <<= 1) {
    for (int stride = size >> 1; stride > 0; stride >>= 1) {
      for (int i = tid; i < AA_PP_MAX_K; i += nt) {
        int j = i ^ stride;
        if (j > i) {
          bool desc = (i & size) == 0;
          unsigned long long a = keys[i], c = keys[j];
          if (desc ? (a < c) : (a > c)) {
            keys[i] = c;
            keys[j] = a;
          }
        }
      }
      __syncthreads();
    }
  }
  int n = out_base < K ? out_base : K;
  for (int i = tid; i < n; i += nt) {
    unsigned long long v = keys[i];
    cand_idx[l * K + i] = (int)(cbeg + (long long)(0xffffffffu - (unsigned)(v & 0xffffffffu)));
    cand_prob[l * K + i] = __uint_as_float((unsigned)(v >> 32));
  }
  if (tid == 0) cand_count[l] = n;
}

// grid ceil(L*K/256) x 256. counters[0] = number of valid boxes, counters[1] = ordered bits of the max coordinate
// (both must be zero before the launch).
AA_KERNEL void aa_pp_decode(const int* cand_idx, const float* cand_prob, const int* cand_count, int L, int K, int C,
                            const float* dist, const float* obj, const float* pts, float img_w, float img_h,
                            float inv_sw, float inv_sh, float* boxes, float* scores, int* labels, int* valid,
                            unsigned* counters) {
  int s = blockIdx.x * blockDim.x + threadIdx.x;
  if (s >= L * K) return;
  int l = s / K, i = s % K;
  int ok = 0;
  if (i < cand_count[l]) {
    int cell = cand_idx[s], p = cell / C, c = cell % C;
    float d[4] = {dist[4 * p], dist[4 * p + 1], dist[4 * p + 2], dist[4 * p + 3]}, box[4];
    aa::pp_decode(pts[3 * p], pts[3 * p + 1], d, img_w, img_h, inv_sw, inv_sh, box);
    ok = aa::pp_size_ok(box);
    for (int k = 0; k < 4; ++k) boxes[4 * s + k] = box[k];
    scores[s] = cand_prob[s] * aa::sigmoid_fwd(obj[p]);
    labels[s] = c;
    if (ok) {
      atomicAdd(&counters[0], 1u);
      float mx = aa::max_f(aa::max_f(box[0], box[1]), aa::max_f(box[2], box[3]));
      atomicMax(&counters[1], ordered_bits(mx));
    }
  }
  valid[s] = ok;
}

// standalone NMS prep: grid ceil(n/256) x 256: valid[i] = 1, counters as in aa_pp_decode (zeroed before)
AA_KERNEL void aa_nms_init(const float* boxes, int n, int* valid, unsigned* counters) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  valid[i] = 1;
  atomicAdd(&counters[0], 1u);
  float mx = aa::max_f(aa::max_f(boxes[4 * i], boxes[4 * i + 1]), aa::max_f(boxes[4 * i + 2], boxes[4 * i + 3]));
  atomicMax(&counters[1], ordered_bits(mx));
}

// grid ceil(n/256) x 256: rank of each valid entry by (score desc, index asc); scatter to sorted arrays.
// nms_boxes = box + label*(max_coord + 1) (MMCV batched_nms offsets, float32).
AA_KERNEL void aa_nms_sort(const float* boxes, const float* scores, const int* labels, const int* valid, int n,
                           const unsigned* counters, float* sboxes, float* nboxes, float* sscores, int* slabels) {
  __shared__ float ts[AA_BLOCK];
  __shared__ int tv[AA_BLOCK];
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  bool me = i < n && valid[i];
  float si = me ? scores[i] : 0.f;
  int rank = 0;
  for (int t0 = 0; t0 < n; t0 += AA_BLOCK) {
    int j = t0 + threadIdx.x;
    ts[threadIdx.x] = j < n ? scores[j] : 0.f;
    tv[threadIdx.x] = j < n ? valid[j] : 0;
    __syncthreads();
    if (me) {
      int lim = n - t0 < AA_BLOCK ? n - t0 : AA_BLOCK;
      for (int k = 0; k < lim; ++k) {
        float sj = ts[k];
        rank += (tv[k] && (sj > si || (sj == si && t0 + k < i))) ? 1 : 0;
      }
    }
    __syncthreads();
  }
  if (!me) return;
  float M = from_ordered_bits(counters[1]);
  float off = (float)labels[i] * (M + 1.f);
  for (int k = 0; k < 4; ++k) {
    float b = boxes[4 * i + k];
    sboxes[4 * rank + k] = b;
    nboxes[4 * rank + k] = b + off;
  }
  sscores[rank] = si;
  slabels[rank] = labels[i];
}

// grid (words, words) x 64 with words = ceil(nmax/64): mask[i*words + w] bit b = box (w*64+b) is suppressed
// by box i (j > i only). Number of boxes n = counters[0].
AA_KERNEL void aa_nms_mask(const float* nboxes, const unsigned* counters, float thr, int words,
                           unsigned long long* mask) {
  __shared__ float cb[64 * 4];
  int n = (int)counters[0];
  int rb = blockIdx.y, colb = blockIdx.x;
  if (rb > colb || rb * 64 >= n || colb * 64 >= n) return;
  int ncol = n - colb * 64 < 64 ? n - colb * 64 : 64;
  if (threadIdx.x < ncol)
    for (int k = 0; k < 4; ++k) cb[threadIdx.x * 4 + k] = nboxes[(colb * 64 + threadIdx.x) * 4 + k];
  __syncthreads();
  int i = rb * 64 + threadIdx.x;
  if (i >= n) return;
  const float* bi = nboxes + 4 * i;
  float me[4] = {bi[0], bi[1], bi[2], bi[3]};
  unsigned long long bits = 0;
  int start = rb == colb ? threadIdx.x + 1 : 0;
  for (int j = start; j < ncol; ++j)
    if (aa::nms_suppresses(me, cb + 4 * j, thr)) bits |= 1ull << j;
  mask[(long long)i * words + colb] = bits;
}

// 1 block x 32: walk the sorted list; keep i if not suppressed; OR its mask row; stop at max_out kept.
AA_KERNEL void aa_nms_select(const unsigned long long* mask, const unsigned* counters, int words, int max_out,
                             const float* sboxes, const float* sscores, const int* slabels, float* out_boxes,
                             float* out_scores, int* out_labels, int* out_count) {
  __shared__ unsigned long long removed[AA_NMS_MAX_WORDS];
  int lane = threadIdx.x;
  int n = (int)counters[0];
  for (int w = lane; w < words; w += 32) removed[w] = 0ull;
  __syncwarp();
  int kept = 0, i = 0;
  while (i < n && kept < max_out) {
    int w = i >> 6;
    unsigned long long avail = ~removed[w] & (~0ull << (i & 63));
    int rem = n - (w << 6);
    if (rem < 64) avail &= (1ull << rem) - 1ull;
    if (!avail) {
      i = (w + 1) << 6;
      continue;
    }
    i = (w << 6) + __ffsll((long long)avail) - 1;
    if (lane == 0) {
      for (int k = 0; k < 4; ++k) out_boxes[4 * kept + k] = sboxes[4 * i + k];
      out_scores[kept] = sscores[i];
      out_labels[kept] = slabels[i];
    }
    __syncwarp();  // every lane has read removed[w] above before lane 0 may update it (independent thread scheduling)
    for (int ww = w + lane; ww < words; ww += 32) removed[ww] |= mask[(long long)i * words + ww];
    __syncwarp();
    ++kept;
    ++i;
  }
  if (lane == 0) *out_count = kept;
}

// ---------------- wrappers ----------------
namespace {
struct NmsWs {
  float *sboxes, *nboxes, *sscores;
  int *slabels, *valid;
  unsigned* counters;
  unsigned long long* mask;
  int words;
};
size_t nms_ws_bytes(int n) {
  size_t words = (size_t)(n + 63) / 64;
  return 8 * (size_t)n * words + 4 * (size_t)n * (4 + 4 + 1 + 1 + 1) + 16;
}
NmsWs nms_carve(void* ws, int n) {
  NmsWs w;
  w.words = (n + 63) / 64;
  char* b = (char*)ws;
  w.mask = (unsigned long long*)b;
  b += 8 * (size_t)n * w.words;
  w.sboxes = (float*)b;
  b += 16 * (size_t)n;
  w.nboxes = (float*)b;
  b += 16 * (size_t)n;
  w.sscores = (float*)b;
  b += 4 * (size_t)n;
  w.slabels = (int*)b;
  b += 4 * (size_t)n;
  w.valid = (int*)b;
  b += 4 * (size_t)n;
  w.counters = (unsigned*)b;
  return w;
}
int nms_run(const float* boxes, const float* scores, const int* labels, int n, float thr, int max_out, NmsWs& w,
            float* ob, float* os, int* ol, int* oc, aa_stream_t s) {
  unsigned g = (unsigned)((n + AA_BLOCK - 1) / AA_BLOCK);
  aa_nms_sort<<<g, AA_BLOCK, 0, s>>>(boxes, scores, labels, w.valid, n, w.counters, w.sboxes, w.nboxes, w.sscores,
                                     w.slabels);
  dim3 mg(w.words, w.words);
  aa_nms_mask<<<mg, 64, 0, s>>>(w.nboxes, w.counters, thr, w.words, w.mask);
  aa_nms_select<<<1, 32, 0, s>>>(w.mask, w.counters, w.words, max_out, w.sboxes, w.sscores, w.slabels, ob, os, ol,
                                 oc);
  return aa::launch_status();
}
}  // namespace

extern "C" {
size_t aa_nms_workspace_bytes(int n) { return nms_ws_bytes(n > 0 ? n : 1); }
int aa_nms(const float* boxes, const float* scores, const int* labels, int n, float iou_thr, int max_out, void* ws,
           float* out_boxes, float* out_scores, int* out_labels, int* out_count, aa_stream_t s) {
  if (n > AA_PP_MAX_CAND || n < 0) return 1;
  if (n == 0) return (int)cudaMemsetAsync(out_count, 0, sizeof(int), s);
  NmsWs w = nms_carve(ws, n);
  cudaMemsetAsync(w.counters, 0, 2 * sizeof(unsigned), s);
  aa_nms_init<<<(n + AA_BLOCK - 1) / AA_BLOCK, AA_BLOCK, 0, s>>>(boxes, n, w.valid, w.counters);
  return nms_run(boxes, scores, labels, n, iou_thr, max_out, w, out_boxes, out_scores, out_labels, out_count, s);
}
size_t aa_pp_workspace_bytes(int L, int K) {
  size_t n = (size_t)L * K;
  return nms_ws_bytes((int)n) + n * 4 * (1 + 1 + 4 + 1 + 1) + 4 * (size_t)L + 16;
}
int aa_postprocess(const float* cls, const float* dist, const float* obj, const float* pts, int C,
                   const int* level_start, int L, float score_thr, int K, float img_w, float img_h, float inv_w_scale,
                   float inv_h_scale, float iou_thr, int max_out, void* ws, float* out_boxes, float* out_scores,
                   int* out_labels, int* out_count, aa_stream_t s) {
  int n = L * K;
  if (K > AA_PP_MAX_K || n > AA_PP_MAX_CAND || L <= 0 || K <= 0) return 1;
  NmsWs w = nms_carve(ws, n);
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
  cudaMemsetAsync(w.counters, 0, 2 * sizeof(unsigned), s);
  aa_pp_topk_levels<<<L, AA_PP_THREADS, 0, s>>>(cls, C, level_start, score_thr, K, cand_idx, cand_prob, cand_count);
  aa_pp_decode<<<(n + AA_BLOCK - 1) / AA_BLOCK, AA_BLOCK, 0, s>>>(cand_idx, cand_prob, cand_count, L, K, C, dist,
                                                                  obj, pts, img_w, img_h, inv_w_scale, inv_h_scale,
                                                                  boxes, scores, labels, w.valid, w.counters);
  return nms_run(boxes, scores, labels, n, iou_thr, max_out, w, out_boxes, out_scores, out_labels, out_count, s);
}
}
