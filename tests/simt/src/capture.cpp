// Stream capture on the CPU execution layer, with CUDA's rules (the CUDA Programming Guide's
// "Prohibited and Unhandled Operations" and "Invalidation"):
//   - work on a capturing stream (kernels, cudaMemcpyAsync, cudaMemsetAsync) becomes a node of
//     the capture's graph instead of running; an event recorded there stands for the captured
//     work, and a stream that waits on it joins the capture (fork), its later work depending
//     on that work (join, when the origin stream waits on an event of the forked stream);
//   - synchronising or querying a capturing stream, synchronising the device, or an event
//     recorded in a capture, is an error (cudaErrorStreamCaptureUnsupported,
//     cudaErrorCapturedEvent); so is any use of the legacy stream while a blocking stream
//     captures (cudaErrorStreamCaptureImplicit), waiting on an uncaptured event from a
//     capturing stream (cudaErrorStreamCaptureIsolation), and the potentially unsafe calls
//     (cudaMalloc, cudaFree, blocking copies, cudaEventSynchronize) that the thread's capture
//     interaction mode forbids. Each error invalidates the captures involved: further work on
//     their streams fails with cudaErrorStreamCaptureInvalidated, and cudaStreamEndCapture
//     returns that error and no graph;
//   - cudaStreamEndCapture on the origin stream fails with cudaErrorStreamCaptureUnjoined when
//     a forked stream's last work was not joined back into the origin stream.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cuda_runtime.h"
#include "graph.hpp"
#include "internal.hpp"

