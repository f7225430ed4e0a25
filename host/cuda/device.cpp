// Device selection: asks the CUDA runtime what is there, never crashing when nothing is.
#include "cucnf/device.hpp"

#include <cuda_runtime_api.h>

#include <string>

#include "cucnf/error.hpp"

namespace cucnf {
namespace {

// cudaGetDeviceCount with its error, cached: the answer does not change within a process.
struct CudaProbe {
  int count = 0;
  std::string reason;
};

const CudaProbe& probe() {
  static const CudaProbe result = [] {
    CudaProbe p;
    const cudaError_t status = cudaGetDeviceCount(&p.count);
    if (status != cudaSuccess) {
      p.count = 0;
      p.reason = status == cudaErrorInsufficientDriver
                     ? "no NVIDIA driver, or one older than this CUDA runtime"
                 : status == cudaErrorNoDevice ? "no CUDA device found"
                                               : cudaGetErrorString(status);
      cudaGetLastError();  // clear the sticky error so later calls start clean
    } else if (p.count == 0) {
      p.reason = "no CUDA device found";
    }
    return p;
  }();
  return result;
}

}  // namespace

Device parse_device(const std::string& name) {
  if (name == "auto") return Device::automatic;
  if (name == "cpu") return Device::cpu;
  if (name == "cuda" || name == "gpu") return Device::cuda;
  throw Error(ErrorKind::invalid_argument,
              "unknown device '" + name + "' (valid: auto, cpu, cuda)");
}

const char* device_name(Device device) noexcept {
  switch (device) {
    case Device::automatic:
      return "auto";
    case Device::cpu:
      return "cpu";
    case Device::cuda:
      return "cuda";
  }
  return "unknown";
}

int cuda_device_count() noexcept {
  try {
    return probe().count;
  } catch (...) {
    return 0;
  }
}

Device resolve_device(Device requested) {
  if (requested == Device::cpu) return Device::cpu;
  if (cuda_device_count() > 0) return Device::cuda;
  if (requested == Device::automatic) return Device::cpu;
  throw Error(ErrorKind::cuda_unavailable,
              "CUDA was requested but no usable GPU is present (" + probe().reason +
                  "); use the CPU backend (device cpu or auto) instead");
}

std::string describe_device(Device resolved) {
  if (resolved != Device::cuda) return "CPU";
  int device = 0;
  cudaDeviceProp prop{};
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
    cudaGetLastError();
    return "CUDA device";
  }
  return std::string(prop.name) + " (sm_" + std::to_string(prop.major) +
         std::to_string(prop.minor) + ")";
}

}  // namespace cucnf
