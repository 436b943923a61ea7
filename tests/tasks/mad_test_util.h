#pragma once
/// Helpers of the MAD-suite task tests (test_in_context_recall.cpp and its siblings): compare datasets.

#include <string>

#include "data/task.h"
#include "task_test_util.h"

namespace attnlab::testing {

inline bool same_example(const data::TaskExample& a, const data::TaskExample& b) {
  return a.inputs == b.inputs && a.labels == b.labels;
}

/// How many of the first n examples of `split` are equal in the two datasets.
inline int64_t count_equal(const data::TaskDataset& a, const data::TaskDataset& b, int split, int64_t n) {
  int64_t equal = 0;
  for (int64_t i = 0; i < n; ++i) equal += same_example(a.example(split, i), b.example(split, i));
  return equal;
}

}  // namespace attnlab::testing