namespace simt::detail {

struct Capture {
  unsigned long long id = 0;
  cudaGraph_t graph = nullptr;
  bool own_graph = true;         ///< false for cudaStreamBeginCaptureToGraph
  std::size_t nodes_before = 0;  ///< the graph's nodes when the capture began
  CUstream_st* origin = nullptr;
  cudaStreamCaptureMode mode = cudaStreamCaptureModeGlobal;
  std::thread::id thread;
  std::string invalidated;         ///< why, when it was invalidated
  std::set<CUstream_st*> streams;  ///< the origin and the streams that joined
};

namespace {

std::map<unsigned long long, std::unique_ptr<Capture>>& captures() {
  static auto* all = new std::map<unsigned long long, std::unique_ptr<Capture>>;
  return *all;
}
unsigned long long g_next_capture_id = 1;
thread_local cudaStreamCaptureMode t_mode = cudaStreamCaptureModeGlobal;

std::string stream_name(const CUstream_st* s) {
  return s->legacy ? std::string("the legacy stream") : "stream " + std::to_string(s->id);
}

std::string capture_name(const Capture* c) {
  return "the capture begun on " + stream_name(c->origin);
}

void invalidate(Capture* c, const std::string& why) {
  if (c->invalidated.empty()) c->invalidated = why;
}

Capture* active_capture(unsigned long long id) {
  auto it = captures().find(id);
  return it == captures().end() ? nullptr : it->second.get();
}

bool blocking(const CUstream_st* s) {
  return !(s->flags & cudaStreamNonBlocking);
}

// Captures that include a blocking stream: the legacy stream would depend on them.
std::vector<Capture*> blocking_captures() {
  std::vector<Capture*> out;
  for (auto& [id, c] : captures())
    for (CUstream_st* s : c->streams)
      if (blocking(s)) {
        out.push_back(c.get());
        break;
      }
  return out;
}

cudaError_t legacy_conflict(const char* call) {
  const std::vector<Capture*> hit = blocking_captures();
  if (hit.empty()) return cudaSuccess;
  const std::string why = std::string(call) + " used the legacy stream while " +
                          capture_name(hit.front()) + " (a blocking stream) was capturing";
  for (Capture* c : hit) invalidate(c, why);
  return set_error(cudaErrorStreamCaptureImplicit,
                   why +
                       ": the legacy stream would depend on captured work; use the capturing "
                       "stream, or create streams with cudaStreamNonBlocking");
}

void set_deps(CUstream_st* s, std::vector<cudaGraphNode_t> deps) {
  s->capture_deps = std::move(deps);
  s->capture_edges.assign(s->capture_deps.size(), cudaGraphEdgeData{});
}

void leave_capture(CUstream_st* s) {
  s->capture = nullptr;
  set_deps(s, {});
}

// The nodes `deps` stand for, and every node they depend on.
std::set<const CUgraphNode_st*> ancestry(const std::vector<cudaGraphNode_t>& deps) {
  std::set<const CUgraphNode_st*> seen;
  std::vector<const CUgraphNode_st*> todo(deps.begin(), deps.end());
  while (!todo.empty()) {
    const CUgraphNode_st* n = todo.back();
    todo.pop_back();
    if (!seen.insert(n).second) continue;
    todo.insert(todo.end(), n->deps.begin(), n->deps.end());
  }
  return seen;
}

cudaError_t begin_capture(cudaStream_t stream, cudaGraph_t graph, const cudaGraphNode_t* deps,
                          const cudaGraphEdgeData* edges, size_t count, cudaStreamCaptureMode mode,
                          const char* call) {
  Lock lock(api_mutex());
  CUstream_st* s = resolve_stream(stream);
  if (!s) return set_error(cudaErrorInvalidResourceHandle, std::string(call) + ": invalid stream");
  if (s->legacy)
    return set_error(cudaErrorStreamCaptureUnsupported,
                     std::string(call) + ": capture may not begin on the legacy stream");
  if (mode < cudaStreamCaptureModeGlobal || mode > cudaStreamCaptureModeRelaxed)
    return set_error(cudaErrorInvalidValue, std::string(call) + ": unknown capture mode");
  if (s->capture)
    return set_error(cudaErrorIllegalState,
                     std::string(call) + ": " + stream_name(s) + " is already capturing");
  if (count && !deps)
    return set_error(cudaErrorInvalidValue, std::string(call) + ": no dependency array");
  std::vector<cudaGraphNode_t> first(deps, deps + count);
  if (graph) {
    if (!graph_live(graph)) return set_error(cudaErrorInvalidValue, std::string(call) + ": graph");
    for (cudaGraphNode_t n : first)
      if (!n || n->graph != graph)
        return set_error(cudaErrorInvalidValue,
                         std::string(call) + ": a dependency is not a node of the graph");
    for (size_t i = 0; edges && i < count; ++i)
      if (edges[i].from_port || edges[i].to_port || edges[i].type)
        return set_error(cudaErrorNotSupported,
                         std::string(call) + ": the layer models default edges only");
  }
  auto c = std::make_unique<Capture>();
  c->id = g_next_capture_id++;
  c->own_graph = graph == nullptr;
  c->graph = graph ? graph : graph_create();
  c->nodes_before = c->graph->nodes.size();
  c->origin = s;
  c->mode = mode;
  c->thread = std::this_thread::get_id();
  c->streams.insert(s);
  ++c->graph->capturing;
  s->capture = c.get();
  set_deps(s, std::move(first));
  captures()[c->id] = std::move(c);
  return cudaSuccess;
}

}  // namespace

cudaError_t capture_check_enqueue(CUstream_st* s, bool* capturing, const char* call) {
  *capturing = false;
  if (s->legacy) return legacy_conflict(call);
  Capture* c = s->capture;
  if (!c) return cudaSuccess;
  if (!c->invalidated.empty())
    return set_error(cudaErrorStreamCaptureInvalidated,
                     std::string(call) + " on " + stream_name(s) + ", whose capture was " +
                         "invalidated (" + c->invalidated + "): end it with cudaStreamEndCapture");
  *capturing = true;
  return cudaSuccess;
}

void capture_add(CUstream_st* s, Work work) {
  const cudaGraphNodeType type = work.type;
  CUgraphNode_st* node = graph_add(s->capture->graph, type, s->capture_deps);
  node->work = std::move(work);
  set_deps(s, {node});
}

cudaError_t capture_check_stream_sync(CUstream_st* s, const char* call) {
  if (s->legacy) return legacy_conflict(call);
  if (!s->capture) return cudaSuccess;
  const std::string why = std::string(call) + " of " + stream_name(s) + ", which is capturing";
  invalidate(s->capture, why);
  return set_error(cudaErrorStreamCaptureUnsupported,
                   why +
                       ": its work is being recorded, not run; synchronise after "
                       "cudaStreamEndCapture and cudaGraphLaunch");
}

cudaError_t capture_check_device_sync(const char* call) {
  if (captures().empty()) return cudaSuccess;
  const std::string why = std::string(call) + " while " +
                          capture_name(captures().begin()->second.get()) + " was capturing";
  for (auto& [id, c] : captures()) invalidate(c.get(), why);
  return set_error(cudaErrorStreamCaptureUnsupported, why);
}

cudaError_t capture_check_unsafe(const char* call) {
  const std::thread::id me = std::this_thread::get_id();
  std::vector<Capture*> hit;
  for (auto& [id, c] : captures()) {
    const bool own = c->thread == me && c->mode != cudaStreamCaptureModeRelaxed &&
                     t_mode != cudaStreamCaptureModeRelaxed;
    const bool other = c->thread != me && c->mode == cudaStreamCaptureModeGlobal &&
                       t_mode == cudaStreamCaptureModeGlobal;
    if (own || other) hit.push_back(c.get());
  }
  if (hit.empty()) return cudaSuccess;
  const std::string why = std::string(call) + " while " + capture_name(hit.front()) +
                          " was capturing (a potentially unsafe call in this capture mode)";
  for (Capture* c : hit) invalidate(c, why);
  return set_error(cudaErrorStreamCaptureUnsupported,
                   why +
                       ": call it before the capture, or relax the thread's mode with "
                       "cudaThreadExchangeStreamCaptureMode");
}

void capture_event_record(CUevent_st* e, CUstream_st* s) {
  e->capture_id = s->capture->id;
  e->capture_deps = s->capture_deps;
  e->recorded = false;  // it stands for captured work, which never runs as such
  e->complete = false;
}

cudaError_t capture_event_wait(CUstream_st* s, CUevent_st* e, bool* handled) {
  *handled = false;
  Capture* ec = e->capture_id ? active_capture(e->capture_id) : nullptr;
  if (!ec) {
    if (!s->capture) return cudaSuccess;  // ordinary stream order
    const std::string why = "cudaStreamWaitEvent: " + stream_name(s) +
                            " is capturing and the event was not recorded in a capture";
    invalidate(s->capture, why);
    return set_error(cudaErrorStreamCaptureIsolation, why + " (a dependency on uncaptured work)");
  }
  *handled = true;
  if (!ec->invalidated.empty())
    return set_error(
        cudaErrorStreamCaptureInvalidated,
        "cudaStreamWaitEvent: the event's capture was invalidated (" + ec->invalidated + ")");
  if (s->legacy || (s->capture && s->capture != ec)) {
    const std::string why =
        "cudaStreamWaitEvent: " + stream_name(s) + " waited on an event of " + capture_name(ec);
    invalidate(ec, why);
    if (s->capture) invalidate(s->capture, why);
    return set_error(s->legacy ? cudaErrorStreamCaptureImplicit : cudaErrorStreamCaptureMerge,
                     why + (s->legacy ? ": the legacy stream cannot take part in a capture"
                                      : ": two captures may not merge"));
  }
  if (!s->capture) {  // a fork: the stream joins the capture
    s->capture = ec;
    ec->streams.insert(s);
    set_deps(s, e->capture_deps);
    return cudaSuccess;
  }
  std::vector<cudaGraphNode_t> deps = s->capture_deps;
  for (cudaGraphNode_t n : e->capture_deps)
    if (std::find(deps.begin(), deps.end(), n) == deps.end()) deps.push_back(n);
  set_deps(s, std::move(deps));
  return cudaSuccess;
}

cudaError_t capture_check_event_sync(CUevent_st* e, bool blocking_call, const char* call) {
  if (Capture* c = e->capture_id ? active_capture(e->capture_id) : nullptr) {
    const std::string why = std::string(call) + " of an event recorded in " + capture_name(c);
    invalidate(c, why);
    return set_error(cudaErrorCapturedEvent, why + ": it stands for work not yet launched");
  }
  return blocking_call ? capture_check_unsafe(call) : cudaSuccess;
}

cudaError_t capture_check_destroy(CUstream_st* s) {
  if (!s->capture) return cudaSuccess;
  const std::string why = "cudaStreamDestroy of " + stream_name(s) + ", which is capturing";
  invalidate(s->capture, why);
  return set_error(cudaErrorStreamCaptureUnsupported, why + ": end the capture first");
}

}  // namespace simt::detail

