// The CUDA runtime API of the CPU execution layer: memory whose kind is tracked, streams that
// defer their work until something synchronises, events, launch checks, the device's
// description, errors and counters.
//
// Stream semantics (CUDA's documented ones): work on a stream runs in order. The legacy default
// stream (0) waits for earlier work of every blocking stream, and blocking streams wait for
// earlier legacy work; a cudaStreamNonBlocking stream orders only with itself. In deferred mode
// nothing runs until a host synchronisation (stream, event, device, a blocking copy) needs it,
// so a host read of pinned memory without a synchronisation sees stale data, as on a GPU.
// Copies from pageable memory are staged when the call is made; copies to pageable memory
// complete before the call returns (a host synchronisation).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "cuda_runtime.h"
#include "internal.hpp"

namespace simt {
namespace detail {

std::recursive_mutex& api_mutex() {
  static std::recursive_mutex m;
  return m;
}

namespace {

constexpr std::size_t kDeviceAlignment = 256;
constexpr std::size_t kDefaultSharedLimit = 48 * 1024;
constexpr std::size_t kOptinSharedLimit = 227 * 1024;

struct Allocation {
  std::size_t size = 0;
  MemoryKind kind = MemoryKind::device;
};

struct Op {
  std::uint64_t seq = 0;
  CUstream_st* stream = nullptr;
  std::string what;
  std::function<void()> run;
  std::vector<std::uintptr_t> uses;  // allocation bases the op reads or writes
  std::uint64_t waits_for = 0;       // cudaStreamWaitEvent: an earlier op's seq
};

class Runtime {
 public:
  Runtime() {
    legacy_.legacy = true;
    const char* mode = std::getenv("SIMT_STREAMS");
    if (mode && std::string(mode) == "eager")
      mode_ = StreamMode::eager;
    else if (mode && *mode && std::string(mode) != "deferred")
      fail(std::string("SIMT_STREAMS: unknown mode '") + mode + "' (deferred or eager)");
    const char* devices = std::getenv("SIMT_DEVICE_COUNT");
    if (devices && std::string(devices) == "0") device_count_ = 0;
  }

  std::recursive_mutex& mutex() { return api_mutex(); }
  Counters counters;
  StreamMode mode_ = StreamMode::deferred;
  int device_count_ = 1;

  // --- errors ---
  cudaError_t error(cudaError_t code, const std::string& detail) {
    last_error_ = code;
    detail_code_ = code;
    detail_ = detail;
    return code;
  }
  cudaError_t last_error_ = cudaSuccess;
  cudaError_t detail_code_ = cudaSuccess;
  std::string detail_;

  // --- memory ---
  std::map<std::uintptr_t, Allocation> allocations;

  const std::pair<const std::uintptr_t, Allocation>* find(const void* p) const {
    const auto a = std::uintptr_t(p);
    auto it = allocations.upper_bound(a);
    if (it == allocations.begin()) return nullptr;
    --it;
    if (a < it->first + std::max<std::size_t>(it->second.size, 1)) return &*it;
    return nullptr;
  }

  MemoryKind kind_of(const void* p) const {
    const auto* a = find(p);
    return a ? a->second.kind : MemoryKind::pageable;
  }

  // Checks that [p, p + bytes) lies in one allocation of its kind; "" when it does.
  std::string range_problem(const void* p, std::size_t bytes, const char* role) const {
    const auto* a = find(p);
    if (!a) return "";
    const std::size_t offset = std::uintptr_t(p) - a->first;
    if (offset + bytes <= a->second.size) return "";
    return std::string(role) + " range of " + std::to_string(bytes) + " bytes at offset " +
           std::to_string(offset) + " runs past its " + kind_name(a->second.kind) +
           " allocation of " + std::to_string(a->second.size) + " bytes";
  }

  static const char* kind_name(MemoryKind k) {
    switch (k) {
      case MemoryKind::device:
        return "device";
      case MemoryKind::pinned:
        return "pinned host";
      case MemoryKind::pageable:
        return "pageable host";
    }
    return "?";
  }

  // --- streams ---
  CUstream_st legacy_;
  std::set<CUstream_st*> streams_;
  std::deque<Op> pending_;
  std::uint64_t next_seq_ = 1;
  int next_stream_id_ = 1;

  CUstream_st* resolve(cudaStream_t s) {
    if (s == nullptr || s == cudaStreamLegacy) return &legacy_;
    if (!streams_.count(s) || s->destroyed) return nullptr;
    return s;
  }

  static bool blocking(const CUstream_st* s) { return !(s->flags & cudaStreamNonBlocking); }

  std::uint64_t enqueue(CUstream_st* s, std::string what, std::function<void()> run,
                        std::vector<std::uintptr_t> uses = {}, std::uint64_t waits_for = 0) {
    Op op;
    op.seq = next_seq_++;
    op.stream = s;
    op.what = std::move(what);
    op.run = std::move(run);
    op.uses = std::move(uses);
    op.waits_for = waits_for;
    const std::uint64_t seq = op.seq;
    pending_.push_back(std::move(op));
    if (mode_ == StreamMode::eager) flush_all();
    return seq;
  }

