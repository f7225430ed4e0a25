// Internal interface between the layer's parts: the runtime (memory, streams, events;
// runtime.cpp), stream capture (capture.cpp), graphs (graph.cpp) and the block scheduler
// (scheduler.cpp). Everything but run_grid's own work expects the API mutex held.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "simt/simt.hpp"

namespace simt::detail {
struct Capture;
}

/// A stream, and its part in a stream capture sequence (capture.cpp).
struct CUstream_st {
  unsigned flags = 0;
  bool legacy = false;
  bool destroyed = false;
  int id = 0;
  simt::detail::Capture* capture = nullptr;      ///< the capture sequence it takes part in
  std::vector<cudaGraphNode_t> capture_deps;     ///< what its next captured node depends on
  std::vector<cudaGraphEdgeData> capture_edges;  ///< zeroed, parallel to capture_deps
};

/// An event; recorded on a capturing stream it stands for captured work instead.
struct CUevent_st {
  unsigned flags = 0;
  bool recorded = false;
  bool complete = false;
  std::uint64_t record_seq = 0;
  double time_ms = 0.0;
  unsigned long long capture_id = 0;          ///< last recorded in this capture (0: none)
  std::vector<cudaGraphNode_t> capture_deps;  ///< the captured work it stands for
};

namespace simt::detail {

using Lock = std::lock_guard<std::recursive_mutex>;
std::recursive_mutex& api_mutex();

// --- the block scheduler (scheduler.cpp) ---

/// One kernel launch, ready to run.
struct Grid {
  dim3 grid, block;
  std::size_t shared_bytes = 0;
  std::function<void()> body;
};

/// Runs every block of the grid, one at a time, each thread a fiber.
void run_grid(const Grid& grid);

/// Whether the caller is a CUDA thread of a running kernel.
bool in_kernel();

/// The counters, for the runtime, the graphs and the scheduler to add to.
Counters& mutable_counters();

// --- the runtime (runtime.cpp) ---

/// Sets the last error (and its detail for cudaGetErrorString); returns `code`.
cudaError_t set_error(cudaError_t code, const std::string& detail);

/// The stream a handle names (the legacy stream for 0 and cudaStreamLegacy); null if invalid.
CUstream_st* resolve_stream(cudaStream_t stream);

/// Queues work on a stream, in stream order (deferred until a synchronisation needs it), and
/// after the operation numbered `waits_for` if not 0. `uses`: the allocation bases it reads or
/// writes. Returns the operation's number.
std::uint64_t enqueue(CUstream_st* s, std::string what, std::function<void()> run,
                      std::vector<std::uintptr_t> uses, std::uint64_t waits_for = 0);

/// Whether `base` is the start of a live allocation.
bool allocation_live(std::uintptr_t base);

void count_bytes(cudaMemcpyKind kind, std::size_t bytes);

/// The dynamic shared memory a kernel may launch with (48 KB, or its opted-in maximum).
std::size_t dynamic_shared_limit(const void* kernel);

// --- stream capture (capture.cpp) ---

/// A stream operation's work: what runs (on the stream, or as a graph node each launch).
struct Work {
  cudaGraphNodeType type = cudaGraphNodeTypeEmpty;  ///< kernel, memcpy or memset
  std::string what;
  std::function<void()> run;
  std::vector<std::uintptr_t> uses;
  cudaMemcpyKind copy_kind = cudaMemcpyDefault;  ///< memcpy: counted when the node runs
  std::size_t bytes = 0;
};

/// Called before work (or an event record or wait) goes on stream `s`. cudaSuccess with
/// *capturing false: run it as usual; with *capturing true: `s` captures, the work becomes a
/// node (capture_add). An error when `s` may not be used now: the legacy stream while a
/// blocking stream captures (cudaErrorStreamCaptureImplicit; those captures are invalidated),
/// or `s`'s capture already invalidated (cudaErrorStreamCaptureInvalidated).
cudaError_t capture_check_enqueue(CUstream_st* s, bool* capturing, const char* call);
void capture_add(CUstream_st* s, Work work);

/// A host synchronisation with `s` (cudaStreamSynchronize, cudaStreamQuery): an error, and the
/// capture invalidated, when `s` captures (or is the legacy stream and a blocking stream does).
cudaError_t capture_check_stream_sync(CUstream_st* s, const char* call);
/// cudaDeviceSynchronize: an error while any stream captures (all captures invalidated).
cudaError_t capture_check_device_sync(const char* call);
/// A potentially unsafe call (cudaMalloc, cudaFree, a blocking copy, an event synchronisation)
/// under the calling thread's capture interaction mode (cudaThreadExchangeStreamCaptureMode).
cudaError_t capture_check_unsafe(const char* call);
/// cudaEventRecord on a capturing stream: the event stands for the stream's captured work.
void capture_event_record(CUevent_st* e, CUstream_st* s);
/// cudaStreamWaitEvent under capture; *handled false when it is ordinary stream work.
cudaError_t capture_event_wait(CUstream_st* s, CUevent_st* e, bool* handled);
/// cudaEventSynchronize (blocking) and cudaEventQuery on an event recorded in a capture.
cudaError_t capture_check_event_sync(CUevent_st* e, bool blocking, const char* call);
/// cudaStreamDestroy of a capturing stream.
cudaError_t capture_check_destroy(CUstream_st* s);

}  // namespace simt::detail
