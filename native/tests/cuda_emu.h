// cuda_emu.h — just enough CUDA to compile a kernel file (backend_kernels.cu) as C++17 with g++ and run
// its kernels on the CPU, so that host tests can check the real kernel source without a GPU.
//
// Include it before the .cu (or force-include it: g++ -std=c++17 -include cuda_emu.h -x c++ file.cu).
// launch(kernel, grid, block, args...) runs the grid: blocks one after another, the threads of a block
// as real std::threads (a pool kept between launches), so __syncthreads() is a real barrier and __shared__
// reductions work. __syncwarp() (full mask) is a real barrier of the 32 threads of a warp. Races a GPU would
// have are real races here too: build with -fsanitize=thread to find them.
// Warp collectives, full mask only: __shfl_sync, __shfl_up_sync, __shfl_down_sync, __shfl_xor_sync,
// __ballot_sync, __any_sync, __all_sync. Each lane writes its value into its warp's exchange slot, waits at a
// per-warp barrier, then reads the lane it asks for (PTX shfl.sync's rule: srcLane modulo width, shfl_up below
// the segment / shfl_down past it / xor into a later segment return the caller's own value). The slots are
// double-buffered by round, so one barrier per collective suffices: a lane writes round k+2's slot only after
// every lane arrived at round k+1, i.e. finished reading round k's. What a GPU leaves undefined fails loudly
// (message + abort) instead of returning a made-up value: a mask other than 0xffffffff, a width that is not a
// power of 2 in 1..32, a warp with fewer than 32 lanes (block size not a multiple of 32, or lanes that have
// exited), lanes of one warp meeting at different calls (op, mask, width, type size or source line differ), and a
// deadlock (every thread still in the block waits at some barrier and none can complete: divergent
// __syncthreads/__syncwarp/collectives); the message names the block, the thread and the call sites.
// cuda_emu::launched lists the kernels launch() ran (for coverage checks).
// Host side, for the native/src wrappers: cudaGetLastError, cudaMemsetAsync (synchronous), and
// cuda_emu::kernel_call, the target of the build's rewrite of `k<<<g, b, 0, s>>>(args)` (native/CMakeLists.txt).
// Not emulated: warp lockstep (lanes run independently between warp barriers, as under Volta's independent
// thread scheduling), partial-mask collectives, GPU rounding (FMA contraction, flush-to-zero, fast-math
// intrinsics), streams, dynamic shared memory.
#pragma once

#include <math.h>  // the C names in the global namespace, as CUDA has them: exp, sqrt, floorf, fabsf, INFINITY

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
// Blocks run one at a time, so one static copy per function serves each block in turn.
#define __shared__ static
// __restrict__ is a g++ keyword already.

constexpr int warpSize = 32;

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
using uint3 = dim3;

// CUDA's 16-byte vector type (kernels load and store it through reinterpret_cast'ed pointers).
struct alignas(16) float4 {
  float x, y, z, w;
};

// Per emulated GPU thread (each one is a std::thread).
inline thread_local uint3 threadIdx, blockIdx;
inline thread_local dim3 blockDim, gridDim;