  // Runs the pending ops that `target` selects and everything they depend on, in issue order.
  template <class Target>
  void flush(Target target) {
    std::vector<bool> needed(pending_.size(), false);
    std::set<const CUstream_st*> streams;
    std::set<std::uint64_t> seqs;
    bool all_blocking = false, legacy = false;
    for (std::size_t k = pending_.size(); k-- > 0;) {
      const Op& op = pending_[k];
      const CUstream_st* s = op.stream;
      const bool need = target(op) || streams.count(s) || seqs.count(op.seq) ||
                        (all_blocking && blocking(s)) || (legacy && s->legacy);
      if (!need) continue;
      needed[k] = true;
      streams.insert(s);
      if (op.waits_for) seqs.insert(op.waits_for);
      if (s->legacy)
        all_blocking = true;
      else if (blocking(s))
        legacy = true;
    }
    std::deque<Op> keep;
    std::vector<Op> run;
    for (std::size_t k = 0; k < pending_.size(); ++k) {
      if (needed[k])
        run.push_back(std::move(pending_[k]));
      else
        keep.push_back(std::move(pending_[k]));
    }
    pending_ = std::move(keep);
    for (Op& op : run) op.run();
    reap_streams();
  }

  void flush_all() {
    flush([](const Op&) { return true; });
  }

  // Everything a new operation on `s` would wait for: its stream's work, and for the legacy
  // stream every blocking stream's work too.
  void flush_stream(CUstream_st* s) {
    if (s->legacy)
      flush([](const Op& op) { return blocking(op.stream); });
    else
      flush([s](const Op& op) { return op.stream == s; });
  }

  void reap_streams() {
    for (auto it = streams_.begin(); it != streams_.end();) {
      CUstream_st* s = *it;
      bool busy = false;
      for (const Op& op : pending_) busy = busy || op.stream == s;
      if (s->destroyed && !busy) {
        delete s;
        it = streams_.erase(it);
      } else {
        ++it;
      }
    }
  }

  bool stream_busy(const CUstream_st* s) const {
    for (const Op& op : pending_)
      if (op.stream == s) return true;
    return false;
  }

  // A freed allocation must not be used by work still pending on any stream.
  void check_unused(std::uintptr_t base, const char* call) {
    for (const Op& op : pending_) {
      for (std::uintptr_t u : op.uses) {
        if (u != base) continue;
        const Allocation& a = allocations.at(base);
        char addr[32];
        std::snprintf(addr, sizeof addr, "%p", reinterpret_cast<void*>(base));
        fail(std::string(call) + "(" + addr + ") frees a " + kind_name(a.kind) + " allocation of " +
             std::to_string(a.size) + " bytes that " + op.what + " on stream " +
             std::to_string(op.stream->id) +
             " still uses (not yet synchronised): synchronise first, or free on the stream");
      }
    }
  }

  std::vector<std::uintptr_t> uses_in(const void* blob, std::size_t bytes) const {
    std::vector<std::uintptr_t> out;
    const auto* p = static_cast<const unsigned char*>(blob);
    for (std::size_t off = 0; off + sizeof(void*) <= bytes; off += alignof(void*)) {
      void* candidate;
      std::memcpy(&candidate, p + off, sizeof candidate);
      if (const auto* a = find(candidate)) out.push_back(a->first);
    }
    return out;
  }

  std::unordered_map<const void*, std::size_t> shared_limit_;

