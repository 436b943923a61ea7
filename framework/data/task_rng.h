#pragma once
/// TaskRng: the random source of probe-task generators. xoshiro256** seeded through SplitMix64,
/// with its own integer and real draws (std:: distributions differ between standard libraries),
/// so an example is the same on every machine and compiler. Torch-free.

#include <cstdint>
#include <utility>
#include <vector>

namespace attnlab::data {

class TaskRng {
 public:
  /// A stream keyed by up to four numbers (e.g. task seed, split, example index, attempt).
  explicit TaskRng(uint64_t a, uint64_t b = 0, uint64_t c = 0, uint64_t d = 0);

  uint64_t next();
  /// Uniform in [0, n), unbiased (Lemire's method); n >= 1.
  int64_t below(int64_t n);
  /// Uniform in [lo, hi), hi > lo.
  int64_t range(int64_t lo, int64_t hi) { return lo + below(hi - lo); }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform();
  /// k distinct values of [lo, hi) in the order drawn (a partial Fisher-Yates shuffle).
  std::vector<int64_t> distinct(int64_t lo, int64_t hi, int64_t k);
  /// k distinct indices of `weights` drawn one after another, each with probability proportional to
  /// its weight among those not drawn yet (numpy's choice(replace=False, p=...)).
  std::vector<int64_t> weighted_distinct(const std::vector<double>& weights, int64_t k);
  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (int64_t i = static_cast<int64_t>(v.size()) - 1; i > 0; --i) std::swap(v[i], v[below(i + 1)]);
  }

 private:
  uint64_t s_[4];
};

}  // namespace attnlab::data
