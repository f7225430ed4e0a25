// Element-wise comparison with a stated tolerance that reports the worst error and the first
// mismatches, so a failing test says where and by how much.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

/// Passes when |a - e| <= atol + rtol |e| for every element (NaN never passes).
::testing::AssertionResult all_close(const std::vector<double>& actual,
                                     const std::vector<double>& expected, double rtol, double atol);

/// max |a - e| / max |e| over the arrays: the relative error of the whole array.
double relative_error(const std::vector<double>& actual, const std::vector<double>& expected);

/// Values drawn uniformly from [lo, hi) with a fixed seed (tests never run on zeros).
std::vector<double> random_values(std::size_t count, double lo, double hi, unsigned seed);