  double now_ms() const {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - epoch_)
        .count();
  }
  std::chrono::steady_clock::time_point epoch_ = std::chrono::steady_clock::now();
};

Runtime& rt() {
  static Runtime* runtime = new Runtime;  // never destroyed: usable from static destructors
  return *runtime;
}

std::string pointer_text(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

// Validates a copy's direction against the pointers' kinds and ranges.
cudaError_t check_copy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind& kind,
                       const char* call) {
  Runtime& r = rt();
  const MemoryKind dk = r.kind_of(dst), sk = r.kind_of(src);
  if (kind == cudaMemcpyDefault) {
    const bool dd = dk == MemoryKind::device, sd = sk == MemoryKind::device;
    kind = dd ? (sd ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
              : (sd ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  }
  const bool want_dst_device = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool want_src_device = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (kind < cudaMemcpyHostToHost || kind > cudaMemcpyDefault)
    return r.error(cudaErrorInvalidMemcpyDirection, std::string(call) + ": bad direction");
  if (bytes == 0) return cudaSuccess;
  if (!dst || !src) return r.error(cudaErrorInvalidValue, std::string(call) + ": null pointer");
  if (want_dst_device != (dk == MemoryKind::device))
    return r.error(cudaErrorInvalidValue, std::string(call) + ": destination " + pointer_text(dst) +
                                              " is " + Runtime::kind_name(dk) +
                                              " memory but the copy's kind says " +
                                              (want_dst_device ? "device" : "host"));
  if (want_src_device != (sk == MemoryKind::device))
    return r.error(cudaErrorInvalidValue, std::string(call) + ": source " + pointer_text(src) +
                                              " is " + Runtime::kind_name(sk) +
                                              " memory but the copy's kind says " +
                                              (want_src_device ? "device" : "host"));
  std::string problem = r.range_problem(dst, bytes, "destination");
  if (problem.empty()) problem = r.range_problem(src, bytes, "source");
  if (!problem.empty()) return r.error(cudaErrorInvalidValue, std::string(call) + ": " + problem);
  return cudaSuccess;
}

// A call's bytes, and of them those from or to pageable memory.
void count_call_bytes(cudaMemcpyKind kind, std::size_t bytes, const void* dst, const void* src) {
  Runtime& r = rt();
  simt::detail::count_bytes(kind, bytes);
  if ((kind == cudaMemcpyHostToDevice && r.kind_of(src) == MemoryKind::pageable) ||
      (kind == cudaMemcpyDeviceToHost && r.kind_of(dst) == MemoryKind::pageable))
    r.counters.bytes_pageable += bytes;
}

std::vector<std::uintptr_t> uses_of(std::initializer_list<const void*> pointers) {
  std::vector<std::uintptr_t> out;
  for (const void* p : pointers)
    if (const auto* a = rt().find(p)) out.push_back(a->first);
  return out;
}

}  // namespace

Counters& mutable_counters() {
  return rt().counters;
}

cudaError_t set_error(cudaError_t code, const std::string& detail) {
  return rt().error(code, detail);
}

CUstream_st* resolve_stream(cudaStream_t stream) {
  return rt().resolve(stream);
}

std::uint64_t enqueue(CUstream_st* s, std::string what, std::function<void()> run,
                      std::vector<std::uintptr_t> uses, std::uint64_t waits_for) {
  return rt().enqueue(s, std::move(what), std::move(run), std::move(uses), waits_for);
}

bool allocation_live(std::uintptr_t base) {
  return rt().allocations.count(base) != 0;
}

void count_bytes(cudaMemcpyKind kind, std::size_t bytes) {
  Counters& c = rt().counters;
  if (kind == cudaMemcpyHostToDevice) c.bytes_h2d += bytes;
  if (kind == cudaMemcpyDeviceToHost) c.bytes_d2h += bytes;
  if (kind == cudaMemcpyDeviceToDevice) c.bytes_d2d += bytes;
}

std::size_t dynamic_shared_limit(const void* kernel) {
  std::size_t limit = kDefaultSharedLimit;
  if (auto it = rt().shared_limit_.find(kernel); it != rt().shared_limit_.end())
    limit = std::max(limit, it->second);
  return limit;
}

cudaError_t launch(const cudaLaunchConfig_t* config, const void* kernel, std::function<void()> body,
                   const void* args, std::size_t args_size) {
  Runtime& r = rt();
  Lock lock(r.mutex());
  if (!config) return r.error(cudaErrorInvalidValue, "cudaLaunchKernelEx: no configuration");
  if (!kernel) return r.error(cudaErrorInvalidDeviceFunction, "cudaLaunchKernelEx: no kernel");
  const dim3 b = config->blockDim, g = config->gridDim;
  const std::uint64_t threads = std::uint64_t(b.x) * b.y * b.z;
  if (threads == 0 || threads > 1024 || b.x > 1024 || b.y > 1024 || b.z > 64)
    return r.error(cudaErrorInvalidConfiguration,
                   "launch with a block of " + std::to_string(b.x) + "x" + std::to_string(b.y) +
                       "x" + std::to_string(b.z) + " threads (at most 1024, z at most 64)");
  if (g.x == 0 || g.y == 0 || g.z == 0 || g.x > 2147483647u || g.y > 65535 || g.z > 65535)
    return r.error(cudaErrorInvalidConfiguration, "launch with a grid of " + std::to_string(g.x) +
                                                      "x" + std::to_string(g.y) + "x" +
                                                      std::to_string(g.z) + " blocks");
  const std::size_t limit = dynamic_shared_limit(kernel);
  if (config->dynamicSmemBytes > limit)
    return r.error(cudaErrorInvalidValue,
                   "launch with " + std::to_string(config->dynamicSmemBytes) +
                       " bytes of dynamic shared memory (the kernel's limit is " +
                       std::to_string(limit) +
                       "; above 48 KB needs cudaFuncAttributeMaxDynamicSharedMemorySize)");
  CUstream_st* s = r.resolve(config->stream);
  if (!s) return r.error(cudaErrorInvalidResourceHandle, "launch on an invalid stream");
  bool capturing = false;
  if (const cudaError_t e = capture_check_enqueue(s, &capturing, "cudaLaunchKernelEx")) return e;
  Grid grid;
  grid.grid = g;
  grid.block = b;
  grid.shared_bytes = config->dynamicSmemBytes;
  grid.body = std::move(body);
  Work work;
  work.type = cudaGraphNodeTypeKernel;
  work.run = [grid = std::move(grid)] { run_grid(grid); };
  work.uses = r.uses_in(args, args_size);
  if (capturing) {
    work.what = "captured kernel launch";
    capture_add(s, std::move(work));
    return cudaSuccess;
  }
  ++r.counters.launches;
  r.enqueue(s, "kernel launch #" + std::to_string(r.counters.launches), std::move(work.run),
            std::move(work.uses));
  return cudaSuccess;
}

}  // namespace detail

Counters counters() {
  detail::Lock lock(detail::rt().mutex());
  return detail::rt().counters;
}

void reset_counters() {
  detail::Lock lock(detail::rt().mutex());
  detail::rt().counters = Counters{};
}

MemoryKind memory_kind(const void* p) {
  detail::Lock lock(detail::rt().mutex());
  return detail::rt().kind_of(p);
}

void set_stream_mode(StreamMode mode) {
  detail::Lock lock(detail::rt().mutex());
  detail::rt().flush_all();
  detail::rt().mode_ = mode;
}

StreamMode stream_mode() {
  return detail::rt().mode_;
}

}  // namespace simt

using simt::MemoryKind;
using simt::detail::capture_check_enqueue;
using simt::detail::capture_check_unsafe;
using simt::detail::Lock;
using simt::detail::rt;

extern "C" {

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
#define SIMT_NAME(e) \
  case e:            \
    return #e;
    SIMT_NAME(cudaSuccess)
    SIMT_NAME(cudaErrorInvalidValue)
    SIMT_NAME(cudaErrorMemoryAllocation)
    SIMT_NAME(cudaErrorInitializationError)
    SIMT_NAME(cudaErrorInvalidConfiguration)
    SIMT_NAME(cudaErrorInvalidMemcpyDirection)
    SIMT_NAME(cudaErrorInsufficientDriver)
    SIMT_NAME(cudaErrorInvalidDeviceFunction)
    SIMT_NAME(cudaErrorNoDevice)
    SIMT_NAME(cudaErrorInvalidDevice)
    SIMT_NAME(cudaErrorInvalidResourceHandle)
    SIMT_NAME(cudaErrorNotReady)
    SIMT_NAME(cudaErrorIllegalAddress)
    SIMT_NAME(cudaErrorLaunchOutOfResources)
    SIMT_NAME(cudaErrorLaunchFailure)
    SIMT_NAME(cudaErrorNotSupported)
    SIMT_NAME(cudaErrorIllegalState)
    SIMT_NAME(cudaErrorStreamCaptureUnsupported)
    SIMT_NAME(cudaErrorStreamCaptureInvalidated)
    SIMT_NAME(cudaErrorStreamCaptureMerge)
    SIMT_NAME(cudaErrorStreamCaptureUnmatched)
    SIMT_NAME(cudaErrorStreamCaptureUnjoined)
    SIMT_NAME(cudaErrorStreamCaptureIsolation)
    SIMT_NAME(cudaErrorStreamCaptureImplicit)
    SIMT_NAME(cudaErrorCapturedEvent)
    SIMT_NAME(cudaErrorStreamCaptureWrongThread)
    SIMT_NAME(cudaErrorUnknown)
#undef SIMT_NAME
  }
  return "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t error) {
  static thread_local std::string text;
  switch (error) {
    case cudaSuccess:
      text = "no error";
      break;
    case cudaErrorInvalidValue:
      text = "invalid argument";
      break;
    case cudaErrorMemoryAllocation:
      text = "out of memory";
      break;
    case cudaErrorInvalidConfiguration:
      text = "invalid configuration argument";
      break;
    case cudaErrorNoDevice:
      text = "no CUDA-capable device is detected";
      break;
    case cudaErrorInvalidResourceHandle:
      text = "invalid resource handle";
      break;
    case cudaErrorNotReady:
      text = "device not ready";
      break;
    case cudaErrorStreamCaptureUnsupported:
      text = "operation not permitted when stream is capturing";
      break;
    case cudaErrorStreamCaptureInvalidated:
      text = "operation failed due to a previous error during capture";
      break;
    case cudaErrorStreamCaptureImplicit:
      text = "operation would make the legacy stream depend on a capturing blocking stream";
      break;
    default:
      text = cudaGetErrorName(error);
      break;
  }
  Lock lock(rt().mutex());
  if (error != cudaSuccess && rt().detail_code_ == error && !rt().detail_.empty())
    text += " [simt: " + rt().detail_ + "]";
  return text.c_str();
}

