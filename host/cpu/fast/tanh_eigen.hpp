// tanh of float32 arrays, in place, by Eigen's vectorised rational approximation, built once for
// AVX-512 and once for AVX2 (each file with its own -m flags): what the fused kernel's float32
// AVX-512 and AVX2 targets call for a vector's K pre-activations at once (block_kernels.cpp).
//
// Why Eigen's tanh: measured on this project's AVX-512 machine (AMD EPYC, Zen 4) over [-9, 9],
// throughput per float32 value: Eigen 0.27 ns (AVX-512) / 0.32 ns (AVX2) at 3.7 ulp (a 13/6
// rational minimax with one division), Highway's contrib Tanh 0.68 ns at 2.7 ulp (expm1 and a
// division), SLEEF's Sleef_tanhf16_u35 1.2 ns. float32 results stay within the tolerances the
// tests state against float64 (test_fused_cpu.cpp, test_solver.cpp). float64 keeps Highway's.
//
// Only Eigen's packet functions of one width are used in each file (Packet16f, Packet8f), so the
// two builds share no inline function that the linker could fold into the other's instructions.
#pragma once

#include <cstddef>

namespace cucnf::detail {

/// x[i] = tanh(x[i]) for n a multiple of 16; needs AVX-512 (F, DQ, VL, BW) and FMA.
void tanh_inplace_avx512(float* x, std::size_t n);

/// x[i] = tanh(x[i]) for n a multiple of 8; needs AVX2 and FMA.
void tanh_inplace_avx2(float* x, std::size_t n);

}  // namespace cucnf::detail