namespace cuda_emu {

inline thread_local int thread_rank = -1;  // linear index of this thread in its block (-1: a host thread)
inline thread_local int lane_id = 0;       // thread_rank % 32

// The emulator's loud failure: message (with the failing thread's coordinates) and abort().
[[noreturn]] inline void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
inline void fail(const char* fmt, ...) {
  char msg[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (thread_rank >= 0)
    fprintf(stderr, "cuda_emu: %s [block (%u,%u,%u), thread (%u,%u,%u)]\n", msg, blockIdx.x, blockIdx.y, blockIdx.z,
            threadIdx.x, threadIdx.y, threadIdx.z);
  else
    fprintf(stderr, "cuda_emu: %s\n", msg);
  fflush(stderr);
  abort();
}

// Where a thread waits (for the deadlock report).
struct Site {
  const char* what;
  const char* file;
  int line;
};

// Deadlock detection for the kernel barriers (__syncthreads, __syncwarp, warp collectives) of the running block:
// live = threads still in the kernel, blocked = threads waiting at a barrier that has not released them. Both
// change under the lock of the barrier concerned (blocked) or at a thread's exit (live); when blocked == live,
// every thread still in the kernel waits and none is left to complete a barrier.
class BlockState {
 public:
  explicit BlockState(int n) : sites_(n) { reset(); }
  void reset() {  // only while no thread of the block runs
    live_ = (int)sites_.size();
    blocked_ = 0;
    for (auto& s : sites_) s = Site{"running", "", 0};
  }
  void wait_begin(Site s) {  // the caller goes to wait (under its barrier's lock; it did not complete it)
    sites_[thread_rank] = s;
    if (blocked_.fetch_add(1) + 1 == live_.load()) deadlock();
  }
  void released(int n) { blocked_.fetch_sub(n); }  // a barrier released n waiters (under its lock)
  void exited() {
    sites_[thread_rank] = Site{"exited", "", 0};
    int l = live_.fetch_sub(1) - 1;
    if (l > 0 && blocked_.load() == l) deadlock();
  }

 private:
  [[noreturn]] void deadlock() {
    std::string s;
    for (size_t t = 0, u; t < sites_.size(); t = u) {  // runs of threads at the same site
      for (u = t + 1; u < sites_.size() && sites_[u].what == sites_[t].what && sites_[u].line == sites_[t].line &&
                      strcmp(sites_[u].file, sites_[t].file) == 0;
           ++u) {
      }
      char b[512];
      snprintf(b, sizeof b, "\n  threads %zu-%zu: %s %s:%d", t, u - 1, sites_[t].what, sites_[t].file, sites_[t].line);
      s += b;
    }
    fail("deadlock: all %d threads still in the block wait at barriers that cannot complete (divergent "
         "__syncthreads/__syncwarp/warp collective?):%s",
         live_.load(), s.c_str());
  }
  std::vector<Site> sites_;
  std::atomic<int> live_, blocked_;
};

// How many times a waiting thread yields before it sleeps (CUDA_EMU_SPIN, default 64). On a machine with few
// cores, a barrier round completes once every other thread has run, and getting there by sched_yield costs about a
// third of what sleeping on the futex and being woken does; a thread still waiting after that sleeps.
inline int spin_yields() {
  static const int n = [] {
    const char* e = getenv("CUDA_EMU_SPIN");
    return e ? atoi(e) : 64;
  }();
  return n;
}

// The waiting half of a barrier: a generation number that the completing thread advances, and waiters that
// yield-spin on it, then sleep. Everything a thread wrote before it arrived is visible to each waiter afterwards
// (the arrivals lock m_; the generation is stored with release, loaded with acquire).
class Gate {
 protected:
  // under m_ (lock), after arriving without completing: returns, without the lock, once gen_ != gen
  void wait(std::unique_lock<std::mutex>& lock, unsigned long gen, bool spin) {
    if (spin) {
      lock.unlock();
      for (int i = spin_yields(); i > 0; --i) {
        std::this_thread::yield();
        if (gen_.load(std::memory_order_acquire) != gen) return;
      }
      lock.lock();
    }
    ++sleepers_;
    cv_.wait(lock, [&] { return gen_.load(std::memory_order_relaxed) != gen; });
    --sleepers_;
    lock.unlock();
  }
  void open(std::unique_lock<std::mutex>& lock) {  // under m_: releases the waiters of this round
    gen_.store(gen_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    const bool wake = sleepers_ > 0;
    lock.unlock();  // notify after unlocking: the woken threads do not queue on the mutex (2x faster)
    if (wake) cv_.notify_all();
  }
  unsigned long generation() const { return gen_.load(std::memory_order_relaxed); }
  std::mutex m_;

 private:
  std::condition_variable cv_;
  std::atomic<unsigned long> gen_{0};
  int sleepers_ = 0;
};

// Reusable barrier (C++17 has no std::barrier). arrive_and_drop() lets a thread that returned from the
// kernel stop counting, as a GPU does for exited threads; on_complete runs in the last arriver, under the lock.
// With a BlockState it is a kernel barrier and takes part in the deadlock detection. spin = false: waiters sleep
// at once (the pool's start barrier, where threads idle between launches).
class Barrier : Gate {
 public:
  explicit Barrier(int n, std::function<void()> on_complete = {}, BlockState* bs = nullptr, bool spin = true)
      : expected_(n), on_complete_(std::move(on_complete)), bs_(bs), spin_(spin) {}
  void arrive_and_wait(const Site& site = Site{"barrier", "", 0}) {
    std::unique_lock<std::mutex> lock(m_);
    const unsigned long gen = generation();
    if (++arrived_ == expected_) return release(lock, arrived_ - 1);
    if (bs_) bs_->wait_begin(site);
    wait(lock, gen, spin_);
  }
  void arrive_and_drop() {
    std::unique_lock<std::mutex> lock(m_);
    if (--expected_ == arrived_ && arrived_ > 0) release(lock, arrived_);
  }
  void reset(int n) {  // only while no thread waits on this barrier
    std::lock_guard<std::mutex> lock(m_);
    expected_ = n;
    arrived_ = 0;
  }

 private:
  void release(std::unique_lock<std::mutex>& lock, int waiters) {
    arrived_ = 0;
    if (bs_) bs_->released(waiters);
    if (on_complete_) on_complete_();
    open(lock);
  }
  int expected_, arrived_ = 0;
  std::function<void()> on_complete_;
  BlockState* bs_;
  const bool spin_;
};

// ---- warps: __syncwarp and the collectives meet at the warp's barrier ----
enum class Op : unsigned char { syncwarp, shfl_idx, shfl_up, shfl_down, shfl_xor, ballot, any, all };
inline const char* op_name(Op op) {
  static const char* const names[] = {"__syncwarp",      "__shfl_sync",   "__shfl_up_sync", "__shfl_down_sync",
                                      "__shfl_xor_sync", "__ballot_sync", "__any_sync",     "__all_sync"};
  return names[(int)op];
}
struct Call {  // what a lane arrived at: every lane of a round must agree on all of it
  Op op;
  unsigned mask;
  int width, bytes;
  const char* file;
  int line;
};
inline bool same_call(const Call& a, const Call& b) {
  return a.op == b.op && a.mask == b.mask && a.width == b.width && a.bytes == b.bytes && a.line == b.line &&
         strcmp(a.file, b.file) == 0;
}

class Warp : Gate {
 public:
  Warp(int index, int lanes, BlockState* bs) : index_(index), lanes_(lanes), bs_(bs) { reset(); }
  void reset() {  // for the next block (only while no lane waits)
    std::lock_guard<std::mutex> lock(m_);
    live_ = lanes_;
    exited_ = 0;
    arrived_ = 0;
    present_ = 0;
  }
  // The calling lane arrives at c with its value v. Returns the round's 32 values once the round completes:
  // every lane still in the kernel (for a collective: all 32, none exited) arrived at the same call.
  const uint64_t* meet(const Call& c, uint64_t v) {
    const int lane = lane_id;
    std::unique_lock<std::mutex> lock(m_);
    if (c.op != Op::syncwarp && live_ != 32) missing_lanes(c, lane, false);
    const unsigned long gen = generation();
    const int buf = (int)(gen & 1);
    slot_[buf][lane] = v;
    call_[lane] = c;
    present_ |= 1u << lane;
    if (++arrived_ == live_) {
      complete();
      release(lock, arrived_ - 1);
    } else {
      bs_->wait_begin(Site{op_name(c.op), c.file, c.line});
      wait(lock, gen, true);
    }
    return slot_[buf];
  }
  void drop() {  // the calling lane returned from the kernel
    std::unique_lock<std::mutex> lock(m_);
    --live_;
    exited_ |= 1u << lane_id;
    if (arrived_ == 0) return;
    const Call& c = call_[__builtin_ctz(present_)];
    if (c.op != Op::syncwarp) missing_lanes(c, lane_id, true);
    if (arrived_ == live_) {
      complete();
      release(lock, arrived_);
    }
  }

 private:
  [[noreturn]] void missing_lanes(const Call& c, int lane, bool exiting) {
    if (lanes_ < 32)
      fail("%s (mask 0x%08x) at %s:%d in warp %d, which has only %d lanes (block of %u threads, not a multiple of "
           "32): lanes beyond the block do not exist, the full mask is undefined on a GPU",
           op_name(c.op), c.mask, c.file, c.line, index_, lanes_, blockDim.x * blockDim.y * blockDim.z);
    if (exiting)
      fail("lane %d of warp %d returned from the kernel while lanes 0x%08x of the warp wait in %s (mask 0x%08x) at "
           "%s:%d (divergence): a warp collective here needs all 32 lanes",
           lane, index_, present_, op_name(c.op), c.mask, c.file, c.line);
    fail("%s (mask 0x%08x) at %s:%d called by lane %d of warp %d after lanes 0x%08x of the warp returned from the "
         "kernel (divergence): a warp collective here needs all 32 lanes",
         op_name(c.op), c.mask, c.file, c.line, lane, index_, exited_);
  }
  void complete() {  // the present lanes must all be at the same call
    const int first = __builtin_ctz(present_);
    bool same = true;
    for (int l = 0; l < 32; ++l)
      if ((present_ >> l & 1) && !same_call(call_[l], call_[first])) same = false;
    if (!same) {
      std::string s;
      for (int l = 0; l < 32; ++l) {
        if (!(present_ >> l & 1)) continue;
        const Call& c = call_[l];
        char b[512];
        snprintf(b, sizeof b, "\n  lane %2d: %s mask 0x%08x width %d size %d at %s:%d", l, op_name(c.op), c.mask,
                 c.width, c.bytes, c.file, c.line);
        s += b;
      }
      fail("warp %d: its lanes met at different warp-synchronous calls (divergence):%s", index_, s.c_str());
    }
    present_ = 0;
  }
  void release(std::unique_lock<std::mutex>& lock, int waiters) {
    arrived_ = 0;
    bs_->released(waiters);
    open(lock);
  }
  const int index_, lanes_;
  BlockState* const bs_;
  int live_ = 0, arrived_ = 0;
  unsigned exited_ = 0, present_ = 0;
  Call call_[32];
  uint64_t slot_[2][32];  // double buffer, by round parity
};

inline thread_local Barrier* block_barrier = nullptr;  // the __syncthreads() barrier of this thread's block
inline thread_local Warp* warp = nullptr;              // this thread's warp
inline std::mutex atomic_mutex;                         // one lock for every atomic: simple, and enough here

// The threads of one block, kept between launches of the same block size (creating 256 threads costs more
// than running a small grid). run(job) runs job(t) on thread t = 0..nt-1 and returns when all are done.
class Workers {
 public:
  explicit Workers(int n)
      : nt(n), state(n), sync(n, {}, &state), start_(n + 1, {}, nullptr, false), finish_(n + 1, [this] { rearm(); }) {
    for (int w = 0; w * 32 < n; ++w) warps_.emplace_back(new Warp(w, n - 32 * w < 32 ? n - 32 * w : 32, &state));
    for (int t = 0; t < n; ++t) threads_.emplace_back([this, t] {
      thread_rank = t;
      lane_id = t % 32;
      block_barrier = &sync;
      warp = warps_[t / 32].get();
      for (;;) {
        start_.arrive_and_wait();
        if (!job_) return;
        (*job_)(t);
        finish_.arrive_and_wait();
      }
    });
  }
  ~Workers() {
    job_ = nullptr;
    start_.arrive_and_wait();
    for (auto& th : threads_) th.join();
  }
  void run(const std::function<void(int)>& job) {
    job_ = &job;
    start_.arrive_and_wait();
    finish_.arrive_and_wait();  // its completion re-arms the barriers for the next launch
  }
  // thread t returned from the kernel: it stops counting in its block's and its warp's barriers
  void drop(int t) {
    sync.arrive_and_drop();
    warps_[t / 32]->drop();
    state.exited();
  }
  // re-arms the barriers for the next block (only while no thread waits on them)
  void rearm() {
    state.reset();
    sync.reset(nt);
    for (auto& w : warps_) w->reset();
  }
  const int nt;
  BlockState state;
  Barrier sync;  // __syncthreads()

 private:
  std::vector<std::unique_ptr<Warp>> warps_;  // __syncwarp() and the collectives, one per warp
  Barrier start_, finish_;
  const std::function<void(int)>* job_ = nullptr;
  std::vector<std::thread> threads_;
};
inline std::unique_ptr<Workers> workers;
inline std::vector<void (*)()> launched;  // every kernel launch() ran, in order (a test can check its coverage)

// ---- the collectives' arithmetic ----
inline void check_mask(Op op, unsigned mask, const char* file, int line) {
  if (mask != 0xffffffffu)
    fail("%s with mask 0x%08x at %s:%d: only the full mask (0xffffffff, all 32 lanes) is emulated", op_name(op), mask,
         file, line);
}
// PTX shfl.sync: c = ((32 - width) << 8) | clamp (clamp 0 for up, 31 otherwise); bval = b[4:0].
inline int shfl_source(Op op, int lane, unsigned b, int width) {
  const int segmask = 32 - width, bval = (int)(b & 31u), cval = op == Op::shfl_up ? 0 : 31;
  const int max_lane = (lane & segmask) | (cval & ~segmask), min_lane = lane & segmask;
  int j;
  bool ok;
  switch (op) {
    case Op::shfl_up: j = lane - bval; ok = j >= max_lane; break;
    case Op::shfl_down: j = lane + bval; ok = j <= max_lane; break;
    case Op::shfl_xor: j = lane ^ bval; ok = j <= max_lane; break;
    default: j = min_lane | (bval & ~segmask); ok = j <= max_lane; break;
  }
  return ok ? j : lane;
}
template <class T>
T shuffle(Op op, unsigned mask, T var, unsigned b, int width, const char* file, int line) {
  static_assert(std::is_trivially_copyable<T>::value && sizeof(T) <= 8, "warp shuffle of a type over 8 bytes");
  check_mask(op, mask, file, line);
  if (width < 1 || width > 32 || (width & (width - 1)))
    fail("%s with width %d at %s:%d: width must be a power of 2 in 1..32 (undefined otherwise)", op_name(op), width,
         file, line);
  if (!warp) fail("%s outside a kernel launch", op_name(op));
  uint64_t v = 0;
  memcpy(&v, &var, sizeof(T));
  const uint64_t* s = warp->meet(Call{op, mask, width, (int)sizeof(T), file, line}, v);
  T r;
  memcpy(&r, &s[shfl_source(op, lane_id, b, width)], sizeof(T));
  return r;
}
inline unsigned vote(Op op, unsigned mask, int pred, const char* file, int line) {
  check_mask(op, mask, file, line);
  if (!warp) fail("%s outside a kernel launch", op_name(op));
  const uint64_t* s = warp->meet(Call{op, mask, 32, 4, file, line}, pred != 0);
  unsigned r = 0;
  for (int l = 0; l < 32; ++l) r |= (unsigned)s[l] << l;
  return r;
}

}  // namespace cuda_emu

inline void __syncthreads(const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  cuda_emu::block_barrier->arrive_and_wait(cuda_emu::Site{"__syncthreads", file, line});
}

// An explicit barrier of the warp's threads (and a memory fence among them), as on a GPU; lanes that have exited
// do not count. Only the full mask: a partial mask would need the lanes' convergence, which is not modelled.
inline void __syncwarp(unsigned mask = 0xffffffffu, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  cuda_emu::check_mask(cuda_emu::Op::syncwarp, mask, file, line);
  if (!cuda_emu::warp) cuda_emu::fail("__syncwarp outside a kernel launch");
  cuda_emu::warp->meet(cuda_emu::Call{cuda_emu::Op::syncwarp, mask, 32, 0, file, line}, 0);
}

// The warp collectives (full mask, all 32 lanes: see the top of this file). The trailing file/line parameters
// are the call site (GCC/Clang builtins as default arguments), for the divergence checks and messages.
template <class T>
T __shfl_sync(unsigned mask, T var, int srcLane, int width = warpSize, const char* file = __builtin_FILE(),
              int line = __builtin_LINE()) {
  return cuda_emu::shuffle(cuda_emu::Op::shfl_idx, mask, var, (unsigned)srcLane, width, file, line);
}
template <class T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize, const char* file = __builtin_FILE(),
                 int line = __builtin_LINE()) {
  return cuda_emu::shuffle(cuda_emu::Op::shfl_up, mask, var, delta, width, file, line);
}
template <class T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize, const char* file = __builtin_FILE(),
                   int line = __builtin_LINE()) {
  return cuda_emu::shuffle(cuda_emu::Op::shfl_down, mask, var, delta, width, file, line);
}
template <class T>
T __shfl_xor_sync(unsigned mask, T var, int laneMask, int width = warpSize, const char* file = __builtin_FILE(),
                  int line = __builtin_LINE()) {
  return cuda_emu::shuffle(cuda_emu::Op::shfl_xor, mask, var, (unsigned)laneMask, width, file, line);
}
inline unsigned __ballot_sync(unsigned mask, int pred, const char* file = __builtin_FILE(),
                              int line = __builtin_LINE()) {
  return cuda_emu::vote(cuda_emu::Op::ballot, mask, pred, file, line);
}
inline int __any_sync(unsigned mask, int pred, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return cuda_emu::vote(cuda_emu::Op::any, mask, pred, file, line) != 0;
}
inline int __all_sync(unsigned mask, int pred, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return cuda_emu::vote(cuda_emu::Op::all, mask, pred, file, line) == 0xffffffffu;
}