cudaError_t cudaGetLastError(void) {
  Lock lock(rt().mutex());
  const cudaError_t e = rt().last_error_;
  rt().last_error_ = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError(void) {
  Lock lock(rt().mutex());
  return rt().last_error_;
}

cudaError_t cudaGetDeviceCount(int* count) {
  Lock lock(rt().mutex());
  if (!count) return rt().error(cudaErrorInvalidValue, "cudaGetDeviceCount: null pointer");
  *count = rt().device_count_;
  if (*count == 0) return rt().error(cudaErrorNoDevice, "SIMT_DEVICE_COUNT=0");
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  Lock lock(rt().mutex());
  if (rt().device_count_ == 0) return rt().error(cudaErrorNoDevice, "SIMT_DEVICE_COUNT=0");
  if (!device) return rt().error(cudaErrorInvalidValue, "cudaGetDevice: null pointer");
  *device = 0;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  Lock lock(rt().mutex());
  if (device != 0 || rt().device_count_ == 0)
    return rt().error(cudaErrorInvalidDevice, "cudaSetDevice(" + std::to_string(device) + ")");
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  Lock lock(rt().mutex());
  if (!prop) return rt().error(cudaErrorInvalidValue, "cudaGetDeviceProperties: null pointer");
  if (device != 0 || rt().device_count_ == 0)
    return rt().error(cudaErrorInvalidDevice,
                      "cudaGetDeviceProperties(" + std::to_string(device) + ")");
  *prop = cudaDeviceProp{};
  std::snprintf(prop->name, sizeof prop->name, "simt emulated H100 (CPU execution layer)");
  prop->totalGlobalMem = std::size_t(80) << 30;
  prop->sharedMemPerBlock = simt::detail::kDefaultSharedLimit;
  prop->regsPerBlock = 65536;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->maxThreadsDim[0] = prop->maxThreadsDim[1] = 1024;
  prop->maxThreadsDim[2] = 64;
  prop->maxGridSize[0] = 2147483647;
  prop->maxGridSize[1] = prop->maxGridSize[2] = 65535;
  prop->totalConstMem = 65536;
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = 132;
  prop->sharedMemPerBlockOptin = simt::detail::kOptinSharedLimit;
  prop->sharedMemPerMultiprocessor = 228 * 1024;
  prop->regsPerMultiprocessor = 65536;
  prop->maxThreadsPerMultiProcessor = 2048;
  prop->maxBlocksPerMultiProcessor = 32;
  prop->l2CacheSize = 50 * 1024 * 1024;
  prop->memoryBusWidth = 5120;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, enum cudaDeviceAttr attr, int device) {
  Lock lock(rt().mutex());
  if (!value || device != 0 || rt().device_count_ == 0)
    return rt().error(cudaErrorInvalidValue, "cudaDeviceGetAttribute");
  switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock:
      *value = 1024;
      return cudaSuccess;
    case cudaDevAttrMaxSharedMemoryPerBlock:
      *value = int(simt::detail::kDefaultSharedLimit);
      return cudaSuccess;
    case cudaDevAttrWarpSize:
      *value = 32;
      return cudaSuccess;
    case cudaDevAttrClockRate:
      *value = 1980000;  // kHz: the H100 SXM's boost clock
      return cudaSuccess;
    case cudaDevAttrMultiProcessorCount:
      *value = 132;
      return cudaSuccess;
    case cudaDevAttrComputeCapabilityMajor:
      *value = 9;
      return cudaSuccess;
    case cudaDevAttrComputeCapabilityMinor:
      *value = 0;
      return cudaSuccess;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin:
      *value = int(simt::detail::kOptinSharedLimit);
      return cudaSuccess;
    case cudaDevAttrMemoryPoolsSupported:
      *value = 1;
      return cudaSuccess;
  }
  return rt().error(cudaErrorInvalidValue, "cudaDeviceGetAttribute: attribute not modelled");
}

