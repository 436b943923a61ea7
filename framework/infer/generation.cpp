#include "infer/generation.h"

#include <ATen/CPUGeneratorImpl.h>

#include <stdexcept>

namespace attnlab {

torch::Tensor sample_next(const torch::Tensor& logits, const SamplingOptions& options, at::Generator& generator) {
  auto scores = logits.to(torch::kCPU, torch::kFloat32);  // [B, V]
  if (options.temperature <= 0.0) return scores.argmax(-1);
  scores = scores / options.temperature;
  if (options.top_k > 0 && options.top_k < scores.size(-1)) {
    auto kth = std::get<0>(scores.topk(options.top_k, -1)).narrow(-1, options.top_k - 1, 1);  // [B, 1]
    scores = scores.masked_fill(scores < kth, -INFINITY);
  }
  auto probs = torch::softmax(scores, -1);                              // [B, V]
  return torch::multinomial(probs, 1, false, generator).squeeze(-1);    // [B]
}

std::vector<int64_t> generate(Decoder& decoder, const std::vector<int64_t>& prompt, int64_t max_new,
                              const SamplingOptions& options) {
  if (prompt.empty()) throw std::logic_error("generate: empty prompt");
  at::Generator generator = at::detail::createCPUGenerator(options.seed);
  decoder.reset();
  auto input = torch::tensor(prompt, torch::kInt64).unsqueeze(0);  // [1, T]
  auto logits = decoder.prefill(input).select(1, input.size(1) - 1);  // [1, V]
  std::vector<int64_t> out;
  for (int64_t i = 0; i < max_new; ++i) {
    auto next = sample_next(logits, options, generator);  // [1]
    out.push_back(next.item<int64_t>());
    if (i + 1 < max_new) logits = decoder.step(next.view({1, 1}).to(logits.device()));
  }
  return out;
}

}  // namespace attnlab