using namespace simt::detail;

extern "C" {

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, enum cudaStreamCaptureMode mode) {
  return begin_capture(stream, nullptr, nullptr, nullptr, 0, mode, "cudaStreamBeginCapture");
}

cudaError_t cudaStreamBeginCaptureToGraph(cudaStream_t stream, cudaGraph_t graph,
                                          const cudaGraphNode_t* dependencies,
                                          const cudaGraphEdgeData* dependencyData,
                                          size_t numDependencies, enum cudaStreamCaptureMode mode) {
  if (!graph) {
    Lock lock(api_mutex());
    return set_error(cudaErrorInvalidValue, "cudaStreamBeginCaptureToGraph: no graph");
  }
  return begin_capture(stream, graph, dependencies, dependencyData, numDependencies, mode,
                       "cudaStreamBeginCaptureToGraph");
}

cudaError_t cudaThreadExchangeStreamCaptureMode(enum cudaStreamCaptureMode* mode) {
  Lock lock(api_mutex());
  if (!mode || *mode < cudaStreamCaptureModeGlobal || *mode > cudaStreamCaptureModeRelaxed)
    return set_error(cudaErrorInvalidValue, "cudaThreadExchangeStreamCaptureMode");
  std::swap(*mode, t_mode);
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* pGraph) {
  Lock lock(api_mutex());
  CUstream_st* s = resolve_stream(stream);
  if (!s) return set_error(cudaErrorInvalidResourceHandle, "cudaStreamEndCapture: invalid stream");
  if (!pGraph) return set_error(cudaErrorInvalidValue, "cudaStreamEndCapture: null pointer");
  Capture* c = s->capture;
  if (!c)
    return set_error(cudaErrorIllegalState,
                     "cudaStreamEndCapture: " + stream_name(s) + " is not capturing");
  if (c->origin != s) {
    const std::string why = "cudaStreamEndCapture on " + stream_name(s) + ", which joined " +
                            capture_name(c) + " (end it there)";
    invalidate(c, why);
    return set_error(cudaErrorStreamCaptureUnmatched, why);
  }
  if (c->mode != cudaStreamCaptureModeRelaxed && c->thread != std::this_thread::get_id())
    return set_error(cudaErrorStreamCaptureWrongThread,
                     "cudaStreamEndCapture from another thread than " + capture_name(c));
  std::string unjoined;
  if (c->invalidated.empty()) {
    const std::set<const CUgraphNode_st*> joined = ancestry(s->capture_deps);
    for (CUstream_st* other : c->streams)
      for (cudaGraphNode_t n : other->capture_deps)
        if (!joined.count(n) && unjoined.empty())
          unjoined = stream_name(other) + " forked from " + capture_name(c) +
                     " and its last work was not joined back (record an event on it and make "
                     "the origin stream wait on that event)";
  }
  for (CUstream_st* member : c->streams) leave_capture(member);
  cudaGraph_t graph = c->graph;
  --graph->capturing;
  const bool own_graph = c->own_graph;
  const std::size_t nodes_before = c->nodes_before;
  const std::string invalidated = c->invalidated;
  captures().erase(c->id);
  if (invalidated.empty() && unjoined.empty()) {
    *pGraph = graph;
    return cudaSuccess;
  }
  *pGraph = nullptr;
  if (own_graph)
    graph_delete(graph);
  else
    graph_truncate(graph, nodes_before);
  if (!invalidated.empty())
    return set_error(cudaErrorStreamCaptureInvalidated,
                     "cudaStreamEndCapture: the capture was invalidated: " + invalidated);
  return set_error(cudaErrorStreamCaptureUnjoined, "cudaStreamEndCapture: " + unjoined);
}