cudaError_t cudaDeviceSynchronize(void) {
  Lock lock(rt().mutex());
  if (const cudaError_t e = simt::detail::capture_check_device_sync("cudaDeviceSynchronize"))
    return e;
  ++rt().counters.host_syncs;
  rt().flush_all();
  return cudaSuccess;
}

cudaError_t cudaFuncSetAttribute(const void* func, enum cudaFuncAttribute attr, int value) {
  Lock lock(rt().mutex());
  if (!func) return rt().error(cudaErrorInvalidDeviceFunction, "cudaFuncSetAttribute: no kernel");
  if (attr != cudaFuncAttributeMaxDynamicSharedMemorySize)
    return rt().error(cudaErrorInvalidValue, "cudaFuncSetAttribute: attribute not modelled");
  if (value < 0 || std::size_t(value) > simt::detail::kOptinSharedLimit)
    return rt().error(cudaErrorInvalidValue,
                      "cudaFuncSetAttribute: " + std::to_string(value) +
                          " bytes of dynamic shared memory (the H100 allows 227 KB)");
  rt().shared_limit_[func] = std::size_t(value);
  return cudaSuccess;
}

cudaError_t cudaMalloc(void** ptr, size_t size) {
  Lock lock(rt().mutex());
  if (!ptr) return rt().error(cudaErrorInvalidValue, "cudaMalloc: null pointer");
  *ptr = nullptr;
  if (const cudaError_t e = capture_check_unsafe("cudaMalloc")) return e;
  if (size == 0) return cudaSuccess;
  void* p = ::operator new(size, std::align_val_t(simt::detail::kDeviceAlignment), std::nothrow);
  if (!p) return rt().error(cudaErrorMemoryAllocation, "cudaMalloc(" + std::to_string(size) + ")");
  std::memset(p, 0xFF, size);  // poison: NaN in float and double
  rt().allocations[std::uintptr_t(p)] = {size, MemoryKind::device};
  ++rt().counters.allocations;
  *ptr = p;
  return cudaSuccess;
}

