// CUDA graphs on the CPU execution layer: stream capture and its illegal operations (each
// fails with CUDA's error and invalidates the capture), graph instantiate and launch in stream
// order, conditional WHILE and IF nodes set from kernels, the graph counters, and the occupancy
// calculator. Hazards a GPU would not report (a graph using freed memory, an unset condition,
// racing cudaGraphSetConditional calls) stop the run.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <vector>

#include "layer_test_support.hpp"
#include "simt/simt.hpp"

namespace {

__global__ void relax_kernel(double* x, int n) {  // x_i <- x_i / 2 + i + 1
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = 0.5 * x[i] + i + 1;
}

__global__ void accumulate_kernel(double* acc, const double* y, const double* zero, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) acc[i] += y[i] * y[i] + zero[i];
}

constexpr int kN = 37;

struct Buffers {
  double *x = nullptr, *y = nullptr, *zero = nullptr, *acc = nullptr;
  Buffers() {
    cudaMalloc(&x, kN * sizeof(double));
    cudaMalloc(&y, kN * sizeof(double));
    cudaMalloc(&zero, kN * sizeof(double));
    cudaMalloc(&acc, kN * sizeof(double));
    std::vector<double> start(kN);
    for (int i = 0; i < kN; ++i) start[i] = 0.25 * i - 3.0;
    cudaMemcpy(x, start.data(), kN * sizeof(double), cudaMemcpyHostToDevice);
    cudaMemset(acc, 0, kN * sizeof(double));
  }
  ~Buffers() {
    cudaFree(x);
    cudaFree(y);
    cudaFree(zero);
    cudaFree(acc);
  }
};

// One iteration: two kernels, a device copy and a memset between them.
cudaError_t iteration(const Buffers& b, cudaStream_t s) {
  const cudaLaunchConfig_t c = config(2, 32, 0, s);
  if (cudaError_t e = cudaLaunchKernelEx(&c, relax_kernel, b.x, kN)) return e;
  if (cudaError_t e = cudaMemcpyAsync(b.y, b.x, kN * sizeof(double), cudaMemcpyDeviceToDevice, s))
    return e;
  if (cudaError_t e = cudaMemsetAsync(b.zero, 0, kN * sizeof(double), s)) return e;
  return cudaLaunchKernelEx(&c, accumulate_kernel, b.acc, b.y, b.zero, kN);
}

TEST(SimtGraphs, CapturedSequenceReplayedNTimesMatchesEagerLaunches) {
  constexpr int kTimes = 5;
  cudaStream_t s;
  CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  Buffers eager, graphed;
  for (int t = 0; t < kTimes; ++t) CHECK(iteration(eager, s));
  CHECK(cudaStreamSynchronize(s));

  const std::vector<double> before = download(graphed.x, kN);
  simt::reset_counters();
  cudaGraph_t graph;
  CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  CHECK(iteration(graphed, s));
  CHECK(cudaStreamEndCapture(s, &graph));
  ASSERT_NE(graph, nullptr);
  CHECK(cudaStreamSynchronize(s));
  EXPECT_EQ(download(graphed.x, kN), before) << "captured work ran without a graph launch";
  EXPECT_EQ(simt::counters().launches, 0u);
  EXPECT_EQ(simt::counters().memsets, 0u);
  size_t nodes = 0;
  CHECK(cudaGraphGetNodes(graph, nullptr, &nodes));
  EXPECT_EQ(nodes, 4u);

  cudaGraphExec_t exec;
  CHECK(cudaGraphInstantiate(&exec, graph, 0));
  CHECK(cudaGraphDestroy(graph));  // the executable graph is a copy
  simt::reset_counters();
  for (int t = 0; t < kTimes; ++t) CHECK(cudaGraphLaunch(exec, s));
  CHECK(cudaStreamSynchronize(s));
  const simt::Counters k = simt::counters();
  EXPECT_EQ(download(graphed.acc, kN), download(eager.acc, kN));
  EXPECT_EQ(download(graphed.x, kN), download(eager.x, kN));
  EXPECT_EQ(k.graph_launches, unsigned(kTimes));
  EXPECT_EQ(k.graph_nodes, 4u * kTimes);
  EXPECT_EQ(k.graph_kernel_nodes, 2u * kTimes);
  EXPECT_EQ(k.launches, 0u) << "a graph's kernels are not launches";
  EXPECT_EQ(k.blocks, 4u * kTimes);
  EXPECT_EQ(k.bytes_d2d, kN * sizeof(double) * kTimes);
  CHECK(cudaGraphExecDestroy(exec));
  CHECK(cudaStreamDestroy(s));
}

