#pragma once
/// MAD memorization (Poli et al. 2024; athms/mad-lab, mad/data/instances.py, mad/configs.py,
/// configs/tasks/memorization.yml). One fixed key -> value map, the same for every example of the
/// task (drawn from data.task.seed), must be learnt in the weights: a sequence is L/2 units
/// `key INSERT`, each key uniform with replacement, and the answer is the key's value, predicted at the
/// INSERT token (MAD's targets, not shifted: the value is never in the stream, so the context cannot
/// give it away). MAD's baseline trains on only 256 examples.
///
/// Token layout (V = vocab_size, N = noise_vocab_size, S = V - 1 - N):
///   keys [0, S/2), values [S/2, S) (the map is injective: each key has its own value), noise
///   [S, S + N), INSERT V - 1.
/// Positions: unit i at (2i, 2i + 1): key then INSERT (labelled), or with probability frac_noise
/// two noise tokens (unlabelled); one unit is always a key.

#include "data/task.h"

namespace attnlab {

class MemorizationTask : public data::Task {
 public:
  struct Options {
    int64_t vocab_size = 256;
    int64_t seq_len = 32;
    int64_t noise_vocab_size = 0;
    double frac_noise = 0.0;
  };
  /// `map_seed` (data.task.seed) fixes the key -> value map.
  MemorizationTask(Options o, uint64_t map_seed);
  static std::shared_ptr<data::Task> create(const data::TaskContext& context);

  int64_t vocab_size() const override { return o_.vocab_size; }
  int64_t seq_len() const override { return o_.seq_len; }
  data::TaskExample generate(data::TaskRng& rng) const override;
  double chance_accuracy() const override;
  std::string summary() const override;

  int32_t insert_token() const { return static_cast<int32_t>(o_.vocab_size - 1); }
  /// The fixed map: value_of()[key] for key in [0, S/2).
  const std::vector<int32_t>& value_of() const { return value_of_; }

 private:
  Options o_;
  std::vector<int32_t> value_of_;
};

}  // namespace attnlab
