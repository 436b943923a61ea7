#include "qk_sources/fixed_stream_qk.h"

#include "core/error.h"

namespace attnlab {

const std::string& FixedStreamQK::name() const {
  static const std::string n = "fixed_stream";
  return n;
}

std::vector<std::pair<std::string, torch::Tensor>> FixedStreamQK::make_buffers(const QKStreamShape& shape) {
  tokens_ = torch::full({shape.ctx}, -1, torch::kInt64);  // [ctx]
  return {{"fixed_stream", tokens_}};
}

torch::Tensor FixedStreamQK::stream_input(int64_t length, torch::nn::EmbeddingImpl& embedding) const {
  if (tokens_.min().item<double>() < 0) {
    throw UserError("qk_source fixed_stream: the model's fixed sequence was never set (set_train_prefix)");
  }
  // model->to(dtype) converts buffers too, so the ids may arrive as floats
  return embedding.forward(tokens_.narrow(0, 0, length).to(torch::kInt64)).unsqueeze(0);  // [1, length, C]
}

void FixedStreamQK::set_train_prefix(const torch::Tensor& tokens) {
  torch::NoGradGuard no_grad;
  tokens_.copy_(tokens);
}

QKSourcePtr FixedStreamQK::create(cfg::MapReader&) { return std::make_shared<FixedStreamQK>(); }

}  // namespace attnlab