static cudaError_t free_memory(void* ptr, MemoryKind kind, const char* call) {
  Lock lock(rt().mutex());
  if (!ptr) return cudaSuccess;
  if (const cudaError_t e = capture_check_unsafe(call)) return e;
  auto it = rt().allocations.find(std::uintptr_t(ptr));
  if (it == rt().allocations.end() || it->second.kind != kind)
    return rt().error(cudaErrorInvalidValue,
                      std::string(call) + "(" + simt::detail::pointer_text(ptr) +
                          "): not the start of a live allocation of " + "the right kind");
  rt().check_unused(it->first, call);
  rt().allocations.erase(it);
  if (kind == MemoryKind::device) ++rt().counters.frees;
  ::operator delete(ptr, std::align_val_t(simt::detail::kDeviceAlignment));
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  return free_memory(ptr, MemoryKind::device, "cudaFree");
}

// The stream-ordered allocator: the memory is allocated at once (CUDA promises it only to work
// that follows in `stream`'s order, which the layer does not police), and freed when the
// stream reaches the free, where work still pending on other streams that uses it is reported.
cudaError_t cudaMallocAsync(void** ptr, size_t size, cudaStream_t stream) {
  Lock lock(rt().mutex());
  if (!rt().resolve(stream))
    return rt().error(cudaErrorInvalidResourceHandle, "cudaMallocAsync: invalid stream");
  return cudaMalloc(ptr, size);
}

cudaError_t cudaFreeAsync(void* ptr, cudaStream_t stream) {
  Lock lock(rt().mutex());
  simt::detail::Runtime& r = rt();
  CUstream_st* s = r.resolve(stream);
  if (!s) return r.error(cudaErrorInvalidResourceHandle, "cudaFreeAsync: invalid stream");
  if (!ptr) return cudaSuccess;
  auto it = r.allocations.find(std::uintptr_t(ptr));
  if (it == r.allocations.end() || it->second.kind != MemoryKind::device)
    return r.error(cudaErrorInvalidValue, "cudaFreeAsync(" + simt::detail::pointer_text(ptr) +
                                              "): not the start of a live device allocation");
  r.enqueue(s, "cudaFreeAsync", [ptr] {
    const cudaError_t e = free_memory(ptr, MemoryKind::device, "cudaFreeAsync");
    if (e != cudaSuccess) simt::fail(rt().detail_);
  });
  return cudaSuccess;
}

cudaError_t cudaMallocHost(void** ptr, size_t size) {
  Lock lock(rt().mutex());
  if (!ptr) return rt().error(cudaErrorInvalidValue, "cudaMallocHost: null pointer");
  *ptr = nullptr;
  if (const cudaError_t e = capture_check_unsafe("cudaMallocHost")) return e;
  if (size == 0) return cudaSuccess;
  void* p = ::operator new(size, std::align_val_t(simt::detail::kDeviceAlignment), std::nothrow);
  if (!p)
    return rt().error(cudaErrorMemoryAllocation, "cudaMallocHost(" + std::to_string(size) + ")");
  std::memset(p, 0xFF, size);
  rt().allocations[std::uintptr_t(p)] = {size, MemoryKind::pinned};
  *ptr = p;
  return cudaSuccess;
}

cudaError_t cudaFreeHost(void* ptr) {
  return free_memory(ptr, MemoryKind::pinned, "cudaFreeHost");
}