// ---- bit casts and integer intrinsics ----
inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
inline float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
inline int __float_as_int(float f) { int i; memcpy(&i, &f, 4); return i; }
inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }

namespace cuda_emu {
// atomicAdd of a type without wrap-around concerns (float, double, unsigned, unsigned long long): under one mutex
template <class T>
inline T atomic_add(T* p, T v) {
  std::lock_guard<std::mutex> lock(atomic_mutex);
  T old = *p;
  *p = old + v;
  return old;
}
}  // namespace cuda_emu
inline float atomicAdd(float* p, float v) { return cuda_emu::atomic_add(p, v); }
inline double atomicAdd(double* p, double v) { return cuda_emu::atomic_add(p, v); }
inline unsigned atomicAdd(unsigned* p, unsigned v) { return cuda_emu::atomic_add(p, v); }
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) { return cuda_emu::atomic_add(p, v); }
inline int atomicAdd(int* p, int v) {
  std::lock_guard<std::mutex> lock(cuda_emu::atomic_mutex);
  int old = *p;
  *p = (int)((unsigned)old + (unsigned)v);  // wraps, as on a GPU
  return old;
}
inline int atomicMax(int* p, int v) {
  std::lock_guard<std::mutex> lock(cuda_emu::atomic_mutex);
  int old = *p;
  if (v > old) *p = v;
  return old;
}
inline unsigned atomicMax(unsigned* p, unsigned v) {
  std::lock_guard<std::mutex> lock(cuda_emu::atomic_mutex);
  unsigned old = *p;
  if (v > old) *p = v;
  return old;
}
inline int atomicMin(int* p, int v) {
  std::lock_guard<std::mutex> lock(cuda_emu::atomic_mutex);
  int old = *p;
  if (v < old) *p = v;
  return old;
}
inline unsigned atomicMin(unsigned* p, unsigned v) {
  std::lock_guard<std::mutex> lock(cuda_emu::atomic_mutex);
  unsigned old = *p;
  if (v < old) *p = v;
  return old;
}

