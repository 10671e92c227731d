// cuda_emu.h — just enough CUDA to compile a kernel file (backend_kernels.cu) as C++17 with g++ and run
// its kernels on the CPU, so that host tests can check the real kernel source without a GPU.
//
// Include it before the .cu (or force-include it: g++ -std=c++17 -include cuda_emu.h -x c++ file.cu).
// launch(kernel, grid, block, args...) runs the grid: blocks one after another, the threads of a block
// as real std::threads (a pool kept between launches), so __syncthreads() is a real barrier and __shared__
// reductions work. __syncwarp() (full mask) is a real barrier of the 32 threads of a warp. Races a GPU would
// have are real races here too: build with -fsanitize=thread to find them.
// Host side, for the native/src wrappers: cudaGetLastError, cudaMemsetAsync (synchronous), and
// cuda_emu::kernel_call, the target of the build's rewrite of `k<<<g, b, 0, s>>>(args)` (native/CMakeLists.txt).
// Not emulated: warp lockstep and the warp collectives (__shfl_*_sync, __ballot_sync, __any/__all_sync): with
// CUDA_EMU_WARP_TRAPS defined they are declared so that a file using them compiles, and abort when called;
// GPU rounding (FMA contraction, flush-to-zero, fast-math intrinsics), streams, dynamic shared memory.
#pragma once

#include <math.h>  // the C names in the global namespace, as CUDA has them: exp, sqrt, floorf, fabsf, INFINITY

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <tuple>
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

// Per emulated GPU thread (each one is a std::thread).
inline thread_local uint3 threadIdx, blockIdx;
inline thread_local dim3 blockDim, gridDim;

namespace cuda_emu {

// Reusable barrier (C++17 has no std::barrier). arrive_and_drop() lets a thread that returned from the
// kernel stop counting, as a GPU does for exited threads; on_complete runs in the last arriver, under the lock.
class Barrier {
 public:
  explicit Barrier(int n, std::function<void()> on_complete = {}) : expected_(n), on_complete_(std::move(on_complete)) {}
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(m_);
    unsigned long gen = gen_;
    if (++arrived_ == expected_) release(lock);
    else cv_.wait(lock, [&] { return gen_ != gen; });
  }
  void arrive_and_drop() {
    std::unique_lock<std::mutex> lock(m_);
    if (--expected_ == arrived_ && arrived_ > 0) release(lock);
  }
  void reset(int n) {  // only while no thread waits on this barrier
    std::lock_guard<std::mutex> lock(m_);
    expected_ = n;
    arrived_ = 0;
  }

 private:
  void release(std::unique_lock<std::mutex>& lock) {
    arrived_ = 0;
    ++gen_;
    if (on_complete_) on_complete_();
    lock.unlock();  // notify after unlocking: the woken threads do not queue on the mutex (2x faster)
    cv_.notify_all();
  }
  std::mutex m_;
  std::condition_variable cv_;
  int expected_, arrived_ = 0;
  unsigned long gen_ = 0;
  std::function<void()> on_complete_;
};

inline thread_local Barrier* block_barrier = nullptr;  // the __syncthreads() barrier of this thread's block
inline thread_local Barrier* warp_barrier = nullptr;   // the __syncwarp() barrier of this thread's warp
inline std::mutex atomic_mutex;                         // one lock for every atomic: simple, and enough here

// The threads of one block, kept between launches of the same block size (creating 256 threads costs more
// than running a small grid). run(job) runs job(t) on thread t = 0..nt-1 and returns when all are done.
class Workers {
 public:
  explicit Workers(int n) : nt(n), sync(n), start_(n + 1), finish_(n + 1, [this] { rearm(); }) {
    for (int w = 0; w * 32 < n; ++w) warps_.emplace_back(new Barrier(warp_size(w)));
    for (int t = 0; t < n; ++t) threads_.emplace_back([this, t] {
      block_barrier = &sync;
      warp_barrier = warps_[t / 32].get();
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
    warps_[t / 32]->arrive_and_drop();
  }
  // re-arms the barriers for the next block (only while no thread waits on them)
  void rearm() {
    sync.reset(nt);
    for (size_t w = 0; w < warps_.size(); ++w) warps_[w]->reset(warp_size((int)w));
  }
  const int nt;
  Barrier sync;  // __syncthreads()

 private:
  int warp_size(int w) const { return nt - 32 * w < 32 ? nt - 32 * w : 32; }  // the last warp may be partial
  std::vector<std::unique_ptr<Barrier>> warps_;  // __syncwarp(), one per warp
  Barrier start_, finish_;
  const std::function<void(int)>* job_ = nullptr;
  std::vector<std::thread> threads_;
};
inline std::unique_ptr<Workers> workers;

}  // namespace cuda_emu

inline void __syncthreads() { cuda_emu::block_barrier->arrive_and_wait(); }

namespace cuda_emu {
[[noreturn]] inline void not_emulated(const char* what) {
  fprintf(stderr, "cuda_emu: %s is not emulated (warp-synchronous execution); this kernel cannot run here\n", what);
  abort();
}
}  // namespace cuda_emu

// An explicit barrier of the warp's threads (and a memory fence among them), as on a GPU. Only the full mask:
// a partial mask would need the lanes' convergence, which the emulator does not model.
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  if (mask != 0xffffffffu) cuda_emu::not_emulated("__syncwarp with a partial mask");
  cuda_emu::warp_barrier->arrive_and_wait();
}

#ifdef CUDA_EMU_WARP_TRAPS
// Declared only so that a file which also has other kernels compiles; calling one aborts the test.
template <class T> T __shfl_sync(unsigned, T, int, int = 32) { cuda_emu::not_emulated("__shfl_sync"); }
template <class T> T __shfl_up_sync(unsigned, T, unsigned, int = 32) { cuda_emu::not_emulated("__shfl_up_sync"); }
template <class T> T __shfl_down_sync(unsigned, T, unsigned, int = 32) { cuda_emu::not_emulated("__shfl_down_sync"); }
template <class T> T __shfl_xor_sync(unsigned, T, int, int = 32) { cuda_emu::not_emulated("__shfl_xor_sync"); }
inline unsigned __ballot_sync(unsigned, int) { cuda_emu::not_emulated("__ballot_sync"); }
inline int __any_sync(unsigned, int) { cuda_emu::not_emulated("__any_sync"); }
inline int __all_sync(unsigned, int) { cuda_emu::not_emulated("__all_sync"); }
#endif

// ---- bit casts and integer intrinsics ----
inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
inline float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
inline int __float_as_int(float f) { int i; memcpy(&i, &f, 4); return i; }
inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }

inline float atomicAdd(float* p, float v) {
  std::lock_guard<std::mutex> lock(cuda_emu::atomic_mutex);
  float old = *p;
  *p = old + v;
  return old;
}
inline double atomicAdd(double* p, double v) {
  std::lock_guard<std::mutex> lock(cuda_emu::atomic_mutex);
  double old = *p;
  *p = old + v;
  return old;
}
inline int atomicAdd(int* p, int v) {
  std::lock_guard<std::mutex> lock(cuda_emu::atomic_mutex);
  int old = *p;
  *p = (int)((unsigned)old + (unsigned)v);  // wraps, as on a GPU
  return old;
}
inline unsigned atomicAdd(unsigned* p, unsigned v) {
  std::lock_guard<std::mutex> lock(cuda_emu::atomic_mutex);
  unsigned old = *p;
  *p = old + v;
  return old;
}
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
  std::lock_guard<std::mutex> lock(cuda_emu::atomic_mutex);
  unsigned long long old = *p;
  *p = old + v;
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