cudaError_t cudaPointerGetAttributes(cudaPointerAttributes* attributes, const void* ptr) {
  Lock lock(rt().mutex());
  if (!attributes)
    return rt().error(cudaErrorInvalidValue, "cudaPointerGetAttributes: null attributes");
  // As CUDA 11+: memory the runtime does not know is "unregistered" host memory, not an error.
  *attributes = {cudaMemoryTypeUnregistered, -2, nullptr, const_cast<void*>(ptr)};
  switch (rt().kind_of(ptr)) {
    case MemoryKind::device:
      *attributes = {cudaMemoryTypeDevice, 0, const_cast<void*>(ptr), nullptr};
      break;
    case MemoryKind::pinned:  // page-locked host memory is mapped into the device's space
      *attributes = {cudaMemoryTypeHost, 0, const_cast<void*>(ptr), const_cast<void*>(ptr)};
      break;
    case MemoryKind::pageable:
      break;
  }
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, enum cudaMemcpyKind kind) {
  Lock lock(rt().mutex());
  if (const cudaError_t e = simt::detail::check_copy(dst, src, count, kind, "cudaMemcpy")) return e;
  bool capturing = false;  // the legacy stream never captures
  if (const cudaError_t e = capture_check_enqueue(&rt().legacy_, &capturing, "cudaMemcpy"))
    return e;
  if (const cudaError_t e = capture_check_unsafe("cudaMemcpy")) return e;
  // On the legacy stream, and blocking: earlier legacy and blocking-stream work completes
  // first (non-blocking streams' work does not).
  ++rt().counters.host_syncs;
  rt().flush_stream(&rt().legacy_);
  if (count) std::memmove(dst, src, count);
  simt::detail::count_call_bytes(kind, count, dst, src);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, enum cudaMemcpyKind kind,
                            cudaStream_t stream) {
  Lock lock(rt().mutex());
  simt::detail::Runtime& r = rt();
  if (const cudaError_t e = simt::detail::check_copy(dst, src, count, kind, "cudaMemcpyAsync"))
    return e;
  CUstream_st* s = r.resolve(stream);
  if (!s) return r.error(cudaErrorInvalidResourceHandle, "cudaMemcpyAsync: invalid stream");
  bool capturing = false;
  if (const cudaError_t e = capture_check_enqueue(s, &capturing, "cudaMemcpyAsync")) return e;
  if (count == 0) return cudaSuccess;
  if (capturing) {
    // A graph's copy node reads its source when it runs, whatever the memory's kind.
    simt::detail::Work work;
    work.type = cudaGraphNodeTypeMemcpy;
    work.what = "captured cudaMemcpyAsync";
    work.run = [dst, src, count] { std::memmove(dst, src, count); };
    work.uses = simt::detail::uses_of({dst, src});
    work.copy_kind = kind;
    work.bytes = count;
    simt::detail::capture_add(s, std::move(work));
    return cudaSuccess;
  }
  simt::detail::count_call_bytes(kind, count, dst, src);
  const MemoryKind dk = r.kind_of(dst), sk = r.kind_of(src);
  if (dk == MemoryKind::pageable) {
    // To pageable memory the copy completes before the call returns.
    ++r.counters.host_syncs;
    r.flush_stream(s);
    std::memmove(dst, src, count);
    return cudaSuccess;
  }
  const auto uses = simt::detail::uses_of({dst, src});
  if (sk == MemoryKind::pageable) {
    // From pageable memory the source is staged now; the write happens in stream order.
    auto staged = std::make_shared<std::vector<unsigned char>>(
        static_cast<const unsigned char*>(src), static_cast<const unsigned char*>(src) + count);
    r.enqueue(
        s, "cudaMemcpyAsync (staged host to device)",
        [dst, staged] { std::memcpy(dst, staged->data(), staged->size()); }, uses);
    return cudaSuccess;
  }
  r.enqueue(
      s, "cudaMemcpyAsync", [dst, src, count] { std::memmove(dst, src, count); }, uses);
  return cudaSuccess;
}

static cudaError_t memset_on(CUstream_st* s, void* ptr, int value, size_t count, const char* call) {
  simt::detail::Runtime& r = rt();
  if (count == 0) return cudaSuccess;
  if (r.kind_of(ptr) != MemoryKind::device)
    return r.error(
        cudaErrorInvalidValue,
        std::string(call) + ": " + simt::detail::pointer_text(ptr) + " is not device memory");
  const std::string problem = r.range_problem(ptr, count, "destination");
  if (!problem.empty()) return r.error(cudaErrorInvalidValue, std::string(call) + ": " + problem);
  bool capturing = false;
  if (const cudaError_t e = capture_check_enqueue(s, &capturing, call)) return e;
  if (capturing) {
    simt::detail::Work work;
    work.type = cudaGraphNodeTypeMemset;
    work.what = std::string("captured ") + call;
    work.run = [ptr, value, count] { std::memset(ptr, value, count); };
    work.uses = simt::detail::uses_of({ptr});
    simt::detail::capture_add(s, std::move(work));
    return cudaSuccess;
  }
  ++r.counters.memsets;
  r.enqueue(
      s, call, [ptr, value, count] { std::memset(ptr, value, count); },
      simt::detail::uses_of({ptr}));
  return cudaSuccess;
}

cudaError_t cudaMemset(void* ptr, int value, size_t count) {
  Lock lock(rt().mutex());
  // Asynchronous with respect to the host for device memory: it joins the legacy stream.
  return memset_on(&rt().legacy_, ptr, value, count, "cudaMemset");
}

cudaError_t cudaMemsetAsync(void* ptr, int value, size_t count, cudaStream_t stream) {
  Lock lock(rt().mutex());
  CUstream_st* s = rt().resolve(stream);
  if (!s) return rt().error(cudaErrorInvalidResourceHandle, "cudaMemsetAsync: invalid stream");
  return memset_on(s, ptr, value, count, "cudaMemsetAsync");
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) {
  return cudaStreamCreateWithFlags(stream, cudaStreamDefault);
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags) {
  Lock lock(rt().mutex());
  if (!stream) return rt().error(cudaErrorInvalidValue, "cudaStreamCreate: null pointer");
  if (flags & ~unsigned(cudaStreamNonBlocking))
    return rt().error(cudaErrorInvalidValue, "cudaStreamCreateWithFlags: unknown flags");
  auto* s = new CUstream_st;
  s->flags = flags;
  s->id = rt().next_stream_id_++;
  rt().streams_.insert(s);
  *stream = s;
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  Lock lock(rt().mutex());
  CUstream_st* s = rt().resolve(stream);
  if (!s || s->legacy)
    return rt().error(cudaErrorInvalidResourceHandle, "cudaStreamDestroy: invalid stream");
  if (const cudaError_t e = simt::detail::capture_check_destroy(s)) return e;
  // Returns at once; work still pending on the stream runs later, as CUDA documents.
  s->destroyed = true;
  rt().reap_streams();
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  Lock lock(rt().mutex());
  CUstream_st* s = rt().resolve(stream);
  if (!s) return rt().error(cudaErrorInvalidResourceHandle, "cudaStreamSynchronize");
  if (const cudaError_t e = simt::detail::capture_check_stream_sync(s, "cudaStreamSynchronize"))
    return e;
  ++rt().counters.host_syncs;
  rt().flush_stream(s);
  return cudaSuccess;
}