cudaError_t cudaStreamIsCapturing(cudaStream_t stream,
                                  enum cudaStreamCaptureStatus* pCaptureStatus) {
  return cudaStreamGetCaptureInfo(stream, pCaptureStatus);
}

cudaError_t cudaStreamGetCaptureInfo(cudaStream_t stream,
                                     enum cudaStreamCaptureStatus* captureStatus_out,
                                     unsigned long long* id_out, cudaGraph_t* graph_out,
                                     const cudaGraphNode_t** dependencies_out,
                                     const cudaGraphEdgeData** edgeData_out,
                                     size_t* numDependencies_out) {
  Lock lock(api_mutex());
  CUstream_st* s = resolve_stream(stream);
  if (!s) return set_error(cudaErrorInvalidResourceHandle, "cudaStreamGetCaptureInfo: stream");
  if (!captureStatus_out || (edgeData_out && !dependencies_out))
    return set_error(cudaErrorInvalidValue, "cudaStreamGetCaptureInfo: null pointer");
  if (s->legacy) {
    if (!blocking_captures().empty())  // the capture stays valid
      return set_error(cudaErrorStreamCaptureImplicit,
                       "cudaStreamGetCaptureInfo of the legacy stream while a blocking stream "
                       "captures");
    *captureStatus_out = cudaStreamCaptureStatusNone;
    return cudaSuccess;
  }
  const Capture* c = s->capture;
  *captureStatus_out = !c                       ? cudaStreamCaptureStatusNone
                       : c->invalidated.empty() ? cudaStreamCaptureStatusActive
                                                : cudaStreamCaptureStatusInvalidated;
  if (*captureStatus_out != cudaStreamCaptureStatusActive) return cudaSuccess;
  if (id_out) *id_out = c->id;
  if (graph_out) *graph_out = c->graph;
  if (dependencies_out) *dependencies_out = s->capture_deps.data();
  if (edgeData_out) *edgeData_out = s->capture_edges.data();
  if (numDependencies_out) *numDependencies_out = s->capture_deps.size();
  return cudaSuccess;
}

}  // extern "C"
