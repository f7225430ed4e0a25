// tanh_inplace_avx2: compiled with -mavx2 -mfma (CMakeLists.txt), so Eigen vectorises with
// Packet8f. See tanh_eigen.hpp.
#include <Eigen/Core>

#include "cpu/fast/tanh_eigen.hpp"

#if !defined(EIGEN_VECTORIZE_AVX2) || defined(EIGEN_VECTORIZE_AVX512)
#error "tanh_eigen_avx2.cpp must be compiled with AVX2 (and without AVX-512) enabled"
#endif

namespace cucnf::detail {

void tanh_inplace_avx2(float* x, std::size_t n) {
  using Eigen::internal::Packet8f;
  for (std::size_t i = 0; i < n; i += 8)
    Eigen::internal::pstoreu(x + i,
                             Eigen::internal::ptanh(Eigen::internal::ploadu<Packet8f>(x + i)));
}

}  // namespace cucnf::detail
