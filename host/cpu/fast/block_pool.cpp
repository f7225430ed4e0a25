#include "cpu/fast/block_pool.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace cucnf::detail {
namespace {

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// How long a worker keeps polling for the next job before it sleeps on the condition variable.
// A training iteration hands the pool 2 jobs a solve's attempt and 4 an adjoint's, with 5-20 us
// of serial work between them; waking a sleeping worker costs 10-50 us (futex and scheduler),
// more than a job of the demo's batch. An idle pool sleeps after this long, so a program that
// stops calling costs nothing afterwards.
constexpr std::chrono::microseconds kSpin{200};

int default_threads() {
  if (const char* env = std::getenv("CUCNF_CPU_THREADS")) {
    const int n = std::atoi(env);
    if (n >= 1) return n;
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? int(hw) : 1;
}

using BlockFn = BlockFnRef;

class Pool {
 public:
  explicit Pool(int threads) {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(std::size_t(i)); });
  }

  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& w : workers_) w.join();
  }

  int threads() const { return int(workers_.size()) + 1; }

  void run(std::size_t blocks, const BlockFn& fn) {
    std::lock_guard<std::mutex> turn(run_m_);
    std::uint32_t gen;
    {
      std::lock_guard<std::mutex> lock(m_);
      gen = ++gen_;
      fn_ = &fn;
      blocks_ = blocks;
      done_.store(0, std::memory_order_relaxed);
      ticket_.store(std::uint64_t(gen) << 32, std::memory_order_release);
      published_.store(gen, std::memory_order_release);
    }
    wake_.notify_all();
    claim(gen, blocks, fn);
    // Only blocks that were claimed remain; their threads are running them.
    for (int polls = 0; done_.load(std::memory_order_acquire) < blocks; ++polls) {
      if (polls < 1024)
        cpu_relax();
      else
        std::this_thread::yield();  // a claimed block's thread is not running: let it
    }
    std::exception_ptr error;
    {
      std::lock_guard<std::mutex> lock(error_m_);
      std::swap(error, error_);
    }
    if (error) std::rethrow_exception(error);
  }

 private:
  // Takes blocks of generation `gen` from the shared ticket (generation << 32 | next block)
  // until none is left or a newer generation has started.
  void claim(std::uint32_t gen, std::size_t blocks, const BlockFn& fn) {
    std::uint64_t t = ticket_.load(std::memory_order_acquire);
    for (;;) {
      if (std::uint32_t(t >> 32) != gen) return;
      const std::size_t index = std::size_t(t & 0xffffffffu);
      if (index >= blocks) return;
      if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel)) continue;
      try {
        fn(index);
      } catch (...) {  // kept for the caller; the block still counts as done
        std::lock_guard<std::mutex> lock(error_m_);
        if (!error_) error_ = std::current_exception();
      }
      done_.fetch_add(1, std::memory_order_acq_rel);
      t = ticket_.load(std::memory_order_acquire);
    }
  }

  // Polls the generation for kSpin, then sleeps until it changes.
  void wait_for_job(std::uint32_t seen) {
    auto deadline = std::chrono::steady_clock::now() + kSpin;
    for (int polls = 1;; ++polls) {
      if (published_.load(std::memory_order_acquire) != seen) return;
      cpu_relax();
      if (polls % 64 == 0 && std::chrono::steady_clock::now() > deadline) return;
    }
  }

  // Worker `index` (the caller is 0) takes part in jobs of more than `index` blocks: a job of 2
  // blocks on a 16-core machine keeps 14 workers off its ticket's cache line.
  void work(std::size_t index) {
    std::uint32_t seen = 0;
    bool took_part = true;
    for (;;) {
      if (took_part) wait_for_job(seen);
      const BlockFn* fn;
      std::size_t blocks;
      {
        std::unique_lock<std::mutex> lock(m_);
        wake_.wait(lock, [&] { return stop_ || gen_ != seen; });
        if (stop_) return;
        seen = gen_;
        fn = fn_;
        blocks = blocks_;
      }
      took_part = index < blocks;
      if (took_part) claim(seen, blocks, *fn);
    }
  }

  std::mutex run_m_;  // one run at a time
  std::mutex error_m_;
  std::exception_ptr error_;  // the first exception of the current run's blocks
  std::mutex m_;              // guards the job description below and stop_
  std::condition_variable wake_;
  std::atomic<std::uint64_t> ticket_{0};
  std::atomic<std::size_t> done_{0};
  const BlockFn* fn_ = nullptr;
  std::size_t blocks_ = 0;
  std::uint32_t gen_ = 0;
  std::atomic<std::uint32_t> published_{0};  // gen_, for workers polling without the lock
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

std::mutex pool_mutex;
std::unique_ptr<Pool> pool_instance;

Pool& pool() {
  std::lock_guard<std::mutex> lock(pool_mutex);
  if (!pool_instance) pool_instance = std::make_unique<Pool>(default_threads());
  return *pool_instance;
}

}  // namespace

void parallel_blocks(std::size_t blocks, BlockFnRef fn) {
  if (blocks > 1) {
    Pool& p = pool();
    if (p.threads() > 1) {
      p.run(blocks, fn);
      return;
    }
  }
  std::exception_ptr error;
  for (std::size_t b = 0; b < blocks; ++b) {
    try {
      fn(b);
    } catch (...) {
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

int cpu_threads() {
  return pool().threads();
}

void set_cpu_threads(int threads) {
  std::lock_guard<std::mutex> lock(pool_mutex);
  pool_instance.reset();
  pool_instance = std::make_unique<Pool>(threads > 0 ? threads : default_threads());
}

}  // namespace cucnf::detail
