// aa_sgd.cu — PyTorch SGD (momentum, coupled weight decay) over every parameter tensor in one launch.
#include <cstddef>

#include "aa_common.cuh"

#define AA_SGD_EPT 8  // elements per thread; a block covers a contiguous tile of 256*8 elements

static_assert(sizeof(AaSgdSeg) == 48, "AaSgdSeg must be 48 bytes (Java writes it by hand)");
// the offsets CudaBackend.sgdSegments writes
static_assert(offsetof(AaSgdSeg, g) == 8 && offsetof(AaSgdSeg, buf) == 16 && offsetof(AaSgdSeg, start) == 24 &&
                  offsetof(AaSgdSeg, n) == 32 && offsetof(AaSgdSeg, wd) == 40 && offsetof(AaSgdSeg, first) == 44,
              "AaSgdSeg field offsets changed: update CudaBackend.sgdSegments");

// grid ceil(total / 2048) x 256. Segments sorted by start, dense (start[k+1] = start[k] + n[k]).
AA_KERNEL void aa_sgd_multi(const AaSgdSeg* segs, int nseg, long long total, float lr, float momentum) {
  long long t0 = (long long)blockIdx.x * AA_BLOCK * AA_SGD_EPT;
  long long e = t0 + threadIdx.x;
  if (e >= total) return;
  // binary search: last segment with start <= e
  int lo = 0, hi = nseg - 1;
  while (lo < hi) {
    int mid = (lo + hi + 1) >> 1;
    if (segs[mid].start <= e) lo = mid;
    else hi = mid - 1;
  }
  int k = lo;
  long long send = segs[k].start + segs[k].n;
#pragma unroll
  for (int j = 0; j < AA_SGD_EPT; ++j, e += AA_BLOCK) {
    if (e >= total) break;
    while (e >= send && k + 1 < nseg) {
      ++k;
      send = segs[k].start + segs[k].n;
    }
    const AaSgdSeg& s = segs[k];
    if (s.g == nullptr) continue;
    long long i = e - s.start;
    float p = s.p[i], b = s.buf[i];
    aa::sgd_step(&p, s.g[i], &b, lr, momentum, s.wd, s.first != 0);
    s.p[i] = p;
    s.buf[i] = b;
  }
}

extern "C" int aa_sgd_update(const AaSgdSeg* segs_dev, int nseg, long long total, float lr, float momentum,
                             aa_stream_t s) {
  if (total <= 0 || nseg <= 0) return 0;
  long long tile = (long long)AA_BLOCK * AA_SGD_EPT;
  aa_sgd_multi<<<(unsigned)((total + tile - 1) / tile), AA_BLOCK, 0, s>>>(segs_dev, nseg, total, lr, momentum);
  return aa::launch_status();
}
