// tanh_inplace_avx2: compiled with -mavx2 -mfma -mno-avx512f (CMakeLists.txt), so Eigen
// vectorises with Packet8f. See tanh_eigen.hpp.
#include "cpu/fast/tanh_eigen_impl.hpp"

#include "cpu/fast/tanh_eigen.hpp"

#if !defined(EIGEN_VECTORIZE_AVX2) || defined(EIGEN_VECTORIZE_AVX512)
#error "tanh_eigen_avx2.cpp must be compiled with AVX2 (and without AVX-512) enabled"
#endif

namespace cucnf::detail {

void tanh_inplace_avx2(float* x, std::size_t n) {
  eigen_tanh_inplace<Eigen::internal::Packet8f>(x, n);
}

}  // namespace cucnf::detail
