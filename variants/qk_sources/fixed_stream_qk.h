#pragma once
/// `qk_source: fixed_stream` (FixedSeqQK): the first ctx tokens of the training split, embedded and
/// run through the model's own blocks. The runner hands the tokens over (set_train_prefix); they are
/// kept in the buffer `qk_fixed_stream` [ctx] (-1 until set), so checkpoints carry them.

#include "model/qk_source.h"

namespace attnlab {

class FixedStreamQK : public QKSource {
 public:
  const std::string& name() const override;
  bool is_stream() const override { return true; }
  std::vector<std::pair<std::string, torch::Tensor>> make_buffers(const QKStreamShape& shape) override;
  torch::Tensor stream_input(int64_t length, torch::nn::EmbeddingImpl& embedding) const override;
  bool wants_train_prefix() const override { return true; }
  void set_train_prefix(const torch::Tensor& tokens) override;

  /// Factory: no options.
  static QKSourcePtr create(cfg::MapReader& r);

 private:
  torch::Tensor tokens_;  // [ctx] int64, registered by the model
};

}  // namespace attnlab
