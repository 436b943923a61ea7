#pragma once
/// MAD selective copying (Poli et al. 2024; athms/mad-lab, mad/data/instances.py,
/// configs/tasks/selective-copying.yml). n data tokens, drawn uniformly with replacement, are
/// scattered among blanks; after a copy token the model must emit them in order, one per position,
/// while reading only blanks (the copies are never fed back in).
///
/// Token layout (V = vocab_size): data [0, V - 2), blank V - 2, copy token V - 1.
/// Positions (n = num_tokens_to_copy): [0, L - n - 1) the n data tokens and L - 2n - 1 blanks,
/// L - n - 1 the copy token, [L - n, L) blanks. Scored: position L - n + i has the label data
/// token i (MAD's targets, not shifted: the answer is predicted at a blank).
/// Blanks are placed as MAD places them: each blank independently goes before a uniformly drawn data
/// token, so the last data token always sits right before the copy token. selective: false is
/// MAD's plain copying: the data tokens first, then all the blanks.

#include "data/task.h"

namespace attnlab {

class SelectiveCopyTask : public data::Task {
 public:
  struct Options {
    int64_t vocab_size = 16;
    int64_t seq_len = 256;
    int64_t num_tokens_to_copy = 16;
    bool selective = true;
  };
  explicit SelectiveCopyTask(Options o);
  static std::shared_ptr<data::Task> create(const data::TaskContext& context);

  int64_t vocab_size() const override { return o_.vocab_size; }
  int64_t seq_len() const override { return o_.seq_len; }
  data::TaskExample generate(data::TaskRng& rng) const override;
  double chance_accuracy() const override;
  std::string summary() const override;

  int32_t blank_token() const { return static_cast<int32_t>(o_.vocab_size - 2); }
  int32_t copy_token() const { return static_cast<int32_t>(o_.vocab_size - 1); }

 private:
  Options o_;
};

}  // namespace attnlab