__global__ void affine_kernel(int* x) {  // x <- 2 x + 1
  *x = 2 * *x + 1;
}

__global__ void set_kernel(int* x, int value) {
  if (threadIdx.x == 0 && blockIdx.x == 0) *x = value;
}

// A launch is one operation of its stream, and launches of one executable graph run in order
// even from different streams.
TEST(SimtGraphs, GraphLaunchIsOrderedOnItsStreamAndAfterItsPreviousLaunch) {
  cudaStream_t capture, a, b;
  CHECK(cudaStreamCreateWithFlags(&capture, cudaStreamNonBlocking));
  CHECK(cudaStreamCreateWithFlags(&a, cudaStreamNonBlocking));
  CHECK(cudaStreamCreateWithFlags(&b, cudaStreamNonBlocking));
  int* x = nullptr;
  CHECK(cudaMalloc(&x, sizeof(int)));
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  CHECK(cudaStreamBeginCapture(capture, cudaStreamCaptureModeGlobal));
  const cudaLaunchConfig_t c = config(1, 1, 0, capture);
  CHECK(cudaLaunchKernelEx(&c, affine_kernel, x));
  CHECK(cudaStreamEndCapture(capture, &graph));
  CHECK(cudaGraphInstantiate(&exec, graph, 0));

  const cudaLaunchConfig_t on_a = config(1, 1, 0, a), on_b = config(1, 1, 0, b);
  CHECK(cudaLaunchKernelEx(&on_a, set_kernel, x, 1));
  CHECK(cudaGraphLaunch(exec, a));                     // 3
  CHECK(cudaGraphLaunch(exec, b));                     // 7: after the launch on a
  CHECK(cudaLaunchKernelEx(&on_b, affine_kernel, x));  // 15: after the launch on b
  CHECK(cudaStreamSynchronize(b));
  EXPECT_EQ(download(x, 1)[0], 15);
  CHECK(cudaGraphExecDestroy(exec));
  CHECK(cudaGraphDestroy(graph));
  CHECK(cudaFree(x));
  for (cudaStream_t s : {capture, a, b}) CHECK(cudaStreamDestroy(s));
}

// The WHILE node's body: count down, and keep looping while the counter is positive.
__global__ void countdown_kernel(int* counter, int* iterations, cudaGraphConditionalHandle h) {
  if (threadIdx.x == 0 && blockIdx.x == 0) {
    *counter -= 1;
    *iterations += 1;
    cudaGraphSetConditional(h, *counter > 0 ? 1u : 0u);
  }
}

// Adds a conditional node to `graph` (after `dep`, if given); returns its body graphs.
cudaGraph_t* add_conditional(cudaGraph_t graph, cudaGraphConditionalHandle h,
                             cudaGraphConditionalNodeType type, unsigned size,
                             cudaGraphNode_t dep = nullptr) {
  cudaGraphNodeParams p = {};
  p.type = cudaGraphNodeTypeConditional;
  p.conditional.handle = h;
  p.conditional.type = type;
  p.conditional.size = size;
  cudaGraphNode_t node;
  EXPECT_EQ(cudaGraphAddNode(&node, graph, dep ? &dep : nullptr, nullptr, dep ? 1 : 0, &p),
            cudaSuccess);
  return p.conditional.phGraph_out;
}

