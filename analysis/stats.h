#pragma once
/// Small statistics over seeds and rows. Non-finite values are skipped.

#include <cstddef>
#include <vector>

namespace attnlab::analysis {

/// Mean and sample standard deviation (0 for a single value) of the finite values.
struct MeanStd {
  double mean = 0;
  double std = 0;
  size_t n = 0;  ///< finite values used
};

MeanStd mean_std(const std::vector<double>& values);
/// Median of the finite values; NaN when there are none.
double median(std::vector<double> values);

}  // namespace attnlab::analysis
