#include "train/grad_accum.h"

#include <torch/nn/functional/loss.h>

namespace attnlab {

namespace F = torch::nn::functional;

StepLoss forward_backward(TransformerLM& model, const torch::Tensor& x, const torch::Tensor& y, int64_t micro_batches,
                          Precision precision, const torch::Device& device, Shard shard, GradientReducer* reducer) {
  for (auto& p : model->parameters()) {
    if (p.grad().defined()) p.grad().zero_();
  }
  if (micro_batches == 1 && shard.count == 1 && !reducer) {  // the single pass, kept op for op so runs without accumulation keep their numbers
    StepLoss out;
    {
      AutocastScope autocast(precision, device);
      LMOutput lm = model->forward(x);
      out.loss = F::cross_entropy(lm.logits.reshape({-1, lm.logits.size(-1)}).to(torch::kFloat32), y.reshape(-1));
      out.objective = lm.aux_loss.defined() ? out.loss + lm.aux_loss.to(torch::kFloat32) : out.loss;
    }
    out.objective.backward();
    return out;
  }
  // cross_entropy's default ignore_index is the dataset's kIgnore: count what it averages over.
  const auto trained = (y != F::CrossEntropyFuncOptions().ignore_index()).sum().clamp_min(1).to(torch::kFloat32);
  const auto rows = x.chunk(shard.count)[shard.index].chunk(micro_batches);
  const auto targets = y.chunk(shard.count)[shard.index].chunk(micro_batches);
  torch::Tensor loss_sum = torch::zeros({}, torch::kFloat32).to(device), aux_sum = loss_sum.clone();
  // A training forward may update buffers (a schedule that counts steps): every micro-batch starts
  // from the step's buffers, and the step ends where one forward leaves them.
  std::vector<torch::Tensor> buffers = model->buffers(), start, after_first;
  auto snapshot = [&] {
    std::vector<torch::Tensor> out;
    for (const auto& b : buffers) out.push_back(b.clone());
    return out;
  };
  auto restore = [&](const std::vector<torch::Tensor>& from) {
    torch::NoGradGuard no_grad;
    for (size_t j = 0; j < buffers.size(); ++j) buffers[j].copy_(from[j]);
  };
  start = snapshot();
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i > 0) restore(start);
    torch::Tensor part;
    {
      AutocastScope autocast(precision, device);
      LMOutput lm = model->forward(rows[i]);
      const auto token_sum = F::cross_entropy(lm.logits.reshape({-1, lm.logits.size(-1)}).to(torch::kFloat32),
                                              targets[i].reshape(-1), F::CrossEntropyFuncOptions().reduction(torch::kSum));
      loss_sum = loss_sum + token_sum.detach();
      part = token_sum / trained;
      if (lm.aux_loss.defined()) {  // a batch mean: weighted by the chunk's share of the rows
        const auto aux = lm.aux_loss.to(torch::kFloat32) * (static_cast<double>(rows[i].size(0)) / x.size(0));
        aux_sum = aux_sum + aux.detach();
        part = part + aux;
      }
    }
    if (reducer && i + 1 == rows.size()) reducer->arm();
    part.backward();
    if (i == 0) after_first = snapshot();
  }
  restore(after_first);
  const auto loss = loss_sum / trained;
  return {loss, loss + aux_sum};
}

}  // namespace attnlab