// A graph with one WHILE node whose body is captured into it.
struct WhileGraph {
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  WhileGraph(int* counter, int* iterations, unsigned default_value, cudaStream_t s) {
    cudaGraphCreate(&graph, 0);
    cudaGraphConditionalHandle h;
    cudaGraphConditionalHandleCreate(&h, graph, default_value, cudaGraphCondAssignDefault);
    cudaGraph_t body = add_conditional(graph, h, cudaGraphCondTypeWhile, 1)[0];
    EXPECT_EQ(
        cudaStreamBeginCaptureToGraph(s, body, nullptr, nullptr, 0, cudaStreamCaptureModeGlobal),
        cudaSuccess);
    const cudaLaunchConfig_t c = config(2, 64, 0, s);
    EXPECT_EQ(cudaLaunchKernelEx(&c, countdown_kernel, counter, iterations, h), cudaSuccess);
    cudaGraph_t captured = nullptr;
    EXPECT_EQ(cudaStreamEndCapture(s, &captured), cudaSuccess);
    EXPECT_EQ(captured, body);
    EXPECT_EQ(cudaGraphInstantiate(&exec, graph, 0), cudaSuccess);
  }
  ~WhileGraph() {
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
  }
};

TEST(SimtGraphs, WhileNodeRunsItsBodyUntilAKernelClearsTheCondition) {
  cudaStream_t s;
  CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  int *counter = nullptr, *iterations = nullptr;
  CHECK(cudaMalloc(&counter, sizeof(int)));
  CHECK(cudaMalloc(&iterations, sizeof(int)));
  WhileGraph loop(counter, iterations, 1, s);
  for (int start : {7, 3, 1}) {
    CHECK(cudaMemcpy(counter, &start, sizeof(int), cudaMemcpyHostToDevice));
    CHECK(cudaMemsetAsync(iterations, 0, sizeof(int), s));  // (cudaMemset would race s)
    simt::reset_counters();
    CHECK(cudaGraphLaunch(loop.exec, s));  // the default (1) is assigned at every launch
    CHECK(cudaStreamSynchronize(s));
    EXPECT_EQ(download(iterations, 1)[0], start);
    EXPECT_EQ(download(counter, 1)[0], 0);
    const simt::Counters k = simt::counters();
    EXPECT_EQ(k.conditional_bodies, unsigned(start));
    EXPECT_EQ(k.graph_kernel_nodes, unsigned(start));
    EXPECT_EQ(k.graph_nodes, 1u + start);
    EXPECT_EQ(k.blocks, 2u * start);
  }
  // A default of 0: the condition is checked before the first iteration.
  WhileGraph never(counter, iterations, 0, s);
  CHECK(cudaMemsetAsync(iterations, 0, sizeof(int), s));
  CHECK(cudaGraphLaunch(never.exec, s));
  CHECK(cudaStreamSynchronize(s));
  EXPECT_EQ(download(iterations, 1)[0], 0);
  CHECK(cudaFree(counter));
  CHECK(cudaFree(iterations));
  CHECK(cudaStreamDestroy(s));
}

__global__ void decide_kernel(const int* flag, cudaGraphConditionalHandle h) {
  if (threadIdx.x == 0) cudaGraphSetConditional(h, unsigned(*flag));
}

