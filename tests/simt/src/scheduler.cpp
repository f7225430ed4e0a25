// The block scheduler of the CPU execution layer.
//
// Blocks run one at a time. Each CUDA thread of a block is a Boost.Context fiber (fcontext: a
// switch is a few register saves, no system call) with its own stack from a pool (a guard page
// below each). A thread runs until it reaches a collective or returns; the scheduler then
// checks the collective and releases its participants when every one has arrived:
//   __syncthreads   every thread of the block, at the same call site, none exited;
//   warp collectives every lane of the mask, all with that mask and the same kind of
//                   collective; a shuffle may read only lanes of the mask.
// Anything else (a barrier some threads skipped, different barriers, a mask that disagrees, an
// exited lane in a mask, a deadlock) stops the run naming the file:line of the collectives.
// The order in which ready threads run, and blocks, is the schedule: fifo, reverse, random or
// drift (the lowest ready thread first: warps run apart as far as barriers let them).
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <boost/context/fiber.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda_runtime.h"
#include "internal.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define SIMT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIMT_ASAN 1
#endif
#endif
#if defined(SIMT_ASAN)
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(__SANITIZE_THREAD__)
#define SIMT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SIMT_TSAN 1
#endif
#endif
#if defined(SIMT_TSAN)
#include <sanitizer/tsan_interface.h>
// ThreadSanitizer's dynamic annotations (exported by libtsan).
extern "C" void AnnotateIgnoreReadsBegin(const char* file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char* file, int line);
extern "C" void AnnotateIgnoreWritesBegin(const char* file, int line);
extern "C" void AnnotateIgnoreWritesEnd(const char* file, int line);
#endif

SIMT_TLS uint3 threadIdx{0, 0, 0};
SIMT_TLS uint3 blockIdx{0, 0, 0};
SIMT_TLS dim3 blockDim;
SIMT_TLS dim3 gridDim;

