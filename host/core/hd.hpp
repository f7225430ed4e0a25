// CUCNF_HD marks functions shared by host code and CUDA kernels: the step controller, the
// Butcher tableaus and the random numbers are written once and run on both.
#pragma once

#if defined(__CUDACC__)
#define CUCNF_HD __host__ __device__
#else
#define CUCNF_HD
#endif