// An IF node after a kernel node: the handle has no default, the kernel sets it.
TEST(SimtGraphs, IfNodeFollowsTheValueAnEarlierKernelSet) {
  cudaStream_t s;
  CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  int *flag = nullptr, *out = nullptr;
  CHECK(cudaMalloc(&flag, sizeof(int)));
  CHECK(cudaMalloc(&out, sizeof(int)));
  cudaGraph_t graph;
  CHECK(cudaGraphCreate(&graph, 0));
  cudaGraphConditionalHandle h;
  CHECK(cudaGraphConditionalHandleCreate(&h, graph));
  CHECK(cudaStreamBeginCaptureToGraph(s, graph, nullptr, nullptr, 0, cudaStreamCaptureModeGlobal));
  const cudaLaunchConfig_t c = config(1, 32, 0, s);
  CHECK(cudaLaunchKernelEx(&c, decide_kernel, (const int*)flag, h));
  cudaGraph_t same;
  CHECK(cudaStreamEndCapture(s, &same));
  cudaGraphNode_t decide;
  size_t count = 1;
  CHECK(cudaGraphGetNodes(graph, &decide, &count));
  cudaGraph_t* bodies = add_conditional(graph, h, cudaGraphCondTypeIf, 2, decide);
  for (int branch : {0, 1}) {
    CHECK(cudaStreamBeginCaptureToGraph(s, bodies[branch], nullptr, nullptr, 0,
                                        cudaStreamCaptureModeGlobal));
    CHECK(cudaLaunchKernelEx(&c, set_kernel, out, branch == 0 ? 42 : -42));
    CHECK(cudaStreamEndCapture(s, &same));
  }
  cudaGraphExec_t exec;
  CHECK(cudaGraphInstantiate(&exec, graph, 0));
  EXPECT_EQ(cudaGraphInstantiate(&exec, graph, 0), cudaErrorInvalidValue)
      << "a graph with conditional nodes has one executable graph at a time";
  for (int f : {1, 0, 5}) {
    CHECK(cudaMemcpy(flag, &f, sizeof(int), cudaMemcpyHostToDevice));
    CHECK(cudaGraphLaunch(exec, s));
    CHECK(cudaStreamSynchronize(s));
    EXPECT_EQ(download(out, 1)[0], f ? 42 : -42) << "flag " << f;
  }
  CHECK(cudaGraphExecDestroy(exec));
  CHECK(cudaGraphDestroy(graph));
  CHECK(cudaFree(flag));
  CHECK(cudaFree(out));
  CHECK(cudaStreamDestroy(s));
}

__global__ void racing_kernel(cudaGraphConditionalHandle h) {  // every thread sets it
  cudaGraphSetConditional(h, 0);
}

__global__ void touch_kernel(int* x) {
  *x += 1;
}

// Begins a capture on `s` with one kernel captured.
void begin_with_a_kernel(cudaStream_t s, int* x,
                         cudaStreamCaptureMode mode = cudaStreamCaptureModeGlobal) {
  ASSERT_EQ(cudaStreamBeginCapture(s, mode), cudaSuccess);
  const cudaLaunchConfig_t c = config(1, 1, 0, s);
  ASSERT_EQ(cudaLaunchKernelEx(&c, touch_kernel, x), cudaSuccess);
}

// Ends a capture that an illegal call invalidated: the capture's error and no graph.
void expect_invalidated(cudaStream_t s) {
  cudaStreamCaptureStatus status;
  EXPECT_EQ(cudaStreamIsCapturing(s, &status), cudaSuccess);
  EXPECT_EQ(status, cudaStreamCaptureStatusInvalidated);
  const cudaLaunchConfig_t c = config(1, 1, 0, s);
  EXPECT_EQ(cudaLaunchKernelEx(&c, touch_kernel, (int*)nullptr), cudaErrorStreamCaptureInvalidated);
  cudaGraph_t graph = reinterpret_cast<cudaGraph_t>(0x1);
  EXPECT_EQ(cudaStreamEndCapture(s, &graph), cudaErrorStreamCaptureInvalidated);
  EXPECT_EQ(graph, nullptr);
  EXPECT_EQ(cudaStreamIsCapturing(s, &status), cudaSuccess);
  EXPECT_EQ(status, cudaStreamCaptureStatusNone);
  cudaGetLastError();
}

struct CaptureFixture : ::testing::Test {
  cudaStream_t blocking = nullptr, nonblocking = nullptr;
  int* x = nullptr;
  void SetUp() override {
    cudaStreamCreate(&blocking);
    cudaStreamCreateWithFlags(&nonblocking, cudaStreamNonBlocking);
    cudaMalloc(&x, sizeof(int));
    cudaMemset(x, 0, sizeof(int));
  }
  void TearDown() override {
    EXPECT_EQ(download(x, 1)[0], 0) << "captured work ran";
    cudaFree(x);
    cudaStreamDestroy(blocking);
    cudaStreamDestroy(nonblocking);
    cudaGetLastError();
  }
};

using SimtCapture = CaptureFixture;

