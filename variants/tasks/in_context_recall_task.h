#pragma once
/// MAD in-context recall (Poli et al. 2024; athms/mad-lab, mad/data/instances.py,
/// configs/tasks/in-context-recall.yml). A sequence of two-token units `key value`: keys are drawn
/// uniformly with replacement, so they repeat, and a per-sequence map fixes each key's value when the
/// key first appears (values are drawn uniformly and may be shared by keys). The last unit is a probe,
/// a key already seen, followed by its value.
///
/// Token layout (V = vocab_size, N = noise_vocab_size, S = V - N - (multi_query ? 0 : 1)):
///   keys [0, S/2), values [S/2, S), noise [S, S + N) (noisy recall only), copy token V - 1 (only when
///   multi_query is false: it announces the probe).
/// Positions: unit i < L/2 - 1 is at (2i, 2i + 1), or is two noise tokens with probability frac_noise
/// (one unit is always a key-value pair). Then the probe: multi_query: key at L - 2, value at L - 1;
/// otherwise: copy token at L - 2, key at L - 1 (its value, the answer, is not in the stream).
/// Scored (as MAD's test targets, shifted so the label sits on the key): multi_query: every key that
/// appeared earlier in the sequence, the probe included; otherwise only the probe key.
/// MAD's sequences are one token shorter when multi_query is set (inputs = stream[:-1] of L tokens);
/// here every task has L inputs, so the probe's value is the last input (never scored).

#include "data/task.h"

namespace attnlab {

class InContextRecallTask : public data::Task {
 public:
  struct Options {
    int64_t vocab_size = 16;
    int64_t seq_len = 128;
    bool multi_query = true;
    int64_t noise_vocab_size = 0;
    double frac_noise = 0.0;
  };
  explicit InContextRecallTask(Options o);
  /// Reads vocab_size, seq_len and multi_query (no noise: that is noisy_recall).
  static std::shared_ptr<data::Task> create(const data::TaskContext& context);

  int64_t vocab_size() const override { return o_.vocab_size; }
  int64_t seq_len() const override { return o_.seq_len; }
  data::TaskExample generate(data::TaskRng& rng) const override;
  double chance_accuracy() const override;
  std::string summary() const override;

  /// S: the tokens shared by keys and values (below it: keys, then values; above: noise, copy).
  int64_t key_value_tokens() const;
  const Options& options() const { return o_; }

  /// The checks both recall tasks share; `c.fail` names the key at fault.
  static void validate(const data::TaskContext& c, const Options& o);

 private:
  Options o_;
};

}  // namespace attnlab