cudaError_t cudaStreamQuery(cudaStream_t stream) {
  Lock lock(rt().mutex());
  CUstream_st* s = rt().resolve(stream);
  if (!s) return rt().error(cudaErrorInvalidResourceHandle, "cudaStreamQuery");
  if (const cudaError_t e = simt::detail::capture_check_stream_sync(s, "cudaStreamQuery")) return e;
  if (!rt().stream_busy(s)) return cudaSuccess;
  rt().flush_stream(s);  // not ready now; done by the next query
  return cudaErrorNotReady;
}

cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned int flags) {
  Lock lock(rt().mutex());
  CUstream_st* s = rt().resolve(stream);
  if (!s || !event || flags != 0)
    return rt().error(cudaErrorInvalidResourceHandle, "cudaStreamWaitEvent");
  bool capturing = false, handled = false;
  if (const cudaError_t e = capture_check_enqueue(s, &capturing, "cudaStreamWaitEvent")) return e;
  if (const cudaError_t e = simt::detail::capture_event_wait(s, event, &handled)) return e;
  if (handled) return cudaSuccess;
  if (!event->recorded || event->complete) return cudaSuccess;
  rt().enqueue(
      s, "cudaStreamWaitEvent", [] {}, {}, event->record_seq);
  return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t* event) {
  return cudaEventCreateWithFlags(event, cudaEventDefault);
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int flags) {
  Lock lock(rt().mutex());
  if (!event) return rt().error(cudaErrorInvalidValue, "cudaEventCreate: null pointer");
  *event = new CUevent_st;
  (*event)->flags = flags;
  return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  Lock lock(rt().mutex());
  if (!event) return rt().error(cudaErrorInvalidResourceHandle, "cudaEventDestroy");
  // A pending record still runs; it then touches nothing but the event, so keep it alive.
  bool pending = false;
  for (const auto& op : rt().pending_) pending = pending || op.seq == event->record_seq;
  if (!pending) delete event;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  Lock lock(rt().mutex());
  CUstream_st* s = rt().resolve(stream);
  if (!event || !s) return rt().error(cudaErrorInvalidResourceHandle, "cudaEventRecord");
  bool capturing = false;
  if (const cudaError_t e = capture_check_enqueue(s, &capturing, "cudaEventRecord")) return e;
  if (capturing) {
    simt::detail::capture_event_record(event, s);
    return cudaSuccess;
  }
  event->capture_id = 0;
  event->capture_deps.clear();
  event->recorded = true;
  event->complete = false;
  event->record_seq = rt().next_seq_;
  rt().enqueue(s, "cudaEventRecord", [event] {
    event->complete = true;
    event->time_ms = rt().now_ms();
  });
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  Lock lock(rt().mutex());
  if (!event) return rt().error(cudaErrorInvalidResourceHandle, "cudaEventSynchronize");
  if (const cudaError_t e =
          simt::detail::capture_check_event_sync(event, true, "cudaEventSynchronize"))
    return e;
  ++rt().counters.host_syncs;
  if (!event->recorded || event->complete) return cudaSuccess;
  const std::uint64_t seq = event->record_seq;
  rt().flush([seq](const simt::detail::Op& op) { return op.seq == seq; });
  return cudaSuccess;
}

cudaError_t cudaEventQuery(cudaEvent_t event) {
  Lock lock(rt().mutex());
  if (!event) return rt().error(cudaErrorInvalidResourceHandle, "cudaEventQuery");
  if (const cudaError_t e = simt::detail::capture_check_event_sync(event, false, "cudaEventQuery"))
    return e;
  if (!event->recorded || event->complete) return cudaSuccess;
  const std::uint64_t seq = event->record_seq;
  rt().flush([seq](const simt::detail::Op& op) { return op.seq == seq; });
  return cudaErrorNotReady;
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  Lock lock(rt().mutex());
  if (!ms || !start || !end) return rt().error(cudaErrorInvalidValue, "cudaEventElapsedTime");
  if ((start->flags | end->flags) & cudaEventDisableTiming)
    return rt().error(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: timing disabled");
  if (!start->complete || !end->complete)
    return rt().error(cudaErrorNotReady, "cudaEventElapsedTime: an event has not completed");
  *ms = float(end->time_ms - start->time_ms);
  return cudaSuccess;
}

}  // extern "C"
