// tanh_inplace_avx512: compiled with -mavx512f -mavx512dq -mavx512vl -mavx512bw -mfma
// (CMakeLists.txt), so Eigen vectorises with Packet16f. See tanh_eigen.hpp.
#include "cpu/fast/tanh_eigen_impl.hpp"

#include "cpu/fast/tanh_eigen.hpp"

#ifndef EIGEN_VECTORIZE_AVX512
#error "tanh_eigen_avx512.cpp must be compiled with AVX-512 enabled"
#endif

namespace cucnf::detail {

void tanh_inplace_avx512(float* x, std::size_t n) {
  eigen_tanh_inplace<Eigen::internal::Packet16f>(x, n);
}

}  // namespace cucnf::detail