TEST_F(SimtCapture, SynchronisingOrQueryingACapturingStreamFails) {
  begin_with_a_kernel(nonblocking, x);
  EXPECT_EQ(cudaStreamSynchronize(nonblocking), cudaErrorStreamCaptureUnsupported);
  expect_invalidated(nonblocking);
  begin_with_a_kernel(nonblocking, x);
  EXPECT_EQ(cudaStreamQuery(nonblocking), cudaErrorStreamCaptureUnsupported);
  expect_invalidated(nonblocking);
  begin_with_a_kernel(nonblocking, x);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaErrorStreamCaptureUnsupported);
  expect_invalidated(nonblocking);
  CHECK(cudaStreamSynchronize(nonblocking));  // usable again
}

TEST_F(SimtCapture, BlockingCopyDuringCaptureFails) {
  int host = 0;
  begin_with_a_kernel(blocking, x);  // the legacy stream would wait for it
  EXPECT_EQ(cudaMemcpy(&host, x, sizeof(int), cudaMemcpyDeviceToHost),
            cudaErrorStreamCaptureImplicit);
  expect_invalidated(blocking);
  begin_with_a_kernel(nonblocking, x);  // global mode forbids the unsafe call
  EXPECT_EQ(cudaMemcpy(&host, x, sizeof(int), cudaMemcpyDeviceToHost),
            cudaErrorStreamCaptureUnsupported);
  expect_invalidated(nonblocking);
  begin_with_a_kernel(nonblocking, x, cudaStreamCaptureModeRelaxed);
  CHECK(cudaMemcpy(&host, x, sizeof(int), cudaMemcpyDeviceToHost));
  cudaGraph_t graph;
  CHECK(cudaStreamEndCapture(nonblocking, &graph));
  CHECK(cudaGraphDestroy(graph));
}

TEST_F(SimtCapture, LegacyStreamWhileABlockingStreamCapturesFails) {
  begin_with_a_kernel(blocking, x);
  cudaStreamCaptureStatus status;
  EXPECT_EQ(cudaStreamIsCapturing(nullptr, &status), cudaErrorStreamCaptureImplicit);
  CHECK(cudaStreamIsCapturing(blocking, &status));
  EXPECT_EQ(status, cudaStreamCaptureStatusActive) << "a query does not invalidate";
  const cudaLaunchConfig_t legacy = config(1, 1, 0, nullptr);
  EXPECT_EQ(cudaLaunchKernelEx(&legacy, touch_kernel, x), cudaErrorStreamCaptureImplicit);
  expect_invalidated(blocking);
  // A non-blocking stream's capture leaves the legacy stream alone.
  begin_with_a_kernel(nonblocking, x);
  int* y = nullptr;
  EXPECT_EQ(cudaMalloc(&y, sizeof(int)), cudaErrorStreamCaptureUnsupported) << "global mode";
  expect_invalidated(nonblocking);
  begin_with_a_kernel(nonblocking, x);
  cudaStreamCaptureMode mode = cudaStreamCaptureModeRelaxed;
  CHECK(cudaThreadExchangeStreamCaptureMode(&mode));
  CHECK(cudaMalloc(&y, sizeof(int)));
  CHECK(cudaLaunchKernelEx(&legacy, set_kernel, y, 5));
  int host = 0;
  CHECK(cudaMemcpy(&host, y, sizeof(int), cudaMemcpyDeviceToHost));
  EXPECT_EQ(host, 5);
  CHECK(cudaThreadExchangeStreamCaptureMode(&mode));
  EXPECT_EQ(mode, cudaStreamCaptureModeRelaxed);
  EXPECT_EQ(cudaFree(y), cudaErrorStreamCaptureUnsupported);
  expect_invalidated(nonblocking);
  CHECK(cudaFree(y));
}