// Runs kernel<<<grid, block>>>(args...) to completion. The arguments are converted to the kernel's parameter
// types first (as cuLaunchKernel's typed slots are), so 0/nullptr and int literals work for pointers and int64.
// One launch at a time (like one stream).
template <class... P, class... A>
void launch(void (*kernel)(P...), dim3 grid, dim3 block, A... args) {
  static_assert(sizeof...(P) == sizeof...(A), "launch: wrong number of kernel arguments");
  const std::tuple<P...> params(args...);
  cuda_emu::launched.push_back(reinterpret_cast<void (*)()>(kernel));
  const int nt = (int)(block.x * block.y * block.z);
  if (nt < 1 || nt > 1024 || block.z > 64 || grid.x < 1 || grid.y < 1 || grid.z < 1 || grid.y > 65535 || grid.z > 65535)
    throw std::invalid_argument("launch: grid/block outside CUDA's limits");  // cuLaunchKernel would refuse it
  if (!cuda_emu::workers || cuda_emu::workers->nt != nt) {
    cuda_emu::workers.reset();
    cuda_emu::workers.reset(new cuda_emu::Workers(nt));
  }
  // all threads finish a block before any starts the next (the __shared__ statics are reused); the last
  // one to arrive re-arms the __syncthreads()/__syncwarp() barriers for the threads that returned early
  cuda_emu::Workers& w = *cuda_emu::workers;
  cuda_emu::Barrier block_done(nt, [&] { w.rearm(); });
  const unsigned long long nblocks = (unsigned long long)grid.x * grid.y * grid.z;
  w.run([&](int t) {
    gridDim = grid;
    blockDim = block;
    threadIdx = uint3(t % block.x, t / block.x % block.y, t / (block.x * block.y));
    for (unsigned long long b = 0; b < nblocks; ++b) {
      blockIdx = uint3(b % grid.x, b / grid.x % grid.y, b / ((unsigned long long)grid.x * grid.y));
      std::apply(kernel, params);
      w.drop(t);
      if (b + 1 < nblocks) block_done.arrive_and_wait();
    }
  });
}

