// Where computations run.
#pragma once

#include <string>

#include "cucnf/export.hpp"

namespace cucnf {

/// Backend selection. automatic picks CUDA when a usable GPU is present, else the CPU.
enum class Device { automatic, cpu, cuda };

/// Arithmetic of a backend. float64 is the reference that matches PyTorch; float32 is faster.
/// CPU: the per-sample state and field in this precision, time, the controller, the
/// hypernetwork and the adjoint's parameter cotangent in float64 (models with more than 4
/// dimensions always run the scalar float64 reference). CUDA: see the README.
enum class Precision { float32, float64 };

/// Parses "auto", "cpu" or "cuda"; throws Error(invalid_argument) otherwise.
CUCNF_API Device parse_device(const std::string& name);
/// "auto", "cpu" or "cuda".
CUCNF_API const char* device_name(Device device) noexcept;

/// Number of usable CUDA devices; 0 when there is no GPU, no driver, or the runtime fails.
/// Never throws.
CUCNF_API int cuda_device_count() noexcept;

/// Resolves automatic to cpu or cuda. Throws Error(cuda_unavailable) for Device::cuda when
/// cuda_device_count() == 0, with the CUDA runtime's reason in the message.
CUCNF_API Device resolve_device(Device requested);

/// A one-line description of a resolved device: the GPU's name and compute capability for
/// cuda ("NVIDIA H100 80GB HBM3 (sm_90)"), "CPU" for cpu.
CUCNF_API std::string describe_device(Device resolved);

}  // namespace cucnf