TEST_F(SimtCapture, EventsForkAndJoinStreamsAndUncapturedEventsAreIsolated) {
  cudaEvent_t plain, fork, join;
  CHECK(cudaEventCreate(&plain));
  CHECK(cudaEventCreate(&fork));
  CHECK(cudaEventCreate(&join));
  CHECK(cudaEventRecord(plain, nonblocking));
  begin_with_a_kernel(blocking, x);
  EXPECT_EQ(cudaStreamWaitEvent(blocking, plain, 0), cudaErrorStreamCaptureIsolation);
  expect_invalidated(blocking);

  for (bool joined : {false, true}) {
    begin_with_a_kernel(blocking, x);
    CHECK(cudaEventRecord(fork, blocking));
    EXPECT_EQ(cudaEventQuery(fork), cudaErrorCapturedEvent);
    expect_invalidated(blocking);
    begin_with_a_kernel(blocking, x);
    CHECK(cudaEventRecord(fork, blocking));
    CHECK(cudaStreamWaitEvent(nonblocking, fork, 0));  // joins the capture
    cudaStreamCaptureStatus status;
    CHECK(cudaStreamIsCapturing(nonblocking, &status));
    EXPECT_EQ(status, cudaStreamCaptureStatusActive);
    const cudaLaunchConfig_t c = config(1, 1, 0, nonblocking);
    CHECK(cudaLaunchKernelEx(&c, touch_kernel, x));
    if (joined) {
      CHECK(cudaEventRecord(join, nonblocking));
      CHECK(cudaStreamWaitEvent(blocking, join, 0));
    }
    cudaGraph_t graph = nullptr;
    EXPECT_EQ(cudaStreamEndCapture(blocking, &graph),
              joined ? cudaSuccess : cudaErrorStreamCaptureUnjoined);
    EXPECT_EQ(graph != nullptr, joined);
    CHECK(cudaStreamIsCapturing(nonblocking, &status));
    EXPECT_EQ(status, cudaStreamCaptureStatusNone);
    if (graph) {
      cudaGraphNode_t nodes[2];
      size_t count = 2;
      CHECK(cudaGraphGetNodes(graph, nodes, &count));
      EXPECT_EQ(count, 2u);
      CHECK(cudaGraphDestroy(graph));
    }
    cudaGetLastError();
  }
  for (cudaEvent_t e : {plain, fork, join}) CHECK(cudaEventDestroy(e));
}

TEST_F(SimtCapture, CaptureRulesOnStreamsThemselves) {
  EXPECT_EQ(cudaStreamBeginCapture(nullptr, cudaStreamCaptureModeGlobal),
            cudaErrorStreamCaptureUnsupported);
  cudaGraph_t graph;
  EXPECT_EQ(cudaStreamEndCapture(nonblocking, &graph), cudaErrorIllegalState);
  begin_with_a_kernel(nonblocking, x);
  EXPECT_EQ(cudaStreamBeginCapture(nonblocking, cudaStreamCaptureModeGlobal),
            cudaErrorIllegalState);
  unsigned long long id = 0;
  cudaGraph_t capturing = nullptr;
  const cudaGraphNode_t* deps = nullptr;
  size_t count = 0;
  cudaStreamCaptureStatus status;
  CHECK(cudaStreamGetCaptureInfo(nonblocking, &status, &id, &capturing, &deps, nullptr, &count));
  EXPECT_EQ(status, cudaStreamCaptureStatusActive);
  EXPECT_NE(id, 0u);
  ASSERT_EQ(count, 1u);
  cudaGraphNodeType type;
  CHECK(cudaGraphNodeGetType(deps[0], &type));
  EXPECT_EQ(type, cudaGraphNodeTypeKernel);
  EXPECT_EQ(cudaGraphDestroy(capturing), cudaErrorInvalidValue) << "destroyed while capturing";
  CHECK(cudaStreamEndCapture(nonblocking, &graph));
  EXPECT_EQ(graph, capturing);
  CHECK(cudaGraphDestroy(graph));
}

TEST(SimtGraphs, OccupancyFollowsTheH100Limits) {
  struct Case {
    int block;
    size_t shared;
    int blocks;
  };
  // 64 warps, 32 blocks, 228 KB per SM; 1 KB reserved per block, 128-byte units.
  for (const Case& k : {Case{256, 0, 8}, Case{32, 0, 32}, Case{1024, 0, 2}, Case{96, 0, 21},
                        Case{64, 48 * 1024, 4}, Case{256, 2272, 8}, Case{128, 20000, 11},
                        Case{32, 6401, 30}, Case{256, 48 * 1024 + 1, 0}, Case{1025, 0, 0}}) {
    int blocks = -1;
    CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, touch_kernel, k.block, k.shared));
    EXPECT_EQ(blocks, k.blocks) << k.block << " threads, " << k.shared << " bytes";
  }
  cudaFuncAttributes a;
  CHECK(cudaFuncGetAttributes(&a, countdown_kernel));
  EXPECT_EQ(a.maxDynamicSharedSizeBytes, 48 * 1024);
  EXPECT_EQ(a.maxThreadsPerBlock, 1024);
  CHECK(cudaFuncSetAttribute(countdown_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             100 * 1024));
  CHECK(cudaFuncGetAttributes(&a, countdown_kernel));
  EXPECT_EQ(a.maxDynamicSharedSizeBytes, 100 * 1024);
  int blocks = -1;
  CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, countdown_kernel, 256, 100 * 1024));
  EXPECT_EQ(blocks, 2);
}