// ---- host side of the native/src wrappers (one synchronous "stream"; errors throw instead) ----
enum cudaError_t { cudaSuccess = 0, cudaErrorInvalidValue = 1 };
typedef struct CUstream_st* cudaStream_t;
inline cudaError_t cudaGetLastError() { return cudaSuccess; }  // a bad launch throws in launch()
inline const char* cudaGetErrorString(cudaError_t e) { return e == cudaSuccess ? "no error" : "error"; }
inline cudaError_t cudaMemsetAsync(void* p, int v, size_t bytes, const void* /*stream*/ = nullptr) {
  memset(p, v, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaMemset(void* p, int v, size_t bytes) { return cudaMemsetAsync(p, v, bytes); }

namespace cuda_emu {
// `kernel<<<grid, block, shmem, stream>>>(args...)` is rewritten by the build to
// `cuda_emu::kernel_call(kernel, grid, block, shmem, stream)(args...)`: it runs launch() at once.
template <class... P>
struct KernelCall {
  void (*kernel)(P...);
  dim3 grid, block;
  template <class... A>
  void operator()(A... args) const {
    launch(kernel, grid, block, args...);
  }
};
template <class... P>
KernelCall<P...> kernel_call(void (*kernel)(P...), dim3 grid, dim3 block, size_t shmem = 0, const void* = nullptr) {
  if (shmem != 0) throw std::invalid_argument("kernel_call: dynamic shared memory is not emulated");
  return KernelCall<P...>{kernel, grid, block};
}
}  // namespace cuda_emu
