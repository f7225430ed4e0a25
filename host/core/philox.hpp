// Philox4x32-10 (Salmon et al., SC'11), the counter-based generator cuRAND also offers, as a
// pure function for host and device: the same (key, counter) gives the same numbers on the
// CPU and on the GPU, so the CPU and CUDA backends draw identical data from one seed. cuRAND's
// host and device generators do not produce one common stream, hence this small copy.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/hd.hpp"

namespace cucnf::detail {

struct Philox4 {
  std::uint32_t v[4];
};

CUCNF_HD inline void mulhilo32(std::uint32_t a, std::uint32_t b, std::uint32_t& hi,
                               std::uint32_t& lo) {
#if defined(__CUDA_ARCH__)
  hi = __umulhi(a, b);
  lo = a * b;
#else
  const std::uint64_t p = static_cast<std::uint64_t>(a) * b;
  hi = static_cast<std::uint32_t>(p >> 32);
  lo = static_cast<std::uint32_t>(p);
#endif
}

/// Philox4x32 with 10 rounds of counter `ctr` under key (k0, k1).
CUCNF_HD inline Philox4 philox4x32_10(Philox4 ctr, std::uint32_t k0, std::uint32_t k1) {
  constexpr std::uint32_t kM0 = 0xD2511F53u;
  constexpr std::uint32_t kM1 = 0xCD9E8D57u;
  constexpr std::uint32_t kW0 = 0x9E3779B9u;
  constexpr std::uint32_t kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    std::uint32_t hi0, lo0, hi1, lo1;
    mulhilo32(kM0, ctr.v[0], hi0, lo0);
    mulhilo32(kM1, ctr.v[2], hi1, lo1);
    ctr = Philox4{{hi1 ^ ctr.v[1] ^ k0, lo1, hi0 ^ ctr.v[3] ^ k1, lo0}};
    k0 += kW0;
    k1 += kW1;
  }
  return ctr;
}

/// Four random words for element `index` of stream `stream` under `seed`.
CUCNF_HD inline Philox4 random_words(std::uint64_t seed, std::uint64_t stream,
                                     std::uint64_t index) {
  const Philox4 ctr{{static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32),
                     static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)}};
  return philox4x32_10(ctr, static_cast<std::uint32_t>(seed),
                       static_cast<std::uint32_t>(seed >> 32));
}

/// A double in [0, 1) with 53 random bits from two words.
CUCNF_HD inline double uniform53(std::uint32_t hi, std::uint32_t lo) {
  return ((hi >> 5) * 67108864.0 + (lo >> 6)) * (1.0 / 9007199254740992.0);
}

/// Two independent uniforms in [0, 1) for (seed, stream, index).
CUCNF_HD inline void uniform2(std::uint64_t seed, std::uint64_t stream, std::uint64_t index,
                              double& u0, double& u1) {
  const Philox4 w = random_words(seed, stream, index);
  u0 = uniform53(w.v[0], w.v[1]);
  u1 = uniform53(w.v[2], w.v[3]);
}

/// Two independent standard normals for (seed, stream, index), by Box-Muller.
CUCNF_HD inline void normal2(std::uint64_t seed, std::uint64_t stream, std::uint64_t index,
                             double& n0, double& n1) {
  double u0, u1;
  uniform2(seed, stream, index, u0, u1);
  const double radius = std::sqrt(-2.0 * std::log(1.0 - u0));  // 1 - u0 is in (0, 1]
  const double angle = 6.283185307179586476925286766559 * u1;
  n0 = radius * std::cos(angle);
  n1 = radius * std::sin(angle);
}

}  // namespace cucnf::detail
