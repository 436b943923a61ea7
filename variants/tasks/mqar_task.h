#pragma once
/// Multi-query associative recall (Zoology, Arora et al. 2023, zoology/data/multiquery_ar.py).
/// Keys from [1, V/2), values from [V/2, V), N distinct each. The key-value block `k1 v1 ... kN vN`
/// comes first (num_passes times, JRT); in the remaining L - 2N·passes positions each query is
/// placed at an even offset 2·gap, gaps drawn without replacement with p(i) ∝ a·i^(a-1)
/// (power_a; 1 = uniform). The label at a query is its key's value (predicted at the query; the
/// value is not in the stream). Every other position is a random token of [0, V).
/// queries_per_key q > 1 queries every key q times, in random order (in-stream repeated queries).
/// Slices: the distance from a query back to its key (in the last pass), in power-of-two buckets.

#include "data/task.h"

namespace attnlab {

class MqarTask : public data::Task {
 public:
  struct Options {
    int64_t vocab_size = 256;
    int64_t seq_len = 64;
    int64_t num_kv_pairs = 8;
    double power_a = 0.01;
    int64_t num_passes = 1;
    int64_t queries_per_key = 1;
  };
  explicit MqarTask(Options o);
  static std::shared_ptr<data::Task> create(const data::TaskContext& context);

  int64_t vocab_size() const override { return o_.vocab_size; }
  int64_t seq_len() const override { return o_.seq_len; }
  data::TaskExample generate(data::TaskRng& rng) const override;
  std::vector<std::string> slice_names() const override;
  double chance_accuracy() const override;
  std::string summary() const override;

  /// The slice of a query `distance` positions after its key: bucket 0 is [1, 16), then [16, 32), [32, 64), ...
  static int32_t distance_slice(int64_t distance);

 private:
  Options o_;
  std::vector<double> gap_weights_;  // power law over the query slots
};

}  // namespace attnlab
