// The loop of tanh_eigen_avx512.cpp and tanh_eigen_avx2.cpp, each compiling it for its own
// Eigen packet type (Packet16f, Packet8f) under its own -m flags (see tanh_eigen.hpp).
#pragma once

#include <Eigen/Core>
#include <cstddef>

namespace cucnf::detail {

/// x[i] = tanh(x[i]) for n a multiple of the packet's lanes.
template <class Packet>
inline void eigen_tanh_inplace(float* x, std::size_t n) {
  constexpr std::size_t lanes = Eigen::internal::unpacket_traits<Packet>::size;
  for (std::size_t i = 0; i < n; i += lanes)
    Eigen::internal::pstoreu(x + i, Eigen::internal::ptanh(Eigen::internal::ploadu<Packet>(x + i)));
}

}  // namespace cucnf::detail
