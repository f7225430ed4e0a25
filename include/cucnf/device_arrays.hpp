// Device arrays: log-densities, samples and gradients on arrays that already live in GPU memory,
// for C++ hosts that keep their data on the device. Plain C++: no CUDA header is needed to
// include this; the stream is an opaque handle.
//
// Used through Flow (flow.hpp), on a Flow whose device() is Device::cuda:
//
//   cucnf::DeviceLogProbArrays<float> io;   // or <double>: either element type, any Precision
//   io.x = d_x;                             // n x D points in device memory (cudaMalloc)
//   io.n = n;
//   io.log_prob = d_logp;                   // n outputs in device memory
//   cucnf::SolveStats st = flow.log_prob(io, cucnf::CudaStream{stream}, options);
//
// Arrays. Device memory of the Flow's GPU (cudaMalloc, cudaMallocAsync or cudaMallocManaged;
// the current device when the Flow was made), row-major, of float or double whatever the Flow's
// Precision: values are converted on the device and the arithmetic is in the Flow's precision.
// Outputs must not overlap one another; an output may overlap the input (it is read first).
// Nothing is copied to or from the host: only the step controller's state (about 100 bytes per
// poll) moves. Inputs are not checked for finiteness (that would take a pass over them and a
// host round trip); a NaN or infinite input stops the solve with Error(non_finite_state).
//
// Ordering. The call behaves as if its work were enqueued on `stream`: it reads the inputs
// after all the work enqueued on `stream` before the call, and work enqueued on `stream` after
// the call sees the outputs. (The Flow solves on its own stream, ordered after `stream` by an
// event at the start and `stream` after it by an event at the end, also when the call throws.)
// The outputs may still be being written when the call returns: read them from work on
// `stream`, or after cudaStreamSynchronize(stream). Keep the arrays allocated until then.
//
// Synchronisation. The step controller lives on the device, but the host decides when to stop
// enqueueing steps, so the call waits on the host for the solve to finish (polling the Flow's
// stream every few step attempts, as the host-vector API does) and with it for the work that
// was enqueued on `stream` before the call. It never synchronises the device
// (cudaDeviceSynchronize) nor streams other than `stream`. The first call, or one with more
// points than any before, grows the Flow's device workspace in stream order (cudaMallocAsync
// and cudaFreeAsync, which synchronise nothing; cudaMalloc on GPUs without them); later calls
// of the same or smaller size allocate nothing.
//
// Errors. Error(invalid_argument) when the Flow is not on Device::cuda, a required array is
// null, n is 0 or above 2^30, an array is host memory or on another GPU, or the options are
// invalid; the solve errors of the host-vector API (step_size_underflow, max_steps_exceeded,
// non_finite_state); Error(cuda_failure) when a CUDA call fails (an invalid stream handle, say).
// After an error the outputs' contents are unspecified; `stream` is still ordered after
// whatever the call had enqueued, and the Flow stays usable.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cucnf/solver.hpp"

namespace cucnf {

/// A CUDA stream, opaque to these headers: `handle` holds a cudaStream_t (CudaStream{stream}
/// converts it). nullptr is the legacy default stream; cudaStreamLegacy and cudaStreamPerThread
/// are accepted too. The stream must belong to the Flow's GPU.
struct CudaStream {
  void* handle = nullptr;
};

/// Flow::log_prob on device arrays: log p(x) of n points by the density direction (as the
/// host-vector log_prob).
template <class T>
struct DeviceLogProbArrays {
  const T* x = nullptr;     ///< in: n x D points
  std::size_t n = 0;        ///< number of points, 1 to 2^30
  T* log_prob = nullptr;    ///< out: n values of log p(x), in nats
  T* z0 = nullptr;          ///< out, optional (nullptr: not written): n x D, the points at t0
  T* delta_logp = nullptr;  ///< out, optional: n values of l(t0)
};

/// Flow::sample on device arrays: n draws z0 ~ N(0, s^2 I) carried to t1. The draws are those
/// of the host-vector sample(n, seed) (the same Philox numbers, drawn on the device; float64
/// results agree with it to the last bits of the device's math library).
template <class T>
struct DeviceSampleArrays {
  std::size_t n = 0;       ///< number of samples, 1 to 2^30
  std::uint64_t seed = 0;  ///< the base draws' seed
  T* x = nullptr;          ///< out: n x D samples at t1
  T* log_prob = nullptr;   ///< out, optional: n values log p(x) = log N(z0; 0, s^2 I) + l(t1)
  T* z0 = nullptr;         ///< out, optional: n x D base draws
};

/// Flow::gradient on device arrays: L = -(1/n) sum log p(x) and dL/dtheta.
template <class T>
struct DeviceGradientArrays {
  const T* x = nullptr;  ///< in: n x D points
  std::size_t n = 0;     ///< number of points, 1 to 2^30
  T* grad = nullptr;     ///< out: Model::shape().parameter_count() values, layout of params()
  T* loss = nullptr;     ///< out, optional: one value, L
};

/// What a device-array gradient cost (the loss and gradient stay on the device).
struct DeviceGradientStats {
  SolveStats forward;   ///< the density solve t1 -> t0
  SolveStats backward;  ///< the adjoint solve (continuous) or the backward pass (discrete)
};

}  // namespace cucnf
