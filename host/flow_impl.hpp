// Flow's state, shared by its host-vector members (flow.cpp) and its device-array members
// (flow_device_arrays.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "backend.hpp"
#include "cucnf/flow.hpp"

namespace cucnf {

struct Flow::Impl {
  explicit Impl(Model m) : model(std::move(m)) {}
  Model model;
  Device device;
  std::unique_ptr<detail::Backend> backend;

  detail::FlowSpec spec() const { return {model.t0(), model.t1(), model.base_variance()}; }

  std::size_t rows(const std::vector<double>& points, const char* what) const {
    return detail::count_points(points, model.shape().dim, what);
  }

  LogProbResult log_prob(const std::vector<double>& x, std::size_t n, int d,
                         const SolverOptions& options);
  SampleResult sample(std::size_t n, int d, std::uint64_t seed, const SolverOptions& options);
};

}  // namespace cucnf
