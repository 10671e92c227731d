// cuda_emu.h — just enough CUDA to compile a kernel file (backend_kernels.cu) as C++17 with g++ and run
// its kernels on the CPU, so that host tests can check the real kernel source without a GPU.
//
// Include it before the .cu (or force-include it: g++ -std=c++17 -include cuda_emu.h -x c++ file.cu).
// launch(kernel, grid, block, args...) runs the grid: blocks one after another, the threads of a block
// as real std::threads (a pool kept between launches), so __syncthreads() is a real barrier and __shared__
// reductions work. Races a GPU would have are real races here too: build with -fsanitize=thread to find them.
// Not emulated: warp lockstep (no warp-synchronous code, __syncwarp or __shfl_*), GPU rounding (FMA
// contraction, flush-to-zero, fast-math intrinsics), streams, dynamic shared memory.
#pragma once

#include <math.h>  // the C names in the global namespace, as CUDA has them: exp, sqrt, floorf, fabsf, INFINITY

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
inline std::mutex atomic_mutex;                         // one lock for every atomic: simple, and enough here

// The threads of one block, kept between launches of the same block size (creating 256 threads costs more
// than running a small grid). run(job) runs job(t) on thread t = 0..nt-1 and returns when all are done.
class Workers {
 public:
  explicit Workers(int n) : nt(n), sync(n), start_(n + 1), finish_(n + 1, [this] { sync.reset(nt); }) {
    for (int t = 0; t < n; ++t) threads_.emplace_back([this, t] {
      block_barrier = &sync;
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
    finish_.arrive_and_wait();  // its completion re-arms sync for the next launch
  }
  const int nt;
  Barrier sync;  // __syncthreads()

 private:
  Barrier start_, finish_;
  const std::function<void(int)>* job_ = nullptr;
  std::vector<std::thread> threads_;
};
inline std::unique_ptr<Workers> workers;

}  // namespace cuda_emu

inline void __syncthreads() { cuda_emu::block_barrier->arrive_and_wait(); }

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
  cuda_emu::Barrier& sync = cuda_emu::workers->sync;
  // all threads finish a block before any starts the next (the __shared__ statics are reused); the last
  // one to arrive re-arms the __syncthreads() barrier for the threads that returned early
  cuda_emu::Barrier block_done(nt, [&] { sync.reset(nt); });
  const unsigned long long nblocks = (unsigned long long)grid.x * grid.y * grid.z;
  cuda_emu::workers->run([&](int t) {
    gridDim = grid;
    blockDim = block;
    threadIdx = uint3(t % block.x, t / block.x % block.y, t / (block.x * block.y));
    for (unsigned long long b = 0; b < nblocks; ++b) {
      blockIdx = uint3(b % grid.x, b / grid.x % grid.y, b / ((unsigned long long)grid.x * grid.y));
      std::apply(kernel, params);
      sync.arrive_and_drop();
      if (b + 1 < nblocks) block_done.arrive_and_wait();
    }
  });
}