namespace simt {

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "\nsimt: error: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

namespace {

Schedule initial_schedule() {
  const char* env = std::getenv("SIMT_SCHEDULE");
  if (!env || !*env) return Schedule{};
  try {
    return parse_schedule(env);
  } catch (const std::exception& e) {
    fail(std::string("SIMT_SCHEDULE: ") + e.what());
  }
}

Schedule g_schedule = initial_schedule();  // read at every scheduling decision

Schedule& current_schedule() {
  return g_schedule;
}

std::mt19937_64& schedule_rng() {
  static std::mt19937_64 rng(current_schedule().seed);
  return rng;
}

}  // namespace

Schedule parse_schedule(const std::string& text) {
  Schedule s;
  const std::string head = text.substr(0, text.find(':'));
  if (head == "fifo") {
    s.order = Order::fifo;
  } else if (head == "reverse") {
    s.order = Order::reverse;
  } else if (head == "drift" && head.size() == text.size()) {
    s.order = Order::drift;
  } else if (head == "random") {
    s.order = Order::random;
    if (head.size() < text.size()) {
      const std::string seed = text.substr(head.size() + 1);
      std::size_t used = 0;
      s.seed = std::stoull(seed, &used);
      if (used != seed.size()) throw std::invalid_argument("bad seed '" + seed + "'");
    }
  } else {
    throw std::invalid_argument("unknown schedule '" + text +
                                "' (valid: fifo, reverse, random, random:SEED, drift)");
  }
  return s;
}

std::string schedule_name(const Schedule& s) {
  switch (s.order) {
    case Order::fifo:
      return "fifo";
    case Order::reverse:
      return "reverse";
    case Order::random:
      return "random:" + std::to_string(s.seed);
    case Order::drift:
      return "drift";
  }
  return "?";
}

void set_schedule(const Schedule& s) {
  current_schedule() = s;
  schedule_rng().seed(s.seed);
}

Schedule schedule() {
  return current_schedule();
}

namespace detail {
namespace {

namespace ctx = boost::context;

// ThreadSanitizer: each CUDA thread is a TSan fiber. The scheduler switches into a thread with
// synchronisation (what the host and the scheduler wrote is visible) and threads switch back
// without, so two threads are ordered only by what CUDA orders them by: a collective they both
// took part in (release before waiting, acquire after, on an object that alternates by round),
// or the end of a block (the scheduler acquires every thread's exit before the next block).
// The scheduler's own bookkeeping is hidden from TSan. Without TSan these are no-ops.
#if defined(SIMT_TSAN)
inline void tsan_release(void* sync) {
  __tsan_release(sync);
}
inline void tsan_acquire(void* sync) {
  __tsan_acquire(sync);
}
inline void tsan_ignore_begin() {
  AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
  AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
}
inline void tsan_ignore_end() {
  AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
  AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
}
#else
inline void tsan_release(void*) {}
inline void tsan_acquire(void*) {}
inline void tsan_ignore_begin() {}
inline void tsan_ignore_end() {}
#endif

// Bookkeeping of a thread's fiber, hidden from TSan (see above).
struct IgnoredByTsan {
  IgnoredByTsan() { tsan_ignore_begin(); }
  ~IgnoredByTsan() { tsan_ignore_end(); }
  IgnoredByTsan(const IgnoredByTsan&) = delete;
  IgnoredByTsan& operator=(const IgnoredByTsan&) = delete;
};

constexpr std::size_t kStackBytes = 256 * 1024;

std::size_t page_size() {
  static const std::size_t page = std::size_t(sysconf(_SC_PAGESIZE));
  return page;
}

// Fiber stacks, mapped once and reused: a guard page below each catches an overflow.
class StackPool {
 public:
  ctx::stack_context allocate() {
    char* base;
    if (!free_.empty()) {
      base = free_.back();
      free_.pop_back();
    } else {
      void* map = mmap(nullptr, kStackBytes + page_size(), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (map == MAP_FAILED) fail("cannot map a fiber stack");
      if (mprotect(map, page_size(), PROT_NONE) != 0) fail("cannot protect a fiber stack");
      base = static_cast<char*>(map) + page_size();
    }
    ctx::stack_context sc;
    sc.size = kStackBytes;
    sc.sp = base + kStackBytes;
    return sc;
  }
  void deallocate(ctx::stack_context& sc) noexcept {
    free_.push_back(static_cast<char*>(sc.sp) - sc.size);
  }

 private:
  std::vector<char*> free_;
};

StackPool& stack_pool() {
  static thread_local StackPool pool;
  return pool;
}

thread_local ctx::stack_context g_last_stack;  // the stack of the fiber made last

struct PooledStack {
  ctx::stack_context allocate() { return g_last_stack = stack_pool().allocate(); }
  void deallocate(ctx::stack_context& sc) noexcept { stack_pool().deallocate(sc); }
};

// Dynamic shared memory: the launch's bytes end at a guard page, NaN-filled for each block.
class SharedRegion {
 public:
  unsigned char* prepare(std::size_t bytes) {
    const std::size_t need = round_up(bytes, page_size());
    if (need > capacity_ || !map_) {
      if (map_) munmap(map_, capacity_ + page_size());
      capacity_ = std::max(need, page_size());
      void* map = mmap(nullptr, capacity_ + page_size(), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (map == MAP_FAILED) fail("cannot map dynamic shared memory");
      map_ = static_cast<unsigned char*>(map);
      if (mprotect(map_ + capacity_, page_size(), PROT_NONE) != 0)
        fail("cannot protect dynamic shared memory");
    }
    // CUDA aligns dynamic shared memory to 16 bytes; the launch's bytes end (within that
    // alignment) at the guard page.
    return map_ + capacity_ - round_up(bytes, 16);
  }

 private:
  static std::size_t round_up(std::size_t v, std::size_t a) { return (v + a - 1) / a * a; }
  unsigned char* map_ = nullptr;
  std::size_t capacity_ = 0;
};

enum class State : std::uint8_t { ready, running, at_barrier, at_warp, exited };

struct Thread {
  ctx::fiber fiber;      // the thread, while suspended
  ctx::fiber scheduler;  // the way back, while the thread runs
  uint3 idx{0, 0, 0};
  int linear = 0;
  State state = State::ready;
  const char* file = "?";
  int line = 0;
  WarpOp op = WarpOp::syncwarp;
  unsigned mask = 0;
  std::uint64_t bits = 0;
  int arg = 0;
  int width = 32;
  std::uint64_t result = 0;
  const void* stack_bottom = nullptr;
  std::size_t stack_size = 0;
  void* fake_stack = nullptr;
  void* tsan_fiber = nullptr;
  void* sync = nullptr;  // the collective's TSan sync object, while waiting
};

const char* op_name(WarpOp op) {
  switch (op) {
    case WarpOp::syncwarp:
      return "__syncwarp";
    case WarpOp::shfl_idx:
      return "__shfl_sync";
    case WarpOp::shfl_up:
      return "__shfl_up_sync";
    case WarpOp::shfl_down:
      return "__shfl_down_sync";
    case WarpOp::shfl_xor:
      return "__shfl_xor_sync";
    case WarpOp::ballot:
      return "__ballot_sync";
    case WarpOp::any:
      return "__any_sync";
    case WarpOp::all:
      return "__all_sync";
  }
  return "?";
}

// Collectives that may meet: any two shuffles (each lane names its source), else the same op.
int op_family(WarpOp op) {
  switch (op) {
    case WarpOp::shfl_idx:
    case WarpOp::shfl_up:
    case WarpOp::shfl_down:
    case WarpOp::shfl_xor:
      return 1;
    default:
      return 2 + int(op);
  }
}

std::string hex(unsigned v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::string site(const Thread& t) {
  return std::string(t.file) + ":" + std::to_string(t.line);
}

std::string coords(const uint3& v) {
  return "(" + std::to_string(v.x) + "," + std::to_string(v.y) + "," + std::to_string(v.z) + ")";
}

class BlockRun;
SIMT_TLS BlockRun* g_block = nullptr;
SIMT_TLS Thread* g_current = nullptr;
#if defined(SIMT_ASAN)
thread_local const void* g_scheduler_stack = nullptr;
thread_local std::size_t g_scheduler_stack_size = 0;
#endif

class BlockRun {
 public:
  BlockRun(const Grid& grid, uint3 block, unsigned char* shared, std::mt19937_64& rng)
      : grid_(grid), block_(block), shared_(shared), rng_(rng) {
    const dim3& b = grid.block;
    count_ = int(b.x * b.y * b.z);
    threads_.resize(count_);
    for (int i = 0; i < count_; ++i) {
      Thread& t = threads_[i];
      t.linear = i;
      t.idx = {unsigned(i) % b.x, (unsigned(i) / b.x) % b.y, unsigned(i) / (b.x * b.y)};
      t.fiber = ctx::fiber(std::allocator_arg, PooledStack{}, [i](ctx::fiber&& back) {
        return g_block->thread_main(i, std::move(back));
      });
      t.stack_bottom = static_cast<char*>(g_last_stack.sp) - g_last_stack.size;
      t.stack_size = g_last_stack.size;
#if defined(SIMT_TSAN)
      t.tsan_fiber = __tsan_create_fiber(0);
#endif
    }
#if defined(SIMT_TSAN)
    scheduler_fiber_ = __tsan_get_current_fiber();
#endif
    warp_sync_.assign((count_ + 31) / 32 * 2, 0);
    warp_round_.assign((count_ + 31) / 32, 0u);
  }

  ~BlockRun() {
#if defined(SIMT_TSAN)
    for (Thread& t : threads_) __tsan_destroy_fiber(t.tsan_fiber);
#endif
  }
  BlockRun(const BlockRun&) = delete;
  BlockRun& operator=(const BlockRun&) = delete;

  /// The TSan sync object of the collective a thread is about to wait at: alternating by round,
  /// so a thread already at the next round does not publish into the one still being left.
  void* sync_object(const Thread& t, bool barrier) {
    if (barrier) return &barrier_sync_[barrier_round_ & 1u];
    const int w = t.linear / 32;
    return &warp_sync_[2 * w + (warp_round_[w] & 1u)];
  }

  unsigned char* shared() const {
    return shared_;
  }

  void run() {
    arrived_.assign((count_ + 31) / 32, 0u);
    exited_bits_.assign((count_ + 31) / 32, 0u);
    all_.resize(count_);
    for (int i = 0; i < count_; ++i) all_[i] = i;
    make_ready(all_);
    while (true) {
      if (ready_.empty()) {
        if (exited_ == count_) return;
        deadlock();
      }
      Thread& t = threads_[pop_ready()];
      resume(t);
      switch (t.state) {
        case State::exited:
          on_exit(t);
          break;
        case State::at_barrier:
          on_barrier(t);
          break;
        case State::at_warp:
          on_warp(t);
          break;
        default:
          fail("internal: a thread returned to the scheduler while running");
      }
    }
  }

  /// After the block: every thread's work happens before what follows (the next block reuses
  /// the stacks, the shared memory and the static __shared__ variables).
  void finish() {
    tsan_acquire(&block_end_);
  }

  // In the thread's fiber: waits at a collective until the scheduler releases it.
  // (TSan: the side that gains control names the fiber it now runs as, so the switch's own code
  // runs under an identity whose memory accesses are ignored.)
  void wait(Thread& t) {
    void* sync = t.sync;
    tsan_release(sync);
    tsan_ignore_begin();
#if defined(SIMT_ASAN)
    __sanitizer_start_switch_fiber(&t.fake_stack, g_scheduler_stack, g_scheduler_stack_size);
#endif
    t.scheduler = std::move(t.scheduler).resume();
#if defined(SIMT_ASAN)
    __sanitizer_finish_switch_fiber(t.fake_stack, nullptr, nullptr);
#endif
#if defined(SIMT_TSAN)
    __tsan_switch_to_fiber(t.tsan_fiber, 0);
#endif
    tsan_ignore_end();
    tsan_acquire(sync);
  }

 private:
  ctx::fiber thread_main(int i, ctx::fiber&& back) {
    // Still running as the scheduler (ignored by TSan): what the thread needs of the block, which
    // lives on the scheduler's stack, is copied first.
    Thread& t = threads_[i];
    const std::function<void()>& body = grid_.body;
    void* const block_end = &block_end_;
    void* const scheduler_fiber = scheduler_fiber_;
#if defined(SIMT_ASAN)
    __sanitizer_finish_switch_fiber(nullptr, &g_scheduler_stack, &g_scheduler_stack_size);
#endif
    t.scheduler = std::move(back);
#if defined(SIMT_TSAN)
    __tsan_switch_to_fiber(t.tsan_fiber, 0);
#endif
    body();
    {
      IgnoredByTsan hidden;
      t.state = State::exited;
    }
    tsan_release(block_end);
#if defined(SIMT_TSAN)
    // The exit's own code runs as the scheduler (whose accesses are ignored).
    __tsan_switch_to_fiber(scheduler_fiber, __tsan_switch_to_fiber_no_sync);
#else
    (void)scheduler_fiber;
#endif
#if defined(SIMT_ASAN)
    __sanitizer_start_switch_fiber(nullptr, g_scheduler_stack, g_scheduler_stack_size);
#endif
    return std::move(t.scheduler);
  }

  void resume(Thread& t) {
    threadIdx = t.idx;
    g_current = &t;
    t.state = State::running;
    ++mutable_counters().fiber_switches;
#if defined(SIMT_ASAN)
    void* fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, t.stack_bottom, t.stack_size);
#endif
    t.fiber = std::move(t.fiber).resume();
#if defined(SIMT_TSAN)
    // A waiting thread left as itself, ignoring (it ends that when it resumes); an exited one
    // already switched back to the scheduler.
    if (t.state != State::exited)
      __tsan_switch_to_fiber(scheduler_fiber_, __tsan_switch_to_fiber_no_sync);
#endif
#if defined(SIMT_ASAN)
    __sanitizer_finish_switch_fiber(fake, &t.stack_bottom, &t.stack_size);
#endif
    g_current = nullptr;
  }

  void make_ready(const std::vector<int>& ids) {
    auto push = [this](int id) {
      threads_[id].state = State::ready;
      ready_.push_back(id);
    };
    if (current_schedule().order == Order::reverse) {
      for (auto it = ids.rbegin(); it != ids.rend(); ++it) push(*it);
    } else {
      for (int id : ids) push(id);
    }
  }

  int pop_ready() {
    if (current_schedule().order == Order::drift && ready_.size() > 1)
      std::iter_swap(ready_.begin(), std::min_element(ready_.begin(), ready_.end()));
    if (current_schedule().order == Order::random && ready_.size() > 1) {
      std::uniform_int_distribution<std::size_t> pick(0, ready_.size() - 1);
      const std::size_t k = pick(rng_);
      std::swap(ready_[k], ready_.front());
    }
    const int id = ready_.front();
    ready_.pop_front();
    return id;
  }

  std::string where(const Thread& t) const {
    return "thread " + coords(t.idx) + " of block " + coords(block_);
  }

  void on_barrier(Thread& t) {
    ++at_barrier_;
    if (exited_ > 0) {
      const Thread* gone = nullptr;
      for (const Thread& u : threads_)
        if (u.state == State::exited) gone = &u;
      fail(site(t) + ": __syncthreads reached by " + where(t) + " while " + where(*gone) +
           " has exited: a barrier skipped by some threads");
    }
    if (at_barrier_ < count_) return;
    for (const Thread& u : threads_) {
      if (u.file != threads_[0].file && std::strcmp(u.file, threads_[0].file) != 0)
        mismatch(threads_[0], u);
      if (u.line != threads_[0].line) mismatch(threads_[0], u);
    }
    at_barrier_ = 0;
    ++barrier_round_;
    make_ready(all_);
  }

  [[noreturn]] void mismatch(const Thread& a, const Thread& b) {
    fail("threads of block " + coords(block_) + " wait at different barriers: " + site(a) +
         " (thread " + coords(a.idx) + ") and " + site(b) + " (thread " + coords(b.idx) + ")");
  }

  void on_exit(Thread& t) {
    ++exited_;
    if (at_barrier_ > 0) {
      const Thread* waiting = nullptr;
      for (const Thread& u : threads_)
        if (u.state == State::at_barrier) waiting = &u;
      fail(where(t) + " exits while " + std::to_string(at_barrier_) + " threads wait at " +
           "__syncthreads " + site(*waiting) + ": a barrier skipped by some threads");
    }
    const int base = t.linear / 32 * 32, lane = t.linear % 32, w = t.linear / 32;
    exited_bits_[w] |= 1u << lane;
    for (unsigned m = arrived_[w]; m; m &= m - 1) {
      const Thread& u = threads_[base + __builtin_ctz(m)];
      if (u.mask >> lane & 1u)
        fail(site(u) + ": lane " + std::to_string(lane) + " (" + where(t) +
             ") exits while lanes wait for it at " + op_name(u.op) + " with mask " + hex(u.mask));
    }
  }

  void on_warp(Thread& t) {
    const int base = t.linear / 32 * 32, lane = t.linear % 32;
    const int lanes = std::min(32, count_ - base);
    const unsigned present = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1u;
    auto what = [&] { return site(t) + ": " + op_name(t.op) + " in " + where(t); };
    if (!(t.mask >> lane & 1u))
      fail(what() + ": the mask " + hex(t.mask) + " excludes the calling lane " +
           std::to_string(lane));
    if (t.mask & ~present)
      fail(what() + ": the mask " + hex(t.mask) + " names lanes past the block's last thread");
    if (t.width < 1 || t.width > 32 || (t.width & (t.width - 1)))
      fail(what() + ": width " + std::to_string(t.width) + " is not a power of two up to 32");
    const int w = t.linear / 32;
    if (const unsigned gone = t.mask & exited_bits_[w])
      fail(what() + ": the mask " + hex(t.mask) + " includes lane " +
           std::to_string(__builtin_ctz(gone)) + ", which has exited");
    // Early check against one lane of the mask already waiting; all of them at completion.
    if (const unsigned others = arrived_[w] & t.mask)
      agree(t, threads_[base + __builtin_ctz(others)]);
    arrived_[w] |= 1u << lane;
    if ((arrived_[w] & t.mask) != t.mask) return;
    for (unsigned m = t.mask; m; m &= m - 1) agree(t, threads_[base + __builtin_ctz(m)]);
    arrived_[w] &= ~t.mask;
    ++warp_round_[w];

    unsigned ballot = 0;
    for (int j = 0; j < 32; ++j)
      if ((t.mask >> j & 1u) && threads_[base + j].bits) ballot |= 1u << j;
    released_.clear();
    for (int j = 0; j < 32; ++j) {
      if (!(t.mask >> j & 1u)) continue;
      Thread& u = threads_[base + j];
      const int segment = j & ~(u.width - 1);
      int src = j;
      switch (u.op) {
        case WarpOp::syncwarp:
          u.result = 0;
          break;
        case WarpOp::ballot:
          u.result = ballot;
          break;
        case WarpOp::any:
          u.result = ballot != 0;
          break;
        case WarpOp::all:
          u.result = ballot == t.mask;
          break;
        case WarpOp::shfl_idx:
          src = segment + (u.arg & (u.width - 1));
          break;
        case WarpOp::shfl_up:
          src = j - u.arg >= segment ? j - u.arg : j;
          break;
        case WarpOp::shfl_down:
          src = j + u.arg < segment + u.width ? j + u.arg : j;
          break;
        case WarpOp::shfl_xor:
          src = ((j ^ u.arg) & ~(u.width - 1)) == segment ? j ^ u.arg : j;
          break;
      }
      if (op_family(u.op) == 1) {
        if (src < 0 || src > 31 || !(t.mask >> src & 1u))
          fail(site(u) + ": " + op_name(u.op) + ": lane " + std::to_string(j) + " reads lane " +
               std::to_string(src) + ", outside the mask " + hex(t.mask));
        u.result = threads_[base + src].bits;
      }
      released_.push_back(base + j);
    }
    make_ready(released_);
  }

  // Two lanes waiting at warp collectives whose masks include each other must agree.
  void agree(const Thread& t, const Thread& u) {
    if (u.mask != t.mask)
      fail(site(t) + ": " + op_name(t.op) + " in " + where(t) + ": lanes disagree on the mask: " +
           "lane " + std::to_string(t.linear % 32) + " gives " + hex(t.mask) + ", lane " +
           std::to_string(u.linear % 32) + " gives " + hex(u.mask) + " at " + site(u));
    if (op_family(u.op) != op_family(t.op))
      fail(site(t) + ": " + op_name(t.op) + " in " + where(t) + ": lanes of mask " + hex(t.mask) +
           " meet at different collectives: lane " + std::to_string(u.linear % 32) + " is at " +
           op_name(u.op) + " " + site(u));
  }

  [[noreturn]] void deadlock() {
    std::ostringstream out;
    out << "deadlock in block " << coords(block_) << ": no thread can run;";
    int shown = 0;
    for (int i = 0; i < count_ && shown < 8;) {
      const Thread& t = threads_[i];
      int j = i + 1;
      auto same = [&](const Thread& u) {
        return u.state == t.state && u.line == t.line && u.mask == t.mask &&
               std::strcmp(u.file, t.file) == 0;
      };
      while (j < count_ && same(threads_[j])) ++j;
      out << " threads " << i << "-" << j - 1;
      if (t.state == State::exited) {
        out << " exited;";
      } else if (t.state == State::at_barrier) {
        out << " wait at __syncthreads " << site(t) << ";";
      } else {
        out << " wait at " << op_name(t.op) << " " << site(t) << " (mask " << hex(t.mask) << ");";
      }
      ++shown;
      i = j;
    }
    fail(out.str());
  }

  const Grid& grid_;
  uint3 block_;
  unsigned char* shared_;
  std::mt19937_64& rng_;
  int count_ = 0;
  std::vector<Thread> threads_;
  std::deque<int> ready_;
  std::vector<int> all_, released_;
  std::vector<unsigned> arrived_, exited_bits_;  // per warp: lanes at a warp collective, exited
  // TSan sync objects (their addresses) and rounds: see sync_object() and finish().
  char barrier_sync_[2] = {0, 0};
  char block_end_ = 0;
  std::vector<char> warp_sync_;
  unsigned barrier_round_ = 0;
  std::vector<unsigned> warp_round_;
  void* scheduler_fiber_ = nullptr;
  int exited_ = 0;
  int at_barrier_ = 0;
};

Thread& current_thread(const char* what, const char* file, int line) {
  if (!g_current || !g_block)
    fail(std::string(file) + ":" + std::to_string(line) + ": " + what + " called outside a kernel");
  return *g_current;
}

}  // namespace

void run_grid(const Grid& grid) {
  static thread_local SharedRegion region;
  const dim3& g = grid.grid;
  const std::size_t blocks = std::size_t(g.x) * g.y * g.z;
  std::vector<std::size_t> order(blocks);
  for (std::size_t i = 0; i < blocks; ++i) order[i] = i;
  std::mt19937_64& rng = schedule_rng();
  if (current_schedule().order == Order::reverse) std::reverse(order.begin(), order.end());
  if (current_schedule().order == Order::random) std::shuffle(order.begin(), order.end(), rng);
  IgnoredByTsan hidden;  // the scheduler's side is bookkeeping only
  unsigned char* shared = region.prepare(grid.shared_bytes);
  blockDim = grid.block;
  gridDim = grid.grid;
  for (std::size_t b : order) {
    const uint3 idx{unsigned(b % g.x), unsigned(b / g.x % g.y), unsigned(b / (g.x * g.y))};
    blockIdx = idx;
    std::memset(shared, 0xFF, grid.shared_bytes);
    BlockRun run(grid, idx, shared, rng);
    g_block = &run;
    run.run();
    run.finish();
    g_block = nullptr;
    ++mutable_counters().blocks;
  }
}

bool in_kernel() {
  return g_block != nullptr && g_current != nullptr;
}

unsigned char* dynamic_shared() {
  if (!g_block) fail("dynamic shared memory used outside a kernel");
  return g_block->shared();
}

void syncthreads(const char* file, int line) {
  Thread* t;
  {
    IgnoredByTsan hidden;
    t = &current_thread("__syncthreads", file, line);
    t->state = State::at_barrier;
    t->file = file;
    t->line = line;
    t->sync = g_block->sync_object(*t, true);
  }
  g_block->wait(*t);
}

std::uint64_t warp_collective(WarpOp op, unsigned mask, std::uint64_t bits, int arg, int width,
                              const char* file, int line) {
  Thread* t;
  {
    IgnoredByTsan hidden;
    t = &current_thread(op_name(op), file, line);
    t->state = State::at_warp;
    t->op = op;
    t->mask = mask;
    t->bits = bits;
    t->arg = arg;
    t->width = width;
    t->file = file;
    t->line = line;
    t->sync = g_block->sync_object(*t, false);
  }
  g_block->wait(*t);
  IgnoredByTsan hidden;
  return t->result;
}

}  // namespace detail
}  // namespace simt
