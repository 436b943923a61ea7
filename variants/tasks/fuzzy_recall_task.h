#pragma once
/// MAD fuzzy in-context recall (Poli et al. 2024; athms/mad-lab, mad/data/instances.py,
/// configs/tasks/fuzzy-in-context-recall.yml). In-context recall whose keys and values are motifs of
/// several adjacent tokens: a key is 1..k_motif_size distinct key tokens in order, a value
/// 1..v_motif_size distinct value tokens (each size uniform, then each motif of that size uniform, as
/// MAD draws them). A per-sequence map fixes a key's value the first time the key appears, so a
/// repeated key is followed by the same value motif.
///
/// Token layout (V = vocab_size, N = noise_vocab_size, S = V - N - (multi_query ? 1 : 2)):
///   keys [0, S/2), values [S/2, S), noise [S, S + N), pad V - 1 (multi_query) or V - 2 (otherwise),
///   copy token V - 1 (only when multi_query is false: it announces the probe).
/// Stream of L + 1 tokens (inputs are its first L): pad tokens, then context units (a key motif and
/// its value motif, or with probability frac_noise as many noise tokens as the drawn key and value
/// sizes), then [copy token,] the probe key and its value. The probe pair also appears once in the
/// context, at a uniform place. Key, value, noise and pad tokens are disjoint, so a motif is a
/// maximal run of key (or value) tokens.
/// Scored: the positions whose next token is a value token of a key that appeared earlier in the
/// sequence (multi_query), or of the probe only (otherwise); the label is that value token.
///
/// Where this differs from MAD: MAD's test set uses keys of exactly k_motif_size tokens while its
/// training set draws 1..k_motif_size; a task here has one distribution (the training one, 1..k)
/// for both. MAD could leave the probe pair out of the context when its insertion point fell past the
/// last unit; here it is always placed. MAD never scores the probe pair's in-context copy; here every
/// repeated key is scored alike.

#include "data/task.h"

namespace attnlab {

class FuzzyRecallTask : public data::Task {
 public:
  struct Options {
    int64_t vocab_size = 16;
    int64_t seq_len = 128;
    int64_t k_motif_size = 3;
    int64_t v_motif_size = 3;
    bool multi_query = true;
    int64_t noise_vocab_size = 0;
    double frac_noise = 0.0;
  };
  explicit FuzzyRecallTask(Options o);
  static std::shared_ptr<data::Task> create(const data::TaskContext& context);

  int64_t vocab_size() const override { return o_.vocab_size; }
  int64_t seq_len() const override { return o_.seq_len; }
  data::TaskExample generate(data::TaskRng& rng) const override;
  double chance_accuracy() const override;
  std::string summary() const override;

  /// S: the tokens shared by key and value motifs (below it: keys, then values).
  int64_t key_value_tokens() const;
  int32_t pad_token() const { return static_cast<int32_t>(o_.vocab_size - (o_.multi_query ? 1 : 2)); }

 private:
  Options o_;
};

}  // namespace attnlab