// Hazards a GPU would not report stop the run.

TEST(SimtGraphsDeathTest, LaunchingAGraphWhoseMemoryWasFreedStopsTheRun) {
  EXPECT_DEATH(
      {
        cudaStream_t s;
        cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
        int* x = nullptr;
        cudaMalloc(&x, sizeof(int));
        cudaGraph_t graph;
        cudaGraphExec_t exec;
        begin_with_a_kernel(s, x);
        cudaStreamEndCapture(s, &graph);
        cudaGraphInstantiate(&exec, graph, 0);
        cudaGraphLaunch(exec, s);
        cudaStreamSynchronize(s);
        cudaFree(x);
        cudaGraphLaunch(exec, s);
      },
      "cudaGraphLaunch: the graph's captured kernel launch uses the allocation at .* freed");
}

TEST(SimtGraphsDeathTest, ConditionalMisuseStopsTheRun) {
  cudaStream_t s;
  CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  int *counter = nullptr, *iterations = nullptr;
  CHECK(cudaMalloc(&counter, sizeof(int)));
  CHECK(cudaMalloc(&iterations, sizeof(int)));
  const int one = 1;
  CHECK(cudaMemcpy(counter, &one, sizeof(int), cudaMemcpyHostToDevice));
  // A handle no kernel has set and without a default.
  EXPECT_DEATH(
      {
        cudaGraph_t graph;
        cudaGraphCreate(&graph, 0);
        cudaGraphConditionalHandle h;
        cudaGraphConditionalHandleCreate(&h, graph, 1, 0);
        add_conditional(graph, h, cudaGraphCondTypeWhile, 1);
        cudaGraphExec_t exec;
        cudaGraphInstantiate(&exec, graph, 0);
        cudaGraphLaunch(exec, s);
        cudaStreamSynchronize(s);
      },
      "conditional node read handle [0-9]+ before any value was set");
  // Outside a graph.
  EXPECT_DEATH(
      {
        const cudaLaunchConfig_t c = config(1, 1, 0, s);
        cudaLaunchKernelEx(&c, countdown_kernel, counter, iterations,
                           cudaGraphConditionalHandle(1));
        cudaStreamSynchronize(s);
      },
      "cudaGraphSetConditional called outside a kernel that a graph runs");
  // Every thread of a block sets it: racing calls.
  EXPECT_DEATH(
      {
        cudaGraph_t graph;
        cudaGraphCreate(&graph, 0);
        cudaGraphConditionalHandle h;
        cudaGraphConditionalHandleCreate(&h, graph, 1, cudaGraphCondAssignDefault);
        cudaStreamBeginCaptureToGraph(s, add_conditional(graph, h, cudaGraphCondTypeIf, 1)[0],
                                      nullptr, nullptr, 0, cudaStreamCaptureModeGlobal);
        const cudaLaunchConfig_t c = config(1, 32, 0, s);
        cudaLaunchKernelEx(&c, racing_kernel, h);
        cudaGraph_t body;
        cudaStreamEndCapture(s, &body);
        cudaGraphExec_t exec;
        cudaGraphInstantiate(&exec, graph, 0);
        cudaGraphLaunch(exec, s);
        cudaStreamSynchronize(s);
      },
      "cudaGraphSetConditional called by two CUDA threads of one kernel");
  CHECK(cudaFree(counter));
  CHECK(cudaFree(iterations));
  CHECK(cudaStreamDestroy(s));
}

}  // namespace
